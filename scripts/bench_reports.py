"""Benchmark report regeneration (prints figures; not a test).

    .venv/bin/python scripts/bench_reports.py [--jobs N]              the seed corpus, as make reports
    .venv/bin/python scripts/bench.py --profiles N [--jobs W]        N plan profiles (uses profile_benchmark)

Seed corpus, in a temporary output folder so data/processed and reports/ are left alone:
cold ``make reports`` (pipeline and every job), a no-change rerun of ``make reports`` and
of the reports step alone, the reports step with every job run (``--force``), and the
time of each job in the cold run (from ``state.json``).

Profiles (:func:`profile_benchmark`): a synthetic corpus of N plans
(:func:`analysis.ingest.synthetic.generate_corpus`) is ingested (and themed and
targeted when the profile notebook needs it); then

* **floor**: papermill executes a trivial notebook with the profile notebook's
  imports in a fresh kernel, 3 times; floor = mean time ÷ workers;
* **total**: ``python -m analysis reports`` renders the N profiles (a ``reports.yml``
  with the ``profile-{doc_id}`` job only), as a whole process under ``/usr/bin/time -v``,
  peak memory of the process tree sampled every 0.2 s; per_report = total ÷ N,
  ratio = per_report ÷ floor;
* **no-change**: the same command again (every job skipped).

The profile notebook is ``notebooks/06_plan_profile.ipynb`` when present, else a
stand-in (documents.csv and items.csv read, one chart, one table).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "notebooks" / "06_plan_profile.ipynb"
STANDIN = (
    'doc_id = "synthetic-0001"  # document id of the plan to profile\nprocessed = None  # processed tables folder; None: data/processed',
    "%matplotlib inline\nfrom analysis.methods import corpus\nfrom analysis.report import plots, kit\n"
    "from analysis.paths import processed_dir\nfrom analysis.store import read_table",
    'data = processed_dir(processed)\ndocuments = read_table(data, "documents")\nitems = read_table(data, "items")\n'
    "mine = documents[documents.doc_id == doc_id]\nown = items[items.doc_id == doc_id]\n"
    "label = corpus.document_labels(mine)[0]\nsections = corpus.section_counts(mine, own)",
    'kit.header(f"{label} 概况 Profile", f"{label}：各节事项数", [f"共 {len(sections)} 节、{len(own)} 条事项"])',
    "plots.section_items_chart(sections)",
    'kit.table(corpus.for_display(sections), caption="每节一行")',
)


def timed(command: list[str], **kwargs) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command`` in the repository root; return (wall seconds, completed process)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, **kwargs)
    return time.perf_counter() - start, done


def seed_corpus(jobs: int) -> int:
    """The seed-corpus figures (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        processed, out = Path(tmp) / "processed", Path(tmp) / "reports"
        make = ["make", "-s", "reports", f"PROCESSED={processed}", f"REPORTS={out}"]
        step = [sys.executable, "-m", "analysis", "reports", "--processed", str(processed), "--out", str(out), "--jobs", str(jobs)]
        cold, done = timed(make)
        if done.returncode:
            print(done.stdout, done.stderr, sep="\n")
            print(f"cold make reports failed (exit {done.returncode}) after {cold:.1f} s")
        state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
        rerun, _ = timed(make)
        step_rerun, again = timed(step)
        forced, _ = timed(step + ["--force"])
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, --jobs {jobs}")
        print(f"cold make reports (pipeline and {len(state)} reports): {cold:6.1f} s")
        print(f"no-change make reports:                 {rerun:6.1f} s")
        print(f"no-change python -m analysis reports:   {step_rerun:6.1f} s")
        print(f"python -m analysis reports --force:     {forced:6.1f} s")
        for name, entry in state.items():
            print(f"  {name:<40} {entry['status']:<7} {entry['seconds']:6.1f} s")
        skipped = sum(line.split()[1:2] == ["skipped"] for line in again.stdout.splitlines())
        print(f"no-change rerun skipped {skipped} of {len(state)} reports")
        return 1 if done.returncode else 0


# --------------------------------------------------------------------------- profiles


def _notebook(path: Path, cells: tuple[str, ...]) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell(cells[0], metadata={"tags": ["parameters"]}), *map(new_code_cell, cells[1:])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def import_lines(notebook: Path) -> str:
    """The import lines (and ``%matplotlib``) of ``notebook``'s code cells: the trivial notebook of the floor."""
    import nbformat

    lines = []
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", []):
            lines += [ln for ln in cell.source.splitlines() if re.match(r"^(import |from \S+ import |%matplotlib)", ln)]
    return "\n".join(dict.fromkeys(lines))


def papermill_floor(notebook: Path, root: Path, runs: int = 3) -> float:
    """Mean seconds of papermill running a trivial notebook with ``notebook``'s imports in a fresh kernel."""
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        trivial = _notebook(Path(tmp) / "trivial.ipynb", ("x = 0  # nothing", import_lines(notebook)))
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            papermill.execute_notebook(str(trivial), str(Path(tmp) / "out.ipynb"), cwd=str(root), progress_bar=False, kernel_name="python3")
            times.append(time.perf_counter() - start)
    return sum(times) / len(times)


def whole_process(command: list[str], env: dict) -> dict:
    """Run ``command`` under ``/usr/bin/time -v``: wall seconds, its max RSS, and the peak RSS of its process tree (sampled)."""
    import psutil

    proc = subprocess.Popen(["/usr/bin/time", "-v", *command], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak, stop = [0], threading.Event()

    def sample():
        top = psutil.Process(proc.pid)
        while not stop.wait(0.2):
            try:
                tree = [top, *top.children(recursive=True)]
                peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree if p.is_running()))
            except psutil.Error:
                pass

    thread = threading.Thread(target=sample, daemon=True)
    start = time.perf_counter()
    thread.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    thread.join()
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    elapsed = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", err)
    return {"wall": wall, "elapsed": elapsed.group(1) if elapsed else "", "max_rss": int(rss.group(1)) * 1024 if rss else 0,
            "tree_peak": peak[0], "code": proc.returncode, "stdout": out, "stderr": err}  # fmt: skip


