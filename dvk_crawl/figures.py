"""Campaign figures as data: "421 mô hình “Dân vận khéo”" → count, unit, what, locality.

Pure text processing, no Scrapy: ``extract_figures(text)`` finds the figures the campaign
reports (models, examples, commended collectives and people) with their qualifier
("trên 400" is at least 400), what is counted, the administrative unit they are about
and the sentence and span they come from. Everything else that is a number (money,
areas, lengths, households, years, durations, document numbers, dates) is not a figure:
a figure is a number *directly followed by one of the counted nouns*, so those numbers
never match. ``extract_record_figures`` runs it over a record's lead and text.

Numbers in words ("bốn trăm hai mươi mốt") are read with ``vietnam-number``; localities
are placed on the 63-province map and the map after 1 July 2025 with
``vietnamadminunits`` (see ``docs/figures.md`` for what that does not cover).
How well it does on the labelled set in ``tests/figures/labelled.json``: docs/figures.md.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from vietnam_number import w2n

# Uppercase letters of Vietnamese, for "a name starts here" (\w would also take "đã").
_UPPER = "".join(c for c in map(chr, range(0x41, 0x1EFA)) if c.isupper() and c.isalpha())
_NAME_WORD = rf"[{re.escape(_UPPER)}][^\W\d_]*"
_NAME = rf"{_NAME_WORD}(?:[ \-]{_NAME_WORD}){{0,3}}"
_UNIT_TYPES = r"thị trấn|thị xã|thành phố|huyện|xã|phường|tỉnh"
# "xã Hải Phong", "huyện Lục Yên", and the party committees named after their unit:
# "Huyện ủy Cẩm Xuyên" is the district committee of huyện Cẩm Xuyên.
_LOCALITY = re.compile(
    rf"(?<!\w)(?:(?P<committee>(?i:huyện|thị|thành|tỉnh) (?i:ủy|uỷ))|(?P<type>(?i:{_UNIT_TYPES})))"
    rf"\s+(?P<name>{_NAME})"
)
_COMMITTEE_TYPES = {"huyện": "huyện", "thị": "thị xã", "thành": "thành phố", "tỉnh": "tỉnh"}
# "toàn tỉnh", "trong tỉnh": the article's own province.
_WHOLE_PROVINCE = re.compile(r"(?<!\w)(?:(?:toàn|trong|của) tỉnh|tỉnh (?:ủy|uỷ))(?!\w)", re.IGNORECASE)
# Units written in an article published from this day are on the new two-level map.
MERGER_DAY = "2025-07-01"

_WORD_DIGITS = r"một|hai|ba|bốn|tư|năm|lăm|sáu|bảy|bẩy|tám|chín|mười|mươi|mốt|trăm|nghìn|ngàn|linh|lẻ"
_DIGITS = r"\d{1,3}(?:\.\d{3})+|\d+"  # "1.440": the dot groups thousands
_NOT_A_YEAR = r"(?<!năm )(?<!đoạn )(?<!kỳ )(?<!- )(?<!– )"
_NUMBER = (
    rf"(?P<approx_words>hàng (?:chục|trăm|nghìn|ngàn))"
    # A year is no count: "Năm 2024 mô hình …", "giai đoạn 2021 - 2025 mô hình …".
    rf"|{_NOT_A_YEAR}(?P<digits>{_DIGITS})(?:\s*(?:-|–|đến)\s*(?P<digits_max>{_DIGITS}))?"
    rf"|(?P<words>(?:(?:{_WORD_DIGITS})\s+)*(?:{_WORD_DIGITS}))"
)
_BEFORE = r"(?P<before>trên|hơn|ít nhất|tối thiểu|khoảng|gần|xấp xỉ|chừng|ước tính|từ)\s+"
_UNIT = r"(?P<unit>mô hình(?:,| và) điển hình|gương điển hình|mô hình|điển hình|tập thể|cá nhân)"
_FIGURE = re.compile(rf"(?<![\w.,/])(?:{_BEFORE})?(?:{_NUMBER})\s+{_UNIT}(?!\w)", re.IGNORECASE)
_UNIT_WORD = re.compile(r"mô hình|điển hình|tập thể|cá nhân")  # searched in the lower-cased text
_AT_LEAST = {"trên", "hơn", "ít nhất", "tối thiểu", "từ"}
# Collectives and people are campaign figures only when the sentence commends them.
_COMMENDED = re.compile(r"khen|biểu dương|tuyên dương|vinh danh|tôn vinh", re.IGNORECASE)
_CAMPAIGN = re.compile(r"dân vận khéo", re.IGNORECASE)
_FIELD = re.compile(r"\s+(?:trên\s+)?(?P<field>lĩnh vực [^;,.()]+?)(?=\s*(?:[;,.()]|$| và | gắn | trên ))")
_NEW = re.compile(r"\s+mới(?!\w)")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=[\"“'(]?[" + re.escape(_UPPER) + r"\d])|\n+")
_BRACKETS = re.compile(r"\([^()]*\)")
_THEREOF = re.compile(r"^\s*trong đó", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    """A locality on both maps: as written, on the 63-province map, and after 1 July 2025."""

    written: str
    type: str
    name: str | None = None
    province: str | None = None
    province_now: str | None = None
    unit_now: str | None = None


@dataclass
class Figure:
    """One reported campaign figure, with where it came from (``field``, ``start``, ``end``)."""

    count: int | None
    qualifier: str
    unit: str
    what: str
    locality: str | None
    sentence: str
    start: int
    end: int
    count_max: int | None = None
    field: str = "text"
    place: Place | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Sentence:
    text: str
    start: int
    figures: list[Figure] = field(default_factory=list)


def extract_figures(text: str, *, context: dict[str, Any] | None = None) -> list[Figure]:
    """The campaign figures in ``text``; ``context`` (title, lead, province, …) helps place them."""
    context = context or {}
    # Spans index the NFC text: what the store holds (the normalise stage makes it NFC).
    text = unicodedata.normalize("NFC", text or "")
    figures: list[Figure] = []
    previous: _Sentence | None = None
    # Most sentences count nothing: the full pattern only runs where a counted noun is.
    if not _UNIT_WORD.search(text.lower()):
        return figures
    for sentence in split_sentences(text):
        if _UNIT_WORD.search(sentence.text.lower()):
            for match in _FIGURE.finditer(sentence.text):
                figure = read_figure(match, sentence, previous, context)
                if figure is not None:
                    sentence.figures.append(figure)
        figures.extend(sentence.figures)
        previous = sentence
    place_figures(figures, text, context)
    return figures


def place_figures(figures: list[Figure], text: str, context: dict[str, Any]) -> None:
    """Give figures without a locality the article's subject, and every locality its place."""
    if any(figure.locality is None for figure in figures):
        subject = article_subject(text, context)
        for figure in figures:
            figure.locality = figure.locality or subject
    communes = any(figure.locality and _level(figure.locality) == "xã" for figure in figures)
    district = article_district(text, context) if communes else None
    for figure in figures:
        figure.place = place_locality(figure.locality, context, district)


