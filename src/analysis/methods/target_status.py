"""Whether a number in a plan is a commitment (``target``), a result (``achieved``) or a starting level (``baseline``).

Rule, in order:

1. ``achieved`` — the item is in a review or summary section (``section_kind=review``);
2. ``baseline`` — the clause before the value says it is the current level:
   基数, 现有, 目前, 现状, 当前, 截至目前, 截至2023年底 …;
3. ``achieved`` — the clause carries a past-tense marker: 已/已经 + verb
   (已建成, 已达到, 已完成 …), a verb + 了 (完成了, 实现了, 达到了 …), 去年/上年/一年来,
   or a year before the plan's year that is not a base of comparison
   (``2023年全市完成…`` in a 2024 plan; not ``比2020年提升`` or ``较2023年增长``);
4. ``target`` otherwise.

:data:`STATUSES` lists the values.
"""

from __future__ import annotations

import re

STATUSES = ("target", "achieved", "baseline")

BASELINE_RE = re.compile(r"基数|现有|目前|现状|当前|截至(?:目前|\d{4}年)|截止(?:目前|\d{4}年)")
_PAST_VERBS = "达到|达|建成|完成|实现|覆盖|超过|开展|举办|培训|签约|接种|创建|获批|提高|提升|下降|降至|新增|增加|累计|投入|建立"
PAST_RE = re.compile(rf"已(?:经)?(?:{_PAST_VERBS})|(?:{_PAST_VERBS})了(?!解)|(?<![比较])(?:去年|上年度?|上一年)|一年来|过去一年")
YEAR_RE = re.compile(r"(?<![\d—\-~～至到])(\d{4})年(?![\d—\-~～]|度?(?:基础|水平)|底前|前|以前)")
_BASE_YEAR_BEFORE_RE = re.compile(r"(?:比|较|与|同|在|相比|对比|到|至|力争)\s*$")


def _past_year(clause: str, year: int | None) -> bool:
    """Whether ``clause`` names a year before ``year`` as the time of the result (not as a base of comparison)."""
    if year is None:
        return False
    for m in YEAR_RE.finditer(clause):
        if int(m.group(1)) < year and not _BASE_YEAR_BEFORE_RE.search(clause[: m.start()]):
            return True
    return False


def target_status(clause_before: str, clause: str, year: int | None = None, section_kind: str = "task") -> str:
    """Status of a value: ``clause_before`` is its clause up to the value, ``clause`` the whole clause.

    ``year`` is the plan's year (None: past years are not checked); ``section_kind``
    the item's section kind (``review`` or ``task``; empty counts as ``task``).
    """
    if section_kind == "review":
        return "achieved"
    if BASELINE_RE.search(clause_before):
        return "baseline"
    if PAST_RE.search(clause) or _past_year(clause_before, year):
        return "achieved"
    return "target"
