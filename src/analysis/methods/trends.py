"""Attention shares by year: ``python -m analysis trends``.

:func:`attention_by_year` gives every theme's share in each year, for the
corpus as a whole (group :data:`ALL`) and for every group (by default a city)
with plans in at least :data:`MIN_YEARS` years. A (group, year) share is the mean
of that year's plans' shares with a Wilson interval on its effective n
(:mod:`analysis.methods.intervals`). :func:`trend_tests` tests each theme of a
series for a linear trend over the years — the Cochran–Armitage test on the
effective counts, years as scores — with Benjamini–Hochberg control across the
themes of each series. :func:`target_trajectories` follows the value of one
indicator (``targets.csv`` ``indicator_key``) across a place's plans.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.errors import InputError
from analysis.ingest.manifest import MANIFEST_COLUMNS
from analysis.methods.intervals import LEVEL, bh_adjust, group_effective_n, wilson
from analysis.methods.profiles import WEIGHTS, document_shares, effective_sizes, label_items, theme_table
from analysis.methods.selectors import select_documents
from analysis.methods.target_summary import own_targets
from analysis.store import read_table, write_tables

ALL = "全部"
MIN_YEARS = 3
#: Chinese names of the manifest fields a series can be formed by.
FIELD_LABELS = {"city": "城市", "province": "省份", "admin_level": "行政级别", "doc_type": "文件类型", "doc_id": "文件"}
TREND_COLUMNS = ["group", "year", "theme_id", "theme_label", "share", "ci_low", "ci_high", "n_items", "n_docs", "n_eff"]
TEST_COLUMNS = [
    "group", "theme_id", "theme_label", "first_year", "last_year", "n_years", "first_share", "last_share",
    "slope_pp", "z", "p_value", "q_value", "significant", "monotone",
]  # fmt: skip
TRAJECTORY_COLUMNS = ["group", "indicator_key", "year", "value_num", "unit", "doc_id"]


def year_groups(
    documents: pd.DataFrame, by: str | None = "city", min_years: int = MIN_YEARS, source: str | Path | None = None
) -> dict[str, list[str]]:
    """``{group: doc_ids}``: :data:`ALL` (every document), then each value of ``by`` with plans in ≥ ``min_years`` years.

    ``by`` must be a manifest field (``source`` names the documents file in the error).
    """
    groups = {ALL: documents["doc_id"].astype(str).tolist()}
    if by:
        fields = [c for c in MANIFEST_COLUMNS if c in documents.columns]
        if by not in fields:
            raise InputError(source, f"unknown field {by!r} for --by; fields: {', '.join(fields)}")
        for value, frame in documents.groupby(documents[by].astype(str), sort=True):
            if frame["year"].nunique() >= min_years:
                groups[value] = frame["doc_id"].astype(str).tolist()
    return groups


def attention_by_year(
    labelled: pd.DataFrame, documents: pd.DataFrame, groups: dict[str, list[str]], weight: str = "items", level: float = LEVEL
) -> pd.DataFrame:
    """One row per (group, year, theme) of the corpus: :data:`TREND_COLUMNS`.

    ``share`` is the mean of the year's plan shares in the group (0–1),
    ``ci_low``/``ci_high`` its Wilson interval (continuity-corrected) on ``n_eff``,
    ``n_items`` the group's items that year, ``n_docs`` its plans. Themes a year
    lacks have share 0 (and an interval above 0).
    """
    themes = theme_table(labelled)
    shares = document_shares(labelled, weight, themes)
    sizes = effective_sizes(labelled, weight)
    items = labelled.groupby("doc_id").size()
    year = documents.set_index("doc_id")["year"].astype(int)
    parts = []
    for group, doc_ids in groups.items():
        for y, docs in pd.Series(doc_ids, index=year.loc[doc_ids].to_numpy()).groupby(level=0, sort=True):
            docs = docs.tolist()
            share = shares.loc[docs].mean(axis=0).to_numpy()
            n_eff = group_effective_n(sizes.loc[docs])
            low, high = wilson(share * n_eff, n_eff, level)
            parts.append(
                themes.assign(group=group, year=int(y), share=share, ci_low=low, ci_high=high,
                              n_items=int(items.loc[docs].sum()), n_docs=len(docs), n_eff=n_eff)  # fmt: skip
            )
    out = pd.concat(parts, ignore_index=True)[TREND_COLUMNS]
    return out.round({"share": 6, "ci_low": 6, "ci_high": 6, "n_eff": 4})


def _monotone(values: np.ndarray) -> bool:
    steps = np.diff(values)
    return bool(steps.any() and ((steps >= 0).all() or (steps <= 0).all()))


def trend_tests(trends: pd.DataFrame, min_years: int = MIN_YEARS, level: float = LEVEL) -> pd.DataFrame:
    """Cochran–Armitage trend test of each theme in each series of ≥ ``min_years`` years: :data:`TEST_COLUMNS`.

    On effective counts ``x = share × n_eff`` with the years as scores:
    ``slope_pp`` is the weighted least-squares slope of the share on the year
    (percentage points per year), ``z`` = slope × √(Σ n (t − t̄)²) / √(p̄ (1 − p̄)),
    two-sided ``p_value``; ``q_value`` is Benjamini–Hochberg-adjusted across the
    themes of the series; ``significant`` = q < 1 − level; ``monotone`` = the share
    never reverses direction from year to year. Sorted by group, then |slope|, largest first.
    """
    rows = []
    for (group, theme_id), part in trends.groupby(["group", "theme_id"], sort=False):
        part = part.sort_values("year")
        if len(part) < min_years:
            continue
        t, n, p = (part[c].to_numpy(dtype=float) for c in ("year", "n_eff", "share"))
        t_bar, p_bar = (n * t).sum() / n.sum(), (n * p).sum() / n.sum()
        spread = (n * (t - t_bar) ** 2).sum()
        slope = (n * (t - t_bar) * p).sum() / spread
        se = np.sqrt(p_bar * (1 - p_bar) / spread)
        z = slope / se if se > 0 else 0.0
        rows.append(
            {"group": group, "theme_id": theme_id, "theme_label": part["theme_label"].iloc[0],
             "first_year": int(t[0]), "last_year": int(t[-1]), "n_years": len(t), "first_share": p[0], "last_share": p[-1],
             "slope_pp": 100 * slope, "z": z, "p_value": 2 * norm.sf(abs(z)), "monotone": _monotone(p)}  # fmt: skip
        )
    tests = pd.DataFrame(rows, columns=[c for c in TEST_COLUMNS if c not in ("q_value", "significant")])
    tests["q_value"] = tests.groupby("group", sort=False)["p_value"].transform(lambda p: bh_adjust(p.to_numpy()))
    tests["significant"] = tests["q_value"] < 1 - level
    tests = tests.assign(size=tests["slope_pp"].abs()).sort_values(["group", "size", "theme_id"], ascending=[True, False, True])
    return tests[TEST_COLUMNS].reset_index(drop=True).round({"slope_pp": 4, "z": 4, "p_value": 6, "q_value": 6})


def target_trajectories(targets: pd.DataFrame, documents: pd.DataFrame, by: str = "city") -> pd.DataFrame:
    """Numeric targets of the same indicator in one place across ≥ 2 years: :data:`TRAJECTORY_COLUMNS`.

    Only the plans' own commitments count (:func:`~analysis.methods.target_summary.own_targets`:
    no benchmark values, achieved results or baselines).
    ``group`` is the plan's ``by`` value; a plan's several values of one indicator
    are kept as separate rows. Sorted by group, indicator and year.
    """
    info = documents[["doc_id", by, "year"]].rename(columns={by: "group"})
    rows = own_targets(targets).dropna(subset=["value_num"]).loc[lambda f: f["indicator_key"].astype(str) != ""]
    rows = rows.merge(info, on="doc_id")
    years = rows.groupby(["group", "indicator_key"])["year"].transform("nunique")
    out = rows[years >= 2].sort_values(["group", "indicator_key", "year", "doc_id"], kind="stable")
    return out[TRAJECTORY_COLUMNS].reset_index(drop=True)


def trend_findings(trends: pd.DataFrame, tests: pd.DataFrame, weight: str = "items", top: int = 3) -> list[str]:
    """Key findings: which series span ≥ 3 years (or that none does), then the largest significant movers."""
    spans = trends.groupby("group", sort=False)["year"].agg(["nunique", "min", "max"])
    long = spans[spans["nunique"] >= MIN_YEARS]
    basis = "按条目计" if weight == "items" else "按字数计"
    if long.empty:
        years = "、".join(str(y) for y in sorted(trends["year"].unique()))
        return [f"没有任何分组（包括全部文件）有 3 个或以上年份的文件（现有年份：{years}），无法判断趋势；下图只列出各年份的占比。"]
    first = f"{len(long)} 个序列有 3 个或以上年份：" + "；".join(f"{g}（{r['min']}–{r['max']}，{r['nunique']} 年）" for g, r in long.iterrows())
    sig = tests[tests["significant"]]
    if sig.empty:
        second = f"没有主题的占比有超出抽样误差的线性趋势（Cochran–Armitage 检验，{basis}，各序列内 Benjamini–Hochberg 校正）。"
    else:
        movers = sig.head(top)
        second = "变化最大的显著趋势：" + "；".join(
            f"{r.group}「{r.theme_label}」{100 * r.first_share:.1f}%（{r.first_year}）→ {100 * r.last_share:.1f}%（{r.last_year}），"
            f"每年 {r.slope_pp:+.1f} 个百分点，校正 p = {r.q_value:.3f}" + ("" if r.monotone else "，非单调")
            for r in movers.itertuples()
        ) + f"（Cochran–Armitage 检验，{basis}，Benjamini–Hochberg 校正）。"
    return [first + "。", second]


TRAJECTORY_LABELS = {"group": "地方", "indicator_key": "指标", "year": "年份", "value_num": "目标值", "unit": "单位"}
METHOD_NOTES = (
    "主题：themes 步骤给每条事项的主题（item_themes.csv）；某年占比为该年各文件占比的平均，每份文件同等权重；按条目数或字数加权。",
    "区间：Wilson score 区间（连续性校正），样本量为有效样本量：按条目计为事项数，按字数计把每条事项视为一个整群，取 Kish 有效样本量"
    "（Σ字数）²/Σ字数²；同一年有多份文件时取 k²/Σ(1/n)。只反映事项抽样的不确定性，不反映文件之间的其他差异。",
    "趋势检验：Cochran–Armitage 线性趋势检验（以年份为得分，作用于有效计数 占比 × 有效样本量），每年变化为按有效样本量加权的最小二乘斜率；"
    "每个序列内的各主题用 Benjamini–Hochberg 方法控制错误发现率，校正后 p < 0.05 为显著。只检验有 3 个或以上年份的序列。",
    "序列：全部文件，以及按所选字段（默认城市）分组后有 3 个或以上年份的每一组。",
    "目标轨迹：targets 步骤抽取的数值目标（targets.csv），同一地方在两个或以上年份出现同一 indicator_key 的指标。",
)
#: Chinese headings of the trend-test table (:func:`tests_for_display`).
TEST_LABELS = {
    "group": "序列", "theme_label": "主题", "first_year": "首年", "last_year": "末年", "n_years": "年份数",
    "first_share": "首年占比", "last_share": "末年占比", "slope_pp": "每年变化（百分点）", "z": "z",
    "q_value": "BH 校正 p 值", "significant": "显著", "monotone": "单调",
}  # fmt: skip


def tests_for_display(tests: pd.DataFrame) -> pd.DataFrame:
    """A :func:`trend_tests` table ready to show: shares in %, 是/否, Chinese headings."""
    out = tests.drop(columns=["theme_id", "p_value"])
    for col in ("first_share", "last_share"):
        out[col] = (100 * out[col]).map("{:.1f}%".format)
    out["slope_pp"] = out["slope_pp"].map("{:+.2f}".format)
    out["z"] = out["z"].map("{:.2f}".format)
    out["q_value"] = out["q_value"].map("{:.3f}".format)
    for col in ("significant", "monotone"):
        out[col] = out[col].map({True: "是", False: "否"})
    return out.rename(columns=TEST_LABELS)


@dataclass
class TrendResult:
    """What the trends step and the 05_trends report show (see :func:`load_trends`)."""

    documents: pd.DataFrame
    trends: pd.DataFrame
    tests: pd.DataFrame
    trajectories: pd.DataFrame
    weight: str

    def findings(self) -> list[str]:
        """The key findings (:func:`trend_findings`)."""
        return trend_findings(self.trends, self.tests, self.weight)

    def series(self) -> list[str]:
        """The groups of ``trends``: 全部 first, then the others by number of plans (most first)."""
        sizes = self.trends.drop_duplicates(["group", "year"]).groupby("group", sort=False)["n_docs"].sum()
        return [ALL, *sizes.drop(ALL).sort_values(ascending=False, kind="stable").index]


def load_trends(processed: str | Path, select: str | None = None, by: str | None = "city", weight: str = "items") -> TrendResult:
    """Trends of the plans of ``processed`` picked by ``select`` (all when None), series by ``by``.

    Reads documents.csv, items.csv, item_themes.csv and, when present, targets.csv
    (``trajectories`` is empty without it).
    """
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    processed = Path(processed)
    documents = read_table(processed, "documents")
    items = read_table(processed, "items")
    if select:
        documents = documents[documents["doc_id"].isin(select_documents(documents, select, processed / "documents.csv"))]
        items = items[items["doc_id"].isin(documents["doc_id"])]
    labelled = label_items(items, read_table(processed, "item_themes", step="themes"), processed / "item_themes.csv")
    trends = attention_by_year(labelled, documents, year_groups(documents, by, source=processed / "documents.csv"), weight)
    if (processed / "targets.csv").is_file():
        trajectories = target_trajectories(read_table(processed, "targets", step="targets"), documents, by or "city")
    else:
        trajectories = pd.DataFrame(columns=TRAJECTORY_COLUMNS)
    return TrendResult(documents, trends, trend_tests(trends), trajectories, weight)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis trends``."""
    parser.add_argument("--processed", default="data/processed", help="folder with documents.csv, items.csv, item_themes.csv")
    parser.add_argument("--out", default=None, help="output folder for trends.csv and trend_tests.csv (default: <processed>)")
    parser.add_argument("--select", default=None, help='only the plans picked by this group selector, e.g. "province=山东省"')
    parser.add_argument("--by", default="city", help="manifest field whose values form the series besides 全部 (default: city)")
    parser.add_argument("--weight", choices=WEIGHTS, default="items", help="count attention by items or by characters (default: items)")


def run(args: argparse.Namespace) -> int:
    """Run the trends step: write trends.csv and trend_tests.csv."""
    result = load_trends(args.processed, args.select, args.by, args.weight)
    out = Path(args.out) if args.out else Path(args.processed)
    write_tables({"trends": result.trends, "trend_tests": result.tests}, out)
    for finding in result.findings():
        print(f"- {finding}")
    print(f"wrote trends.csv, trend_tests.csv to {out}")
    return 0
