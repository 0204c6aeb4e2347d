"""Split the text of one work plan into its sections and plan items.

``parse_plan(text, doc_id)`` returns a :class:`ParsedPlan` with the detected
title and a list of :class:`Item` records. It understands the layouts local
health plans are published in:

* top-level sections ``一、…`` with optional sub-sections ``（一）…``;
* numbered items ``1.`` / ``1、`` / ``1．`` / ``1）`` with sub-points ``（1）`` / ``①``
  folded into their item;
* sub-sections that carry the item text on the same line
  (``（一）推动机构提档升级。启动实施…``);
* unnumbered paragraphs directly under a section, one item each;
* a flattened table (cells on lines that start with a tab, a header row such as
  ``类别 / 序号 / 目标名称 / 目标内容``): one item per row, grouped by its category;
* responsibility tails ``（责任科室：…）`` / ``（责任处室：…）`` / ``（牵头单位：…）``.

Everything before the first heading or item (issuing notices, web navigation,
the plan's own introduction) and web or Word artefacts (``扫一扫…``, ``相关链接``,
``[bookmark: …]``, signatures, whitespace runs) never become items.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CN_NUMERALS = "一二三四五六七八九十百零〇"
SECTION_RE = re.compile(rf"^[{CN_NUMERALS}]+\s*[、．.]\s*(?P<rest>.*)$")
SUBSECTION_RE = re.compile(rf"^(?P<num>[（(]\s*[{CN_NUMERALS}]+\s*[）)])\s*[、．.]?\s*(?P<rest>.*)$")
ITEM_RE = re.compile(r"^(?P<num>\d{1,3})\s*(?:[.、．]|[）)])(?!\d)\s*(?P<rest>.*)$")
POINT_RE = re.compile(r"^(?P<num>[（(]\d{1,3}[）)]|[①-⑳])\s*(?P<rest>.*)$")

ARTEFACT_RE = re.compile(r"\[bookmark:[^\]]*\]")
WHITESPACE_RE = re.compile(r"[ \t\u3000\xa0\u2002\u2003\u200b]+")
#: Lines that end the plan once items were found (web page and attachment tails).
END_RE = re.compile(r"^(相关链接|扫一扫|附件\s*\d*\s*[:：]|打印本页|关闭窗口|上一篇|下一篇|【?打印】?$|分享到)")
#: Lines that are never plan text: web navigation and metadata, signatures, dates.
BOILERPLATE_RE = re.compile(
    r"^(当前位置|索引号|发布机构|组配分类|主题分类|名称\s*[:：]|文号|成文日期|发布日期|生效日期|废止日期|"
    r"阅读次数|来源\s*[:：]|发布时间|【\s*字体|字体\s*[:：]|责任编辑|浏览次数|信息来源|"
    r"[（(]此件.{0,12}[）)]$|\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日$|"
    r"\S{2,20}(委员会|人民政府|办公室|卫生健康局|卫生健康委|卫健委)$)"
)
TITLE_KEYWORDS_RE = re.compile(r"(工作要点|工作计划|工作任务|工作安排|重点工作|业务目标|工作目标|目标任务|要点)")
TITLE_EXCLUDE_RE = re.compile(r"(通知|关于印发|[:：]|。$)")
DEPARTMENT_TAIL_RE = re.compile(
    r"[（(]\s*(?:责任科室|责任处室|责任单位|责任部门|牵头单位|牵头科室|牵头处室)\s*[:：;；]\s*"
    r"(?P<depts>[^（）()]*?)\s*[）)]\s*$"
)
DEPARTMENT_LABEL_RE = re.compile(r"(?:配合|协办|责任|牵头)(?:单位|科室|处室|部门)\s*[:：]")
DEPARTMENT_SPLIT_RE = re.compile(r"[、，,；;/\s]+")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[。；;！？!?])")
SENTENCE_ENDS = ("。", "；", ";", "！", "？", "!", "?")
HEADLINE_MAX_CHARS = 30
HEADLINE_BREAKERS = re.compile(r"[，,；;：:]")

TABLE_ROLES = {
    "category": {"类别", "类型", "分类", "目标类别"},
    "number": {"序号", "编号"},
    "name": {"目标名称", "任务名称", "项目名称", "工作任务", "名称", "重点任务"},
    "content": {"目标内容", "任务内容", "具体内容", "工作内容", "主要内容", "目标任务", "工作目标", "工作措施"},
    "departments": {"责任单位", "牵头单位", "责任处室", "责任科室", "责任部门"},
}
TABLE_HEADERS = set().union(*TABLE_ROLES.values())


@dataclass
class Item:
    """One plan item. ``text`` has no numbering and no responsibility tail."""

    section: str
    subsection: str
    number: str
    text: str
    departments: list[str] = field(default_factory=list)
    headline: str = ""

    @property
    def n_chars(self) -> int:
        """Characters of ``text``, not counting whitespace."""
        return len(WHITESPACE_RE.sub("", self.text))


@dataclass
class ParsedPlan:
    """Result of :func:`parse_plan`: the detected title and the items in order."""

    title: str
    items: list[Item]


def clean_line(line: str) -> str:
    """Drop Word artefacts and fold whitespace runs to one space."""
    return WHITESPACE_RE.sub(" ", ARTEFACT_RE.sub("", line)).strip()


def join_text(left: str, right: str) -> str:
    """Join two pieces of one paragraph; a space only between two Latin/digit ends."""
    if not left:
        return right
    if left[-1].isascii() and left[-1].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def split_sentences(text: str) -> list[str]:
    """Split item text into sentences/clauses on 。；！？ (punctuation kept)."""
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text) if s.strip()]


def detect_headline(text: str) -> str:
    """The short lead phrase an item opens with (``推动机构提档升级。…``), else ``""``."""
    first, sep, rest = text.partition("。")
    if not sep or not rest.strip() or len(first) > HEADLINE_MAX_CHARS or HEADLINE_BREAKERS.search(first):
        return ""
    return first.strip()


def split_departments(text: str) -> tuple[str, list[str]]:
    """Remove a responsibility tail from ``text``; return ``(text, departments)``."""
    match = DEPARTMENT_TAIL_RE.search(text)
    if not match:
        return text, []
    depts = DEPARTMENT_LABEL_RE.sub("、", match["depts"])
    names = [d for d in DEPARTMENT_SPLIT_RE.split(depts) if d]
    return text[: match.start()].rstrip(), list(dict.fromkeys(names))


def detect_title(lines: list[str]) -> str:
    """The last title-like line (``2024年…工作要点``) among ``lines``, else ``""``."""
    for line in reversed(lines):
        if len(line) <= 50 and TITLE_KEYWORDS_RE.search(line) and not TITLE_EXCLUDE_RE.search(line):
            return line
    return ""


def _finish(item: Item | None, items: list[Item]) -> None:
    if item is None:
        return
    text, depts = split_departments(item.text.strip())
    if not text:
        return
    item.text = text
    item.departments = depts
    item.headline = detect_headline(text)
    items.append(item)


def _is_table(raw_lines: list[str]) -> bool:
    headers = {line.strip() for line in raw_lines if line.startswith("\t")} & TABLE_HEADERS
    return len(headers) >= 3


def parse_table(raw_lines: list[str]) -> ParsedPlan:
    """Parse a table flattened to text: one cell per tab-led line, rows after a header row."""
    cells: list[str] = []
    before: list[str] = []
    for raw in raw_lines:
        line = clean_line(raw)
        if raw.startswith("\t"):
            cells.append(line)
        elif line and cells:
            cells[-1] = join_text(cells[-1], line)
        elif line:
            before.append(line)
    start = next((i for i, c in enumerate(cells) if c in TABLE_HEADERS), None)
    if start is None:  # the header words were continued by untabbed lines: no header row
        return ParsedPlan(title=detect_title(before), items=[])
    header: list[str] = []
    while start + len(header) < len(cells) and cells[start + len(header)] in TABLE_HEADERS:
        header.append(cells[start + len(header)])
    roles = {name: role for role, names in TABLE_ROLES.items() for name in names}
    body = cells[start + len(header) :]
    items: list[Item] = []
    category = ""
    for r in range(0, len(body) - len(header) + 1, len(header)):
        row = dict(zip(header, body[r : r + len(header)]))
        by_role = {roles[h]: v for h, v in row.items() if h in roles}
        category = by_role.get("category") or category
        name = by_role.get("name", "")
        parts = [name] if name else []
        parts += [by_role["content"]] if by_role.get("content") else []
        parts += [f"{h}：{v}" for h, v in row.items() if h not in roles and v]
        text = ""
        for part in parts:
            text += part if not text or text.endswith(SENTENCE_ENDS) else "。" + part
        if not text:
            continue
        depts = DEPARTMENT_SPLIT_RE.split(by_role.get("departments", ""))
        text, tail_depts = split_departments(text)
        items.append(
            Item(
                section=category,
                subsection="",
                number=by_role.get("number", ""),
                text=text,
                departments=list(dict.fromkeys(d for d in depts + tail_depts if d)),
                headline=name,
            )
        )
    return ParsedPlan(title=detect_title(before), items=items)


def parse_plan(text: str) -> ParsedPlan:
    """Parse the full text of one plan into its title and items (see module doc)."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if _is_table(raw_lines) and (table := parse_table(raw_lines)).items:
        return table
    items: list[Item] = []
    preamble: list[str] = []
    section = subsection = ""
    current: Item | None = None
    started = False
    for raw in raw_lines:
        line = clean_line(raw)
        if not line:
            continue
        if END_RE.match(line) and (items or current):
            break
        if BOILERPLATE_RE.match(line):
            continue
        if m := SECTION_RE.match(line):
            _finish(current, items)
            current, started, subsection = None, True, ""
            head, sep, rest = line.partition("。")
            section = head if sep and rest.strip() else line.rstrip("。")
            if sep and rest.strip():
                current = Item(section, subsection, "", rest.strip())
        elif m := SUBSECTION_RE.match(line):
            _finish(current, items)
            current, started = None, True
            if detect_headline(m["rest"]):
                current = Item(section, "", m["num"], m["rest"])
            else:
                subsection = line.rstrip("。")
        elif (m := ITEM_RE.match(line)) or (current is None and (m := POINT_RE.match(line))):
            _finish(current, items)
            started = True
            current = Item(section, subsection, m["num"], m["rest"])
        elif not started:
            preamble.append(line)
        elif current is not None and current.number:
            current.text = join_text(current.text, line)
        elif line.endswith(("：", ":")):
            continue
        else:
            _finish(current, items)
            current = Item(section, subsection, "", line)
    _finish(current, items)
    return ParsedPlan(title=detect_title(preamble), items=items)
