"""The export step writes every processed table to tables.xlsx and to Excel-readable CSV copies."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis.cli import main
from analysis.errors import InputError
from analysis.report import exports


def _digests(folder) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def exported(pipeline, tmp_path_factory):
    """``(processed folder, its file digests before, output folder)`` after one export run."""
    before = _digests(pipeline)
    out = tmp_path_factory.mktemp("exported")
    exports.export_all(pipeline, out)
    return pipeline, before, out


def test_workbook_has_a_sheet_per_table_with_chinese_headers(exported):
    processed, _, out = exported
    book = load_workbook(out / "tables.xlsx")
    csvs = sorted(str(p.relative_to(processed)) for p in processed.rglob("*.csv"))
    assert len(csvs) == 14  # 10 top-level tables + 4 of the one comparison
    assert book.sheetnames[:2] == ["说明", "文件"] and len(book.sheetnames) == 1 + len(csvs)
    assert {"量化目标", "主题", "事项", "对比1 占比变化", "对比1 事项延续"} <= set(book.sheetnames)
    index = pd.DataFrame(list(book["说明"].values)[1:], columns=next(book["说明"].values))
    assert sorted(index["文件（data/processed 下）"]) == csvs
    assert index.loc[index["工作表"] == "对比1 占比变化", "说明"].iloc[0].startswith("基准 city=青岛市,year=2021；比较 city=青岛市,year=2024")
    for name in book.sheetnames[1:]:
        sheet = book[name]
        source = processed / index.loc[index["工作表"] == name, "文件（data/processed 下）"].iloc[0]
        frame = pd.read_csv(source)
        assert sheet.freeze_panes == "A2" and sheet.max_row == len(frame) + 1, name
        headers = [c.value for c in sheet[1]]
        assert headers == [exports.COLUMN_NAMES[c] for c in frame.columns], name  # every column has its Chinese name
        assert all(sheet.column_dimensions[chr(65 + i)].width >= 4 for i in range(min(len(headers), 26)))


def test_workbook_values_booleans_and_widths(exported):
    processed, _, out = exported
    book = load_workbook(out / "tables.xlsx")
    targets = pd.read_csv(processed / "targets.csv")
    rows = list(book["量化目标"].values)
    column = rows[0].index("是否标杆值")
    assert sorted({r[column] for r in rows[1:]}) == sorted({"是" if v else "否" for v in targets["is_benchmark"]})
    assert [r[column] for r in rows[1:]].count("是") == int(targets["is_benchmark"].sum())
    numbers = rows[0].index("目标值（数值）")
    assert [r[numbers] for r in rows[1:6]] == pytest.approx(targets["value_num"].head(5).tolist())  # numbers stay numbers
    shifts = list(book["对比1 占比变化"].values)
    status = shifts[0].index("状态")
    from analysis.methods.comparability import STATUS_LABELS

    assert {r[status] for r in shifts[1:]} <= set(STATUS_LABELS.values())  # every code shown in Chinese
    items = book["事项"]
    text_col = [c.value for c in items[1]].index("正文")
    letter = chr(65 + text_col)
    assert items.column_dimensions[letter].width == exports.MAX_WIDTH + 2  # long item text: capped width …
    assert items[f"{letter}2"].alignment.wrap_text  # … and wrapped
    assert exports.display_width("卫生a") == 5


def test_csv_copies_are_utf8_with_bom_and_processed_tables_unchanged(exported):
    processed, before, out = exported
    assert _digests(processed) == before
    copies = sorted(str(p.relative_to(out / "tables")) for p in (out / "tables").rglob("*.csv"))
    assert copies == sorted(str(p.relative_to(processed)) for p in processed.rglob("*.csv"))
    raw = (out / "tables" / "documents.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and not (processed / "documents.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    documents = pd.read_csv(out / "tables" / "documents.csv", encoding="utf-8-sig")
    assert list(documents.columns[:3]) == ["文件编号", "文件名", "城市"] and "青岛市" in set(documents["城市"])
    assert raw.decode("gb18030", errors="replace") != raw.decode("utf-8-sig")  # the BOM is what tells Excel it is UTF-8


def test_export_is_byte_identical_on_a_second_run(exported, tmp_path):
    processed, _, out = exported
    exports.export_all(processed, tmp_path)
    assert _digests(tmp_path) == _digests(out)


def test_cli_export_and_bad_inputs(pipeline, tmp_path, capsys):
    assert main(["export", "--processed", str(pipeline), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "tables.xlsx").is_file() and "tables.xlsx" in capsys.readouterr().out
    assert main(["export", "--processed", str(tmp_path / "nowhere"), "--out", str(tmp_path / "r2")]) == 2
    assert "nowhere: processed folder not found" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: no processed tables"):
        exports.export_all(tmp_path / "empty", tmp_path / "r3")
    assert not (tmp_path / "r3").exists()  # nothing half-written


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [exports._sheet_name("a/b:c" + "长" * 40, taken) for _ in range(3)]
    assert names[0] == "a_b_c" + "长" * 26 and len(set(names)) == 3 and all(len(n) <= 31 for n in names)
