"""Chinese working days: public holidays off, make-up workdays on, and arithmetic on them.

From the maintained ``chinesecalendar`` package; outside the years it covers, Monday to
Friday are the working days.
"""

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date) -> bool:
    """A Chinese working day (holidays off, make-up workdays on); weekdays beyond the calendar."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_workdays(start: date, days: int) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted).

    ``add_workdays(d, 0)`` is ``d`` when it is a working day, else the next working day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_workday(day):
            day += timedelta(days=1)
        return day
    while days:
        day += timedelta(days=1)
        if is_workday(day):
            days -= 1
    return day


def workdays_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(1 for n in range(1, (end - start).days + 1) if is_workday(start + timedelta(n)))


def sub_workdays(end: date, days: int) -> date:
    """The latest working day that lies ``days`` working days before ``end``."""
    if days < 0:
        raise ValueError("days must not be negative")
    day = end
    while days:
        day -= timedelta(days=1)
        if is_workday(day):
            days -= 1
    while not is_workday(day):
        day -= timedelta(days=1)
    return day
