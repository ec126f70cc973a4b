"""How dates and times are written for people: in the event's time zone, the way GOV.UK writes them."""

from zoneinfo import ZoneInfo

from django.conf import settings


def long_date(value):
    """7 November 2023."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def local_datetime(value, tz=None):
    """7 May 2024 at 10:00am, in `tz` (default: the site's time zone)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(str(tz or settings.TIME_ZONE)))
    return f"{long_date(local)} at {time_only(local)}"


def time_only(value):
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    if value.hour == 12 and value.minute == 0:
        return "midday"
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"
