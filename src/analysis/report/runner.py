"""Reports step: run the notebook jobs of ``reports.yml`` and render standalone HTML.

``python -m analysis reports [--only NAME …] [--jobs N] [--force] [--show-code]``

Jobs come from :func:`analysis.report.jobs.load_jobs` (plain and templated jobs).
Each job runs on a warm kernel of a worker process (:mod:`analysis.report.worker`)
into ``reports/executed/NAME.ipynb`` and ``reports/NAME.html``; a failing job keeps
its executed notebook up to the failing cell and an HTML page showing it, and the
other jobs still finish. A job is skipped when its inputs hash as at its last
successful run (:mod:`analysis.report.state`). Every run rewrites
``reports/index.html`` (:mod:`analysis.report.index`) when its content changes.

Guarantees: workers and kernels die with the runner; outputs are staged in
``reports/.staging/`` and moved into place by the runner only, complete; SIGINT and
SIGTERM stop the queue, kill running kernels, record what finished and raise
:class:`Interrupted` (exit 130/143); a full disk, a read-only or forbidden output
folder raise InputError naming the path (exit 2), earlier outputs intact.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from analysis.errors import InputError
from analysis.paths import processed_dir, project_root, reports_dir
from analysis.report.jobs import Job, load_jobs, select_jobs
from analysis.report.reproduce import report_command, reproduce_info
from analysis.report.state import STATE_NAME, DataDigests, job_inputs, load_state, package_digest, save_state

CONFIG_NAME = "reports.yml"
STAGING = ".staging"
LISTED_SKIPS = 40  # runs with more reports list only those that ran
#: seconds between two saves of state.json during a run (4,000 saves of a 7 MB state cost minutes); the run saves at its end too
SAVE_EVERY = 2.0

__all__ = ["Interrupted", "Job", "Result", "load_jobs", "run_reports", "select_jobs"]


class Interrupted(Exception):
    """The run was stopped by ``signum`` (SIGINT/SIGTERM) after recording the finished jobs; ``code`` is the exit status."""

    def __init__(self, signum: int):
        self.signum, self.code = signum, 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


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


def notebook_parameters(path: Path) -> set[str] | None:
    """Parameter names of the notebook at ``path``; None when it is missing, unreadable or has no parameters cell.

    Reads the file as plain JSON: importing nbformat (its JSON-schema validators) would
    cost more than a whole no-change run.
    """
    from analysis.report.worker import parameter_names

    try:
        return parameter_names(json.loads(Path(path).read_text(encoding="utf-8")))
    except Exception:  # the job itself reports the problem when it runs
        return None


def _reason(old: Mapping | None, inputs: Mapping, force: bool) -> str:
    if force:
        return "forced"
    if not old or not old.get("inputs"):
        return "new"
    if old.get("status") != "ok":
        return "failed last time"
    changed = [k for k, v in inputs.items() if old["inputs"].get(k) != v]
    return "changed: " + ", ".join(changed) if changed else "output missing"


def storage_error(path: Path, exc: OSError) -> InputError:
    """One line for an OS error on the output folder: the path and the cause."""
    return InputError(exc.filename or path, f"cannot write report output ({exc.strerror or exc})")


@contextmanager
def _signals_raise():
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only)."""
    def handler(signum, frame):
        raise Interrupted(signum)

    if multiprocessing.current_process().name != "MainProcess" or not _main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


class WorkerPool:
    """``n`` worker processes (spawned, each with a warm kernel); one task at a time per worker."""

    def __init__(self, n: int, root: str, timeout: int | None):
        self.context = multiprocessing.get_context("spawn")
        self.results = self.context.Queue()
        self.root, self.timeout = root, timeout
        self.workers: list[list] = []  # [process, task queue, running task name]
        try:
            for _ in range(n):
                self.workers.append(self._spawn())
        except BaseException:  # interrupted while starting: the workers already started must not outlive us
            self.close(kill=True)
            raise

    def _spawn(self) -> list:
        from analysis.report.worker import worker_main

        tasks = self.context.Queue()
        process = self.context.Process(target=worker_main, args=(tasks, self.results, self.root, self.timeout), daemon=True)
        process.start()
        return [process, tasks, None]

    def idle(self) -> list[list]:
        return [w for w in self.workers if w[2] is None]

    def submit(self, worker: list, task: dict) -> None:
        worker[2] = task["name"]
        worker[1].put(task)

    def next_outcome(self) -> tuple[str, dict] | None:
        """The next finished ``(name, outcome)``; a worker found dead fails its task and is replaced."""
        try:
            name, outcome = self.results.get(timeout=0.5)
        except queue.Empty:
            for i, worker in enumerate(self.workers):
                if worker[2] is not None and not worker[0].is_alive():
                    name, code = worker[2], worker[0].exitcode
                    self.workers[i] = self._spawn()
                    return name, {"status": "failed", "error": f"worker process died (exit code {code})", "files": {}}
            return None
        for worker in self.workers:
            if worker[2] == name:
                worker[2] = None
        return name, outcome

    def close(self, kill: bool = False) -> None:
        """Stop the workers: politely when idle, ``kill`` (SIGKILL; their kernels follow) otherwise."""
        for process, tasks, _ in self.workers:
            if kill:
                process.kill()
                tasks.cancel_join_thread()  # nobody will read what is still in the pipe: exit without flushing it
            else:
                tasks.put(None)
        for process, *_ in self.workers:
            process.join(timeout=None if kill else 30)
            if process.is_alive():
                process.kill()
                process.join()
        self.results.close()
        self.results.cancel_join_thread()


