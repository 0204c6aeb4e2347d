"""Priority shifts between two groups of plans: ``python -m analysis shifts``.

:func:`share_shifts` compares the theme shares of a base and a compare group
(:mod:`analysis.methods.profiles`): difference in percentage points with a percentile
bootstrap interval (items resampled within each document, seeded), log2 ratio,
rank change and status. :func:`compare_groups` runs the whole comparison on a
processed folder — shares, shifts, distinctive terms (:mod:`analysis.methods.keyness`)
and item continuity (:mod:`analysis.methods.continuity`) — and :func:`summarize_shifts`
writes the key findings from the numbers. Groups are selectors such as
``"city=青岛市,year=2021"`` (:mod:`analysis.methods.selectors`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.methods.continuity import match_items
from analysis.methods.corpus import document_labels
from analysis.errors import InputError
from analysis.methods.keyness import keyness
from analysis.methods.profiles import (
    WEIGHTS,
    attention_profiles,
    bootstrap_document_shares,
    document_shares,
    js_distance,
    label_items,
    theme_table,
)
from analysis.methods.selectors import Selector, parse_selector, select_documents
from analysis.store import read_table, write_json_atomic, write_tables
from analysis.text.tokenize import Tokenizer

SHIFT_COLUMNS = [
    "theme_id", "theme_label", "base_share", "compare_share", "diff_pp", "ci_low", "ci_high", "log_ratio", "rank_change", "status",
]  # fmt: skip
LEVEL = 0.95
BASIS = {"items": "按条目计", "chars": "按字数计"}
UNIT = {"items": "条", "chars": "字"}
#: Chinese names of the ``status`` and ``side`` values.
VALUE_LABELS = {
    "new": "新增", "dropped": "消失", "up": "上升", "down": "下降", "similar": "无明显变化",
    "continued": "延续", "reworded": "改写延续", "base": "基准", "compare": "比较",
}  # fmt: skip
#: Chinese headings for the tables shown in the report (:func:`for_display`).
LABELS = {
    "theme_label": "主题", "base_share": "基准占比", "compare_share": "比较占比", "diff_pp": "变化（百分点）",
    "ci": "95% 区间", "log_ratio": "log2 比值", "rank_change": "排名变化", "status": "状态",
    "side": "一方", "rank": "名次", "term": "词语", "log_odds": "对数优势比", "n_base": "基准词频",
    "n_compare": "比较词频", "items_base": "基准事项数", "items_compare": "比较事项数",
    "similarity": "相似度", "base_text": "基准事项", "compare_text": "比较事项",
}  # fmt: skip
METHOD_NOTES = (
    "主题：themes 步骤给每条事项的主题（item_themes.csv）；占比按条目数或字数加权，组内各文件占比取平均，每份文件同等权重。",
    "区间：百分位 bootstrap，每次在每份文件内有放回地重抽事项（抽取数等于事项数），重算占比差；种子固定，结果可复现。"
    "单份文件的区间只反映事项抽样的不确定性，不反映不同年份或地方之间的其他差异。",
    "总体差异：两组主题占比的 Jensen–Shannon 距离（以 2 为底，0 为相同，1 为没有共同主题）。",
    "区分性词语：Monroe、Colaresi 与 Quinn（2008）的加权对数优势比，信息性 Dirichlet 先验取全语料词频（总量为两组词数的 0.1 倍），"
    "按 z 值排序；分词去除地名与公文套话；|z| > 1.96 为常用（未校正）阈值。",
    "事项延续：TF-IDF（词语，次线性词频）余弦相似度，比较组每条事项找基准组最相似事项；≥ 0.5 为延续，0.15–0.5 为改写延续，"
    "< 0.15 为新增；基准事项在比较组中最高相似度 < 0.15 为消失。",
)


def _ranks(shares: np.ndarray) -> pd.Series:
    """Rank of each theme by share (1 = largest; ties share the best rank); absent themes have none."""
    return pd.Series(shares).where(shares > 0).rank(ascending=False, method="min")


def share_shifts(
    labelled: pd.DataFrame,
    base_ids: Sequence[str],
    compare_ids: Sequence[str],
    weight: str = "items",
    n_boot: int = 2000,
    seed: int = 0,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Theme-share changes from the base to the compare group: one row per theme present in either.

    Returns :data:`SHIFT_COLUMNS`, sorted by ``diff_pp`` (largest rise first):
    shares (0–1, mean of the group's document shares), ``diff_pp`` = 100 ×
    (compare − base) with its ``level`` percentile-bootstrap interval
    ``ci_low``/``ci_high`` (``n_boot`` replicates; each redraws every document's
    items with replacement from ``numpy.random.default_rng(seed)``; a document in
    both groups is redrawn once, so identical groups give exactly zero),
    ``log_ratio`` = log2(compare / base) (empty when either is 0),
    ``rank_change`` = base rank − compare rank (positive: moved up), and
    ``status``: ``new`` / ``dropped`` (absent from the base / compare group),
    else ``up`` / ``down`` when the interval excludes 0, else ``similar``.
    """
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, not {n_boot}")
    themes = theme_table(labelled)
    shares = document_shares(labelled, weight, themes)
    base = shares.loc[list(base_ids)].mean(axis=0).to_numpy()
    comp = shares.loc[list(compare_ids)].mean(axis=0).to_numpy()
    docs = list(dict.fromkeys([*base_ids, *compare_ids]))
    reps = bootstrap_document_shares(labelled, docs, weight, n_boot, np.random.default_rng(seed), themes)
    diffs = np.mean([reps[d] for d in compare_ids], axis=0) - np.mean([reps[d] for d in base_ids], axis=0)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(100 * diffs, [tail, 100 - tail], axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where((base > 0) & (comp > 0), np.log2(comp / base), np.nan)
    status = np.select([base == 0, comp == 0, low > 0, high < 0], ["new", "dropped", "up", "down"], "similar")
    out = themes.assign(
        base_share=base,
        compare_share=comp,
        diff_pp=100 * (comp - base),
        ci_low=low,
        ci_high=high,
        log_ratio=log_ratio,
        rank_change=(_ranks(base) - _ranks(comp)).astype("Int64"),
        status=status,
    )
    out = out[(base > 0) | (comp > 0)].round({"base_share": 6, "compare_share": 6, "diff_pp": 4, "ci_low": 4, "ci_high": 4, "log_ratio": 4})
    return out.sort_values(["diff_pp", "theme_id"], ascending=[False, True], ignore_index=True)[SHIFT_COLUMNS]


def _pp(value: float) -> str:
    """Signed percentage points to 0.1, never ``-0.0``."""
    return f"{round(value, 1) + 0.0:+.1f}"


def _describe(row: pd.Series) -> str:
    return (
        f"「{row.theme_label}」{100 * row.base_share:.1f}% → {100 * row.compare_share:.1f}%"
        f"（{_pp(row.diff_pp)} 个百分点，{round(100 * LEVEL)}% 区间 {_pp(row.ci_low)} 至 {_pp(row.ci_high)}）"
    )


def summarize_shifts(
    shifts: pd.DataFrame, base: str, compare: str, weight: str, js: float, n_base: int, n_compare: int, top: int = 2
) -> list[str]:
    """Three key-finding sentences from a :func:`share_shifts` table.

    The largest rises and falls (up to ``top`` each, with shares, difference and
    interval, as in the table rounded to 0.1), then the Jensen–Shannon distance,
    the counts of new and dropped themes and the basis (items or characters, n).
    """
    rises = shifts[shifts.diff_pp > 0].nlargest(top, "diff_pp")
    falls = shifts[shifts.diff_pp < 0].nsmallest(top, "diff_pp")
    head = f"{compare} 与 {base} 相比（{BASIS[weight]}）"
    up = "；".join(_describe(r) for _, r in rises.iterrows()) or "没有主题占比上升"
    down = "；".join(_describe(r) for _, r in falls.iterrows()) or "没有主题占比下降"
    new, dropped = (shifts.status == "new").sum(), (shifts.status == "dropped").sum()
    unit = UNIT[weight]
    return [
        f"{head}，占比上升最多：{up}。",
        f"占比下降最多：{down}。",
        f"总体差异 Jensen–Shannon 距离 {js:.2f}（0 为相同，1 为无共同主题）；新出现主题 {new} 个，消失 {dropped} 个；"
        f"基准 {n_base} {unit}，比较 {n_compare} {unit}。",
    ]


#: Documents shown at most in a report's all-documents heatmap and distance table.
MAX_SHOWN_DOCUMENTS = 30


@dataclass
class Comparison:
    """Everything one base-vs-compare comparison produces (see :func:`compare_groups`)."""

    base: Selector
    compare: Selector
    base_ids: list[str]
    compare_ids: list[str]
    weight: str
    n_boot: int
    seed: int
    shares: pd.DataFrame
    shifts: pd.DataFrame
    keyness: pd.DataFrame
    continuity: pd.DataFrame
    document_shares: pd.DataFrame
    js_distance: float
    n_base: int
    n_compare: int

    def shown_document_shares(self, limit: int = MAX_SHOWN_DOCUMENTS) -> pd.DataFrame:
        """The rows of ``document_shares`` a report shows: the two groups' documents first, at most ``limit``."""
        return self.document_shares.head(limit)

    def findings(self) -> list[str]:
        """The key findings (:func:`summarize_shifts`) with the groups' short labels."""
        return summarize_shifts(
            self.shifts, self.base.label, self.compare.label, self.weight, self.js_distance, self.n_base, self.n_compare
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written by the ``shifts`` step."""
        return {"shares": self.shares, "shifts": self.shifts, "keyness": self.keyness, "continuity": self.continuity}

    def summary(self) -> dict:
        """Parameters, groups, distance and findings, as written to ``comparison.json``."""
        return {
            "base": str(self.base),
            "compare": str(self.compare),
            "base_doc_ids": self.base_ids,
            "compare_doc_ids": self.compare_ids,
            "weight": self.weight,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "level": LEVEL,
            "js_distance": round(self.js_distance, 6),
            "findings": self.findings(),
        }


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A shifts, keyness or continuity table ready to show: shares in %, interval as one column, Chinese headings."""
    out = frame.drop(columns=["theme_id", "base_item_id", "compare_item_id"], errors="ignore")
    for col in ("base_share", "compare_share"):
        if col in out:
            out[col] = (100 * out[col]).map("{:.1f}%".format)
    if "ci_low" in out:
        out.insert(out.columns.get_loc("ci_low"), "ci", [f"{_pp(lo)} 至 {_pp(hi)}" for lo, hi in zip(out["ci_low"], out["ci_high"])])
        out = out.drop(columns=["ci_low", "ci_high"])
    if "diff_pp" in out:
        out["diff_pp"] = out["diff_pp"].map(_pp)
    for col in ("status", "side"):
        if col in out:
            out[col] = out[col].map(lambda v: VALUE_LABELS.get(v, v))
    return out.rename(columns=LABELS)


def _pick(tokens: list[list[str]], mask: np.ndarray) -> list[list[str]]:
    return [t for t, keep in zip(tokens, mask) if keep]


def compare_groups(
    processed: str | Path,
    base: str,
    compare: str,
    *,
    weight: str = "items",
    n_boot: int = 2000,
    seed: int = 0,
    top_terms: int = 30,
    progress: bool = False,
) -> Comparison:
    """Compare the ``base`` and ``compare`` selectors on the tables of ``processed``.

    Reads documents.csv, items.csv and item_themes.csv. ``shares`` holds the
    two groups' profiles (``role`` base/compare) and every document's
    (``role`` document, ``group`` = doc_id); ``keyness`` pools the groups' item
    tokens (place names removed) with the rest of the corpus as prior
    background; ``continuity`` matches the compare group's items to the base group's.
    """
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    processed = Path(processed)
    source = processed / "documents.csv"
    documents = read_table(processed, "documents")
    items = read_table(processed, "items")
    labelled = label_items(items, read_table(processed, "item_themes", step="themes"), processed / "item_themes.csv")
    base_sel, comp_sel = parse_selector(base, source), parse_selector(compare, source)
    if str(base_sel) == str(comp_sel):
        raise InputError(source, f"--base and --compare are the same selector {str(base_sel)!r}; compare two different groups")
    base_ids, compare_ids = select_documents(documents, base_sel, source), select_documents(documents, comp_sel, source)

    doc_ids = documents["doc_id"].tolist()
    groups = {str(base_sel): base_ids, str(comp_sel): compare_ids, **{d: [d] for d in doc_ids}}
    shares = attention_profiles(labelled, groups, weight)
    shares["role"] = shares["group"].map({str(base_sel): "base", str(comp_sel): "compare"}).fillna("document")
    base_profile, comp_profile = (shares.loc[shares["role"] == r, "share"] for r in ("base", "compare"))
    shifts = share_shifts(labelled, base_ids, compare_ids, weight, n_boot, seed)

    tokens = Tokenizer.for_documents(documents).tokenize_many(items["text"].tolist(), progress=progress)
    in_base, in_comp = items["doc_id"].isin(base_ids).to_numpy(), items["doc_id"].isin(compare_ids).to_numpy()
    key = keyness(_pick(tokens, in_base), _pick(tokens, in_comp), _pick(tokens, ~in_base & ~in_comp), top=top_terms)
    cont = match_items(items[in_base], items[in_comp], _pick(tokens, in_base), _pick(tokens, in_comp))

    amount = labelled["n_chars"] if weight == "chars" else pd.Series(1, index=labelled.index)
    return Comparison(
        base=base_sel,
        compare=comp_sel,
        base_ids=base_ids,
        compare_ids=compare_ids,
        weight=weight,
        n_boot=n_boot,
        seed=seed,
        shares=shares,
        shifts=shifts,
        keyness=key,
        continuity=cont,
        document_shares=document_shares(labelled, weight)
        .loc[list(dict.fromkeys([*base_ids, *compare_ids, *doc_ids]))]
        .rename(index=document_labels(documents), columns=theme_table(labelled).set_index("theme_id")["theme_label"]),
        js_distance=js_distance(base_profile, comp_profile),
        n_base=int(amount[labelled["doc_id"].isin(base_ids)].sum()),
        n_compare=int(amount[labelled["doc_id"].isin(compare_ids)].sum()),
    )


def default_out_dir(processed: str | Path, base: Selector, compare: Selector, weight: str) -> Path:
    """``processed/shifts/<base slug>__vs__<compare slug>__<weight>``: one folder per comparison."""
    return Path(processed) / "shifts" / f"{base.slug}__vs__{compare.slug}__{weight}"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis shifts``."""
    parser.add_argument("--processed", default="data/processed", help="folder with documents.csv, items.csv, item_themes.csv")
    parser.add_argument("--base", required=True, help='base group selector, e.g. "city=青岛市,year=2021" or "year=2024,city!=西安市"')
    parser.add_argument("--compare", required=True, help='compare group selector, e.g. "city=青岛市,year=2024"')
    parser.add_argument("--weight", choices=WEIGHTS, default="items", help="count attention by items or by characters (default: items)")
    parser.add_argument("--n-boot", type=_positive_int, default=2000, help="bootstrap replicates (default: 2000)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default: 0)")
    parser.add_argument("--top-terms", type=_positive_int, default=30, help="distinctive terms per side (default: 30)")
    parser.add_argument(
        "--out", default=None, help="output folder (default: <processed>/shifts/<base>__vs__<compare>__<weight>/)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the shifts step: write shares, shifts, keyness, continuity CSVs and comparison.json."""
    result = compare_groups(
        args.processed, args.base, args.compare, weight=args.weight, n_boot=args.n_boot, seed=args.seed,
        top_terms=args.top_terms, progress=True,
    )  # fmt: skip
    out = Path(args.out) if args.out else default_out_dir(args.processed, result.base, result.compare, args.weight)
    write_tables(result.tables(), out)
    write_json_atomic(out / "comparison.json", result.summary())
    print(f"base    {result.base}: {', '.join(result.base_ids)}")
    print(f"compare {result.compare}: {', '.join(result.compare_ids)}")
    for finding in result.findings():
        print(f"- {finding}")
    print(f"wrote shares.csv, shifts.csv, keyness.csv, continuity.csv, comparison.json to {out}")
    return 0
