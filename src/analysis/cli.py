"""Command line: ``python -m analysis <step> [options]``; ``--help`` on every step.

Each step lives in its own module exposing ``add_arguments(parser)`` and
``run(args) -> int``; :data:`STEPS` lists them in pipeline order.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from analysis import __version__
from analysis.errors import InputError

#: step name -> (module, one-line help)
STEPS: dict[str, tuple[str, str]] = {
    "add": ("analysis.ingest.metadata", "append a raw document's row to the manifest (proposed values filled in)"),
    "ingest": ("analysis.ingest.build", "parse the raw documents listed in the manifest into processed tables"),
    "themes": ("analysis.methods.themes", "cluster plan items into named health-policy themes (item_themes.csv, themes.csv)"),
    "targets": ("analysis.methods.targets", "extract quantitative targets and normalise their indicators (targets.csv)"),
    "shifts": ("analysis.methods.shifts", "compare theme shares, distinctive terms and item continuity between two groups of plans"),
    "export": ("analysis.report.exports", "write reports/tables.xlsx and Excel-readable CSV copies (UTF-8 with BOM) of every processed table"),
    "reports": ("analysis.report.runner", "run the report notebooks of reports.yml (papermill) into standalone HTML in reports/"),
    "report": ("analysis.report.adhoc", "render one notebook with -p NAME VALUE parameters into a standalone HTML file"),
}


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


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen step; input errors print one clear line and exit 2."""
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(next((a for a in argv if a in STEPS), None)).parse_args(argv)
    try:
        return importlib.import_module(args.module).run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