def _place(files: Mapping[str, str]) -> None:
    """Move staged files over their final paths (same file system: a rename, never a partial file)."""
    for final, staged in files.items():
        Path(final).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged, final)


def prepare_out(out: Path) -> Path:
    """Create ``out`` and an empty staging folder in it; OS errors -> InputError.

    Leftovers of a killed run (the staging folder, half-written ``.state.json.*.tmp`` and
    ``.index.html.*.tmp``) are removed first.
    """
    staging = out / STAGING
    try:
        out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(staging, ignore_errors=True)
        for leftover in [*out.glob(".state.json.*.tmp"), *out.glob(".index.html.*.tmp")]:
            leftover.unlink(missing_ok=True)
        staging.mkdir()
        probe = staging / ".probe"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise storage_error(out, exc) from exc
    return staging


def planned_inputs(jobs: list[Job], root: Path, processed: Path, data: DataDigests, package: str, options: Mapping) -> list[tuple[dict, dict]]:
    """For each job, ``(parameters, inputs)``: what it runs with and the hashes deciding whether it must run.

    ``processed`` (absolute) is added as the ``processed`` parameter of notebooks that have one,
    relative to ``root`` when inside it.
    """
    shown = os.path.relpath(processed, root) if processed.is_relative_to(root) else str(processed)
    takes_processed: dict[Path, bool] = {}
    notebooks: dict = {}
    planned = []
    for job in jobs:
        if job.path not in takes_processed:
            takes_processed[job.path] = "processed" in (notebook_parameters(job.path) or ())
        parameters = {**job.parameters, **({"processed": shown} if takes_processed[job.path] else {})}
        planned.append((parameters, job_inputs(job, parameters, data, package, options, notebooks)))
    return planned


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

    Notebooks run with ``root`` as working directory; ``processed`` is passed as the
    ``processed`` parameter of every notebook that has one (relative to ``root`` when inside it).
    ``out`` receives ``NAME.html``, ``executed/NAME.ipynb``, ``figures/NAME/`` (written
    by the notebooks), ``state.json`` and ``index.html`` (listing ``all_jobs``, default
    ``jobs``). ``timeout`` is per cell. Raises :class:`Interrupted` on SIGINT/SIGTERM
    and InputError when the output folder cannot be written.
    """
    from analysis.report.index import write_index

    root, processed, out = Path(root).resolve(), Path(processed).resolve(), Path(out).resolve()
    staging = prepare_out(out)
    try:
        stored = load_state(out)
        state, data, package = stored["jobs"], DataDigests(processed, stored["data"]), package_digest()
        results: dict[str, Result] = {}
        todo: list[tuple[Result, Job]] = []
        for job, (parameters, inputs) in zip(jobs, planned_inputs(jobs, root, processed, data, package, {"show_code": show_code})):
            old = state.get(job.name)
            if not force and old and old.get("status") == "ok" and old.get("inputs") == inputs and (out / f"{job.name}.html").is_file():
                results[job.name] = Result.from_state(old, status="skipped", note="unchanged")
                continue
            results[job.name] = Result(job.name, "pending", parameters=parameters, inputs=inputs, note=_reason(old, inputs, force))
            todo.append((results[job.name], job))
        try:
            if todo:
                execute_jobs(todo, state, data, root=root, out=out, staging=staging, workers=workers, timeout=timeout,
                         show_code=show_code, progress=progress)  # fmt: skip
        finally:
            listed = all_jobs or jobs
            kept = {j.name: state[j.name] for j in listed if j.name in state}
            try:
                if todo or len(kept) != len(state) or stored["data"] != data.to_dict() or not (out / STATE_NAME).is_file():
                    save_state(out, kept, data)
                write_index(out, listed, kept)
            except OSError as exc:
                raise storage_error(out, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [results[j.name] for j in jobs]


def execute_jobs(todo, state: dict, data: DataDigests, *, root, out, staging, workers, timeout, show_code, progress, record=True) -> None:
    """Run the ``todo`` jobs on a worker pool, recording each outcome in ``state``.

    Unless not ``record``, ``state.json`` is saved at most every :data:`SAVE_EVERY` seconds
    (the caller saves it at the end, also when interrupted): a SIGKILL loses at most the
    last seconds' records, and those jobs run again next time.
    """
    from analysis.report.html import common_font

    info = reproduce_info(root, data.whole)
    common_font()  # made (and cached) once here rather than by every worker at once
    # longest first (by the last run's time; new jobs first) so the workers finish together
    todo = sorted(todo, key=lambda pair: -state.get(pair[0].name, {}).get("seconds", float("inf")))
    tasks = []
    for result, job in todo:
        page = os.path.relpath(out / f"{job.name}.html", root) if out.is_relative_to(root) else str(out / f"{job.name}.html")
        command = report_command(job.notebook, result.parameters, page)
        tasks.append({"name": job.name, "notebook": job.notebook, "path": str(job.path), "parameters": result.parameters,
                      "out": str(out), "staging": str(staging), "show_code": show_code,
                      "reproduce": {**info, "command": command, "job": job.name if record else ""}})  # fmt: skip
    by_name = {result.name: result for result, _ in todo}
    pending = list(reversed(tasks))
    pool, interrupted, saved = None, False, time.monotonic()
    with _signals_raise(), tqdm(total=len(tasks), desc="reports", unit="report", disable=not progress, file=sys.stderr) as bar:
        try:
            pool = WorkerPool(max(1, min(workers, len(tasks))), str(root), timeout)
            running = 0
            while pending or running:
                for worker in pool.idle():
                    if not pending:
                        break
                    task = pending.pop()
                    shutil.rmtree(out / "figures" / task["name"], ignore_errors=True)  # a re-run replaces its figures
                    pool.submit(worker, task)
                    running += 1
                finished = pool.next_outcome()
                if finished is None:
                    continue
                running -= 1
                name, outcome = finished
                if outcome["status"] == "oserror":
                    raise InputError(outcome["path"], outcome["error"])
                try:
                    files = outcome.pop("files", {})
                    if not files:  # failed before rendering: the old page must not stand for this run
                        for stale in (out / f"{name}.html", out / "executed" / f"{name}.ipynb"):
                            stale.unlink(missing_ok=True)
                    _place(files)
                except OSError as exc:
                    raise storage_error(out, exc) from exc
                result = by_name[name]
                for key, value in outcome.items():
                    setattr(result, key, value)
                state[name] = asdict(result)
                try:
                    if record and time.monotonic() - saved >= SAVE_EVERY:
                        save_state(out, state, data)
                        saved = time.monotonic()
                except OSError as exc:
                    raise storage_error(out, exc) from exc
                bar.set_postfix_str(f"{name} {result.status}")
                bar.update()
        except BaseException:
            interrupted = True
            raise
        finally:
            if pool is not None:
                pool.close(kill=interrupted)


def summary_table(results: list[Result], out: str | Path) -> str:
    """Plain-text table of the results: report, status, time, note (error and executed notebook when failed).

    Skipped reports get rows only in runs of at most :data:`LISTED_SKIPS` reports; a
    corpus-scale run lists what ran or failed and counts the rest.
    """
    shown = results if len(results) <= LISTED_SKIPS else [r for r in results if r.status != "skipped"]
    width = max([len("report")] + [len(r.name) for r in shown])
    lines = [f"{'report':<{width}}  {'status':<8} {'time':>8}  note"] if shown else []
    if len(shown) < len(results):
        lines.append(f"({len(results) - len(shown):,} unchanged reports not listed: see the index)")
    for r in shown:
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
    """Run the selected jobs, print the summary table; exit 1 if any job failed, 130/143 when interrupted."""
    root = project_root()
    config = args.config or root / CONFIG_NAME
    processed = processed_dir(args.processed)
    jobs = load_jobs(config, processed)
    out = reports_dir(args.out)
    try:
        results = run_reports(
            select_jobs(jobs, args.only, config), root=root, processed=processed, out=out,
            workers=args.jobs, force=args.force, show_code=args.show_code, timeout=args.timeout, all_jobs=jobs,
        )  # fmt: skip
    except Interrupted as exc:
        print(f"stopped: {exc}; finished reports are recorded in {Path(out) / 'state.json'}", file=sys.stderr)
        return exc.code
    print(summary_table(results, out))
    return 1 if any(r.status == "failed" for r in results) else 0
