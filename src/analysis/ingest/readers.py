"""Read a raw document into plain text, whatever its file type.

``read_text(path)`` picks a reader by file extension (:data:`READERS`) and
returns the document's text as a str with lines separated by ``\\n``, laid out
the way :func:`analysis.ingest.segment.parse_plan` expects:

* ``.txt`` — the encoding is detected: UTF-8 (with or without BOM) first, else
  charset-normalizer's best guess (GB18030/GBK, UTF-16, Big5, …);
* ``.docx`` — paragraphs and tables in reading order; each table row becomes one
  tab-led line per cell followed by a blank line (as in a table copied to text);
* ``.html`` / ``.htm`` — the page's main text: the ``<main>`` element if there
  is one, else the body, without scripts, styles, navigation, header, footer,
  forms and hidden parts; block elements become lines, tables become rows;
* ``.pdf`` — the text layer in reading order, with lines that a page wrapped
  joined back into paragraphs; a PDF without text needs OCR first.

Unreadable input (empty, binary, undecodable, corrupt, scanned) raises
:class:`~analysis.errors.InputError` naming the file and the reason.
"""

from __future__ import annotations

import codecs
import re
import statistics
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import docx
import pdfplumber
from bs4 import BeautifulSoup, NavigableString
from bs4.dammit import EncodingDetector
from charset_normalizer import from_bytes
from docx.table import Table

from analysis.errors import InputError
from analysis.ingest.layouts import ITEM_RE, POINT_RE, SECTION_RE, SUBSECTION_RE

#: Byte-order marks: they decide the encoding before any declaration or guess.
BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: Declared encodings read as their superset (WHATWG maps gb2312/gbk to GBK; GB18030 contains it).
ENCODING_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030", "big5": "big5hkscs"}
#: Line separators other than ``\n`` that text files and PDFs contain (vertical tab, form feed, NEL, LS, PS).
LINE_SEPARATOR_RE = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: Control characters (Unicode category Cc) other than tab, line feed, carriage return, vertical tab and form feed.
CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
#: Largest document read (bytes); larger files are refused before reading.
MAX_DOCUMENT_BYTES = 256 * 1024 * 1024
#: Largest web page read (bytes), and deepest element nesting: deeper pages are refused, not parsed slowly.
MAX_HTML_BYTES = 32 * 1024 * 1024
MAX_HTML_DEPTH = 256
HTML_TAG_RE = re.compile(rb"<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>")
#: Elements that never hold others (void) or that the parser closes by itself when the next one opens.
HTML_FLAT_TAGS = frozenset(
    b"area base br col embed hr img input link meta param source track wbr p li td th tr dt dd option".split()
)
#: Share of control characters above which decoded "text" is taken for binary data.
MAX_CONTROL_SHARE = 0.01

#: HTML elements that are never main text.
HTML_DROP_TAGS = [
    "head", "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
    "iframe", "svg", "canvas", "object", "embed", "button", "select", "textarea", "menu",
]  # fmt: skip
#: ARIA roles of page chrome (navigation bars, banners, footers, search boxes).
HTML_DROP_ROLES = re.compile(r"^(navigation|banner|contentinfo|search|menu|menubar|complementary)$", re.I)
#: Elements that start a new line of text.
HTML_BLOCK_TAGS = [
    "address", "article", "blockquote", "dd", "div", "dl", "dt", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "li", "main", "ol", "p", "pre", "section", "table", "ul", "center", "caption",
]  # fmt: skip
CJK = r"\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
#: A line break between two CJK characters in HTML source is dropped, not shown as a space (CSS Text 3).
CJK_SEGMENT_BREAK_RE = re.compile(rf"(?<=[{CJK}])[ \t\r\f]*\n[ \t\r\n\f]*(?=[{CJK}])")
HTML_SPACE_RE = re.compile(r"[ \t\r\n\f]+")

#: A line that is only a page number (``3``, ``- 3 -``, ``第3页``, ``3/12``), dropped from PDF page tops and bottoms.
PAGE_NUMBER_RE = re.compile(r"^[-—–\s]*(?:第\s*)?\d{1,4}(?:\s*页)?(?:\s*[/／]\s*\d{1,4})?(?:\s*页)?[-—–\s]*$")
#: A PDF line ending within this many character widths of the right margin was wrapped by the page.
WRAP_TOLERANCE_CHARS = 1.5


