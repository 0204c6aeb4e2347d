"""The raw-corpus manifest (``data/raw/manifest.csv``): loading, validation, coverage, appending.

One row per document with the columns in :data:`MANIFEST_COLUMNS`. Every problem
is reported as an :class:`~analysis.errors.InputError` naming the manifest, the
row (1-based, as a spreadsheet counts data rows after the header) and the fault.
Manifest paths never leave the raw folder, not even through a symbolic link
(:func:`resolve_raw_file`). :func:`unlisted_files` finds documents that have no
row yet; :func:`append_row` adds one atomically.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.ingest.readers import READERS
from analysis.store import write_text_atomic

MANIFEST_COLUMNS = ["doc_id", "file", "city", "province", "admin_level", "year", "title", "doc_type", "source"]
REQUIRED_VALUES = ["doc_id", "file", "city", "year"]
DOC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
YEAR_RANGE = (1949, 2100)
#: Allowed values of the choice columns; ``admin_level`` may be left empty (level unknown).
CHOICES = {
    "admin_level": ("province", "city", "district", "county"),
    "doc_type": ("work_plan", "business_targets"),
}
OPTIONAL_CHOICES = {"admin_level"}


def check_choice(column: str, value: str) -> str:
    """``value`` if it is allowed in ``column`` (:data:`CHOICES`), else ``ValueError`` saying what is allowed.

    The one check of ``admin_level``/``doc_type``, used by ingest (manifest rows) and ``add`` (options).
    """
    if value in CHOICES[column] or (not value and column in OPTIONAL_CHOICES):
        return value
    raise ValueError(f"{column} {value!r} must be one of {', '.join(CHOICES[column])}")


def manifest_path(raw_dir: str | Path) -> Path:
    """Path of the manifest inside ``raw_dir``."""
    return Path(raw_dir) / "manifest.csv"


def resolve_raw_file(raw_dir: str | Path, name: str, *, manifest: Path | None = None, row: int | None = None) -> Path:
    """Resolve a manifest ``file`` entry inside ``raw_dir``; refuse paths that escape it."""
    raw = Path(raw_dir).resolve()
    try:
        candidate = (raw / name).resolve()
    except (RuntimeError, OSError) as exc:  # a symbolic link loop: RuntimeError up to Python 3.12, OSError (ELOOP) after
        raise InputError(manifest, f"file {name!r} cannot be resolved ({exc}); replace the link by the file", row) from exc
    if Path(name).is_absolute() or not candidate.is_relative_to(raw):
        raise InputError(manifest, f"file {name!r} is outside the raw folder {raw_dir}; put it in the raw folder", row)
    return candidate


def load_manifest(raw_dir: str | Path, *, check_files: bool = True) -> pd.DataFrame:
    """Read and validate ``raw_dir/manifest.csv`` (see :func:`parse_manifest`)."""
    path = manifest_path(raw_dir)
    if not path.is_file():
        raise InputError(path, "manifest not found; every raw document needs a row in manifest.csv")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"cannot be read as a UTF-8 CSV table ({exc})") from exc
    return parse_manifest(text, raw_dir, check_files=check_files)


def parse_manifest(text: str, raw_dir: str | Path, *, check_files: bool = True) -> pd.DataFrame:
    """Validate the manifest CSV ``text`` of ``raw_dir``.

    Returns a DataFrame with :data:`MANIFEST_COLUMNS` (``year`` as int, text
    columns as str) plus ``path`` (absolute path of the document). Raises
    :class:`InputError` for a missing column, an empty required value, a
    malformed or duplicate ``doc_id``, a year that is not a year, an
    ``admin_level``/``doc_type`` outside :data:`CHOICES`, a file outside
    ``raw_dir``, a file listed twice or (with ``check_files``) a file that does not exist.
    """
    path = manifest_path(raw_dir)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(path, f"cannot be read as a UTF-8 CSV table ({exc})") from exc
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in MANIFEST_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}; expected {', '.join(MANIFEST_COLUMNS)}")
    frame = frame[MANIFEST_COLUMNS].apply(lambda col: col.str.strip())
    seen: dict[str, int] = {}
    files: dict[Path, int] = {}
    years: list[int] = []
    paths: list[str] = []
    for i, rec in enumerate(frame.to_dict("records"), start=1):
        for col in REQUIRED_VALUES:
            if not rec[col]:
                raise InputError(path, f"empty {col}", i)
        doc_id = rec["doc_id"]
        if not DOC_ID_PATTERN.match(doc_id):
            raise InputError(path, f"doc_id {doc_id!r} must be lower-case letters, digits, '-' or '_' (e.g. qingdao-2024)", i)
        if doc_id in seen:
            raise InputError(path, f"duplicate doc_id {doc_id!r} (also in row {seen[doc_id]})", i)
        seen[doc_id] = i
        year = rec["year"]
        if not re.fullmatch(r"\d{4}", year) or not YEAR_RANGE[0] <= int(year) <= YEAR_RANGE[1]:
            raise InputError(path, f"year {year!r} is not a year (expected four digits such as 2024)", i)
        years.append(int(year))
        for column in CHOICES:
            try:
                check_choice(column, rec[column])
            except ValueError as exc:
                raise InputError(path, str(exc), i) from None
        doc_path = resolve_raw_file(raw_dir, rec["file"], manifest=path, row=i)
        if check_files and not doc_path.is_file():
            raise InputError(path, f"file {rec['file']!r} does not exist in {raw_dir}", i)
        if doc_path in files:
            raise InputError(path, f"file {rec['file']!r} is listed twice (also in row {files[doc_path]})", i)
        files[doc_path] = i
        paths.append(str(doc_path))
    frame["year"] = pd.Series(years, dtype="int64")
    frame["path"] = paths
    return frame


def unlisted_files(raw_dir: str | Path, manifest: pd.DataFrame) -> list[Path]:
    """Documents of a supported type directly in ``raw_dir`` that have no manifest row.

    Hidden files and sub-folders are not looked at.
    """
    listed = set(manifest["path"])
    return [
        candidate
        for candidate in sorted(Path(raw_dir).iterdir())
        if not candidate.name.startswith(".")
        and candidate.suffix.lower() in READERS
        and candidate.is_file()
        and str(candidate.resolve()) not in listed
    ]


def append_row(raw_dir: str | Path, row: dict[str, object]) -> pd.DataFrame:
    """Append ``row`` (the :data:`MANIFEST_COLUMNS`) to ``raw_dir/manifest.csv``, validated and atomically.

    The existing rows are kept byte for byte; the new manifest is validated as a
    whole (:func:`parse_manifest`) before it replaces the old one. Returns the
    validated manifest.
    """
    path = manifest_path(raw_dir)
    old = path.read_text(encoding="utf-8-sig") if path.is_file() else ",".join(MANIFEST_COLUMNS) + "\n"
    if old and not old.endswith("\n"):
        old += "\n"
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([str(row.get(c, "")) for c in MANIFEST_COLUMNS])
    new = old + line.getvalue()
    manifest = parse_manifest(new, raw_dir)
    write_text_atomic(path, new)
    return manifest
