"""Benchmark report regeneration on the seed corpus (prints figures; not a test).

    .venv/bin/python scripts/bench_reports.py [--jobs N]     

Measures, in a temporary output folder so data/processed and reports/ are left alone:

1. cold ``make reports`` (ingest → themes → targets → every report job, no state);
2. a no-change rerun of ``make reports`` and of the reports step alone
   (``python -m analysis reports``: hashing and state check only, no kernel);
3. the reports step alone with every job run (``--force``);
4. the time of each report job in the cold run (from ``state.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``command`` in the repository root; return (wall seconds, completed process)."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel notebooks (default: CPU count)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as tmp:
        processed, out = Path(tmp) / "processed", Path(tmp) / "reports"
        make = ["make", "-s", "reports", f"PROCESSED={processed}", f"REPORTS={out}"]
        step = [sys.executable, "-m", "analysis", "reports", "--processed", str(processed), "--out", str(out), "--jobs", str(args.jobs)]
        cold, done = timed(make)
        if done.returncode:
            print(done.stdout, done.stderr, sep="\n")
            print(f"cold make reports failed (exit {done.returncode}) after {cold:.1f} s")
        state = json.loads((out / "state.json").read_text(encoding="utf-8"))["jobs"]
        rerun, _ = timed(make)
        step_rerun, again = timed(step)
        forced, _ = timed(step + ["--force"])
        print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, --jobs {args.jobs}")
        print(f"cold make reports (ingest → themes → targets → {len(state)} reports): {cold:6.1f} s")
        print(f"no-change make reports:                                   {rerun:6.1f} s")
        print(f"no-change python -m analysis reports:                     {step_rerun:6.1f} s")
        print(f"python -m analysis reports --force (all {len(state)} reports run):       {forced:6.1f} s")
        print("per report (cold run, worker time incl. kernel start and HTML):")
        for name, entry in state.items():
            print(f"  {name:<32} {entry['status']:<7} {entry['seconds']:6.1f} s")
        print(f"  {'sum':<32} {'':<7} {sum(e['seconds'] for e in state.values()):6.1f} s")
        skipped = sum(line.split()[1:2] == ["skipped"] for line in again.stdout.splitlines())
        print(f"no-change rerun skipped {skipped} of {len(state)} reports")
        return 1 if done.returncode else 0


if __name__ == "__main__":
    raise SystemExit(main())
