"""Quantitative targets: extraction against hand-made check lists, normalisation, step, report, notebook."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import cli
from analysis.methods import target_summary
from analysis.errors import InputError
from analysis.methods.indicators import IndicatorMatcher, load_synonyms, normalize_indicator
from analysis.methods.numerals import CN_NUM
from analysis.store import read_table
from analysis.methods.targets import TARGET_COLUMNS, extract_corpus_targets, extract_targets, score_targets

REPO = Path(__file__).resolve().parents[1]
CHECKLISTS = sorted((REPO / "tests" / "data").glob("targets_checklist_*.csv"))


def checklist(path: Path) -> pd.DataFrame:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return frame.assign(is_benchmark=frame.is_benchmark == "1")


@pytest.fixture(scope="module")
def targets(corpus) -> pd.DataFrame:
    return extract_corpus_targets(corpus.items)


@pytest.fixture(scope="module")
def target_dir(tmp_path_factory, processed) -> Path:
    """A copy of the ingest tables with the targets step run on it (no themes)."""
    out = tmp_path_factory.mktemp("targets")
    for name in ("documents", "items", "sentences"):
        shutil.copy(processed / f"{name}.csv", out)
    assert cli.main(["targets", "--processed", str(out)]) == 0
    return out


def simple(text: str) -> list[tuple[str, str, str, str]]:
    return [(t["indicator"], t["value"], t["unit"], t["comparator"]) for t in extract_targets(text)]


@pytest.mark.parametrize("path", CHECKLISTS, ids=lambda p: p.stem.removeprefix("targets_checklist_"))
def test_precision_and_recall_against_expert_checklists(targets, path):
    expected = checklist(path)
    doc_id = path.stem.removeprefix("targets_checklist_")
    score = score_targets(targets[targets.doc_id == doc_id], expected)
    assert score["precision"] >= 0.9, score["false_positives"]
    assert score["recall"] >= 0.9, score["false_negatives"]
    assert score["comparator_agreement"] >= 0.9, score["disagreements"]
    assert score["indicator_agreement"] >= 0.9
    assert score["deadline_agreement"] == 1.0 and score["benchmark_agreement"] == 1.0


def test_checklists_cover_the_dense_documents(targets):
    expected = pd.concat([checklist(p) for p in CHECKLISTS])
    assert {"wanzhou-2024", "chizhou-2024", "qingdao-2021"} <= {p.stem.removeprefix("targets_checklist_") for p in CHECKLISTS}
    score = score_targets(targets, expected)
    assert score["n_expected"] == 176
    assert score["precision"] >= 0.95 and score["recall"] >= 0.95


def test_score_counts_misses_and_extras():
    expected = pd.DataFrame({"item_id": ["a", "a", "b"], "value": ["4", "4", "75"], "unit": ["个", "个", "%"],
                             "indicator": ["托位", "托位", "签约率"], "comparator": ["≥", "≥", "≥"],
                             "deadline": ["", "", ""], "is_benchmark": [False] * 3})  # fmt: skip
    found = expected.iloc[[0, 2]].assign(quote="").copy()
    found.loc[2, "comparator"] = "="
    extra = found.iloc[[0]].assign(value="5")
    score = score_targets(pd.concat([found, extra]), expected)
    assert (score["tp"], score["precision"], score["recall"]) == (2, 2 / 3, 2 / 3)
    assert score["comparator_agreement"] == 0.5
    assert score["false_negatives"].value.tolist() == ["4"] and score["false_positives"].value.tolist() == ["5"]


def test_issue_examples():
    assert simple("65岁以上老年人签约率达到75%") == [("65岁以上老年人签约率", "75", "%", "≥")]
    assert simple("全市新增托位6000个以上，每千人口托位数达到4个以上。") == [
        ("新增托位", "6000", "个", "≥"), ("每千人口托位数", "4", "个", "≥")]  # fmt: skip
    assert simple("结核病报告发病率40/10万以下。") == [("结核病报告发病率", "40", "/10万", "≤")]
    assert simple("基层精防人员与患者比例达1:80。") == [("基层精防人员与患者比例", "1:80", "", "≥")]
    assert simple("县域千人口献血率达11‰以上") == [("县域千人口献血率", "11", "‰", "≥")]
    assert simple("门诊等候时间控制在30分钟内。") == [("门诊等候时间", "30", "分钟", "≤")]
    assert simple("居民健康素养水平比2020年提升2个百分点以上，血液采集量增长10%以上。") == [
        ("居民健康素养水平", "2", "个百分点", "increase"), ("血液采集量", "10", "%", "increase")]  # fmt: skip


def test_numeric_forms_deadlines_and_quotes():
    text = "12月底前，十区市实现住院护理险100%全覆盖。新增3—5个市级中医学术流派，补贴80元-200元/人/天。婴儿死亡率控制在3‰以内，孕产妇保持零死亡。"
    found = extract_targets(text)
    assert [(t["value"], t["value_num"], t["unit"]) for t in found] == [
        ("100", 100.0, "%"), ("3—5", 3.0, "个"), ("80元-200元", 80.0, "元/人/天"), ("3", 3.0, "‰"), ("零", 0.0, "")]  # fmt: skip
    assert found[0]["deadline"] == "12月底前" and found[0]["indicator"] == "十区市实现住院护理险全覆盖"
    assert [t["deadline"] for t in found[1:]] == ["", "", "", ""]
    assert found[4]["indicator"] == "孕产妇死亡" and found[3]["comparator"] == "≤"
    assert all(t["quote"] in text and t["value"] in t["quote"] for t in found)
    assert extract_targets("基层精防人员与患者比例达1:80")[0]["value_num"] == 80.0


def test_list_values_split_into_self_contained_indicators():
    found = extract_targets("二级、三级医院预约诊疗率分别达40%、60%，数字医学影像调阅量达50万次、上传完整率95%。")
    assert [(t["indicator"], t["value"], t["comparator"]) for t in found] == [
        ("二级医院预约诊疗率", "40", "≥"), ("三级医院预约诊疗率", "60", "≥"),
        ("数字医学影像调阅量", "50", "≥"), ("上传完整率", "95", "≥")]  # fmt: skip
    assert found[1]["quote"] == "二级、三级医院预约诊疗率分别达40%、60%"


@pytest.mark.parametrize(
    "text",
    [
        "联系电话：85912521，搭建96606服务热线，巩固提升12345政务服务便民热线办理质效。",
        "落实《西安市医疗机构设置规划(2023—2025年)》，对标推进实施方案(2023-2030年)，组织开展2020—2022年度结题验收。",
        "举办“第五届微电影大赛”，组织第36个爱国卫生月活动，开展第22个《职业病防治法》宣传周活动，2025年3月1日起施行。",
        "强化“5.12国际护士节”“8.19中国医师节”等重要节点主题宣传，严格落实发热门诊“7个一律”管理规定。",
        "实施艾滋病、结核病等10大传染病专病专防策略，统筹推进健康青岛16项行动，落实手术质量安全提升等5个专项行动，落实20条措施。",
        "巩固第一批12个区域质控中心建设成果，计划生育特殊家庭“3+X”联系人制度实现全覆盖，有序推进8+1个专项整治行动。",
        "以慢病患者、0—6岁儿童、65岁以上老年人为重点，为农村35-64岁适龄妇女开展免费检查，印发青政办发〔2024〕3号文件。",
    ],
)
def test_non_targets_are_not_extracted(text):
    assert extract_targets(text) == []


def test_benchmark_values_are_flagged_not_dropped(targets):
    bench = targets[targets.is_benchmark]
    assert bench.item_id.unique().tolist() == ["qingdao-2021-0010"]
    assert list(zip(bench.value, bench.unit)) == [("4", "种"), ("5", "种"), ("35", "家")]
    assert not targets[(targets.item_id == "qingdao-2021-0010") & ~targets.is_benchmark].shape[0]


def test_quotes_are_exact_substrings_of_the_item(corpus, targets):
    text = corpus.items.set_index("item_id").text
    assert len(targets) == 176
    assert all(q in text[i] for i, q in zip(targets.item_id, targets.quote))
    # the value as written is in the quote, unless it was written in Chinese numerals (四级以上 → 4)
    assert all(v.split("元")[0] in q or re.search(CN_NUM, q) for q, v in zip(targets.quote, targets.value))


def test_normalisation_and_synonym_table():
    assert normalize_indicator("全区新增托位") == "托位"
    assert normalize_indicator("“一件事”应用") == "一件事应用"
    keys = IndicatorMatcher().predict(["每千人口3岁以下婴幼儿托位数", "全市每千人口托位数", "65岁以上老年人签约率", "护理院覆盖率"])
    assert keys == ["每千人口托位数", "每千人口托位数", "65岁及以上老年人家庭医生签约率", "护理院覆盖率"]


def test_synonym_table_errors(tmp_path):
    bad = tmp_path / "syn.csv"
    bad.write_text("indicator_key,variant\n甲,托位数\n乙,全市托位数\n", encoding="utf-8")
    with pytest.raises(InputError, match="row 3: variant '全市托位数' maps to both '甲' and '乙'"):
        load_synonyms(bad)
    bad.write_text("key,variant\n甲,乙\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load_synonyms(bad)


def test_tfidf_suggestions_for_unmapped_indicators():
    matcher = IndicatorMatcher({"孕产妇死亡率": "孕产妇死亡率"})
    names = ["孕产妇死亡", "孕产妇死亡率", "高层次人才", "中西医结合高层次人才", "门诊等候时间"]
    out = matcher.fit(names).suggest(names, threshold=0.5)
    pairs = dict(zip(out.indicator_key, out.suggested_key))
    assert pairs["孕产妇死亡"] == "孕产妇死亡率" and out.similarity.iloc[0] > 0.8
    assert pairs["高层次人才"] == "中西医结合高层次人才"
    assert "孕产妇死亡率" not in pairs and "门诊等候时间" not in pairs
    assert out.similarity.is_monotonic_decreasing


def test_shared_indicators_line_up_across_documents(targets, corpus):
    values = target_summary.shared_values(targets, corpus.documents, min_docs=2)

    def by_doc(key):
        rows = values[values.indicator_key == key]
        return dict(zip(rows.doc_id, rows.value_num))

    assert by_doc("每千人口托位数") == {"qingdao-2024": 4.0, "chizhou-2024": 4.3, "wanzhou-2024": 4.5}
    assert by_doc("新增托位数") == {"qingdao-2024": 6000.0, "chizhou-2024": 900.0, "wanzhou-2024": 1000.0}
    assert by_doc("二级及以上综合医院老年医学科设置比例") == {"chizhou-2024": 80.0, "wanzhou-2024": 64.0}
    assert by_doc("65岁及以上老年人城乡社区规范健康管理服务率") == {"qingdao-2021": 60.0, "wanzhou-2024": 65.0}
    wide = target_summary.shared_table(values, corpus.documents).set_index("indicator_key")
    assert wide.loc["每千人口托位数", ["青岛市 2024", "池州市 2024", "万州区 2024"]].tolist() == ["≥4个", "≥4.3个", "≥4.5个"]
    assert by_doc("县域医疗卫生次中心") == {"chizhou-2024": 1.0, "wanzhou-2024": 3.0}
    assert values.indicator_key.nunique() == 14 and set(target_summary.shared_values(targets, corpus.documents, 3).indicator_key) == {
        "每千人口托位数", "新增托位数", "市级临床重点专科", "示范性托育机构"}  # fmt: skip


def test_targets_step_writes_table_without_themes(target_dir, capsys):
    out = read_table(target_dir, "targets", step="targets")
    assert out.columns.tolist() == TARGET_COLUMNS and len(out) == 176
    assert (out.theme_label == "").all() and out.theme_id.isna().all()
    ratio = out[out.unit == ""].iloc[0]
    assert (ratio.value, ratio.value_num) == ("1:80", 80.0)
    assert out.is_benchmark.sum() == 3
    first = (target_dir / "targets.csv").read_bytes()
    assert cli.main(["targets", "--processed", str(target_dir)]) == 0
    assert (target_dir / "targets.csv").read_bytes() == first
    printed = capsys.readouterr().out
    assert "wanzhou-2024" in printed and "85 targets" in printed and "item_themes.csv not found" in printed
    suggestions = read_table(target_dir, "indicator_suggestions", step="targets")
    assert "孕产妇死亡" in set(suggestions.indicator_key)


def test_targets_step_joins_themes(tmp_path, processed, capsys):
    for name in ("documents", "items"):
        shutil.copy(processed / f"{name}.csv", tmp_path)
    items = read_table(tmp_path, "items")
    themes = items[["doc_id", "item_id"]].assign(theme_id=1, theme_label="人口与托育", distance=0.5)
    themes.loc[items.doc_id != "wanzhou-2024", ["theme_id", "theme_label"]] = [2, "其他"]
    themes.to_csv(tmp_path / "item_themes.csv", index=False)
    assert cli.main(["targets", "--processed", str(tmp_path)]) == 0
    assert "not found" not in capsys.readouterr().out
    out = read_table(tmp_path, "targets", step="targets")
    assert (out[out.doc_id == "wanzhou-2024"].theme_label == "人口与托育").all()
    assert (out[out.doc_id != "wanzhou-2024"].theme_id == 2).all()
    per_theme = target_summary.per_theme(out, themes)
    assert per_theme.theme_id.tolist() == [2, 1]  # most targets first
    assert per_theme.iloc[1].to_dict() == {
        "theme_id": 1, "theme_label": "人口与托育", "n_items": 57, "items_with_targets": 31, "n_targets": 85,
        "share_of_items": 28.8, "share_of_targets": 49.1}  # fmt: skip


def test_missing_input_and_unknown_docs(tmp_path, target_dir, capsys):
    assert cli.main(["targets", "--processed", str(tmp_path)]) == 2
    assert "items.csv: not found; run `python -m analysis ingest` first" in capsys.readouterr().err
    with pytest.raises(InputError, match="no document has city='广州市'"):
        target_summary.load_target_data(target_dir, "city=广州市")
    data = target_summary.load_target_data(target_dir, "year=2024,city=青岛市")
    assert data.documents.doc_id.tolist() == ["qingdao-2024"] and len(data.targets) == 6 and data.item_themes is None


def test_per_document_and_findings(targets, corpus):
    docs = target_summary.per_document(targets, corpus.items, corpus.documents).set_index("doc_id")
    assert docs.loc["wanzhou-2024", ["n_items", "items_with_targets", "n_targets"]].tolist() == [57, 31, 85]
    assert docs.loc["qingdao-2021", ["n_targets", "n_benchmark"]].tolist() == [31, 3]
    assert docs.n_targets.sum() == 173
    findings = target_summary.key_findings(targets, corpus.items, corpus.documents)
    assert len(findings) == 3
    assert findings[0].startswith("5 份文件共 173 个量化目标，198 条要点中 71 条（36%）含至少一个目标")
    assert "「每千人口托位数」：青岛市 2024 ≥4个、池州市 2024 ≥4.3个、万州区 2024 ≥4.5个" in findings[1]


@pytest.mark.slow
def test_notebook_runs_without_errors(target_dir, tmp_path):
    import nbformat
    import papermill

    source = REPO / "notebooks" / "04_targets.ipynb"
    committed = nbformat.read(source, as_version=4)
    assert sum("parameters" in c.metadata.get("tags", []) for c in committed.cells) == 1
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in committed.cells if c.cell_type == "code")
    out = tmp_path / "04_targets.ipynb"
    papermill.execute_notebook(
        str(source), str(out), parameters={"processed": str(target_dir), "docs": "year=2024"}, cwd=str(REPO / "notebooks"),
        progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    run = nbformat.read(out, as_version=4)
    outputs = [o for c in run.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    html = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "每千人口托位数" in html and "主要发现" in html and "方法说明" in html
    assert any("image/png" in o.get("data", {}) for o in outputs)


def test_phrasing_beyond_the_seed_corpus():
    """Constructed sentences in styles the seed plans do not use (known answers)."""
    text = "到2025年，全市人均预期寿命达到80.5岁以上，婴儿死亡率、5岁以下儿童死亡率分别控制在4‰、6‰以下。"
    assert [(t["indicator"], t["value"], t["unit"], t["comparator"], t["deadline"]) for t in extract_targets(text)] == [
        ("人均预期寿命", "80.5", "岁", "≥", "到2025年"),
        ("婴儿死亡率", "4", "‰", "≤", "到2025年"),
        ("5岁以下儿童死亡率", "6", "‰", "≤", "到2025年"),
    ]
    assert simple("二级以上公立医院电子病历应用水平平均达到4级以上") == [("二级以上公立医院电子病历应用水平平均", "4", "级", "≥")]
    assert simple("医疗卫生机构床位数达到6.5万张，承诺办结时限压缩至5个工作日。") == [
        ("医疗卫生机构床位数", "6.5", "万张", "≥"), ("承诺办结时限", "5", "个工作日", "≤")]  # fmt: skip
    assert simple("为65岁以上老年人免费提供健康体检，0-6岁儿童健康管理率达到90%以上。") == [("0-6岁儿童健康管理率", "90", "%", "≥")]
