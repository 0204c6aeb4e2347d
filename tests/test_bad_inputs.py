"""Bad inputs give one clear error naming the file; --keep-going skips them; unlisted files get a proposed row."""

from __future__ import annotations

import io
import random
import shlex
import shutil
from pathlib import Path

import docx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.report import kit
from analysis.cli import main
from analysis.errors import InputError
from analysis.ingest.build import EXIT_SKIPPED, build_corpus, ingest, parse_document
from analysis.ingest.manifest import MANIFEST_COLUMNS, load_manifest
from analysis.ingest.metadata import UnlistedFileError, add_document, propose_row
from analysis.ingest.readers import read_text
from analysis.ingest.segment import TABLE_HEADERS
from conftest import RAW
from fixtures.documents import write_pdf, write_scanned_pdf

VICTIM = "wanzhou_2024_work_plan"  # the seed document each case replaces (57 of the 198 items)


@pytest.fixture
def raw(tmp_path) -> Path:
    """A writable copy of data/raw."""
    return Path(shutil.copytree(RAW, tmp_path / "raw"))


def small_docx() -> bytes:
    buffer = io.BytesIO()
    document = docx.Document()
    document.add_paragraph("一、总体要求")
    document.add_paragraph("1.按时完成改革。")
    document.save(buffer)
    return buffer.getvalue()


def broken_utf8() -> bytes:
    data = (RAW / f"{VICTIM}.txt").read_bytes()
    return data[:3001] + data[3003:]  # the last two bytes of the character starting at byte 3000 cut out