def decode_bytes(data: bytes, path: Path, declared: str | None = None) -> str:
    """Decode a text file's bytes: BOM, else ``declared`` encoding, else UTF-8, else detection.

    Raises :class:`InputError` for an empty file, bytes that fit no text
    encoding, and binary data (control characters).
    """
    if not data.strip():
        raise InputError(path, "empty file (no text)")
    text = None
    if declared and not data.startswith(BOMS):
        codec = ENCODING_SUPERSETS.get(declared.lower(), declared)
        try:
            text = data.decode(codec)
        except (LookupError, ValueError):  # unknown or malformed codec name, undecodable bytes
            text = None
    if text is None:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            best = from_bytes(data).best()
            if best is None:
                raise InputError(
                    path,
                    f"cannot be decoded as text: not UTF-8 (invalid byte at offset {exc.start}) and no other text "
                    "encoding (GB18030/GBK, UTF-16, Big5, …) fits; save it again as UTF-8 text",
                ) from exc
            text = str(best)
    controls = len(CONTROL_RE.findall(text))
    if "\x00" in text or controls > MAX_CONTROL_SHARE * len(text):
        raise InputError(path, f"looks like binary data, not text ({controls} control characters)")
    if not text.strip():
        raise InputError(path, "empty file (no text)")
    return text


def read_txt(path: Path) -> str:
    """Plain text in any common encoding (see :func:`decode_bytes`)."""
    return decode_bytes(path.read_bytes(), path)


@contextmanager
def unreadable_as(path: Path, kind: str) -> Iterator[None]:
    """Turn any failure of a file-format library into an :class:`InputError` naming ``path``.

    Parsers of zip/XML (Word) and PDF files fail on corrupt input in many ways
    (zip, XML, key, type and syntax errors); for the user each means the same:
    the file is not a readable ``kind`` file.
    """
    try:
        yield
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - see docstring: every library failure is a bad file
        raise InputError(path, f"is not a readable {kind} file ({type(exc).__name__}: {exc})") from exc


def _docx_lines(container) -> list[str]:
    """Lines of a Word document, table cell or nested table, in reading order."""
    lines: list[str] = []
    for block in container.iter_inner_content():
        if not isinstance(block, Table):
            lines.append(block.text)
            continue
        for row in block.rows:
            cells = row.cells
            # a cell spanning several grid columns is listed once per column: keep it once
            for k, cell in enumerate(cells):
                if k and cell == cells[k - 1]:
                    continue
                inner = [line.lstrip("\t") for line in _docx_lines(cell) if line.strip()]
                lines.append("\t" + (inner[0] if inner else ""))
                lines.extend(inner[1:])
            lines.append("")
    return lines


def read_docx(path: Path) -> str:
    """A Word ``.docx`` file: body paragraphs and tables in reading order (see module doc)."""
    if not zipfile.is_zipfile(path):
        raise InputError(path, "is not a readable Word .docx file (not a zip package: damaged, or another format renamed?)")
    with unreadable_as(path, "Word .docx"):
        lines = _docx_lines(docx.Document(str(path)))
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(path, "the Word document has no text")
    return text


def _html_main(soup: BeautifulSoup):
    """The element holding the page's main text: ``<main>``/``role=main`` if any, else the body."""
    return soup.find("main") or soup.find(attrs={"role": re.compile("^main$", re.I)}) or soup.body or soup


