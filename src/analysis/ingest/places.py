"""Place, year and doc id of a plan, inferred from its title, issuing body and dates (for manifest proposals).

* **Place**: the place the title names (``2024年西安市卫生健康工作要点``), made more
  specific by the issuing health body when that sits under it; else the issuing
  body (``重庆市万州区卫生健康委员会`` → 万州区, district; ``浙江省卫生健康委员会`` →
  浙江省, province); else the city the text names most often. A district named
  without its city is placed under the city the text names most often when the
  gazetteer (cpca) has it there.
* **Year**: the title's year (a multi-year title ``2023—2025年`` gives its first
  year and a ``years`` note), else the year of the 文号 (``〔2024〕3号``), else the
  year of the issue date, else the year the text names most often.
* **Doc id**: the place in pinyin plus the year (``xian-2024``; a district under a
  city ``qingdao-shinan-2024``), made unique against the ids in use.

Every function returns its value with a note saying what it was inferred from.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cpca
from pypinyin import lazy_pinyin

YEAR = r"(?:19|20)\d{2}"
YEAR_RE = re.compile(rf"(?<!\d)({YEAR})\s*年")
YEAR_RANGE_RE = re.compile(rf"(?<!\d)({YEAR})\s*年?\s*[-—–~～至到]\s*({YEAR})\s*年")
WENHAO_RE = re.compile(rf"[〔\[［(（]\s*({YEAR})\s*[〕\]］)）]\s*\d+\s*号")
ISSUE_DATE_RE = re.compile(rf"(?<!\d)({YEAR})\s*(?:年\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日|-\d{{1,2}}-\d{{1,2}})")
#: A health authority: the place before it is the issuing body's place.
ISSUER_RE = re.compile(r"([\u4e00-\u9fff]{2,20}?)(?:卫生健康委员会|卫生和计划生育委员会|卫生计生委|卫生健康委|卫生健康局|卫健委|卫健局)")
#: Characters of the text's head searched for the issuing body (notice, metadata, signature).
HEAD_CHARS = 3000
#: Minimum number of times a city must be named for the text to count as naming its place.
MIN_PLACE_MENTIONS = 2
#: Pseudo-cities in the gazetteer (a municipality's county and district groups), never a place of their own.
NOT_A_CITY = {"市辖区", "县"}
PLACE_SUFFIX_RE = re.compile(r"(维吾尔自治区|壮族自治区|回族自治区|自治区|特别行政区|自治州|自治县|省|市|区|县|州|盟|旗)$")


@dataclass
class Place:
    """A place from the gazetteer: its name as used in the manifest, province, admin level and city (for districts)."""

    name: str
    province: str
    admin_level: str
    city: str = ""


def _place(province, city, district) -> Place | None:
    city = city if city and city not in NOT_A_CITY else ""
    if district:
        return Place(district, province, "district" if district.endswith("区") else "county", city)
    if city:
        return Place(city, province, "city")
    if province:
        return Place(province, province, "province")
    return None


def lookup_place(name: str) -> Place | None:
    """``name`` (``青岛市``, ``万州区``, ``重庆市``) in the gazetteer, else ``None``."""
    found = cpca.transform([name]).iloc[0]
    return _place(found["省"], found["市"], found["区"])


def city_mentions(text: str) -> list[tuple[tuple[str, str], int]]:
    """``((province, city), times named)`` for the cities ``text`` names, most often first."""
    try:
        mentions = cpca.transform_text_with_addrs(text, pos_sensitive=True)
    except KeyError:  # cpca fails on ordering the columns of an empty table: the text names no place
        return []
    named = mentions[(mentions["市_pos"] >= 0) & ~mentions["市"].isin(NOT_A_CITY)]
    return Counter(zip(named["省"], named["市"])).most_common()


def issuing_body(text: str) -> str:
    """The place part of the first health authority named in the text's head (``西安市``), else ``""``."""
    for match in ISSUER_RE.finditer(text[:HEAD_CHARS]):
        name = match[1].split("关于")[-1]
        if not name.startswith("各") and len(name) >= 2:
            return name
    return ""


