"""Priority shifts between two groups of plans: ``python -m analysis shifts``.

:func:`share_shifts` compares the theme shares of a base and a compare group
(:mod:`analysis.methods.profiles`): difference in percentage points with a
Newcombe interval and a score test per theme, Benjamini–Hochberg-adjusted across
the themes (:mod:`analysis.methods.intervals`), log2 ratio, rank change, and a
status in the words of the comparison (temporal or cross-sectional,
:mod:`analysis.methods.comparability`). :func:`compare_groups` runs the whole
comparison on a processed folder — shares, shifts, distinctive terms
(:mod:`analysis.methods.keyness`), item continuity (:mod:`analysis.methods.continuity`)
and comparability warnings — and :func:`summarize_shifts` writes the key findings,
naming only significant changes. Groups are selectors such as
``"city=青岛市,year=2021"`` (:mod:`analysis.methods.selectors`).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.methods.comparability import (
    STATUS_LABELS,
    TEMPORAL,
    comparability_warnings,
    comparison_kind,
    status_code,
)
from analysis.methods.continuity import match_items
from analysis.methods.corpus import document_labels, name_list
from analysis.methods.intervals import LEVEL, bh_adjust, group_effective_n, newcombe, score_test
from analysis.methods.keyness import keyness
from analysis.methods.profiles import (
    WEIGHTS,
    attention_profiles,
    document_shares,
    effective_sizes,
    js_distance,
    label_items,
    theme_table,
)
from analysis.methods.selectors import SLUG_UNSAFE_RE, Selector, parse_selector, select_documents
from analysis.store import read_table, write_json_atomic, write_tables
from analysis.text.tokenize import Tokenizer

SHIFT_COLUMNS = [
    "theme_id", "theme_label", "base_share", "compare_share", "diff_pp", "ci_low", "ci_high", "p_value", "q_value",
    "significant", "log_ratio", "rank_change", "status",
]  # fmt: skip
BASIS = {"items": "按条目计", "chars": "按字数计"}
UNIT = {"items": "条", "chars": "字"}
#: Chinese headings for the tables shown in the report (:func:`for_display`).
LABELS = {
    "theme_label": "主题", "base_share": "基准占比", "compare_share": "比较占比", "diff_pp": "差异（百分点）",
    "ci": "95% 区间", "p_value": "p 值", "q_value": "BH 校正 p 值", "significant": "显著", "log_ratio": "log2 比值",
    "rank_change": "排名变化", "status": "状态",
    "side": "一方", "rank": "名次", "term": "词语", "log_odds": "对数优势比", "n_base": "基准词频",
    "n_compare": "比较词频", "items_base": "基准事项数", "items_compare": "比较事项数",
    "similarity": "相似度", "base_text": "基准事项", "compare_text": "比较事项",
}  # fmt: skip
METHOD_NOTES = (
    "主题：themes 步骤给每条事项的主题（item_themes.csv）；占比按条目数或字数加权，组内各文件占比取平均，每份文件同等权重。",
    "区间：两组占比之差的 Newcombe 混合 score 区间（连续性校正的 Wilson 区间组合，Newcombe 1998 方法 11），"
    "计数为 0 或样本很小时仍保持覆盖率（模拟：名义 95%，各情形实际覆盖率均不低于 95%）。"
    "有效样本量：按条目计为事项数；按字数计把每条事项视为一个整群，取 Kish 有效样本量（Σ字数）²/Σ字数²；"
    "多份文件的组取 k²/Σ(1/n)。只反映事项抽样的不确定性，不反映不同年份或地方之间的其他差异。",
    "显著性：每个主题做两比例 score 检验（Yates 校正），在本次比较的所有主题间用 Benjamini–Hochberg 方法控制错误发现率；"
    "校正后 p < 0.05 且区间不含 0 才算显著。主要发现只列显著的变化。",
    "措辞：同一地方不同年份为时间比较（新增、消失、延续、上升、下降）；不同地方为横向比较（仅见于比较组、仅见于基准组、共有、较高、较低）。",
    "总体差异：两组主题占比的 Jensen–Shannon 距离（以 2 为底，0 为相同，1 为没有共同主题）。",
    "区分性词语：Monroe、Colaresi 与 Quinn（2008）的加权对数优势比，信息性 Dirichlet 先验取全语料词频（总量为两组词数的 0.1 倍），"
    "按 z 值排序；分词去除地名与公文套话；|z| > 1.96 为常用（未校正）阈值。",
    "事项延续：TF-IDF（词语，次线性词频）余弦相似度，比较组每条事项找基准组最相似事项；≥ 0.5 为延续（共有），0.15–0.5 为改写延续"
    "（共有，措辞不同），< 0.15 为新增（仅见于比较组）；基准事项在比较组中最高相似度 < 0.15 为消失（仅见于基准组）。",
)


def _ranks(shares: np.ndarray) -> pd.Series:
    """Rank of each theme by share (1 = largest; ties share the best rank); absent themes have none."""
    return pd.Series(shares).where(shares > 0).rank(ascending=False, method="min")


def group_sizes(labelled: pd.DataFrame, base_ids: Sequence[str], compare_ids: Sequence[str], weight: str) -> tuple[float, float]:
    """Effective n of the base and compare group shares (:mod:`analysis.methods.intervals`)."""
    sizes = effective_sizes(labelled, weight)
    return group_effective_n(sizes.loc[list(base_ids)]), group_effective_n(sizes.loc[list(compare_ids)])


def share_shifts(
    labelled: pd.DataFrame,
    base_ids: Sequence[str],
    compare_ids: Sequence[str],
    weight: str = "items",
    kind: str = TEMPORAL,
    level: float = LEVEL,
) -> pd.DataFrame:
    """Theme-share changes from the base to the compare group: one row per theme present in either.

    Returns :data:`SHIFT_COLUMNS`, sorted by ``diff_pp`` (largest rise first):
    shares (0–1, mean of the group's document shares), ``diff_pp`` = 100 ×
    (compare − base) with its ``level`` Newcombe interval ``ci_low``/``ci_high``
    (effective counts share × n_eff, :func:`group_sizes`), ``p_value`` of the
    score test, ``q_value`` Benjamini–Hochberg-adjusted across the rows,
    ``significant`` = q < 1 − level and the interval excludes 0,
    ``log_ratio`` = log2(compare / base) (empty when either is 0),
    ``rank_change`` = base rank − compare rank (positive: moved up), and
    ``status`` in the words of ``kind`` (:mod:`analysis.methods.comparability`):
    ``new`` / ``dropped`` (absent from the base / compare group; cross-sectional
    ``compare_only`` / ``base_only``), else ``up`` / ``down`` (``higher`` / ``lower``)
    when significant, else ``similar``.
    """
    themes = theme_table(labelled)
    shares = document_shares(labelled, weight, themes)
    base = shares.loc[list(base_ids)].mean(axis=0).to_numpy()
    comp = shares.loc[list(compare_ids)].mean(axis=0).to_numpy()
    n_base, n_comp = group_sizes(labelled, base_ids, compare_ids, weight)
    low, high = newcombe(base * n_base, n_base, comp * n_comp, n_comp, level)
    present = (base > 0) | (comp > 0)
    p_value = score_test(base * n_base, n_base, comp * n_comp, n_comp)
    q_value = np.ones(len(themes))
    q_value[present] = bh_adjust(p_value[present])
    significant = (q_value < 1 - level) & ((low > 0) | (high < 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.where((base > 0) & (comp > 0), np.log2(comp / base), np.nan)
    status = np.select(
        [base == 0, comp == 0, significant & (comp > base), significant & (comp < base)],
        [status_code(c, kind) for c in ("new", "dropped", "up", "down")],
        "similar",
    )
    out = themes.assign(
        base_share=base,
        compare_share=comp,
        diff_pp=100 * (comp - base),
        ci_low=100 * low,
        ci_high=100 * high,
        p_value=p_value,
        q_value=q_value,
        significant=significant,
        log_ratio=log_ratio,
        rank_change=(_ranks(base) - _ranks(comp)).astype("Int64"),
        status=status,
    )
    out = out[present].round(
        {"base_share": 6, "compare_share": 6, "diff_pp": 4, "ci_low": 4, "ci_high": 4, "p_value": 6, "q_value": 6, "log_ratio": 4}
    )
    return out.sort_values(["diff_pp", "theme_id"], ascending=[False, True], ignore_index=True)[SHIFT_COLUMNS]


def _pp(value: float) -> str:
    """Signed percentage points to 0.1, never ``-0.0``."""
    return f"{round(value, 1) + 0.0:+.1f}"


def _describe(row: pd.Series, kind: str) -> str:
    shares = (
        f"{100 * row.base_share:.1f}% → {100 * row.compare_share:.1f}%"
        if kind == TEMPORAL
        else f"基准 {100 * row.base_share:.1f}%，比较 {100 * row.compare_share:.1f}%"
    )
    return (
        f"「{row.theme_label}」{shares}（{_pp(row.diff_pp)} 个百分点，{round(100 * LEVEL)}% 区间 {_pp(row.ci_low)} 至 {_pp(row.ci_high)}，"
        f"校正 p = {row.q_value:.3f}）"
    )


def summarize_shifts(
    shifts: pd.DataFrame, base: str, compare: str, weight: str, js: float, n_base: int, n_compare: int,
    kind: str = TEMPORAL, top: int = 2,
) -> list[str]:  # fmt: skip
    """Three key-finding sentences from a :func:`share_shifts` table; only significant changes are named.

    With significant changes: the largest significant rises, then falls (up to
    ``top`` each, with shares, difference, interval and adjusted p, as in the
    table rounded to 0.1). With none, the first sentence says that no theme's
    share differs beyond sampling error. The last sentence gives the Jensen–Shannon
    distance, the themes found on one side only, the basis (items or characters,
    n) and the method. Wording follows ``kind`` (temporal or cross-sectional).
    """
    sig = shifts[shifts.significant.astype(bool)]
    rises = sig[sig.diff_pp > 0].nlargest(top, "diff_pp")
    falls = sig[sig.diff_pp < 0].nsmallest(top, "diff_pp")
    unit = UNIT[weight]
    temporal = kind == TEMPORAL
    head = f"{compare} 与 {base} 相比（{BASIS[weight]}，基准 {n_base} {unit}，比较 {n_compare} {unit}）"
    up, down = ("上升", "下降") if temporal else ("较高", "较低")
    change = "变化" if temporal else "差异"
    if sig.empty:
        first = f"{head}，无主题的占比{change}超出抽样误差（{len(shifts)} 个主题均不显著）。"
        width = (shifts.ci_high - shifts.ci_low).median() if len(shifts) else 0.0
        second = f"各主题{change}的 95% 区间宽度中位数为 {width:.0f} 个百分点，小于此量级的{change}无法与抽样误差区分。"
    else:
        first = f"{head}，占比显著{up}：" + ("；".join(_describe(r, kind) for _, r in rises.iterrows()) or "无") + "。"
        second = f"占比显著{down}：" + ("；".join(_describe(r, kind) for _, r in falls.iterrows()) or "无") + "。"
    one_side = (
        f"新出现主题 {(shifts.status == 'new').sum()} 个，消失 {(shifts.status == 'dropped').sum()} 个"
        if temporal
        else f"仅见于比较组的主题 {(shifts.status == 'compare_only').sum()} 个，仅见于基准组 {(shifts.status == 'base_only').sum()} 个"
    )
    return [
        first,
        second,
        f"总体差异 Jensen–Shannon 距离 {js:.2f}（0 为相同，1 为无共同主题）；{one_side}。"
        f"显著性：Newcombe 区间与 score 检验，{len(shifts)} 个主题间 Benjamini–Hochberg 校正。",
    ]


#: Documents shown at most in a report's all-documents heatmap and distance table.
MAX_SHOWN_DOCUMENTS = 30
#: Base items without a counterpart (dropped / base_only) listed at most in a report's continuity table (a plan against
#: the rest of a 2,000-plan year has thousands; the shifts step's continuity.csv keeps them all).
MAX_SHOWN_DROPPED = 200


@dataclass
class Comparison:
    """Everything one base-vs-compare comparison produces (see :func:`compare_groups`)."""

    base: Selector
    compare: Selector
    base_ids: list[str]
    compare_ids: list[str]
    weight: str
    kind: str
    warnings: list[str]
    shares: pd.DataFrame
    shifts: pd.DataFrame
    keyness: pd.DataFrame
    continuity: pd.DataFrame
    document_shares: pd.DataFrame
    js_distance: float
    n_base: int
    n_compare: int
    n_eff_base: float
    n_eff_compare: float
    doc_labels: dict[str, str]

    def members(self) -> str:
        """The two groups' plans by name, e.g. ``基准 青岛市 2021 对比 青岛市 2024``."""
        base, compare = (name_list([self.doc_labels[d] for d in ids]) for ids in (self.base_ids, self.compare_ids))
        return f"基准 {self.base.label}（{base}）对比 {self.compare.label}（{compare}）"

    def shown_continuity(self, limit: int = MAX_SHOWN_DROPPED) -> pd.DataFrame:
        """The continuity rows a report lists: every compare item, then at most ``limit`` base items without a
        counterpart (``dropped`` over time, ``base_only`` between places)."""
        dropped = self.continuity.status.isin(["dropped", "base_only"])
        return pd.concat([self.continuity[~dropped], self.continuity[dropped].head(limit)])

    def shown_document_shares(self, limit: int = MAX_SHOWN_DOCUMENTS) -> pd.DataFrame:
        """The rows of ``document_shares`` a report shows: the two groups' documents first, at most ``limit``."""
        return self.document_shares.head(limit)

    def findings(self) -> list[str]:
        """The key findings (:func:`summarize_shifts`) with the groups' short labels."""
        return summarize_shifts(
            self.shifts, self.base.label, self.compare.label, self.weight, self.js_distance, self.n_base, self.n_compare, self.kind
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """``{file stem: frame}`` as written by the ``shifts`` step."""
        return {"shares": self.shares, "shifts": self.shifts, "keyness": self.keyness, "continuity": self.continuity}

    def summary(self) -> dict:
        """Parameters, groups, kind, warnings, distance and findings, as written to ``comparison.json``."""
        return {
            "base": str(self.base),
            "compare": str(self.compare),
            "base_doc_ids": self.base_ids,
            "compare_doc_ids": self.compare_ids,
            "weight": self.weight,
            "kind": self.kind,
            "warnings": self.warnings,
            "level": LEVEL,
            "interval": "newcombe-hybrid-score-continuity-corrected",
            "multiplicity": "benjamini-hochberg",
            "n_eff_base": round(self.n_eff_base, 4),
            "n_eff_compare": round(self.n_eff_compare, 4),
            "n_significant": int(self.shifts["significant"].sum()),
            "js_distance": round(self.js_distance, 6),
            "findings": self.findings(),
        }


def for_display(frame: pd.DataFrame) -> pd.DataFrame:
    """A shifts, keyness or continuity table ready to show: shares in %, interval as one column, 是/否, Chinese headings."""
    out = frame.drop(columns=["theme_id", "base_item_id", "compare_item_id"], errors="ignore")
    for col in ("base_share", "compare_share"):
        if col in out:
            out[col] = (100 * out[col]).map("{:.1f}%".format)
    if "ci_low" in out:
        out.insert(out.columns.get_loc("ci_low"), "ci", [f"{_pp(lo)} 至 {_pp(hi)}" for lo, hi in zip(out["ci_low"], out["ci_high"])])
        out = out.drop(columns=["ci_low", "ci_high"])
    if "diff_pp" in out:
        out["diff_pp"] = out["diff_pp"].map(_pp)
    for col in ("p_value", "q_value"):
        if col in out:
            out[col] = out[col].map("{:.3f}".format)
    if "significant" in out:
        out["significant"] = out["significant"].map({True: "是", False: "否"})
    for col in ("status", "side"):
        if col in out:
            out[col] = out[col].map(lambda v: STATUS_LABELS.get(v, v))
    return out.rename(columns=LABELS)


def _pick(tokens: list[list[str]], mask: np.ndarray) -> list[list[str]]:
    return [t for t, keep in zip(tokens, mask) if keep]


def default_selectors(documents: pd.DataFrame) -> tuple[str, str]:
    """``(base, compare)`` when none are given: the first place (in ``documents`` order) with plans in two
    or more years, its earliest year against its latest."""
    for city, frame in documents.groupby("city", sort=False):
        years = sorted(frame["year"].astype(int).unique())
        if len(years) > 1:
            return f"city={city},year={years[0]}", f"city={city},year={years[-1]}"
    raise InputError("documents.csv", "no place has plans in two years; give --base and --compare selectors")


def compare_groups(
    processed: str | Path,
    base: str | None,
    compare: str | None,
    *,
    weight: str = "items",
    top_terms: int = 30,
    progress: bool = False,
) -> Comparison:
    """Compare the ``base`` and ``compare`` selectors on the tables of ``processed``.

    Reads documents.csv, items.csv and item_themes.csv; ``base``/``compare`` None
    take :func:`default_selectors`. ``shares`` holds the
    two groups' profiles (``role`` base/compare) and every document's
    (``role`` document, ``group`` = doc_id); ``keyness`` pools the groups' item
    tokens (place names removed) with the rest of the corpus as prior
    background; ``continuity`` matches the compare group's items to the base group's.
    ``kind`` (temporal or cross-sectional) sets the status words of ``shifts`` and
    ``continuity``; ``warnings`` lists what makes the groups hard to compare
    (:mod:`analysis.methods.comparability`).
    """
    if weight not in WEIGHTS:
        raise ValueError(f"weight must be one of {WEIGHTS}, not {weight!r}")
    processed = Path(processed)
    source = processed / "documents.csv"
    documents = read_table(processed, "documents")
    items = read_table(processed, "items")
    labelled = label_items(items, read_table(processed, "item_themes", step="themes"), processed / "item_themes.csv")
    if base is None or compare is None:
        base, compare = default_selectors(documents)
    base_sel, comp_sel = parse_selector(base, source), parse_selector(compare, source)
    if str(base_sel) == str(comp_sel):
        raise InputError(source, f"--base and --compare are the same selector {str(base_sel)!r}; compare two different groups")
    base_ids, compare_ids = select_documents(documents, base_sel, source), select_documents(documents, comp_sel, source)

    doc_ids = documents["doc_id"].tolist()
    groups = {str(base_sel): base_ids, str(comp_sel): compare_ids, **{d: [d] for d in doc_ids}}
    shares = attention_profiles(labelled, groups, weight)
    shares["role"] = shares["group"].map({str(base_sel): "base", str(comp_sel): "compare"}).fillna("document")
    base_profile, comp_profile = (shares.loc[shares["role"] == r, "share"] for r in ("base", "compare"))
    kind = comparison_kind(documents, base_ids, compare_ids)
    shifts = share_shifts(labelled, base_ids, compare_ids, weight, kind)

    tokens = Tokenizer.for_documents(documents).tokenize_many(items["text"].tolist(), progress=progress)
    in_base, in_comp = items["doc_id"].isin(base_ids).to_numpy(), items["doc_id"].isin(compare_ids).to_numpy()
    key = keyness(_pick(tokens, in_base), _pick(tokens, in_comp), _pick(tokens, ~in_base & ~in_comp), top=top_terms)
    cont = match_items(items[in_base], items[in_comp], _pick(tokens, in_base), _pick(tokens, in_comp), kind=kind)
    n_eff_base, n_eff_compare = group_sizes(labelled, base_ids, compare_ids, weight)

    amount = labelled["n_chars"] if weight == "chars" else pd.Series(1, index=labelled.index)
    return Comparison(
        base=base_sel,
        compare=comp_sel,
        base_ids=base_ids,
        compare_ids=compare_ids,
        weight=weight,
        kind=kind,
        warnings=comparability_warnings(documents, base_ids, compare_ids, items["doc_id"].value_counts()),
        shares=shares,
        shifts=shifts,
        keyness=key,
        continuity=cont,
        document_shares=document_shares(labelled, weight)
        .loc[list(dict.fromkeys([*base_ids, *compare_ids, *doc_ids]))]
        .rename(index=document_labels(documents).to_dict(), columns=theme_table(labelled).set_index("theme_id")["theme_label"]),
        js_distance=js_distance(base_profile, comp_profile),
        n_base=int(amount[labelled["doc_id"].isin(base_ids)].sum()),
        n_compare=int(amount[labelled["doc_id"].isin(compare_ids)].sum()),
        n_eff_base=n_eff_base,
        n_eff_compare=n_eff_compare,
        doc_labels=document_labels(documents).to_dict(),
    )


#: Longest comparison folder name (characters); longer names are cut and end in a hash of the full name.
MAX_NAME = 120


def _slug(selector: Selector) -> str:
    """Selector as ``field-value_field-not-value`` (unsafe characters replaced by ``-``), never cut."""
    return "_".join(f"{c.field}-{'not-' if c.negate else ''}{'+'.join(c.values)}" for c in selector.clauses)


def comparison_name(base: Selector, compare: Selector, weight: str) -> str:
    """Folder name of a comparison: ``<base>__vs__<compare>__<weight>``, unique per comparison.

    When a selector value had characters unsafe in file names, or the name is longer
    than :data:`MAX_NAME`, the name is cut to fit and ends in ``-`` and the first 10
    hex digits of the SHA-256 of ``base|compare|weight``, so different comparisons
    never share a folder.
    """
    raw = f"{_slug(base)}__vs__{_slug(compare)}__{weight}"
    safe = SLUG_UNSAFE_RE.sub("-", raw)
    if safe == raw and len(raw) <= MAX_NAME:
        return raw
    digest = hashlib.sha256(f"{base}|{compare}|{weight}".encode()).hexdigest()[:10]
    return f"{safe[: MAX_NAME - 11]}-{digest}"


def default_out_dir(processed: str | Path, base: Selector, compare: Selector, weight: str) -> Path:
    """``processed/shifts/<comparison_name>``: one folder per comparison."""
    return Path(processed) / "shifts" / comparison_name(base, compare, weight)


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
    parser.add_argument("--top-terms", type=_positive_int, default=30, help="distinctive terms per side (default: 30)")
    parser.add_argument(
        "--out", default=None, help="output folder (default: <processed>/shifts/<base>__vs__<compare>__<weight>/)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the shifts step: write shares, shifts, keyness, continuity CSVs and comparison.json."""
    result = compare_groups(
        args.processed, args.base, args.compare, weight=args.weight, top_terms=args.top_terms, progress=True
    )
    out = Path(args.out) if args.out else default_out_dir(args.processed, result.base, result.compare, args.weight)
    write_tables(result.tables(), out)
    write_json_atomic(out / "comparison.json", result.summary())
    print(f"base    {result.base}: {', '.join(result.base_ids)}")
    print(f"compare {result.compare}: {', '.join(result.compare_ids)}")
    for warning in result.warnings:
        print(f"! {warning}")
    for finding in result.findings():
        print(f"- {finding}")
    print(f"wrote shares.csv, shifts.csv, keyness.csv, continuity.csv, comparison.json to {out}")
    return 0
