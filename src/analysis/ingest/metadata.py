"""Manifest rows for new documents: proposals from the text, and the ``add`` step.

``propose_row(path, raw_dir)`` reads a raw file and proposes its manifest row
(:class:`Proposal`): the title the parser detects, the year in that title (else
the year the text names most often), and the place — named in the title
(``2024年西安市卫生健康工作要点`` → 西安市) or else the city the text names most
often (``健康青岛``, ``对青岛工作`` → 青岛市) — with its province and admin level
from the cpca gazetteer of Chinese administrative divisions. Ingest shows the
proposal for every raw file without a row (:class:`UnlistedFileError`) instead
of guessing silently; ``python -m analysis add FILE --city … --year …``
confirms it by appending a validated row to the manifest.
"""

from __future__ import annotations

import argparse
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.ingest.manifest import (
    CHOICES,
    MANIFEST_COLUMNS,
    append_row,
    check_choice,
    load_manifest,
    manifest_path,
    resolve_raw_file,
)
from analysis.ingest.places import detect_place, detect_year, lookup_place, propose_doc_id
from analysis.ingest.readers import read_text
from analysis.ingest.segment import parse_plan

#: Manifest columns that ``add`` takes as options (``--admin-level`` for ``admin_level``), in command order.
OPTION_COLUMNS = ["city", "year", "province", "admin_level", "title", "doc_type", "source", "doc_id"]
#: Characters refused in ``add`` options: control characters, and the lone surrogates that undecodable bytes become.
BAD_OPTION_CHAR_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


@dataclass
class Proposal:
    """A proposed manifest row for ``row['file']`` and notes on how each value was found."""

    row: dict[str, str]
    notes: list[str] = field(default_factory=list)
    n_items: int = 0

    def command(self, raw_dir: str | Path) -> str:
        """The ``python -m analysis add`` command that appends this row (``<…>`` marks values to fill in)."""
        args = ["python", "-m", "analysis", "add", str(Path(raw_dir) / self.row["file"])]
        for column in OPTION_COLUMNS:
            value = self.row[column] or (f"<{column}>" if column in ("city", "year") else "")
            if value:
                args += [f"--{column.replace('_', '-')}", value]
        if Path(raw_dir) != Path("data/raw"):
            args += ["--raw", str(raw_dir)]
        return shlex.join(args)

    def describe(self, raw_dir: str | Path) -> str:
        """The proposal as shown to the user: one line per column, the notes, and the command."""
        lines = ["proposed row (check every value):"]
        lines += [f"    {c:<12} {self.row[c] or '(empty)'}" for c in MANIFEST_COLUMNS if c != "file"]
        lines += [f"  note: {n}" for n in self.notes]
        lines += ["  to add it, run:", f"    {self.command(raw_dir)}"]
        return "\n".join(lines)


class UnlistedFileError(InputError):
    """A raw document without a manifest row; the message shows the proposed row and the ``add`` command."""

    def __init__(self, path: Path, raw_dir: str | Path, proposal: Proposal):
        self.proposal = proposal
        super().__init__(path, f"not listed in {manifest_path(raw_dir)}; {proposal.describe(raw_dir)}")


def raw_name(file: str | Path, raw_dir: str | Path) -> str:
    """``file`` (a path, or a bare name inside ``raw_dir``) as a name inside ``raw_dir``; refuses files outside it."""
    file, raw = Path(file), Path(raw_dir).resolve()
    if not file.is_absolute() and not file.exists() and not file.resolve().is_relative_to(raw):
        file = Path(raw_dir) / file
    resolved = file.resolve()
    if not resolved.is_relative_to(raw):
        raise InputError(file, f"is outside the raw folder {raw_dir}; copy it into the raw folder first")
    return resolved.relative_to(raw).as_posix()