def _under_city(place: Place, text: str) -> Place:
    """A district named without its city: under the city the text names most often if it has one, else unplaced."""
    for (province, city), _ in city_mentions(text)[:1]:
        found = cpca.transform([city + place.name]).iloc[0]
        if found["区"] == place.name and found["市"] == city:
            return Place(place.name, province, place.admin_level, city)
    return Place(place.name, place.province, place.admin_level, "")


def detect_place(title: str, text: str) -> tuple[Place | None, str]:
    """The plan's place and a note on how it was found (see the module docstring)."""
    titled = lookup_place(title) if title else None
    issuer = issuing_body(text)
    issued = lookup_place(issuer) if issuer else None
    if issued and issued.admin_level in ("district", "county") and issued.city[:2] not in issuer:
        issued = _under_city(issued, text)  # the issuer names no city: the gazetteer's city is a guess
    if titled and issued and issued.admin_level in ("district", "county") and issued.city == titled.name:
        return issued, f"place {issued.name} from the issuing body {issuer}…, under {titled.name} named in the title"
    if titled:
        return titled, f"place {titled.name} from the title"
    if issued:
        under = f" under {issued.city}" if issued.city else ""
        return issued, f"place {issued.name}{under} ({issued.admin_level}) from the issuing body {issuer}…"
    counts = city_mentions(text)[:2]
    if counts and counts[0][1] >= MIN_PLACE_MENTIONS and (len(counts) == 1 or counts[0][1] > counts[1][1]):
        (province, city), n = counts[0]
        others = f", next {counts[1][0][1]} ×{counts[1][1]}" if len(counts) > 1 else ""
        return Place(city, province, "city"), f"place {city} named most often in the text (×{n}{others})"
    return None, "no place found in the title, the issuing body or named repeatedly in the text: give --city (and --province, --admin-level)"


def detect_year(title: str, text: str) -> tuple[str, list[str]]:
    """The plan year and notes: from the title (first year of a range), the 文号, the issue date, else the text."""
    if match := YEAR_RANGE_RE.search(title):
        first, last = match.groups()
        return first, [f"year {first} from the title", f"years {first}–{last}: a multi-year plan, its first year taken"]
    if match := YEAR_RE.search(title):
        return match[1], [f"year {match[1]} from the title"]
    head = text[:HEAD_CHARS]
    if match := WENHAO_RE.search(head):
        return match[1], [f"year {match[1]} from the document number {match[0]}"]
    if match := ISSUE_DATE_RE.search(head):
        return match[1], [f"year {match[1]} from the issue date {match[0]}"]
    years = Counter(YEAR_RE.findall(text)).most_common(1)
    if years:
        return years[0][0], [f"year {years[0][0]} named most often in the text (×{years[0][1]})"]
    return "", ["no year found in the title, the document number, the issue date or the text: give --year"]


def place_slug(name: str) -> str:
    """A place name in pinyin without its level suffix (``西安市`` → ``xian``, ``浙江省`` → ``zhejiang``)."""
    core = PLACE_SUFFIX_RE.sub("", name)
    core = core if len(core) >= 2 else name
    return re.sub(r"[^a-z0-9]", "", "".join(lazy_pinyin(core)).lower())


def propose_doc_id(place: Place | None, year: str, taken: set[str], file: str = "") -> tuple[str, str]:
    """``{place in pinyin}-{year}`` (a district: ``{city}-{district}-{year}``), unique in ``taken``; and a note.

    Without a place, the first Latin word of the ``file`` name stands in (``doc`` if none).
    """
    if place:
        parts = [place_slug(place.city)] if place.city else []
        parts.append(place_slug(place.name))
        source = "the place in pinyin"
    else:
        word = re.match(r"[a-z]+", Path(file).stem.lower())
        parts, source = [word[0] if word else "doc"], "the file name (no place known)"
    base = "-".join([p for p in parts if p] + ([year] if re.fullmatch(r"\d{4}", year or "") else []))
    doc_id, k = base, 2
    while doc_id in taken:
        doc_id, k = f"{base}-{k}", k + 1
    suffix = f" (-{k - 1}: {base} is taken)" if doc_id != base else ""
    return doc_id, f"doc id {doc_id} from {source} and the year{suffix}"

