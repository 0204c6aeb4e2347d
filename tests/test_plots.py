"""Charts: Chinese text drawn with Noto Sans CJK SC, axes bounded by the data, distinct colours, saved figures."""

from __future__ import annotations

import itertools
import re
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from PIL import Image  # noqa: E402

from analysis.report import plots  # noqa: E402


def test_cjk_font_is_default_and_renders_without_warnings(tmp_path):
    path = plots.setup()
    assert path == plots.cjk_font_path() and path.endswith("NotoSansCJKsc-Regular.otf")
    with TTFont(path, lazy=True) as font:  # the simplified-Chinese face, not the JP/KR/TC one of the collection
        assert font["name"].getDebugName(1) == "Noto Sans CJK SC" and ord("卫") in font.getBestCmap()
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


def test_missing_font_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv(plots.FONT_ENV, str(tmp_path / "none.otf"))
    with pytest.raises(FileNotFoundError, match=r"ANALYSIS_CJK_FONT=.*none\.otf: no such font file"):
        plots._font_source()
    monkeypatch.delenv(plots.FONT_ENV)
    monkeypatch.setattr(plots, "FONT_CANDIDATES", (str(tmp_path / "gone.ttc"),))
    with pytest.raises(FileNotFoundError, match=r"Noto Sans CJK SC font not found: .*apt-get install fonts-noto-cjk"):
        plots._font_source()


def test_palette_tells_apart_more_than_16_categories():
    colours = [np.array(to_rgb(c)) for c in plots.PALETTE]
    assert len(colours) >= 24
    closest = min(np.abs(a - b).sum() for a, b in itertools.combinations(colours, 2))
    assert closest > 0.1  # no two colours alike (tab20 cycled over 20+ themes repeated colours)


def test_theme_map_colours_and_labels_do_not_collide():
    rng = np.random.default_rng(1)
    n = 18  # themes whose medoids crowd the centre
    coords = pd.DataFrame({"x": rng.normal(0, 0.3, 360), "y": rng.normal(0, 0.3, 360), "theme_id": np.arange(360) % n + 1})
    coords["theme_label"] = "主题" + coords["theme_id"].astype(str)
    fig = plots.theme_map_chart(coords)
    ax = fig.axes[0]
    assert len({tuple(c.get_facecolor()[0][:3]) for c in ax.collections}) == n
    renderer = fig.canvas.get_renderer()
    boxes = [matplotlib.text.Text.get_window_extent(t, renderer) for t in ax.texts]
    assert len(boxes) == n
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_share_axes_end_at_the_data():
    themes = pd.DataFrame({
        "theme_id": [1, 2, 3], "theme_label": ["妇幼健康", "中医药", "托育"], "size": [10, 6, 3],
        "top_doc_share": [1.0, 0.5, 0.34], "top_doc": ["青岛市 2024", "西安市 2024", "池州市 2024"], "n_docs": [1, 3, 3],
    })  # fmt: skip
    assert plots.theme_concentration_chart(themes).axes[0].get_xlim() == (0, 100)  # was 0–140
    shifts = pd.DataFrame({"theme_label": ["妇幼健康", "中医药"], "base_share": [0.1, 0.3], "compare_share": [0.2, 0.25]})
    low, high = plots.dumbbell_chart(shifts, "青岛市 2021", "青岛市 2024", "占比").axes[0].get_xlim()
    assert low == 0 and 30 < high <= 33


def test_figure_export_saves_png_and_svg_and_links_them(tmp_path):
    folder = tmp_path / "figures" / "themes"
    export = plots.FigureExport(folder)
    shifts = pd.DataFrame({"theme_label": ["妇幼健康", "中医药"], "base_share": [0.1, 0.3], "compare_share": [0.2, 0.25]})
    first = export.html(plots.dumbbell_chart(shifts, "青岛市 2021", "青岛市 2024", "占比"))
    second = export.html(plots.dumbbell_chart(shifts, "青岛市 2021", "青岛市 2024", "占比"))
    assert sorted(p.name for p in folder.iterdir()) == ["01-dumbbell.png", "01-dumbbell.svg", "02-dumbbell.png", "02-dumbbell.svg"]
    assert "下载 <a href='figures/themes/01-dumbbell.png'>PNG</a> · <a href='figures/themes/01-dumbbell.svg'>SVG</a>" in first
    assert "figures/themes/02-dumbbell.svg" in second and "<img src='data:image/png;base64," in first
    with Image.open(folder / "01-dumbbell.png") as png:
        assert round(png.info["dpi"][0]) == plots.FIGURE_DPI and png.width > 1500
    assert (folder / "01-dumbbell.svg").read_bytes() == (folder / "02-dumbbell.svg").read_bytes()  # same chart, same file
    assert (folder / "01-dumbbell.png").read_bytes() == (folder / "02-dumbbell.png").read_bytes()
    tall = plots.share_heatmap(pd.DataFrame(0.05, index=[f"文件{i}" for i in range(30)], columns=[f"主题{j}" for j in range(19)]), "30 份文件")
    assert plots.export_dpi(tall) < plots.FIGURE_DPI == plots.export_dpi(plots.dumbbell_chart(shifts, "甲", "乙", "占比"))
    with Image.open(export.save(tall)[0]) as png:
        assert png.width * png.height <= plots.FIGURE_MAX_PIXELS and png.width > 1500  # bbox "tight" only trims
    assert plots.FigureExport.start() is None  # outside a kernel: figures display as usual, nothing saved
    assert plots.slug("Shift chart 变化") == "shift-chart" and plots.slug("主题") == "figure"


