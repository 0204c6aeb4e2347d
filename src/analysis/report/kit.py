"""Building blocks every report notebook uses: header, tables and method notes.

A report opens with :func:`header` (title, what was compared, two or three key
findings), shows charts and tables (:func:`table`: searchable, every row, document
text escaped), and
ends with :func:`method_notes` (parameters, data version, package version, date).
The first key finding is what ``reports/index.html`` shows for the report: it is
the first ``<li>`` of the ``<ul class="key-findings">`` list.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from analysis import __version__
from analysis.report import plots

STYLE = """<style>
.report-header h1 {margin-bottom: .2em}
.report-header .compared {color: #555; margin-top: 0}
.report-header .key-findings {background: #f4f7fb; border-left: 4px solid #3b6ea5; padding: .6em 1.2em .6em 2em}
.method-notes {color: #444; font-size: 90%}
table.report-table td {text-align: left; vertical-align: top}
</style>"""


def header(title: str, compared: str, findings: Iterable[str]) -> HTML:
    """Report title, one line on what was compared, and the key findings (plain text, escaped).

    Also sets up the charts' CJK font and, under the report runner, figure export (:func:`plots.setup`).
    """
    plots.setup()
    items = "".join(f"<li>{html.escape(f)}</li>" for f in findings)
    return HTML(
        f"{STYLE}<section class='report-header'><h1>{html.escape(title)}</h1>"
        f"<p class='compared'>{html.escape(compared)}</p>"
        f"<h3>主要发现 Key findings</h3><ul class='key-findings'>{items}</ul></section>"
    )


#: DataTables options of every report table: 10 rows a page (up to 500), full width, left-aligned, rows in frame order.
TABLE_OPTIONS = {
    "classes": "display compact cell-border",
    "pageLength": 10,
    "lengthMenu": [10, 25, 50, 100, 500],
    "order": [],
    "autoWidth": False,
    "style": "width:100%;margin:0;caption-side:bottom",
    "columnDefs": [{"className": "dt-left", "targets": "_all"}],
    "maxBytes": 0,  # never downsample: every row is in the page
    "display_logo_when_loading": False,
    "language": {
        "search": "搜索：", "lengthMenu": "每页 _MENU_ 行", "info": "第 _START_–_END_ 行，共 _TOTAL_ 行",
        "infoEmpty": "共 0 行", "infoFiltered": "（从 _MAX_ 行中筛选）", "zeroRecords": "没有匹配的行", "emptyTable": "表中没有数据",
    },
}  # fmt: skip
#: ``\uXXXX`` (or ``\\uXXXX`` inside a JSON string) escapes of non-ASCII, non-surrogate characters in itables'
#: output; one after an escaped backslash (``\\\\uXXXX``) is left alone.
UNICODE_ESCAPE = re.compile(r"(?<!\\)\\{1,2}u((?!00[0-7])(?![dD][89a-fA-F])[0-9a-fA-F]{4})")
#: the report whose page already holds DataTables' code: it goes into each page once, with its first table
#: (the runner names each report in the environment; in JupyterLab there is one "report" per kernel)
_bundle_shown_for: tuple[str, str] | None = None


def yes_no(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every boolean column (also object columns holding only True/False) as 是/否; missing stays missing."""
    out = frame.copy()
    for col in out.columns:
        values = out[col].dropna()
        if len(values) and (out[col].dtype == bool or str(out[col].dtype) == "boolean" or values.map(type).isin([bool]).all()):
            out[col] = out[col].map(lambda v: v if pd.isna(v) else ("是" if v else "否")).astype(object)
    return out


def _datatables_bundle() -> str:
    """The page's one copy of DataTables' code and style (itables offline mode), or "" when this page has it.

    A warm kernel runs several reports one after the other; each gets its own copy.
    """
    global _bundle_shown_for
    report = (os.environ.get("ANALYSIS_REPORT_NAME", ""), os.environ.get("ANALYSIS_FIGURE_DIR", ""))
    if _bundle_shown_for == report:
        return ""
    from itables.javascript import generate_init_offline_itables_html
    from itables.options import dt_bundle

    _bundle_shown_for = report
    return generate_init_offline_itables_html(dt_bundle)


def table(frame: pd.DataFrame, caption: str = "", max_rows: int | None = None) -> HTML:
    """``frame`` as a searchable, sortable, paged table (DataTables, its code embedded: the page loads nothing).

    Every cell is shown as text (document text stays inert), booleans as 是/否 and
    missing values as empty cells. ``max_rows`` keeps only the first rows (``None``: all).
    """
    from itables import to_html_datatable

    shown = yes_no(frame if max_rows is None else frame.head(max_rows))
    shown = shown.astype(object).where(shown.notna(), "")  # pd.NA would print as "<NA>"
    shown.columns = [str(c) for c in shown.columns]
    table_id = "table-" + hashlib.sha256((caption + shown.to_csv(index=False)).encode("utf-8")).hexdigest()[:12]
    body = to_html_datatable(shown.reset_index(drop=True), table_id=table_id, connected=False, showIndex=False, **TABLE_OPTIONS)
    body = UNICODE_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), body)  # CJK as written, so the page's font subset covers it
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    return HTML(_datatables_bundle() + cap + body)


def data_version(processed: str | Path, names: Iterable[str] = ("documents", "items")) -> str:
    """Short SHA-256 over the named processed CSV files: changes whenever the data do."""
    digest = hashlib.sha256()
    for name in names:
        path = Path(processed) / f"{name}.csv"
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def report_date() -> str:
    """Today's date (UTC), or the date of ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = datetime.fromtimestamp(int(epoch), timezone.utc) if epoch else datetime.now(timezone.utc)
    return when.strftime("%Y-%m-%d")


def method_notes(parameters: Mapping[str, object], processed: str | Path, notes: Iterable[str] = ()) -> HTML:
    """Closing section: parameters, data version, package version, date and method notes."""
    params = "".join(f"<li><code>{html.escape(k)}</code> = {html.escape(repr(v))}</li>" for k, v in parameters.items())
    extra = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
    return HTML(
        "<section class='method-notes'><h3>方法说明 Method notes</h3>"
        f"<ul>{extra}</ul><p>Parameters:</p><ul>{params}</ul>"
        f"<p>Data version {data_version(processed)} · analysis {__version__} · generated {report_date()}</p></section>"
    )
