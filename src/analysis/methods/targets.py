"""Quantitative targets: every measurable commitment in the plan items.

:func:`extract_targets` reads one item text and returns its targets: a number
written in digits with a unit (``75%``, ``40/10万``, ``4.5个``, ``30分钟``, ``79元``),
a ratio (``1:80``), a range (``1-2个``, ``80元-200元/人/天``) or a zero target
(``零死亡``), each with the measured ``indicator`` (a short phrase from the text),
``comparator`` (``≥``, ``≤``, ``increase``, ``=``), ``deadline`` (``2021年底``,
``12月底前``, ``年内``) and the exact ``quote``. Not targets: ages and population
qualifiers (65岁以上), years and year spans (2023-2025年), dates, document and
telephone numbers (no unit), ordinals (第五届, 第36个), names and slogans (“7个一律”,
5.12国际护士节, 3+X, 10大项目), counts describing a programme's structure
(健康青岛16项行动, 5个专项行动, 20条措施) and consolidated past results
(巩固…12个…建设成果). Numbers after ``标杆值`` (qingdao-2021's benchmark city) are
kept but flagged ``is_benchmark``.

``python -m analysis targets`` writes ``targets.csv`` (one row per target, with
``indicator_key`` from :mod:`analysis.methods.indicators` and the item's theme when
``item_themes.csv`` exists) and ``indicator_suggestions.csv``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from analysis.ingest.segment import SENTENCE_ENDS
from analysis.methods.indicators import IndicatorMatcher, load_synonyms, normalize_indicator
from analysis.methods.numerals import CN_NUM, DOUBLINGS, chinese_to_number
from analysis.methods.target_names import complete_names, split_lists
from analysis.methods.target_status import target_status
from analysis.store import read_table, write_tables

TARGET_COLUMNS = [
    "doc_id", "item_id", "indicator", "indicator_key", "value", "value_num", "unit", "comparator",
    "deadline", "status", "quote", "is_benchmark", "theme_id", "theme_label",
]  # fmt: skip
SUGGESTION_COLUMNS = ["indicator_key", "suggested_key", "matched_variant", "similarity", "score", "n_targets"]

RATE_UNITS = ["个百分点", "%", "％", "‰", "/10万", "/万"]
TIME_UNITS = ["分钟", "小时", "个工作日", "工作日", "天"]
#: counted things; each may carry a 万/亿 prefix (万人次, 万张, 亿元); 岁 only after a comparator (预期寿命达到80岁)
COUNT_UNITS = "人次 场次 个 家 所 座 人 名 元 项 件 支 次 种 张 床 条 台 辆 套 场 期 户 份 倍 例 分 级 岁 管".split()
#: units a value in Chinese numerals may carry (新增三个, 四级以上)
CN_UNITS = "个 家 所 项 名 支 种 条 级 倍 座 批".split()
_UNIT = "|".join(
    [re.escape(u) for u in sorted(RATE_UNITS + TIME_UNITS, key=len, reverse=True)]
    + [f"[万亿]?(?:{'|'.join(sorted(COUNT_UNITS, key=len, reverse=True))})", "[万亿]"]
)
_NUM = r"\d+(?:\.\d+)?"
TOKEN_RE = re.compile(
    rf"(?<![\d.])(?:(?P<ratio>\d+\s*[:：]\s*\d+)|(?P<range>{_NUM}(?P<inner>{_UNIT})?\s*[-—–~～]\s*{_NUM})|(?P<num>{_NUM})"
    rf"|(?P<zero>零)(?=死亡|发生|事故|感染|病例|伤亡)|(?P<double>翻[一两三]番)|(?P<cheng>{CN_NUM})成(?![为果效立绩本员])"
    rf"|(?P<cn>{CN_NUM})(?=(?:{'|'.join(CN_UNITS)})))"
    rf"(?:\s?(?P<unit>(?:{_UNIT})(?:/(?:人|天|日|月|周|年|次|例))*))?(?P<suffix>及以上|以上|以下|以内|之内|内|左右)?"
)
CLAUSE_RE = re.compile(r"[，。；;！？!?：\n]|,(?!\d)|(?<!\d):(?!\d)")
SENTENCE_RE = re.compile(f"[{re.escape(''.join(SENTENCE_ENDS))}\n]")  # the sentences of sentences.csv
DEADLINE_RE = re.compile(r"到?\d{4}年(?:\d{1,2}月)?底前?|(?:到|至)\d{4}年|\d{4}年(?:前|以前)|\d{1,2}月底前?|年底前|年内")
#: a clause that is only a time (到2025年，…): its deadline holds for the rest of the sentence
LEAD_DEADLINE_RE = re.compile(rf"^\s*(?:力争|争取)?(?:{DEADLINE_RE.pattern}|\d{{4}}年)\s*$")
#: a value without a unit that is still a target: an index or score (健康浙江发展指数达85)
INDEX_BEFORE_RE = re.compile(r"(?:指数|满意度|评分|得分)(?:分别|均)?(?:达到|达|为|不低于|提高到|提升到|保持在)$")
#: words that must come right before a value in Chinese numerals (新增三个, 达到四级以上)
CN_BEFORE_RE = re.compile(r"(?:达到|达|不少于|不低于|至少|新增|新建|建成|创建|培育|增加|增至|提高到|提升到|超过|再建|打造|建设)(?:了)?$")
STRUCTURE_RE = re.compile(r"行动|措施")
PAST_RE = re.compile(r"巩固|深化")
BENCHMARK_RE = re.compile(r"标杆值|标杆城市")

#: comparator words that end the text before a value (``不低于15%``, ``分别达40%``)
_BEFORE_GE = r"不少于|不低于|至少有?|达到|达|提高到|提高至|提升到|提升至|超过|高于|保持在|维持在|增加到|为"
_BEFORE_LE = r"控制在|不超过|不高于|(?<!不)低于|降至|降到|降低到|下降到|降低至|压缩至|压缩到|缩短至|缩短到|减少至|减少到"
_BEFORE_INC = r"增长|再增|增加|提高|提升"
_TAIL_RE = re.compile(
    rf"(?:(?:分别|(?<!平)均|各)?(?:持续)?(?:{_BEFORE_LE}|{_BEFORE_GE}|{_BEFORE_INC})|[在比较]\d{{4}}\s*年(?:基础上)?|保持|各|的|分别|(?<!平)均)$"
)
_COMPARATOR_BEFORE = [
    ("≤", re.compile(rf"(?:{_BEFORE_LE})(?:分别|均)?$")),
    ("≥", re.compile(rf"(?:{_BEFORE_GE.replace('|为', '')})(?:分别|均)?$")),
]
_INCREASE_BEFORE = re.compile(rf"(?:{_BEFORE_INC})$")
_ASPIRATION_RE = re.compile(r"力争|争取")
#: scope and modality words dropped from the start of a displayed indicator
_LEAD_RE = re.compile(r"^(?:[、和及与“]|全力构建|全力|(?:到|至)?\d{4}年(?:\d{1,2}月)?[底末]?前?|全市|全区|全县|我市|我区|年内|到年底前|力争|确保|推动|推进|实现|争取|积极|持续|继续|进一步|全面|加快|其中|同时|并|按)")
_FOLLOW_TAIL_RE = re.compile(r"(?:等项目建设|建设取得实效|取得实效|建设)$")
_DELTA_RE = re.compile(r"(?:新增|新建|新创建|再创建|增加)$")
_LIST_JOINERS = "、和及与"


def _bounds(pattern: re.Pattern, text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end of the clause/sentence of ``text`` holding ``text[start:end]``."""
    left = max((m.end() for m in pattern.finditer(text, 0, start)), default=0)
    right = next((m.start() for m in pattern.finditer(text, end)), len(text))
    return left, right


