"""Attention profiles and share shifts: constructed inputs with known answers, then the seed corpus end to end."""

from __future__ import annotations

import json
import re
import shutil
import warnings
from html import escape as html_escape
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from analysis.report import plots
from analysis.cli import main
from analysis.errors import InputError
from analysis.methods.comparability import STATUS_LABELS, comparability_warnings, comparison_kind
from analysis.methods.continuity import match_items
from analysis.methods.keyness import keyness
from analysis.methods.profiles import (
    attention_profiles,
    distance_matrix,
    document_shares,
    effective_sizes,
    js_distance,
    label_items,
)
from analysis.methods.selectors import parse_selector
from analysis.methods.shifts import SHIFT_COLUMNS, Comparison, compare_groups, comparison_name, share_shifts, summarize_shifts
from analysis.store import read_table

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "03_priority_shifts.ipynb"

LABELS = {0: "党建", 1: "疾病预防控制", 2: "基层卫生", 3: "中医药"}


def labelled(spec: dict[str, list[int]], chars: dict[str, list[int]] | None = None, labels: dict = LABELS) -> pd.DataFrame:
    """Labelled items: ``{doc_id: [theme_id of item 1, item 2, …]}`` (optionally their n_chars and theme labels)."""
    rows = []
    for doc, themes in spec.items():
        for pos, theme in enumerate(themes, start=1):
            n_chars = chars[doc][pos - 1] if chars else 100
            rows.append({"doc_id": doc, "item_id": f"{doc}-{pos:04d}", "position": pos, "n_chars": n_chars,
                         "theme_id": theme, "theme_label": labels[theme]})  # fmt: skip
    return pd.DataFrame(rows)


def test_shares_by_items_and_by_characters():
    items = labelled({"a": [0, 1, 1, 1]}, chars={"a": [300, 100, 100, 100]})
    assert document_shares(items, "items").loc["a"].tolist() == [0.25, 0.75]
    assert document_shares(items, "chars").loc["a"].tolist() == [0.5, 0.5]
    with pytest.raises(ValueError, match="weight must be one of"):
        document_shares(items, "words")


def test_group_share_is_the_mean_of_document_shares_with_counts_and_first_position():
    items = labelled({"a": [0, 0, 0, 0], "b": [2, 1], "c": [1]})
    prof = attention_profiles(items, {"ab": ["a", "b"], "c": ["c"]}).set_index(["group", "theme_id"])
    assert prof.loc[("ab", 0), "share"] == 0.5  # a: all theme 0; b: none -> mean 0.5, not pooled 4/6
    assert prof.loc[("ab", 1), "share"] == 0.25 and prof.loc[("ab", 2), "share"] == 0.25
    assert prof.loc[("ab", 0), "n_items"] == 4 and prof.loc[("ab", 0), "n_chars"] == 400
    assert prof.loc[("ab", 1), "first_position"] == 2 and prof.loc[("ab", 2), "first_position"] == 1
    assert prof.loc[("c", 1), "share"] == 1.0 and prof.loc[("c", 1), "first_position"] == 1
    assert pd.isna(prof.loc[("c", 0), "first_position"]) and prof.loc[("c", 0), "n_items"] == 0
    assert list(prof.reset_index().columns) == ["group", "theme_id", "theme_label", "share", "n_items", "n_chars", "first_position"]


def test_identical_groups_give_zero_shift_and_nothing_significant():
    # two different plans with the same profile (1/2, 1/4, 1/4), items in another order
    items = labelled({"base": [0, 0, 1, 2] * 10, "comp": [2, 1, 0, 0] * 10})
    shifts = share_shifts(items, ["base"], ["comp"])
    assert list(shifts.columns) == SHIFT_COLUMNS
    assert (shifts.diff_pp == 0).all() and (shifts.log_ratio == 0).all() and (shifts.rank_change == 0).all()
    assert (shifts.ci_low < 0).all() and (shifts.ci_high > 0).all()
    assert (shifts.p_value == 1).all() and (shifts.q_value == 1).all() and not shifts.significant.any()
    assert set(shifts.status) == {"similar"}
    findings = summarize_shifts(shifts, "青岛市 2021", "青岛市 2024", "items", 0.0, 40, 40)
    assert findings[0] == "青岛市 2024 与 青岛市 2021 相比（按条目计，基准 40 条，比较 40 条），无主题的占比变化超出抽样误差（3 个主题均不显著）。"
    assert "「" not in " ".join(findings)  # no theme is named


