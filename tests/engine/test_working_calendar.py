"""Working-day time limits on the Chinese calendar: 国庆 2026, 调休, pauses, cards.

Calendar facts are from the chinesecalendar package's data (State Council arrangement for
2026): 1–7 Oct 2026 are 国庆 holidays, Sunday 20 Sep and Saturday 10 Oct are 调休 workdays.
`test_calendar_facts_come_from_the_package` checks the package still says so.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.working_calendar import (
    CHINA_TZ,
    FIRST_COVERED_YEAR,
    LAST_COVERED_YEAR,
    Card,
    Deadline,
    Pause,
    add_working_time,
    covers,
    is_working_day,
    working_time_between,
)

H = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def bj(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHINA_TZ)


def test_calendar_facts_come_from_the_package():
    for day in range(1, 8):
        assert chinese_calendar.get_holiday_detail(dt.date(2026, 10, day))[0] is True
    for makeup in (dt.date(2026, 9, 20), dt.date(2026, 10, 10)):
        assert chinese_calendar.get_holiday_detail(makeup) == (False, "National Day")


def test_national_day_2026():
    assert is_working_day(dt.date(2026, 9, 30))
    assert not any(is_working_day(dt.date(2026, 10, d)) for d in range(1, 8))
    assert is_working_day(dt.date(2026, 10, 8))
    assert is_working_day(dt.date(2026, 9, 20))  # Sunday, 调休
    assert is_working_day(dt.date(2026, 10, 10))  # Saturday, 调休
    assert not is_working_day(dt.date(2026, 10, 11))  # plain Sunday
    assert not is_working_day(dt.date(2026, 10, 17))  # plain Saturday


def test_one_day_started_before_national_day_ends_after_it():
    start = bj(2026, 9, 30, 15, 0)  # 9 h left on the last working day before the holiday
    assert add_working_time(start, DAY) == bj(2026, 10, 8, 15, 0)
    assert working_time_between(start, bj(2026, 10, 8, 0, 0)) == 9 * H


def test_makeup_saturday_counts_as_a_working_day():
    friday = bj(2026, 10, 9, 10, 0)
    assert add_working_time(friday, DAY) == bj(2026, 10, 10, 10, 0)
    assert working_time_between(bj(2026, 10, 10, 0, 0), bj(2026, 10, 12, 0, 0)) == 24 * H


def test_normal_weekend_does_not_count():
    friday = bj(2026, 10, 16, 15, 0)
    assert add_working_time(friday, DAY) == bj(2026, 10, 19, 15, 0)
    assert working_time_between(friday, bj(2026, 10, 19, 15, 0)) == 24 * H
    assert working_time_between(bj(2026, 10, 17, 8, 0), bj(2026, 10, 18, 20, 0)) == dt.timedelta()


def test_half_a_day_is_twelve_hours_of_working_time():
    assert Deadline(bj(2026, 10, 15, 9, 0), Decimal("0.5")).due_at() == bj(2026, 10, 15, 21, 0)
    # Friday 18:00: 6 h on Friday, the other 6 h after the weekend.
    assert Deadline(bj(2026, 10, 16, 18, 0), Decimal("0.5")).due_at() == bj(2026, 10, 19, 6, 0)


def test_on_the_spot_item_is_due_at_the_end_of_its_working_day():
    started = bj(2026, 10, 15, 14, 30)
    deadline = Deadline(started, Decimal(0))
    assert deadline.due_at() == bj(2026, 10, 16, 0, 0)
    assert deadline.card(bj(2026, 10, 15, 23, 59)) == Card.YELLOW
    assert deadline.card(bj(2026, 10, 16, 0, 0, 1)) == Card.RED


def test_on_the_spot_item_taken_in_on_a_holiday_is_due_at_the_end_of_the_next_working_day():
    assert Deadline(bj(2026, 10, 3, 11, 0), Decimal(0)).due_at() == bj(2026, 10, 9, 0, 0)


def test_task_started_on_a_holiday_starts_counting_on_the_next_working_day():
    deadline = Deadline(bj(2026, 10, 3, 11, 0), Decimal(1))
    assert deadline.used(bj(2026, 10, 7, 23, 59)) == dt.timedelta()
    assert deadline.used(bj(2026, 10, 8, 6, 0)) == 6 * H
    assert deadline.due_at() == bj(2026, 10, 9, 0, 0)


def test_pause_and_resume_across_national_day():
    deadline = Deadline(bj(2026, 9, 29, 9, 0), Decimal(2))
    paused = deadline.paused(bj(2026, 9, 30, 9, 0))  # 补正 after 24 h of work
    assert paused.due_at() is None  # depends on when the applicant comes back
    assert paused.used(bj(2026, 10, 8, 12, 0)) == 24 * H
    assert paused.card(bj(2026, 10, 20, 0, 0)) == Card.NONE  # no card while waiting
    resumed = paused.resumed(bj(2026, 10, 9, 9, 0))
    # 24 h left: 15 h on Friday 9 Oct, 9 h on the 调休 Saturday.
    assert resumed.due_at() == bj(2026, 10, 10, 9, 0)
    assert resumed.pauses == (Pause(bj(2026, 9, 30, 9, 0), bj(2026, 10, 9, 9, 0)),)
    assert deadline.pauses == ()  # the original is untouched
    assert deadline.due_at() == bj(2026, 10, 8, 9, 0)


def test_overlapping_pauses_stop_the_clock_once():
    start = bj(2026, 10, 12, 0, 0)
    correction = Pause(bj(2026, 10, 12, 6, 0), bj(2026, 10, 12, 12, 0))
    missing_material = Pause(bj(2026, 10, 12, 10, 0), bj(2026, 10, 12, 18, 0))
    deadline = Deadline(start, Decimal(1), (missing_material, correction))
    assert deadline.used(bj(2026, 10, 13, 0, 0)) == 12 * H
    assert deadline.due_at() == bj(2026, 10, 13, 12, 0)


def test_yellow_at_exactly_80_percent_and_red_one_second_after_due():
    # 5 days = 120 h of working time from Tue 29 Sep: 29, 30 Sep, 8, 9 Oct, then 调休 Sat 10.
    deadline = Deadline(bj(2026, 9, 29, 0, 0), Decimal(5))
    yellow = bj(2026, 10, 10, 0, 0)  # 96 h used
    assert deadline.fraction_used(yellow) == Decimal("0.8")
    assert deadline.card(yellow) == Card.YELLOW
    assert deadline.card(yellow - dt.timedelta(microseconds=1)) == Card.NONE
    assert deadline.reached_at(Decimal("0.8")) == yellow
    due = deadline.due_at()
    assert due == bj(2026, 10, 11, 0, 0)  # Saturday 24:00
    assert deadline.card(due) == Card.YELLOW
    assert deadline.card(due + dt.timedelta(seconds=1)) == Card.RED
    # Sunday is a rest day, so no more time is used, but the task is past due all the same.
    assert deadline.remaining(bj(2026, 10, 11, 15, 0)) == dt.timedelta()
    assert deadline.card(bj(2026, 10, 11, 15, 0)) == Card.RED
    assert deadline.remaining(bj(2026, 10, 12, 1, 0)) == -H


def test_card_threshold_is_configurable_and_labels_are_chinese():
    deadline = Deadline(bj(2026, 10, 12, 0, 0), Decimal(1))
    assert deadline.card(bj(2026, 10, 12, 16, 0), yellow_at=Decimal("0.7")) == Card.NONE
    assert deadline.card(bj(2026, 10, 12, 17, 0), yellow_at=Decimal("0.7")) == Card.YELLOW
    assert [c.label for c in Card] == ["正常", "黄牌", "红牌"]
    assert Card("red") is Card.RED


def test_overdue_before_a_pause_stays_red_while_paused():
    deadline = Deadline(bj(2026, 10, 12, 0, 0), Decimal(1)).paused(bj(2026, 10, 13, 8, 0))
    assert deadline.due_at() == bj(2026, 10, 13, 0, 0)
    assert deadline.card(bj(2026, 10, 20, 0, 0)) == Card.RED


def test_pausing_twice_or_resuming_a_running_clock_is_a_mistake():
    deadline = Deadline(bj(2026, 10, 12, 0, 0), Decimal(1))
    with pytest.raises(ValueError):
        deadline.resumed(bj(2026, 10, 12, 1, 0))
    with pytest.raises(ValueError):
        deadline.paused(bj(2026, 10, 12, 1, 0)).paused(bj(2026, 10, 12, 2, 0))


def test_utc_inputs_are_judged_by_the_beijing_day():
    utc = dt.UTC
    # 16:00 UTC on 7 Oct is 00:00 on 8 Oct in Beijing: the first working hour after 国庆.
    assert (
        working_time_between(
            dt.datetime(2026, 10, 7, 15, 0, tzinfo=utc), dt.datetime(2026, 10, 7, 17, 0, tzinfo=utc)
        )
        == H
    )
    due = add_working_time(dt.datetime(2026, 10, 7, 10, 0, tzinfo=utc), H)
    assert due == dt.datetime(2026, 10, 7, 17, 0, tzinfo=utc)
    assert due.utcoffset() == 8 * H
    assert not is_working_day(dt.datetime(2026, 9, 30, 17, 0, tzinfo=utc))  # 1 Oct in Beijing


def test_a_daylight_saving_zone_elsewhere_does_not_bend_beijing_days():
    new_york = ZoneInfo("America/New_York")
    # 1 Nov 2026 has 25 hours in New York; in Beijing it is a Sunday then a Monday.
    start = dt.datetime(2026, 11, 1, 0, 0, tzinfo=new_york)  # Sun 12:00 Beijing
    end = dt.datetime(2026, 11, 1, 23, 0, tzinfo=new_york)  # Mon 12:00 Beijing
    assert working_time_between(start, end) == 12 * H
    assert bj(2026, 7, 1).utcoffset() == bj(2026, 1, 1).utcoffset() == 8 * H


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        working_time_between(dt.datetime(2026, 10, 8), bj(2026, 10, 9))
    with pytest.raises(ValueError, match="naive"):
        Deadline(dt.datetime(2026, 10, 8), Decimal(1))


def test_years_without_holiday_data_fall_back_to_monday_to_friday():
    assert covers(dt.date(LAST_COVERED_YEAR, 12, 31))
    later = dt.date(LAST_COVERED_YEAR + 1, 1, 1)
    assert not covers(later)
    assert is_working_day(later) == (later.weekday() < 5)
    assert not covers(dt.date(FIRST_COVERED_YEAR - 1, 6, 1))


_ZONES = st.sampled_from([dt.UTC, CHINA_TZ, ZoneInfo("Asia/Kolkata"), ZoneInfo("Europe/Berlin")])
_STARTS = st.datetimes(
    min_value=dt.datetime(FIRST_COVERED_YEAR, 1, 1),
    max_value=dt.datetime(LAST_COVERED_YEAR, 12, 31),
    timezones=_ZONES,
)
_AMOUNTS = st.timedeltas(min_value=dt.timedelta(), max_value=dt.timedelta(days=40))


@given(start=_STARTS, amount=_AMOUNTS)
def test_adding_working_time_is_the_inverse_of_measuring_it(start, amount):
    assert working_time_between(start, add_working_time(start, amount)) == amount


@given(start=_STARTS, span=_AMOUNTS)
def test_added_working_time_ends_at_the_earliest_instant(start, span):
    end = start.astimezone(dt.UTC) + span
    assert add_working_time(start, working_time_between(start, end)) <= end


def test_calendar_days_count_holidays_and_weekends():
    # 15 自然日 from 30 Sep 2026 09:00 run through 国庆 and two weekends: due 15 Oct 09:00.
    start = bj(2026, 9, 30, 9)
    deadline = Deadline(start, Decimal(15), calendar_days=True)
    assert deadline.due_at() == bj(2026, 10, 15, 9)
    # The same as working days is due much later: 国庆's seven days do not count.
    assert Deadline(start, Decimal(15)).due_at() > bj(2026, 10, 22)


def test_calendar_days_stop_for_pauses_and_a_zero_limit_ends_that_day():
    start = bj(2026, 10, 1, 10)  # a holiday: calendar days count it all the same
    paused = Deadline(start, Decimal(1), (Pause(bj(2026, 10, 1, 12), bj(2026, 10, 3, 12)),), True)
    assert paused.due_at() == bj(2026, 10, 4, 10)
    assert Deadline(start, Decimal(0), calendar_days=True).due_at() == bj(2026, 10, 2)


def test_an_installed_table_decides_and_marks_what_lies_past_it():
    from engine import working_calendar as wc

    original = wc.installed()
    try:
        # A 2027 notice with 1 Jan off and Saturday 2 Jan worked (not the real notice).
        holidays = frozenset({dt.date(2027, 1, 1)})
        workdays = frozenset({dt.date(2027, 1, 2)})
        wc.install(wc.HolidayTable(2026, 2027, original.holidays | holidays, workdays))
        assert covers(dt.date(2027, 12, 31)) and not covers(dt.date(2028, 1, 1))
        assert not is_working_day(dt.date(2027, 1, 1)) and is_working_day(dt.date(2027, 1, 2))
        assert not wc.provisional(bj(2027, 12, 31, 23))
        assert wc.provisional(bj(2028, 1, 1, 0, 1))
    finally:
        wc.install(original)
    assert wc.provisional(bj(LAST_COVERED_YEAR + 1, 1, 1, 1))
