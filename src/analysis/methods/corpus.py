"""Corpus overview: documents, items per section and item lengths (report ``01_corpus``).

Inputs are the ingest tables ``documents.csv`` and ``items.csv`` (columns in
``docs/ingest.md``); coverage per document comes from ``documents.csv``. Lengths count characters without whitespace (``items.n_chars``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

DOC_TYPES = {"work_plan": "工作要点", "business_targets": "业务目标"}
NAMES_SHOWN = 4  # plans named in a group's name list; beyond that, three and a count
ADMIN_LEVELS = {"province": "省", "city": "市", "district": "区", "county": "县"}

#: Chinese column headings for the tables shown in the report.
LABELS = {
    "label": "文件",
    "province": "省份",
    "admin_level": "层级",
    "doc_type": "类型",
    "title": "标题",
    "n_sections": "节数",
    "n_items": "事项数（条）",
    "n_item_chars": "事项字数",
    "n_chars": "全文字数",
    "median_chars": "事项长度中位数（字）",
    "section": "节",
    "section_no": "节序",
    "share": "占本文件事项",
    "n_body_chars": "正文字数",
    "coverage": "覆盖率（事项字数÷正文字数）",
    "dropped_unclassified": "未归类丢弃字数",
}

METHOD_NOTES = (
    "事项：ingest 从原文解析出的带编号条目或节下段落；表格型文件（业务目标）每行一条事项。",
    "长度：事项正文的非空白字符数（含标点），不含编号和责任科室；中位数与四分位按条计算。",
    "全文字数：原文件全部非空白字符，含印发通知、标题等未计入事项的文字。",
    "覆盖率：事项正文字数 ÷ 正文字数，按字符计（不含空白）。正文 = 事项正文 + 各级标题 + 编号 + 责任单位尾注 + 引导语 + 表头 + 未归类丢弃；"
    "印发通知、网页信息、落款、非表格附件、网页尾部等有名目的非正文部分不计入。ingest 为原文每个字符记一个去向，未归类丢弃的字数单列，应为 0。",
)


def document_labels(documents: pd.DataFrame) -> pd.Series:
    """``doc_id`` → short reader label ``城市 年份`` (``青岛市 2024``), plus the type when that repeats."""
    base = documents["city"].astype(str) + " " + documents["year"].astype(str)
    repeated = base.duplicated(keep=False)
    kind = documents["doc_type"].map(DOC_TYPES).fillna(documents["doc_type"])
    labels = base.where(~repeated, base + " " + kind)
    return pd.Series(labels.to_numpy(), index=documents["doc_id"].to_numpy(), name="label")


def name_list(names: Sequence[str], limit: int = NAMES_SHOWN) -> str:
    """Reader names joined by 、: all of them up to ``limit``, else the first ``limit - 1`` and a count.

    ``["池州市 2024", "西安市 2024"]`` → ``池州市 2024、西安市 2024``; 1,999 names →
    ``合成市0005 2024、合成市0016 2024、合成市0017 2024 等 1,999 份`` (a legend or a
    sentence stays short however large the group).
    """
    names = list(names)
    if len(names) <= limit:
        return "、".join(names)
    return "、".join(names[: limit - 1]) + f" 等 {len(names):,} 份"


def document_overview(documents: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """One row per document (manifest order): label, place, type, title, sections, items and lengths.

    Columns: ``doc_id, label, province, admin_level, doc_type, title, n_sections,
    n_items, n_item_chars, n_chars, median_chars`` (types and levels in Chinese).
    """
    median = items.groupby("doc_id")["n_chars"].median()
    out = documents[["doc_id", "province", "admin_level", "doc_type", "title", "n_sections", "n_items", "n_item_chars", "n_chars"]].copy()
    out.insert(1, "label", document_labels(documents).to_numpy())
    out["admin_level"] = out["admin_level"].map(ADMIN_LEVELS).fillna(out["admin_level"])
    out["doc_type"] = out["doc_type"].map(DOC_TYPES).fillna(out["doc_type"])
    out["median_chars"] = out["doc_id"].map(median).fillna(0).round(1)
    return out.reset_index(drop=True)


def coverage_table(documents: pd.DataFrame) -> pd.DataFrame:
    """One row per document: ``doc_id, label, n_body_chars, coverage`` (0–1) and ``dropped_unclassified``."""
    out = documents[["doc_id", "n_body_chars", "coverage", "dropped_unclassified"]].copy()
    out.insert(1, "label", document_labels(documents).to_numpy())
    return out.reset_index(drop=True)


def section_counts(documents: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Items per section, documents in manifest order and sections in document order.

    Columns: ``doc_id, label, section_no`` (1, 2, … within the document),
    ``section, n_items, share`` (of the document's items, 0–1) and ``median_chars``.
    """
    order = {doc: k for k, doc in enumerate(documents["doc_id"])}
    grouped = items.groupby(["doc_id", "section"], sort=False).agg(
        first=("position", "min"), n_items=("item_id", "size"), median_chars=("n_chars", "median")
    )
    out = grouped.reset_index()
    out["doc_order"] = out["doc_id"].map(order)
    out = out.sort_values(["doc_order", "first"], kind="stable").reset_index(drop=True)
    out.insert(1, "label", out["doc_id"].map(document_labels(documents)))
    out.insert(2, "section_no", out.groupby("doc_id").cumcount() + 1)
    out["share"] = out["n_items"] / out.groupby("doc_id")["n_items"].transform("sum")
    return out[["doc_id", "label", "section_no", "section", "n_items", "share", "median_chars"]]