def test_zero_counts_in_small_plans_are_not_findings():
    # the case: a theme with 0 of 11 items in one plan and 3 of 21 in the other
    items = labelled({"base": [0] * 11, "comp": [0] * 18 + [1] * 3})
    shifts = share_shifts(items, ["base"], ["comp"]).set_index("theme_id")
    assert shifts.loc[1, "status"] == "new" and shifts.loc[1, "diff_pp"] == pytest.approx(100 * 3 / 21, abs=1e-4)
    assert shifts.loc[1, "ci_low"] < 0 < shifts.loc[1, "ci_high"] and not shifts.loc[1, "significant"]
    first = summarize_shifts(shifts.reset_index(), "a", "b", "items", 0.3, 11, 21)[0]
    assert "无主题的占比变化超出抽样误差" in first


def test_one_overwhelming_change_is_significant_and_named():
    items = labelled({"base": [0] * 30 + [1] * 10, "comp": [0] * 10 + [1] * 30})
    shifts = share_shifts(items, ["base"], ["comp"]).set_index("theme_id")
    assert shifts.significant.all() and shifts.loc[1, "status"] == "up" and shifts.loc[0, "status"] == "down"
    assert shifts.loc[1, "ci_low"] > 0 and shifts.loc[0, "ci_high"] < 0 and shifts.q_value.max() < 0.001
    up, down, _ = summarize_shifts(shifts.reset_index(), "青岛市 2021", "青岛市 2024", "items", 0.5, 40, 40)
    assert up.startswith("青岛市 2024 与 青岛市 2021 相比（按条目计，基准 40 条，比较 40 条），占比显著上升：「疾病预防控制」25.0% → 75.0%")
    assert down.startswith("占比显著下降：「党建」75.0% → 25.0%")
    cross = share_shifts(items, ["base"], ["comp"], kind="cross_sectional").set_index("theme_id")
    assert cross.loc[1, "status"] == "higher" and cross.loc[0, "status"] == "lower"
    up, down, _ = summarize_shifts(cross.reset_index(), "2024 除西安市外", "2024 西安市", "items", 0.5, 40, 40, "cross_sectional")
    assert "占比显著较高：「疾病预防控制」基准 25.0%，比较 75.0%" in up and "→" not in up + down


def test_significance_needs_the_adjusted_test_across_themes():
    # 12 of 60 vs 25 of 63 items: alone p = 0.029 and the interval excludes 0, but 8 themes are tested at once
    many = {**LABELS, **{t: f"主题{t}" for t in range(4, 10)}}
    others = list(range(4, 10)) * 3
    items = labelled({"base": [0] * 12 + [1] * 30 + others, "comp": [0] * 25 + [1] * 20 + others}, labels=many)
    row = share_shifts(items, ["base"], ["comp"]).set_index("theme_id").loc[0]
    assert row.p_value == pytest.approx(0.029071, abs=1e-6) and row.ci_low > 0
    # Benjamini–Hochberg: the smallest of 8 p-values times 8 (the next, 疾病预防控制's, times 8 / 2 is larger)
    assert row.q_value == pytest.approx(row.p_value * 8, abs=1e-5) and row.q_value > 0.05
    assert not row.significant and row.status == "similar"


def test_new_and_dropped_themes_in_both_wordings():
    items = labelled({"base": [0, 0, 0, 1], "comp": [0, 2, 2, 2]})
    shifts = share_shifts(items, ["base"], ["comp"]).set_index("theme_id")
    assert shifts.loc[2, "status"] == "new" and shifts.loc[2, "diff_pp"] == 75.0 and pd.isna(shifts.loc[2, "log_ratio"])
    assert shifts.loc[1, "status"] == "dropped" and shifts.loc[1, "diff_pp"] == -25.0
    assert shifts.loc[0, "log_ratio"] == pytest.approx(np.log2(0.25 / 0.75), abs=1e-4)
    assert shifts.loc[0, "rank_change"] == -1  # first in base, second in compare
    assert 3 not in shifts.index  # absent from both groups
    assert shifts.index.tolist() == [2, 1, 0]  # largest rise first
    cross = share_shifts(items, ["base"], ["comp"], kind="cross_sectional").set_index("theme_id")
    assert cross.loc[2, "status"] == "compare_only" and cross.loc[1, "status"] == "base_only"


