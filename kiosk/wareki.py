"""Japanese era dates (和暦) both ways, and 照合番号B built from the card front.

Eras and their first day (Gregorian):
明治 1873-01-01 (Gregorian calendar adopted in 明治6; earlier 明治 dates were lunar and are
rejected), 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01.
An era ends the day before the next one starts; the first year is printed 元年.

Callers may rely on: `from_wareki` never returns a date outside its era (平成31年5月1日 and
昭和64年1月8日 raise `ValueError`), `to_wareki(from_wareki(...))` gives back the same parts,
and `pin_b` returns exactly 14 ASCII digits or raises `ValueError`.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

__all__ = [
    "Era",
    "WarekiDate",
    "format_wareki",
    "from_wareki",
    "parse_wareki",
    "pin_b",
    "pin_b_from_printed",
    "to_wareki",
]

# Before this day Japan used the lunar calendar, so era-year arithmetic on Gregorian dates is wrong.
GREGORIAN_ADOPTED = date(1873, 1, 1)


class Era(StrEnum):
    """A Japanese era, valued by its kanji name as printed on a card."""

    MEIJI = "明治"
    TAISHO = "大正"
    SHOWA = "昭和"
    HEISEI = "平成"
    REIWA = "令和"

    @property
    def first_day(self) -> date:
        """The first Gregorian day of the era (for 明治, the first day this module supports)."""
        return _FIRST_DAY[self]

    @property
    def gregorian_year_of_gannen(self) -> int:
        """The Gregorian year of the era's first year (元年)."""
        return _GANNEN[self]

    @property
    def last_day(self) -> date | None:
        """The last day of the era, or None for the current era."""
        following = _NEXT.get(self)
        return None if following is None else following.first_day - timedelta(days=1)

    @property
    def letter(self) -> str:
        """The one-letter abbreviation used on forms (M, T, S, H, R)."""
        return _LETTER[self]

    @classmethod
    def from_text(cls, text: str) -> Era:
        """Accept the kanji name, the letter (M/T/S/H/R, any width or case) or the romaji name."""
        cleaned = unicodedata.normalize("NFKC", text).strip()
        for era in cls:
            if cleaned in (era.value, era.letter, era.letter.lower()):
                return era
            if cleaned.lower() == era.name.lower():
                return era
        raise ValueError(f"unknown era: {text!r}")


_FIRST_DAY: dict[Era, date] = {
    Era.MEIJI: GREGORIAN_ADOPTED,
    Era.TAISHO: date(1912, 7, 30),
    Era.SHOWA: date(1926, 12, 25),
    Era.HEISEI: date(1989, 1, 8),
    Era.REIWA: date(2019, 5, 1),
}
_GANNEN: dict[Era, int] = {
    Era.MEIJI: 1868,
    Era.TAISHO: 1912,
    Era.SHOWA: 1926,
    Era.HEISEI: 1989,
    Era.REIWA: 2019,
}
_LETTER: dict[Era, str] = {
    Era.MEIJI: "M",
    Era.TAISHO: "T",
    Era.SHOWA: "S",
    Era.HEISEI: "H",
    Era.REIWA: "R",
}
_ORDER: tuple[Era, ...] = (Era.MEIJI, Era.TAISHO, Era.SHOWA, Era.HEISEI, Era.REIWA)
_NEXT: dict[Era, Era] = dict(itertools.pairwise(_ORDER))


@dataclass(frozen=True, order=False)
class WarekiDate:
    """A date in the era calendar. Construct through `to_wareki` or `from_wareki` to be valid."""

    era: Era
    year: int
    month: int
    day: int

    @property
    def year_text(self) -> str:
        """The year as printed: 元 for the first year, else the number."""
        return "元" if self.year == 1 else str(self.year)

    def to_date(self) -> date:
        """The Gregorian date; raises ValueError if these parts name no real day of the era."""
        return from_wareki(self.era, self.year, self.month, self.day)

    def display(self, *, gannen: bool = True) -> str:
        """For people: "昭和15年4月1日", "令和元年5月1日" (or "令和1年5月1日" with gannen=False)."""
        year = self.year_text if gannen else str(self.year)
        return f"{self.era.value}{year}年{self.month}月{self.day}日"

    def yymmdd(self) -> str:
        """The six digits 照合番号B starts with: era year, month, day, two digits each."""
        if not 1 <= self.year <= 99:
            raise ValueError("era year does not fit two digits")
        return f"{self.year:02d}{self.month:02d}{self.day:02d}"

    def __str__(self) -> str:
        return self.display()


