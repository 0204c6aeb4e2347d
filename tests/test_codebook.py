"""The theme codebook (data/themes.yml), its lexicon and the hand-labelled check set hold together.

The codebook is read as plain YAML so these checks do not depend on how the themes step loads it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest
import yaml

from analysis.text.tokenize import DATA_DIR, Tokenizer

CHECKSET_FILE = Path(__file__).parent / "data" / "theme_checkset.csv"
#: Theme of items that fit no codebook theme; added by the code, never listed in themes.yml.
OTHER = "其他（未归类）"
#: Exclude target of a general rule: the item goes to the theme of its own subject domain.
OWN_DOMAIN = "该领域的主题"
#: Measured on the seed corpus when the lexicon was rewritten (docs/codebook.md): 204 of 579 seeds
#: (35.2%) occur in only one of the five seed plans and 189 (32.6%) in exactly one seed item.
MAX_ONE_PLAN_SHARE = 0.36
MAX_ONE_ITEM_SHARE = 0.33
#: The target "targets → theme" of an exclude note or a coding rule.
ARROW = re.compile(r"→\s*([^\s；;，,（(]+)")


@pytest.fixture(scope="module")
def codebook() -> list[dict]:
    return yaml.safe_load((DATA_DIR / "themes.yml").read_text(encoding="utf-8"))["themes"]


@pytest.fixture(scope="module")
def checkset() -> pd.DataFrame:
    return pd.read_csv(CHECKSET_FILE, dtype=str)


@pytest.fixture(scope="module")
def seed_occurrence(corpus, codebook) -> dict[str, tuple[set[str], set[str]]]:
    """Per seed term, the seed items and the seed plans whose text holds it as a token."""
    tokenizer = Tokenizer.for_documents(corpus.documents)
    items: dict[str, set[str]] = defaultdict(set)
    plans: dict[str, set[str]] = defaultdict(set)
    for item_id, doc_id, tokens in zip(corpus.items.item_id, corpus.items.doc_id, tokenizer.tokenize_many(corpus.items.text.tolist())):
        for token in tokens:
            items[token].add(item_id)
            plans[token].add(doc_id)
    return {str(s): (items[str(s)], plans[str(s)]) for theme in codebook for s in theme["seeds"]}


def test_every_theme_has_a_codebook_entry(codebook):
    names = [t["name"] for t in codebook]
    assert len(names) == len(set(names)) and OTHER not in names
    assert 16 <= len(names) <= 22
    for theme in codebook:
        assert isinstance(theme["definition"], str) and len(theme["definition"]) >= 15, theme["name"]
        assert theme["en"].strip(), theme["name"]
        for key in ("include", "exclude"):
            notes = theme[key]
            assert isinstance(notes, list) and notes and all(isinstance(n, str) and n.strip() for n in notes), (theme["name"], key)


def test_exclude_notes_send_items_to_a_named_theme(codebook):
    names = {t["name"] for t in codebook} | {OTHER}
    for theme in codebook:
        for note in theme["exclude"]:
            targets = ARROW.findall(note)
            assert targets, (theme["name"], note)
            assert set(targets) <= (names | {OWN_DOMAIN}) - {theme["name"]}, (theme["name"], note)


def test_the_catch_all_is_split_and_regional_cooperation_has_a_theme(codebook):
    by_name = {t["name"]: t for t in codebook}
    assert "安全生产与综合保障" not in by_name
    seeds = {name: {str(s) for s in t["seeds"]} for name, t in by_name.items()}
    assert {"安全生产", "信访", "平安医院"} <= seeds["安全生产与信访稳定"]
    assert {"人大建议", "政协提案", "双拥", "离退休干部"} <= seeds["机关事务与行政保障"]
    assert {"项目谋划", "专项债", "健康产业"} <= seeds["卫生投资与健康产业"]
    assert {"成渝地区双城经济圈", "京津冀协同发展", "长三角一体化", "对口协作"} <= seeds["区域协同与对外合作"]
    # biosafety and hospital finance go to their domain themes, not to a safety catch-all
    assert "实验室生物安全" in seeds["疾病预防控制"] and "全成本核算" in seeds["医改与公立医院"]


def test_the_yigongti_rule_is_written_on_both_sides(codebook):
    by_name = {t["name"]: t for t in codebook}
    reform = " ".join(by_name["医改与公立医院"]["include"])
    primary_out = " ".join(by_name["基层卫生"]["exclude"])
    assert "医共体" in reform and "医联体" in reform
    assert re.search(r"医共体.*→\s*医改与公立医院", primary_out)
    assert "医共体" in " ".join(by_name["基层卫生"]["include"])
    assert "医共体" in " ".join(by_name["医改与公立医院"]["exclude"]) and "基层卫生" in " ".join(by_name["医改与公立医院"]["exclude"])
    assert "医共体" in (DATA_DIR / "themes.yml").read_text(encoding="utf-8").split("\nthemes:")[0]  # stated in the header rules


def test_every_seed_is_one_token_of_one_theme(codebook):
    tokenizer = Tokenizer()
    seen: dict[str, str] = {}
    for theme in codebook:
        seeds = [str(s) for s in theme["seeds"]]
        assert 15 <= len(seeds) <= 45, (theme["name"], len(seeds))
        for seed in seeds:
            assert tokenizer.tokenize(seed) == [seed], (theme["name"], seed, tokenizer.tokenize(seed))
            assert seen.setdefault(seed, theme["name"]) == theme["name"], (seed, seen[seed], theme["name"])


def test_check_set_labels_every_seed_item_once(corpus, codebook, checkset):
    assert list(checkset.columns) == ["doc_id", "item_id", "theme", "excerpt"]
    assert len(checkset) == len(corpus.items) == 198 and checkset.item_id.is_unique
    assert set(checkset.item_id) == set(corpus.items.item_id)
    assert set(checkset.theme) <= {t["name"] for t in codebook} | {OTHER}
    items = corpus.items.set_index("item_id").loc[checkset.item_id]
    assert (items.doc_id.to_numpy() == checkset.doc_id.to_numpy()).all()
    # the excerpt is the opening of the very item labelled, so a shifted row is caught
    assert all(text.startswith(excerpt) and len(excerpt) >= 10 for text, excerpt in zip(items.text, checkset.excerpt))


def test_check_set_applies_the_codebook_rules(checkset):
    theme = checkset.set_index("item_id").theme
    assert theme["wanzhou-2024-0014"] == "医改与公立医院"  # 紧密型县域医共体 building: governance
    assert theme["chizhou-2024-0025"] == "基层卫生"  # 基本公共卫生服务 delivered by primary care
    assert theme["xian-2024-0019"] == "基层卫生"  # support for township health centres inside one city
    assert theme["wanzhou-2024-0001"] == "区域协同与对外合作"  # 成渝地区双城经济圈
    assert theme["xian-2024-0025"] == "中医药"  # TCM workforce: the domain wins over 人才与科研
    assert theme["wanzhou-2024-0049"] == "医改与公立医院"  # hospital financial risk
    assert theme["wanzhou-2024-0048"] == "疾病预防控制"  # laboratory biosafety
    assert checkset.theme.nunique() == 19 and checkset.groupby("doc_id").theme.nunique().min() >= 8


def test_lexicon_is_general_vocabulary_not_lifted_from_the_seed_plans(seed_occurrence):
    n = len(seed_occurrence)
    one_plan = sum(len(plans) == 1 for _, plans in seed_occurrence.values())
    one_item = sum(len(items) == 1 for items, _ in seed_occurrence.values())
    assert one_plan / n <= MAX_ONE_PLAN_SHARE, (one_plan, n)
    assert one_item / n <= MAX_ONE_ITEM_SHARE, (one_item, n)
    # most seeds that the seed plans use at all recur in at least two of them
    used = [plans for _, plans in seed_occurrence.values() if plans]
    assert sum(len(p) >= 2 for p in used) / len(used) >= 0.55
    # the lexicon also carries national vocabulary the five plans never use (for plans not yet seen)
    assert sum(not plans for _, plans in seed_occurrence.values()) >= 50
