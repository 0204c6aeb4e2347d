"""Ingest end to end: outputs, determinism, and clear errors that leave old outputs intact."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import STEPS, main
from analysis.errors import InputError
from analysis.ingest.build import DOCUMENT_COLUMNS, ITEM_COLUMNS, SENTENCE_COLUMNS, ingest
from analysis.store import read_table
from conftest import RAW


@pytest.fixture
def raw(tmp_path) -> Path:
    """A writable copy of data/raw."""
    return Path(shutil.copytree(RAW, tmp_path / "raw"))


def rewrite_manifest(raw: Path, edit) -> None:
    frame = pd.read_csv(raw / "manifest.csv", dtype=str, keep_default_na=False)
    edit(frame).to_csv(raw / "manifest.csv", index=False)


def test_ingest_writes_documented_tables_deterministically(raw, tmp_path):
    out1, out2 = tmp_path / "p1", tmp_path / "p2"
    ingest(raw, out1, progress=False)
    ingest(raw, out2, progress=False)
    for name, columns in [("documents", DOCUMENT_COLUMNS), ("items", ITEM_COLUMNS), ("sentences", SENTENCE_COLUMNS)]:
        assert (out1 / f"{name}.csv").read_bytes() == (out2 / f"{name}.csv").read_bytes()
        assert list(read_table(out1, name).columns) == columns
    items = read_table(out1, "items")
    assert items.item_id.iloc[6] == "qingdao-2024-0007" and items.number.iloc[1] == "（一）"
    assert items.item_id.is_unique and len(items) == 198
    assert read_table(out1, "sentences").sentence_id.is_unique
    assert not list(out1.glob(".*.tmp"))


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda f: f.assign(file=f.file.where(f.index != 2, "missing.txt")), "row 3: file 'missing.txt' does not exist"),
        (lambda f: f.assign(doc_id=f.doc_id.where(f.index != 3, "qingdao-2024")), "row 4: duplicate doc_id 'qingdao-2024' (also in row 1)"),
        (lambda f: f.drop(columns=["year"]), "missing required column(s): year"),
        (lambda f: f.assign(year=f.year.where(f.index != 1, "二〇二四")), "row 2: year '二〇二四' is not a year"),
        (lambda f: f.assign(file=f.file.where(f.index != 0, "../secret.txt")), "row 1: file '../secret.txt' is outside the raw folder"),
        (lambda f: f.assign(doc_id=f.doc_id.where(f.index != 0, "Qingdao 2024")), "row 1: doc_id 'Qingdao 2024' must be lower-case"),
    ],
)
def test_bad_manifest_names_file_and_row_and_keeps_previous_outputs(raw, tmp_path, edit, message):
    out = tmp_path / "processed"
    ingest(raw, out, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    rewrite_manifest(raw, edit)
    with pytest.raises(InputError) as err:
        ingest(raw, out, progress=False)
    assert str(raw / "manifest.csv") in str(err.value) and message in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_document_without_items_is_an_error_naming_the_file(raw, tmp_path):
    (raw / "wanzhou_2024_work_plan.txt").write_text("这是一段没有任何条目的文字。\n只有说明。\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"wanzhou_2024_work_plan\.txt: no plan item found"):
        ingest(raw, tmp_path / "out", progress=False)
    assert not (tmp_path / "out" / "items.csv").exists()


def test_missing_processed_table_says_which_step_makes_it(tmp_path):
    with pytest.raises(InputError, match=r"items\.csv: not found; run `python -m analysis ingest` first"):
        read_table(tmp_path, "items")


def test_cli_ingest_and_clear_error_exit(raw, tmp_path, capsys):
    assert main(["ingest", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 0
    assert "qingdao-2021" in capsys.readouterr().out
    (raw / "manifest.csv").unlink()
    assert main(["ingest", "--raw", str(raw), "--out", str(tmp_path / "out")]) == 2
    assert "manifest.csv: manifest not found" in capsys.readouterr().err


@pytest.mark.parametrize("step", sorted(STEPS))
def test_every_step_has_help(step, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([step, "--help"])
    assert exit_info.value.code == 0
    assert "usage: python -m analysis " + step in capsys.readouterr().out


def test_outputs_get_ordinary_file_permissions(raw, tmp_path):
    old = os.umask(0o022)
    try:
        ingest(raw, tmp_path / "out", progress=False)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out" / "items.csv").stat().st_mode) == 0o644


def test_unclassified_drop_is_a_warning_quoting_it_and_strict_makes_it_an_error(raw, tmp_path, capsys):
    plan = raw / "wanzhou_2024_work_plan.txt"
    plan.write_text(plan.read_text(encoding="utf-8") + "相关链接\n58. 做好全区卫生健康统计调查和信息发布工作。\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["ingest", "--raw", str(raw), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {plan}: 23 characters dropped without a known reason" in err
    assert "first lines: 58. 做好全区卫生健康统计调查和信息发布工作。" in err
    documents = read_table(out, "documents").set_index("doc_id")
    assert documents.loc["wanzhou-2024", "dropped_unclassified"] == 23 and documents["dropped_unclassified"].sum() == 23
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["ingest", "--raw", str(raw), "--out", str(out), "--strict"]) == 2
    err = capsys.readouterr().err
    assert f"\nerror: {plan}: 23 characters dropped without a known reason" in err and err.rstrip().endswith("(--strict)")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_documents_report_coverage_and_items_their_section_kind(processed):
    documents = read_table(processed, "documents")
    assert documents["coverage"].between(0.83, 1).all() and (documents["dropped_unclassified"] == 0).all()
    assert (documents["coverage"] * documents["n_body_chars"]).round().le(documents["n_body_chars"]).all()
    assert set(read_table(processed, "items")["section_kind"]) == {"task"}  # no seed plan looks back at last year
