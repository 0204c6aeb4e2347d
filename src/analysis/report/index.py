"""``reports/index.html``: every report job with its status, run time, parameters and key finding.

Input is the job list and the runner's state (``{name: result dict}`` with
``status, seconds, finished, title, finding, error, parameters``). The page is
standalone (inline CSS, the Chinese text in an embedded font subset) and is
rewritten only when its content changes.
"""

from __future__ import annotations

import hashlib
import html
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from analysis.report.html import FONT_STACK, cjk_font_face
from analysis.store import write_text_atomic

STATUS = {"ok": ("成功", "ok"), "failed": ("失败", "failed"), None: ("未运行", "not run")}

STYLE = f"""
body {{ font-family: {FONT_STACK}; color: #222; max-width: 72rem; margin: 0 auto; padding: 1.5rem 2rem 3rem; line-height: 1.6; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }}
p.lead {{ color: #555; margin-top: 0; }}
table {{ border-collapse: collapse; width: 100%; font-size: .95rem; }}
th, td {{ text-align: left; vertical-align: top; padding: .55rem .7rem; border-bottom: 1px solid #e3e3e3; }}
th {{ background: #f4f7fb; font-weight: 600; white-space: nowrap; }}
td.report a {{ font-weight: 600; color: #1f4e87; text-decoration: none; }}
td.report a:hover {{ text-decoration: underline; }}
td.report .name, td.params {{ color: #666; font-size: .85rem; }}
td.params {{ white-space: nowrap; }}
td.params code {{ font-size: .85rem; }}
td.time, th.time {{ white-space: nowrap; text-align: right; }}
.status {{ display: inline-block; padding: .05rem .5rem; border-radius: .8rem; font-size: .85rem; white-space: nowrap; }}
.status.ok {{ background: #e3f2e6; color: #1e6b30; }}
.status.failed {{ background: #fbe3e3; color: #9b1c1c; }}
.status.not-run {{ background: #eee; color: #666; }}
.error {{ color: #9b1c1c; }}
"""


def _row(name: str, result: Mapping | None, has_page: bool) -> str:
    result = result or {}
    label, css = STATUS.get(result.get("status"), STATUS[None])
    title = html.escape(result.get("title") or name)
    link = f"<a href='{html.escape(name)}.html'>{title}</a>" if has_page else title
    params = "<br>".join(
        f"<code>{html.escape(str(k))}</code> = {html.escape(str(v))}" for k, v in (result.get("parameters") or {}).items()
    )
    if result.get("status") == "failed":
        finding = f"<span class='error'>{html.escape(result.get('error', ''))}</span>"
    else:
        finding = html.escape(result.get("finding", ""))
    seconds = f"{result['seconds']:.1f} s" if result.get("status") else "–"
    when = html.escape(result.get("finished", "").replace("T", " "))
    return (
        f"<tr><td class='report'>{link}<div class='name'>{html.escape(name)}</div></td><td class='finding'>{finding}</td>"
        f"<td class='params'>{params}</td><td><span class='status {css.replace(' ', '-')}'>{label} {css}</span></td>"
        f"<td class='time'>{seconds}<div class='name'>{when}</div></td></tr>"
    )


def index_html(names: Sequence[str], state: Mapping[str, Mapping], pages: Collection[str] = ()) -> str:
    """The index page (without the embedded font) for the jobs ``names`` in order; ``pages``: names with an HTML file."""
    rows = "".join(_row(name, state.get(name), name in pages) for name in names)
    n_ok = sum((state.get(n) or {}).get("status") == "ok" for n in names)
    return (
        "<!DOCTYPE html>\n<html lang='zh'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>报告目录 Reports</title><style>/* font */{STYLE}</style></head><body>"
        "<h1>卫生健康工作要点分析报告 Reports</h1>"
        f"<p class='lead'>共 {len(names)} 份报告，{n_ok} 份成功生成。点击标题打开报告；每份报告可离线阅读。</p>"
        "<table><thead><tr><th>报告 Report</th><th>主要发现 Key finding</th><th>参数 Parameters</th>"
        f"<th>状态 Status</th><th class='time'>用时 Time</th></tr></thead><tbody>{rows}</tbody></table></body></html>\n"
    )


def write_index(out: str | Path, jobs: Sequence, state: Mapping[str, Mapping]) -> Path:
    """Write ``out/index.html`` for ``jobs`` (objects with ``.name``); skip the write when nothing changed."""
    names = [j.name for j in jobs]
    pages = {n for n in names if (state.get(n) or {}).get("status") and (Path(out) / f"{n}.html").is_file()}
    page = index_html(names, state, pages)
    digest = hashlib.sha256(page.encode("utf-8")).hexdigest()[:16]
    marker = f"<meta name='index-digest' content='{digest}'>"
    path = Path(out) / "index.html"
    if path.is_file() and marker in path.read_text(encoding="utf-8"):
        return path
    chars = "".join(sorted({c for c in page if ord(c) > 0x7F}))
    page = page.replace("<meta charset='utf-8'>", f"<meta charset='utf-8'>{marker}", 1)
    return write_text_atomic(path, page.replace("/* font */", cjk_font_face(chars), 1))
