"""Business rules for alliances and events."""

from django.db import transaction

from pledgecard.core.models import Alliance, AuditEntry, Membership, Role
from pledgecard.events.forms import unique_slug
from pledgecard.events.models import Event


def alliance_create(*, user, name: str, contact_email: str) -> Alliance:
    """A new alliance, with its creator as its first organiser."""
    with transaction.atomic():
        alliance = Alliance.objects.create(name=name, slug=unique_slug(Alliance, name), contact_email=contact_email)
        Membership.objects.create(user=user, alliance=alliance, role=Role.ORGANISER)
        AuditEntry.objects.create(actor=user, alliance=alliance, action="alliance.create", detail={"name": name})
    return alliance


def event_create(*, user, alliance: Alliance, **fields) -> Event:
    """A new event; its postcards come back six months after it unless the organiser chose a day."""
    with transaction.atomic():
        event = Event(alliance=alliance, slug=unique_slug(Event, f"{fields['title']} {fields['date']:%Y}"), **fields)
        event.save()
        AuditEntry.objects.create(actor=user, alliance=alliance, action="event.create", detail={"slug": event.slug})
    return event