def test_character_shares_rest_on_the_effective_number_of_items():
    # one long item and three short ones: by characters the plan counts as 3 items, not 600 characters
    items = labelled({"a": [0, 1, 1, 1], "b": [0, 1, 1, 1]}, chars={"a": [300, 100, 100, 100], "b": [300, 100, 100, 100]})
    assert effective_sizes(items, "chars").tolist() == pytest.approx([3.0, 3.0])
    assert effective_sizes(items, "items").tolist() == [4.0, 4.0]
    by_chars = share_shifts(items, ["a"], ["b"], "chars").set_index("theme_id")
    by_items = share_shifts(items, ["a"], ["b"], "items").set_index("theme_id")
    assert (by_chars.ci_high - by_chars.ci_low > by_items.ci_high - by_items.ci_low).all()  # fewer effective draws, wider


def test_comparison_folder_names_are_unique_and_hashed_when_shortened():
    qingdao = comparison_name(parse_selector("city=青岛市,year=2021"), parse_selector("city=青岛市,year=2024"), "items")
    assert qingdao == "city-青岛市_year-2021__vs__city-青岛市_year-2024__items"  # short and safe: unchanged
    many = "|".join(f"合成市{i:04d}" for i in range(40))
    first = comparison_name(parse_selector(f"city={many}|甲市"), parse_selector("year=2024"), "items")
    second = comparison_name(parse_selector(f"city={many}|乙市"), parse_selector("year=2024"), "items")
    assert first != second and len(first) == len(second) == 120 and re.search(r"-[0-9a-f]{10}$", first)
    # values that differ only in characters unsafe in file names do not collide either
    slash = comparison_name(parse_selector("doc_id=a/b"), parse_selector("doc_id=c"), "items")
    colon = comparison_name(parse_selector("doc_id=a:b"), parse_selector("doc_id=c"), "items")
    assert slash != colon and "/" not in slash and ":" not in colon


DOCUMENTS = pd.DataFrame(
    {
        "doc_id": ["jia-2021", "jia-2024", "yi-2024", "bing-2023", "bing-2024"],
        "city": ["甲市", "甲市", "乙市", "丙县", "丙县"],
        "admin_level": ["city", "city", "city", "county", "county"],
        "year": [2021, 2024, 2024, 2023, 2024],
        "doc_type": ["business_targets", "work_plan", "work_plan", "work_plan", "work_plan"],
    }
)
ITEMS_PER_DOC = pd.Series({"jia-2021": 10, "jia-2024": 20, "yi-2024": 25, "bing-2023": 30, "bing-2024": 30})


def test_comparison_kind_is_temporal_only_for_the_same_places_later():
    assert comparison_kind(DOCUMENTS, ["jia-2021"], ["jia-2024"]) == "temporal"
    assert comparison_kind(DOCUMENTS, ["jia-2024"], ["yi-2024"]) == "cross_sectional"  # same year, other place
    assert comparison_kind(DOCUMENTS, ["jia-2021"], ["yi-2024"]) == "cross_sectional"  # later, but another place
    assert comparison_kind(DOCUMENTS, ["jia-2024"], ["jia-2021"]) == "cross_sectional"  # compare earlier than base
    assert comparison_kind(DOCUMENTS, ["jia-2021", "bing-2023"], ["jia-2024", "bing-2024"]) == "temporal"


def test_comparability_warnings_for_each_rule_and_none_for_like_plans():
    assert comparability_warnings(DOCUMENTS, ["jia-2024"], ["yi-2024"], ITEMS_PER_DOC) == []  # 20 vs 25 items: within 1.5x
    doc_type, items = comparability_warnings(DOCUMENTS, ["jia-2021"], ["jia-2024"], ITEMS_PER_DOC)
    assert doc_type.startswith("两组文件类型不同（基准：业务目标；比较：工作要点）")
    assert items.startswith("两组每份文件的事项数相差超过 1.5 倍（基准平均 10 条，比较平均 20 条）")
    [level] = comparability_warnings(DOCUMENTS, ["jia-2024"], ["bing-2024"], ITEMS_PER_DOC)
    assert level.startswith("两组行政级别不同（基准：市；比较：县）")
    [years] = comparability_warnings(DOCUMENTS, ["jia-2024", "yi-2024"], ["bing-2023", "bing-2024"], ITEMS_PER_DOC)[1:]
    assert years == "比较组包含不同年份的文件（2023、2024），组内差异混入了时间变化"
    overlap = comparability_warnings(DOCUMENTS, ["jia-2024", "yi-2024"], ["yi-2024"], ITEMS_PER_DOC)
    assert overlap == ["有 1 份文件同时属于两组，两组不独立，区间偏宽、差异偏小"]