def extract_record_figures(record: dict[str, Any]) -> list[Figure]:
    """Figures of a record's text, and of its lead where the text does not repeat them."""
    context = {k: record.get(k) for k in ("title", "lead", "portal", "url", "published_at", "province")}
    context["former_province"] = record.get("former_province")
    figures = extract_figures(record.get("text") or "", context=context)
    # Portals repeat the lead's figure in the text, in the same or other words.
    seen = {_repeat_key(f) for f in figures}
    lead_figures = extract_figures(record.get("lead") or "", context=context)
    for figure in lead_figures:
        figure.field = "lead"
    return [f for f in lead_figures if _repeat_key(f) not in seen] + figures


def _repeat_key(figure: Figure) -> tuple[Any, ...]:
    if figure.count is None:  # "hàng trăm" and "hàng nghìn" are different figures
        return (figure.sentence,)
    return (figure.count, figure.unit, figure.what)


def split_sentences(text: str) -> Iterator[_Sentence]:
    """Sentences with their offsets; "1.440" and "11,3" do not end one (no space after the dot)."""
    start = 0
    for end_match in _SENTENCE_END.finditer(text):
        if text[start : end_match.start()].strip():
            yield _Sentence(text[start : end_match.start()], start)
        start = end_match.end()
    if text[start:].strip():
        yield _Sentence(text[start:], start)


