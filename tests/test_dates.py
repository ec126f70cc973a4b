"""Date rules as properties: month ends, leap years and the clock changes, 2000–2100."""

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from pledgecard.core import dates

DAYS = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31))
ZONES = st.sampled_from(["Europe/London", "Europe/Dublin", "Europe/Paris", "America/New_York", "Australia/Sydney"])
HOURS = st.integers(min_value=7, max_value=20).map(lambda h: dt.time(h))


def test_thirty_first_of_august_plus_six_months_is_end_of_february():
    assert dates.add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)  # leap year
    assert dates.add_months(dt.date(2024, 8, 31), 6) == dt.date(2025, 2, 28)
    assert dates.add_months(dt.date(2099, 8, 30), 6) == dt.date(2100, 2, 28)  # 2100 is not a leap year


def test_demo_event_comes_back_on_seventh_of_may():
    assert dates.default_reminder_date(dt.date(2023, 11, 7)) == dt.date(2024, 5, 7)


@given(DAYS, st.integers(min_value=0, max_value=24))
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(day, months):
    result = dates.add_months(day, months)
    assert (result.year * 12 + result.month) - (day.year * 12 + day.month) == months
    last = calendar.monthrange(result.year, result.month)[1]
    assert result.day == min(day.day, last)


@given(DAYS, HOURS, ZONES)
def test_send_time_is_the_wall_clock_time_in_the_events_zone(day, at, zone):
    due = dates.reminder_due_at(day, at, zone)
    assert due.utcoffset() == dt.timedelta(0)
    local = due.astimezone(ZoneInfo(zone))
    # 07:00–20:00 never falls in a skipped or repeated hour in these zones, so the wall time is exact.
    assert (local.date(), local.time()) == (day, at)


def _london_clock_changes(year):
    zone = ZoneInfo("Europe/London")
    day, changes = dt.date(year, 1, 1), []
    while day.year == year:
        before = dt.datetime.combine(day, dt.time(0), tzinfo=zone).utcoffset()
        after = dt.datetime.combine(day, dt.time(23), tzinfo=zone).utcoffset()
        if before != after:
            changes.append((day, after - before))
        day += dt.timedelta(days=1)
    return changes


def test_every_london_clock_change_from_2000_to_2100():
    for year in range(2000, 2101):
        changes = _london_clock_changes(year)
        assert len(changes) == 2, year
        for day, shift in changes:
            # 10:00 on the day of the change is 10:00 on the new clock.
            due = dates.reminder_due_at(day, dt.time(10), "Europe/London")
            expected_offset = dt.timedelta(hours=1) if shift > dt.timedelta(0) else dt.timedelta(0)
            assert due == dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC) - expected_offset


def test_repeated_hour_when_clocks_go_back_is_the_first_one():
    # 29 October 2023: 01:30 happens twice in London. The first (BST) is 00:30 UTC.
    assert dates.local_to_utc(dt.date(2023, 10, 29), dt.time(1, 30), "Europe/London") == dt.datetime(
        2023, 10, 29, 0, 30, tzinfo=dt.UTC
    )


def test_skipped_hour_when_clocks_go_forward_is_sent_an_hour_later_on_the_new_clock():
    # 26 March 2023: 01:30 does not exist in London; it is read with the old offset (GMT), 01:30 UTC = 02:30 BST.
    due = dates.local_to_utc(dt.date(2023, 3, 26), dt.time(1, 30), "Europe/London")
    assert due == dt.datetime(2023, 3, 26, 1, 30, tzinfo=dt.UTC)
    assert due.astimezone(ZoneInfo("Europe/London")).time() == dt.time(2, 30)
