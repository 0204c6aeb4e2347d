"""A seeded sample of plan items for hand coding (``python -m analysis sample``).

In: the processed folder (``documents.csv``, ``items.csv``, ``item_themes.csv``,
``themes.csv``) and the theme lexicon (for the codebook). Out: a coding file,
``.xlsx`` (sheets ``coding`` and ``codebook``) or ``.csv`` (the coding sheet only,
UTF-8 with BOM so Excel opens it).

The sample is stratified by theme and document: the ``n`` items are split over the
model's themes in proportion to their size (largest remainder, every theme at least
one item), then within each theme over its documents the same way, and drawn at
random inside each theme × document cell. The coding sheet never shows the model's
theme and lists items in ``item_id`` order, so neither a column nor the row order
tells the coder what the model said.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.errors import InputError
from analysis.methods.corpus import document_labels
from analysis.methods.theme_lexicon import LEXICON_FILE, OTHER
from analysis.paths import processed_dir
from analysis.store import read_table, read_yaml, write_text_atomic

#: The code every coder may use for an item that fits no theme.
#: Columns of the coding sheet; ``item_id`` and ``code`` are what ``validate`` reads back.
CODING_COLUMNS = ["item_id", "文件", "节", "事项", "code", "备注"]
#: Columns of the codebook sheet.
CODEBOOK_COLUMNS = ["theme_id", "主题", "定义 definition", "包括 include", "不包括 exclude", "主题词 top terms"]
#: Codebook fields read from the lexicon entry of a theme, when present.
CODEBOOK_FIELDS = ("definition", "include", "exclude")
#: Column widths (characters) in the xlsx sheets.
WIDTHS = {"item_id": 20, "文件": 16, "节": 24, "事项": 80, "code": 18, "备注": 24, "theme_id": 9, "主题": 22,
          "定义 definition": 50, "包括 include": 40, "不包括 exclude": 40, "主题词 top terms": 40}  # fmt: skip
#: Timestamp written into the xlsx (file properties and zip entries), so a seed gives identical bytes.
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
FORMATS = (".xlsx", ".csv")


def allocate(sizes: Sequence[int], total: int, minimum: int = 0) -> np.ndarray:
    """Split ``total`` over strata of ``sizes`` in proportion (largest remainder), each at most its size.

    Every non-empty stratum first gets ``minimum`` (or all of it, if smaller) when
    the total allows that; ties in the remainders go to the earlier stratum.
    """
    sizes = np.asarray(sizes, dtype=int)
    total = min(int(total), int(sizes.sum()))
    base = np.minimum(sizes, minimum)
    if base.sum() > total:
        base = np.zeros_like(sizes)
    room = sizes - base
    rest = total - base.sum()
    quota = room * rest / room.sum() if room.sum() else np.zeros(len(sizes))
    alloc = base + np.floor(quota).astype(int)
    order = np.lexsort((np.arange(len(sizes)), -(quota - np.floor(quota))))
    alloc[order[: total - alloc.sum()]] += 1
    return alloc


def sample_items(item_themes: pd.DataFrame, n: int, random_state: int = 0) -> pd.DataFrame:
    """``n`` rows of ``item_themes`` stratified by theme and document (see the module doc), in ``item_id`` order.

    Themes are taken in ``theme_id`` order and documents in ``doc_id`` order, so the
    same table, ``n`` and ``random_state`` always give the same sample.
    """
    rng = np.random.default_rng(random_state)
    by_theme = item_themes.groupby("theme_id", sort=True)
    quotas = allocate(by_theme.size().to_numpy(), n, minimum=1)
    picked = []
    for (_, theme), quota in zip(by_theme, quotas):
        by_doc = theme.groupby("doc_id", sort=True)
        for (_, cell), k in zip(by_doc, allocate(by_doc.size().to_numpy(), quota)):
            rows = np.sort(cell.index.to_numpy())
            picked.extend(rng.choice(rows, size=k, replace=False).tolist())
    return item_themes.loc[picked].sort_values("item_id", ignore_index=True)


def coding_sheet(sample: pd.DataFrame, items: pd.DataFrame, documents: pd.DataFrame) -> pd.DataFrame:
    """The coder's sheet: item id, document name, section, item text, empty ``code`` and note (no model theme)."""
    text = items.set_index("item_id")
    names = document_labels(documents)
    ids = sample["item_id"]
    return pd.DataFrame(
        {"item_id": ids.to_numpy(), "文件": sample["doc_id"].map(names).fillna(sample["doc_id"]).to_numpy(),
         "节": text.loc[ids, "section"].to_numpy(), "事项": text.loc[ids, "text"].to_numpy(), "code": "", "备注": ""}
    )  # fmt: skip


def _field(value: object) -> str:
    if isinstance(value, list):
        return "；".join(str(v).strip() for v in value)
    return "" if value is None else str(value).strip()


