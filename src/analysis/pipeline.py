"""The whole pipeline as one command, and the freshness guard around every step.

``python -m analysis run`` executes ingest → themes → targets → profiles → trends → export →
reports in order (export: ``reports/tables.xlsx`` and Excel-readable CSV copies).
A step is skipped only when the content hashes of its inputs (raw files or
processed tables), its parameters and the package code equal those recorded at
its last run (:mod:`analysis.provenance`), and its outputs are still the files
it wrote. File times are never used.

Every tracked step, run alone (``python -m analysis themes`` …), goes through
:func:`call_step`: it refuses stale inputs with one line naming the steps to
re-run (exit 2), and records what it read and wrote when it succeeds.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from analysis.errors import InputError
from analysis.paths import processed_dir
from analysis.provenance import (
    RAW, TRACKED, Digests, State, code_digest, digest, file_digest, stale_message, stale_sources,
)

#: options naming folders: they decide where, not what, so they are not parameters
PATH_OPTIONS = ("--raw", "--out", "--processed", "--config")
#: analysis steps (in order) that ``run`` executes before the reports
ANALYSIS_STEPS = ("ingest", "themes", "targets", "profiles", "trends")
LOCK_NAME = ".lock"
#: steps that read every table: they refuse when any table is stale, and record nothing themselves
GUARDED = ("export", "reports")


def step_folder(step: str, args: argparse.Namespace) -> Path:
    """The processed folder a tracked step reads and writes."""
    if step == "ingest":
        return Path(args.out)
    return processed_dir(getattr(args, "processed", None))


def parameters_digest(argv: list[str]) -> str:
    """Hash of a step's command-line options without the folder options and their values."""
    kept, skip = [], False
    for token in argv[1:]:
        if skip:
            skip = False
            continue
        name = token.split("=", 1)[0]
        if name in PATH_OPTIONS:
            skip = "=" not in token
            continue
        kept.append(token)
    return digest([argv[0], *kept])


def step_inputs(step: str, argv: list[str], digests: Digests) -> dict[str, str | None]:
    """What decides whether ``step`` must run again: source hashes, parameters and code."""
    sources = {name: digests(name) for name in TRACKED[step].reads}
    return {**sources, "parameters": parameters_digest(argv), "code": code_digest()}


def call_step(step: str, args: argparse.Namespace, argv: list[str], run: Callable[[argparse.Namespace], int]) -> int:
    """Run a step's ``run(args)``; for tracked steps refuse stale inputs first and record provenance after.

    Export and reports check every table the state knows; analysis steps check
    the tables they read. Exit codes 0 (done) and 3 (done, some inputs skipped)
    are recorded.
    """
    if step not in TRACKED and step not in GUARDED:
        return run(args)
    folder = step_folder(step, args)
    state = State(folder)
    if state.warning:
        print(f"warning: {state.warning}", file=sys.stderr)
    raw = getattr(args, "raw", None) if step == "ingest" else state.raw
    digests = Digests(folder, raw)
    reads = list(state.tables) if step in GUARDED else [t for t in TRACKED[step].reads if t != RAW]
    stale = stale_sources(state, digests, reads)
    if stale:
        raise InputError(folder, stale_message(stale))
    if step in GUARDED or (step != "ingest" and getattr(args, "out", None) and Path(args.out) != folder):
        return run(args)  # reports keep their own state; tables written to another folder are not tracked
    inputs = step_inputs(step, argv, digests)
    code = run(args)
    if code in (0, 3):
        state = State(folder)  # re-read: the step may have run for a long time
        sources = {name: inputs[name] for name in TRACKED[step].reads}
        extra = {"raw": str(Path(raw).resolve())} if step == "ingest" else {}
        state.record(step, inputs, sources, TRACKED[step].writes, **extra)
        state.save()
    return code


def is_fresh(step: str, argv: list[str], state: State, digests: Digests) -> bool:
    """True when ``step`` ran on exactly these inputs and its outputs are still what it wrote."""
    recorded = state.steps.get(step)
    if not recorded or recorded.get("inputs") != step_inputs(step, argv, digests):
        return False
    return all(t in state.tables and state.tables[t].get("sha256") == digests(t) for t in TRACKED[step].writes)