def profile_benchmark(n: int, workers: int = 2, seed: int = 0, processed_from: Path | None = None, stand_in: bool = False,
                      notebook_from: Path | None = None) -> dict:
    """Render ``n`` plan profiles of a synthetic corpus; return and print the figures (see the module docstring).

    ``processed_from``: a processed folder of that corpus made earlier (same ``n`` and ``seed``), copied instead of
    running the pipeline again. ``stand_in``: use the stand-in notebook even when the real one exists;
    ``notebook_from``: benchmark this notebook instead (it takes ``doc_id`` and ``processed``).
    """
    from analysis.cli import main as cli
    from analysis.ingest.synthetic import generate_corpus

    real = PROFILE.is_file() and not stand_in and not notebook_from
    with tempfile.TemporaryDirectory(prefix=f"bench-profiles-{n}-") as tmp:
        tmp = Path(tmp)
        raw, processed, out = tmp / "raw", tmp / "processed", tmp / "reports"
        env = {**os.environ, "ANALYSIS_TOKEN_CACHE": str(tmp / "token-cache"), "PYTHONPATH": str(REPO / "src")}
        os.environ["ANALYSIS_TOKEN_CACHE"] = env["ANALYSIS_TOKEN_CACHE"]
        steps = []
        if processed_from:
            shutil.copytree(processed_from, processed)
        else:
            generate_corpus(n, raw, seed=seed)
            steps = [["ingest", "--raw", str(raw), "--out", str(processed)]]
            if real:
                steps += [["themes", "--processed", str(processed)], ["targets", "--processed", str(processed)],
                          ["profiles", "--processed", str(processed)]]
        for step in steps:
            if cli(step):
                raise SystemExit(f"python -m analysis {' '.join(step)} failed")
        notebook = tmp / "notebooks" / "06_plan_profile.ipynb"
        if real or notebook_from:
            notebook.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(notebook_from or PROFILE, notebook)
        else:
            _notebook(notebook, STANDIN)
        config = tmp / "reports.yml"
        config.write_text(
            'jobs:\n  profile-{doc_id}:\n    for_each: document\n    notebook: notebooks/06_plan_profile.ipynb\n'
            '    parameters: {doc_id: "{doc_id}"}\n', encoding="utf-8",
        )  # fmt: skip
        floor_one = papermill_floor(notebook, REPO)
        command = [sys.executable, "-m", "analysis", "reports", "--config", str(config), "--processed", str(processed),
                   "--out", str(out), "--jobs", str(workers)]  # fmt: skip
        cold = whole_process(command, env)
        state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
        failed = [name for name, entry in state.items() if entry["status"] != "ok"]
        again = whole_process(command, env)
        per_report, floor = cold["wall"] / n, floor_one / workers
        figures = {
            "n": n, "workers": workers, "total": cold["wall"], "per_report": per_report, "floor": floor, "ratio": per_report / floor,
            "floor_fresh_kernel": floor_one, "max_rss_gb": cold["max_rss"] / 2**30, "tree_peak_gb": cold["tree_peak"] / 2**30,
            "no_change": again["wall"], "failed": len(failed), "profile": "06_plan_profile" if real else str(notebook_from or "stand-in"),
            "mean_job_s": sum(e["seconds"] for e in state.values()) / max(1, len(state)),
        }  # fmt: skip
        print(f"profile reports: N={n} total={cold['wall']:.1f}s per_report={per_report:.2f}s floor={floor:.2f}s ratio={figures['ratio']:.2f}")
        print(f"  notebook: {figures['profile']}; workers: {workers}; fresh-kernel papermill run: {floor_one:.2f}s; "
              f"mean job time in a worker: {figures['mean_job_s']:.2f}s; failed: {len(failed)}")
        print(f"  peak memory: process tree {figures['tree_peak_gb']:.2f} GB (sampled), largest process {figures['max_rss_gb']:.2f} GB (time -v)")
        print(f"  no-change regeneration: {again['wall']:.1f}s (exit {again['code']})")
        if cold["code"] not in (0, 1):
            print(cold["stderr"][-2000:], file=sys.stderr)
        if failed:
            print(f"  failed jobs, e.g. {failed[0]}: {state[failed[0]]['error']}")
        return figures


