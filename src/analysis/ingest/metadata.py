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
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import cpca
import pandas as pd

from analysis.errors import InputError
from analysis.ingest.manifest import MANIFEST_COLUMNS, append_row, load_manifest, manifest_path, resolve_raw_file
from analysis.ingest.readers import read_text
from analysis.ingest.segment import parse_plan

YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
#: Minimum number of times a city must be named for the text to count as naming its place.
MIN_PLACE_MENTIONS = 2
#: Pseudo-cities in the gazetteer (a municipality's county and district groups), never a place of their own.
NOT_A_CITY = {"市辖区", "县"}
#: Manifest columns that ``add`` takes as options (``--admin-level`` for ``admin_level``), in command order.
OPTION_COLUMNS = ["city", "year", "province", "admin_level", "title", "doc_type", "source", "doc_id"]


@dataclass
class Place:
    """A place from the gazetteer: its name as used in the manifest, province and admin level."""

    name: str
    province: str
    admin_level: str


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


def lookup_place(name: str) -> Place | None:
    """``name`` (``青岛市``, ``万州区``, ``重庆市``) in the gazetteer, else ``None``."""
    found = cpca.transform([name]).iloc[0]
    return _place(found["省"], found["市"], found["区"])


def _place(province, city, district) -> Place | None:
    if district:
        return Place(district, province, "district" if district.endswith("区") else "county")
    if city and city not in NOT_A_CITY:
        return Place(city, province, "city")
    if province:
        return Place(province, province, "province")
    return None


def detect_place(title: str, text: str) -> tuple[Place | None, str]:
    """The plan's place: named in ``title``, else the city ``text`` names most often; and how it was found."""
    found = cpca.transform([title]).iloc[0] if title else None
    if found is not None and (place := _place(found["省"], found["市"], found["区"])):
        return place, f"place {place.name} from the title"
    try:
        mentions = cpca.transform_text_with_addrs(text, pos_sensitive=True)
    except KeyError:  # cpca fails on ordering the columns of an empty table: the text names no place
        mentions = pd.DataFrame({"省": [], "市": [], "市_pos": []})
    named = mentions[(mentions["市_pos"] >= 0) & ~mentions["市"].isin(NOT_A_CITY)]
    counts = Counter(zip(named["省"], named["市"])).most_common(2)
    if counts and counts[0][1] >= MIN_PLACE_MENTIONS and (len(counts) == 1 or counts[0][1] > counts[1][1]):
        (province, city), n = counts[0]
        others = f", next {counts[1][0][1]} ×{counts[1][1]}" if len(counts) > 1 else ""
        return Place(city, province, "city"), f"place {city} named most often in the text (×{n}{others})"
    return None, "no place found in the title or named repeatedly in the text: give --city (and --province, --admin-level)"


def detect_year(title: str, text: str) -> tuple[str, str]:
    """The plan year: in ``title``, else the year ``text`` names most often; and how it was found."""
    if match := YEAR_RE.search(title):
        return match[1], f"year {match[1]} from the title"
    years = Counter(YEAR_RE.findall(text)).most_common(1)
    if years:
        return years[0][0], f"year {years[0][0]} named most often in the text (×{years[0][1]})"
    return "", "no year found in the text: give --year"


def propose_doc_id(file: str, year: str, taken: set[str]) -> str:
    """``{first latin word of the file name}-{year}`` (``xian_2024_work_plan.txt`` → ``xian-2024``), unique in ``taken``."""
    word = re.match(r"[a-z]+", Path(file).stem.lower())
    base = "-".join(p for p in ((word[0] if word else "doc"), year) if re.fullmatch(r"[a-z]+|\d{4}", p))
    doc_id, k = base, 2
    while doc_id in taken:
        doc_id, k = f"{base}-{k}", k + 1
    return doc_id


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
    year, year_note = detect_year(title, text)
    row = {
        "doc_id": propose_doc_id(file, year, set(taken)),
        "file": file,
        "city": place.name if place else "",
        "province": place.province if place else "",
        "admin_level": place.admin_level if place else "",
        "year": year,
        "title": title,
        "doc_type": "business_targets" if "业务目标" in title else "work_plan",
        "source": "",
    }
    notes = [place_note, year_note] + ([] if title else ["no title line found: give --title"])
    return Proposal(row, notes, len(plan.items))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis add``."""
    parser.add_argument("file", help="the document, already copied into the raw folder (e.g. data/raw/xian_2024_work_plan.txt)")
    parser.add_argument("--city", required=True, help="place that issued the plan, e.g. 青岛市, 万州区")
    parser.add_argument("--year", required=True, help="plan year, four digits")
    parser.add_argument("--province", help="province or municipality (default: from the gazetteer for --city)")
    parser.add_argument("--admin-level", choices=["province", "city", "district", "county"], help="default: from the gazetteer for --city")
    parser.add_argument("--title", help="the plan's title (default: the title detected in the text)")
    parser.add_argument("--doc-type", choices=["work_plan", "business_targets"], help="default: from the title")
    parser.add_argument("--source", default="", help="where the document came from")
    parser.add_argument("--doc-id", help="short stable id (default: from the file name and year, e.g. xian-2024)")
    parser.add_argument("--raw", default="data/raw", help="folder with the raw documents and manifest.csv (default: data/raw)")


def add_document(raw_dir: str | Path, file: str | Path, **values: str | None) -> dict[str, str]:
    """Append the manifest row of ``file`` to ``raw_dir/manifest.csv``; return the row.

    ``values`` are manifest columns (``city`` and ``year`` required); the others
    default to the file's :func:`propose_row` (province and admin level from the
    gazetteer entry for ``city``). The file must read as a plan with items.
    """
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
        row["doc_id"] = propose_doc_id(name, row["year"], set(manifest["doc_id"]))
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
