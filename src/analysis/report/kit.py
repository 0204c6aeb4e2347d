"""Building blocks every report notebook uses: header, tables and method notes.

A report opens with :func:`header` (title, what was compared, two or three key
findings), shows charts and tables (:func:`table` escapes document text), and
ends with :func:`method_notes` (parameters, data version, package version, date).
The first key finding is what ``reports/index.html`` shows for the report: it is
the first ``<li>`` of the ``<ul class="key-findings">`` list.
"""

from __future__ import annotations

import hashlib
import html
import os
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from IPython.display import HTML

from analysis import __version__

STYLE = """<style>
.report-header h1 {margin-bottom: .2em}
.report-header .compared {color: #555; margin-top: 0}
.report-header .key-findings {background: #f4f7fb; border-left: 4px solid #3b6ea5; padding: .6em 1.2em .6em 2em}
.method-notes {color: #444; font-size: 90%}
table.report-table td {text-align: left; vertical-align: top}
</style>"""


def header(title: str, compared: str, findings: Iterable[str]) -> HTML:
    """Report title, one line on what was compared, and the key findings (plain text, escaped)."""
    items = "".join(f"<li>{html.escape(f)}</li>" for f in findings)
    return HTML(
        f"{STYLE}<section class='report-header'><h1>{html.escape(title)}</h1>"
        f"<p class='compared'>{html.escape(compared)}</p>"
        f"<h3>主要发现 Key findings</h3><ul class='key-findings'>{items}</ul></section>"
    )


#: Rows a report table shows at most; the full tables are the CSV files in data/processed.
MAX_TABLE_ROWS = 200


def table(frame: pd.DataFrame, caption: str = "", max_rows: int | None = MAX_TABLE_ROWS) -> HTML:
    """``frame`` as an HTML table with every cell escaped (document text is shown inert).

    At most ``max_rows`` rows are shown (``None``: all), followed by a line saying how many more there are.
    """
    shown = frame if max_rows is None else frame.head(max_rows)
    shown = shown.astype(object).where(shown.notna(), "")  # pd.NA would print as "<NA>"
    body = shown.to_html(index=False, escape=True, classes="report-table", border=0, na_rep="")
    cap = f"<p><b>{html.escape(caption)}</b></p>" if caption else ""
    more = f"<p>… 另有 {len(frame) - len(shown)} 行未显示 ({len(frame) - len(shown)} more rows; full table in data/processed)</p>" if len(shown) < len(frame) else ""
    return HTML(cap + body + more)


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