def _in_short_quote(text: str, start: int, limit: int = 8) -> bool:
    """True when position ``start`` sits inside a quotation “…” of at most ``limit`` characters (a name)."""
    opening = text.rfind("“", 0, start)
    if opening < 0 or text.rfind("”", opening, start) >= 0:
        return False
    closing = text.find("”", start)
    return closing >= 0 and closing - opening - 1 <= limit


def _is_target(text: str, m: re.Match) -> bool:
    """Whether a number token is a target (see the module docstring for what is not)."""
    start, end = m.start(), m.end()
    c_start, c_end = _bounds(CLAUSE_RE, text, start, end)
    if m["cn"] or m["cheng"]:
        if not CN_BEFORE_RE.search(text[c_start:start]) and not (m["cheng"] and _INCREASE_BEFORE.search(text[c_start:start])):
            return False  # 三年行动, 两个维护: Chinese numerals are targets only right after a target verb
        if m["unit"] == "级" and not m["suffix"]:
            return False  # 创建三级医院: a grade in a name, not a level to reach (四级以上 is)
    elif not (m["unit"] or m["ratio"] or m["zero"] or m["double"]):
        return bool(m["num"]) and bool(INDEX_BEFORE_RE.search(text[c_start:start].strip()))  # else years, phone numbers, 5.12

    if text[start - 1 : start] == "第" or "+" in text[start - 1 : start] + text[end : end + 1] or "＋" in text[start - 1 : end + 1]:
        return False
    if _in_short_quote(text, start):
        return False
    if m["unit"] and m["unit"].endswith("岁") and not any(p.search(text[c_start:start]) for _, p in _COMPARATOR_BEFORE):
        return False  # an age qualifier (65岁以上老年人), not a target
    after = re.split(r"[、]", text[end:c_end], maxsplit=1)[0]
    if m["unit"] and m["unit"] not in RATE_UNITS + TIME_UNITS and STRUCTURE_RE.search(after):
        return False
    return not ("成果" in text[end:c_end] and PAST_RE.search(text[c_start:start]))


