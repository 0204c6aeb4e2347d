"""Export step: the processed tables as one Excel workbook and as Excel-readable CSV copies.

``python -m analysis export --processed DIR --out reports/`` writes

* ``reports/tables.xlsx``: a sheet ``说明`` listing every table, then one sheet per
  processed table (``data/processed/*.csv``, then each comparison folder under
  ``shifts/`` and any other subfolder): Chinese column headers (:data:`COLUMN_NAMES`),
  frozen header row, filter buttons, column widths fitted to the text, booleans
  as 是/否, empty cells empty;
* ``reports/tables/…/NAME.csv``: the same tables (same headers and values) as
  UTF-8 with a byte-order mark, so Excel on Chinese Windows opens them correctly,
  in the folder layout of ``data/processed``.

The pipeline's own tables in ``data/processed`` are only read. Same tables in,
byte-identical files out.
"""

from __future__ import annotations

import argparse
import io
import json
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.methods.comparability import STATUS_LABELS
from analysis.paths import processed_dir, reports_dir
from analysis.report.kit import yes_no
from analysis.store import read_table, write_bytes_atomic, write_tables

WORKBOOK_NAME = "tables.xlsx"
CSV_FOLDER = "tables"
#: Chinese header of every column of the processed tables (one place for all of them).
COLUMN_NAMES = {
    "doc_id": "文件编号", "base_doc_id": "上一份文件编号", "file": "文件名", "city": "城市", "province": "省份", "admin_level": "行政层级", "year": "年份",
    "title": "标题", "doc_type": "文件类型", "source": "来源", "detected_title": "识别出的标题", "n_chars": "字数",
    "n_item_chars": "事项字数", "n_sections": "节数", "n_items": "事项数", "sha256": "文件校验值（SHA-256）",
    "item_id": "事项编号", "position": "文中序号", "section": "节", "subsection": "小节", "number": "编号",
    "headline": "标题句", "text": "正文", "departments": "责任单位", "sentence_id": "句子编号",
    "theme_id": "主题编号", "theme_label": "主题", "distance": "到主题中心的距离", "size": "规模",
    "top_terms": "代表词", "representative_item_ids": "代表事项", "lexicon_theme": "对应词表主题", "n_docs": "文件数",
    "top_doc": "最大来源文件", "top_doc_share": "最大来源文件占比",
    "indicator": "指标（原文）", "indicator_key": "指标", "value": "目标值（原文）", "value_num": "目标值（数值）",
    "unit": "单位", "comparator": "比较符", "deadline": "时限", "quote": "原文", "is_benchmark": "是否标杆值",
    "suggested_key": "建议归并到", "matched_variant": "匹配的写法", "similarity": "相似度", "n_targets": "目标数",
    "group": "组", "share": "占比", "first_position": "首次出现的序号", "role": "角色",
    "base_share": "基准占比", "compare_share": "比较占比", "diff_pp": "变化（百分点）", "ci_low": "95% 区间下限",
    "ci_high": "95% 区间上限", "log_ratio": "log2 比值", "rank_change": "排名变化", "status": "状态",
    "side": "一方", "rank": "名次", "term": "词语", "z": "z 值", "log_odds": "对数优势比", "n_base": "基准词频",
    "n_compare": "比较词频", "items_base": "基准事项数", "items_compare": "比较事项数",
    "base_item_id": "基准事项编号", "compare_item_id": "比较事项编号", "base_text": "基准事项", "compare_text": "比较事项",
    "p_value": "p 值", "q_value": "校正后 p 值（BH）", "significant": "是否显著",
    "n_eff": "有效样本量", "first_year": "起始年份", "last_year": "结束年份", "n_years": "年份数", "first_share": "起始占比",
    "last_share": "结束占比", "slope_pp": "每年变化（百分点）", "monotone": "是否单调",
    "score": "得分", "n_body_chars": "正文字数", "section_kind": "节的类型", "coverage": "文本覆盖率", "dropped_unclassified": "未归类丢弃字数",
    "confidence": "置信度", "evidence": "关键词证据", "mean_confidence": "平均置信度", "probability": "概率",
    "candidate_id": "候选编号", "item_ids": "事项编号",
}  # fmt: skip
#: Sheet name and one-line description of each known table (file stem).
TABLES = {
    "documents": ("文件", "每份文件一行：来源、年份、字数、节数与事项数"),
    "items": ("事项", "每条工作事项一行，按文件和文中顺序"),
    "sentences": ("句子", "每个句子一行（事项切分成句）"),
    "item_themes": ("事项主题", "每条事项所属的主题"),
    "themes": ("主题", "每个主题一行：规模、代表词、来源集中度"),
    "theme_probabilities": ("主题概率", "每条事项最可能的三个主题及其概率"),
    "theme_candidates": ("候选新主题", "未归类事项再分组得到的候选主题与代表词"),
    "targets": ("量化目标", "从事项中抽取的量化目标，每个目标一行"),
    "indicator_suggestions": ("指标归并建议", "未归并指标的相近写法建议"),
    "shifts": ("占比变化", "每个主题一行：两组占比、差值与 95% Newcombe 区间、校正后检验"),
    "trends": ("逐年主题占比", "每组每年每个主题一行：占比与 95% 区间"),
    "trend_tests": ("趋势检验", "每组每个主题一行：趋势检验（Cochran–Armitage，BH 校正）"),
    "shares": ("组内主题占比", "每组每个主题一行"),
    "keyness": ("区分性词语", "两组各自更常用的词语（加权对数优势比）"),
    "continuity": ("事项延续", "比较组每条事项与基准组最相似的事项"),
    "plan_continuity": ("与上一份文件的延续", "每份文件的事项与同一地方上一份文件事项的匹配（文件画像用）"),
}
#: Sheet-name prefix of the tables in a subfolder of ``processed`` (one numbered prefix per comparison folder).
FOLDERS = {"shifts": "对比"}
VALUE_COLUMNS = ("status", "side", "role")  # coded values shown in Chinese (新增, 基准, …)
MAX_WIDTH = 60
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # fixed entry times: same tables, same workbook bytes