def codebook(themes: pd.DataFrame, lexicon: str | Path | None = None) -> pd.DataFrame:
    """One row per theme of the run, plus :data:`OTHER`: id, name, definition, include, exclude, top terms.

    Definition, include and exclude come from the lexicon entry (``name`` equal to the
    theme's ``lexicon_theme`` or label) when it has them, else stay blank.
    """
    data = read_yaml(Path(str(lexicon or LEXICON_FILE)), "theme lexicon")
    entries = data.get("themes", []) if isinstance(data, dict) else []
    fields = {str(e.get("name", "")).strip(): e for e in entries if isinstance(e, dict)}
    rows = []
    for theme in themes.itertuples():
        entry = fields.get(getattr(theme, "lexicon_theme", "") or theme.theme_label, {})
        rows.append([theme.theme_id, theme.theme_label, *(_field(entry.get(f)) for f in CODEBOOK_FIELDS),
                     str(getattr(theme, "top_terms", "")).replace(";", "、")])  # fmt: skip
    if OTHER not in set(themes["theme_label"]):
        rows.append(["", OTHER, "不属于以上任何主题的事项，或无法判断主题的事项。", "", "", ""])
    return pd.DataFrame(rows, columns=CODEBOOK_COLUMNS)


def _fixed_time_zip(data: bytes) -> bytes:
    """``data`` (a zip) with every entry stamped :data:`FIXED_TIME`, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(zipfile.ZipInfo(entry.filename, FIXED_TIME), source.read(entry), zipfile.ZIP_DEFLATED)
    return out.getvalue()


def xlsx_bytes(sheets: dict[str, pd.DataFrame], wrap: Sequence[str] = ("事项", "节", "定义 definition", "包括 include", "不包括 exclude")) -> bytes:
    """An xlsx workbook of ``{sheet: frame}``: bold frozen header, set column widths, ``wrap`` columns wrapped."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    book.remove(book.active)
    book.properties.created = book.properties.modified = dt.datetime(*FIXED_TIME)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            sheet.append([None if v == "" else v for v in row])
        sheet.freeze_panes = "A2"
        for j, column in enumerate(frame.columns, start=1):
            letter = get_column_letter(j)
            sheet.column_dimensions[letter].width = WIDTHS.get(column, 16)
            sheet.cell(1, j).font = Font(bold=True)
            align = Alignment(wrap_text=column in wrap, vertical="top")
            for cell in sheet[letter][1:]:
                cell.alignment = align
    buffer = io.BytesIO()
    ExcelWriter(book, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()
    return _fixed_time_zip(buffer.getvalue())


def _write_bytes_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def write_coding_file(path: str | Path, coding: pd.DataFrame, book: pd.DataFrame) -> Path:
    """Write ``.xlsx`` (sheets ``coding`` and ``codebook``) or ``.csv`` (coding only, UTF-8 with BOM), atomically."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise InputError(path, f"output must end in {' or '.join(FORMATS)}")
    if path.suffix.lower() == ".csv":
        return write_text_atomic(path, "\ufeff" + coding.to_csv(index=False, lineterminator="\n"))
    return _write_bytes_atomic(path, xlsx_bytes({"coding": coding, "codebook": book}))


def make_sample(processed: str | Path | None, n: int, seed: int = 0, lexicon: str | Path | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(coding sheet, codebook)`` for ``n`` items of the processed folder's theme run."""
    folder = processed_dir(processed)
    documents, items = read_table(folder, "documents"), read_table(folder, "items")
    item_themes = read_table(folder, "item_themes", step="themes")
    themes = read_table(folder, "themes", step="themes")
    if item_themes.empty:
        raise InputError(folder / "item_themes.csv", "has no items; nothing to sample")
    sample = sample_items(item_themes, n, random_state=seed)
    return coding_sheet(sample, items, documents), codebook(themes, lexicon)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"n must be a positive integer, not {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis sample``."""
    parser.add_argument("--processed", default="data/processed", help="folder with the ingest and themes tables (default: data/processed)")
    parser.add_argument("--n", type=_positive, default=100, help="items to sample (default: 100; all items if fewer)")
    parser.add_argument("--out", default="coding.xlsx", help="coding file, .xlsx (with a codebook sheet) or .csv (default: coding.xlsx)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--lexicon", default=None, help="theme lexicon YAML for the codebook (default: the shipped themes.yml)")


def run(args: argparse.Namespace) -> int:
    """Run the sample step from parsed command-line arguments."""
    coding, book = make_sample(args.processed, args.n, args.seed, args.lexicon)
    path = write_coding_file(args.out, coding, book)
    per_doc = coding["文件"].value_counts().sort_index()
    print(f"sampled {len(coding)} items (seed {args.seed}) from {', '.join(f'{d} {k}' for d, k in per_doc.items())}")
    print(f"wrote {path}: fill the `code` column with a theme name or id of the codebook ({len(book)} themes, {OTHER} allowed)")
    return 0