def _value(m: re.Match) -> tuple[str, float]:
    """The value in digits and its numeric form (ratio a:b → b/a, range → lower end, 零 → 0, 两成 → 20, 翻一番 → 100)."""
    if m["zero"]:
        return "零", 0.0
    if m["double"] or m["cheng"]:
        number = DOUBLINGS[m["double"]] if m["double"] else 10 * chinese_to_number(m["cheng"])
        return f"{number:g}", number
    if m["cn"]:
        number = chinese_to_number(m["cn"])
        return f"{number:g}", number
    if m["ratio"]:
        a, b = (float(x) for x in re.split(r"\s*[:：]\s*", m["ratio"]))
        return m["ratio"], b / a if a else float("nan")
    written = m["range"] + (m["inner"] or "") if m["range"] else m["num"]  # 80元-200元 keeps both units
    return written, float(re.match(_NUM, written).group())


def _clean_before(text: str) -> str:
    """The text before a value minus comparator words and leading scope words."""
    text = text.strip()
    while True:
        new = _LEAD_RE.sub("", _TAIL_RE.sub("", text)).strip()
        if new == text:
            break
        text = new
    if len(text) > 24 and "的" in text:
        text = text[text.rindex("的") + 1 :]
    return text


def _comparator(before: str, suffix: str, unit: str, sentence_before: str) -> str | None:
    """Comparator from the words around a value; None when nothing says (caller decides)."""
    if suffix in ("以下", "以内", "之内", "内"):
        return "≤"
    if unit == "个百分点" or (unit in RATE_UNITS and _INCREASE_BEFORE.search(before)):
        return "increase"
    for symbol, pattern in _COMPARATOR_BEFORE:
        if pattern.search(before):
            return symbol
    if suffix in ("以上", "及以上") or _ASPIRATION_RE.search(sentence_before):
        return "≥"
    if unit in TIME_UNITS:
        return "≤"
    return None