def skip_path_benchmark(n: int, seed: int = 0, raw_from: Path | None = None, runs: int = 5) -> dict:
    """Time a no-change ``make reports`` at ``n`` plans with every job of ``reports.yml``; print and return the figures.

    The pipeline runs for real on a synthetic corpus of ``n`` plans (or a copy of ``raw_from``).
    Rendering every job takes hours at 2,000 plans, so the jobs are *recorded* as finished
    instead: each gets a placeholder page and a ``state.json`` entry holding the inputs the
    runner itself computes (:func:`analysis.report.runner.planned_inputs`). A no-change run
    does exactly this work whatever the pages hold: hash the raw files and tables, expand the
    jobs, compare their inputs with the state, check the pages exist, keep the index.
    One ``make reports`` then writes the Excel export; the next ``runs`` are timed.
    """
    from dataclasses import asdict

    from analysis.ingest.synthetic import generate_corpus
    from analysis.report.jobs import load_jobs
    from analysis.report.runner import Result, planned_inputs
    from analysis.report.state import DataDigests, package_digest, save_state

    with tempfile.TemporaryDirectory(prefix=f"bench-skip-{n}-") as tmp:
        tmp = Path(tmp).resolve()
        raw, processed, out = tmp / "raw", tmp / "processed", tmp / "reports"
        env = {**os.environ, "ANALYSIS_TOKEN_CACHE": str(tmp / "token-cache")}
        if raw_from:
            shutil.copytree(raw_from, raw)
        else:
            generate_corpus(n, raw, seed=seed)
        make = ["make", "-s", "reports", f"RAW={raw}", f"PROCESSED={processed}", f"REPORTS={out}"]
        prepare = [sys.executable, "-m", "analysis", "run", "--raw", str(raw), "--processed", str(processed), "--until", "trends"]
        if subprocess.run(prepare, cwd=REPO, env=env, capture_output=True).returncode:
            raise SystemExit(f"{' '.join(prepare)} failed")
        jobs = load_jobs(REPO / "reports.yml", processed)
        data = DataDigests(processed)
        out.mkdir()
        state = {}
        for job, (parameters, inputs) in zip(jobs, planned_inputs(jobs, REPO, processed, data, package_digest(), {"show_code": False})):
            (out / f"{job.name}.html").write_text(f"<html><body>{job.name}</body></html>", encoding="utf-8")
            state[job.name] = asdict(Result(job.name, "ok", seconds=1.0, finished="2026-01-01T00:00:00", title=f"{job.name} 报告",
                                            finding="一句话的主要发现，" * 6, parameters=parameters, inputs=inputs))  # fmt: skip
        save_state(out, state, data)
        first, done = timed(make, env=env)
        if done.returncode or f"{len(jobs)} skipped" not in done.stdout:
            raise SystemExit(f"make reports did not skip every job (exit {done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        times = sorted(timed(make, env=env)[0] for _ in range(runs))
        figures = {"n": n, "jobs": len(jobs), "median": times[len(times) // 2], "runs": times, "first": first}
        print(f"no-change make reports: N={n} jobs={len(jobs)} median={figures['median']:.2f}s "
              f"(runs {', '.join(f'{t:.2f}' for t in times)}; goal < 3 s)")  # fmt: skip
        print(f"  jobs recorded as done without rendering; the first make reports (Excel export, every report skipped): {first:.1f}s")
        return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel notebooks (default: CPU count)")
    args = parser.parse_args()
    return seed_corpus(args.jobs)


if __name__ == "__main__":
    raise SystemExit(main())
