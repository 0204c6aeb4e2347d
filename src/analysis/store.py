"""Reading and atomically writing the processed tables (CSV, UTF-8).

Writers never leave a half-written file: each table goes to a temporary file in
the target folder and is renamed over the old one only when complete; a set of
tables is renamed only after all of them were written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import yaml

from analysis.errors import InputError


#: Columns that are always read back as text, whatever they look like.
TEXT_COLUMNS = frozenset(
    """doc_id file city province admin_level title doc_type source detected_title sha256
    item_id section subsection number headline text departments sentence_id
    theme_label top_terms representative_item_ids lexicon_theme top_doc group status
    role term side base_item_id compare_item_id base_text compare_text
    indicator indicator_key value unit comparator deadline quote suggested_key matched_variant""".split()
)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_path(directory: Path, name: str) -> Path:
    """An empty temporary file beside the target, with the permissions a new file would get."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.fchmod(fd, 0o666 & ~_umask())
    os.close(fd)
    return Path(tmp)


def write_bytes_atomic(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temp_path(path.parent, path.name)
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) via a temporary file and a rename."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | Path, data: object) -> Path:
    """Write ``data`` as pretty, key-sorted UTF-8 JSON, atomically."""
    return write_text_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n")


def write_tables(tables: Mapping[str, pd.DataFrame], out_dir: str | Path, encoding: str = "utf-8") -> list[Path]:
    """Write ``{name: frame}`` as ``out_dir/name.csv``, all or nothing (``encoding="utf-8-sig"``: with a BOM, for Excel).

    Every table is first written to a temporary file; only when all succeeded are
    they renamed into place, so an error leaves the previous files untouched.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, frame in tables.items():
            tmp = _temp_path(out_dir, f"{name}.csv")
            staged.append((tmp, out_dir / f"{name}.csv"))  # before writing, so a failed write is cleaned up too
            frame.to_csv(tmp, index=False, encoding=encoding, lineterminator="\n")
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
    return [final for _, final in staged]


def read_yaml(path: str | Path, what: str) -> object:
    """Parse a UTF-8 YAML file; a missing or malformed file raises InputError naming it."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, f"{what} not found")
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InputError(path, f"not valid YAML ({exc})") from exc


def read_table(processed: str | Path, name: str, step: str = "ingest") -> pd.DataFrame:
    """Read ``processed/name.csv``; a missing file says which step makes it.

    Known text columns (:data:`TEXT_COLUMNS`) stay strings with ``""`` for empty
    cells, so ids and numbers as written (``1``, ``（一）``) survive a round trip.
    """
    path = Path(processed) / f"{name}.csv"
    if not path.is_file():
        raise InputError(path, f"not found; run `python -m analysis {step}` first (or `make reports`)")
    header = pd.read_csv(path, nrows=0, encoding="utf-8").columns
    text_cols = [c for c in header if c in TEXT_COLUMNS]
    frame = pd.read_csv(path, encoding="utf-8", dtype={c: str for c in text_cols})
    frame[text_cols] = frame[text_cols].fillna("")
    return frame