def _deadline(text: str, clause: tuple[int, int], s_start: int, start: int, year: int | None) -> str:
    """The deadline of the value at ``start``: from its own clause, else from a clause of the same
    sentence that opens with a time (``到2025年，…``, ``年内不低于…，…``); never from another sentence."""
    c_start, c_end = clause
    own = list(DEADLINE_RE.finditer(text, c_start, c_end))
    if own:
        before = [d for d in own if d.start() < start]
        return (before[-1] if before else own[0]).group()
    lead = re.match(r"\s*(?:力争|争取)?(\d{4})年(?=[^年底前内]|$)", text[c_start:start])
    if lead and year is not None and int(lead.group(1)) >= year:
        return lead.group().strip().removeprefix("力争").removeprefix("争取")
    for m in reversed(list(CLAUSE_RE.finditer(text, s_start, c_start))):
        nxt = CLAUSE_RE.search(text, m.end())
        opening = text[m.end() : nxt.start() if nxt else len(text)]
        found = DEADLINE_RE.match(re.sub(r"^(?:力争|争取)?到?(?=年)", "", opening.strip()))
        if found:
            return found.group()
    first = DEADLINE_RE.match(text[s_start:c_start].strip())
    return first.group() if first else ""


def extract_targets(text: str, year: int | None = None, section_kind: str = "task") -> list[dict]:
    """All quantitative values of one item ``text``, in order of appearance.

    Each is a dict with ``indicator, value, value_num, unit, comparator,
    deadline, status, quote, is_benchmark``; ``quote`` is an exact substring of
    ``text``. ``year`` (the plan's year) and ``section_kind`` (``review``/``task``)
    decide ``status`` (:mod:`analysis.methods.target_status`). Values written as a
    分别/各/均 list give one row per listed thing (:mod:`analysis.methods.target_names`).
    """
    tokens = [m for m in TOKEN_RE.finditer(text) if _is_target(text, m)]
    targets: list[dict] = []
    for k, m in enumerate(tokens):
        start, end = m.start(), m.end()
        unit = "%" if m["double"] or m["cheng"] else (m["unit"] or "").replace("％", "%")
        suffix = m["suffix"] or ""
        if suffix == "内" and unit not in TIME_UNITS:
            suffix, end = "", end - 1
        c_start, c_end = _bounds(CLAUSE_RE, text, start, end)
        s_start, _ = _bounds(SENTENCE_RE, text, start, end)
        prev = targets[-1] if targets and targets[-1]["_end"] > c_start else None
        same_sentence = targets[-1] if targets and targets[-1]["_end"] > s_start else None
        seg_start = prev["_end"] if prev else c_start
        before = text[seg_start:start]
        # the phrase after the value: up to the clause end, the next target, or a 、 that leads to one
        stop = c_end
        if k + 1 < len(tokens) and tokens[k + 1].start() < c_end:
            stop = tokens[k + 1].start()
            comma = text.rfind("、", end, stop)
            stop = comma if comma >= 0 else stop
        follow = "" if text[end : end + 1] in _LIST_JOINERS else text[end:stop]
        if unit not in RATE_UNITS and len(follow.split("、", 1)[0]) >= 4:
            follow = follow.split("、", 1)[0]  # 2支援外医疗队、第八批…: the counted thing ends at the list mark
        follow_clean = _FOLLOW_TAIL_RE.sub("", follow.strip().lstrip("的"))
        before_clean = _clean_before(before)
        rate_like = unit in RATE_UNITS or bool(m["zero"])
        uses_before = not follow_clean or (rate_like and not follow.startswith("的"))
        if not follow_clean:
            indicator = before_clean
        elif rate_like:
            indicator = before_clean + follow_clean if uses_before else follow_clean
        else:
            delta = _DELTA_RE.search(before.strip())
            indicator = (delta.group() if delta else "") + follow_clean
        q_start = seg_start + before.rfind(before_clean) if uses_before and before_clean else start
        q_end = end + len(follow.rstrip()) if follow_clean else end
        is_continuation = prev is not None and before.strip(_LIST_JOINERS + " ") == ""
        source = prev if is_continuation else same_sentence if not indicator else None
        if source:
            indicator = indicator or source["indicator"]
            q_start = source["_quote_start"]
            before = source["_before"] if is_continuation else before
        comparator = "increase" if m["double"] else _comparator(before.strip(), suffix, unit, text[s_start:start])
        if comparator is None:
            in_list = prev is not None and text[seg_start:start].lstrip().startswith("、")
            inherit = in_list or (same_sentence is not None and not before_clean and same_sentence["unit"] == unit)
            comparator = same_sentence["comparator"] if inherit and same_sentence else "="
        value, value_num = _value(m)
        targets.append(
            {
                "indicator": indicator,
                "value": value,
                "value_num": value_num,
                "unit": unit,
                "comparator": comparator,
                "deadline": _deadline(text, (c_start, c_end), s_start, start, year),
                "status": target_status(text[seg_start:start], text[seg_start:stop], year, section_kind),
                "quote": text[q_start:q_end],
                "is_benchmark": bool(BENCHMARK_RE.search(text, 0, start)),
                "_end": end,
                "_quote_start": q_start,
                "_clause": c_start,
                "_sentence": s_start,
                "_before": before,
                "_before_clean": before_clean,
                "_after": follow_clean,
            }
        )
    targets = complete_names(split_lists(targets))
    return [{k: v for k, v in t.items() if not k.startswith("_")} for t in targets]