class _Lock:
    """An exclusive lock on ``folder/.lock`` so that two runs never write the same tables at once."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / LOCK_NAME
        self.handle = open(self.path, "a+")  # noqa: SIM115 - held for the whole run

    def __enter__(self) -> _Lock:
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.handle.close()
            raise InputError(self.path.parent, "another `python -m analysis run` is using this folder; wait for it to finish") from None
        return self

    def __exit__(self, *exc) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def remove_leftovers(*folders: Path) -> int:
    """Delete temporary files (``.NAME.*.tmp`` and ``.NAME.*.ipynb``) that a killed run left behind; return the count."""
    count = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob(".*.*"):
            if path.is_file() and (path.suffix == ".tmp" or (path.suffix == ".ipynb" and path.name.count(".") >= 3)):
                path.unlink(missing_ok=True)
                count += 1
    return count


def export_fresh(state: State, digests: Digests, out: Path) -> tuple[bool, dict[str, str | None]]:
    """Whether ``out/tables.xlsx`` was exported from exactly today's tables by today's code; and those inputs."""
    inputs = {**{table: digests(table) for table in sorted(state.tables)}, "code": code_digest(("report", "store.py"))}
    recorded, workbook = state.steps.get("export", {}), out / "tables.xlsx"
    fresh = recorded.get("inputs") == inputs and workbook.is_file() and recorded.get("workbook") == file_digest(workbook)
    return fresh, inputs


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis run``."""
    parser.add_argument("--raw", default="data/raw", help="raw documents and manifest.csv (default: data/raw)")
    parser.add_argument("--processed", default="data/processed", help="processed tables (default: data/processed)")
    parser.add_argument("--out", default=None, help="report folder (default: reports/)")
    parser.add_argument("--config", default=None, help="report jobs (default: <project root>/reports.yml)")
    parser.add_argument("--force", action="store_true", help="run every step and report even when its inputs are unchanged")
    parser.add_argument("--until", choices=ANALYSIS_STEPS, help="stop after this analysis step (no reports)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N", help="parallel report notebooks (default: CPU count)")


def run(args: argparse.Namespace) -> int:
    """Run each analysis step whose inputs changed, then the reports; stop at the first failing step."""
    from analysis.cli import main as cli_main

    processed = Path(args.processed)
    with _Lock(processed):
        removed = remove_leftovers(processed, Path(args.out or "reports"))
        if removed:
            print(f"removed {removed} temporary file(s) left by an interrupted run", file=sys.stderr)
        digests = Digests(processed, args.raw)  # each file hashed once per run (again only after a step rewrote it)
        for number, step in enumerate(ANALYSIS_STEPS, start=1):
            argv = [step, "--raw", args.raw, "--out", str(processed)] if step == "ingest" else [step, "--processed", str(processed)]
            state = State(processed)
            if state.warning:
                print(f"warning: {state.warning}", file=sys.stderr)
            label = f"[{number}/{len(ANALYSIS_STEPS) + 2}] {step}"
            if not args.force and is_fresh(step, argv, state, digests):
                print(f"{label}: unchanged, skipped", file=sys.stderr)
                if step == args.until:
                    return 0
                continue
            print(f"{label}: running", file=sys.stderr)
            start = time.perf_counter()
            code = cli_main(argv)
            digests.forget(TRACKED[step].writes)
            if code not in (0, 3):
                print(f"{label}: failed (exit {code}); later steps not run", file=sys.stderr)
                return code
            print(f"{label}: done in {time.perf_counter() - start:.1f} s", file=sys.stderr)
            if step == args.until:
                return 0
        total, out = len(ANALYSIS_STEPS) + 2, Path(args.out or "reports")
        state = State(processed)
        fresh, inputs = export_fresh(state, digests, out)
        if fresh and not args.force:
            print(f"[{total - 1}/{total}] export: unchanged, skipped", file=sys.stderr)
        else:
            print(f"[{total - 1}/{total}] export: running", file=sys.stderr)
            code = cli_main(["export", "--processed", str(processed), "--out", str(out)])
            if code:
                return code
            state.steps["export"] = {"inputs": inputs, "workbook": file_digest(out / "tables.xlsx")}
            state.save()
        print(f"[{total}/{total}] reports", file=sys.stderr)
        argv = ["reports", "--processed", str(processed), "--jobs", str(args.jobs), "--out", str(out)]
        argv += ["--config", args.config] if args.config else []
        return cli_main(argv + (["--force"] if args.force else []))