@pytest.mark.slow
def test_report_kernel_saves_figures_where_the_runner_asks(tmp_path, monkeypatch):
    from analysis.report import runner
    from conftest import write_notebook

    write_notebook(
        tmp_path / "fig.ipynb", "processed = None",
        "import pandas as pd\nfrom analysis.report import plots\n"
        "shifts = pd.DataFrame({'theme_label': ['妇幼健康', '中医药'], 'base_share': [0.1, 0.3], 'compare_share': [0.2, 0.25]})\n"
        "plots.dumbbell_chart(shifts, '青岛市 2021', '青岛市 2024', '占比')",
        "plots.theme_size_chart(pd.DataFrame({'theme_id': [1, 2], 'theme_label': ['妇幼健康', '中医药'], 'size': [5, 3]}))",
    )  # fmt: skip
    out = tmp_path / "reports"
    monkeypatch.setenv(plots.FIGURE_DIR_ENV, str(out / "figures" / "fig"))  # what the runner sets for report "fig"
    [result] = runner.run_reports([runner.Job("fig", "fig.ipynb", tmp_path / "fig.ipynb")], root=tmp_path, processed=tmp_path,
                                  out=out, workers=1, progress=False)  # fmt: skip
    assert result.status == "ok", result.error
    files = sorted(p.name for p in (out / "figures" / "fig").iterdir())
    assert files == ["01-dumbbell.png", "01-dumbbell.svg", "02-theme-size.png", "02-theme-size.svg"]
    page = (out / "fig.html").read_text(encoding="utf-8")
    links = re.findall(r"href=[\"']?(figures/[^\"' >]+)", page)
    assert links == ["figures/fig/01-dumbbell.png", "figures/fig/01-dumbbell.svg", "figures/fig/02-theme-size.png", "figures/fig/02-theme-size.svg"]
    assert all((out / link).is_file() for link in links) and page.count("下载 <a") == 2


def test_reports_sharing_a_warm_kernel_get_their_own_figures_and_table_code(tmp_path):
    from analysis.report import runner
    from conftest import write_notebook

    chart = ("import pandas as pd\nfrom analysis.report import plots\n"
             "plots.theme_size_chart(pd.DataFrame({'theme_id': [1, 2], 'theme_label': ['妇幼健康', '中医药'], 'size': [5, 3]}))")
    table = "from analysis.report import kit\nkit.table(pd.DataFrame({'主题': ['妇幼健康', '中医药']}), caption='表')"
    write_notebook(tmp_path / "fig.ipynb", "processed = None", chart, table)
    jobs = [runner.Job(name, "fig.ipynb", tmp_path / "fig.ipynb") for name in ("first", "second", "third")]
    out = tmp_path / "reports"
    results = runner.run_reports(jobs, root=tmp_path, processed=tmp_path, out=out, workers=1, progress=False)  # one kernel
    assert [r.status for r in results] == ["ok"] * 3, [r.error for r in results]
    for name in ("first", "second", "third"):
        assert sorted(p.name for p in (out / "figures" / name).iterdir()) == ["01-theme-size.png", "01-theme-size.svg"]
        page = (out / f"{name}.html").read_text(encoding="utf-8")
        assert re.findall(r"href=[\"']?(figures/[^\"' >]+)", page) == [f"figures/{name}/01-theme-size.png", f"figures/{name}/01-theme-size.svg"]
        assert page.count("function injectModule(base64JS)") == 1, name  # DataTables' code in every page, once


#: Proprietary CJK fonts found bundled in Python packages (SimHei in mplfonts, the Windows and macOS system fonts).
NON_FREE_FONTS = re.compile(r"simhei|simsun|simkai|simfang|msyh|yahei|mingliu|kaiti|fangsong|dengxian|pingfang|stheiti|stsong|hiragino", re.I)


def test_no_dependency_ships_a_non_free_font():
    """Walk the requirement tree of pyproject.toml (installed distributions) and check every font file they ship."""
    from importlib import metadata

    from packaging.requirements import Requirement

    from conftest import REPO

    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    names = re.findall(r'^\s*"([A-Za-z0-9_.\-]+)[^"]*",?\s*$', text, flags=re.M)  # the dependency lines
    assert "itables" in names and "mplfonts" not in names
    seen: set[str] = set()
    fonts = []
    while names:
        name = names.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        names += [Requirement(r).name for r in dist.requires or [] if "extra ==" not in r]
        fonts += [str(f) for f in dist.files or [] if f.suffix.lower() in (".ttf", ".otf", ".ttc", ".woff", ".woff2")]
    assert len(seen) > 50 and fonts  # the whole tree was walked (matplotlib, jupyterlab … ship fonts)
    assert not [f for f in fonts if NON_FREE_FONTS.search(f)]
