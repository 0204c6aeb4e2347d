"""One plan's profile (report ``06_plan_profile``): themes against its peers, targets, departments, continuity.

Reads the ready processed tables only (``documents``, ``items``, ``item_themes``,
``targets`` and ``plan_continuity`` of step ``profiles``,
:mod:`analysis.methods.plan_continuity`); nothing is fitted per report. The *peer group* is every other plan of the
same year. Theme shares count items: the plan's share is its items in the theme
÷ its items; the peers' share pools their items (a long plan weighs more). Each
share carries a continuity-corrected Wilson interval, the difference plan − peers
Newcombe's hybrid score interval (:mod:`analysis.methods.intervals`), both 95%;
they hold their coverage at small and zero counts. A difference is a finding
(``significant``) only when the score test, Benjamini–Hochberg adjusted across
the themes, rejects at 5% and the interval excludes 0.

Read cache: :func:`load_plan_data` reads each table once per process and keeps
it, with the row positions of each ``doc_id``, under its resolved path; the next
profile in the same (warm) kernel gets the same frames as long as the file's
identity (size, ``mtime_ns``, inode, ``ctime_ns``) is unchanged, so a rewritten
table is read again. One entry per path is kept. The functions here never modify
the frames they are given; a plan's rows are taken by those positions, not by a
scan of the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.methods.corpus import DOC_TYPES, document_labels, name_list
from analysis.methods.intervals import bh_adjust, newcombe, score_test, wilson
from analysis.methods.plan_continuity import previous_plan
from analysis.methods.target_summary import COMPARATOR_PREFIX, own_targets
from analysis.store import read_table

ALPHA = 0.05

#: Chinese (bilingual) column headings of the tables of this module.
LABELS = {
    "theme_label": "主题", "n_items": "本文件要点数", "share": "本文件占比 %", "ci": "本文件 95% 区间",
    "peer_items": "同年其他文件要点数", "peer_share": "同年其他文件占比 %", "peer_ci": "同年其他文件 95% 区间",
    "diff_pp": "差（百分点）", "diff_ci": "差的 95% 区间", "q_value": "校正后 p 值", "significant": "超出抽样误差",
    "department": "责任科室", "indicator": "指标", "target": "目标值", "deadline": "时限", "quote": "原文",
    "status": "延续情况", "similarity": "相似度", "compare_text": "本文件要点", "base_text": "上一份文件要点",
}  # fmt: skip

CONTINUITY_LABELS = {"continued": "延续", "reworded": "改写延续", "new": "新增", "dropped": "消失"}


#: Tables read per plan besides ``documents``: name -> step that writes it.
TABLES = {"items": "ingest", "item_themes": "themes", "targets": "targets", "plan_continuity": "profiles"}

_CACHE: dict[Path, tuple[tuple[int, ...], pd.DataFrame, dict[str, np.ndarray]]] = {}


def _cached(processed: str | Path, name: str, step: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """``processed/name.csv`` and its row positions per ``doc_id``, from the read cache (see the module docstring)."""
    path = (Path(processed) / f"{name}.csv").resolve()
    if not path.is_file():
        return read_table(processed, name, step), {}  # raises the InputError naming the step
    info = path.stat()
    identity = (info.st_size, info.st_mtime_ns, info.st_ino, info.st_ctime_ns)
    entry = _CACHE.get(path)
    if entry is None or entry[0] != identity:
        frame = read_table(path.parent, name, step)
        entry = _CACHE[path] = (identity, frame, frame.groupby("doc_id", sort=False).indices)
    return entry[1], entry[2]


@dataclass
class PlanData:
    """The tables one profile needs: ``doc_id``, all documents, items/themes/targets of the corpus, continuity rows.

    ``plan_continuity`` is the table of :mod:`analysis.methods.plan_continuity` (None:
    not loaded). ``positions``: per table name, the row positions of each ``doc_id``
    (filled from the read cache, or computed on first use).
    """

    doc_id: str
    documents: pd.DataFrame
    items: pd.DataFrame
    item_themes: pd.DataFrame
    targets: pd.DataFrame
    plan_continuity: pd.DataFrame | None = None
    positions: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)

    def rows(self, name: str, doc_ids: list[str]) -> pd.DataFrame:
        """The rows of table ``name`` belonging to ``doc_ids``, in table order."""
        frame = getattr(self, name)
        if name not in self.positions:
            self.positions[name] = frame.groupby("doc_id", sort=False).indices
        found = [self.positions[name][d] for d in doc_ids if d in self.positions[name]]
        return frame.iloc[np.sort(np.concatenate(found))] if found else frame.iloc[:0]

    @property
    def document(self) -> pd.Series:
        """The profiled plan's row of ``documents``."""
        return self.documents[self.documents.doc_id == self.doc_id].iloc[0]

    @property
    def label(self) -> str:
        """Reader name of the plan (``青岛市 2024``)."""
        return document_labels(self.documents)[self.doc_id]

    @property
    def peers(self) -> list[str]:
        """``doc_id`` of the other plans of the same year."""
        docs = self.documents
        return docs.loc[(docs.year == self.document.year) & (docs.doc_id != self.doc_id), "doc_id"].tolist()

    @property
    def peer_label(self) -> str:
        """Reader name of the peer group: ``同年其他文件（池州市 2024、西安市 2024）``.

        Large groups name three plans and a count (:func:`~analysis.methods.corpus.name_list`),
        so a chart legend stays one line.
        """
        return f"同年其他文件（{self.peer_names}）" if self.peers else "同年无其他文件"

    @property
    def peer_names(self) -> str:
        """The peers' reader names, as :func:`~analysis.methods.corpus.name_list` gives them."""
        return name_list(document_labels(self.documents)[self.peers])

    @property
    def previous(self) -> str | None:
        """``doc_id`` of the latest earlier plan of the same place, or None."""
        return previous_plan(self.documents, self.doc_id)


