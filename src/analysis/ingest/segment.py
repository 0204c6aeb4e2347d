"""Split the text of one work plan into its sections and plan items, accounting for every character.

``parse_plan(text)`` returns a :class:`ParsedPlan`: the detected title, the
:class:`Item` records in order and the :class:`~analysis.ingest.accounting.Accounting`
of the text (each line's kind: item, heading, numbering, tail, or a named drop).
Layouts understood (line patterns in :mod:`analysis.ingest.layouts`):

* sections ``一、…`` or ``第一部分 …``; sub-sections ``（一）…`` that read as headings
  (short, or up to 40 characters without a closing 。);
* any other ``（一）…`` line is an item, whatever its opening
  (``（一）推动机构提档升级。启动实施…``, ``（二）加强监测，…。``), so a plan written
  entirely in that style parses; a ``（一）…。`` or ``（一）…，…`` heading that gets no items is one too;
* numbered items ``1.`` / ``1、`` / ``1．`` / ``1）`` / ``１．`` / ``1.1`` (with or
  without sections) and sub-points ``（1）`` / ``①`` folded into their item;
* unnumbered paragraphs, one item each; a line that does not end a sentence is
  continued by the next one, and a line opening with ``二是…`` stays in its item;
* ``【…】`` lead phrases (the headline); lines ending in ``：`` between items (lead-ins);
* responsibility tails ``（责任科室：…）``, ``（牵头单位：…；配合单位：…）``, ``（责任股室：…）``;
* a flattened table (tab-led cells, a header row such as ``类别/序号/目标名称/目标内容``):
  one item per row; and such a table as an appendix (``附件：…指标任务表``) after the
  body, whose rows become items of section ``附件``;
* a review section (``工作回顾``, ``工作总结``): its items get ``section_kind="review"``.

Issuing notices and introductions before the first heading (preamble), web
metadata, signatures, Word artefacts, web-page tails and non-table appendices
never become items; each is counted under its own kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.ingest.accounting import Accounting
from analysis.ingest.layouts import (
    APPENDIX_RE,
    CN_NUMERALS,
    COMPLETE_ENDS,
    DEPARTMENT_SPLIT_RE,
    DOTTED_ITEM_RE,
    END_OR_METADATA_FIRST,
    ENUMERATION_RE,
    ITEM_RE,
    METADATA_RE,
    POINT_RE,
    REVIEW_RE,
    SECTION_RE,
    SENTENCE_ENDS,
    SIGNATURE_LAST,
    SIGNATURE_RE,
    SUBSECTION_RE,
    TABLE_HEADERS,
    TABLE_ROLES,
    WEB_END_RE,
    WHITESPACE_RE,
    clean_line,
    detect_headline,
    detect_title,
    half_width,
    heading_like,
    join_parts,
    join_text,
    split_departments,
    split_sentences,
    tail_start,
    visible,
)

__all__ = ["Item", "ParsedPlan", "parse_plan", "split_sentences", "SENTENCE_ENDS", "TABLE_HEADERS", "WHITESPACE_RE"]

#: Table cell kinds by header role (other columns are item text, written ``header：value``).
CELL_KINDS = {"category": "heading", "number": "numbering", "departments": "tail"}
ROLE_OF = {name: role for role, names in TABLE_ROLES.items() for name in names}
SECTION_FIRST = frozenset(CN_NUMERALS + "第")
#: A ``（一）…，…`` line without a closing 。 is a heading up to this length (an item if nothing comes under it).
LONG_HEADING_CHARS = 40
#: A line after a web-page tail that still looks like plan text is counted as unclassified.
PLAN_LIKE_CHARS = 15


@dataclass
class Item:
    """One plan item. ``text`` has no numbering and no responsibility tail."""

    section: str
    subsection: str
    number: str
    text: str
    departments: list[str] = field(default_factory=list)
    headline: str = ""
    section_kind: str = "task"

    @property
    def n_chars(self) -> int:
        """Characters of ``text``, not counting whitespace (item text holds only single spaces)."""
        return visible(self.text)


@dataclass
class ParsedPlan:
    """Result of :func:`parse_plan`: the detected title, the items in order and the text's accounting."""

    title: str
    items: list[Item]
    accounting: Accounting


