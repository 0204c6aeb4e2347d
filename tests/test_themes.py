"""Theme clustering: estimator, naming and the quality bar on the real seed corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import normalize

from analysis.methods import themes
from analysis.cli import main
from analysis.errors import InputError
from analysis.store import read_table
from analysis.text.tokenize import Tokenizer
from conftest import REPO

CHECKSET = pd.read_csv(Path(__file__).parent / "data" / "theme_checkset.csv", dtype=str)
EXPERT_THEMES = {"疾病预防控制", "基层卫生", "医改与公立医院", "医疗服务与质量", "中医药", "妇幼健康", "人口与托育",
                 "老年健康与医养结合", "职业健康", "健康城市与爱国卫生", "卫生应急与血液保障", "卫生健康信息化",
                 "人才与科研", "法治与综合监管", "党建与行风"}  # fmt: skip


@pytest.fixture(scope="module")
def result(corpus):
    return themes.find_themes(corpus.items, corpus.documents)


# --------------------------------------------------------------------------- small inputs, known answers


def _blobs():
    """Three groups of 4 rows each, in 6 dimensions, L2-normalised."""
    rng = np.random.default_rng(0)
    base = np.repeat(np.eye(6)[[0, 2, 4]], 4, axis=0)
    return normalize(base + 0.15 * rng.random((12, 6))), np.repeat([0, 1, 2], 4)


def test_guided_clusterer_follows_the_seeds_and_ignores_the_seed():
    X, truth = _blobs()
    seeds = np.full(12, -1)
    seeds[[0, 1, 4, 5, 8, 9]] = [2, 2, 0, 0, 1, 1]  # lexicon themes 2, 0, 1 seed the three groups
    fits = [themes.ThemeClusterer(min_seed_units=2, random_state=s).fit(X, seed_labels=seeds) for s in (0, 7)]
    assert fits[0].n_clusters_ == 3 and list(fits[0].seed_groups_) == [0, 1, 2]
    # cluster j is the one seeded by lexicon theme j
    assert list(fits[0].labels_) == [2, 2, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1]
    assert np.array_equal(fits[0].labels_, fits[1].labels_)
    assert np.array_equal(fits[0].predict(X), fits[0].labels_)
    assert fits[0].transform(X).shape == (12, 3) and fits[0].transform(X).min() >= -1e-9


def test_guided_k_larger_or_smaller_than_the_seeded_themes():
    X, truth = _blobs()
    seeds = np.full(12, -1)
    seeds[[0, 1, 4, 5, 6]] = [0, 0, 1, 1, 1]
    two = themes.ThemeClusterer(min_seed_units=2).fit(X, seed_labels=seeds)
    three = themes.ThemeClusterer(3, min_seed_units=2).fit(X, seed_labels=seeds)
    one_seeded = themes.ThemeClusterer(2, min_seed_units=3).fit(X, seed_labels=seeds)
    assert two.n_clusters_ == 2
    assert three.n_clusters_ == 3 and list(three.seed_groups_) == [0, 1, -1]
    assert themes.adjusted_rand_score(truth, three.labels_) == 1.0
    assert list(one_seeded.seed_groups_) == [1, -1]  # the larger seed group is kept
    with pytest.raises(ValueError, match="two seeded themes"):
        themes.ThemeClusterer(min_seed_units=3).fit(X, seed_labels=seeds)


def test_unsupervised_clusterer_recovers_clear_groups_and_picks_k():
    X, truth = _blobs()
    fixed = themes.ThemeClusterer(3, random_state=0).fit(X)
    assert themes.adjusted_rand_score(truth, fixed.labels_) == 1.0
    auto = themes.ThemeClusterer("auto", k_range=(2, 5), random_state=0).fit(X)
    assert auto.n_clusters_ == 3
    assert [r["k"] for r in auto.k_selection_] == [2, 3, 4, 5]


def test_spherical_kmeans_uses_cosine_not_length():
    X = normalize(np.array([[1.0, 0.1], [1.0, 0.0], [0.0, 1.0], [0.1, 1.0], [0.7, 0.7]]))
    labels, centers, inertia = themes.spherical_kmeans(X, np.array([[1.0, 0.0], [0.0, 1.0]]))
    assert list(labels[:4]) == [0, 0, 1, 1]
    assert np.allclose(np.linalg.norm(centers, axis=1), 1.0) and 0 < inertia < 1


def test_seed_labels_need_a_clear_winner():
    scores = np.array([[3, 1, 0], [2, 2, 0], [0, 0, 0], [0, 1, 0], [3, 2, 0]])
    assert list(themes.seed_labels(scores)) == [0, -1, -1, 1, 0]


def test_class_tfidf_prefers_terms_typical_of_one_class():
    tokens = [["托育", "托位", "服务"], ["托育", "托位", "服务"], ["疾控", "传染病", "服务"], ["疾控", "传染病", "服务"]]
    terms, weights = themes.class_tfidf(tokens, np.array([0, 0, 1, 1]), 2)
    top = themes.top_terms(terms, weights, n=2)
    assert top == [["托位", "托育"], ["传染病", "疾控"]]
    assert "服务" not in sum(top, [])


def test_match_lexicon_names_each_theme_once():
    scores = np.array([[2, 0], [1, 0], [2, 0], [0, 0], [0, 1]])
    names = themes.match_lexicon(scores, np.array([0, 0, 1, 1, 2]), 3)
    assert list(names) == [0, -1, 1]  # cluster 1 also leans to theme 0 but with a lower share


def test_lexicon_is_valid_and_its_seeds_are_tokens(tmp_path, corpus):
    lexicon = themes.load_lexicon()
    assert 12 <= len(lexicon) <= 16 and EXPERT_THEMES <= {t.name for t in lexicon}
    tokenizer = Tokenizer()
    bad = [(t.name, s) for t in lexicon for s in t.seeds if tokenizer.tokenize(s) != [s]]
    assert not bad
    custom = [themes.Theme("托育", "", ("托育", "托育服务体系建设")), themes.Theme("中医药", "", ("中医药",))]
    res = themes.find_themes(corpus.items, corpus.documents, lexicon=custom, stability_seeds=1)
    assert res.diagnostics["seeds_not_tokens"] == ["托育服务体系建设"]
    (tmp_path / "dup.yml").write_text("themes:\n  - {name: 中医药, seeds: [中医]}\n  - {name: 中医药, seeds: [中药]}\n", encoding="utf-8")
    with pytest.raises(InputError, match="appears twice"):
        themes.load_lexicon(tmp_path / "dup.yml")
    (tmp_path / "bad.yml").write_text("themes: [{name: 中医药}]\n", encoding="utf-8")
    with pytest.raises(InputError, match="bad.yml: theme 1 needs"):
        themes.load_lexicon(tmp_path / "bad.yml")


# --------------------------------------------------------------------------- the seed corpus


def test_tables_have_the_documented_columns(result, corpus):
    assert list(result.item_themes.columns) == themes.ITEM_THEME_COLUMNS
    assert list(result.themes.columns) == themes.THEME_COLUMNS
    assert len(result.item_themes) == 198 and result.item_themes.item_id.is_unique
    assert list(result.item_themes.item_id) == list(corpus.items.item_id)
    assert result.themes["size"].sum() == 198 and list(result.themes.theme_id) == list(range(1, len(result.themes) + 1))
    assert result.themes["size"].is_monotonic_decreasing
    assert set(result.item_themes.theme_id) == set(result.themes.theme_id)
    assert result.item_themes.distance.between(0, 1).all()


def test_themes_are_the_expert_themes(result):
    labels = set(result.themes.theme_label)
    assert 12 <= len(labels) <= 16
    assert EXPERT_THEMES <= labels
    assert (result.themes.lexicon_theme == result.themes.theme_label).all()
    terms = dict(zip(result.themes.theme_label, result.themes.top_terms.str.split(";")))
    assert {"中医药", "中医"} <= set(terms["中医药"][:3])
    assert {"托位", "托育"} <= set(terms["人口与托育"][:5])
    assert "职业病危害" in terms["职业健康"][:4]


def test_representative_items_belong_to_their_theme(result):
    theme_of = dict(zip(result.item_themes.item_id, result.item_themes.theme_id))
    for row in result.themes.itertuples():
        ids = row.representative_item_ids.split(";")
        assert len(ids) == 3 and all(theme_of[i] == row.theme_id for i in ids)
    first = result.themes.set_index("theme_label").representative_item_ids
    assert "xian-2024-0030" in first["职业健康"] and "qingdao-2024-0016" in first["人口与托育"]


def test_quality_bar_stability_and_document_concentration(result):
    diag = result.diagnostics
    assert diag["stability"]["seeds"] == [0, 1, 2, 3, 4]
    assert diag["stability"]["mean_ari"] >= 0.8
    assert diag["resample_stability"]["mean_ari"] >= 0.85
    assert diag["concentrated_themes"] == []
    assert diag["seeds_not_tokens"] == []
    big = result.themes[result.themes["size"] >= 5]
    assert (big.top_doc_share <= 0.8).all() and (big.n_docs >= 3).all()


def test_agreement_with_the_hand_labelled_check_set(result):
    assert set(CHECKSET.doc_id) == {"xian-2024", "wanzhou-2024"} and len(CHECKSET) == 92
    scores = themes.agreement(result.item_themes, CHECKSET)
    assert scores["n"] == 92 and scores["nmi"] >= 0.85 and scores["ari"] >= 0.75


def test_guided_beats_unsupervised_on_the_check_set(corpus, result):
    plain = themes.find_themes(corpus.items, corpus.documents, mode="unsupervised", k=16, stability_seeds=2)
    assert themes.agreement(plain.item_themes, CHECKSET)["nmi"] < themes.agreement(result.item_themes, CHECKSET)["nmi"]
    assert plain.diagnostics["parameters"]["mode"] == "unsupervised" and plain.diagnostics["k"] == 16


def test_sentence_unit(corpus):
    res = themes.find_themes(corpus.items, corpus.documents, corpus.sentences, unit="sentence", stability_seeds=2)
    tables = res.tables()
    assert list(tables["sentence_themes"].columns) == themes.SENTENCE_THEME_COLUMNS
    assert len(tables["sentence_themes"]) == len(corpus.sentences)
    assert len(tables["item_themes"]) == 198 and tables["item_themes"].item_id.is_unique
    unassigned = tables["sentence_themes"][tables["sentence_themes"].theme_id == 0]
    assert "统筹做好其他工作。" in set(corpus.sentences.set_index("sentence_id").loc[unassigned.sentence_id, "text"])
    assert (unassigned.theme_label == themes.UNASSIGNED).all()
    assert themes.agreement(tables["item_themes"], CHECKSET)["nmi"] >= 0.7


def test_findings_and_report_tables(result, corpus):
    findings = themes.key_findings(result)
    assert len(findings) == 3
    assert "198 条事项" in findings[0] and "疾病预防控制" in findings[0]
    assert "调整兰德指数均值 1.00" in findings[2]
    shares = themes.document_theme_shares(result)
    assert shares.shape == (5, len(result.themes)) and np.allclose(shares.sum(axis=1), 1.0)
    reps = themes.representative_items(result, corpus.items)
    assert len(reps) == 3 * len(result.themes)
    assert themes.diagnostics_table(result).set_index("指标").loc["集中于单一文件的主题", "数值"] == "0"
    coords = themes.theme_map(result)
    assert len(coords) == 198 and np.isfinite(coords[["x", "y"]].to_numpy()).all()


# --------------------------------------------------------------------------- command and notebook


def test_command_writes_deterministic_outputs(themed, processed, tmp_path):
    again = tmp_path / "again"
    assert main(["themes", "--processed", str(processed), "--out", str(again)]) == 0
    for name in ("item_themes.csv", "themes.csv", "theme_diagnostics.json"):
        assert (themed / name).read_bytes() == (again / name).read_bytes(), name
    item_themes = read_table(themed, "item_themes", step="themes")
    assert item_themes.item_id.dtype == object and item_themes.theme_id.dtype == np.int64
    diag = json.loads((themed / "theme_diagnostics.json").read_text(encoding="utf-8"))
    assert diag["k"] == len(read_table(themed, "themes", step="themes")) and diag["stability"]["mean_ari"] >= 0.8


def test_command_rejects_bad_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["themes", "--k", "one"])
    assert exc.value.code == 2
    assert main(["themes", "--processed", str(tmp_path)]) == 2
    assert "documents.csv: not found; run `python -m analysis ingest`" in capsys.readouterr().err


@pytest.mark.slow
def test_notebook_runs_from_the_notebooks_folder(themed, tmp_path):
    import nbformat
    import papermill

    source = REPO / "notebooks" / "02_themes.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in committed.cells if c.cell_type == "code")
    assert sum("parameters" in c.metadata.get("tags", []) for c in committed.cells) == 1
    out = tmp_path / "02_themes.ipynb"
    papermill.execute_notebook(str(source), str(out), parameters={"processed": str(themed)}, cwd=str(REPO / "notebooks"),
                               progress_bar=False)  # fmt: skip
    executed = nbformat.read(out, as_version=4)
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "key-findings" in html and "疾病预防控制" in html and "method-notes" in html
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 5
