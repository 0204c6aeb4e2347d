"""Readers: Word, web-page, PDF and GBK/UTF-16 files made from seed plans parse to the same items."""

from __future__ import annotations

import codecs

import pytest

from analysis.errors import InputError
from analysis.ingest.readers import read_text
from analysis.ingest.segment import parse_plan
from conftest import RAW
from fixtures.documents import CFF_CJK_FONT, write_docx, write_html, write_pdf, write_scanned_pdf

SEEDS = {
    "qingdao-2024": "qingdao_2024_work_plan.txt",
    "chizhou-2024": "chizhou_2024_work_plan.txt",
    "qingdao-2021": "qingdao_2021_business_targets.txt",
    "xian-2024": "xian_2024_work_plan.txt",
    "wanzhou-2024": "wanzhou_2024_work_plan.txt",
}


def seed_text(doc_id: str) -> str:
    return read_text(RAW / SEEDS[doc_id])


def items_of(text: str) -> list[tuple[str, str, str, str]]:
    """What a reader must preserve: each item's section, number, headline and text."""
    return [(i.section, i.number, i.headline, i.text) for i in parse_plan(text).items]


@pytest.mark.parametrize(
    "doc_id,encoding,prefix",
    [
        ("qingdao-2024", "gbk", b""),
        ("wanzhou-2024", "gbk", b""),
        ("xian-2024", "gb18030", b""),  # has a no-break space, which GBK lacks
        ("chizhou-2024", "utf-16", b""),  # BOM written by the codec
        ("qingdao-2021", "utf-8", codecs.BOM_UTF8),
    ],
)
def test_text_files_in_chinese_encodings_read_like_the_utf8_original(tmp_path, doc_id, encoding, prefix):
    original = seed_text(doc_id)
    path = tmp_path / "plan.txt"
    path.write_bytes(prefix + original.encode(encoding))
    assert path.read_bytes() != original.encode("utf-8")
    assert read_text(path) == original
    assert items_of(read_text(path)) == items_of(original)


def test_word_table_of_qingdao_2021_parses_to_its_11_targets(tmp_path):
    original = seed_text("qingdao-2021")
    path = write_docx(original, tmp_path / "qingdao_2021.docx")
    items = items_of(read_text(path))
    assert items == items_of(original) and len(items) == 11
    assert [i[0] for i in items].count("重点目标") == 9 and items[9][:3] == ("创优目标", "1", "深化“互联网+医疗健康”惠民便民服务")
    assert items[4][2] == "加强紧急医学救援能力建设"  # a cell holding two paragraphs
    assert items[10][3].endswith(items_of(original)[10][3][-20:])


@pytest.mark.parametrize("doc_id,n_items", [("qingdao-2024", 21), ("wanzhou-2024", 57)])
def test_word_paragraphs_parse_like_the_text(tmp_path, doc_id, n_items):
    path = write_docx(seed_text(doc_id), tmp_path / "plan.docx")
    items = items_of(read_text(path))
    assert items == items_of(seed_text(doc_id)) and len(items) == n_items


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])  # the GB18030 page declares charset=gb2312
def test_web_page_of_chizhou_keeps_the_plan_and_drops_the_page_chrome(tmp_path, encoding):
    original = seed_text("chizhou-2024")
    path = write_html(original, tmp_path / "chizhou.html", encoding)
    text = read_text(path)
    assert items_of(text) == items_of(original) and len(items_of(text)) == 74
    for decoy in ["机构概况", "脚本里的假条目", "样式", "关于印发某某", "隐藏的模板条目", "版权所有", "动态插入", "document.write"]:
        assert decoy not in text


def test_web_page_table_parses_like_the_flattened_table(tmp_path):
    original = seed_text("qingdao-2021")
    text = read_text(write_html(original, tmp_path / "qingdao_2021.htm"))
    assert items_of(text) == items_of(original) and len(items_of(text)) == 11