def load_plan_data(processed: str | Path, doc_id: str) -> PlanData:
    """The tables of ``processed`` (``documents`` and :data:`TABLES`, through the read cache) for ``doc_id``.

    An unknown ``doc_id`` is an :class:`InputError` listing the known ones; a missing
    table one naming the step that writes it.
    """
    documents, _ = _cached(processed, "documents", "ingest")
    if doc_id not in set(documents.doc_id):
        known = ", ".join(documents.doc_id)
        raise InputError(Path(processed) / "documents.csv", f"doc_id '{doc_id}' not found; known: {known}")
    tables = {name: _cached(processed, name, step) for name, step in TABLES.items()}
    return PlanData(doc_id, documents, **{name: frame for name, (frame, _) in tables.items()},
                    positions={name: positions for name, (_, positions) in tables.items()})  # fmt: skip


def _doc_theme_counts(data: PlanData, doc_ids: list[str]) -> pd.Series:
    """Items per ``theme_id`` over the items of ``doc_ids``."""
    return data.rows("item_themes", doc_ids).drop_duplicates("item_id").groupby("theme_id").size()


def theme_profile(data: PlanData) -> pd.DataFrame:
    """Each theme's share of the plan's items against the peers' pooled items.

    Columns ``theme_id, theme_label, n_items, n_total, share, ci_low, ci_high,
    peer_items, peer_total, peer_share, peer_ci_low, peer_ci_high, q_value, diff_pp,
    diff_low, diff_high, significant`` (shares and intervals in %; ``q_value`` the
    Benjamini–Hochberg adjusted p-value of the score test), plan's largest themes
    first. ``significant``: q < 0.05 and the difference interval excludes 0.
    Without peers the peer columns are NaN and ``significant`` False.
    """
    themes = data.item_themes[["theme_id", "theme_label"]].drop_duplicates("theme_id").sort_values("theme_id")
    own = _doc_theme_counts(data, [data.doc_id])
    peer = _doc_theme_counts(data, data.peers)
    k1 = themes.theme_id.map(own).fillna(0).to_numpy(dtype=int)
    k2 = themes.theme_id.map(peer).fillna(0).to_numpy(dtype=int)
    n1, n2 = int(own.sum()), int(peer.sum())
    out = themes.reset_index(drop=True).assign(n_items=k1, n_total=n1, peer_items=k2, peer_total=n2)
    lo, hi = wilson(k1, n1)
    out["share"], out["ci_low"], out["ci_high"] = 100 * k1 / max(n1, 1), 100 * lo, 100 * hi
    if n2:
        plo, phi = wilson(k2, n2)
        dlo, dhi = newcombe(k2, n2, k1, n1)  # plan − peers
        out["peer_share"], out["peer_ci_low"], out["peer_ci_high"] = 100 * k2 / n2, 100 * plo, 100 * phi
        out["diff_low"], out["diff_high"] = 100 * dlo, 100 * dhi
        out["q_value"] = bh_adjust(score_test(k2, n2, k1, n1))
    else:
        out[["peer_share", "peer_ci_low", "peer_ci_high", "diff_low", "diff_high", "q_value"]] = np.nan
    out["diff_pp"] = out.share - out.peer_share
    out["significant"] = (out.q_value < ALPHA) & ((out.diff_low > 0) | (out.diff_high < 0))
    cols = ["share", "ci_low", "ci_high", "peer_share", "peer_ci_low", "peer_ci_high", "diff_pp", "diff_low", "diff_high"]
    out[cols] = out[cols].round(1)
    out["q_value"] = out.q_value.round(4)
    return out.sort_values(["n_items", "peer_items", "theme_id"], ascending=[False, False, True], ignore_index=True)


