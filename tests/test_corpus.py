"""Corpus overview tables, findings and charts on the real seed corpus and small constructed inputs."""

from __future__ import annotations

import warnings

import pandas as pd

from analysis.report import plots
from analysis.methods.corpus import corpus_findings, coverage_table, document_labels, document_overview, for_display, section_counts


def test_document_labels_add_the_type_only_when_city_and_year_repeat():
    docs = pd.DataFrame(
        {"doc_id": ["a", "b", "c"], "city": ["青岛市", "青岛市", "池州市"], "year": [2024, 2024, 2024],
         "doc_type": ["work_plan", "business_targets", "work_plan"]}  # fmt: skip
    )
    assert document_labels(docs).to_dict() == {"a": "青岛市 2024 工作要点", "b": "青岛市 2024 业务目标", "c": "池州市 2024"}


def test_document_overview_of_the_seed_corpus(corpus):
    overview = document_overview(corpus.documents, corpus.items)
    assert overview["label"].tolist() == ["青岛市 2024", "池州市 2024", "青岛市 2021", "西安市 2024", "万州区 2024"]
    row = overview.set_index("doc_id").loc["qingdao-2021"]
    assert (row["doc_type"], row["admin_level"], row["n_items"], row["n_sections"], row["median_chars"]) == ("业务目标", "市", 11, 2, 338.0)
    assert overview.set_index("doc_id").loc["wanzhou-2024", "admin_level"] == "区"
    assert overview["n_items"].sum() == 198


def test_section_counts_keep_document_and_section_order(corpus):
    sections = section_counts(corpus.documents, corpus.items)
    assert sections.groupby("doc_id", sort=False)["n_items"].sum().to_dict() == {
        "qingdao-2024": 21, "chizhou-2024": 74, "qingdao-2021": 11, "xian-2024": 35, "wanzhou-2024": 57,
    }  # fmt: skip
    chizhou = sections[sections.doc_id == "chizhou-2024"]
    assert chizhou["section_no"].tolist() == [1, 2, 3, 4] and chizhou["n_items"].tolist() == [9, 3, 57, 5]
    assert chizhou.iloc[2]["section"] == "三、突出抓好六项重点工作" and round(chizhou.iloc[2]["share"], 4) == 0.7703
    assert sections.groupby("doc_id")["share"].sum().round(9).eq(1).all()
    assert len(sections[sections.doc_id == "wanzhou-2024"]) == 12


def test_findings_are_written_from_the_numbers(corpus):
    findings = corpus_findings(corpus.documents, corpus.items)
    assert findings == [
        "语料共 5 份文件、198 条工作事项；事项最多的是池州市 2024（74 条），最少的是青岛市 2021（11 条）。",
        "事项长度中位数为 108 字（四分位 72–147 字，n=198 条）；青岛市 2021 的事项最长（中位数 338 字），池州市 2024 最短（中位数 83 字）。",
        "分节最多的是万州区 2024（12 节）；事项最集中的一节是青岛市 2021 的「重点目标」，占该文件 82% 的事项（9/11 条）。",
        "正文覆盖率（事项字数÷正文字数，按字符计）最低的是万州区 2024（83.8%，正文 6783 字）；全部文件未归类丢弃共 0 字。",
    ]


def test_coverage_table_per_document_with_its_basis(corpus):
    table = coverage_table(corpus.documents)
    assert table["label"].tolist() == ["青岛市 2024", "池州市 2024", "青岛市 2021", "西安市 2024", "万州区 2024"]
    assert table["n_body_chars"].tolist() == [2954, 6948, 4046, 5576, 6783]
    assert table["dropped_unclassified"].tolist() == [0] * 5
    shown = for_display(table)
    assert shown.columns.tolist() == ["文件", "正文字数", "覆盖率（事项字数÷正文字数）", "未归类丢弃字数"]
    assert shown.iloc[4].tolist() == ["万州区 2024", 6783, "83.8%", 0]


def test_for_display_uses_chinese_headings_and_percentages():
    frame = pd.DataFrame({"doc_id": ["a"], "label": ["青岛市 2024"], "share": [0.12345], "n_items": [3]})
    shown = for_display(frame)
    assert shown.columns.tolist() == ["文件", "占本文件事项", "事项数（条）"] and shown.iloc[0].tolist() == ["青岛市 2024", "12.3%", 3]


def test_corpus_charts_draw_every_document_without_missing_glyphs(corpus, tmp_path):
    sections = section_counts(corpus.documents, corpus.items)
    labels = document_labels(corpus.documents)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        bars = plots.section_items_chart(sections)
        lengths = plots.item_length_chart(corpus.items, labels)
        bars.savefig(tmp_path / "bars.png")
        lengths.savefig(tmp_path / "lengths.png")
    ax = bars.axes[0]
    assert len(ax.patches) == len(sections) == 32
    assert [t.get_text() for t in ax.get_yticklabels()] == labels.tolist()
    assert "21 条" in [t.get_text() for t in ax.texts] and "74 条" in [t.get_text() for t in ax.texts]
    ticks = [t.get_text() for t in lengths.axes[0].get_xticklabels()]
    assert ticks[1] == "池州市 2024\n（n=74 条）"
    assert (tmp_path / "lengths.png").stat().st_size > 10_000
