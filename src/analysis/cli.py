"""Command line: ``python -m analysis <step> [options]``; ``--help`` on every step.

Each step lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; :data:`STEPS` lists them in pipeline order. Bad input and
operating-system failures (read-only folder, full disk, missing file …) end in
one line on stderr and exit 2; Ctrl-C exits 130 and SIGTERM 143.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from analysis import __version__
from analysis.errors import InputError

#: step name -> (module, one-line help)
STEPS: dict[str, tuple[str, str]] = {
    "run": ("analysis.pipeline", "run the whole pipeline (ingest → themes → targets → profiles → trends → reports), skipping steps whose inputs are unchanged"),
    "add": ("analysis.ingest.metadata", "append a raw document's row to the manifest (proposed values filled in)"),
    "ingest": ("analysis.ingest.build", "parse the raw documents listed in the manifest into processed tables"),
    "themes": ("analysis.methods.themes", "assign plan items to named health-policy themes: guided, discovery or trained (item_themes.csv, themes.csv)"),
    "sample": ("analysis.methods.sampling", "draw a seeded sample of items, stratified by theme and document, for hand coding (xlsx or csv)"),
    "validate": ("analysis.methods.validation", "compare hand codes with the themes: kappa, accuracy, NMI, ARI, per theme (validation.json, confusion.csv)"),
    "targets": ("analysis.methods.targets", "extract quantitative targets and normalise their indicators (targets.csv)"),
    "profiles": ("analysis.methods.plan_continuity", "match every plan's items with the previous plan of its place, for the plan profiles (plan_continuity.csv)"),
    "shifts": ("analysis.methods.shifts", "compare theme shares, distinctive terms and item continuity between two groups of plans"),
    "trends": ("analysis.methods.trends", "theme shares by year with intervals and trend tests (trends.csv, trend_tests.csv)"),
    "export": ("analysis.report.exports", "write reports/tables.xlsx and Excel-readable CSV copies (UTF-8 with BOM) of every processed table"),
    "reports": ("analysis.report.runner", "run the report notebooks of reports.yml (papermill) into standalone HTML in reports/"),
    "report": ("analysis.report.adhoc", "render one notebook with -p NAME VALUE parameters into a standalone HTML file"),
}

EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143


def build_parser(selected: str | None = None) -> argparse.ArgumentParser:
    """The top-level parser with one sub-command per pipeline step.

    Only the ``selected`` step's module is imported (to add its options), so a
    command does not pay for importing every other step.
    """
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"analysis {__version__}")
    sub = parser.add_subparsers(dest="step", required=True, metavar="STEP")
    for name, (module, help_text) in STEPS.items():
        step = sub.add_parser(name, help=help_text, description=help_text)
        if name == selected:
            importlib.import_module(module).add_arguments(step)
        step.set_defaults(module=module)
    return parser


def _terminate(signum, frame) -> None:
    raise SystemExit(EXIT_TERMINATED)


def os_error_line(exc: OSError) -> str:
    """``path: reason`` for an operating-system error (both paths for a failed rename)."""
    where = " → ".join(str(p) for p in (exc.filename, exc.filename2) if p)
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen step; errors print one clear line (exit 2), interrupts exit 130/143."""
    from analysis.pipeline import call_step

    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(next((a for a in argv if a in STEPS), None)).parse_args(argv)
    step_argv = argv[argv.index(args.step):]
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        return call_step(args.step, args, step_argv, importlib.import_module(args.module).run)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {os_error_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished outputs are kept, unfinished ones were not written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)
