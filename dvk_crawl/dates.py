"""Publication times: every portal's format into ISO 8601 at Vietnam's offset.

All portals publish in Asia/Ho_Chi_Minh (UTC+07:00, no daylight saving). A time
without a zone is read in that zone; a time with a zone is converted to it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Publication times outside these years are no publication time (a CMS default such as
# 0001-01-01, a typo such as 9999-12-31): that one date is unknown, the page is kept.
FIRST_YEAR, LAST_YEAR = 1900, 2100


@dataclass(frozen=True)
class PublicationTime:
    """A moment and how precisely the page stated it ("second", "minute" or "day")."""

    moment: datetime
    precision: str

    def isoformat(self) -> str:
        return self.moment.astimezone(VIETNAM).isoformat(timespec="seconds")


def in_vietnam(moment: datetime) -> datetime:
    """Attach Vietnam's zone to a naive datetime, or convert an aware one."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=VIETNAM)
    return moment.astimezone(VIETNAM)


def plausible_time(moment: datetime, precision: str) -> PublicationTime | None:
    """The moment in Vietnam, or None when it is out of range.

    Converting ``0001-01-01T00:00:00+08:00`` or ``9999-12-31T23:00:00-12:00`` to +07:00
    raises ``OverflowError``; one bad date must cost only that date.
    """
    try:
        local = in_vietnam(moment)
    except OverflowError:
        return None
    return PublicationTime(local, precision) if FIRST_YEAR <= local.year <= LAST_YEAR else None


def parse_iso(value: str) -> PublicationTime | None:
    """ISO 8601 as found in meta tags and JSON-LD ("2023-08-04T20:15:00+07:00", "2023-08-04")."""
    value = value.strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    precision = "day" if len(value) <= 10 else ("second" if value.count(":") >= 2 else "minute")
    return plausible_time(moment, precision)


def parse_rfc822(value: str) -> PublicationTime | None:
    """RSS ``pubDate`` ("Fri, 04 Aug 2023 20:15:00 +0700")."""
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return plausible_time(moment, "second")


# d/m/yyyy or d-m-yyyy, with an optional h:mm[:ss] [AM|PM] before or after it.
_DATE = r"(?P<day>\d{1,2})[/\-.](?P<month>\d{1,2})[/\-.](?P<year>\d{4})"
_TIME = r"(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2}))?\s*(?P<ampm>[AaPp][Mm])?"
_DATE_THEN_TIME = re.compile(_DATE + r"(?:[^\d]{1,12}?" + _TIME + r")?")
_TIME_THEN_DATE = re.compile(_TIME + r"[^\d]{1,30}?" + _DATE)
# The spelt-out date of a date line, after its weekday ("Thứ hai, ngày 06 tháng 5 năm 2024
# 07:45"). Only after a weekday: prose is full of "ngày 25 tháng 9 năm 2023" about other days.
_WEEKDAY_SPELT_DATE = re.compile(
    r"(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|Chủ\s+nhật)\s*[,\-–]?\s*(?:ngày\s+)?"
    r"(?P<day>\d{1,2})\s+tháng\s+(?P<month>\d{1,2})\s*(?:,\s*|\s+)năm\s+(?P<year>\d{4})"
    r"(?:[^\d]{1,12}?" + _TIME + r")?",
    re.IGNORECASE,
)


def parse_vietnamese_datetime(text: str) -> PublicationTime | None:
    """Find the first date (and its time, before or after it) in a visible date line.

    Handles "04/08/2023 20:15", "Thứ hai, 4/3/2024 | 2:26:47 PM",
    "9:17, Thứ Ba, 1-12-2020", "Thứ Tư, 04/03/2026-08:48", NukeViet's
    "Thứ năm - 12/06/2025 09:15" and the spelt-out "Thứ hai, ngày 06 tháng 5 năm 2024 07:45".
    """
    for pattern in (_TIME_THEN_DATE, _DATE_THEN_TIME, _WEEKDAY_SPELT_DATE):
        match = pattern.search(text)
        if match:
            result = _from_match(match.groupdict())
            if result is not None:
                return result
    return None


# The weekday-dash date line of NukeViet 4's news module ("Thứ năm - 12/06/2025 09:15":
# ``nv_date("l - d/m/Y H:i")`` in modules/news, weekday in the site language).
WEEKDAY_DASH_DATE_LINE = re.compile(
    r"(?:Thứ\s+(?:hai|ba|tư|năm|sáu|bảy)|Chủ\s+nhật)\s*[-–,]\s*\d{1,2}/\d{1,2}/\d{4}(?:\s*[-,]?\s*\d{1,2}:\d{2}(?::\d{2})?)?",
    re.IGNORECASE,
)


def find_weekday_date_line(text: str) -> str | None:
    """The first "Thứ năm - 12/06/2025 09:15" line in a page's text (a theme that renamed the
    date's element still prints it); ``parse_vietnamese_datetime`` reads what this finds."""
    match = WEEKDAY_DASH_DATE_LINE.search(text)
    return match.group(0) if match else None


def _from_match(parts: dict[str, str | None]) -> PublicationTime | None:
    try:
        day = datetime(int(parts["year"] or 0), int(parts["month"] or 0), int(parts["day"] or 0))
    except ValueError:
        return None
    if parts.get("hour") is None:
        return plausible_time(day, "day")
    hour = _to_24_hour(int(parts["hour"] or 0), parts.get("ampm"))
    minute, second = int(parts["minute"] or 0), int(parts.get("second") or 0)
    if hour > 23 or minute > 59 or second > 59:
        return plausible_time(day, "day")
    moment = day.replace(hour=hour, minute=minute, second=second)
    return plausible_time(moment, "second" if parts.get("second") else "minute")


def _to_24_hour(hour: int, ampm: str | None) -> int:
    """12-hour clock: 12:xx AM is 00:xx, 12:xx PM stays 12:xx."""
    if not ampm:
        return hour
    if ampm.upper() == "AM":
        return 0 if hour == 12 else hour
    return hour if hour == 12 else hour + 12


def from_epoch_millis(millis: int) -> PublicationTime | None:
    """Liferay ids that are creation times (Quảng Trị's articleId)."""
    if not 946_684_800_000 <= millis <= 4_102_444_800_000:  # 2000..2100: anything else is no time
        return None
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
    return PublicationTime(moment.astimezone(VIETNAM), "minute")


def parse_cli_date(value: str, name: str) -> datetime:
    """A ``YYYY-MM-DD`` spider argument as the start of that day in Vietnam."""
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=VIETNAM)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a date; use YYYY-MM-DD, e.g. {name}=2023-01-31") from None