@dataclass(frozen=True)
class Table:
    """One processed table to export: its ``path`` relative to ``processed``, ``sheet`` name and ``note``."""

    path: Path
    sheet: str
    note: str


def find_tables(processed: str | Path) -> list[Table]:
    """The CSV tables under ``processed`` (top level first, then each subfolder in name order) with sheet names."""
    processed = Path(processed)
    if not processed.is_dir():
        raise InputError(processed, "processed folder not found; run `python -m analysis ingest` first (or `make reports`)")
    tables = [Table(p.relative_to(processed), *TABLES.get(p.stem, (p.stem, ""))) for p in sorted(processed.glob("*.csv"))]
    if not tables:
        raise InputError(processed, "no processed tables (*.csv); run `python -m analysis ingest` first (or `make reports`)")
    for top in sorted(p for p in processed.iterdir() if p.is_dir()):
        folders = sorted({p.parent for p in top.rglob("*.csv")})
        for number, folder in enumerate(folders, start=1):
            prefix = f"{FOLDERS.get(top.name, top.name)}{number}"
            note = _folder_note(folder)
            for path in sorted(folder.glob("*.csv")):
                sheet, what = TABLES.get(path.stem, (path.stem, ""))
                tables.append(Table(path.relative_to(processed), f"{prefix} {sheet}", f"{note}{what}"))
    return tables


def _folder_note(folder: Path) -> str:
    """``"基准 A；比较 B："`` from a comparison folder's ``comparison.json``, else ``""``."""
    meta = folder / "comparison.json"
    if not meta.is_file():
        return ""
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise InputError(meta, f"not valid JSON ({exc})") from exc
    return f"基准 {data.get('base', '?')}；比较 {data.get('compare', '?')}："


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A processed table for people: Chinese headers, booleans as 是/否, coded values in Chinese."""
    out = yes_no(frame)
    for col in VALUE_COLUMNS:
        if col in out:
            out[col] = out[col].map(lambda v: STATUS_LABELS.get(v, v))
    return out.rename(columns=COLUMN_NAMES)


def _sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as an Excel sheet name: no ``[]:*?/\\``, at most 31 characters, unique in ``taken``."""
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31]
    candidate, n = clean, 1
    while candidate in taken:
        n += 1
        candidate = f"{clean[: 31 - len(str(n)) - 1]}~{n}"
    taken.add(candidate)
    return candidate


def display_width(value: object) -> int:
    """Columns ``value`` takes in a spreadsheet cell: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in str(value))


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    sheet.append(list(frame.columns))
    for row in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
        sheet.append(list(row))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        sheet.auto_filter.ref = sheet.dimensions
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, col in enumerate(frame.columns, start=1):
        widest = max([display_width(col), *(display_width(v) for v in frame[col].dropna())])
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = min(widest, MAX_WIDTH) + 2
        if widest > MAX_WIDTH:  # long text wraps inside the column
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = wrap


def workbook_bytes(sheets: dict[str, pd.DataFrame]) -> bytes:
    """``{sheet name: frame}`` as the bytes of an .xlsx file, the same bytes for the same frames."""
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        _write_sheet(book.create_sheet(name), frame)
    raw = io.BytesIO()
    book.save(raw)  # stamps the save time into docProps/core.xml and the zip entries …
    book.properties.created = book.properties.modified = datetime(*ZIP_TIME)
    core = tostring(book.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():  # … which are replaced by fixed times here
            data = core if info.filename == "docProps/core.xml" else source.read(info.filename)
            target.writestr(zipfile.ZipInfo(info.filename, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def export_all(processed: str | Path, out: str | Path) -> list[Path]:
    """Write ``out/tables.xlsx`` and ``out/tables/…/NAME.csv`` (UTF-8 with BOM) from ``processed``; return their paths."""
    processed, out = Path(processed), Path(out)
    tables = find_tables(processed)
    taken: set[str] = {"说明"}
    frames = {}
    for table in tables:
        stem = str(table.path.with_suffix(""))
        frames[(table, _sheet_name(table.sheet, taken))] = readable(read_table(processed, stem))
    index = pd.DataFrame(
        [(sheet, str(t.path), len(f), len(f.columns), t.note) for (t, sheet), f in frames.items()],
        columns=["工作表", "文件（data/processed 下）", "行数", "列数", "说明"],
    )
    written = [write_bytes_atomic(out / WORKBOOK_NAME, workbook_bytes({"说明": index, **{s: f for (_, s), f in frames.items()}}))]
    by_folder: dict[Path, dict[str, pd.DataFrame]] = {}
    for (table, _), frame in frames.items():
        by_folder.setdefault(table.path.parent, {})[table.path.stem] = frame
    for folder, group in by_folder.items():
        written += write_tables(group, out / CSV_FOLDER / folder, encoding="utf-8-sig")
    return written


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis export``."""
    parser.add_argument("--processed", type=Path, default=None, help="processed tables folder (default: data/processed)")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: reports/)")


def run(args: argparse.Namespace) -> int:
    """Export every processed table; print what was written."""
    out = reports_dir(args.out)
    written = export_all(processed_dir(args.processed), out)
    print(f"wrote {WORKBOOK_NAME} ({len(written) - 1} tables) and {len(written) - 1} CSV files (UTF-8 with BOM) under {out / CSV_FOLDER}")
    return 0