def propose_row(path: str | Path, raw_dir: str | Path, taken: set[str] = frozenset()) -> Proposal:
    """Read ``path`` (inside ``raw_dir``) and propose its manifest row; ``taken`` are doc_ids in use."""
    path = Path(path)
    file = raw_name(path, raw_dir)
    text = read_text(path)
    plan = parse_plan(text)
    title = plan.title
    place, place_note = detect_place(title, text)
    year, year_notes = detect_year(title, text)
    doc_id, doc_id_note = propose_doc_id(place, year, set(taken), file)
    doc_type = "business_targets" if "业务目标" in title else "work_plan"
    row = {
        "doc_id": doc_id,
        "file": file,
        "city": place.name if place else "",
        "province": place.province if place else "",
        "admin_level": place.admin_level if place else "",
        "year": year,
        "title": title,
        "doc_type": doc_type,
        "source": "",
    }
    notes = [place_note, *year_notes, doc_id_note, f"doc_type {doc_type} from the title"]
    notes += [f"title from the text (line {title!r})"] if title else ["no title line found: give --title"]
    return Proposal(row, notes, len(plan.items))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis add``."""
    parser.add_argument("file", help="the document, already copied into the raw folder (e.g. data/raw/xian_2024_work_plan.txt)")
    parser.add_argument("--city", required=True, help="place that issued the plan, e.g. 青岛市, 万州区")
    parser.add_argument("--year", required=True, help="plan year, four digits")
    parser.add_argument("--province", help="province or municipality (default: from the gazetteer for --city)")
    parser.add_argument("--admin-level", help=f"{', '.join(CHOICES['admin_level'])} (default: from the gazetteer for --city)")
    parser.add_argument("--title", help="the plan's title (default: the title detected in the text)")
    parser.add_argument("--doc-type", help=f"{', '.join(CHOICES['doc_type'])} (default: from the title)")
    parser.add_argument("--source", default="", help="where the document came from")
    parser.add_argument("--doc-id", help="short stable id (default: the place in pinyin and the year, e.g. xian-2024)")
    parser.add_argument("--raw", default="data/raw", help="folder with the raw documents and manifest.csv (default: data/raw)")


def printable(value: str) -> str:
    """``value`` with undecodable bytes and control characters shown as escapes (``\\xff``, ``\\x07``)."""
    value = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return BAD_OPTION_CHAR_RE.sub(lambda m: f"\\x{ord(m[0]):02x}", value)


def check_options(file: str | Path, raw_dir: str | Path, values: dict[str, str | None]) -> None:
    """Refuse ``add`` options with undecodable bytes or control characters, and choice values not allowed."""
    options = {"FILE": str(file), "--raw": str(raw_dir)} | {f"--{c.replace('_', '-')}": v for c, v in values.items() if v}
    for option, value in options.items():
        if match := BAD_OPTION_CHAR_RE.search(value):
            what = "an undecodable byte (not UTF-8)" if "\ud800" <= match[0] <= "\udfff" else "a control character"
            raise InputError(
                printable(str(file)), f"option {option} '{printable(value)}' has {what} at position {match.start() + 1}; type the value again"
            )
    for column in CHOICES:
        try:
            check_choice(column, values.get(column) or "")
        except ValueError as exc:
            if values.get(column):
                raise InputError(file, f"option --{column.replace('_', '-')}: {exc}") from None


def add_document(raw_dir: str | Path, file: str | Path, **values: str | None) -> dict[str, str]:
    """Append the manifest row of ``file`` to ``raw_dir/manifest.csv``; return the row.

    ``values`` are manifest columns (``city`` and ``year`` required); the others
    default to the file's :func:`propose_row` (province and admin level from the
    gazetteer entry for ``city``). The file must read as a plan with items.
    Options with undecodable bytes or control characters, or an ``admin_level``
    or ``doc_type`` that ingest would refuse, raise :class:`InputError`.
    """
    check_options(file, raw_dir, values)
    name = raw_name(file, raw_dir)
    path = resolve_raw_file(raw_dir, name)
    manifest = load_manifest(raw_dir) if manifest_path(raw_dir).is_file() else pd.DataFrame(columns=MANIFEST_COLUMNS + ["path"])
    if str(path) in set(manifest["path"]):
        listed = manifest[manifest["path"] == str(path)].iloc[0]
        raise InputError(path, f"is already listed in {manifest_path(raw_dir)} as {listed['doc_id']}")
    proposal = propose_row(path, raw_dir, set(manifest["doc_id"]))
    if not proposal.n_items:
        raise InputError(path, "no plan item found (expected headings such as 一、… and items such as 1. …)")
    row = proposal.row
    if values.get("city"):
        place = lookup_place(values["city"])
        row.update(province=place.province if place else "", admin_level=place.admin_level if place else "")
    row.update({k: v for k, v in values.items() if v})
    if not values.get("doc_id"):
        place = lookup_place(row["city"]) if values.get("city") else None
        row["doc_id"], _ = propose_doc_id(place, row["year"], set(manifest["doc_id"]), name)
    append_row(raw_dir, row)
    return row


def run(args: argparse.Namespace) -> int:
    """Run the add step from parsed command-line arguments."""
    values = {c: getattr(args, c) for c in OPTION_COLUMNS}
    row = add_document(args.raw, args.file, **values)
    print(f"added to {manifest_path(args.raw)}:")
    for column in MANIFEST_COLUMNS:
        print(f"    {column:<12} {row[column]}")
    print("now run `python -m analysis ingest` (or `make reports`)")
    return 0
