"""Report tables over ``targets.csv``: targets per document and theme, shared indicators, key findings.

Benchmark values (``is_benchmark``, another city's figures quoted in a plan) are
left out everywhere except the ``n_benchmark`` column of :func:`per_document`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.methods.corpus import document_labels
from analysis.methods.selectors import select_documents
from analysis.store import read_table
from analysis.methods.targets import RATE_UNITS, read_item_themes

COMPARATOR_PREFIX = {"≥": "≥", "≤": "≤", "increase": "+", "=": ""}


#: Chinese (bilingual) column headings for the tables of this module, as shown in reports.
LABELS = {
    "doc_id": "文件 doc_id", "document": "文件", "n_items": "要点数", "items_with_targets": "含目标的要点数",
    "n_targets": "目标数", "targets_per_10_items": "每 10 条要点的目标数", "n_benchmark": "标杆值数",
    "theme_id": "主题编号", "theme_label": "主题", "share_of_items": "要点占比 %", "share_of_targets": "目标占比 %",
    "indicator_key": "指标", "n_docs": "文件数", "item_id": "要点 item_id", "indicator": "原文指标",
    "target": "目标值", "deadline": "时限", "status": "性质", "is_benchmark": "标杆值", "quote": "原文",
}  # fmt: skip


@dataclass
class TargetData:
    """The tables a targets report needs, restricted to the chosen documents."""

    documents: pd.DataFrame
    items: pd.DataFrame
    targets: pd.DataFrame
    item_themes: pd.DataFrame | None


def load_target_data(processed: str | Path, docs: str | None = None) -> TargetData:
    """Read documents, items, targets (and item_themes when present) from ``processed``.

    ``docs`` is a group selector (:mod:`analysis.methods.selectors`, e.g. ``"year=2024"`` or
    ``"doc_id=qingdao-2024|chizhou-2024"``); None keeps every document.
    """
    documents = read_table(processed, "documents")
    keep = select_documents(documents, docs, Path(processed) / "documents.csv") if docs else documents.doc_id.tolist()
    themes = read_item_themes(processed)

    def pick(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame.doc_id.isin(keep)].reset_index(drop=True)

    return TargetData(
        documents=pick(documents),
        items=pick(read_table(processed, "items")),
        targets=pick(read_table(processed, "targets", step="targets")),
        item_themes=None if themes is None else pick(themes),
    )


def own_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """The plans' own commitments: benchmark values dropped, and achieved results and baselines
    (``status`` other than ``target``) too when the column exists."""
    keep = ~targets.is_benchmark.astype(bool)
    if "status" in targets.columns:
        keep &= targets.status.fillna("target").isin(["target", ""])
    return targets[keep]


def per_document(targets: pd.DataFrame, items: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """One row per document: ``document, n_items, items_with_targets, n_targets, targets_per_10_items, n_benchmark``."""
    own = own_targets(targets)
    docs = documents[documents.doc_id.isin(items.doc_id)]
    out = pd.DataFrame({"doc_id": docs.doc_id, "document": docs.doc_id.map(document_labels(documents))})
    out["n_items"] = out.doc_id.map(items.groupby("doc_id").size()).fillna(0).astype(int)
    out["items_with_targets"] = out.doc_id.map(own.groupby("doc_id").item_id.nunique()).fillna(0).astype(int)
    out["n_targets"] = out.doc_id.map(own.groupby("doc_id").size()).fillna(0).astype(int)
    out["targets_per_10_items"] = (10 * out.n_targets / out.n_items.where(out.n_items > 0)).round(1)
    out["n_benchmark"] = out.doc_id.map(targets[targets.is_benchmark.astype(bool)].groupby("doc_id").size()).fillna(0).astype(int)
    return out.reset_index(drop=True)


def per_theme(targets: pd.DataFrame, item_themes: pd.DataFrame) -> pd.DataFrame:
    """Items against hard targets per theme of ``item_themes`` (restricted to its items).

    Columns ``theme_id, theme_label, n_items, items_with_targets, n_targets,
    share_of_items, share_of_targets`` (shares in %), most targets first.
    """
    own = own_targets(targets)
    own = own[own.item_id.isin(item_themes.item_id)]
    themes = item_themes.drop_duplicates("item_id")
    hit = themes.assign(n_targets=themes.item_id.map(own.groupby("item_id").size()).fillna(0).astype(int))
    out = hit.groupby(["theme_id", "theme_label"], as_index=False).agg(
        n_items=("item_id", "size"), items_with_targets=("n_targets", lambda n: int((n > 0).sum())), n_targets=("n_targets", "sum")
    )
    out["share_of_items"] = (100 * out.n_items / max(out.n_items.sum(), 1)).round(1)
    out["share_of_targets"] = (100 * out.n_targets / max(out.n_targets.sum(), 1)).round(1)
    return out.sort_values(["n_targets", "n_items", "theme_label"], ascending=[False, False, True], ignore_index=True)


def shared_values(targets: pd.DataFrame, documents: pd.DataFrame, min_docs: int = 2) -> pd.DataFrame:
    """Targets whose ``indicator_key`` occurs in at least ``min_docs`` documents (long form).

    Columns ``indicator_key, n_docs, doc_id, document, value, value_num, unit,
    comparator, shown`` (``shown`` is e.g. ``≥4个``), ordered by falling ``n_docs``,
    key, then document order.
    """
    own = own_targets(targets)
    n_docs = own.groupby("indicator_key").doc_id.nunique()
    out = own[own.indicator_key.map(n_docs) >= min_docs].copy()
    out["n_docs"] = out.indicator_key.map(n_docs)
    out["document"] = out.doc_id.map(document_labels(documents))
    out["shown"] = out.comparator.map(COMPARATOR_PREFIX).fillna("") + out.value + out.unit
    order = {d: i for i, d in enumerate(documents.doc_id)}
    out = out.assign(_doc=out.doc_id.map(order)).sort_values(["n_docs", "indicator_key", "_doc"], ascending=[False, True, True], kind="stable")
    cols = ["indicator_key", "n_docs", "doc_id", "document", "value", "value_num", "unit", "comparator", "shown"]
    return out[cols].reset_index(drop=True)


def shared_table(values: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """:func:`shared_values` side by side: one row per indicator, one column per document (``；``-joined)."""
    if values.empty:
        return pd.DataFrame(columns=["indicator_key", "n_docs"])
    wide = values.groupby(["indicator_key", "n_docs", "document"], sort=False).shown.agg("；".join).unstack("document")
    labels = document_labels(documents)
    wide = wide[[labels[d] for d in documents.doc_id if labels[d] in wide.columns]].fillna("")
    return wide.reset_index().sort_values(["n_docs", "indicator_key"], ascending=[False, True], ignore_index=True).rename_axis(columns=None)


def key_findings(
    targets: pd.DataFrame, items: pd.DataFrame, documents: pd.DataFrame, min_docs: int = 2, item_themes: pd.DataFrame | None = None
) -> list[str]:
    """Two or three sentences (Chinese) stating the main numbers, for :func:`analysis.report.kit.header`."""
    docs = per_document(targets, items, documents)
    own = own_targets(targets)
    top = docs.sort_values(["targets_per_10_items", "n_targets"], ascending=False).iloc[0]
    findings = [
        f"{len(docs)} 份文件共 {len(own)} 个量化目标，{docs.n_items.sum()} 条要点中 {docs.items_with_targets.sum()} 条"
        f"（{100 * docs.items_with_targets.sum() / max(docs.n_items.sum(), 1):.0f}%）含至少一个目标；"
        f"目标最密集的是{top.document}：{top.n_items} 条要点共 {top.n_targets} 个（每 10 条要点 {top.targets_per_10_items:.1f} 个）。"
    ]
    values = shared_values(targets, documents, min_docs)
    if not values.empty:
        explicit = values.assign(explicit=values.comparator != "=")
        counts = explicit.groupby("indicator_key", sort=False).agg(n_docs=("n_docs", "first"), explicit=("explicit", "sum"))
        key = counts.sort_values(["n_docs", "explicit"], ascending=False, kind="stable").index[0]
        shown = "、".join(f"{r.document} {r.shown}" for r in values[values.indicator_key == key].itertuples())
        findings.append(f"{counts.index.size} 个指标在至少 {min_docs} 份文件中出现；覆盖最广的是「{key}」：{shown}。")
    if item_themes is not None and len(item_themes):
        themes = per_theme(targets, item_themes)
        lead = themes.iloc[0]
        findings.append(
            f"硬目标最多的主题是「{lead.theme_label}」：{lead.n_targets} 个目标（占全部目标 {lead.share_of_targets:.0f}%），"
            f"而其要点只占 {lead.share_of_items:.0f}%（{lead.n_items} 条）。"
        )
    else:
        rates = own.unit.isin(RATE_UNITS).mean() * 100 if len(own) else 0.0
        floors = (own.comparator == "≥").mean() * 100 if len(own) else 0.0
        findings.append(f"{rates:.0f}% 的目标是比率（%、‰、/10万、百分点），其余多为数量（个、家、人…）；{floors:.0f}% 设为下限（≥）。")
    return findings


STATUS_LABELS = {"target": "目标", "achieved": "已完成", "baseline": "基数"}


def target_listing(targets: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """Every value for reading: ``document, item_id, indicator, indicator_key, target, deadline, status, theme_label, is_benchmark, quote``.

    ``status`` in Chinese (目标/已完成/基数), ``is_benchmark`` as 是/否.
    """
    status = targets.status if "status" in targets.columns else pd.Series("target", index=targets.index)
    out = targets.assign(
        document=targets.doc_id.map(document_labels(documents)),
        target=targets.comparator.map(COMPARATOR_PREFIX).fillna("") + targets.value + targets.unit,
        status=status.map(STATUS_LABELS).fillna(status),
        is_benchmark=targets.is_benchmark.astype(bool).map({True: "是", False: "否"}),
    )
    cols = ["document", "item_id", "indicator", "indicator_key", "target", "deadline", "status", "theme_label", "is_benchmark", "quote"]
    return out[cols].reset_index(drop=True)


METHOD_NOTES = [
    "目标：阿拉伯数字书写且带单位的数值（%、‰、/10万、个百分点、个、家、所、人、名、元、分钟、分…）、比值（1:80）、"
    "范围（1-2个）及“零死亡”类目标。不计：年龄与人群限定（65岁以上）、年份与年度区间（2023-2025年）、日期、文号与电话号码、"
    "序数（第五届、第36个）、名称与口号（“7个一律”、5.12国际护士节、3+X、10大项目）、描述方案结构的计数（健康青岛16项行动、"
    "5个专项行动、20条措施）及巩固既往成果的数字；汉字数字（三年行动、每季度一次、四级）不提取。",
    "比较符：以上/不少于/不低于/至少/达到/提高到/力争/争取 → ≥；以下/以内/不超过/控制在及时限（分钟、小时）→ ≤；"
    "增长/再增/提升…个百分点 → 增幅（+）；其余为 =。value_num：比值 a:b 取 b/a，范围取下限，“零” 取 0，单位同 unit。",
    "指标归一：去掉全市/全区等范围词、新增/建成等动作词和引号后，查可编辑的同义词表 src/analysis/data/indicator_synonyms.csv；"
    "表外指标以归一后的短语为键。表外指标与已知指标的 TF-IDF（字符 1–3 元）相似度给出候选同义词（indicator_suggestions.csv）。",
    "青岛市 2021 的“标杆城市/标杆值”是标杆城市（杭州、深圳）的数值，标为 is_benchmark，不计入目标数、共有指标与主要发现。",
    "准确度：五份种子文件的手工核对清单（tests/data/targets_checklist_*.csv）与抽取结果的精确率、召回率见 README「Targets」。",
]