@pytest.mark.parametrize("doc_id,n_items", [("qingdao-2024", 21), ("xian-2024", 35)])
def test_text_pdf_joins_wrapped_lines_and_parses_like_the_text(tmp_path, doc_id, n_items):
    original = seed_text(doc_id)
    path = write_pdf(original, tmp_path / "plan.pdf")
    text = read_text(path)
    assert len(text.split("\n")) < len(original.split("\n")) + 5  # wrapped lines were joined back
    items = items_of(text)
    assert items == items_of(original) and len(items) == n_items


def test_scanned_pdf_needs_ocr(tmp_path):
    path = write_scanned_pdf(tmp_path / "scan.pdf")
    with pytest.raises(InputError, match=r"scan\.pdf: the PDF has no text layer \(a scanned image\?\); it needs OCR"):
        read_text(path)


def test_pdf_whose_fonts_have_no_unicode_mapping_is_not_mistaken_for_a_scan(tmp_path):
    path = write_pdf("一、总体要求\n1.按时完成。", tmp_path / "cff.pdf", font=CFF_CJK_FONT)
    with pytest.raises(InputError, match=r"cff\.pdf: the PDF's text cannot be extracted"):
        read_text(path)


def test_unsupported_file_type_names_the_supported_ones(tmp_path):
    (tmp_path / "plan.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(InputError, match=r"plan\.doc: unsupported file type '\.doc'; supported: \.docx, \.htm, \.html, \.pdf, \.txt; save it as \.docx"):
        read_text(tmp_path / "plan.doc")


def test_line_separators_become_line_ends(tmp_path):
    (tmp_path / "plan.txt").write_text("一、总体要求\r\n1.按时完成。\u20282.推进改革。\x0c3.加强管理。", encoding="utf-8")
    assert read_text(tmp_path / "plan.txt") == "一、总体要求\n1.按时完成。\n2.推进改革。\n3.加强管理。"


# --- limits that keep the parser linear ---------------------------------------------------------------------


def test_deeply_nested_web_page_is_refused_with_a_clear_error(tmp_path):
    page = tmp_path / "deep.html"
    page.write_text("<html><body>" + "<div>" * 100_000 + "一、要点<p>1.按时完成。" + "</div>" * 100_000 + "</body></html>")
    with pytest.raises(InputError) as err:
        read_text(page)
    assert str(err.value) == f"{page}: web page nested 100,002 elements deep, over the limit of 256; save its main text as .txt"


def test_ordinary_nesting_and_unclosed_paragraphs_stay_within_the_depth_limit(tmp_path):
    from analysis.ingest.readers import MAX_HTML_DEPTH, html_depth

    assert html_depth(b"<html><body><div><p>a<p>b<br><img src=x><ul><li>c<li>d</ul></div></body></html>") == 4
    page = tmp_path / "paras.html"
    page.write_text("<html><body>" + "<p>1.按时完成。" * 5000 + "</body></html>", encoding="utf-8")
    assert html_depth(page.read_bytes()) < MAX_HTML_DEPTH and read_text(page).count("按时完成") == 5000


def test_oversized_web_page_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("analysis.ingest.readers.MAX_HTML_BYTES", 1000)
    page = tmp_path / "big.html"
    page.write_text("<html><body>" + "<p>一、要点</p>" * 100 + "</body></html>", encoding="utf-8")
    with pytest.raises(InputError, match=r"big\.html: web page of 1,926 bytes is over the limit of 1,000"):
        read_text(page)


@pytest.mark.parametrize("separator", ["", "\n"])
def test_a_very_long_single_item_parses_whole(separator):
    sentence = "推进紧密型县域医共体建设，完善绩效考核。"
    n = 100_000  # 2 million characters (6 MB); the 50 MB figure is in scripts/bench.py
    plan = parse_plan("一、总体要求\n1." + separator.join([sentence] * n) + "（责任科室：医政科）")
    [item] = plan.items
    assert len(item.text) == len(sentence) * n and item.departments == ["医政科"]
    assert plan.accounting.counts()["item"] == len(sentence) * n
