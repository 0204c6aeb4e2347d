"""Report step for one notebook: ``python -m analysis report NOTEBOOK -p NAME VALUE … --out FILE.html``.

Renders one ad-hoc report through the same runner as ``reports`` (warm kernel,
code hidden, the CJK font subset embedded, a "复现 Reproduce" section), with the
parameters checked against the notebook's ``parameters`` cell first: an unknown
name, or a missing parameter whose help says ``(required)``, is refused (exit 2)
with the list of known ones. The executed notebook goes to
``FILE's folder/executed/NAME.ipynb``; no ``state.json`` or index is written.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from analysis.errors import InputError
from analysis.paths import processed_dir, project_root


def parse_value(text: str) -> object:
    """A ``-p`` value as papermill reads it: ``True/False/None``, an int, a float, else the string."""
    constants = {"True": True, "False": False, "None": None}
    if text in constants:
        return constants[text]
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def check_parameters(nb, parameters: dict, notebook: str | Path) -> None:
    """InputError when a name is not in the parameters cell, or a ``(required)`` parameter is missing."""
    from analysis.report.worker import parameter_names

    names = parameter_names(nb)
    if names is None:
        raise InputError(notebook, "has no cell tagged 'parameters'")
    unknown = sorted(set(parameters) - names)
    if unknown:
        raise InputError(notebook, f"unknown parameter {', '.join(map(repr, unknown))}; known parameters: {', '.join(sorted(names))}")
    cell = next(c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", []))
    required = [line.split("=")[0].strip() for line in cell.source.splitlines() if "(required)" in line and "=" in line]
    missing = [n for n in required if n not in parameters]
    if missing:
        raise InputError(notebook, f"parameter(s) {', '.join(missing)} required (-p NAME VALUE); known parameters: {', '.join(sorted(names))}")


def render_report(notebook: str | Path, parameters: dict, out: str | Path, *, processed: str | Path | None = None,
                  show_code: bool = False, timeout: int | None = 600):
    """Render ``notebook`` with ``parameters`` to the HTML file ``out``; return the runner's Result."""
    import nbformat

    from analysis.report.jobs import Job, check_name
    from analysis.report.runner import Result, execute_jobs, prepare_out, storage_error
    from analysis.report.state import DataDigests
    from analysis.report.worker import parameter_names

    path, out = Path(notebook).resolve(), Path(out).resolve()
    if not path.is_file():
        raise InputError(notebook, "notebook not found")
    if out.suffix != ".html":
        raise InputError(out, "--out must name an .html file")
    name = check_name(out.stem, out)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:
        raise InputError(notebook, f"not a readable notebook ({type(exc).__name__}: {exc})") from exc
    check_parameters(nb, parameters, notebook)
    root, processed = project_root(), Path(processed_dir(processed)).resolve()
    if "processed" in parameter_names(nb) and "processed" not in parameters:
        parameters = {**parameters, "processed": os.path.relpath(processed, root) if processed.is_relative_to(root) else str(processed)}
    shown = str(Path(notebook)) if not Path(notebook).is_absolute() else str(path)
    result = Result(name, "pending", parameters=parameters)
    staging = prepare_out(out.parent)
    try:
        execute_jobs([(result, Job(name, shown, path, parameters))], {}, DataDigests(processed, {"documents": {}}), root=root,
                 out=out.parent, staging=staging, workers=1, timeout=timeout, show_code=show_code, progress=False, record=False)  # fmt: skip
    except OSError as exc:
        raise storage_error(out.parent, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis report``."""
    parser.add_argument("notebook", type=Path, help="notebook to run, e.g. notebooks/03_priority_shifts.ipynb")
    parser.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"), help="set a parameter (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="HTML file to write, e.g. reports/my-report.html")
    parser.add_argument("--processed", type=Path, help="processed tables folder (default: data/processed)")
    parser.add_argument("--show-code", action="store_true", help="keep code cells in the HTML (hidden by default)")
    parser.add_argument("--timeout", type=int, default=600, metavar="SECONDS", help="per-cell time limit (default: 600)")


def run(args: argparse.Namespace) -> int:
    """Render the report; exit 0 when it ran, 1 when a cell failed, 130/143 when interrupted."""
    from analysis.report.runner import Interrupted

    parameters = {name: parse_value(value) for name, value in args.parameter}
    try:
        result = render_report(args.notebook, parameters, args.out, processed=args.processed, show_code=args.show_code, timeout=args.timeout)
    except Interrupted as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return exc.code
    if result.status != "ok":
        print(f"report failed: {result.error} (executed notebook: {Path(args.out).parent / 'executed' / (Path(args.out).stem + '.ipynb')})", file=sys.stderr)
        return 1
    print(f"{args.out} ({result.seconds:.1f} s)")
    return 0
