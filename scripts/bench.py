"""Benchmark the pipeline from 5 to 2,000 plans and check the speed goals (prints figures; not a test).

    .venv/bin/python scripts/bench.py [--sizes 5,100,500,2000] [--seed 0] [--no-reports]      (or: make bench)
    .venv/bin/python scripts/bench.py --profiles N [--jobs W]    N plan profiles: one line per run
      profile reports: N=… total=…s per_report=…s floor=…s ratio=…   (see scripts/bench_reports.py)
    .venv/bin/python scripts/bench.py --skip-path N [--raw DIR]    no-change make reports at N plans, every job
      no-change make reports: N=… jobs=… median=…s                   recorded as done (see scripts/bench_reports.py)

Size 5 is the real seed corpus (``data/raw``); other sizes are synthetic corpora
(:func:`analysis.ingest.synthetic.generate_corpus`, seed ``--seed``) written to a temporary
folder, so ``data/`` and ``reports/`` are left alone. Each size runs in a fresh
process with an empty token cache, in the order of ``make reports``:

* **ingest** (``python -m analysis ingest``: read, parse, write the tables);
* **tokenize**: :meth:`Tokenizer.tokenize_many` over the items (jieba dictionary
  load, cold cache, worker processes when large), which fills the token cache;
* **themes** (``python -m analysis themes``: TF-IDF, clustering, names, diagnostics;
  its tokens now come from the cache, as the tokenization is the stage before);
* **shifts** (``python -m analysis shifts``, the latest plan year against the one before);
* **targets** (``python -m analysis targets``).

End-to-end is the sum of these stages. Memory is the peak resident set size from
``resource.getrusage``: of the process running the stages (``RUSAGE_SELF``) and of
its largest tokenizer worker (``RUSAGE_CHILDREN``); the total is a conservative
bound, main + workers × largest worker (forked workers share most pages).

Tokenization throughput: jieba's own precise mode (``jieba.lcut``, default
dictionary, one process, dictionary loaded beforehand) against
``Tokenizer.tokenize_many`` (no cache, its dictionary loaded beforehand, worker
processes as it chooses), both over the corpus' distinct item texts, in the same
process one after the other. Reports: the report runner (``python -m analysis
reports``) on the size's tables — the jobs of ``reports.yml`` for the seed corpus,
for synthetic corpora the corpus, themes, targets and one shifts report —
cold (no state) and again with nothing changed. Parser limits: ingest of one
50 MB single-item plan (``--limits-mb``; one line, and a line per sentence) and the
refusal of a web page nested 100,000 elements deep.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SEED_PLANS = 5
GOAL_PLANS = 2000
GOALS = {"end_to_end_s": 120.0, "peak_gb": 4.0, "tokenize_ratio": 1.6, "no_change_s": 3.0}
STAGES = ("ingest", "tokenize", "themes", "shifts", "targets")
SYNTHETIC_JOBS = ("corpus", "themes", "targets")  # plus one shifts job over the two latest years


def latest_years(raw: Path) -> tuple[str, str]:
    """Selectors of the two latest plan years in the manifest: (previous year, latest year)."""
    from analysis.ingest.manifest import load_manifest

    years = sorted(set(load_manifest(raw)["year"].astype(int)))
    return f"year={years[-2]}", f"year={years[-1]}"


# --------------------------------------------------------------------------- one size, in its own process


def _cli(*argv: str) -> None:
    """Run ``python -m analysis ARGV`` in this process, its printed tables discarded."""
    from analysis.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(list(argv))
    if code:
        raise SystemExit(f"python -m analysis {' '.join(argv)} exited with {code}")


def run_size(raw: Path, processed: Path) -> dict:
    """Time the pipeline stages on ``raw`` (writing to ``processed``), then the tokenizer throughput."""
    from analysis.store import read_table
    from analysis.text.tokenize import Tokenizer, available_cpus

    base, compare = latest_years(raw)
    seconds: dict[str, float] = {}

    def stage(name: str, step, *args) -> object:
        start = time.perf_counter()
        value = step(*args)
        seconds[name] = time.perf_counter() - start
        return value

    stage("ingest", _cli, "ingest", "--raw", str(raw), "--out", str(processed))
    documents, items = read_table(processed, "documents"), read_table(processed, "items")
    texts = items["text"].tolist()
    stage("tokenize", lambda: Tokenizer.for_documents(documents).tokenize_many(texts))
    stage("themes", _cli, "themes", "--processed", str(processed))
    stage("shifts", _cli, "shifts", "--processed", str(processed), "--base", base, "--compare", compare)
    stage("targets", _cli, "targets", "--processed", str(processed))
    peak_main = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    peak_worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024

    start = time.perf_counter()
    Tokenizer.for_documents(documents).tokenize_many(texts)
    cached = time.perf_counter() - start

    import jieba

    distinct = list(dict.fromkeys(texts))
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    start = time.perf_counter()
    for text in distinct:
        jieba.lcut(text)
    plain = time.perf_counter() - start
    ours = Tokenizer.for_documents(documents)
    ours.segmenter  # noqa: B018 — dictionary loaded before timing, as jieba's above
    start = time.perf_counter()
    ours.tokenize_many(distinct, cache=False)
    parallel = time.perf_counter() - start
    return {
        "documents": len(documents),
        "items": len(items),
        "distinct": len(distinct),
        "chars": int(sum(map(len, distinct))),
        "selectors": [base, compare],
        "seconds": seconds,
        "tokenize_cached_s": cached,
        "peak_main": peak_main,
        "peak_worker": peak_worker,
        "cpus": available_cpus(),
        "jieba_s": plain,
        "ours_s": parallel,
    }


# --------------------------------------------------------------------------- reports


def reports_config(folder: Path, base: str, compare: str) -> Path:
    """A reports.yml for a synthetic corpus in ``folder``: corpus, themes, targets and one shifts job (this repo's notebooks, copied)."""
    import shutil

    jobs = yaml.safe_load((REPO / "reports.yml").read_text(encoding="utf-8"))["jobs"]
    chosen = {name: {"notebook": jobs[name]["notebook"], "parameters": jobs[name].get("parameters") or {}} for name in SYNTHETIC_JOBS}
    shifts = next(job for job in jobs.values() if "priority_shifts" in job["notebook"])
    chosen["shifts-latest-years"] = {"notebook": shifts["notebook"], "parameters": {**shifts["parameters"], "base": base, "compare": compare}}
    for job in chosen.values():  # report notebooks must lie inside the folder of their reports.yml
        (folder / job["notebook"]).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / job["notebook"], folder / job["notebook"])
    path = folder / "reports.yml"
    path.write_text(yaml.safe_dump({"jobs": chosen}, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def time_reports(config: Path, processed: Path, out: Path, env: dict) -> dict:
    """The report runner cold and again unchanged: wall seconds, job count, failures, slowest job."""
    command = [sys.executable, "-m", "analysis", "reports", "--config", str(config), "--processed", str(processed), "--out", str(out)]
    timings = {}
    for run in ("cold", "no_change"):
        start = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        timings[run] = time.perf_counter() - start
        if run == "cold":
            jobs = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
            failed = [name for name, job in jobs.items() if job["status"] != "ok"]
            slowest = max(jobs, key=lambda name: jobs[name]["seconds"])
            timings.update(jobs=len(jobs), failed=failed, slowest=f"{slowest} {jobs[slowest]['seconds']:.0f} s")
    timings["skipped"] = sum(line.split()[1:2] == ["skipped"] for line in done.stdout.splitlines())
    return timings


# --------------------------------------------------------------------------- one size, driven from the parent


def measure(plans: int, seed: int, with_reports: bool) -> dict:
    """Generate (or take the seed corpus), run the stages in a fresh process, then the reports."""
    from analysis.ingest.synthetic import generate_corpus

    with tempfile.TemporaryDirectory(prefix=f"bench-{plans}-") as tmp:
        tmp = Path(tmp)
        raw = REPO / "data" / "raw"
        generated = 0.0
        if plans != SEED_PLANS:
            raw = tmp / "raw"
            start = time.perf_counter()
            generate_corpus(plans, raw, seed=seed)
            generated = time.perf_counter() - start
        processed, result_file = tmp / "processed", tmp / "result.json"
        env = {**os.environ, "ANALYSIS_TOKEN_CACHE": str(tmp / "token-cache")}
        child = [sys.executable, __file__, "--child", str(raw), str(processed), str(result_file)]
        done = subprocess.run(child, cwd=REPO, env=env, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{plans} plans: the pipeline failed\n{done.stdout}\n{done.stderr}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        result.update(plans=plans, generated_s=generated)
        if with_reports:
            config = REPO / "reports.yml" if plans == SEED_PLANS else reports_config(tmp, *result["selectors"])
            result["reports"] = time_reports(config, processed, tmp / "reports", env)
        return result


# --------------------------------------------------------------------------- printing


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 2**30:.2f}"


def peak_total(r: dict) -> float:
    """Conservative peak of main process plus tokenizer workers (bytes)."""
    workers = r["cpus"] if r["peak_worker"] else 0
    return r["peak_main"] + workers * r["peak_worker"]


def print_tables(results: list[dict]) -> None:
    import jieba

    from analysis.text.tokenize import available_cpus

    print(f"machine: {available_cpus()} CPUs, Python {sys.version.split()[0]}, jieba {jieba.__version__}")
    print("\nPipeline (wall seconds per stage; items/s = items / end-to-end)")
    head = f"{'plans':>6} {'items':>8} {'distinct':>8} {'M chars':>7} " + " ".join(f"{s:>8}" for s in STAGES)
    print(head + f" {'end-to-end':>10} {'items/s':>8} {'tok.cached':>10}")
    for r in results:
        total = sum(r["seconds"].values())
        stages = " ".join(f"{r['seconds'][s]:8.1f}" for s in STAGES)
        print(f"{r['plans']:>6} {r['items']:>8} {r['distinct']:>8} {r['chars'] / 1e6:7.2f} {stages} {total:10.1f} "
              f"{r['items'] / total:8.0f} {r['tokenize_cached_s']:10.1f}")  # fmt: skip

    print("\nPeak memory (GB, resident set size from getrusage)")
    print(f"{'plans':>6} {'main':>6} {'worker':>6} {'total≤':>6}  (total = main + {results[0]['cpus']} workers × largest worker)")
    for r in results:
        print(f"{r['plans']:>6} {_gb(r['peak_main']):>6} {_gb(r['peak_worker']):>6} {_gb(peak_total(r)):>6}")

    print("\nTokenization of the distinct item texts (thousand characters per second)")
    print(f"{'plans':>6} {'texts':>8} {'jieba.lcut':>10} {'ours':>8} {'ratio':>6}")
    for r in results:
        print(f"{r['plans']:>6} {r['distinct']:>8} {r['chars'] / r['jieba_s'] / 1e3:10.0f} {r['chars'] / r['ours_s'] / 1e3:8.0f} "
              f"{r['jieba_s'] / r['ours_s']:5.2f}×")  # fmt: skip

    with_reports = [r for r in results if "reports" in r]
    if with_reports:
        print("\nReport regeneration (python -m analysis reports, 2 worker processes, wall seconds)")
        print(f"{'plans':>6} {'jobs':>4} {'cold':>7} {'no-change':>9} {'skipped':>7}  slowest job (cold)")
        for r in with_reports:
            rep = r["reports"]
            failed = f"  FAILED: {', '.join(rep['failed'])}" if rep["failed"] else ""
            print(f"{r['plans']:>6} {rep['jobs']:>4} {rep['cold']:7.1f} {rep['no_change']:9.1f} {rep['skipped']:>7}  {rep['slowest']}{failed}")


def print_goals(results: list[dict]) -> int:
    """PASS/FAIL per goal (n/a when the size it needs was not run); returns the number of failures."""
    at_goal = next((r for r in results if r["plans"] == GOAL_PLANS), None)
    rows = []
    if at_goal:
        total = sum(at_goal["seconds"].values())
        ratio = at_goal["jieba_s"] / at_goal["ours_s"]
        rows += [
            (f"{GOAL_PLANS} plans end-to-end < {GOALS['end_to_end_s']:.0f} s", f"{total:.1f} s", total < GOALS["end_to_end_s"]),
            (f"{GOAL_PLANS} plans peak memory < {GOALS['peak_gb']:.0f} GB", f"{_gb(peak_total(at_goal))} GB",
             peak_total(at_goal) < GOALS["peak_gb"] * 2**30),
            (f"tokenization ≥ {GOALS['tokenize_ratio']}× single-process jieba ({at_goal['cpus']} CPUs)", f"{ratio:.2f}×",
             ratio >= GOALS["tokenize_ratio"]),
        ]  # fmt: skip
    else:
        rows.append((f"end-to-end, memory and tokenization goals (need {GOAL_PLANS} in --sizes)", "not run", None))
    timed = [r for r in results if "reports" in r]
    if timed:
        worst = max(timed, key=lambda r: r["reports"]["no_change"])
        value = f"{worst['reports']['no_change']:.1f} s (worst, {worst['plans']} plans)"
        rows.append((f"no-change report regeneration < {GOALS['no_change_s']:.0f} s at every size", value,
                     worst["reports"]["no_change"] < GOALS["no_change_s"]))  # fmt: skip
    print("\nGoals")
    for goal, value, ok in rows:
        print(f"  {'n/a ' if ok is None else 'PASS' if ok else 'FAIL'}  {goal}: {value}")
    return sum(ok is False for _, _, ok in rows)


def print_parser_limits(megabytes: int = 50) -> int:
    """Time ingest on one ``megabytes`` MB single-item plan (as .txt) and a 100,000-level nested web page; return failures."""
    from analysis.errors import InputError
    from analysis.ingest.build import parse_document
    from analysis.ingest.readers import read_text

    sentence = "推进紧密型县域医共体建设，完善绩效考核。"
    n = megabytes * 1024 * 1024 // len(sentence.encode("utf-8"))
    doc = {"doc_id": "long", "path": "long.txt", "file": "long.txt", "city": "", "province": "", "admin_level": "",
           "year": 2024, "title": "", "doc_type": "work_plan", "source": ""}  # fmt: skip
    rows = []
    for layout, text in [("one line", "一、总体要求\n1." + sentence * n), ("a line per sentence", "一、总体要求\n1." + "\n".join([sentence] * n))]:
        start = time.perf_counter()
        _, items, _, _ = parse_document(doc, text)
        rows.append((f"{megabytes} MB single-item plan, {layout}", time.perf_counter() - start, len(items) == 1))
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "deep.html"
        page.write_text("<html><body>" + "<div>" * 100_000 + "一、总体要求<p>1.按时完成。" + "</div>" * 100_000 + "</body></html>")
        start = time.perf_counter()
        try:
            read_text(page)
            refused = False
        except InputError:
            refused = True
        rows.append(("web page nested 100,000 levels (refused)", time.perf_counter() - start, refused))
    print("\nParser limits (wall seconds; goal < 30 s for 50 MB, seconds for the nested page)")
    for what, seconds, ok in rows:
        print(f"  {'PASS' if ok and seconds < 30 else 'FAIL'}  {what}: {seconds:.1f} s")
    return sum(not (ok and seconds < 30) for _, seconds, ok in rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5,100,500,2000", help="plans per corpus, comma-separated (5 = the seed corpus)")
    parser.add_argument("--seed", type=int, default=0, help="synthetic corpus seed (default: 0)")
    parser.add_argument("--no-reports", action="store_true", help="skip the report regeneration figures")
    parser.add_argument("--limits-mb", type=int, default=50, help="size of the single-item plan of the parser-limit figures (default: 50)")
    parser.add_argument("--profiles", type=int, metavar="N", help="only render N plan profiles of a synthetic corpus and print their line")
    parser.add_argument("--jobs", type=int, default=2, metavar="W", help="report workers for --profiles (default: 2)")
    parser.add_argument("--processed", type=Path, help="with --profiles: reuse this processed folder of the same corpus")
    parser.add_argument("--stand-in", action="store_true", help="with --profiles: a stand-in profile notebook (two tables read, one chart)")
    parser.add_argument("--notebook", type=Path, help="with --profiles: benchmark this notebook (parameters doc_id, processed)")
    parser.add_argument("--skip-path", type=int, metavar="N", help="only time a no-change make reports at N plans, every reports.yml job recorded as done")
    parser.add_argument("--raw", type=Path, help="with --skip-path: copy this raw folder instead of generating a corpus")
    parser.add_argument("--child", nargs=3, metavar=("RAW", "PROCESSED", "RESULT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        raw, processed, result = map(Path, args.child)
        result.write_text(json.dumps(run_size(raw, processed)), encoding="utf-8")
        return 0
    if args.profiles:
        from bench_reports import profile_benchmark

        profile_benchmark(args.profiles, workers=args.jobs, seed=args.seed, processed_from=args.processed, stand_in=args.stand_in,
                          notebook_from=args.notebook)
        return 0
    if args.skip_path:
        from bench_reports import skip_path_benchmark

        skip_path_benchmark(args.skip_path, seed=args.seed, raw_from=args.raw)
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    results = []
    for plans in sizes:
        print(f"measuring {plans} plans …", file=sys.stderr, flush=True)
        results.append(measure(plans, args.seed, not args.no_reports))
    print_tables(results)
    failures = print_goals(results) + print_parser_limits(args.limits_mb)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
