"""Era conversion both ways, every boundary, and 照合番号B."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.wareki import (
    Era,
    WarekiDate,
    format_wareki,
    from_wareki,
    parse_wareki,
    pin_b,
    pin_b_from_printed,
    to_wareki,
)

# (last day of one era, its parts) and (first day of the next, its parts).
BOUNDARIES = [
    (date(1912, 7, 29), (Era.MEIJI, 45, 7, 29), date(1912, 7, 30), (Era.TAISHO, 1, 7, 30)),
    (date(1926, 12, 24), (Era.TAISHO, 15, 12, 24), date(1926, 12, 25), (Era.SHOWA, 1, 12, 25)),
    (date(1989, 1, 7), (Era.SHOWA, 64, 1, 7), date(1989, 1, 8), (Era.HEISEI, 1, 1, 8)),
    (date(2019, 4, 30), (Era.HEISEI, 31, 4, 30), date(2019, 5, 1), (Era.REIWA, 1, 5, 1)),
]


@pytest.mark.parametrize(("last", "last_parts", "first", "first_parts"), BOUNDARIES)
def test_boundary_to_wareki(
    last: date,
    last_parts: tuple[Era, int, int, int],
    first: date,
    first_parts: tuple[Era, int, int, int],
) -> None:
    assert to_wareki(last) == WarekiDate(*last_parts)
    assert to_wareki(first) == WarekiDate(*first_parts)


@pytest.mark.parametrize(("last", "last_parts", "first", "first_parts"), BOUNDARIES)
def test_boundary_from_wareki(
    last: date,
    last_parts: tuple[Era, int, int, int],
    first: date,
    first_parts: tuple[Era, int, int, int],
) -> None:
    assert from_wareki(*last_parts) == last
    assert from_wareki(*first_parts) == first


@pytest.mark.parametrize(
    "parts",
    [
        # The day after an era ended, in the old era's name.
        ("明治", 45, 7, 30),
        ("大正", 15, 12, 25),
        ("昭和", 64, 1, 8),
        ("平成", 31, 5, 1),
        # The day before an era began, in the new era's name.
        ("大正", 1, 7, 29),
        ("昭和", 1, 12, 24),
        ("平成", 1, 1, 7),
        ("令和", 1, 4, 30),
        # Later years of a finished era.
        ("昭和", 65, 1, 1),
        ("平成", 32, 1, 1),
        # Not a day at all.
        ("令和", 0, 5, 1),
        ("令和", 5, 2, 29),
        ("令和", 6, 13, 1),
        ("昭和", 55, 2, 30),
        # Lunar-calendar 明治.
        ("明治", 5, 12, 2),
    ],
)
def test_impossible_dates_are_rejected(parts: tuple[str, int, int, int]) -> None:
    with pytest.raises(ValueError):
        from_wareki(*parts)


def test_leap_day_in_era() -> None:
    assert from_wareki(Era.REIWA, 6, 2, 29) == date(2024, 2, 29)
    assert to_wareki(date(2024, 2, 29)) == WarekiDate(Era.REIWA, 6, 2, 29)


def test_before_gregorian_adoption_is_rejected() -> None:
    with pytest.raises(ValueError):
        to_wareki(date(1872, 12, 31))
    assert to_wareki(date(1873, 1, 1)) == WarekiDate(Era.MEIJI, 6, 1, 1)


def test_display_with_gannen() -> None:
    assert format_wareki(date(1940, 4, 1)) == "昭和15年4月1日"
    assert format_wareki(date(2019, 5, 1)) == "令和元年5月1日"
    assert format_wareki(date(2019, 5, 1), gannen=False) == "令和1年5月1日"
    assert str(to_wareki(date(1989, 1, 8))) == "平成元年1月8日"


def test_era_properties() -> None:
    assert Era.SHOWA.last_day == date(1989, 1, 7)
    assert Era.REIWA.last_day is None
    assert Era.HEISEI.letter == "H"
    assert Era.from_text("Ｓ") is Era.SHOWA
    assert Era.from_text("reiwa") is Era.REIWA
    with pytest.raises(ValueError):
        Era.from_text("天保")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和55年 2月17日生", WarekiDate(Era.SHOWA, 55, 2, 17)),
        ("令和元年5月1日", WarekiDate(Era.REIWA, 1, 5, 1)),
        ("平成３１年４月３０日", WarekiDate(Era.HEISEI, 31, 4, 30)),
        ("Ｓ５５．２．１７", WarekiDate(Era.SHOWA, 55, 2, 17)),
        ("H31/4/30", WarekiDate(Era.HEISEI, 31, 4, 30)),
    ],
)
def test_parse_wareki(text: str, expected: WarekiDate) -> None:
    assert parse_wareki(text) == expected


@pytest.mark.parametrize("text", ["平成31年5月1日", "昭和64年1月8日", "2035年2月17日", ""])
def test_parse_wareki_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_wareki(text)


def test_pin_b_domain_example() -> None:
    assert pin_b(date(1980, 2, 17), 2035, "2285") == "55021720352285"
    assert pin_b(WarekiDate(Era.SHOWA, 55, 2, 17), 2035, "2285") == "55021720352285"


def test_pin_b_gannen_is_01() -> None:
    assert pin_b(date(2019, 5, 1), 2029, "0007") == "01050120290007"


@pytest.mark.parametrize(
    ("expiry", "code"),
    [(2035, "228"), (2035, "22855"), (2035, "22a5"), (2035, "２２８５"), (35, "2285")],
)
def test_pin_b_rejects_bad_parts(expiry: int, code: str) -> None:
    with pytest.raises(ValueError):
        pin_b(date(1980, 2, 17), expiry, code)


def test_pin_b_from_printed() -> None:
    assert pin_b_from_printed(55, 2, 17, 2035, "2285") == "55021720352285"
    # Gregorian-printed card (unconfirmed rule): last two digits of the year.
    assert pin_b_from_printed(1980, 2, 17, 2035, "2285") == "80021720352285"
    with pytest.raises(ValueError):
        pin_b_from_printed(55, 2, 30, 2035, "2285")


@given(st.dates(min_value=date(1873, 1, 1), max_value=date(2200, 12, 31)))
def test_round_trip_from_gregorian(day: date) -> None:
    wareki = to_wareki(day)
    assert wareki.to_date() == day
    assert parse_wareki(wareki.display()) == wareki
    assert wareki.year >= 1
    assert wareki.era.first_day <= day
    last = wareki.era.last_day
    assert last is None or day <= last


@given(
    st.sampled_from(list(Era)),
    st.integers(min_value=-2, max_value=200),
    st.integers(min_value=1, max_value=12),
    st.integers(min_value=1, max_value=31),
)
def test_round_trip_from_parts(era: Era, year: int, month: int, day: int) -> None:
    try:
        gregorian = from_wareki(era, year, month, day)
    except ValueError:
        return
    assert to_wareki(gregorian) == WarekiDate(era, year, month, day)


@given(st.dates(min_value=date(1912, 7, 30), max_value=date(2099, 12, 31)))
def test_pin_b_is_fourteen_digits(day: date) -> None:
    value = pin_b(day, 2035, "0420")
    assert len(value) == 14
    assert value.isdigit()
    assert value.endswith("20350420")