def test_continuity_statuses_in_cross_sectional_words():
    base = pd.DataFrame({"item_id": ["b1", "b2", "b3"], "text": ["B1", "B2", "B3"]})
    comp = pd.DataFrame({"item_id": ["c1", "c2", "c3"], "text": ["C1", "C2", "C3"]})
    base_tokens = [["托育", "托位", "普惠"], ["医共体", "紧密型", "县域"], ["献血", "血站"]]
    comp_tokens = [["托育", "托位", "普惠"], ["医共体", "县域", "药房", "共享"], ["职业病", "尘肺"]]
    temporal = match_items(base, comp, base_tokens, comp_tokens)
    cross = match_items(base, comp, base_tokens, comp_tokens, kind="cross_sectional")
    assert temporal.status.tolist() == ["continued", "reworded", "new", "dropped"]
    assert cross.status.tolist() == ["shared", "related", "compare_only", "base_only"]
    assert [STATUS_LABELS[s] for s in cross.status] == ["共有", "共有（措辞不同）", "仅见于比较组", "仅见于基准组"]
    assert cross.drop(columns="status").equals(temporal.drop(columns="status"))


def test_jensen_shannon_distance_base_2():
    assert js_distance([0.2, 0.3, 0.5], [0.2, 0.3, 0.5]) == 0
    assert js_distance([0.5, 0.5, 0], [0, 0, 1]) == pytest.approx(1.0)
    # p = (1, 0), q = (.5, .5): JSD = .5 log2(4/3) + .5 (.5 log2(2/3) + .5 log2 2) = 0.3113
    assert js_distance([1, 0], [0.5, 0.5]) == pytest.approx(np.sqrt(0.311278), abs=1e-6)
    items = labelled({"a": [0, 1], "b": [1, 0], "c": [2, 3]})
    dist = distance_matrix(document_shares(items))
    assert dist.loc["a", "b"] == 0 and dist.loc["a", "c"] == pytest.approx(1.0)
    assert np.allclose(dist, dist.T) and (np.diag(dist) == 0).all()


def test_label_items_requires_a_theme_for_every_item():
    items = labelled({"a": [0, 1]}).drop(columns=["theme_id", "theme_label"])
    themes = pd.DataFrame({"doc_id": ["a"], "item_id": ["a-0001"], "theme_id": [0], "theme_label": ["党建"]})
    with pytest.raises(InputError, match=r"item_themes.csv: 1 of 2 items have no theme \(e.g. a-0002\)"):
        label_items(items, themes, "item_themes.csv")
    full = pd.concat([themes, themes.assign(item_id="a-0002", theme_id=3, theme_label="中医药")])
    assert label_items(items, full).theme_id.tolist() == [0, 3]


FINDING_RE = re.compile(
    r"「(.+?)」([\d.]+)% → ([\d.]+)%（([+-][\d.]+) 个百分点，95% 区间 ([+-][\d.]+) 至 ([+-][\d.]+)，校正 p = ([\d.]+)）"
)


