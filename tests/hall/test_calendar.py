"""Working days: the entered days over the package over Monday to Friday, and their arithmetic.

The 2027 days here are illustrative (a holiday as an administrator might enter it), not the
State Council's arrangement."""

from datetime import date, timedelta

from hall import cache, db
from hall.admin.models import CalendarDay
from hall.calendar import PACKAGE_YEARS, Calendar, EnteredDay

# An illustrative Spring Festival week (Sat 6 – Sun 14 Feb 2027) with a make-up Saturday.
FESTIVAL_2027 = [
    *(EnteredDay(date(2027, 2, d), False, "春节") for d in range(6, 15)),
    EnteredDay(date(2027, 2, 20), True, "春节调休上班"),
]


def test_an_entered_day_beats_the_package_and_the_weekdays():
    national_day = date(2026, 10, 1)  # a holiday in the package
    saturday = date(2027, 2, 20)
    plain = Calendar()
    assert not plain.is_workday(national_day)
    assert not plain.is_workday(saturday)
    entered = Calendar([EnteredDay(national_day, True, "改为上班"), *FESTIVAL_2027])
    assert entered.is_workday(national_day)
    assert entered.is_workday(saturday)  # the make-up Saturday works
    assert not entered.is_workday(date(2027, 2, 8))  # a Monday of the festival is off
    # The package still decides the days of 2026 nobody entered, weekdays those of 2027.
    assert not entered.is_workday(date(2026, 10, 2))
    assert entered.is_workday(date(2026, 2, 14))  # the package's make-up Saturday
    assert entered.is_workday(date(2027, 3, 1)) and not entered.is_workday(date(2027, 3, 6))


def test_beyond_every_source_monday_to_friday_work():
    days = Calendar()
    assert 2027 not in PACKAGE_YEARS
    week = [date(2027, 2, 8) + timedelta(n) for n in range(7)]
    assert [days.is_workday(d) for d in week] == [True] * 5 + [False] * 2


def test_a_deadline_across_an_entered_spring_festival():
    before, entered = Calendar(), Calendar(FESTIVAL_2027)
    start = date(2027, 2, 3)  # a Wednesday
    # Without the entry: Thu, Fri, then Mon 8 … Fri 12 — five working days end on the 10th.
    assert before.add_workdays(start, 5) == date(2027, 2, 10)
    # With it: Thu 4, Fri 5, then nothing until Mon 15, 16, 17.
    assert entered.add_workdays(start, 5) == date(2027, 2, 17)
    assert entered.workdays_between(start, date(2027, 2, 17)) == 5
    assert entered.workdays_between(date(2027, 2, 17), start) == -5
    assert entered.sub_workdays(date(2027, 2, 15), 1) == date(2027, 2, 5)
    assert entered.add_workdays(date(2027, 2, 7), 0) == date(2027, 2, 15)
    # The make-up Saturday counts: Mon 15 … Fri 19, Sat 20, Mon 22.
    assert entered.add_workdays(date(2027, 2, 14), 6) == date(2027, 2, 20)


def test_the_working_day_index_agrees_with_counting():
    days = Calendar(FESTIVAL_2027)
    pairs = [
        (date(2025, 12, 30), date(2027, 2, 17)),
        (date(2027, 1, 1), date(2027, 2, 20)),
        (date(2027, 2, 20), date(2026, 2, 14)),
        (date(1999, 12, 31), date(2000, 1, 4)),
    ]
    for a, b in pairs:
        assert days.workday_index(b) - days.workday_index(a) == days.workdays_between(a, b)


def test_coverage_says_what_decides_each_year_and_when_nothing_does():
    last = PACKAGE_YEARS[-1]
    plain = Calendar()
    assert plain.coverage([last, last + 1]) == {last: "package", last + 1: "none"}
    assert plain.uncovered_from(date(last, 12, 4)) == date(last + 1, 1, 1)
    assert plain.uncovered_from(date(last + 1, 3, 1)) == date(last + 1, 3, 1)
    assert plain.warning(date(last, 12, 4)) == last + 1
    assert plain.warning(date(last, 10, 1)) is None  # more than 60 days ahead
    entered = Calendar([EnteredDay(date(last + 1, 2, 8), False, "春节")])
    assert entered.source(last + 1) == "table"
    assert entered.uncovered_from(date(last, 12, 4)) == date(last + 2, 1, 1)
    assert entered.warning(date(last, 12, 4)) is None
    assert [d.day for d in entered.entered(last + 1)] == [date(last + 1, 2, 8)]


def test_the_cache_reads_the_table_and_forgets_it_after_a_change(app):
    refs = app.extensions["hall.cache"]
    day = date(2027, 2, 8)
    assert refs.calendar().is_workday(day)
    with app.app_context(), db.unit_of_work() as session:
        session.add(CalendarDay(day=day, workday=False, name="春节"))
        cache.changed(session)
    assert not refs.calendar().is_workday(day)
    assert refs.calendar().source(2027) == "table"
