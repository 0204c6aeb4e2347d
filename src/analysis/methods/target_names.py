"""Self-contained indicator names: split 分别/各/均/依次 lists and complete fragments.

Works on the raw targets of one item text (dicts from
:func:`analysis.methods.targets.extract_targets` before their private ``_`` fields
are dropped). Two passes:

* :func:`split_lists` — ``家庭医生全人群、重点人群签约服务覆盖率分别达到39%、79%``
  becomes 家庭医生全人群签约服务覆盖率 (39%) and 家庭医生重点人群签约服务覆盖率
  (79%); ``A、B各1家`` / ``A、B均保持在99%`` become one row per listed thing.
  Shared words are found from the list itself: a short first member borrows the
  rest of the last (``省、市级示范村`` → 省级示范村), a shared ending (``全人群、
  重点人群…``) marks where the common tail starts, else the words of the members
  decide (longest known words from the shipped health terms and indicator qualifiers).
* :func:`complete_names` — a name that does not say what is measured borrows it
  from its neighbours: a bare measure (``比例``) from the previous target of the
  sentence (全人群接种比例), a bare modifier in a list (``普惠``, ``城区``) the head
  noun of the last member (普惠托育机构, 城区医疗急救圈), a clause that starts with
  its verb (``50%达到省提升标准``) the subject of the previous target, a bare count
  noun (``7项改革``) the first example named before it (改革（数字医学影像服务改革等）).

:func:`is_bare_name` is the check behind "indicator names always name the measured thing".
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from analysis.methods.indicators import QUALIFIERS, normalize_indicator

#: names that do not say what is measured on their own
BARE_NAMES = frozenset(
    """比例 占比 比率 率 覆盖率 人数 数量 改革 项目 任务 工作 活动 措施 普惠 公办 民办 城区 乡村 农村 城市 城镇
    全市 全区 全县 市级 区级 县级 省级 国家级 标准 机构""".split()
)
MEASURE_END_RE = re.compile(r"(?:率|数|量|度|比例|占比|水平|指数|时间|人次|经费|标准|金额|面积)$")
LIST_SPLIT_RE = re.compile(r"、|和|及|与")
_SPLIT_WORDS_RE = re.compile(r"分别|依次")
_EACH_RE = re.compile(r"(?<![人平])(?:各|均)(?=[^、，]{0,6}$)")
_GENERIC_COUNT_NOUNS = ("改革", "项目", "任务", "工作", "活动", "措施")
_VERB_LEAD_RE = re.compile(r"^(达到|完成|实现|开展|建成)")
_STRAY_QUOTES = "“”\"'"


def is_bare_name(indicator: str) -> bool:
    """True when ``indicator`` alone does not name the measured thing (``比例``, ``城区``, ``改革``, a stray quote mark)."""
    name = str(indicator).strip()
    return len(name) <= 1 or name.strip(_STRAY_QUOTES) in BARE_NAMES or name.count("“") != name.count("”")


@cache
def _vocabulary() -> frozenset[str]:
    """Known words for splitting list members: the shipped health terms and the indicator qualifiers."""
    lines = (files("analysis") / "data" / "health_terms.txt").read_text(encoding="utf-8").splitlines()
    terms = {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}
    return frozenset(terms | {t for words in QUALIFIERS.values() for t in words.split()})


def _words(text: str) -> list[str]:
    """``text`` cut into known words (longest first, :func:`_vocabulary`); unknown runs stay together."""
    vocab, longest = _vocabulary(), 8
    words, unknown, i = [], "", 0
    while i < len(text):
        match = next((text[i : i + n] for n in range(min(longest, len(text) - i), 1, -1) if text[i : i + n] in vocab), None)
        if match:
            words += [unknown, match] if unknown else [match]
            unknown, i = "", i + len(match)
        else:
            unknown, i = unknown + text[i], i + 1
    return words + ([unknown] if unknown else [])


def expand_members(parts: list[str]) -> list[str]:
    """Self-contained names for the members of a list that shares words (see the module docstring).

    >>> expand_members(["二级", "三级医院预约诊疗率"])
    ['二级医院预约诊疗率', '三级医院预约诊疗率']
    """
    if all("“" in p for p in parts):  # “美丽医院”、“美丽村卫生室”: names in quotes stand alone
        return [re.search(r"“([^”]*)”?", p).group(1) for p in parts]
    first, last = normalize_indicator(parts[0]), parts[-1]
    if all(MEASURE_END_RE.search(p) for p in parts):
        return parts
    prefix = ""
    if len(first) <= 2:
        suffix = last[len(first) :]
    else:
        for k in range(min(len(first), 4), 0, -1):
            j = last.find(first[-k:], 0, len(last) - 1)
            if j >= 0 and j + k < len(last):
                suffix = last[j + k :]
                head = _words(first[:-k])
                prefix = "".join(head[:-1]) if len(head) > 1 else ""
                break
        else:
            words = _words(last)
            suffix = "".join(words[1:])
            head = _words(first)
            prefix = "".join(head[:-1]) if len(head) > 1 else ""
    names = [prefix + first.removeprefix(prefix) + suffix] + [prefix + p + suffix for p in parts[1:-1]]
    return names + [prefix + last]


def _members(indicator: str) -> list[str]:
    return [p for p in LIST_SPLIT_RE.split(indicator) if p]


def split_lists(targets: list[dict]) -> list[dict]:
    """Targets with 分别/依次 runs and 各/均 values split into one self-contained row per listed thing."""
    out: list[dict] = []
    i = 0
    while i < len(targets):
        t = targets[i]
        run = [t]
        while i + len(run) < len(targets) and targets[i + len(run)]["indicator"] == t["indicator"] and targets[i + len(run)]["_clause"] == t["_clause"]:
            run.append(targets[i + len(run)])
        parts = _members(t["indicator"])
        between = t["_before"]
        if len(run) > 1 and len(parts) == len(run) and _SPLIT_WORDS_RE.search(between):
            out.extend({**r, "indicator": name} for r, name in zip(run, expand_members(parts)))
        elif len(run) == 1 and "各" in t["indicator"] and len(_members(t["indicator"].split("各")[0])) > 1:
            left, rest = t["indicator"].split("各", 1)
            tail = rest + ("比例" if t["unit"] == "%" and not MEASURE_END_RE.search(rest) else "")
            out.extend({**t, "indicator": name + tail} for name in expand_members(_members(left)))
        elif len(run) == 1 and len(parts) > 1 and _EACH_RE.search(between):
            out.extend({**t, "indicator": name} for name in expand_members(parts))
        else:
            out.extend(run)
        i += len(run)
    return out


def _balanced(name: str) -> str:
    """``name`` without quote marks when they do not pair up (``医疗急救圈”`` → 医疗急救圈)."""
    return name.strip(_STRAY_QUOTES) if name.count("“") != name.count("”") else name


def complete_names(targets: list[dict]) -> list[dict]:
    """Targets whose bare or fragmentary names borrow the measured thing from their neighbours (in place)."""
    for k, t in enumerate(targets):
        name = _balanced(t["indicator"])
        prev = targets[k - 1] if k and targets[k - 1]["_sentence"] == t["_sentence"] else None
        nxt = targets[k + 1] if k + 1 < len(targets) and targets[k + 1]["_clause"] == t["_clause"] else None
        verb, core = _VERB_LEAD_RE.match(name), normalize_indicator(name)
        if name in ("比例", "占比", "比率", "覆盖率") and prev:
            name = MEASURE_END_RE.sub("", re.sub(r"人数$", "", prev["indicator"])) + name
        elif (core in BARE_NAMES or len(core) <= 2) and nxt is not None:
            head, following = nxt["_after"].strip(_STRAY_QUOTES), normalize_indicator(_balanced(nxt["indicator"]))
            if not t["_after"] and head and len(nxt["_before_clean"]) <= 3:  # 城区15分钟、乡村30分钟医疗急救圈
                name, nxt["indicator"] = name + head, nxt["_before_clean"] + head
            elif len(following) > len(core) + 1:  # 29所普惠、7所公办托育机构
                name += following[len(core) :]
        elif prev and verb and verb.group() in prev["indicator"]:  # …达到推荐标准，50%达到省提升标准
            name = prev["indicator"].split(verb.group(), 1)[0] + name
        elif name in _GENERIC_COUNT_NOUNS:  # 完成“甲改革”“乙”等7项改革
            example = re.search(r"“([^”]+)”(?:“[^”]+”|、)*等$", t["_before"].strip())
            name = f"{name}（{example.group(1)}等）" if example else name
        t["indicator"] = name
    return targets
