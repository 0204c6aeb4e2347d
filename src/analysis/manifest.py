"""The raw-corpus manifest (``data/raw/manifest.csv``): loading and validation.

One row per document with the columns in :data:`MANIFEST_COLUMNS`. Every problem
is reported as an :class:`~analysis.errors.InputError` naming the manifest, the
row (1-based, as a spreadsheet counts data rows after the header) and the fault.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis.errors import InputError

MANIFEST_COLUMNS = ["doc_id", "file", "city", "province", "admin_level", "year", "title", "doc_type", "source"]
REQUIRED_VALUES = ["doc_id", "file", "city", "year"]
DOC_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
YEAR_RANGE = (1949, 2100)


def manifest_path(raw_dir: str | Path) -> Path:
    """Path of the manifest inside ``raw_dir``."""
    return Path(raw_dir) / "manifest.csv"


def resolve_raw_file(raw_dir: str | Path, name: str, *, manifest: Path | None = None, row: int | None = None) -> Path:
    """Resolve a manifest ``file`` entry inside ``raw_dir``; refuse paths that escape it."""
    raw = Path(raw_dir).resolve()
    candidate = (raw / name).resolve()
    if Path(name).is_absolute() or not candidate.is_relative_to(raw):
        raise InputError(manifest, f"file {name!r} is outside the raw folder {raw_dir}; put it in the raw folder", row)
    return candidate


def load_manifest(raw_dir: str | Path, *, check_files: bool = True) -> pd.DataFrame:
    """Read and validate ``raw_dir/manifest.csv``.

    Returns a DataFrame with :data:`MANIFEST_COLUMNS` (``year`` as int, text
    columns as str) plus ``path`` (absolute path of the document). Raises
    :class:`InputError` for a missing manifest or column, an empty required
    value, a malformed or duplicate ``doc_id``, a year that is not a year, a
    file outside ``raw_dir`` or (with ``check_files``) a file that does not exist.
    """
    path = manifest_path(raw_dir)
    if not path.is_file():
        raise InputError(path, "manifest not found; every raw document needs a row in manifest.csv")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot be read as a UTF-8 CSV table ({exc})") from exc
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in MANIFEST_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(path, f"missing required column(s): {', '.join(missing)}; expected {', '.join(MANIFEST_COLUMNS)}")
    frame = frame[MANIFEST_COLUMNS].apply(lambda col: col.str.strip())
    seen: dict[str, int] = {}
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
        doc_path = resolve_raw_file(raw_dir, rec["file"], manifest=path, row=i)
        if check_files and not doc_path.is_file():
            raise InputError(path, f"file {rec['file']!r} does not exist in {raw_dir}", i)
        paths.append(str(doc_path))
    frame["year"] = pd.Series(years, dtype="int64")
    frame["path"] = paths
    return frame
