"""Reports looked at as a person would: screenshots from headless Chromium show Chinese glyphs, not boxes.

Each check compares a report with a *control* render of the same page in which
the Chinese characters are permuted (each replaced by another one of the page's
characters; CJK glyphs are all one em wide, so the layout stays the same). A
missing glyph is drawn as a box that looks alike for every character of a
script (tofu, or a last-resort glyph), so if the report drew boxes the two
screenshots would be identical; drawn glyphs make them differ. Skipped when
Debian's ``chromium`` is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from analysis.report import runner
from conftest import write_notebook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="headless Chromium not installed (Debian: apt-get install -y chromium; .ci/run does this) — "
        "the screenshot check of Chinese glyphs did not run",
    ),
]

HAN_RE = re.compile(r"[\u4e00-\u9fff]")
CHART_FACE = (255, 244, 214)  # figure background of the test chart, to find it in the screenshot
LABEL = "卫生健康工作要点"
ROTATED = LABEL[1:] + LABEL[0]  # every position holds another character
CHART_NOTEBOOK = (
    'label = "默认标签"\nprocessed = None',
    "%matplotlib inline\nfrom matplotlib.figure import Figure\nfrom analysis.report import plots, kit\n"
    "kit.header(label, label, [label])",
    "plots.setup()\nfig = Figure(figsize=(6, 3), facecolor='#fff4d6')\nax = fig.subplots()\n"
    "ax.set_title(label, fontsize=22)\nax.bar([0, 1], [3, 5])\nax.set_xticks([0, 1], [label[:2], label[2:4]])\nfig",
)


def screenshot(page: Path, png: Path, size: str = "1000,1100") -> np.ndarray:
    """``page`` rendered by headless Chromium with a fresh profile; the screenshot as an RGB array."""
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={png.with_suffix('.profile')}",
        "--hide-scrollbars", f"--window-size={size}", "--virtual-time-budget=3000", f"--screenshot={png}", page.as_uri(),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert png.is_file(), done.stderr[-2000:]
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def differing(a: np.ndarray, b: np.ndarray) -> int:
    """Number of pixels whose colour differs clearly between two equally sized screenshots."""
    return int((np.abs(a - b).sum(axis=2) > 60).sum())


def dark(a: np.ndarray) -> int:
    """Number of dark (ink) pixels."""
    return int((a.sum(axis=2) < 300).sum())


def permute_han(page: str) -> str:
    """``page`` with every Chinese character of the body text replaced by the next one (sorted, cyclic)."""
    start = page.index("<body")
    chars = sorted(set(HAN_RE.findall(page[start:])))
    following = dict(zip(chars, chars[1:] + chars[:1]))
    body = re.sub(r">[^<]+<", lambda m: HAN_RE.sub(lambda c: following[c.group(0)], m.group(0)), page[start:])
    return page[:start] + body


def test_chart_and_header_draw_chinese_glyphs(tmp_path):
    write_notebook(tmp_path / "chart.ipynb", *CHART_NOTEBOOK)
    jobs = [
        runner.Job("real", "chart.ipynb", tmp_path / "chart.ipynb", {"label": LABEL}),
        runner.Job("control", "chart.ipynb", tmp_path / "chart.ipynb", {"label": ROTATED}),
    ]
    out = tmp_path / "reports"
    results = runner.run_reports(jobs, root=tmp_path, processed=tmp_path, out=out, workers=2, progress=False)
    assert [r.status for r in results] == ["ok", "ok"], [r.error for r in results]
    real, control = (screenshot(out / f"{name}.html", tmp_path / f"{name}.png") for name in ("real", "control"))

    chart = np.all(real == CHART_FACE, axis=2)
    rows, cols = np.nonzero(chart)
    assert chart.sum() > 50_000, "chart not found in the screenshot"
    top, bottom, left, right = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    in_chart = (slice(top, bottom), slice(left, right))
    assert dark(real[in_chart]) > 1500  # title and tick labels are inked …
    assert differing(real[in_chart], control[in_chart]) > 1500  # … and are not boxes
    header = (slice(0, top), slice(None))
    assert dark(real[header]) > 1500
    assert differing(real[header], control[header]) > 1500


def test_real_corpus_report_draws_chinese_text(corpus_report, tmp_path):
    result, out = corpus_report
    assert result.status == "ok", result.error
    page = (out / "corpus.html").read_text(encoding="utf-8")
    permuted = permute_han(page)
    assert permuted != page
    (tmp_path / "control.html").write_text(permuted, encoding="utf-8")
    real = screenshot(out / "corpus.html", tmp_path / "real.png", "1000,400")
    control = screenshot(tmp_path / "control.html", tmp_path / "control.png", "1000,400")
    assert dark(real) > 3000  # title, comparison line and key findings are inked …
    assert differing(real, control) > 3000  # … as Chinese characters, not boxes