def profile_display(profile: pd.DataFrame) -> pd.DataFrame:
    """:func:`theme_profile` for reading: intervals as ``a–b``, 是/否, Chinese headings."""

    def span(low: pd.Series, high: pd.Series) -> pd.Series:
        return low.map("{:.1f}".format) + "–" + high.map("{:.1f}".format)

    out = pd.DataFrame(
        {
            "theme_label": profile.theme_label,
            "n_items": profile.n_items.astype(str) + " / " + profile.n_total.astype(str),
            "share": profile.share,
            "ci": span(profile.ci_low, profile.ci_high),
            "peer_items": profile.peer_items.astype(str) + " / " + profile.peer_total.astype(str),
            "peer_share": profile.peer_share,
            "peer_ci": span(profile.peer_ci_low, profile.peer_ci_high),
            "diff_pp": profile.diff_pp,
            "diff_ci": span(profile.diff_low, profile.diff_high),
            "q_value": profile.q_value,
            "significant": profile.significant.map({True: "是", False: "否"}),
        }
    )
    if profile.peer_total.eq(0).all():
        out = out.drop(columns=["peer_items", "peer_share", "peer_ci", "diff_pp", "diff_ci", "q_value", "significant"])
    return out.rename(columns=LABELS)


def plan_targets(data: PlanData) -> pd.DataFrame:
    """The plan's own targets (``status == "target"`` when the column exists; benchmark values dropped).

    Columns ``indicator, target, deadline, quote`` in text order; ``target`` is e.g. ``≥85%``.
    """
    t = own_targets(data.rows("targets", [data.doc_id]))
    prefix = t.comparator.map(COMPARATOR_PREFIX).fillna("")
    return pd.DataFrame({"indicator": t.indicator, "target": prefix + t.value + t.unit, "deadline": t.deadline, "quote": t.quote}).reset_index(drop=True)


def _department_items(data: PlanData) -> pd.DataFrame:
    """One row per (item, responsible department) of the plan: ``item_id, department, theme_label``."""
    items = data.rows("items", [data.doc_id])
    pairs = items[["item_id", "departments"]].assign(department=items.departments.str.split(r"[;；、，,]")).explode("department")
    pairs["department"] = pairs.department.str.strip()
    pairs = pairs[pairs.department.str.len().between(1, 15)]  # longer "departments" are stray sentences
    themes = data.rows("item_themes", [data.doc_id]).drop_duplicates("item_id").set_index("item_id").theme_label
    return pairs.assign(theme_label=pairs.item_id.map(themes).fillna(""))[["item_id", "department", "theme_label"]]


def department_counts(data: PlanData) -> pd.DataFrame:
    """Items per responsible department (``department, n_items``), most first; empty without tails."""
    pairs = _department_items(data)
    out = pairs.groupby("department").size().rename("n_items").reset_index()
    return out.sort_values(["n_items", "department"], ascending=[False, True], ignore_index=True)


def department_themes(data: PlanData) -> pd.DataFrame:
    """Departments (rows, most items first) × themes (columns): item counts; empty without tails."""
    pairs = _department_items(data)
    if pairs.empty:
        return pd.DataFrame()
    table = pd.crosstab(pairs.department, pairs.theme_label)
    order = table.sum(axis=1).sort_values(ascending=False, kind="stable").index
    return table.loc[order, table.sum().sort_values(ascending=False, kind="stable").index].rename_axis(index="责任科室", columns=None)


def continuity_with_previous(data: PlanData) -> pd.DataFrame | None:
    """The plan's rows of ``plan_continuity`` (its items matched against the previous plan of the same place), or None.

    Columns :data:`~analysis.methods.continuity.CONTINUITY_COLUMNS`, statuses in
    Chinese (延续/改写延续/新增/消失). None when the plan has no previous plan;
    a ValueError when ``data`` was built without ``plan_continuity``.
    """
    if data.previous is None:
        return None
    if data.plan_continuity is None:
        raise ValueError("PlanData without the plan_continuity table (step `profiles`)")
    out = data.rows("plan_continuity", [data.doc_id]).drop(columns=["doc_id", "base_doc_id"]).reset_index(drop=True)
    return out.assign(status=out.status.map(CONTINUITY_LABELS))