def corpus_findings(documents: pd.DataFrame, items: pd.DataFrame) -> list[str]:
    """Four sentences on size, item length, section structure and coverage, written from the numbers."""
    overview = document_overview(documents, items).set_index("doc_id")
    most, least = overview["n_items"].idxmax(), overview["n_items"].idxmin()
    longest, shortest = overview["median_chars"].idxmax(), overview["median_chars"].idxmin()
    q1, med, q3 = items["n_chars"].quantile([0.25, 0.5, 0.75])
    sections = section_counts(documents, items)
    top = sections.loc[sections["share"].idxmax()]
    widest = overview["n_sections"].idxmax()
    label = overview["label"]
    docs = documents.set_index("doc_id")
    lowest = docs["coverage"].idxmin()
    return [
        f"语料共 {len(documents)} 份文件、{len(items)} 条工作事项；事项最多的是{label[most]}（{overview.at[most, 'n_items']} 条），"
        f"最少的是{label[least]}（{overview.at[least, 'n_items']} 条）。",
        f"事项长度中位数为 {med:.0f} 字（四分位 {q1:.0f}–{q3:.0f} 字，n={len(items)} 条）；{label[longest]} 的事项最长"
        f"（中位数 {overview.at[longest, 'median_chars']:.0f} 字），{label[shortest]} 最短（中位数 {overview.at[shortest, 'median_chars']:.0f} 字）。",
        f"分节最多的是{label[widest]}（{overview.at[widest, 'n_sections']} 节）；事项最集中的一节是{top['label']} 的"
        f"「{top['section']}」，占该文件 {top['share']:.0%} 的事项（{top['n_items']}/{overview.at[top['doc_id'], 'n_items']} 条）。",
        f"正文覆盖率（事项字数÷正文字数，按字符计）最低的是{label[lowest]}（{docs.at[lowest, 'coverage']:.1%}，"
        f"正文 {docs.at[lowest, 'n_body_chars']} 字）；全部文件未归类丢弃共 {docs['dropped_unclassified'].sum()} 字。",
    ]


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A table from this module ready to show: no ``doc_id``, shares and coverage as ``12.3%``, Chinese headings."""
    out = frame.drop(columns=["doc_id"], errors="ignore")
    for column in ("share", "coverage"):
        if column in out:
            out[column] = (out[column] * 100).map("{:.1f}%".format)
    return out.rename(columns=LABELS)
