"""Reports looked at as a person would, in headless Chromium: Chinese glyphs, not boxes; tables that search.

Each check compares a report with a *control* render of the same page in which
the Chinese characters are permuted (each replaced by another one of the page's
characters; CJK glyphs are all one em wide, so the layout stays the same). A
missing glyph is drawn as a box that looks alike for every character of a
script (tofu, or a last-resort glyph), so if the report drew boxes the two
screenshots would be identical; drawn glyphs make them differ. Every shipped
report (reports.yml, rendered once on the seed corpus) is checked this way.

The table check drives the browser over the DevTools protocol (:class:`Browser`):
it types into a table's search box and reads the rows DataTables then shows, and
records every request the page makes. Skipped when Debian's ``chromium`` is not
installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import websocket
from PIL import Image

from analysis.ingest.manifest import load_manifest
from analysis.report import runner
from conftest import REPO, write_notebook

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


@pytest.fixture(scope="module")
def shipped_reports(pipeline, tmp_path_factory) -> Path:
    """Every job of reports.yml rendered once on the seed corpus (full pipeline tables); the output folder."""
    config = REPO / "reports.yml"
    out = tmp_path_factory.mktemp("shipped")
    results = runner.run_reports(runner.load_jobs(config, pipeline), root=REPO, processed=pipeline, out=out, workers=2, progress=False)
    assert [r.status for r in results] == ["ok"] * len(results), [(r.name, r.error) for r in results if r.status != "ok"]
    return out


SHIPPED = [job.name for job in runner.load_jobs(REPO / "reports.yml", load_manifest(REPO / "data" / "raw"))]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_report_draws_chinese_text(shipped_reports, name, tmp_path):
    page = (shipped_reports / f"{name}.html").read_text(encoding="utf-8")
    permuted = permute_han(page)
    assert permuted != page
    (tmp_path / "control.html").write_text(permuted, encoding="utf-8")
    real = screenshot(shipped_reports / f"{name}.html", tmp_path / "real.png", "1000,400")
    control = screenshot(tmp_path / "control.html", tmp_path / "control.png", "1000,400")
    assert dark(real) > 3000  # title, comparison line and key findings are inked …
    assert differing(real, control) > 3000  # … as Chinese characters, not boxes


class Browser:
    """Headless Chromium driven over the DevTools protocol: navigate, run JavaScript, type; requests are recorded."""

    def __init__(self, profile: Path):
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--no-first-run", "--remote-debugging-port=0", f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and self.process.poll() is None, "Chromium did not open its DevTools port"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=60, suppress_origin=True)
        self.ids = itertools.count(1)
        self.requests: list[str] = []
        self.events: list[str] = []

    def call(self, method: str, **params) -> dict:
        """Send one DevTools command and return its result (events that arrive meanwhile are recorded)."""
        ident = next(self.ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                assert "error" not in message, message["error"]
                return message["result"]
            self._record(message)

    def _record(self, message: dict) -> None:
        if message.get("method") == "Network.requestWillBeSent":
            self.requests.append(message["params"]["request"]["url"])
        if "method" in message:
            self.events.append(message["method"])

    def open(self, url: str) -> None:
        """Load ``url`` and wait for its load event."""
        self.call("Page.enable")
        self.call("Network.enable")
        self.events.clear()
        self.call("Page.navigate", url=url)
        while "Page.loadEventFired" not in self.events:
            self._record(json.loads(self.socket.recv()))

    def value(self, expression: str):
        """The value of a JavaScript expression on the page (promises awaited)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30):
        """Poll ``expression`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while not (value := self.value(expression)):
            assert time.monotonic() < deadline, f"timed out waiting for {expression}"
            time.sleep(0.1)
        return value

    def close(self) -> None:
        self.socket.close()
        self.process.terminate()
        self.process.wait(timeout=30)


SEARCH_NOTEBOOK = (
    "rows = 250\nprocessed = None",
    "import pandas as pd\nfrom analysis.report import kit\n"
    "items = pd.DataFrame({'编号': range(1, rows + 1), '事项': [f'第{i}条 推进家庭医生签约服务' for i in range(1, rows + 1)]})\n"
    "items.loc[239, '事项'] = '第240条 开展婴幼儿照护服务示范城市创建'\n"
    "kit.table(items, caption='全部事项')",
)
VISIBLE_ROWS = "Array.from(document.querySelectorAll('table.dataTable tbody tr')).map(r => r.innerText)"


def test_table_search_finds_an_item_beyond_row_200(tmp_path):
    write_notebook(tmp_path / "search.ipynb", *SEARCH_NOTEBOOK)
    out = tmp_path / "reports"
    [result] = runner.run_reports([runner.Job("search", "search.ipynb", tmp_path / "search.ipynb")], root=tmp_path,
                                  processed=tmp_path, out=out, workers=1, progress=False)  # fmt: skip
    assert result.status == "ok", result.error
    browser = Browser(tmp_path / "profile")
    try:
        browser.open((out / "search.html").as_uri())
        browser.wait_for("document.querySelector('div.dt-search input')")
        first_page = browser.value(VISIBLE_ROWS)
        assert len(first_page) == 10 and first_page[0].startswith("1\t第1条")  # paged, in the frame's order
        assert "共 250 行" in browser.value("document.querySelector('.dt-info').innerText")  # every row, no cap
        browser.value("document.querySelector('div.dt-search input').focus()")
        browser.call("Input.insertText", text="照护服务")  # typed as a reader would (an input event per insertion)
        found = browser.wait_for(f"(rows => rows.length === 1 && rows)({VISIBLE_ROWS})")
        assert found == ["240\t第240条 开展婴幼儿照护服务示范城市创建"]
        info = browser.value("document.querySelector('.dt-info').innerText")
        assert "共 1 行" in info and "从 250 行中筛选" in info
        outside = [url for url in browser.requests if not url.startswith(("file:", "data:", "blob:"))]
        assert browser.requests and not outside  # the page loaded nothing from outside
    finally:
        browser.close()
