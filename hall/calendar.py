"""Chinese working days: public holidays off, make-up workdays on, and arithmetic on them.

Three sources, in this order: a day the administrators entered (table ``calendar_days``,
``hall/admin/models.py: CalendarDay``); else the maintained ``chinesecalendar`` package, for
the years it covers; else Monday to Friday. The State Council announces each year's
arrangement in November or December, often before a release of the package knows it, so a
hall enters it itself.

A ``Calendar`` is an immutable view of the entered days. The reference cache holds the
current one (``hall/cache.py: ReferenceCache.calendar``), so a change reaches every process at
once and the hot path reads no table; callers take it from there, never build their own.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import chinese_calendar
from chinese_calendar.constants import holidays as _package_holidays

# The years an administrator may enter (and the horizon of ``uncovered_from``).
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The admin pages warn when a year nobody covers starts within this many days.
WARN_DAYS = 60
# The national arrangement follows Beijing time, whatever a hall's own zone.
ZONE = "Asia/Shanghai"
NAME_MAX = 40

Source = Literal["table", "package", "none"]

PACKAGE_YEARS = range(
    min(_package_holidays).year, max(_package_holidays).year + 1
)  # the years ``chinesecalendar`` knows
_ORIGIN = date(FIRST_YEAR, 1, 1)
_INDEX_MAX = 50_000  # remembered day indexes before the memo starts over


@dataclass(frozen=True)
class EnteredDay:
    """A day as the administrators entered it: a holiday or a make-up working day."""

    day: date
    workday: bool
    name: str


class Calendar:
    """Working days by the entered days, then the package, then Monday to Friday."""

    __slots__ = ("_entered", "_years", "_index")

    def __init__(self, entered: Iterable[EnteredDay] = ()) -> None:
        self._entered: dict[date, EnteredDay] = {d.day: d for d in entered}
        self._years = frozenset(d.year for d in self._entered)
        # Working-day indexes already counted (a memo, not state: the days never change).
        self._index: dict[date, int] = {}

    # -- which days work -------------------------------------------------------------------

    def is_workday(self, day: date) -> bool:
        """A Chinese working day (holidays off, make-up workdays on); weekdays beyond both."""
        entered = self._entered.get(day)
        if entered is not None:
            return entered.workday
        if day.year in PACKAGE_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add_workdays(self, start: date, days: int) -> date:
        """The working day ``days`` working days after ``start`` (``start`` itself not counted).

        ``add_workdays(d, 0)`` is ``d`` when it is a working day, else the next working day.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        if days == 0:
            while not self.is_workday(day):
                day += timedelta(days=1)
            return day
        while days:
            day += timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        return day

    def sub_workdays(self, end: date, days: int) -> date:
        """The latest working day that lies ``days`` working days before ``end``."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = end
        while days:
            day -= timedelta(days=1)
            if self.is_workday(day):
                days -= 1
        while not self.is_workday(day):
            day -= timedelta(days=1)
        return day

    def workdays_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
        if end < start:
            return -self.workdays_between(end, start)
        return sum(
            1 for n in range(1, (end - start).days + 1) if self.is_workday(start + timedelta(n))
        )

    def workday_index(self, day: date) -> int:
        """Working days from a fixed day to ``day``: workdays_between(a, b) = index(b) - index(a).

        Remembered, counted from the start of the day's year, so reports over many cases walk
        each year once."""
        found = self._index.get(day)
        if found is not None:
            return found
        if day.year <= _ORIGIN.year:
            found = self.workdays_between(_ORIGIN, day)
        else:
            # The year's first day counts from the year before's, the rest from their own.
            mark = date(day.year - (day.month == 1 and day.day == 1), 1, 1)
            found = self.workday_index(mark) + self.workdays_between(mark, day)
        if len(self._index) >= _INDEX_MAX:
            self._index.clear()
        self._index[day] = found
        return found

    # -- what covers which year ------------------------------------------------------------

    def source(self, year: int) -> Source:
        """What decides the year's days: ``table`` once any of its days is entered (the
        package fills the rest where it knows the year), else ``package``, else ``none``."""
        if year in self._years:
            return "table"
        if year in PACKAGE_YEARS:
            return "package"
        return "none"

    def coverage(self, years: Iterable[int]) -> dict[int, Source]:
        """The source of each year."""
        return {year: self.source(year) for year in years}

    def uncovered_from(self, day: date) -> date | None:
        """The first day from ``day`` on in a year nothing covers (None: none up to LAST_YEAR)."""
        for year in range(day.year, LAST_YEAR + 1):
            if self.source(year) == "none":
                return day if year == day.year else date(year, 1, 1)
        return None

    def warning(self, today: date) -> int | None:
        """The year to warn about: one nothing covers that starts within ``WARN_DAYS``."""
        first = self.uncovered_from(today)
        if first is None or (first - today).days > WARN_DAYS:
            return None
        return first.year

    def entered(self, year: int | None = None) -> list[EnteredDay]:
        """The entered days (of one year), by date."""
        days = sorted(self._entered.values(), key=lambda d: d.day)
        return days if year is None else [d for d in days if d.day.year == year]


def warning_text(year: int) -> str:
    """The warning that a year's holiday arrangement is missing, Chinese first."""
    return f"{year} 年节假日安排尚未录入 / The {year} holiday arrangement has not been entered"
