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