def test_summary_names_only_significant_changes_as_in_the_table():
    # 党建 falls and 疾病预防控制 rises far beyond noise; 基层卫生 and 中医药 move a little
    items = labelled({"base": [0] * 30 + [1] * 10 + [2] * 6 + [3] * 4, "comp": [0] * 10 + [1] * 30 + [2] * 4 + [3] * 6})
    shifts = share_shifts(items, ["base"], ["comp"])
    up, down, overall = summarize_shifts(shifts, "青岛市 2021", "青岛市 2024", "items", 0.4321, 50, 50)
    assert up.startswith("青岛市 2024 与 青岛市 2021 相比（按条目计，基准 50 条，比较 50 条），占比显著上升：")
    table = shifts.set_index("theme_label")
    quoted = FINDING_RE.findall(up) + FINDING_RE.findall(down)
    assert [q[0] for q in quoted] == ["疾病预防控制", "党建"]  # the small moves are not named
    assert not table.loc[["基层卫生", "中医药"], "significant"].any()
    for label, base, comp, diff, low, high, q in quoted:
        row = table.loc[label]
        assert row.significant
        assert float(base) == round(100 * row.base_share, 1) and float(comp) == round(100 * row.compare_share, 1)
        assert (float(diff), float(low), float(high)) == tuple(round(row[c], 1) for c in ("diff_pp", "ci_low", "ci_high"))
        assert float(q) == round(row.q_value, 3)
    assert "Jensen–Shannon 距离 0.43" in overall and "新出现主题 0 个，消失 0 个" in overall
    assert "4 个主题间 Benjamini–Hochberg 校正" in overall
    only_falls = summarize_shifts(shifts[shifts.diff_pp < 0], "a", "b", "chars", 0.1, 900, 800)
    assert only_falls[0].endswith("占比显著上升：无。") and "按字数计，基准 900 字，比较 800 字" in only_falls[0]


def test_charts_draw_chinese_labels_without_missing_glyphs(tmp_path):
    items = labelled({"base": [0, 0, 1, 2, 3] * 8, "comp": [1, 1, 2, 2, 2, 3] * 8})
    shifts = share_shifts(items, ["base"], ["comp"])
    terms = keyness([["托育", "托位"], ["托育"]], [["医养结合", "安宁疗护"], ["医养结合"]])
    shares = document_shares(items).rename(columns=LABELS)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        figures = [
            plots.interval_shift_chart(shifts, "青岛市 2024 相对 青岛市 2021"),
            plots.dumbbell_chart(shifts, "青岛市 2021", "青岛市 2024", "各主题占比"),
            plots.keyness_chart(terms, "青岛市 2021", "青岛市 2024"),
            plots.share_heatmap(shares, "各文件主题占比"),
        ]
        for n, fig in enumerate(figures):
            fig.savefig(tmp_path / f"{n}.png")
    ax = figures[0].axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == shifts.sort_values("diff_pp").theme_label.tolist()  # largest rise on top
    texts = [t.get_text() for t in ax.texts]
    assert "消失" in " ".join(texts)  # 党建 is absent from the compare plan
    colors = {label: bar.get_facecolor() for label, bar in zip(labels, ax.patches)}
    assert shifts.significant.any() and not shifts.significant.all()
    grey = [colors[label] for label in shifts.loc[~shifts.significant, "theme_label"]]
    assert all(c == grey[0] for c in grey) and all(colors[label] != grey[0] for label in shifts.loc[shifts.significant, "theme_label"])
    assert all((tmp_path / f"{n}.png").stat().st_size > 5000 for n in range(4))


# --- the real seed corpus, themes from the themes step ------------------------------------------

QINGDAO = ("city=青岛市,year=2021", "city=青岛市,year=2024")
XIAN_VS_REST = ("year=2024,city!=西安市", "year=2024,city=西安市")


@pytest.fixture(scope="module")
def folder(themed, tmp_path_factory) -> Path:
    """A private copy of the ``themed`` processed folder, for the default output folders."""
    out = tmp_path_factory.mktemp("shifts") / "processed"
    shutil.copytree(themed, out)
    return out


def run_cli(*argv: str) -> int:
    return main(["shifts", *argv])