def to_wareki(day: date) -> WarekiDate:
    """The era date of a Gregorian day from 1873-01-01 on; earlier days raise ValueError."""
    if day < GREGORIAN_ADOPTED:
        raise ValueError("dates before 1873-01-01 were in the lunar calendar")
    for era in reversed(_ORDER):
        if day >= era.first_day:
            return WarekiDate(era, day.year - era.gregorian_year_of_gannen + 1, day.month, day.day)
    raise AssertionError("unreachable: 明治 covers every supported day")


def from_wareki(era: Era | str, year: int, month: int, day: int) -> date:
    """The Gregorian day for era parts; raises ValueError for a day that never existed.

    `era` may be an `Era` or any text `Era.from_text` accepts. Year 1 is 元年.
    """
    the_era = era if isinstance(era, Era) else Era.from_text(era)
    if year < 1:
        raise ValueError("era years start at 1 (元年)")
    # date() rejects month 13, 2月30日 and the like with its own ValueError.
    result = date(the_era.gregorian_year_of_gannen + year - 1, month, day)
    if result < the_era.first_day:
        raise ValueError(f"{the_era.value}{year}年{month}月{day}日 is before the era began")
    last = the_era.last_day
    if last is not None and result > last:
        raise ValueError(f"{the_era.value}{year}年{month}月{day}日 is after the era ended")
    return result


def format_wareki(day: date, *, gannen: bool = True) -> str:
    """A Gregorian day in era form for people: date(1940, 4, 1) → "昭和15年4月1日"."""
    return to_wareki(day).display(gannen=gannen)


_ERA_NAMES = "|".join(era.value for era in _ORDER)
_LETTERS = "".join(_LETTER.values())
_WAREKI_TEXT = re.compile(
    rf"(?P<era>{_ERA_NAMES}|[{_LETTERS}{_LETTERS.lower()}])\s*"
    r"(?P<year>元|\d{1,3})\s*[年.\-/]\s*(?P<month>\d{1,2})\s*[月.\-/]\s*(?P<day>\d{1,2})\s*日?"
)


def parse_wareki(text: str) -> WarekiDate:
    """Read "昭和55年 2月17日", "令和元年5月1日", "Ｓ５５．２．１７" or "H31/4/30".

    Full-width digits and spaces are accepted. Raises ValueError if no era date is found or
    the date never existed.
    """
    cleaned = unicodedata.normalize("NFKC", text)
    match = _WAREKI_TEXT.search(cleaned)
    if match is None:
        raise ValueError("no era date in text")
    era = Era.from_text(match["era"])
    year = 1 if match["year"] == "元" else int(match["year"])
    month, day = int(match["month"]), int(match["day"])
    from_wareki(era, year, month, day)  # validates
    return WarekiDate(era, year, month, day)


def _check_tail(expiry_year: int, security_code: str) -> None:
    if not 1000 <= expiry_year <= 9999:
        raise ValueError("expiry year must have four digits")
    if len(security_code) != 4 or not security_code.isascii() or not security_code.isdigit():
        raise ValueError("security code must be four ASCII digits")


def pin_b(birth_date: date | WarekiDate, expiry_year: int, security_code: str) -> str:
    """照合番号B: YYMMDD (era year as printed) + 4-digit expiry year + 4-digit security code.

    Example: date(1980, 2, 17), 2035, "2285" → "55021720352285".
    Raises ValueError if a part does not fit its digits.
    """
    wareki = birth_date if isinstance(birth_date, WarekiDate) else to_wareki(birth_date)
    _check_tail(expiry_year, security_code)
    return f"{wareki.yymmdd()}{expiry_year:04d}{security_code}"


def pin_b_from_printed(
    printed_year: int, month: int, day: int, expiry_year: int, security_code: str
) -> str:
    """照合番号B from the birth-date digits exactly as printed, when the era itself is unread.

    `printed_year` is the year number as printed (era year, or for a card printed in the
    Gregorian calendar its last two digits are used — *unconfirmed* rule). Raises ValueError.
    """
    if printed_year < 1:
        raise ValueError("printed year must be positive")
    yy = printed_year % 100 if printed_year >= 1000 else printed_year
    if yy > 99:
        raise ValueError("printed year does not fit two digits")
    date(2000, month, day)  # month and day exist in some year (leap year 2000 allows 2月29日)
    _check_tail(expiry_year, security_code)
    return f"{yy:02d}{month:02d}{day:02d}{expiry_year:04d}{security_code}"