def html_depth(data: bytes) -> int:
    """Deepest nesting of elements in an HTML page, from its tags alone (one linear scan)."""
    depth = deepest = 0
    for closing, name, self_closing in HTML_TAG_RE.findall(data):
        if self_closing or name.lower() in HTML_FLAT_TAGS:
            continue
        depth = max(depth - 1, 0) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def read_html(path: Path) -> str:
    """A saved web page: its main text, one line per block, table rows as tab-led cells.

    Pages over :data:`MAX_HTML_BYTES` or nested deeper than :data:`MAX_HTML_DEPTH`
    raise :class:`InputError` before they are parsed.
    """
    data = path.read_bytes()
    if len(data) > MAX_HTML_BYTES:
        raise InputError(path, f"web page of {len(data):,} bytes is over the limit of {MAX_HTML_BYTES:,}; save its main text as .txt")
    if (depth := html_depth(data)) > MAX_HTML_DEPTH:
        raise InputError(path, f"web page nested {depth:,} elements deep, over the limit of {MAX_HTML_DEPTH}; save its main text as .txt")
    declared = EncodingDetector.find_declared_encoding(data, is_html=True)
    soup = BeautifulSoup(decode_bytes(data, path, declared), "lxml")
    root = _html_main(soup)
    drop = root.find_all(HTML_DROP_TAGS) + root.find_all(attrs={"role": HTML_DROP_ROLES})
    drop += root.find_all(attrs={"hidden": True}) + root.find_all(attrs={"aria-hidden": "true"})
    drop += root.find_all(style=re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I))
    for tag in drop:
        tag.decompose()
    for string in list(root.find_all(string=True)):
        if isinstance(string, NavigableString) and string.find_parent("pre") is None:
            string.replace_with(HTML_SPACE_RE.sub(" ", CJK_SEGMENT_BREAK_RE.sub("", str(string))))
    for br in root.find_all("br"):
        br.replace_with("\n")
    for tag in root.find_all(HTML_BLOCK_TAGS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    for cell in reversed(root.find_all(["td", "th"])):  # inner tables first
        inner = [line.strip(" \t") for line in cell.get_text("").split("\n") if line.strip(" \t")]
        cell.clear()
        cell.append("\n\t" + "\n".join(inner))
    for row in root.find_all("tr"):
        row.insert_after("\n\n")
    lines = []
    for line in root.get_text("").split("\n"):
        lines.append("\t" + line[1:].strip(" ") if line.startswith("\t") else line.strip(" "))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    if not text.strip():
        raise InputError(path, "the web page has no main text")
    return text


def _reflow_pdf_lines(lines: list[dict], char_size: float) -> list[str]:
    """Join lines that the page wrapped back into paragraphs.

    A line is continued by the next one when it ends within
    :data:`WRAP_TOLERANCE_CHARS` characters of the right margin and the next
    line neither is indented nor starts a heading or item (``一、``, ``（一）``, ``1.``).
    """
    right = max(line["x1"] for line in lines)
    left = min(line["x0"] for line in lines)
    out: list[str] = []
    joins_next = False
    for line in lines:
        text = line["text"].strip()
        starts_block = any(r.match(text) for r in (SECTION_RE, SUBSECTION_RE, ITEM_RE, POINT_RE))
        if joins_next and out and not starts_block and line["x0"] <= left + char_size / 2:
            out[-1] += text
        else:
            out.append(text)
        joins_next = line["x1"] >= right - WRAP_TOLERANCE_CHARS * char_size
    return out


def read_pdf(path: Path) -> str:
    """A PDF with a text layer: its lines in reading order, wrapped paragraphs joined.

    A PDF whose pages carry no text (a scan) raises an :class:`InputError`
    saying it needs OCR.
    """
    with unreadable_as(path, "PDF"):
        with pdfplumber.open(path) as pdf:
            lines: list[dict] = []
            sizes: list[float] = []
            has_fonts = False
            for page in pdf.pages:
                page_lines = [line for line in page.extract_text_lines() if line["text"].strip()]
                while page_lines and PAGE_NUMBER_RE.match(page_lines[-1]["text"]):
                    page_lines.pop()
                if page_lines and PAGE_NUMBER_RE.match(page_lines[0]["text"]):
                    page_lines.pop(0)
                lines += page_lines
                sizes += [c["size"] for c in page.chars if c["text"].strip()]
                has_fonts = has_fonts or bool(page.page_obj.resources.get("Font"))
    if not lines:
        if has_fonts:
            raise InputError(path, "the PDF's text cannot be extracted (its fonts carry no Unicode mapping); export it again or OCR it")
        raise InputError(path, "the PDF has no text layer (a scanned image?); it needs OCR first, e.g. `ocrmypdf in.pdf out.pdf`")
    return "\n".join(_reflow_pdf_lines(lines, statistics.median(sizes)))


READERS: dict[str, Callable[[Path], str]] = {
    ".txt": read_txt,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
}


def read_text(path: str | Path) -> str:
    """Return the text of ``path`` with normalised line ends; errors name the file."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        hint = "; save it as .docx first" if path.suffix.lower() in {".doc", ".wps"} else ""
        raise InputError(path, f"unsupported file type {path.suffix!r}; supported: {', '.join(sorted(READERS))}{hint}")
    if not path.is_file():
        raise InputError(path, "file not found")
    if (size := path.stat().st_size) > MAX_DOCUMENT_BYTES:
        raise InputError(path, f"file of {size:,} bytes is over the limit of {MAX_DOCUMENT_BYTES:,}")
    text = reader(path).replace("\r\n", "\n").replace("\r", "\n")
    return LINE_SEPARATOR_RE.sub("\n", text) if LINE_SEPARATOR_RE.search(text) else text