BAD_INPUTS = {
    "empty file": (".txt", lambda raw: b"", "empty file (no text)"),
    "only whitespace": (".txt", lambda raw: b" \r\n\t\n", "empty file (no text)"),
    "binary junk": (".txt", lambda raw: random.Random(0).randbytes(4096), "cannot be decoded as text: not UTF-8 (invalid byte at offset 0)"),
    "binary with NULs": (".txt", lambda raw: b"\x00\x01\x02" * 300, "looks like binary data, not text"),
    "undecodable bytes": (".txt", lambda raw: broken_utf8(), "not UTF-8 (invalid byte at offset 3000) and no other text encoding"),
    "no recognisable items": (".txt", lambda raw: "这是一段没有任何条目的文字。\n只有说明。\n".encode(), "no plan item found"),
    "same content": (".txt", lambda raw: (raw / "xian_2024_work_plan.txt").read_bytes(), "same text as xian_2024_work_plan.txt (xian-2024)"),
    "same content, other encoding": (
        ".txt",
        lambda raw: (raw / "qingdao_2024_work_plan.txt").read_text(encoding="utf-8").encode("gbk"),
        "same text as qingdao_2024_work_plan.txt (qingdao-2024)",
    ),
    "corrupt docx": (".docx", lambda raw: small_docx()[:900], "is not a readable Word .docx file (not a zip package"),
    "docx with broken XML": (".docx", lambda raw: small_docx().replace(b"word/document.xml", b"word/documenX.xml"), "is not a readable Word .docx file (KeyError"),
    "corrupt pdf": (".pdf", lambda raw: b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n", "is not a readable PDF file (PdfminerException: No /Root object!"),
    "scanned pdf": (".pdf", lambda raw: write_scanned_pdf(raw / "scan.tmp").read_bytes(), "the PDF has no text layer (a scanned image?); it needs OCR"),
}


def replace_victim(raw: Path, suffix: str, data: bytes) -> Path:
    """Put ``data`` in place of the victim document (as ``VICTIM + suffix``) and point its manifest row at it."""
    (raw / f"{VICTIM}.txt").unlink()
    (raw / "scan.tmp").unlink(missing_ok=True)
    path = raw / f"{VICTIM}{suffix}"
    path.write_bytes(data)
    manifest = pd.read_csv(raw / "manifest.csv", dtype=str, keep_default_na=False)
    manifest.loc[manifest.doc_id == "wanzhou-2024", "file"] = path.name
    manifest.to_csv(raw / "manifest.csv", index=False)
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_document_is_one_clear_error_and_keep_going_skips_it(raw, tmp_path, case):
    suffix, make, reason = BAD_INPUTS[case]
    out = tmp_path / "processed"
    ingest(RAW, out, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    path = replace_victim(raw, suffix, make(raw))
    with pytest.raises(InputError) as err:
        ingest(raw, out, progress=False)
    assert str(err.value).startswith(f"{path}: ") and reason in str(err.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    corpus = ingest(raw, out, keep_going=True, progress=False)
    assert [str(e) for e in corpus.skipped] == [str(err.value)]
    assert "wanzhou-2024" not in set(corpus.documents.doc_id) and len(corpus.documents) == 4
    assert len(pd.read_csv(out / "items.csv")) == 198 - 57


def test_cli_keep_going_writes_the_rest_lists_what_was_skipped_and_exits_3(raw, tmp_path, capsys):
    replace_victim(raw, ".txt", b"")
    (raw / "notes.html").write_text("<html><body><p>一、总体要求</p><p>1.按时完成。</p></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["ingest", "--raw", str(raw), "--out", str(out)]) == 2
    assert "notes.html: not listed in" in capsys.readouterr().err and not out.exists()
    assert main(["ingest", "--raw", str(raw), "--out", str(out), "--keep-going"]) == EXIT_SKIPPED == 3
    captured = capsys.readouterr()
    assert "warning: skipped 2 input(s), not in the tables:" in captured.err
    assert f"skipped {raw / 'notes.html'}: not listed in" in captured.err
    assert f"skipped {raw / VICTIM}.txt: empty file (no text)" in captured.err
    assert "xian-2024" in captured.out and "wanzhou-2024" not in captured.out
    assert set(pd.read_csv(out / "documents.csv").doc_id) == {"qingdao-2024", "chizhou-2024", "qingdao-2021", "xian-2024"}


def test_keep_going_with_nothing_readable_writes_nothing(raw, tmp_path):
    for path in raw.glob("*.txt"):
        path.write_bytes(b"")
    with pytest.raises(InputError, match=r"manifest\.csv: none of the 5 documents could be read; nothing written"):
        ingest(raw, tmp_path / "out", keep_going=True, progress=False)
    assert not (tmp_path / "out").exists()


def test_interrupted_write_leaves_previous_tables_whole(raw, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    ingest(raw, out, progress=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (raw / "xian_2024_work_plan.txt").write_text("一、总体要求\n1.只剩一条。\n", encoding="utf-8")
    calls = []
    real_to_csv = pd.DataFrame.to_csv

    def fail_on_second_table(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_to_csv(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", fail_on_second_table)
    with pytest.raises(OSError):
        ingest(raw, out, progress=False)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no new table, no temporary file


# --- metadata help: proposals for unlisted files, and `add` -------------------------------------------


@pytest.mark.parametrize("doc_id", ["qingdao-2024", "chizhou-2024", "qingdao-2021", "xian-2024"])
def test_proposal_reproduces_the_hand_written_manifest_row(doc_id):
    listed = load_manifest(RAW).set_index("doc_id").loc[doc_id]
    proposal = propose_row(listed.path, RAW)
    for column in ["file", "city", "province", "admin_level", "year", "title", "doc_type"]:
        assert proposal.row[column] == str(listed[column]), column
    assert proposal.row["doc_id"] == doc_id and proposal.row["source"] == ""


def test_proposal_says_where_the_place_came_from():
    manifest = load_manifest(RAW).set_index("doc_id")
    qingdao = propose_row(manifest.loc["qingdao-2024", "path"], RAW)  # title 市卫生健康委2024年工作要点 names no place
    assert qingdao.row["city"] == "青岛市" and qingdao.row["year"] == "2024"
    assert qingdao.notes[0] == "place 青岛市 named most often in the text (×5, next 三明市 ×1)"
    xian = propose_row(manifest.loc["xian-2024", "path"], RAW)
    assert xian.notes[:2] == ["place 西安市 from the title", "year 2024 from the title"]
    wanzhou = propose_row(manifest.loc["wanzhou-2024", "path"], RAW)  # 全区…: the district is never named twice
    assert wanzhou.row["city"] == "" and wanzhou.row["year"] == "2024" and wanzhou.notes[0].startswith("no place found")
    assert "--city '<city>' --year 2024" in wanzhou.command(RAW)


def test_unlisted_file_stops_ingest_with_a_proposed_row_and_add_confirms_it(raw, tmp_path, capsys):
    original = (raw / "manifest.csv").read_text(encoding="utf-8")
    manifest = pd.read_csv(raw / "manifest.csv", dtype=str, keep_default_na=False)
    manifest[manifest.doc_id != "qingdao-2024"].to_csv(raw / "manifest.csv", index=False)
    with pytest.raises(UnlistedFileError) as err:
        ingest(raw, tmp_path / "out", progress=False)
    message = str(err.value)
    assert message.startswith(f"{raw / 'qingdao_2024_work_plan.txt'}: not listed in {raw / 'manifest.csv'}; proposed row")
    assert "    city         青岛市\n" in message and "    year         2024\n" in message
    command = message.rsplit("\n", 1)[-1].strip()
    assert command == (
        f"python -m analysis add {raw / 'qingdao_2024_work_plan.txt'} --city 青岛市 --year 2024 --province 山东省 "
        f"--admin-level city --title 市卫生健康委2024年工作要点 --doc-type work_plan --doc-id qingdao-2024 --raw {raw}"
    ).replace("青岛市", "'青岛市'").replace("山东省", "'山东省'").replace("市卫生健康委2024年工作要点", "'市卫生健康委2024年工作要点'")
    assert not (tmp_path / "out").exists()
    assert main(shlex.split(command)[3:]) == 0
    assert "added to" in capsys.readouterr().out
    added = pd.read_csv(raw / "manifest.csv", dtype=str, keep_default_na=False).iloc[-1]
    expected = pd.read_csv(io.StringIO(original), dtype=str, keep_default_na=False).iloc[0]
    assert added.drop("source").equals(expected.drop("source"))
    assert len(ingest(raw, tmp_path / "out", progress=False).items) == 198


def test_add_fills_province_and_level_from_the_gazetteer(raw):
    text = (raw / "xian_2024_work_plan.txt").read_text(encoding="utf-8").replace("西安", "宝鸡")
    (raw / "baoji plan.txt").write_text(text, encoding="utf-8")
    row = add_document(raw, raw / "baoji plan.txt", city="宝鸡市", year="2024", source="test copy")
    assert {k: row[k] for k in ["doc_id", "city", "province", "admin_level", "title"]} == {
        "doc_id": "baoji-2024", "city": "宝鸡市", "province": "陕西省", "admin_level": "city", "title": "2024年宝鸡市卫生健康工作要点"
    }  # fmt: skip
    assert load_manifest(raw).iloc[-1]["file"] == "baoji plan.txt"


@pytest.mark.parametrize(
    "file,values,message",
    [
        ("new.txt", {"city": "青岛市", "year": "二〇二四"}, "manifest.csv, row 6: year '二〇二四' is not a year"),
        ("qingdao_2024_work_plan.txt", {"city": "青岛市", "year": "2024"}, "is already listed in"),
        ("empty.txt", {"city": "青岛市", "year": "2024"}, "empty.txt: empty file (no text)"),
        ("no_items.txt", {"city": "青岛市", "year": "2024"}, "no_items.txt: no plan item found"),
        ("missing.txt", {"city": "青岛市", "year": "2024"}, "missing.txt: file not found"),
    ],
)
def test_add_refuses_bad_rows_and_leaves_the_manifest_as_it_was(raw, file, values, message):
    (raw / "new.txt").write_bytes((raw / "xian_2024_work_plan.txt").read_bytes() + b"\n")
    (raw / "no_items.txt").write_text("只有说明。\n", encoding="utf-8")
    (raw / "empty.txt").write_bytes(b"")
    before = (raw / "manifest.csv").read_bytes()
    with pytest.raises(InputError) as err:
        add_document(raw, raw / file, **values)
    assert message in str(err.value)
    assert (raw / "manifest.csv").read_bytes() == before


# --- safety ----------------------------------------------------------------------------------------------


def test_manifest_paths_cannot_escape_the_raw_folder_not_even_through_a_link(raw, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("一、机密\n1.不应读到。\n", encoding="utf-8")
    (raw / "link.txt").symlink_to(secret)
    manifest = pd.read_csv(raw / "manifest.csv", dtype=str, keep_default_na=False)
    for name in ["link.txt", str(secret), "../secret.txt"]:
        manifest.loc[0, "file"] = name
        manifest.to_csv(raw / "manifest.csv", index=False)
        with pytest.raises(InputError, match=rf"manifest\.csv, row 1: file '{name}' is outside the raw folder"):
            load_manifest(raw)


def test_unlisted_link_out_of_the_raw_folder_is_refused_not_proposed(raw, tmp_path):
    (tmp_path / "secret.txt").write_text("一、机密\n1.不应读到。\n", encoding="utf-8")
    (raw / "link.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(InputError, match=r"link\.txt: not listed in .*manifest\.csv, and is outside the raw folder"):
        ingest(raw, tmp_path / "out", progress=False)
    with pytest.raises(InputError, match=r"link\.txt: is outside the raw folder"):
        add_document(raw, raw / "link.txt", city="青岛市", year="2024")


def test_document_text_with_html_or_script_stays_inert_in_report_tables(raw, tmp_path):
    plan = "2024年某市卫生健康工作要点\n一、总体要求\n1.<script>alert('x')</script>加强<b>管理</b>。\n2.防范<img src=x onerror=alert(1)>注入。\n"
    replace_victim(raw, ".txt", plan.encode("utf-8"))
    items = build_corpus(raw, progress=False).items
    texts = items[items.doc_id == "wanzhou-2024"].text.tolist()
    assert texts == ["<script>alert('x')</script>加强<b>管理</b>。", "防范<img src=x onerror=alert(1)>注入。"]
    shown = kit.table(items[items.doc_id == "wanzhou-2024"][["item_id", "text"]]).data
    assert "&lt;script&gt;alert('x')&lt;/script&gt;加强&lt;b&gt;管理&lt;/b&gt;" in shown and "&lt;img src=x onerror=alert(1)&gt;" in shown
    assert "<script>alert" not in shown and "<img" not in shown and "<b>管理" not in shown  # the page's own scripts are DataTables'


# --- property-based: nothing but InputError --------------------------------------------------------------

DOC = {c: "" for c in MANIFEST_COLUMNS} | {"doc_id": "random", "path": "random.txt", "year": 2024}
PIECES = ["一、", "十二、", "（一）", "（三）", "1.", "2、", "3．", "4）", "（1）", "①", "\t", "。", "：", "；", "（责任科室：办公室）",
          "（牵头单位：医政科、信统科）", "相关链接", "附件：", "扫一扫", "[bookmark: _GoBack]", "\u3000", "\xa0", " ", "\r", "\x0b", "\u2028",
          "推动机构提档升级", "2024年卫生健康工作要点", "某某委员会", "2024年3月1日"]  # fmt: skip
piece = st.one_of(st.sampled_from(PIECES), st.sampled_from(sorted(TABLE_HEADERS)).map("\t".__add__), st.text(max_size=8))
plan_text = st.one_of(st.lists(st.lists(piece, max_size=6).map("".join), max_size=40).map("\n".join), st.text())


@settings(max_examples=150, deadline=None)
@given(plan_text)
def test_random_text_and_structure_parse_or_raise_input_error(text):
    try:
        row, items, sentences = parse_document(DOC, text)
    except InputError as exc:
        assert exc.path == "random.txt" and exc.reason.startswith("no plan item found")
        return
    assert row["n_items"] == len(items) > 0
    assert [i["position"] for i in items] == list(range(1, len(items) + 1))
    assert len({s["sentence_id"] for s in sentences}) == len(sentences)


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> dict[str, bytes]:
    """Small valid files of each type, for mutation."""
    folder = tmp_path_factory.mktemp("samples")
    return {
        ".pdf": write_pdf("一、总体要求\n1.按时完成改革。", folder / "s.pdf").read_bytes(),
        ".docx": small_docx(),
        ".html": "<html><head><meta charset='gbk'></head><body><p>一、要点</p><table><tr><td>1.按时</td></tr></table></body></html>".encode("gbk"),
        ".txt": "一、总体要求\n1.按时完成改革。".encode("gb18030"),
    }


@st.composite
def damaged(draw, samples: dict[str, bytes]) -> tuple[str, bytes]:
    """A valid sample file with a few bytes overwritten, cut out or inserted — or random bytes."""
    suffix = draw(st.sampled_from(sorted(samples)))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=300))
    data = bytearray(samples[suffix])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data) - 1))
        change = draw(st.sampled_from(["overwrite", "cut", "insert"]))
        if change == "overwrite":
            data[at] = draw(st.integers(0, 255))
        elif change == "cut":
            del data[at : at + draw(st.integers(1, 300))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=20))
        if not data:
            break
    return suffix, bytes(data)


def test_damaged_and_random_files_read_or_raise_input_error(sample_files, tmp_path_factory):
    folder = tmp_path_factory.mktemp("damaged")

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(damaged(sample_files))
    def check(case):
        suffix, data = case
        path = folder / f"doc{suffix}"
        path.write_bytes(data)
        try:
            assert isinstance(read_text(path), str)
        except InputError as exc:
            assert exc.path == str(path)

    check()


def test_html_with_a_malformed_declared_charset_is_read_by_detection(tmp_path):
    # Found by the fuzz test: a NUL inside <meta charset> made bytes.decode raise ValueError.
    path = tmp_path / "page.html"
    path.write_bytes("<html><head><meta charset=\x00gbk'></head><body><p>一、要点</p></body></html>".encode("gbk"))
    with pytest.raises(InputError) as err:
        read_text(path)
    assert err.value.path == str(path)
