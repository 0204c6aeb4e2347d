"""Trends over years: a constructed multi-year corpus with known shares, the trend test, the step and the report."""

from __future__ import annotations

import re
from html import escape as html_escape
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.methods.trends import (
    ALL,
    TREND_COLUMNS,
    load_trends,
    target_trajectories,
    trend_findings,
    trend_tests,
    year_groups,
)
from analysis.store import read_table, write_tables

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_trends.ipynb"

THEMES = {0: "托育服务", 1: "疾病预防控制", 2: "中医药"}
#: Invented plan items, a few wordings per theme (written for these tests).
TEXTS = {
    0: ["新增普惠托位{n}个，推进托育服务体系建设。", "支持用人单位办托，开展托育机构质量评估{n}家。", "建设社区嵌入式托育点{n}处。"],
    1: ["完成适龄儿童免疫规划疫苗接种，接种率保持在{n}%以上。", "加强传染病监测预警，规范处置突发疫情{n}起。", "推进慢性病综合防控示范区建设{n}个。"],
    2: ["建设中医馆{n}个，推广中医适宜技术。", "开展中医药文化进校园活动{n}场。", "推进中西医协同旗舰科室建设{n}个。"],
}
#: plan (place, year) -> items per theme. 甲市 turns to 托育 (2 -> 10 of 20 items); 丙县 keeps its mix; 乙市 has two years only.
PLANS = {
    ("甲市", 2019): {0: 2, 1: 14, 2: 4},
    ("甲市", 2020): {0: 4, 1: 12, 2: 4},
    ("甲市", 2021): {0: 6, 1: 10, 2: 4},
    ("甲市", 2022): {0: 8, 1: 8, 2: 4},
    ("甲市", 2023): {0: 10, 1: 6, 2: 4},
    ("乙市", 2021): {0: 3, 1: 9, 2: 3},
    ("乙市", 2023): {0: 3, 1: 9, 2: 3},
    ("丙县", 2020): {0: 5, 1: 10, 2: 5},
    ("丙县", 2021): {0: 5, 1: 10, 2: 5},
    ("丙县", 2022): {0: 5, 1: 10, 2: 5},
}
PINYIN = {"甲市": "jia", "乙市": "yi", "丙县": "bing"}
#: 甲市's target for 每千人口托位数 rises every year; 乙市 names it once only.
TARGETS = [("甲市", 2019, 2.5), ("甲市", 2021, 3.2), ("甲市", 2023, 4.5), ("乙市", 2023, 3.0)]


def write_corpus(folder: Path) -> Path:
    """The constructed processed tables (documents, items, item_themes, targets) in ``folder``."""
    docs, items, themes, targets = [], [], [], []
    for (city, year), counts in PLANS.items():
        doc_id = f"{PINYIN[city]}-{year}"
        docs.append({"doc_id": doc_id, "file": f"{doc_id}.txt", "city": city, "province": "示例省",
                     "admin_level": "county" if city.endswith("县") else "city", "year": year,
                     "title": f"{year}年{city}卫生健康工作要点", "doc_type": "work_plan", "source": "constructed for tests"})  # fmt: skip
        position = 0
        for theme, count in counts.items():
            for k in range(count):
                position += 1
                text = TEXTS[theme][k % 3].format(n=10 * position + year % 100)
                item_id = f"{doc_id}-{position:04d}"
                items.append({"doc_id": doc_id, "item_id": item_id, "position": position, "section": "", "subsection": "",
                              "number": str(position), "headline": "", "text": text, "departments": "", "n_chars": len(text)})  # fmt: skip
                themes.append({"doc_id": doc_id, "item_id": item_id, "theme_id": theme, "theme_label": THEMES[theme], "distance": 0.3})
    for city, year, value in TARGETS:
        doc_id = f"{PINYIN[city]}-{year}"
        targets.append({"doc_id": doc_id, "item_id": f"{doc_id}-0001", "indicator": "每千人口拥有托位数",
                        "indicator_key": "每千人口托位数", "value": str(value), "value_num": value, "unit": "个",
                        "comparator": "≥", "deadline": "", "quote": f"每千人口拥有托位数达到{value}个", "is_benchmark": False,
                        "theme_id": 0, "theme_label": THEMES[0]})  # fmt: skip
    tables = {"documents": pd.DataFrame(docs), "items": pd.DataFrame(items), "item_themes": pd.DataFrame(themes),
              "targets": pd.DataFrame(targets)}  # fmt: skip
    write_tables(tables, folder)
    return folder


