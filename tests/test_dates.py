from __future__ import annotations

import pytest

from dvk_crawl.dates import (
    find_weekday_date_line,
    from_epoch_millis,
    parse_cli_date,
    parse_iso,
    parse_rfc822,
    parse_vietnamese_datetime,
)


@pytest.mark.parametrize(
    ("text", "iso", "precision"),
    [
        ("04/08/2023 20:15", "2023-08-04T20:15:00+07:00", "minute"),
        ("• Cập nhật: Thứ hai, 4/3/2024 | 2:26:47 PM", "2024-03-04T14:26:47+07:00", "second"),
        ("Thứ sáu, 20/5/2016 | 12:08:51 AM", "2016-05-20T00:08:51+07:00", "second"),
        ("Thứ sáu, 20/5/2016 | 12:08:51 PM", "2016-05-20T12:08:51+07:00", "second"),
        ("9:17, Thứ Ba, 1-12-2020", "2020-12-01T09:17:00+07:00", "minute"),
        ("Thứ Tư, 04/03/2026-08:48", "2026-03-04T08:48:00+07:00", "minute"),
        ("Thứ Ba, 02/12/2025 - 09:15", "2025-12-02T09:15:00+07:00", "minute"),  # the baoquangtri replica's (invented)
        ("28/09/2023 10:48    39", "2023-09-28T10:48:00+07:00", "minute"),
        ("Ngày 5/1/2022", "2022-01-05T00:00:00+07:00", "day"),
        # NukeViet 4's news module: weekday, dash, d/m/Y H:i; its listings use d/m/Y h:i:s A
        ("Thứ năm - 12/06/2025 09:15", "2025-06-12T09:15:00+07:00", "minute"),
        ("Chủ nhật - 01/12/2024 17:05", "2024-12-01T17:05:00+07:00", "minute"),
        ("12/06/2025 09:15:07 AM", "2025-06-12T09:15:07+07:00", "second"),
        # The spelt-out date line, after its weekday
        ("Thứ hai, ngày 06 tháng 5 năm 2024", "2024-05-06T00:00:00+07:00", "day"),
        ("Chủ nhật, 12 tháng 05, năm 2024 - 07:45", "2024-05-12T07:45:00+07:00", "minute"),
    ],
)
def test_vietnamese_date_lines(text: str, iso: str, precision: str) -> None:
    parsed = parse_vietnamese_datetime(text)
    assert parsed is not None
    assert (parsed.isoformat(), parsed.precision) == (iso, precision)


@pytest.mark.parametrize(
    "text",
    ["", "Cập nhật", "31/02/2023 10:00", "không có ngày", "Theo đó, ngày 25 tháng 9 năm 2023, hội nghị"],
)
def test_no_date_or_impossible_date_gives_none(text: str) -> None:
    assert parse_vietnamese_datetime(text) is None


def test_iso_and_rfc822_are_converted_to_vietnam_time() -> None:
    assert parse_iso("2023-08-04T13:15:00Z").isoformat() == "2023-08-04T20:15:00+07:00"
    assert parse_iso("2023-08-04").precision == "day"
    assert parse_rfc822("Fri, 04 Aug 2023 20:15:00 +0700").isoformat() == "2023-08-04T20:15:00+07:00"
    assert parse_iso("yesterday") is None and parse_rfc822("yesterday") is None


def test_epoch_millisecond_ids_are_times_only_in_a_plausible_range() -> None:
    assert from_epoch_millis(1606789020000).isoformat() == "2020-12-01T09:17:00+07:00"
    assert from_epoch_millis(42) is None


def test_cli_dates_name_the_argument() -> None:
    assert parse_cli_date("2023-01-31", "since").isoformat() == "2023-01-31T00:00:00+07:00"
    with pytest.raises(ValueError, match="since='31/01/2023' is not a date"):
        parse_cli_date("31/01/2023", "since")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Tin tức Thứ năm - 12/06/2025 09:15 In bài", "Thứ năm - 12/06/2025 09:15"),
        ("CHỦ NHẬT - 1/12/2024 7:05 Lượt xem", "CHỦ NHẬT - 1/12/2024 7:05"),
        ("Thứ sáu - 04/12/2020", "Thứ sáu - 04/12/2020"),
    ],
)
def test_the_weekday_dash_date_line_is_found_in_page_text(text: str, line: str) -> None:
    assert find_weekday_date_line(text) == line


@pytest.mark.parametrize("text", ["Thứ năm 12 tháng 6", "Thứ năm - ngày 12", "ngày 12/06/2025 09:15", ""])
def test_text_without_a_weekday_dash_date_line(text: str) -> None:
    assert find_weekday_date_line(text) is None