def read_figure(
    match: re.Match[str], sentence: _Sentence, previous: _Sentence | None, context: dict[str, Any]
) -> Figure | None:
    unit = match["unit"].lower()
    if unit in ("tập thể", "cá nhân") and not _COMMENDED.search(sentence.text):
        return None
    count, count_max, qualifier = read_count(match)
    if count is None and not match["approx_words"]:
        return None
    if match["words"] and count == 1:  # "ít nhất một mô hình" in each unit: a norm, not a count
        return None
    clause = clause_of(sentence.text, match)
    breakdown = _THEREOF.match(clause) or _THEREOF.match(sentence.text)
    head = head_figure(sentence, previous) if breakdown else None
    campaign = bool(_CAMPAIGN.search(clause)) or (head is not None and '"Dân vận khéo"' in head.what)
    locality = locality_in(sentence.text[: match.start()]) or (head.locality if head else None)
    return Figure(
        count=count,
        qualifier=qualifier,
        unit="mô hình" if unit.startswith("mô hình") else unit,
        what=describe(unit, sentence.text[match.end() :], campaign),
        locality=locality or whole_province(sentence.text, context),
        sentence=sentence.text.strip(),
        start=sentence.start + match.start(),
        end=sentence.start + match.end(),
        count_max=count_max,
    )


def head_figure(sentence: _Sentence, previous: _Sentence | None) -> Figure | None:
    """The total a "Trong đó …" part breaks down: the sentence's first figure, else the last sentence's."""
    for candidate in (sentence, previous):
        if candidate and candidate.figures:
            return candidate.figures[0]
    return None


def clause_of(sentence: str, match: re.Match[str]) -> str:
    """The part of the sentence between semicolons that holds the figure: "…; xã Gio Mỹ có hàng chục mô hình"."""
    start = sentence.rfind(";", 0, match.start()) + 1
    end = sentence.find(";", match.end())
    return sentence[start : end if end >= 0 else len(sentence)]


def read_count(match: re.Match[str]) -> tuple[int | None, int | None, str]:
    """(count, upper end of a range, qualifier) of a matched figure."""
    before = (match["before"] or "").lower()
    after_unit = match.string[match.end() : match.end() + 12]
    if match["approx_words"]:
        return None, None, "approx"
    if match["digits"]:
        count: int | None = int(match["digits"].replace(".", ""))
        count_max = int(match["digits_max"].replace(".", "")) if match["digits_max"] else None
    else:
        count, count_max = read_words(match["words"]), None
    if before in _AT_LEAST or count_max is not None or after_unit.lstrip().startswith("trở lên"):
        return count, count_max, "at_least"
    return count, count_max, "approx" if before else "exact"


def read_words(words: str) -> int | None:
    """ "bốn trăm hai mươi mốt" → 421, with vietnam-number; None when it is not a number."""
    try:
        value = w2n(words.lower())
    except (ValueError, IndexError, KeyError, TypeError):  # the library raises these on non-numbers
        return None
    return value if isinstance(value, int) and value > 0 else None


def describe(unit: str, after: str, campaign: bool) -> str:
    """What is counted: 'mô hình "Dân vận khéo" lĩnh vực kinh tế', 'mô hình mới', 'tập thể'."""
    unit = unit.lower().replace(" và ", ", ")
    if not unit.startswith("mô hình"):
        return unit
    if _NEW.match(after):
        return f"{unit} mới"
    what = f'{unit} "Dân vận khéo"' if campaign else unit
    field_match = _FIELD.match(after)
    if field_match and "các lĩnh vực" not in field_match["field"]:
        what += " " + field_match["field"].strip()
    return what


def locality_in(text: str) -> str | None:
    """The last administrative unit named in ``text`` ("huyện Lục Yên"), as written.

    A unit in brackets only says where the one before it lies: "xã Hải Phong (huyện Hải Lăng)".
    """
    found = None
    for match in _LOCALITY.finditer(_BRACKETS.sub("", text)):
        found = written_locality(match)
    return found


def written_locality(match: re.Match[str]) -> str:
    if match["type"]:
        return f"{match['type'].lower()} {match['name']}"
    committee = match["committee"].split()[0].lower()
    return f"{_COMMITTEE_TYPES[committee]} {match['name']}"


def whole_province(sentence: str, context: dict[str, Any]) -> str | None:
    province = province_of(context)
    return f"tỉnh {province}" if province and _WHOLE_PROVINCE.search(sentence) else None


