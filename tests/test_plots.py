"""Chinese text in charts is drawn with the bundled CJK font, without missing-glyph warnings."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from analysis.report import plots  # noqa: E402


def test_cjk_font_is_default_and_renders_without_warnings(tmp_path):
    path = plots.setup()
    assert path.endswith("NotoSansCJKsc-Regular.otf")
    resolved = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    assert resolved == path
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" would raise
        fig, ax = plt.subplots()
        ax.set_title("疾病预防控制 与 妇幼健康")
        ax.bar(["基层卫生", "中医药"], [3, -1])
        fig.savefig(tmp_path / "chart.png")
        plt.close(fig)
    assert (tmp_path / "chart.png").stat().st_size > 5000