def extract_corpus_targets(
    items: pd.DataFrame, matcher: IndicatorMatcher | None = None, progress: bool = False, documents: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Targets of every item of ``items`` (an ``items.csv`` frame) with their ``indicator_key``.

    ``documents`` (``documents.csv``) gives each plan's year for the status rule;
    ``items.section_kind`` (``review``/``task``; absent or empty = ``task``) marks
    review sections. Returns :data:`TARGET_COLUMNS`, the theme columns empty; row order follows the items.
    """
    years = {} if documents is None else dict(zip(documents.doc_id, documents.year.astype(int)))
    kinds = items["section_kind"] if "section_kind" in items.columns else pd.Series("task", index=items.index)
    rows = []
    for item, kind in tqdm(zip(items.itertuples(), kinds), total=len(items), desc="targets", unit="item", disable=not progress):
        found = extract_targets(item.text, years.get(item.doc_id), kind or "task")
        rows.extend({"doc_id": item.doc_id, "item_id": item.item_id, **t} for t in found)
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    frame["indicator_key"] = (matcher or IndicatorMatcher()).predict(frame.indicator)
    frame["is_benchmark"] = frame.is_benchmark.astype(bool)
    return frame


def attach_themes(targets: pd.DataFrame, item_themes: pd.DataFrame | None) -> pd.DataFrame:
    """``targets`` with ``theme_id, theme_label`` of their item from ``item_themes`` (empty when None)."""
    out = targets.drop(columns=["theme_id", "theme_label"])
    if item_themes is None:
        return out.assign(theme_id=pd.NA, theme_label="")[TARGET_COLUMNS]
    themes = item_themes[["item_id", "theme_id", "theme_label"]].drop_duplicates("item_id")
    return out.merge(themes, on="item_id", how="left").fillna({"theme_label": ""})[TARGET_COLUMNS]


def read_item_themes(processed: str | Path) -> pd.DataFrame | None:
    """``item_themes.csv`` of the processed folder, or None when the themes step has not run."""
    return read_table(processed, "item_themes", step="themes") if (Path(processed) / "item_themes.csv").is_file() else None


def build_targets(
    processed: str | Path, synonyms: str | Path | None = None, progress: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Targets of the processed ``items.csv`` (themes joined when present) and synonym suggestions.

    Returns ``(targets, suggestions)``: :data:`TARGET_COLUMNS` and
    :data:`SUGGESTION_COLUMNS` (unmapped indicator keys with their most similar
    known key, TF-IDF over character n-grams).
    """
    items = read_table(processed, "items")
    matcher = IndicatorMatcher(load_synonyms(synonyms))
    found = extract_corpus_targets(items, matcher, progress, read_table(processed, "documents"))
    targets = attach_themes(found, read_item_themes(processed))
    own = targets[~targets.is_benchmark & (targets.status == "target")]
    suggestions = matcher.fit(own.indicator).suggest(own.indicator)
    counts = own.indicator_key.value_counts()
    suggestions["n_targets"] = suggestions.indicator_key.map(counts).fillna(0).astype(int)
    return targets, suggestions[SUGGESTION_COLUMNS]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis targets``."""
    parser.add_argument("--processed", default="data/processed", help="processed folder with items.csv; outputs go here too (default: data/processed)")
    parser.add_argument("--synonyms", default=None, help="indicator synonym table (CSV: indicator_key,variant; default: the shipped table)")


def run(args: argparse.Namespace) -> int:
    """Run the targets step: write targets.csv and indicator_suggestions.csv."""
    targets, suggestions = build_targets(args.processed, args.synonyms, progress=True)
    write_tables({"targets": targets, "indicator_suggestions": suggestions}, args.processed)
    own = targets[~targets.is_benchmark & (targets.status == "target")]
    for doc_id, group in own.groupby("doc_id", sort=False):
        print(f"{doc_id:<16} {len(group):>4} targets in {group.item_id.nunique():>3} items")
    shared = own.groupby("indicator_key").doc_id.nunique()
    print(
        f"{len(own)} targets ({targets.is_benchmark.sum()} benchmark values flagged, "
        f"{(targets.status == 'achieved').sum()} achieved and {(targets.status == 'baseline').sum()} baseline values kept apart), "
        f"{own.indicator_key.nunique()} indicators, {(shared >= 2).sum()} shared by 2+ documents, "
        f"{len(suggestions)} synonym suggestions"
    )
    if read_item_themes(args.processed) is None:
        print("note: item_themes.csv not found, theme_id/theme_label left empty (run `python -m analysis themes` first)")
    print(f"wrote targets.csv, indicator_suggestions.csv to {args.processed}")
    return 0


def _same_indicator(found: str, expected: str) -> bool:
    """Indicators agree when one (without quotes, spaces and scope words) contains the other."""
    a, b = normalize_indicator(found), normalize_indicator(expected)
    return bool(a and b) and (a in b or b in a)


def score_targets(found: pd.DataFrame, expected: pd.DataFrame) -> dict:
    """Precision and recall of ``found`` targets against an ``expected`` check list.

    Both frames have ``item_id, value, unit`` (plus ``indicator, comparator,
    deadline, is_benchmark``); a found target matches an expected one with the
    same item, value as written and unit (each used once). Returns counts,
    ``precision``, ``recall``, the agreement rates of the other fields over the
    matches, and the unmatched rows as ``false_positives`` / ``false_negatives``.
    """
    keys = ["item_id", "value", "unit"]
    found = found.assign(_n=found.groupby(keys).cumcount())
    expected = expected.assign(_n=expected.groupby(keys).cumcount())
    both = found.merge(expected, on=keys + ["_n"], how="outer", suffixes=("", "_expected"), indicator=True)
    matched = both[both._merge == "both"]
    tp = len(matched)
    n_found, n_expected = len(found), len(expected)

    def rate(ok: pd.Series) -> float:
        return float(ok.mean()) if len(ok) else float("nan")

    return {
        "tp": tp,
        "n_found": n_found,
        "n_expected": n_expected,
        "precision": tp / n_found if n_found else float("nan"),
        "recall": tp / n_expected if n_expected else float("nan"),
        "comparator_agreement": rate(matched.comparator == matched.comparator_expected),
        "indicator_agreement": rate(pd.Series([_same_indicator(a, b) for a, b in zip(matched.indicator, matched.indicator_expected)], dtype=bool)),
        "deadline_agreement": rate(matched.deadline == matched.deadline_expected),
        "benchmark_agreement": rate(matched.is_benchmark.astype(bool) == matched.is_benchmark_expected.astype(bool)),
        "false_positives": both.loc[both._merge == "left_only", keys + ["indicator", "quote"]].reset_index(drop=True),
        "false_negatives": both.loc[both._merge == "right_only", keys + ["indicator_expected"]].reset_index(drop=True),
        "disagreements": matched.loc[
            matched.comparator != matched.comparator_expected, keys + ["comparator", "comparator_expected", "indicator"]
        ].reset_index(drop=True),
    }
