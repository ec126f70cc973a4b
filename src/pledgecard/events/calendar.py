"""Calendar files (.ics) that Outlook, Google and Apple calendars all read.

Each entry has a stable UID, so a later file updates the same entry instead of adding another, and a SEQUENCE
that grows with every change. The Europe/London (or the event's) VTIMEZONE block is included, as Outlook
expects.
"""

import datetime as dt

from django.conf import settings
from django.urls import reverse
from icalendar import Calendar, Event as CalendarEvent


def _calendar() -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//Pledgecard//pledgecard//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    return calendar


def _entry(*, uid, sequence, start, end, summary, location, description, cancelled=False) -> CalendarEvent:
    entry = CalendarEvent()
    entry.add("uid", uid)
    entry.add("sequence", sequence)
    entry.add("dtstamp", dt.datetime.now(dt.UTC))
    entry.add("dtstart", start)
    entry.add("dtend", end)
    entry.add("summary", summary)
    if location:
        entry.add("location", location)
    entry.add("description", description)
    entry.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return entry


def registration_ics(registration, link: str) -> bytes:
    """The day itself, for one person."""
    event = registration.event
    zone = event.zone
    calendar = _calendar()
    calendar.add_component(_entry(
        uid=f"registration-{registration.public_id}@pledgecard",
        sequence=registration.sequence,
        start=dt.datetime.combine(event.date, event.starts_at, tzinfo=zone),
        end=dt.datetime.combine(event.date, event.ends_at, tzinfo=zone),
        summary=event.title,
        location=event.venue,
        description=f"Your registration: {link}",
        cancelled=registration.status == "cancelled",
    ))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def sessions_ics(registration, placements) -> bytes:
    """One entry per workshop session the person is placed in."""
    event = registration.event
    zone = event.zone
    link = settings.SITE_URL + reverse("pledges:new", kwargs={"slug": event.slug})
    calendar = _calendar()
    for placement in placements:
        session = placement.session
        calendar.add_component(_entry(
            uid=f"placement-{registration.public_id}-slot-{session.slot_id}@pledgecard",
            sequence=registration.sequence,
            start=dt.datetime.combine(event.date, session.slot.starts_at, tzinfo=zone),
            end=dt.datetime.combine(event.date, session.slot.ends_at, tzinfo=zone),
            summary=f"Workshop: {session.workshop.title}",
            location=", ".join(x for x in [session.room, event.venue] if x),
            description=f"{event.title}. {session.workshop.description}".strip() + f"\n{link}",
        ))
    calendar.add_missing_timezones()
    return calendar.to_ical()
