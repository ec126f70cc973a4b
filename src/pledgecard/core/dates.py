"""Calendar arithmetic for reminders. Every send time in Pledgecard is computed here, and only here.

"Six months later" is calendar months, clamped to the month's end: 31 August + 6 months is 28 February
(29 in a leap year). A local send time is turned into UTC once, when the message is scheduled; the database
stores UTC only, so PostgreSQL and Python never each have their own idea of a local time.
"""

import calendar
import datetime as dt
from zoneinfo import ZoneInfo

REMINDER_MONTHS = 6
DEFAULT_SEND_TIME = dt.time(10, 0)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by whole calendar months; a day past the end of the target month becomes its last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def default_reminder_date(event_date: dt.date) -> dt.date:
    return add_months(event_date, REMINDER_MONTHS)


def local_to_utc(day: dt.date, at: dt.time, time_zone: str) -> dt.datetime:
    """The UTC instant of wall-clock `at` on `day` in `time_zone`.

    When the clocks go forward the skipped hour does not exist: a time inside it is sent an hour later, as
    the clock reads after the change. When they go back the hour happens twice: the first one counts. Both
    come from zoneinfo's `fold=0` rule, applied here and nowhere else.
    """
    zone = ZoneInfo(time_zone)
    local = dt.datetime.combine(day, at, tzinfo=zone)  # fold=0: the earlier of a repeated time
    return local.astimezone(dt.UTC)


def reminder_due_at(day: dt.date, at: dt.time, time_zone: str) -> dt.datetime:
    """When a reminder scheduled for local `day` at `at` is due, in UTC."""
    return local_to_utc(day, at, time_zone)


def refreshed_reminder_date(written_on: dt.date) -> dt.date:
    """A refreshed pledge comes back six months after it was written."""
    return add_months(written_on, REMINDER_MONTHS)