def test_cli_writes_one_folder_per_comparison(folder, capsys):
    assert run_cli("--processed", str(folder), "--base", QINGDAO[0], "--compare", QINGDAO[1]) == 0
    assert run_cli("--processed", str(folder), "--base", XIAN_VS_REST[0], "--compare", XIAN_VS_REST[1]) == 0
    qingdao = folder / "shifts" / "city-青岛市_year-2021__vs__city-青岛市_year-2024__items"
    xian = folder / "shifts" / "year-2024_city-not-西安市__vs__year-2024_city-西安市__items"
    for folder in (qingdao, xian):
        assert sorted(p.name for p in folder.iterdir()) == ["comparison.json", "continuity.csv", "keyness.csv", "shares.csv", "shifts.csv"]
    out = capsys.readouterr().out
    assert "wrote shares.csv" in out and "! 两组文件类型不同（基准：业务目标；比较：工作要点）" in out

    info = json.loads((xian / "comparison.json").read_text(encoding="utf-8"))
    assert info["base_doc_ids"] == ["qingdao-2024", "chizhou-2024", "wanzhou-2024"] and info["compare_doc_ids"] == ["xian-2024"]
    assert info["kind"] == "cross_sectional" and info["multiplicity"] == "benjamini-hochberg"
    assert info["warnings"] == ["两组行政级别不同（基准：市、区；比较：市），差异可能部分来自文件本身的差别，而非工作重点的变化"]
    assert info["n_eff_compare"] == 35 and info["n_eff_base"] == pytest.approx(9 / (1 / 21 + 1 / 74 + 1 / 57), abs=1e-3)
    xian_shifts = read_table(xian, "shifts")
    assert set(xian_shifts.status) <= {"compare_only", "base_only", "higher", "lower", "similar"}
    assert set(read_table(xian, "continuity").status) <= {"shared", "related", "compare_only", "base_only"}
    # no theme of Xi'an differs beyond noise: the first finding says so, naming no theme
    assert info["n_significant"] == int(xian_shifts.significant.sum()) == 0
    assert info["findings"][0].endswith(f"无主题的占比差异超出抽样误差（{len(xian_shifts)} 个主题均不显著）。")
    assert not any("新增" in f or "消失" in f for f in info["findings"])

    shares = read_table(qingdao, "shares")
    assert list(shares.columns) == ["group", "theme_id", "theme_label", "share", "n_items", "n_chars", "first_position", "role"]
    by_group = shares.groupby("group", sort=False)
    assert list(by_group.groups) == [*QINGDAO, "qingdao-2024", "chizhou-2024", "qingdao-2021", "xian-2024", "wanzhou-2024"]
    assert np.allclose(by_group.share.sum(), 1.0)
    assert by_group.n_items.sum().to_dict() == {**dict(zip(QINGDAO, [11, 21])), "qingdao-2024": 21, "chizhou-2024": 74,
                                                "qingdao-2021": 11, "xian-2024": 35, "wanzhou-2024": 57}  # fmt: skip
    assert shares.loc[shares.group == QINGDAO[1], "first_position"].min() == 1

    shifts = read_table(qingdao, "shifts")
    assert list(shifts.columns) == SHIFT_COLUMNS
    pivot = shares[shares.role != "document"].pivot(index="theme_id", columns="role", values="share")
    table = shifts.set_index("theme_id")
    assert np.allclose(table.diff_pp, 100 * (pivot["compare"] - pivot["base"]).loc[table.index], atol=1e-3)
    assert ((table.ci_low <= table.diff_pp + 1e-9) & (table.diff_pp <= table.ci_high + 1e-9)).all()
    assert set(table.status) <= {"new", "dropped", "up", "down", "similar"}
    assert (table.significant == ((table.q_value < 0.05) & ((table.ci_low > 0) | (table.ci_high < 0)))).all()
    summary = json.loads((qingdao / "comparison.json").read_text(encoding="utf-8"))
    assert 0.3 < summary["js_distance"] < 1 and summary["kind"] == "temporal"
    assert [w[:8] for w in summary["warnings"]] == ["两组文件类型不同", "两组每份文件的事"]  # 业务目标 vs 工作要点; 11 vs 21 items
    for label, base, comp, diff, low, high, q in FINDING_RE.findall(" ".join(summary["findings"])):
        row = shifts.set_index("theme_label").loc[label]
        assert row.significant
        assert (float(diff), float(low), float(high)) == tuple(round(row[c], 1) for c in ("diff_pp", "ci_low", "ci_high"))
    # 0 of 11 items vs 3 of 21 (医改与公立医院): new, but not a finding
    new = table[table.status == "new"]
    assert len(new) == 7 and not new.significant.any() and (new.ci_low < 0).all()

    keyness = read_table(qingdao, "keyness")
    base_terms = keyness[keyness.side == "base"].term.head(10).tolist()
    assert "血液" in base_terms  # Qingdao 2021 has blood-supply targets, 2024 none
    assert not {"青岛", "青岛市"} & set(keyness.term)  # place names are not terms

    continuity = read_table(qingdao, "continuity")
    assert (continuity.status != "dropped").sum() == 21  # every 2024 item once
    pairs = continuity.set_index("compare_item_id")
    # 疾控 reform carried over from the 2021 targets into the 2024 plan
    assert pairs.loc["qingdao-2024-0010", "base_item_id"] == "qingdao-2021-0011"
    assert pairs.loc["qingdao-2024-0010", "status"] == "reworded"


