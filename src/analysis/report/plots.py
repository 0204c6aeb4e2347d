"""Charts for the reports, with Chinese text rendered by a bundled CJK font.

:func:`setup` registers Noto Sans CJK SC (shipped by the ``mplfonts`` package, so
no system font is needed) and makes it matplotlib's default; every chart
function here calls it, so no chart shows empty boxes or warns of missing glyphs.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

import matplotlib

CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"


def cjk_font_path() -> str:
    """Path of the bundled Noto Sans CJK SC font file (installed with ``mplfonts``)."""
    return str(files("mplfonts") / "fonts" / CJK_FONT_FILE)


@cache
def _register_font() -> str:
    from matplotlib import font_manager

    path = cjk_font_path()
    font_manager.fontManager.addfont(path)
    return path


def setup() -> str:
    """Make the bundled CJK font matplotlib's default; return the font file path."""
    path = _register_font()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [CJK_FONT_NAME, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False
    matplotlib.rcParams["figure.dpi"] = 110
    matplotlib.rcParams["savefig.bbox"] = "tight"
    return path


def section_items_chart(sections):
    """Stacked bars of items per section for each document; ``sections`` as from ``corpus.section_counts``.

    One bar per document (in frame order), one segment per section in document
    order, numbered 1, 2, … inside segments wide enough; totals at the bar ends.
    """
    from matplotlib.figure import Figure

    setup()
    labels = list(dict.fromkeys(sections["label"]))
    colors = matplotlib.colormaps["tab20"].colors
    fig = Figure(figsize=(8.5, 0.45 * len(labels) + 1.4))
    ax = fig.subplots()
    for row, label in enumerate(labels):
        left = 0
        for sec in sections[sections["label"] == label].itertuples():
            ax.barh(row, sec.n_items, left=left, height=0.6, color=colors[(sec.section_no - 1) % len(colors)], edgecolor="white")
            if sec.n_items >= 3:
                ink = "white" if (sec.section_no - 1) % 2 == 0 else "#333"  # tab20: even = dark, odd = light
                ax.text(left + sec.n_items / 2, row, str(sec.section_no), ha="center", va="center", fontsize=8, color=ink)
            left += sec.n_items
        ax.text(left + 0.6, row, f"{left} 条", va="center", fontsize=9)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlim(0, sections.groupby("label")["n_items"].sum().max() * 1.12)
    ax.set_xlabel("事项数（条）")
    ax.set_title("各文件分节事项数（每段一节，按文中顺序，段内数字为节序）", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def item_length_chart(items, labels):
    """Box plots (with every item as a dot) of item length in characters per document.

    ``items`` needs ``doc_id`` and ``n_chars``; ``labels`` maps ``doc_id`` to the
    reader label and fixes the order. Dots are jittered with a fixed seed.
    """
    import numpy as np
    from matplotlib.figure import Figure

    setup()
    docs = [d for d in labels.index if d in set(items["doc_id"])]
    values = [items.loc[items["doc_id"] == d, "n_chars"].to_numpy() for d in docs]
    fig = Figure(figsize=(8.5, 4.2))
    ax = fig.subplots()
    ax.boxplot(values, widths=0.5, showfliers=False, medianprops={"color": "#c0392b"})
    rng = np.random.default_rng(0)
    for col, vals in enumerate(values, start=1):
        ax.scatter(col + rng.uniform(-0.18, 0.18, len(vals)), vals, s=9, color="#3b6ea5", alpha=0.55, linewidths=0)
    ax.set_xticks(range(1, len(docs) + 1), [f"{labels[d]}\n（n={len(v)} 条）" for d, v in zip(docs, values)])
    ax.set_ylabel("事项长度（字，不含空白）")
    ax.set_title("事项长度分布（箱线为四分位，红线为中位数，每点一条事项）", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def dumbbell_chart(shifts, base_label: str, compare_label: str, title: str):
    """Each theme's share in the base (grey) and compare group (red), joined by a line."""
    from matplotlib.figure import Figure

    setup()
    rows = shifts.sort_values("compare_share", ascending=True)
    fig = Figure(figsize=(8.5, 0.38 * len(rows) + 1.6))
    ax = fig.subplots()
    y = list(range(len(rows)))
    base, comp = 100 * rows["base_share"], 100 * rows["compare_share"]
    ax.hlines(y, base, comp, color="#bbb", linewidth=2)
    ax.scatter(base, y, color="#7f8c8d", s=36, label=base_label, zorder=3)
    ax.scatter(comp, y, color="#c0392b", s=36, label=compare_label, zorder=3)
    ax.set_yticks(y, rows["theme_label"])
    ax.set_xlabel("主题占比（%）")
    ax.set_title(title, loc="left")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def keyness_chart(keyness, base_label: str, compare_label: str, top: int = 15):
    """Most distinctive terms of each side (z of the weighted log-odds), base left, compare right."""
    from matplotlib.figure import Figure

    setup()
    fig = Figure(figsize=(9, 0.32 * top + 1.8))
    axes = fig.subplots(1, 2)
    for ax, side, label, color in ((axes[0], "base", base_label, "#3b6ea5"), (axes[1], "compare", compare_label, "#c0392b")):
        part = keyness[keyness["side"] == side].nsmallest(top, "rank").iloc[::-1]
        ax.barh(range(len(part)), part["z"].abs(), color=color, alpha=0.8)
        ax.set_yticks(range(len(part)), [f"{t}（{nb}/{nc}）" for t, nb, nc in zip(part["term"], part["n_base"], part["n_compare"])])
        ax.axvline(1.96, color="#999", linestyle="--", linewidth=0.8)
        ax.set_title(f"{label} 更常用", loc="left")
        ax.set_xlabel("|z|（虚线 1.96）")
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle("区分性词语（加权对数优势比，信息性 Dirichlet 先验；括号内为基准/比较词频）", x=0.01, ha="left")
    fig.tight_layout()
    return fig


def share_heatmap(shares, title: str):
    """Heatmap of theme shares (rows: documents or groups, columns: themes), cells labelled in %."""
    import numpy as np
    from matplotlib.figure import Figure

    setup()
    values = 100 * shares.to_numpy(dtype=float)
    fig = Figure(figsize=(1.0 + 0.62 * shares.shape[1], 0.5 * shares.shape[0] + 2.4))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Reds", aspect="auto", vmin=0)
    for (r, c), v in np.ndenumerate(values):
        ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=8, color="white" if v > values.max() * 0.6 else "#333")
    ax.set_xticks(range(shares.shape[1]), shares.columns, rotation=45, ha="right")
    ax.set_yticks(range(shares.shape[0]), shares.index)
    fig.colorbar(image, ax=ax, label="占比（%）", shrink=0.8)
    ax.set_title(title, loc="left")
    return fig


def plot_shared_indicators(values, max_indicators: int = 12, ncols: int = 3):
    """Small multiples of :func:`analysis.methods.target_summary.shared_values`: one panel per indicator.

    Each panel shows one bar per document target in the indicator's most common
    unit (``value_num``; ranges at their lower end), labelled as written (``≥4.5个``).
    Returns the matplotlib figure.
    """
    from matplotlib.figure import Figure

    setup()
    keys = list(dict.fromkeys(values.indicator_key))[:max_indicators]
    nrows = max(1, -(-len(keys) // ncols))
    fig = Figure(figsize=(4.2 * ncols, 2.4 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, key in zip(axes.flat, keys):
        rows = values[values.indicator_key == key]
        unit = rows.unit.mode().iloc[0]
        rows = rows[rows.unit == unit]
        labels = [f"{d}" if n == 1 else f"{d} ({i + 1})" for d, i, n in zip(rows.document, rows.groupby("document").cumcount(), rows.document.map(rows.document.value_counts()))]
        bars = ax.barh(labels[::-1], rows.value_num[::-1], color="#3b6ea5")
        ax.bar_label(bars, labels=list(rows.shown[::-1]), padding=3, fontsize=8)
        shown = f"{rows.document.nunique()}/{rows.n_docs.iloc[0]}" if rows.document.nunique() < rows.n_docs.iloc[0] else rows.n_docs.iloc[0]
        ax.set_title(f"{key}（{unit or '比值'}，{shown} 份文件）", fontsize=9)
        ax.margins(x=0.35)
        ax.tick_params(labelsize=8)
    for ax in axes.flat[len(keys):]:
        ax.set_visible(False)
    fig.suptitle("多份文件共有的量化指标（目标值）", fontsize=11)
    fig.tight_layout()
    return fig


def theme_size_chart(themes, unit_label: str = "事项"):
    """Horizontal bars of units per theme (largest on top), each labelled ``n 条（share）``.

    ``themes`` as in ``themes.csv`` (``theme_label``, ``size``); ``unit_label`` names
    the unit counted (事项 or 句).
    """
    from matplotlib.figure import Figure

    setup()
    rows = themes.sort_values(["size", "theme_id"], ascending=[True, False])
    total = int(themes["size"].sum())
    fig = Figure(figsize=(8.5, 0.36 * len(rows) + 1.4))
    ax = fig.subplots()
    ax.barh(range(len(rows)), rows["size"], color="#3b6ea5", alpha=0.85)
    for pos, n in enumerate(rows["size"]):
        ax.text(n + total * 0.004, pos, f"{n}（{n / total:.0%}）", va="center", fontsize=8)
    ax.set_yticks(range(len(rows)), rows["theme_label"])
    ax.set_xlim(0, rows["size"].max() * 1.18)
    ax.set_xlabel(f"{unit_label}数（n={total}）")
    ax.set_title(f"各主题{unit_label}数（括号内为占全部{unit_label}的比例）", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def theme_terms_chart(term_weights, n_terms: int = 6, columns: int = 4):
    """Small multiples: each theme's top terms by class-based TF-IDF weight.

    ``term_weights`` has ``theme_id, theme_label, rank, term, weight`` (as
    ``ThemeResult.term_weights``); panels follow ``theme_id``.
    """
    from matplotlib.figure import Figure

    setup()
    ids = sorted(term_weights["theme_id"].unique())
    rows = -(-len(ids) // columns)
    fig = Figure(figsize=(2.6 * columns, 1.9 * rows + 0.6))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax, theme_id in zip(axes.flat, ids):
        part = term_weights[(term_weights["theme_id"] == theme_id) & (term_weights["rank"] <= n_terms)].iloc[::-1]
        ax.barh(range(len(part)), part["weight"], color="#c0392b", alpha=0.75)
        ax.set_yticks(range(len(part)), part["term"], fontsize=8)
        ax.set_title(f"{theme_id}. {part['theme_label'].iloc[0]}", loc="left", fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes.flat[len(ids):]:
        ax.set_visible(False)
    fig.suptitle("各主题区分性词语（类内 TF-IDF 权重：主题内常见、其他主题少见）", x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig


def theme_map_chart(coords):
    """2-D map of units coloured by theme, each theme's name at its medoid (most central point).

    ``coords`` has ``x, y, theme_id, theme_label`` (e.g. from ``themes.theme_map``).
    """
    import numpy as np
    from matplotlib.figure import Figure

    setup()
    colors = matplotlib.colormaps["tab20"].colors
    fig = Figure(figsize=(9, 7))
    ax = fig.subplots()
    for theme_id, part in coords.groupby("theme_id", sort=True):
        color = colors[(theme_id - 1) % len(colors)]
        ax.scatter(part["x"], part["y"], s=22, color=color, alpha=0.8, linewidths=0, label=f"{theme_id}. {part['theme_label'].iloc[0]}")
        xy = part[["x", "y"]].to_numpy()
        medoid = xy[np.linalg.norm(xy[:, None] - xy[None], axis=2).sum(axis=1).argmin()]
        ax.text(*medoid, part["theme_label"].iloc[0], fontsize=8, ha="center", va="center",
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "alpha": 0.7, "edgecolor": color})  # fmt: skip
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(f"主题地图（LSA + t-SNE，余弦距离；每点一个单位，n={len(coords)}；相近的点用词相近）", loc="left")
    return fig


def theme_concentration_chart(themes, max_share: float = 0.8, min_size: int = 5):
    """Per theme the share of its units from its largest document, with the ``max_share`` rule as a dashed line.

    Themes smaller than ``min_size`` units (exempt from the rule) are drawn pale.
    """
    from matplotlib.figure import Figure

    setup()
    rows = themes.sort_values("theme_id", ascending=False)
    fig = Figure(figsize=(8.5, 0.36 * len(rows) + 1.4))
    ax = fig.subplots()
    colors = ["#c0392b" if s > max_share and n >= min_size else "#3b6ea5" for s, n in zip(rows["top_doc_share"], rows["size"])]
    alphas = [0.85 if n >= min_size else 0.35 for n in rows["size"]]
    for pos, (share, color, alpha) in enumerate(zip(rows["top_doc_share"], colors, alphas)):
        ax.barh(pos, 100 * share, color=color, alpha=alpha)
    for pos, row in enumerate(rows.itertuples()):
        ax.text(100 * row.top_doc_share + 1, pos, f"{row.top_doc}（{row.n_docs} 份文件，n={row.size}）", va="center", fontsize=8)
    ax.axvline(100 * max_share, color="#333", linestyle="--", linewidth=0.8)
    ax.set_yticks(range(len(rows)), rows["theme_label"])
    ax.set_xlim(0, 140)
    ax.set_xlabel(f"最大来源文件所占比例（%，虚线 {max_share:.0%}；浅色为不足 {min_size} 个单位的主题）")
    ax.set_title("主题是否只是某一份文件？", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def interval_shift_chart(shifts, title: str):
    """Diverging bars of theme-share differences (percentage points) with their Newcombe intervals.

    ``shifts`` as from :func:`analysis.methods.shifts.share_shifts`; largest rise on
    top; significant differences in colour (red up, blue down), the others grey;
    themes found on one side only are marked with their status (新增, 仅见于基准组 …).
    """
    from matplotlib.figure import Figure

    from analysis.methods.comparability import STATUS_LABELS

    setup()
    rows = shifts.sort_values("diff_pp", ascending=True)
    fig = Figure(figsize=(8.5, 0.38 * len(rows) + 1.8))
    ax = fig.subplots()
    colors = [("#c0392b" if d > 0 else "#3b6ea5") if s else "#b3b3b3" for d, s in zip(rows["diff_pp"], rows["significant"])]
    y = range(len(rows))
    ax.barh(y, rows["diff_pp"], color=colors, alpha=0.85)
    ax.errorbar(rows["diff_pp"], y, xerr=[rows["diff_pp"] - rows["ci_low"], rows["ci_high"] - rows["diff_pp"]],
                fmt="none", ecolor="#333", elinewidth=1, capsize=3)  # fmt: skip
    for pos, row in zip(y, rows.itertuples()):
        if row.status in ("new", "dropped", "compare_only", "base_only"):
            ax.text(row.ci_high if row.diff_pp > 0 else row.ci_low, pos, f" {STATUS_LABELS[row.status]} ",
                    ha="left" if row.diff_pp > 0 else "right", va="center", fontsize=8, color="#555")  # fmt: skip
    ax.axvline(0, color="#333", linewidth=0.8)
    ax.set_yticks(list(y), rows["theme_label"])
    ax.set_xlabel("占比差异（百分点）；横线为 95% Newcombe 区间；彩色为 BH 校正后显著，灰色为不显著")
    ax.set_title(title, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def trend_lines_chart(trends, group: str, themes=None, ncols: int = 4):
    """Small multiples of theme shares by year (%) with their 95% bands, one panel per theme, for one ``group``.

    ``trends`` as from :func:`analysis.methods.trends.attention_by_year`; ``themes``
    limits and orders the panels (theme labels; default: every theme, largest mean share first).
    """
    import numpy as np
    from matplotlib.figure import Figure

    setup()
    rows = trends[trends["group"] == group]
    order = rows.groupby("theme_label")["share"].mean().sort_values(ascending=False).index.tolist()
    labels = [t for t in (themes if themes is not None else order) if t in order]
    nrows = max(1, int(np.ceil(len(labels) / ncols)))
    fig = Figure(figsize=(2.6 * ncols, 2.1 * nrows + 0.8))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()
    top = 100 * rows["ci_high"].max() if len(rows) else 100
    for ax, label in zip(axes, labels):
        part = rows[rows["theme_label"] == label].sort_values("year")
        ax.fill_between(part["year"], 100 * part["ci_low"], 100 * part["ci_high"], color="#c0392b", alpha=0.15, linewidth=0)
        ax.plot(part["year"], 100 * part["share"], color="#c0392b", marker="o", markersize=3)
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_ylim(0, top)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(labels):]:
        ax.set_visible(False)
    years = sorted(rows["year"].unique())
    axes[0].set_xticks(years, [str(y) for y in years])
    fig.suptitle(f"{group}：各主题占比（%）按年份，阴影为 95% Wilson 区间", x=0.01, ha="left")
    fig.tight_layout()
    return fig


def target_trajectories_chart(trajectories, max_indicators: int = 12, ncols: int = 3):
    """Values of the same indicator across years, one panel per indicator, one line per place.

    ``trajectories`` as from :func:`analysis.methods.trends.target_trajectories`;
    the indicators with the most plans are drawn, at most ``max_indicators``.
    """
    import numpy as np
    from matplotlib.figure import Figure

    setup()
    keys = trajectories.groupby("indicator_key")["doc_id"].nunique().sort_values(ascending=False, kind="stable")
    keys = keys.index[:max_indicators].tolist()
    nrows = max(1, int(np.ceil(len(keys) / ncols)))
    fig = Figure(figsize=(3.2 * ncols, 2.4 * nrows + 0.6))
    axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
    for ax, key in zip(axes, keys):
        part = trajectories[trajectories["indicator_key"] == key]
        for group, line in part.groupby("group", sort=True):
            ax.plot(line["year"], line["value_num"], marker="o", markersize=4, label=group)
        unit = "、".join(dict.fromkeys(part["unit"].astype(str)))
        ax.set_title(f"{key[:18]}（{unit}）" if unit else key[:18], fontsize=9, loc="left")
        ax.set_xticks(sorted(part["year"].unique()))
        ax.legend(fontsize=7, frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
    for ax in axes[len(keys):]:
        ax.set_visible(False)
    fig.suptitle("同一指标在不同年份的目标值", x=0.01, ha="left")
    fig.tight_layout()
    return fig