@dataclass
class _Open:
    """An item being read: its pieces of text and the lines they came from."""

    item: Item
    parts: list[str]
    lines: list[int]

    def complete(self) -> bool:
        return self.parts[-1].endswith(COMPLETE_ENDS)


class _Parser:
    """One pass over the lines of a plan (see the module docstring)."""

    def __init__(self, text: str):
        raw = text.splitlines(keepends=True)
        self.raw = raw
        self.clean = [clean_line(line) for line in raw]
        self.acc = Accounting(raw, [len(line) - line.count(" ") for line in self.clean])  # visible()
        self.items: list[Item] = []
        self.preamble: list[int] = []
        self.section = self.subsection = ""
        self.section_kind = "task"
        self.current: _Open | None = None
        self.pending: tuple[int, str, str] | None = None  # a （一）…。 heading that may turn out to be an item
        self.started = False

    # -- items -----------------------------------------------------------------------------------

    def open(self, index: int, number: str, text: str, prefix: int, prefix_kind: str = "numbering") -> None:
        self.finish()
        self.pending = None
        self.started = True
        item = Item(self.section, self.subsection, number, "", section_kind=self.section_kind)
        self.current = _Open(item, [text], [index])
        self.acc.mark(index, "item", prefix, prefix_kind)

    def finish(self) -> None:
        if self.current is None:
            return
        current, self.current = self.current, None
        text = join_parts(current.parts)
        cut = tail_start(text)
        if cut < len(text):
            self.acc.mark_tail(current.lines, visible(text[cut:]))
            text, departments = split_departments(text)
            current.item.departments = departments
        text = text.strip()
        if not text:
            return
        current.item.text = text
        current.item.headline = detect_headline(text)
        self.items.append(current.item)

    def resolve_pending(self) -> None:
        """A ``（一）…。`` or ``（一）…，…`` heading with no item under it was an item itself."""
        if self.pending is None or self.current is not None:
            return
        index, number, rest = self.pending
        self.pending = None
        if rest.endswith(SENTENCE_ENDS) or not heading_like(rest):
            self.subsection = ""
            line = self.clean[index]
            self.open(index, number, rest, visible(line[: len(line) - len(rest)]))
            self.finish()

    # -- lines -----------------------------------------------------------------------------------

    def section_line(self, index: int, line: str, rest: str) -> None:
        self.finish()
        self.resolve_pending()
        self.started, self.subsection = True, ""
        self.section_kind = "review" if REVIEW_RE.search(rest) else "task"
        head, sep, after = line.partition("。")
        if sep and after.strip():
            self.section = head
            self.open(index, "", after.strip(), visible(head) + 1, "heading")
        else:
            self.section = line.rstrip("。")
            self.acc.mark(index, "heading")

    def subsection_line(self, index: int, line: str, number: str, rest: str) -> None:
        self.finish()
        self.resolve_pending()
        self.started = True
        if rest and (detect_headline(rest) or not heading_like(rest) and (rest.endswith(SENTENCE_ENDS) or len(rest) > LONG_HEADING_CHARS)):
            self.subsection = ""
            self.open(index, number, rest, visible(line[: len(line) - len(rest)]))
        else:
            self.subsection = line.rstrip("。")
            self.acc.mark(index, "heading")
            self.pending = (index, number, rest)

    def dotted_item_line(self, index: int, line: str, major: str, number: str, rest: str) -> None:
        current = self.current
        if current is not None and current.item.number == major and len(current.lines) == 1 and heading_like(current.parts[0]):
            self.current = None  # ``1. 公共卫生`` above ``1.1 …`` items was a heading
            head = current.lines[0]
            self.subsection = self.clean[head]
            self.acc.mark(head, "heading")
        self.open(index, number, rest, visible(line[: len(line) - len(rest)]))

    def plain_line(self, index: int, line: str) -> None:
        current = self.current
        if not self.started:
            self.preamble.append(index)
            self.acc.mark(index, "preamble")
        elif current is not None and (current.item.number or ENUMERATION_RE.match(line) or not current.complete()):
            current.parts.append(line)
            current.lines.append(index)
            self.acc.mark(index, "item")
        elif line.endswith(("：", ":")):
            self.acc.mark(index, "lead_in")
        else:
            self.open(index, "", line, 0)

    def run(self, start: int = 0) -> None:
        for index in range(start, len(self.raw)):
            line = self.clean[index]
            if not line:
                continue
            first = line[0]
            special = first in END_OR_METADATA_FIRST
            if special and (self.items or self.current) and WEB_END_RE.match(line):
                self.finish()
                self.web_tail(index)
                break
            if special and (self.items or self.current) and APPENDIX_RE.match(line):
                self.finish()
                self.resolve_pending()
                self.appendix(index)
                break
            if special and METADATA_RE.match(line):
                self.acc.mark(index, "metadata")
            elif line[-1] in SIGNATURE_LAST and SIGNATURE_RE.match(line):
                self.acc.mark(index, "signature")
            elif first in SECTION_FIRST and (m := SECTION_RE.match(line)):
                self.section_line(index, line, m["rest"])
            elif first in "（(" and (m := SUBSECTION_RE.match(line)):
                self.subsection_line(index, line, m["num"], m["rest"])
            elif first.isdigit() and (m := DOTTED_ITEM_RE.match(line)):
                self.dotted_item_line(index, line, half_width(m["major"]), half_width(m["num"]), m["rest"])
            elif (first.isdigit() and (m := ITEM_RE.match(line))) or (self.current is None and (m := POINT_RE.match(line))):
                self.open(index, half_width(m["num"]), m["rest"], visible(line[: len(line) - len(m["rest"])]))
            else:
                self.plain_line(index, line)
        self.finish()
        self.resolve_pending()

    # -- after the body ----------------------------------------------------------------------------

    def web_tail(self, start: int) -> None:
        """Web-page tail from ``start``; lines that still read as plan text are unclassified."""
        for index in range(start, len(self.raw)):
            line = self.clean[index]
            plan_like = any(r.match(line) for r in (SECTION_RE, SUBSECTION_RE, ITEM_RE)) or line.endswith("。")
            self.acc.mark(index, "unclassified" if plan_like and len(line) > PLAN_LIKE_CHARS else "web_tail")

    def appendix(self, start: int) -> None:
        """An appendix from ``start``: a target table's rows become items of section 附件."""
        end = next((k for k in range(start + 1, len(self.raw)) if WEB_END_RE.match(self.clean[k])), len(self.raw))
        if is_table(self.raw[start + 1 : end]):
            self.acc.mark(start, "heading")
            self.section, self.section_kind = "附件", "task"
            self.table(range(start + 1, end), before_kind="heading")
        else:
            for index in range(start, end):
                self.acc.mark(index, "appendix")
        if end < len(self.raw):
            self.web_tail(end)

    def table(self, indices: range, before_kind: str = "preamble") -> None:
        """Rows of a table flattened to text (one tab-led line per cell) as items."""
        cells: list[tuple[str, list[int]]] = []
        for index in indices:
            line = self.clean[index]
            if self.raw[index].startswith("\t"):
                cells.append((line, [index]))
            elif line and cells:
                cells[-1] = (join_text(cells[-1][0], line), cells[-1][1] + [index])
            elif line:
                if before_kind == "preamble":
                    self.preamble.append(index)
                self.acc.mark(index, before_kind)
        start = next((k for k, (text, _) in enumerate(cells) if text in TABLE_HEADERS), len(cells))
        header: list[str] = []
        while start + len(header) < len(cells) and cells[start + len(header)][0] in TABLE_HEADERS:
            header.append(cells[start + len(header)][0])
        for _, lines in cells[:start]:
            self._mark_cell(lines, before_kind)
        for _, lines in cells[start : start + len(header)]:
            self._mark_cell(lines, "table_header")
        body = cells[start + len(header) :]
        width = len(header) or 1
        whole = len(body) - len(body) % width
        for _, lines in body[whole:]:  # a row cut short: its cells fit no column
            self._mark_cell(lines, "unclassified")
        category = ""
        for r in range(0, whole if header else 0, width):
            row = list(zip(header, body[r : r + width]))
            self.table_row(row, category)
            category = next((text for h, (text, _) in row if ROLE_OF.get(h) == "category" and text), category)

    def table_row(self, row: list[tuple[str, tuple[str, list[int]]]], category: str) -> None:
        by_role = {ROLE_OF[h]: cell for h, cell in row if h in ROLE_OF}
        parts, lines = [], []
        for h, (text, cell_lines) in row:
            role = ROLE_OF.get(h, "other")
            self._mark_cell(cell_lines, CELL_KINDS.get(role, "item"))
            if role in ("name", "content") and text or role == "other" and text:
                parts.append((role, text if role != "other" else f"{h}：{text}"))
                lines += cell_lines
        parts.sort(key=lambda p: ("name", "content", "other").index(p[0]))
        text = ""
        for _, part in parts:
            text += part if not text or text.endswith(SENTENCE_ENDS) else "。" + part
        if not text:
            return
        cut = tail_start(text)
        self.acc.mark_tail(lines, visible(text[cut:]))
        text, tail_departments = split_departments(text)
        departments = DEPARTMENT_SPLIT_RE.split(by_role["departments"][0]) if "departments" in by_role else []
        category = by_role["category"][0] if by_role.get("category", ("",))[0] else category
        section, subsection = (self.section, category) if self.section == "附件" else (category, "")
        self.items.append(
            Item(
                section=section,
                subsection=subsection,
                number=by_role["number"][0] if "number" in by_role else "",
                text=text,
                departments=list(dict.fromkeys(d for d in departments + tail_departments if d)),
                headline=by_role["name"][0] if "name" in by_role else "",
            )
        )

    def _mark_cell(self, lines: list[int], kind: str) -> None:
        for index in lines:
            self.acc.mark(index, kind)

    def result(self) -> ParsedPlan:
        title = detect_title([self.clean[i] for i in self.preamble])
        for index in self.preamble:
            if title and self.clean[index] == title:
                self.acc.mark(index, "title")
        return ParsedPlan(title, self.items, self.acc)


def is_table(raw_lines: list[str]) -> bool:
    """Whether tab-led lines hold at least three table header names (a flattened table)."""
    headers = {line.strip() for line in raw_lines if line.startswith("\t")} & TABLE_HEADERS
    return len(headers) >= 3


def _table_first(parser: _Parser) -> bool:
    """A flattened table that comes before any heading, item or appendix line is the whole plan."""
    first = next((k for k, line in enumerate(parser.raw) if line.startswith("\t")), None)
    if first is None or not is_table(parser.raw):
        return False
    return not any(r.match(line) for line in parser.clean[:first] for r in (SECTION_RE, ITEM_RE, APPENDIX_RE))


def parse_plan(text: str) -> ParsedPlan:
    """Parse the full text of one plan into its title, items and accounting (see module doc)."""
    parser = _Parser(text)
    if _table_first(parser):
        parser.table(range(len(parser.raw)))
        if parser.items:
            return parser.result()
        parser = _Parser(text)
    parser.run()
    return parser.result()