def article_subject(text: str, context: dict[str, Any]) -> str | None:
    """The unit an article is about: named in its title, else the first one whose name the title holds.

    Titles name the place bare ("Lục Yên có trên 400 mô hình"); the lead or text gives its
    type ("toàn huyện Lục Yên"). Without either, the first unit of the lead or text.
    """
    title = unicodedata.normalize("NFC", context.get("title") or "")
    match = _LOCALITY.search(title)
    if match:
        return written_locality(match)
    named = [written_locality(m) for part in (context.get("lead"), text) for m in _LOCALITY.finditer(part or "")]
    in_title = [locality for locality in named if name_of(locality) in title]
    candidates = in_title or named
    return candidates[0] if candidates else None


def article_district(text: str, context: dict[str, Any]) -> str | None:
    """The first district named in the title, lead or text: the old map needs it for a commune."""
    for part in (context.get("title"), context.get("lead"), text):
        for match in _LOCALITY.finditer(unicodedata.normalize("NFC", part or "")):
            locality = written_locality(match)
            if _level(locality) == "huyện":
                return locality
    return None


def province_of(context: dict[str, Any]) -> str | None:
    """The province on the 63-province map: ``former_province`` when the portal's was merged."""
    value = context.get("former_province") or context.get("province")
    return str(value) if value else None


def place_locality(locality: str | None, context: dict[str, Any], district: str | None = None) -> Place | None:
    """The unit on both maps; a unit written on or after ``MERGER_DAY`` is one of the new map.

    The old map names a commune only with its district (``district``: the article's
    subject); an undated article's unit is tried on the old map, then the new one.
    """
    if not locality:
        return None
    published = str(context.get("published_at") or "")
    if published >= MERGER_DAY:
        return _place_new(locality, context.get("province"))
    district = district if _level(locality) == "xã" else None
    place = _place_legacy(locality, province_of(context), district)
    if place.name is None and _level(locality) == "huyện":
        # The portal's province today may not be the district's then (Lục Yên was Yên Bái's).
        place = _place_legacy(locality, None, None)
    if place.name is None and not published:
        place = _place_new(locality, context.get("province"))
    return place


@cache
def _place_legacy(locality: str, province: str | None, district: str | None) -> Place:
    """A unit of the 63-province map, and what it belongs to since 1 July 2025 (cached: ~5 ms a lookup)."""
    from vietnamadminunits import ParseMode, convert_address, parse_address  # loads its maps: ~1 s

    address = _address(f"{locality}, {district}" if district else locality, province)
    old = parse_address(address, mode=ParseMode.LEGACY, level=3)
    found = {"xã": old.ward, "huyện": old.district, "tỉnh": old.province}[_level(locality)]
    if not _same_name(locality, found) or (district and not _same_name(district, old.district)):
        return Place(written=locality, type=type_of(locality))
    new = convert_address(address)
    # Districts were abolished on 1 July 2025: no unit replaces them, only the province.
    unit_now = new.ward if _level(locality) == "xã" else None
    return Place(locality, type_of(locality), found, old.province, new.province, unit_now)


@cache
def _place_new(locality: str, province: str | None) -> Place:
    """A unit of the 34-province map (articles from 1 July 2025): its old place is not known."""
    from vietnamadminunits import ParseMode, parse_address

    unit = parse_address(_address(locality, province), mode=ParseMode.FROM_2025, level=2)
    found = {"xã": unit.ward, "huyện": None, "tỉnh": unit.province}[_level(locality)]
    if not _same_name(locality, found):
        return Place(written=locality, type=type_of(locality))
    return Place(locality, type_of(locality), found, None, unit.province, found if _level(locality) == "xã" else None)


def _address(units: str, province: str | None) -> str:
    return f"{units}, tỉnh {province}" if province and not units.startswith("tỉnh") else units


def _level(locality: str) -> str:
    """The map level: "xã" (communes, wards, towns), "huyện" (districts and their towns) or "tỉnh"."""
    unit_type = type_of(locality)
    if unit_type in ("xã", "phường", "thị trấn"):
        return "xã"
    return "tỉnh" if unit_type == "tỉnh" else "huyện"


def _same_name(locality: str, found: str | None) -> bool:
    """The library guesses on a name it lacks ("xã Cẩm Bình" → a ward of another district)."""
    return bool(found) and _key(name_of(locality)) in _key(str(found))


def type_of(locality: str) -> str:
    match = re.match(_UNIT_TYPES, locality)
    return match.group(0) if match else locality.split()[0]


def name_of(locality: str) -> str:
    return locality[len(type_of(locality)) :].strip()


def _key(name: str) -> str:
    return re.sub(r"\W", "", name.lower())