@pytest.fixture(scope="module")
def constructed(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("multi-year"))


def test_series_are_the_whole_corpus_and_places_with_three_years(constructed):
    documents = read_table(constructed, "documents")
    groups = year_groups(documents, "city")
    assert list(groups) == [ALL, "丙县", "甲市"]  # 乙市 has plans in two years only
    assert len(groups[ALL]) == 10 and groups["甲市"] == [f"jia-{y}" for y in range(2019, 2024)]
    assert list(year_groups(documents, None)) == [ALL]


def test_shares_by_year_are_the_constructed_ones(constructed):
    result = load_trends(constructed)
    trends = result.trends
    assert list(trends.columns) == TREND_COLUMNS
    jia = trends[(trends.group == "甲市") & (trends.theme_label == "托育服务")].sort_values("year")
    assert jia.share.tolist() == [0.1, 0.2, 0.3, 0.4, 0.5] and jia.n_items.tolist() == [20] * 5
    assert ((jia.ci_low < jia.share) & (jia.share < jia.ci_high)).all()
    # 全部 in 2021: mean of 甲市 (6/20), 乙市 (3/15), 丙县 (5/20) = 0.25, from 55 items of 3 plans
    row = trends[(trends.group == ALL) & (trends.year == 2021) & (trends.theme_id == 0)].iloc[0]
    assert row.share == pytest.approx(0.25) and row.n_items == 55 and row.n_docs == 3
    assert row.n_eff == pytest.approx(9 / (1 / 20 + 1 / 15 + 1 / 20), abs=1e-4)
    assert np.allclose(trends.groupby(["group", "year"]).share.sum(), 1.0)


def test_trend_test_finds_the_constructed_rise_and_no_trend_in_a_steady_place(constructed):
    tests = load_trends(constructed).tests.set_index(["group", "theme_label"])
    rise = tests.loc[("甲市", "托育服务")]
    assert rise.slope_pp == pytest.approx(10.0) and rise.monotone and rise.significant
    # z = 0.1 * sqrt(20 * 10) / sqrt(0.3 * 0.7) = 3.086; the smallest of 3 p-values, times 3 under Benjamini–Hochberg
    assert rise.z == pytest.approx(3.0861, abs=1e-4) and rise.q_value == pytest.approx(3 * rise.p_value, abs=1e-5)
    fall = tests.loc[("甲市", "疾病预防控制")]
    assert fall.slope_pp == pytest.approx(-10.0) and fall.monotone and fall.significant
    flat = tests.loc[("甲市", "中医药")]
    assert flat.slope_pp == pytest.approx(0.0) and flat.p_value == pytest.approx(1.0) and not flat.significant and not flat.monotone
    steady = tests.loc["丙县"]
    assert (steady.slope_pp == 0).all() and not steady.significant.any()
    assert "乙市" not in tests.index.get_level_values(0)


def test_cochran_armitage_by_hand():
    # three years of 100 items, 10, 20, 30 in the theme: slope 10 pp a year,
    # z = 0.1 * sqrt(200) / sqrt(0.2 * 0.8) = 3.5355, p = 0.000407
    trends = pd.DataFrame({"group": "g", "year": [2019, 2020, 2021], "theme_id": 0, "theme_label": "托育服务",
                           "share": [0.1, 0.2, 0.3], "n_eff": 100.0})  # fmt: skip
    row = trend_tests(trends).iloc[0]
    assert row.slope_pp == pytest.approx(10.0) and row.z == pytest.approx(3.5355, abs=1e-4)
    assert row.p_value == pytest.approx(0.000407, abs=1e-6) and row.q_value == row.p_value
    reversed_ = trend_tests(trends.assign(share=[0.1, 0.3, 0.2])).iloc[0]
    assert not reversed_.monotone and reversed_.slope_pp == pytest.approx(5.0)


