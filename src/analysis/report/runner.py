"""Reports step: run the notebook jobs of ``reports.yml`` and render standalone HTML.

``python -m analysis reports [--only NAME …] [--jobs N] [--force] [--show-code]``

``reports.yml`` (repository root) names each job, its notebook and parameters::

    jobs:
      corpus:
        notebook: notebooks/01_corpus.ipynb
      shifts-qingdao-2021-vs-2024:
        notebook: notebooks/03_priority_shifts.ipynb
        parameters: {base: "city=青岛市,year=2021", compare: "city=青岛市,year=2024"}

Each job is executed by papermill (working directory = project root) into
``reports/executed/NAME.ipynb`` and converted to ``reports/NAME.html``
(:mod:`analysis.report.html`), in parallel worker processes. A failing job keeps
its executed notebook up to the failing cell and an HTML page showing it; the
other jobs still finish. A job is skipped when its *inputs* — notebook bytes,
parameters, package version and code, every ``processed/*.csv`` and the render
options — hash to what they were at its last successful run (``reports/state.json``);
a no-change run therefore hashes files and starts no kernel. Every run rewrites
``reports/index.html`` (:mod:`analysis.report.index`).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import logging
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from tqdm.auto import tqdm

import analysis
from analysis.errors import InputError
from analysis.paths import processed_dir, project_root, reports_dir
from analysis.store import read_yaml, write_json_atomic, write_text_atomic

CONFIG_NAME = "reports.yml"
STATE_NAME = "state.json"
KERNEL = "python3"
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
JOB_KEYS = {"notebook", "parameters"}


@dataclass(frozen=True)
class Job:
    """One report: ``name`` (file stem of its outputs), ``notebook`` as written, its ``path`` and ``parameters``."""

    name: str
    notebook: str
    path: Path
    parameters: dict = field(default_factory=dict)


@dataclass
class Result:
    """What a run of one job left: status ``ok``/``failed``/``skipped``, timing, summary and inputs."""

    name: str
    status: str
    seconds: float = 0.0
    finished: str = ""
    title: str = ""
    finding: str = ""
    error: str = ""
    note: str = ""
    parameters: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)

    @classmethod
    def from_state(cls, entry: Mapping, **changes) -> Result:
        """A Result from a ``state.json`` entry (unknown keys ignored) with ``changes`` applied."""
        known = {k: v for k, v in entry.items() if k in cls.__dataclass_fields__}
        return cls(**{**known, **changes})


def load_jobs(config: str | Path) -> list[Job]:
    """The jobs of a ``reports.yml`` file, in file order; a malformed file raises InputError.

    Notebook paths are relative to the folder holding ``config``.
    """
    config = Path(config)
    data = read_yaml(config, "report configuration")
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict) or not data["jobs"]:
        raise InputError(config, "expected a mapping 'jobs:' of report names to {notebook, parameters}")
    jobs = []
    for name, spec in data["jobs"].items():
        name = str(name)
        if not NAME_RE.match(name):
            raise InputError(config, f"job name {name!r} must be letters, digits, '.', '_' or '-' (it names the output files)")
        if not isinstance(spec, dict) or not isinstance(spec.get("notebook"), str):
            raise InputError(config, f"job {name!r} needs 'notebook: path/to/notebook.ipynb'")
        unknown = set(spec) - JOB_KEYS
        if unknown:
            raise InputError(config, f"job {name!r} has unknown key(s) {', '.join(sorted(map(str, unknown)))}; allowed: notebook, parameters")
        parameters = spec.get("parameters") or {}
        if not isinstance(parameters, dict):
            raise InputError(config, f"job {name!r}: 'parameters' must be a mapping of name: value")
        jobs.append(Job(name, spec["notebook"], config.parent.resolve() / spec["notebook"], {str(k): v for k, v in parameters.items()}))
    return jobs


def select_jobs(jobs: list[Job], only: Iterable[str] | None, config: str | Path) -> list[Job]:
    """The jobs named in ``only`` (all when empty); an unknown name raises InputError listing the jobs."""
    wanted = list(only or [])
    known = [j.name for j in jobs]
    for name in wanted:
        if name not in known:
            raise InputError(config, f"no report job named {name!r}; jobs: {', '.join(known)}")
    return [j for j in jobs if not wanted or j.name in wanted]


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(data: object) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def data_digest(processed: str | Path) -> str:
    """One hash over every ``processed/*.csv`` (names and contents)."""
    return _digest({p.name: file_digest(p) for p in sorted(Path(processed).glob("*.csv"))})


def package_digest() -> str:
    """One hash over the package version and every file of the installed ``analysis`` package."""
    package = Path(analysis.__file__).parent
    files = sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return _digest({"version": analysis.__version__, **{str(p.relative_to(package)): file_digest(p) for p in files}})


def job_inputs(job: Job, parameters: Mapping, data: str, package: str, show_code: bool) -> dict:
    """The hashes that decide whether ``job`` must run again: ``notebook, parameters, package, data, options``."""
    return {
        "notebook": file_digest(job.path) if job.path.is_file() else "missing",
        "parameters": _digest(dict(parameters)),
        "package": package,
        "data": data,
        "options": _digest({"show_code": show_code}),
    }


def parameter_names(nb) -> set[str] | None:
    """Names assigned in the notebook's ``parameters``-tagged cell; None when it has no such cell."""
    for cell in nb.cells:
        if cell.cell_type == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            names = set()
            for node in ast.parse(cell.source).body:
                targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
                names |= {t.id for t in targets if isinstance(t, ast.Name)}
            return names
    return None


def _check_parameters(nb, parameters: Mapping, notebook: str) -> None:
    names = parameter_names(nb)
    unknown = sorted(set(parameters) - (names or set()))
    if unknown:
        has = f"has: {', '.join(sorted(names))}" if names else "it has no cell tagged 'parameters'"
        raise ValueError(f"parameter(s) {', '.join(unknown)} not in the parameters cell of {notebook} ({has})")


def _error_line(exc: BaseException) -> str:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        text = f"{exc.ename}: {exc.evalue} (cell [{exc.exec_count}])"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return ANSI_RE.sub("", " ".join(text.split()))


def _papermill(task: dict, executed: Path) -> str:
    """Execute the job's notebook into ``executed`` (atomically, kept up to a failing cell); return the error or ""."""
    import papermill

    logging.getLogger("papermill").setLevel(logging.ERROR)  # its parameter-cell parser trips on "city=…" values
    executed.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{executed.stem}.", suffix=".ipynb", dir=executed.parent)
    os.close(fd)
    error = ""
    try:
        papermill.execute_notebook(
            task["path"], tmp, parameters=task["parameters"], cwd=task["root"], kernel_name=KERNEL,
            progress_bar=False, request_save_on_cell_execute=False, execution_timeout=task["timeout"],
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )  # fmt: skip
    except Exception as exc:  # any failure belongs to this job only
        error = _error_line(exc)
    if Path(tmp).stat().st_size:
        os.replace(tmp, executed)
    else:  # nothing ran (e.g. the kernel did not start): no notebook to keep
        Path(tmp).unlink()
    return error


def execute_job(task: dict) -> dict:
    """Worker: execute one job's notebook with papermill and write its executed notebook and HTML.

    ``task`` holds ``name, notebook`` (as written), ``path, parameters, root`` (working
    directory), ``out, show_code, timeout``. Returns ``{status, seconds, finished,
    title, finding, error}``; never raises. A failed job's old outputs never linger.
    """
    import nbformat

    from analysis.report.html import notebook_html, report_summary

    start = time.perf_counter()
    out, name = Path(task["out"]), task["name"]
    executed, page = out / "executed" / f"{name}.ipynb", out / f"{name}.html"
    outcome = {"status": "ok", "title": "", "finding": "", "error": ""}
    for stale in (executed, page):
        stale.unlink(missing_ok=True)
    try:
        if not Path(task["path"]).is_file():
            raise FileNotFoundError(f"notebook not found: {task['notebook']} (listed in {CONFIG_NAME})")
        _check_parameters(nbformat.read(task["path"], as_version=4), task["parameters"], task["notebook"])
        error = _papermill(task, executed)
        if executed.is_file():
            nb = nbformat.read(executed, as_version=4)
            title, finding = report_summary(nb)
            outcome.update(title=title, finding=finding)
            write_text_atomic(page, notebook_html(nb, title or name, show_code=task["show_code"] or bool(error)))
    except Exception as exc:  # a bad notebook file or a rendering problem fails this job only
        error = str(exc) if isinstance(exc, (OSError, ValueError, SyntaxError)) else _error_line(exc)
    if error:
        outcome.update(status="failed", error=error)
    outcome.update(seconds=round(time.perf_counter() - start, 2), finished=datetime.now().isoformat(timespec="seconds"))
    return outcome


def _reason(old: Mapping | None, inputs: Mapping, force: bool) -> str:
    if force:
        return "forced"
    if not old or not old.get("inputs"):
        return "new"
    if old.get("status") != "ok":
        return "failed last time"
    changed = [k for k, v in inputs.items() if old["inputs"].get(k) != v]
    return "changed: " + ", ".join(changed) if changed else "output missing"


def load_state(out: str | Path) -> dict[str, dict]:
    """``{job name: last Result as dict}`` from ``out/state.json`` (empty when absent or unreadable)."""
    path = Path(out) / STATE_NAME
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("jobs", {})
    except (OSError, ValueError):
        return {}


def run_reports(
    jobs: list[Job],
    *,
    root: str | Path,
    processed: str | Path,
    out: str | Path,
    workers: int = 2,
    force: bool = False,
    show_code: bool = False,
    timeout: int | None = 600,
    progress: bool = True,
    all_jobs: list[Job] | None = None,
) -> list[Result]:
    """Run ``jobs`` (skipping unchanged ones unless ``force``); return one Result per job.

    Notebooks run with ``root`` as working directory; ``processed`` is passed as
    the notebooks' ``processed`` parameter unless it is the project default.
    ``out`` receives ``NAME.html``, ``executed/NAME.ipynb``, ``state.json`` and
    ``index.html`` (listing ``all_jobs``, default ``jobs``). ``timeout`` is per cell.
    """
    from analysis.report.index import write_index

    root, processed, out = Path(root).resolve(), Path(processed).resolve(), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    state = load_state(out)
    data, package = data_digest(processed), package_digest()
    extra = {} if processed == processed_dir(None).resolve() else {"processed": str(processed)}
    results: dict[str, Result] = {}
    todo: list[tuple[Result, dict]] = []
    for job in jobs:
        parameters = {**job.parameters, **extra}
        inputs = job_inputs(job, parameters, data, package, show_code)
        old = state.get(job.name)
        if not force and old and old.get("status") == "ok" and old.get("inputs") == inputs and (out / f"{job.name}.html").is_file():
            results[job.name] = Result.from_state(old, status="skipped", note="unchanged")
            continue
        result = Result(job.name, "pending", parameters=parameters, inputs=inputs, note=_reason(old, inputs, force))
        task = {"name": job.name, "notebook": job.notebook, "path": str(job.path), "parameters": parameters, "root": str(root),
                "out": str(out.resolve()), "show_code": show_code, "timeout": timeout}
        results[job.name] = result
        todo.append((result, task))
    if todo:
        # longest first (by the last run's time; new jobs first) so two workers finish together
        todo.sort(key=lambda pair: -state.get(pair[0].name, {}).get("seconds", float("inf")))
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=max(1, min(workers, len(todo))), mp_context=context) as pool, tqdm(
            total=len(todo), desc="reports", unit="report", disable=not progress, file=sys.stderr
        ) as bar:
            futures = {pool.submit(execute_job, task): result for result, task in todo}
            for future in as_completed(futures):
                result = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # a worker that died still fails only its own job
                    outcome = {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}
                for key, value in outcome.items():
                    setattr(result, key, value)
                state[result.name] = asdict(result)
                write_json_atomic(out / STATE_NAME, {"jobs": state})
                bar.set_postfix_str(f"{result.name} {result.status}")
                bar.update()
    listed = all_jobs or jobs
    state = {j.name: state[j.name] for j in listed if j.name in state}
    write_json_atomic(out / STATE_NAME, {"jobs": state})
    write_index(out, listed, state)
    return [results[j.name] for j in jobs]


def summary_table(results: list[Result], out: str | Path) -> str:
    """Plain-text table of the results: report, status, time, note (error and executed notebook when failed)."""
    width = max([len("report")] + [len(r.name) for r in results])
    lines = [f"{'report':<{width}}  {'status':<8} {'time':>8}  note"]
    for r in results:
        seconds = f"{r.seconds:.1f} s" if r.status != "skipped" else "–"
        executed = Path(out) / "executed" / f"{r.name}.ipynb"
        note = r.note
        if r.status == "failed":
            note = f"{r.error} → {executed}" if executed.is_file() else r.error
        lines.append(f"{r.name:<{width}}  {r.status:<8} {seconds:>8}  {note}")
    counts = {s: sum(r.status == s for r in results) for s in ("ok", "skipped", "failed")}
    lines.append(
        f"{len(results)} reports: {counts['ok']} ok, {counts['skipped']} skipped (unchanged), {counts['failed']} failed"
        f" · index: {Path(out) / 'index.html'}"
    )
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis reports``."""
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these jobs (names from reports.yml)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel notebooks (default: CPU count)")
    parser.add_argument("--force", action="store_true", help="run even jobs whose inputs are unchanged")
    parser.add_argument("--show-code", action="store_true", help="keep code cells in the HTML (hidden by default)")
    parser.add_argument("--config", type=Path, help=f"job configuration (default: <project root>/{CONFIG_NAME})")
    parser.add_argument("--processed", type=Path, help="processed tables folder (default: data/processed)")
    parser.add_argument("--out", type=Path, help="output folder (default: reports/)")
    parser.add_argument("--timeout", type=int, default=600, metavar="SECONDS", help="per-cell time limit (default: 600)")


def run(args: argparse.Namespace) -> int:
    """Run the selected jobs, print the summary table; exit 1 if any job failed."""
    root = project_root()
    config = args.config or root / CONFIG_NAME
    jobs = load_jobs(config)
    out = reports_dir(args.out)
    results = run_reports(
        select_jobs(jobs, args.only, config), root=root, processed=processed_dir(args.processed), out=out,
        workers=args.jobs, force=args.force, show_code=args.show_code, timeout=args.timeout, all_jobs=jobs,
    )
    print(summary_table(results, out))
    return 1 if any(r.status == "failed" for r in results) else 0