def continuity_counts(matches: pd.DataFrame) -> pd.DataFrame:
    """Items per continuity status (``status, n_items``) in the fixed order 延续, 改写延续, 新增, 消失."""
    counts = matches.status.value_counts()
    return pd.DataFrame({"status": list(CONTINUITY_LABELS.values())}).assign(
        n_items=lambda f: f.status.map(counts).fillna(0).astype(int)
    )


def key_findings(data: PlanData, profile: pd.DataFrame, targets: pd.DataFrame, departments: pd.DataFrame, matches: pd.DataFrame | None) -> list[str]:
    """Three or four plain-Chinese sentences for :func:`analysis.report.kit.header`."""
    labels = document_labels(data.documents)
    n = int(profile.n_total.iloc[0]) if len(profile) else 0
    year = data.document.year
    top = profile.iloc[0] if len(profile) else None
    findings = []
    if data.peers:
        peers = data.peer_names
        sig = profile[profile.significant].sort_values("diff_pp", key=abs, ascending=False)
        if sig.empty:
            findings.append(
                f"与 {year} 年其他文件（{peers}）相比，{data.label} 没有哪个主题的占比差异超出抽样误差"
                f"（按要点计，本文件 {n} 条、其他文件 {int(profile.peer_total.iloc[0])} 条；"
                f"{len(profile)} 个主题逐一检验并做 Benjamini–Hochberg 校正）。"
            )
        else:
            parts = [
                f"「{r.theme_label}」{r.share:.0f}% 对 {r.peer_share:.0f}%（差 {r.diff_pp:+.0f} 个百分点，95% 区间 {r.diff_low:+.0f} 至 {r.diff_high:+.0f}，"
                f"校正后 p={r.q_value:.3f}）"
                for r in sig.head(3).itertuples()
            ]
            findings.append(f"与 {year} 年其他文件（{peers}）相比，{data.label} 占比差异超出抽样误差的主题：" + "；".join(parts) + "（按要点计）。")
    else:
        findings.append(f"{year} 年没有其他文件可比，只给出 {data.label} 本身的主题构成。")
    if top is not None:
        findings.append(f"{data.label} 共 {n} 条要点，最多的主题是「{top.theme_label}」：{top.n_items} 条（{top.share:.0f}%）。")
    if len(targets):
        findings.append(f"共 {len(targets)} 个量化目标（不含已完成的成绩和基数），例如「{targets.indicator.iloc[0]}」{targets.target.iloc[0]}。")
    else:
        findings.append("文中没有带数值的量化目标。")
    if len(departments):
        lead = departments.iloc[0]
        findings.append(f"{len(departments)} 个责任科室，承担要点最多的是{lead.department}（{lead.n_items} 条）。")
    if matches is not None:
        counts = continuity_counts(matches).set_index("status").n_items
        kept = counts["延续"] + counts["改写延续"]
        findings.append(
            f"与上一份文件 {labels[data.previous]} 相比：{kept} 条要点延续（其中 {counts['改写延续']} 条改写），"
            f"{counts['新增']} 条新增，{counts['消失']} 条上一份的要点不再出现。"
        )
        kinds = data.documents.set_index("doc_id").doc_type
        if kinds[data.previous] != kinds[data.doc_id]:
            names = DOC_TYPES.get(kinds[data.previous], kinds[data.previous]), DOC_TYPES.get(kinds[data.doc_id], kinds[data.doc_id])
            findings[-1] += f"注意两份文件类型不同（{names[0]}、{names[1]}），新增与消失部分反映的是文体差异。"
    return findings


METHOD_NOTES = [
    "主题占比按要点计：本文件某主题的要点数 ÷ 本文件要点数；同年其他文件把它们的要点合并计数（要点多的文件权重大）。",
    "区间：每个占比为连续性校正的 Wilson 得分区间（95%），差为 Newcombe 混合得分区间（95%）；两者在计数很小或为 0 时仍保持覆盖率。"
    "检验：每个主题做两比例得分检验，各主题的 p 值按 Benjamini–Hochberg 校正（控制错误发现率）；"
    "校正后 p 值小于 0.05 且差的区间不含 0 的主题才算“超出抽样误差”，才写入主要发现。",
    "量化目标只列 status=target 的数值：工作回顾中的已完成成绩（achieved）和现状基数（baseline）以及标杆城市的数值不计。",
    "责任科室来自要点末尾的责任单位括注；一条要点有多个科室时每个科室各计一次。",
    "延续：与同一地方上一份文件的要点按 TF-IDF 余弦相似度匹配（≥0.5 延续，0.15–0.5 改写延续，<0.15 新增；上一份中无对应的为消失）。",
]
