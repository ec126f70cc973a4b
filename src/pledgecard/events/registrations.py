"""Registration rules: places, the waiting list and its offers, groups that come together, check-in, retention.

Places are counted as confirmed registrations plus open offers. Changing who holds a place happens inside one
transaction that first locks the event row (`select_for_update`), so two people taking the last place at once
cannot both get it; on SQLite the IMMEDIATE transaction gives the same one-writer guarantee.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from pledgecard.delivery import services as delivery
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event, Registration

Status = Registration.Status
LINK_AGAIN = "registration_link_again"
HOLDING = (Status.CONFIRMED, Status.OFFERED)


class RegistrationClosed(Exception):
    pass


class AlreadyRegistered(Exception):
    def __init__(self, registration):
        self.registration = registration
        super().__init__("That email address is already registered for this event")


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    organisation: str
    sector: object
    role: str = ""
    access_needs: str = ""
    dietary: str = ""
    special_consent: bool = False


def places_left(event: Event) -> int | None:
    if event.capacity is None:
        return None
    held = event.registrations.filter(status__in=HOLDING).count()
    return max(0, event.capacity - held)


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


def _notify(registration: Registration, kind: str) -> None:
    delivery.message_schedule(kind=kind, subject=registration.subject,
                              alliance_id=registration.event.alliance_id, to_address=registration.email,
                              due_at=timezone.now())


def register(event: Event, people: list[Person], *, source="web", checked_in_by=None) -> list[Registration]:
    """Register one person, or several who must come together (the first is the one filling in the form).

    A group gets places together or waits together. Raises RegistrationClosed or AlreadyRegistered.
    """
    if not event.registration_open and checked_in_by is None:
        raise RegistrationClosed("Registration for this event is closed")
    now = timezone.now()
    group = uuid.uuid4().hex[:12] if len(people) > 1 else ""
    try:
        with transaction.atomic():
            event = _lock(event)
            for person in people:
                existing = event.registrations.filter(email__iexact=person.email).exclude(status=Status.CANCELLED).first()
                if existing:
                    raise AlreadyRegistered(existing)
            left = places_left(event)
            walk_in = checked_in_by is not None
            status = Status.CONFIRMED if walk_in or left is None or left >= len(people) else Status.WAITING
            created = []
            for person in people:
                # Always a new row: a cancelled registration (its private link, its answers) is never handed
                # to whoever signs up next with that address.
                registration = Registration(event=event, email=person.email)
                registration.name, registration.organisation = person.name, person.organisation
                registration.sector, registration.role = person.sector, person.role
                registration.status, registration.group, registration.source = status, group, source
                if person.special_consent and (person.access_needs or person.dietary):
                    registration.access_needs, registration.dietary = person.access_needs, person.dietary
                    registration.special_consent_at = now
                if walk_in:
                    registration.checked_in_at, registration.checked_in_by = now, checked_in_by
                registration.save()
                created.append(registration)
                _notify(registration, Message.Kind.REGISTRATION_CONFIRMATION if status == Status.CONFIRMED
                        else Message.Kind.WAITING_LIST)
    except IntegrityError as exc:  # the same email registered at the same moment by a double tap
        existing = event.registrations.filter(email__iexact=people[0].email).exclude(status=Status.CANCELLED).first()
        if existing:
            raise AlreadyRegistered(existing) from exc
        raise
    return created


def register_publicly(event: Event, people: list[Person]) -> list[Registration]:
    """The public form: register whoever is new, and send anyone already registered their own link again.

    The form's answer is the same either way ("check your email"), so it never tells a visitor whether an
    address is registered, and nobody reaches someone else's registration by typing their address.
    Raises RegistrationClosed.
    """
    if not event.registration_open:
        raise RegistrationClosed("Registration for this event is closed")
    with transaction.atomic():
        live = event.registrations.exclude(status=Status.CANCELLED)
        already = {r.email.casefold(): r for r in live.filter(_any_email_iexact(people))}
        new = [p for p in people if p.email.casefold() not in already]
        for registration in already.values():
            link_send_again(registration)
    if not new:
        return []
    try:
        return register(event, new)
    except AlreadyRegistered as exc:  # registered by someone else in between
        with transaction.atomic():
            link_send_again(exc.registration)
        return []


def _any_email_iexact(people: list[Person]) -> Q:
    condition = Q(pk__in=[])
    for person in people:
        condition |= Q(email__iexact=person.email)
    return condition


# One "here is your link again" email per registration in this time, however often the form is sent.
LINK_AGAIN_SECONDS = 600


def link_send_again(registration: Registration) -> bool:
    """Email someone their registration's private link again (they, or someone typing their address, used the
    form again). Limited, so that the form cannot be used to fill someone's inbox."""
    since = timezone.now() - dt.timedelta(seconds=LINK_AGAIN_SECONDS)
    if delivery.messages_about(registration).filter(kind=LINK_AGAIN, created_at__gte=since).exists():
        return False
    _notify(registration, LINK_AGAIN)
    return True


def details_update(registration: Registration, person: Person) -> Registration:
    """Change one's own details; calendar files sent from now on carry a higher SEQUENCE."""
    with transaction.atomic():
        registration.name, registration.organisation = person.name, person.organisation
        registration.sector, registration.role = person.sector, person.role
        if person.special_consent and (person.access_needs or person.dietary):
            registration.access_needs, registration.dietary = person.access_needs, person.dietary
            registration.special_consent_at = registration.special_consent_at or timezone.now()
        else:
            registration.access_needs = registration.dietary = ""
            registration.special_consent_at = None
        registration.sequence += 1
        registration.save()
        if registration.status == Status.CONFIRMED:
            _notify(registration, Message.Kind.REGISTRATION_CONFIRMATION)
    return registration


