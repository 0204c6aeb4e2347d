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


@cache
def _register_font() -> str:
    from matplotlib import font_manager

    path = str(files("mplfonts") / "fonts" / CJK_FONT_FILE)
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


def plot_shared_indicators(values, max_indicators: int = 12, ncols: int = 3):
    """Small multiples of :func:`analysis.target_summary.shared_values`: one panel per indicator.

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
