"""Executed notebook → one self-contained HTML report (nbconvert), readable offline.

:func:`notebook_html` renders with nbconvert's ``lab`` template minus every
external script (require.js, MathJax, mermaid): figures are already embedded as
data URIs and the Chinese text is drawn with a subset of the bundled Noto Sans
CJK SC font embedded in the page (:func:`cjk_font_face`), so the file shows the
same characters on any machine, with or without Chinese system fonts.
:func:`report_summary` reads the title and first key finding that
``reportkit.header`` wrote.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nbformat is imported where used: a no-change run must stay cheap
    from nbformat import NotebookNode

FONT_FAMILY = "Report CJK"
#: CSS font stack: the embedded CJK subset first (a web font later in the list may be
#: skipped by browsers for the text laid out before it loaded), Latin from the system.
FONT_STACK = f'"{FONT_FAMILY}", -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
FONT_PLACEHOLDER = "/* report-cjk-font */"

TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}<style>{{ resources.report_css }}</style>{%- endblock html_head_css -%}
"""

STYLE = f"""{FONT_PLACEHOLDER}
:root {{
  --jp-content-font-family: {FONT_STACK};
  --jp-ui-font-family: var(--jp-content-font-family);
  --jp-content-font-size1: 15px;
  --jp-content-line-height: 1.7;
}}
body.jp-Notebook {{ max-width: 64rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; font-family: var(--jp-content-font-family); }}
.jp-Cell {{ padding: 0; }}
.jp-OutputArea-output img {{ max-width: 100%; height: auto; }}
.jp-RenderedHTMLCommon table.report-table {{ font-size: 13px; margin: .5em 0 1.5em; }}
.jp-RenderedHTMLCommon table.report-table td, .jp-RenderedHTMLCommon table.report-table th {{
  text-align: left; padding: .3em .7em; max-width: 36em; }}
.jp-RenderedHTMLCommon table.report-table tbody tr:nth-child(odd) {{ background: #f7f7f7; }}
"""


def _common_chars() -> str:
    """ASCII, CJK punctuation, full-width forms and the GB 2312 characters (6,763 hanzi and symbols)."""
    gb2312 = bytes(b for hi in range(0xA1, 0xF8) for lo in range(0xA1, 0xFF) for b in (hi, lo)).decode("gb2312", errors="ignore")
    return "".join(map(chr, range(0x20, 0x7F))) + "".join(map(chr, range(0x3000, 0x3040))) + "".join(map(chr, range(0xFF01, 0xFF5F))) + gb2312


def _subset_common(font_path: str) -> bytes:
    """``font_path`` cut down to :func:`_common_chars` (OpenType bytes)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options(layout_features=[], hinting=False, name_IDs=["*"], notdef_outline=True, desubroutinize=True)
    buffer = io.BytesIO()
    with TTFont(font_path, lazy=True) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=_common_chars())
        subsetter.subset(font)
        font.save(buffer)
    return buffer.getvalue()


@cache
def common_font() -> tuple[bytes, frozenset[int]]:
    """The bundled CJK font cut down to :func:`_common_chars`, and the code points it covers.

    Subsetting a report's characters from it is several times faster than from the full
    font. Made once and kept in the user cache folder (``fonts/``), keyed by the font
    file's path, size and time; rebuilt in memory when that folder cannot be written.
    """
    from fontTools.ttLib import TTFont
    from platformdirs import user_cache_dir

    from analysis.report.plots import cjk_font_path
    from analysis.store import write_text_atomic

    path = cjk_font_path()
    info = os.stat(path)
    key = hashlib.sha256(f"{path}|{info.st_size}|{info.st_mtime_ns}|gb2312-v2".encode()).hexdigest()[:16]
    cached = Path(user_cache_dir("analysis", appauthor=False)) / "fonts" / f"cjk-common-{key}.otf.b64"
    try:
        data = base64.b64decode(cached.read_text(encoding="ascii"), validate=True)
    except (OSError, ValueError):
        data = _subset_common(path)
        try:
            write_text_atomic(cached, base64.b64encode(data).decode("ascii"))
        except OSError:
            pass  # a read-only cache folder only costs the subsetting again next time
    with TTFont(io.BytesIO(data), lazy=True) as font:
        covered = frozenset(font.getBestCmap())
    return data, covered


def cjk_font_face(chars: str) -> str:
    """A CSS ``@font-face`` embedding the bundled CJK font cut down to ``chars`` (WOFF, base64)."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from analysis.report.plots import cjk_font_path

    common, covered = common_font()
    from_common = all(ord(c) in covered for c in chars)
    source = io.BytesIO(common) if from_common else cjk_font_path()
    # the common subset carries no hints: skipping the hint pass on it gives the same bytes, faster
    options = subset.Options(flavor="woff", layout_features=[], hinting=from_common)
    buffer = io.BytesIO()
    with TTFont(source, lazy=True, recalcBBoxes=False) as font:
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=chars)
        subsetter.subset(font)
        subset.save_font(font, buffer, options)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'@font-face {{ font-family: "{FONT_FAMILY}"; src: url(data:font/woff;base64,{data}) format("woff"); }}'


def _for_readers(nb: NotebookNode) -> NotebookNode:
    """A copy of ``nb`` without stderr streams (warnings are for developers, kept in the executed notebook)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.get("name") == "stderr")]
    return nb


@cache
def _exporter(show_code: bool):
    """The nbconvert HTML exporter with the report template (built once per process and option)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_loaders=[DictLoader({"report.html.j2": TEMPLATE})],
        template_file="report.html.j2",
        exclude_input=not show_code,
        exclude_input_prompt=not show_code,
        exclude_output_prompt=True,
        embed_images=True,
        language_code="zh",
    )


def notebook_html(nb: NotebookNode, title: str, *, show_code: bool = False) -> str:
    """The executed notebook ``nb`` as one standalone HTML page titled ``title``.

    Code cells and prompts are hidden unless ``show_code`` (then stderr is kept
    too); every non-ASCII character on the page is covered by the embedded font.
    """
    shown = nb if show_code else _for_readers(nb)
    body, _ = _exporter(show_code).from_notebook_node(shown, resources={"report_css": STYLE, "metadata": {"name": title}})
    chars = "".join(sorted({c for c in body if ord(c) > 0x7F}))
    return body.replace(FONT_PLACEHOLDER, cjk_font_face(chars) if chars else "", 1)


def report_summary(nb: NotebookNode) -> tuple[str, str]:
    """``(title, first key finding)`` from the ``reportkit.header`` output in ``nb``; ``""`` when absent."""
    from bs4 import BeautifulSoup

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            markup = output.get("data", {}).get("text/html")
            if not markup:
                continue
            soup = BeautifulSoup("".join(markup), "html.parser")
            heading, finding = soup.select_one(".report-header h1"), soup.select_one("ul.key-findings li")
            if heading or finding:
                return (heading.get_text(" ", strip=True) if heading else "", finding.get_text(" ", strip=True) if finding else "")
    return "", ""