def cancel(registration: Registration) -> None:
    """Give up a place (or leave the waiting list); the place is offered to whoever is next."""
    with transaction.atomic():
        event = _lock(registration.event)
        registration.refresh_from_db()
        if registration.status == Status.CANCELLED:
            return
        registration.status = Status.CANCELLED
        registration.offer_expires_at = None
        # Special-category data is kept only to look after someone at the event they are coming to.
        registration.access_needs = registration.dietary = ""
        registration.special_consent_at = None
        registration.sequence += 1
        registration.save(update_fields=["status", "offer_expires_at", "access_needs", "dietary",
                                         "special_consent_at", "sequence", "updated_at"])
        _notify(registration, Message.Kind.REGISTRATION_CANCELLED)
        _offer_free_places(event)


def _waiting_units(event: Event) -> list[list[Registration]]:
    """The waiting list in order of joining; a group is one unit."""
    units: dict[str, list[Registration]] = {}
    for registration in event.registrations.filter(status=Status.WAITING).order_by("created_at", "pk"):
        units.setdefault(registration.group or f"single-{registration.pk}", []).append(registration)
    return list(units.values())


def _offer_free_places(event: Event, skip: frozenset[int] = frozenset()) -> int:
    """Offer free places down the waiting list. A group waits for enough places for all of it, and people
    behind it may take a smaller number of places meanwhile: nobody is held up by a group that does not fit.
    `skip`: people whose offer has just lapsed are not offered the same place again at once."""
    left = places_left(event)
    offered = 0
    expires = timezone.now() + dt.timedelta(hours=event.offer_hours)
    for unit in _waiting_units(event):
        if any(r.pk in skip for r in unit):
            continue
        if left is not None and len(unit) > left:
            continue
        for registration in unit:
            registration.status, registration.offer_expires_at = Status.OFFERED, expires
            registration.save(update_fields=["status", "offer_expires_at", "updated_at"])
            _notify(registration, Message.Kind.PLACE_OFFERED)
        offered += len(unit)
        if left is not None:
            left -= len(unit)
            if left == 0:
                break
    return offered


def places_changed(event: Event) -> int:
    """After the organiser adds places: offer them down the waiting list."""
    with transaction.atomic():
        return _offer_free_places(_lock(event))


def offer_accept(registration: Registration) -> bool:
    """Take an offered place (a button, never a link): True if it was still open."""
    with transaction.atomic():
        _lock(registration.event)
        registration.refresh_from_db()
        if registration.status != Status.OFFERED or registration.offer_expires_at <= timezone.now():
            return False
        group = [registration] if not registration.group else list(
            registration.event.registrations.filter(group=registration.group, status=Status.OFFERED))
        for member in group:
            member.status, member.offer_expires_at = Status.CONFIRMED, None
            member.sequence += 1
            member.save(update_fields=["status", "offer_expires_at", "sequence", "updated_at"])
            _notify(member, Message.Kind.REGISTRATION_CONFIRMATION)
    return True


def offers_expire(now: dt.datetime | None = None) -> int:
    """Offers not taken in time go back to the end of the waiting list; the places move on."""
    now = now or timezone.now()
    expired = 0
    for event in Event.objects.filter(registrations__status=Status.OFFERED,
                                      registrations__offer_expires_at__lte=now).distinct():
        with transaction.atomic():
            event = _lock(event)
            stale = list(event.registrations.filter(status=Status.OFFERED, offer_expires_at__lte=now))
            # Back of the queue: they keep their registration but not their turn.
            Registration.objects.filter(pk__in=[r.pk for r in stale]).update(
                status=Status.WAITING, offer_expires_at=None, created_at=now, updated_at=now)
            expired += len(stale)
            _offer_free_places(event, skip=frozenset(r.pk for r in stale))
    return expired


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    newly: bool  # False when they were already checked in


def check_in(registration: Registration, *, by) -> CheckIn:
    """One tap checks someone in; a second tap (or a second facilitator) changes nothing."""
    now = timezone.now()
    updated = Registration.objects.filter(pk=registration.pk, checked_in_at__isnull=True,
                                          status=Status.CONFIRMED).update(checked_in_at=now, checked_in_by=by)
    registration.refresh_from_db()
    return CheckIn(registration, newly=bool(updated))


def check_in_undo(registration: Registration) -> None:
    Registration.objects.filter(pk=registration.pk).update(checked_in_at=None, checked_in_by=None)


def check_in_search(event: Event, query: str, limit: int = 20):
    query = " ".join(query.split())[:100]
    people = event.registrations.exclude(status=Status.CANCELLED).select_related("sector", "checked_in_by")
    if not query:
        return people.none()
    words = query.split()
    for word in words:
        people = people.filter(Q(name__icontains=word) | Q(organisation__icontains=word) | Q(email__iexact=word))
    return people.order_by("name")[:limit]


def special_data_purge(now: dt.datetime | None = None) -> int:
    """Delete access needs and dietary requirements once an event's retention period has passed."""
    today = timezone.localdate(now or timezone.now())
    purged = 0
    for event in Event.objects.filter(registrations__special_consent_at__isnull=False).distinct():
        if today > event.date + dt.timedelta(days=event.special_data_retention_days):
            purged += event.registrations.filter(special_consent_at__isnull=False).update(
                access_needs="", dietary="", special_consent_at=None)
    return purged
