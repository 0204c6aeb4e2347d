"""Line patterns of the plan layouts the parser understands, and small text helpers.

Every pattern works on one line cleaned by :func:`clean_line` (Word artefacts
removed, whitespace runs folded to one space). The layouts themselves are listed
in :mod:`analysis.ingest.segment` and ``docs/ingest.md``.
"""

from __future__ import annotations

import re

CN_NUMERALS = "一二三四五六七八九十百零〇"
DIGIT = "0-9０-９"
#: ``一、…``, ``十二．…`` and ``第一部分 …`` top-level headings.
SECTION_RE = re.compile(rf"^(?:[{CN_NUMERALS}]+\s*[、．.]|第[{CN_NUMERALS}]+部分[\s、：:．.]*)\s*(?P<rest>.*)$")
SUBSECTION_RE = re.compile(rf"^(?P<num>[（(]\s*[{CN_NUMERALS}]+\s*[）)])\s*[、．.]?\s*(?P<rest>.*)$")
#: ``1.`` ``1、`` ``1．`` ``1）`` ``１．`` (full-width digits too), never ``5.12…``.
ITEM_RE = re.compile(rf"^(?P<num>[{DIGIT}]{{1,3}})\s*(?:[.、．]|[）)])(?![{DIGIT}])\s*(?P<rest>.*)$")
#: ``1.1`` style numbers (not a decimal quantity such as ``1.5万``).
DOTTED_ITEM_RE = re.compile(
    rf"^(?P<num>(?P<major>[{DIGIT}]{{1,2}})\s*[.．]\s*[{DIGIT}]{{1,2}})(?:\s*[.．、]|\s+|(?=[^{DIGIT}.．%‰万亿千百倍个元人次年月日]))\s*(?P<rest>.+)$"
)
POINT_RE = re.compile(rf"^(?P<num>[（(][{DIGIT}]{{1,3}}[）)]|[①-⑳])\s*(?P<rest>.*)$")
#: ``二是…`` opening a line continues the item of its ``一是…``.
ENUMERATION_RE = re.compile(rf"^[{CN_NUMERALS[1:]}]是")
#: A section heading of a look back at last year (its items get ``section_kind=review``).
REVIEW_RE = re.compile(r"(工作回顾|工作总结|回顾|主要成效|工作成效)")

ARTEFACT_RE = re.compile(r"\[bookmark:[^\]]*\]")
#: Whitespace as ``str.isspace`` sees it, plus the zero-width space (listed: faster than ``\\s``).
WHITESPACE_RE = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000]+")
#: Lines that end the plan body once items were found: web page tails, and attachments.
WEB_END_WORDS = ("相关链接", "扫一扫", "打印本页", "关闭窗口", "上一篇", "下一篇", "分享到")
WEB_END_RE = re.compile(rf"^({'|'.join(WEB_END_WORDS)}|【?打印】?$)")
APPENDIX_RE = re.compile(r"^附件\s*[0-9０-９]*\s*(?:[:：]|$)")
#: Web-page metadata lines, never plan text.
METADATA_WORDS = (
    "当前位置", "索引号", "发布机构", "组配分类", "主题分类", r"名称\s*[:：]", "文号", "成文日期", "发布日期", "生效日期",
    "废止日期", "阅读次数", r"来源\s*[:：]", "发布时间", r"【\s*字体", r"字体\s*[:：]", "责任编辑", "浏览次数", "信息来源",
)  # fmt: skip
METADATA_RE = re.compile(rf"^({'|'.join(METADATA_WORDS)})")
#: Issuer, date and publication-note lines (signatures), never plan text.
SIGNATURE_BODIES = ("委员会", "人民政府", "办公室", "卫生健康局", "卫生健康委", "卫健委")
SIGNATURE_RE = re.compile(
    rf"^([（(]此件.{{0,12}}[）)]$|\d{{4}}\s*年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日$|\S{{2,20}}({'|'.join(SIGNATURE_BODIES)})$)"
)
#: First characters of lines that may end the body or be metadata, last ones of signatures (a cheap test first).
END_OR_METADATA_FIRST = frozenset(w[0] for w in WEB_END_WORDS + METADATA_WORDS) | {"【", "附"}
SIGNATURE_LAST = frozenset(w[-1] for w in SIGNATURE_BODIES) | {"日", "）", ")"}
TITLE_KEYWORDS_RE = re.compile(r"(工作要点|工作计划|工作任务|工作安排|重点工作|业务目标|工作目标|目标任务|要点)")
TITLE_EXCLUDE_RE = re.compile(r"(通知|关于印发|[:：]|。$)")
DEPARTMENT_TAIL_RE = re.compile(
    r"[（(]\s*(?:责任|牵头|主办|配合|协办)(?:单位|科室|处室|部门|股室)\s*[:：;；]\s*"
    r"(?P<depts>[^（）()]*?)\s*[）)]\s*$"
)
DEPARTMENT_LABEL_RE = re.compile(r"(?:配合|协办|责任|牵头|主办)(?:单位|科室|处室|部门|股室)\s*[:：]")
DEPARTMENT_SPLIT_RE = re.compile(r"[、，,；;/\s]+")
SENTENCE_SPLIT_RE = re.compile(r"(?<=[。；;！？!?])")
SENTENCE_ENDS = ("。", "；", ";", "！", "？", "!", "?")
#: An item line ending so is complete; any other ending is continued by a following plain line.
COMPLETE_ENDS = SENTENCE_ENDS + ("）", ")", "：", ":", "”")
HEADLINE_MAX_CHARS = 30
HEADLINE_BREAKERS = re.compile(r"[，,；;：:]")
BRACKET_HEADLINE_RE = re.compile(r"^【(?P<lead>[^【】]{1,30})】")
HEADING_BREAKERS = re.compile(r"[，,；;：:。！？]")
FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９．", "0123456789.")