def test_cli_is_deterministic_and_weights_by_characters(themed, tmp_path):
    args = ["--processed", str(themed), "--base", QINGDAO[0], "--compare", QINGDAO[1], "--weight", "chars"]
    assert run_cli(*args, "--out", str(tmp_path / "a")) == 0 and run_cli(*args, "--out", str(tmp_path / "b")) == 0
    for name in ("shares.csv", "shifts.csv", "keyness.csv", "continuity.csv", "comparison.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    shares = read_table(tmp_path / "a", "shares")
    doc = shares[shares.group == "qingdao-2021"]
    assert np.allclose(doc.share, doc.n_chars / doc.n_chars.sum())  # character weights


@pytest.mark.parametrize(
    "base, message",
    [
        ("cty=青岛市", "unknown field 'cty'"),
        ("city=青岛市,year=2022", "year values: 2021, 2024"),
        ("city=西安市,year=2021", "no document matches group selector"),
    ],
)
def test_cli_bad_selector_is_one_line_and_exit_2(themed, capsys, base, message):
    assert run_cli("--processed", str(themed), "--base", base, "--compare", QINGDAO[1]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {themed / 'documents.csv'}: ") and message in err and err.count("\n") == 1


def test_missing_themes_say_which_step_to_run(processed, capsys):
    assert run_cli("--processed", str(processed), "--base", QINGDAO[0], "--compare", QINGDAO[1]) == 2
    assert "item_themes.csv: not found; run `python -m analysis themes` first" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("base, compare", [QINGDAO, XIAN_VS_REST])
def test_notebook_runs_under_papermill(themed, tmp_path, base, compare):
    import papermill

    out = tmp_path / "03_priority_shifts.ipynb"
    params = {"base": base, "compare": compare, "processed": str(themed)}
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters=params, cwd=str(NOTEBOOK.parent), progress_bar=False)
    cells = nbformat.read(out, as_version=4).cells
    outputs = [o for c in cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if "Glyph" in o.get("text", "")]  # every Chinese label has its glyphs
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    result = compare_groups(themed, base, compare)
    for finding in [*result.findings(), *result.warnings]:
        assert html_escape(finding) in html  # the header shows the findings computed from the table, and the warnings
    assert html.index(html_escape(result.warnings[0])) < html.index("基准占比")  # warnings at the top, before the tables
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4  # shifts, dumbbell, keyness, heatmap
    assert "method-notes" in html and "事项延续" in "".join(c.source for c in cells)
    assert "qingdao-20" not in html and "xian-2024" not in html and "True" not in html  # names, not ids; 是/否


def test_committed_notebook_has_no_outputs_and_one_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert sum("parameters" in c.metadata.get("tags", []) for c in nb.cells) == 1
    params = code[0].source
    for name in ("base", "compare", "weight", "processed"):
        assert re.search(rf"^{name} = ", params, re.M), name
    assert all(line.count("=") == 1 for line in params.splitlines())  # papermill skips lines with more than one


def test_reports_show_the_two_groups_documents_first_and_at_most_the_limit(themed):
    result = compare_groups(themed, "year=2024,city!=西安市", "year=2024,city=西安市")
    assert list(result.document_shares.index) == ["青岛市 2024", "池州市 2024", "万州区 2024", "西安市 2024", "青岛市 2021"]
    assert list(result.shown_document_shares(limit=4).index) == ["青岛市 2024", "池州市 2024", "万州区 2024", "西安市 2024"]
    assert len(result.shown_document_shares()) == 5


def test_reports_list_every_compare_item_and_a_capped_number_of_unmatched_base_items():
    from types import SimpleNamespace

    frame = pd.DataFrame({"status": ["shared", "compare_only", "base_only", "base_only", "base_only", "related", "dropped"], "n": range(7)})
    listed = Comparison.shown_continuity(SimpleNamespace(continuity=frame), limit=2)
    assert listed.n.tolist() == [0, 1, 5, 2, 3]  # compare items in order, then the first two without a counterpart
