"""A report worker process: executes report tasks on its warm kernel, writes results to a staging folder.

:func:`worker_main` is the process body: it dies with the runner, ignores Ctrl-C
(the runner decides), takes tasks from its queue and puts one outcome per task on
the shared result queue. :func:`execute_task` runs one task: check the parameters,
inject them (papermill's ``injected-parameters`` cell), run the notebook on the warm
kernel, append the reproduce section and render the HTML (nbconvert, in-process).
The executed notebook and the page are written to ``task["staging"]`` only; the
runner moves them into place, so nothing reaches the output folder once the runner
is gone.
"""

from __future__ import annotations

import ast
import errno
import re
import shutil
import signal
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from analysis.report.kernels import KERNEL, WarmKernel, die_with_parent

ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
#: OS errors that concern the output folder (not one report): the run stops with exit 2.
STORAGE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ELOOP}
MARGIN = 1 << 20  # bytes kept free beyond a file being written


def parameter_names(nb: Mapping) -> set[str] | None:
    """Names assigned in the notebook's ``parameters``-tagged cell; None when it has no such cell.

    ``nb``: an nbformat notebook or the notebook file's plain JSON (``source`` a string or a list of lines).
    """
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            names = set()
            for node in ast.parse(source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
            return names
    return None


def unknown_parameters(nb, parameters: Mapping, notebook: str) -> str:
    """``""`` when every name in ``parameters`` is in the notebook's parameters cell, else the problem in one line."""
    names = parameter_names(nb)
    unknown = sorted(set(parameters) - (names or set()))
    if not unknown:
        return ""
    has = f"has: {', '.join(sorted(names))}" if names else "it has no cell tagged 'parameters'"
    return f"parameter(s) {', '.join(unknown)} not in the parameters cell of {notebook} ({has})"


def write_checked(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` after checking the free space; a short write raises OSError(ENOSPC)."""
    free = shutil.disk_usage(path.parent).free
    if free < len(data) + MARGIN:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    with open(path, "wb") as handle:
        written = handle.write(data)
    if written != len(data) or path.stat().st_size != len(data):
        raise OSError(errno.ENOSPC, "No space left on device (short write)", str(path))


def _cell_error(exc: BaseException, nb) -> str:
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    position = next((i + 1 for i, c in enumerate(nb.cells) if any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)
    where = f" (cell {position})" if position else ""
    return ANSI_RE.sub("", " ".join(f"{ename}: {evalue}".split())) + where


def execute_task(kernel: WarmKernel, task: Mapping) -> dict:
    """Run one report task on ``kernel``; return its outcome (never raises for a report's own failure).

    ``task``: ``name, notebook, path, parameters, out, staging, show_code, reproduce``.
    Outcome: ``status`` (ok/failed/oserror), ``seconds, finished, title, finding, error`` and
    ``files`` (``{final path: staged path}``).
    """
    import nbformat
    from papermill.parameterize import parameterize_notebook

    from analysis.report.html import notebook_html, report_summary
    from analysis.report.reproduce import reproduce_cell

    start = time.perf_counter()
    name, out, staging = task["name"], Path(task["out"]), Path(task["staging"])
    outcome = {"status": "ok", "title": "", "finding": "", "error": "", "files": {}}
    error, nb = "", None
    try:
        if not Path(task["path"]).is_file():
            raise FileNotFoundError(f"notebook not found: {task['notebook']} (listed in reports.yml)")
        nb = nbformat.read(task["path"], as_version=4)
        error = unknown_parameters(nb, task["parameters"], task["notebook"])
        if not error:
            for cell in nb.cells:  # papermill's parameterizer expects tags on every cell and its own metadata
                cell.metadata.setdefault("tags", [])
            nb.metadata.setdefault("papermill", {})
            nb = parameterize_notebook(nb, dict(task["parameters"]), kernel_name=KERNEL, language="python")
            env = {"ANALYSIS_FIGURE_DIR": str(out / "figures" / name), "ANALYSIS_REPORT_NAME": name}
            try:
                kernel.execute(nb, env)
            except Exception as exc:  # a failing cell, a timeout or a dead kernel fail this report only
                error = _cell_error(exc, nb)
            nb.cells.append(reproduce_cell(task["reproduce"]))
            title, finding = report_summary(nb)
            outcome.update(title=title, finding=finding)
            page = notebook_html(nb, title or name, show_code=task["show_code"] or bool(error)).encode("utf-8")
            staged_nb, staged_page = staging / f"{name}.ipynb", staging / f"{name}.html"
            write_checked(staged_nb, nbformat.writes(nb).encode("utf-8"))
            write_checked(staged_page, page)
            outcome["files"] = {str(out / "executed" / f"{name}.ipynb"): str(staged_nb), str(out / f"{name}.html"): str(staged_page)}
    except OSError as exc:
        if exc.errno in STORAGE_ERRORS:
            outcome.update(status="oserror", path=str(exc.filename or staging), error=f"cannot write report output ({exc.strerror})", files={})
        else:
            error = str(exc) if isinstance(exc, FileNotFoundError) else f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # a bad notebook file or a rendering problem fails this report only
        error = f"{type(exc).__name__}: {exc}"
    if error and outcome["status"] == "ok":
        outcome.update(status="failed", error=error)
    outcome.update(seconds=round(time.perf_counter() - start, 2), finished=datetime.now().isoformat(timespec="seconds"))
    return outcome


def worker_main(tasks, results, root: str, timeout: int | None) -> None:
    """Process body: run tasks from ``tasks`` until ``None``; put ``(name, outcome)`` on ``results``."""
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)
    kernel = WarmKernel(root, timeout)
    try:
        while (task := tasks.get()) is not None:
            results.put((task["name"], execute_task(kernel, task)))
    finally:
        kernel.stop()