def test_findings_name_only_significant_movers(constructed):
    result = load_trends(constructed)
    first, second = result.findings()
    assert first.startswith("3 个序列有 3 个或以上年份：全部（2019–2023，5 年）；丙县（2020–2022，3 年）；甲市（2019–2023，5 年）")
    assert "甲市「托育服务」10.0%（2019）→ 50.0%（2023），每年 +10.0 个百分点" in second
    assert "丙县" not in second and "Cochran–Armitage" in second


def test_seed_corpus_says_plainly_that_no_group_has_three_years(themed):
    result = load_trends(themed)
    assert result.tests.empty and set(result.trends.year) == {2021, 2024}
    assert result.findings() == [
        "没有任何分组（包括全部文件）有 3 个或以上年份的文件（现有年份：2021、2024），无法判断趋势；下图只列出各年份的占比。"
    ]


def test_target_trajectories_follow_one_indicator_in_one_place(constructed):
    traj = target_trajectories(read_table(constructed, "targets"), read_table(constructed, "documents"))
    assert traj.group.unique().tolist() == ["甲市"]  # 乙市 names the indicator in one year only
    assert traj.year.tolist() == [2019, 2021, 2023] and traj.value_num.tolist() == [2.5, 3.2, 4.5]


def test_cli_writes_trends_deterministically_and_refuses_an_unknown_field(constructed, tmp_path, capsys):
    for out in ("a", "b"):
        assert main(["trends", "--processed", str(constructed), "--out", str(tmp_path / out)]) == 0
    for name in ("trends.csv", "trend_tests.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert "wrote trends.csv, trend_tests.csv" in capsys.readouterr().out
    assert main(["trends", "--processed", str(constructed), "--out", str(tmp_path / "c"), "--select", "city=甲市|丙县", "--by", "province"]) == 0
    picked = read_table(tmp_path / "c", "trends")
    assert picked.group.unique().tolist() == [ALL, "示例省"] and picked[picked.group == ALL].n_docs.sum() == 3 * 8
    assert main(["trends", "--processed", str(constructed), "--out", str(tmp_path / "d"), "--by", "cty"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {constructed / 'documents.csv'}: unknown field 'cty'") and err.count("\n") == 1
    assert not (tmp_path / "d").exists()


def test_trend_findings_without_significant_movers():
    trends = pd.DataFrame({"group": ALL, "year": [2019, 2020, 2021], "theme_id": 0, "theme_label": "托育服务",
                           "share": [0.2, 0.2, 0.2], "n_eff": 20.0})  # fmt: skip
    assert trend_findings(trends, trend_tests(trends))[1].startswith("没有主题的占比有超出抽样误差的线性趋势")


@pytest.mark.slow
def test_notebook_runs_on_the_constructed_corpus(constructed, tmp_path):
    import papermill

    out = tmp_path / "05_trends.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), parameters={"processed": str(constructed)}, cwd=str(NOTEBOOK.parent), progress_bar=False)
    cells = nbformat.read(out, as_version=4).cells
    outputs = [o for c in cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o for o in outputs if "Glyph" in o.get("text", "")]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    for finding in load_trends(constructed).findings():
        assert html_escape(finding) in html
    assert sum("image/png" in o.get("data", {}) for o in outputs) == 4  # 全部, 丙县, 甲市, target trajectories
    assert "method-notes" in html and "托育服务" in html and "True" not in html and "jia-2019" not in html


def test_committed_notebook_has_no_outputs_and_a_parseable_parameters_cell():
    from papermill.translators import PythonTranslator

    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = [p.name for p in PythonTranslator.inspect(tagged[0])]
    assert names == re.findall(r"^(\w+) = ", tagged[0].source, re.M) and {"processed", "by", "select", "weight"} <= set(names)
    assert all(p.help for p in PythonTranslator.inspect(tagged[0]))