TABLE_ROLES = {
    "category": {"类别", "类型", "分类", "目标类别", "指标类别"},
    "number": {"序号", "编号"},
    "name": {"目标名称", "任务名称", "项目名称", "工作任务", "名称", "重点任务", "指标名称"},
    "content": {"目标内容", "任务内容", "具体内容", "工作内容", "主要内容", "目标任务", "工作目标", "工作措施"},
    "departments": {"责任单位", "牵头单位", "配合单位", "责任处室", "责任科室", "责任部门", "责任股室"},
}
TABLE_HEADERS = set().union(*TABLE_ROLES.values()) | {"目标值", "指标值", "年度目标", "完成时限", "备注"}


def clean_line(line: str) -> str:
    """Drop Word artefacts and fold whitespace runs to one space."""
    if "[bookmark" in line:
        line = ARTEFACT_RE.sub("", line)
    return WHITESPACE_RE.sub(" ", line).strip()


def visible(cleaned: str) -> int:
    """Characters of a cleaned line or item text (whitespace only as single spaces) that are not spaces."""
    return len(cleaned) - cleaned.count(" ")


def join_text(left: str, right: str) -> str:
    """Join two pieces of one paragraph; a space only between two Latin/digit ends."""
    if not left:
        return right
    if left[-1].isascii() and left[-1].isalnum() and right[:1].isascii() and right[:1].isalnum():
        return f"{left} {right}"
    return left + right


def join_parts(parts: list[str]) -> str:
    """:func:`join_text` over the lines of one paragraph, in linear time."""
    out: list[str] = []
    last = ""
    for part in parts:
        out.append(join_text(last, part)[len(last) :])
        last = out[-1][-1:] or last
    return "".join(out)


def split_sentences(text: str) -> list[str]:
    """Split item text into sentences/clauses on 。；！？ (punctuation kept)."""
    return [s.strip() for s in SENTENCE_SPLIT_RE.split(text) if s.strip()]


def detect_headline(text: str) -> str:
    """The short lead phrase an item opens with (``推动机构提档升级。…``, ``【强化党建】…``), else ``""``."""
    if match := BRACKET_HEADLINE_RE.match(text):
        return match["lead"].strip()
    first, sep, rest = text.partition("。")
    if not sep or not rest.strip() or len(first) > HEADLINE_MAX_CHARS or HEADLINE_BREAKERS.search(first):
        return ""
    return first.strip()


def heading_like(text: str) -> bool:
    """Short and without inner sentence punctuation: a heading (``传染病防控``), not an item."""
    core = text.rstrip("。：:")
    return len(core) <= HEADLINE_MAX_CHARS and not HEADING_BREAKERS.search(core)


def tail_start(text: str) -> int:
    """Index where a responsibility tail ``（责任科室：…）`` begins in ``text``, else ``len(text)``."""
    if not text.endswith(("）", ")")):
        return len(text)
    match = DEPARTMENT_TAIL_RE.search(text)
    return match.start() if match else len(text)


def department_names(tail: str) -> list[str]:
    """Department names of a tail (``（牵头单位：甲；配合单位：乙、丙）`` → 甲, 乙, 丙)."""
    match = DEPARTMENT_TAIL_RE.search(tail)
    depts = DEPARTMENT_LABEL_RE.sub("、", match["depts"] if match else tail)
    return list(dict.fromkeys(d for d in DEPARTMENT_SPLIT_RE.split(depts) if d))


def split_departments(text: str) -> tuple[str, list[str]]:
    """Remove a responsibility tail from ``text``; return ``(text, departments)``."""
    start = tail_start(text)
    if start == len(text):
        return text, []
    return text[:start].rstrip(), department_names(text[start:])


def detect_title(lines: list[str]) -> str:
    """The last title-like line (``2024年…工作要点``) among ``lines``, else ``""``."""
    for line in reversed(lines):
        if len(line) <= 50 and TITLE_KEYWORDS_RE.search(line) and not TITLE_EXCLUDE_RE.search(line):
            return line
    return ""


def half_width(number: str) -> str:
    """An item number with full-width digits made half-width (``１２`` → ``12``)."""
    return number.replace(" ", "") if number.isascii() else number.translate(FULLWIDTH_DIGITS).replace(" ", "")
