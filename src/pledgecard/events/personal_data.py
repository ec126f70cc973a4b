"""What events hold about a person: registrations (with access needs and dietary requirements, check-in) and
attendee files part-way through an import that contain their address. Registered from `EventsConfig.ready()`.

Erasure anonymises a registration instead of deleting it: meetings, workshop places and check-in counts of the
day refer to it, and other people's "who I met" and the sector grid stay right only if the row stays. What
identified the person goes; the sector, the status and when they arrived stay. A registration for an event
that has not happened yet is cancelled as well (the person will not come, and their place goes to the waiting
list); so is one still waiting or offered a place.
"""

import logging

from django.utils import timezone

from pledgecard.core import personal_data
from pledgecard.delivery.services import messages_about
from pledgecard.events.models import Event, ImportUpload, Registration

logger = logging.getLogger(__name__)
Status = Registration.Status


def _in(queryset, alliances, path="event__alliance_id"):
    return queryset if alliances is None else queryset.filter(**{f"{path}__in": alliances})


def registrations_of(email: str, alliances=None):
    return _in(Registration.objects.filter(email__iexact=email), alliances).select_related(
        "event__alliance", "sector"
    )


def message_subjects(email: str, alliances=None) -> dict[str, str]:
    """The outbox's subjects of this person's registrations, with words for their export."""
    return {
        f"events.registration:{pk}": f"registration {public_id}"
        for pk, public_id in registrations_of(email, alliances).values_list("pk", "public_id")
    }


def registration_messages_delete(sender, instance, **kwargs) -> None:
    """A deleted registration's messages go too (post_delete): there is nothing left to write them from."""
    messages_about(instance).delete()


def _registration_record(r: Registration) -> dict:
    return {
        "what": "registration",
        "alliance": r.event.alliance.slug,
        "event": r.event.title,
        "event_date": r.event.date,
        "id": str(r.public_id),
        "name": r.name,
        "email": r.email,
        "organisation": r.organisation,
        "sector": r.sector.name,
        "role": r.role,
        "status": r.get_status_display(),
        "group": r.group,
        "access_needs": r.access_needs,
        "dietary_requirements": r.dietary,
        "consent_to_access_and_dietary_at": r.special_consent_at,
        "offer_expires_at": r.offer_expires_at,
        "checked_in_at": r.checked_in_at,
        "came_from": r.source,
        "reference_in_the_source": r.external_ref,
        "registered_at": r.created_at,
        "changed_at": r.updated_at,
    }


def _uploads_containing(email: str, alliances=None) -> list[tuple[ImportUpload, list[dict]]]:
    """Attendee files waiting to be imported that hold the address, and the rows that hold it."""
    from pledgecard.events.imports import FileProblem, read_table

    wanted = email.casefold()
    found = []
    for upload in _in(ImportUpload.objects.select_related("event__alliance"), alliances):
        data = bytes(upload.data)
        try:
            table = read_table(data, kind=upload.kind, filename=upload.filename)
        except FileProblem:
            # Unreadable as a table: still the person's if their address is in it anywhere.
            if wanted in data.decode("utf-8", "replace").casefold():
                found.append((upload, []))
            continue
        rows = [
            {
                (table.headers[i] if i < len(table.headers) and table.headers[i] else f"column {i + 1}"): str(
                    c
                )
                for i, c in enumerate(cells)
                if c not in (None, "")
            }
            for _, cells in table.rows
            if any(wanted in str(c).casefold() for c in cells if c is not None)
        ]
        if rows:
            found.append((upload, rows))
    return found


def export(email: str, *, alliances=None) -> list:
    records = [_registration_record(r) for r in registrations_of(email, alliances)]
    for upload, rows in _uploads_containing(email, alliances):
        records.append(
            {
                "what": "attendee file being imported",
                "alliance": upload.event.alliance.slug,
                "event": upload.event.title,
                "file": upload.filename,
                "uploaded_at": upload.created_at,
                "rows_about_this_address": rows,
            }
        )
    return records


def erase(email: str, *, alliances=None, replacement: personal_data.Replacement) -> int:
    today = timezone.localdate()
    changed = 0
    to_reoffer: set[int] = set()
    for r in registrations_of(email, alliances):
        not_over = r.event.date >= today
        if r.status != Status.CANCELLED and (not_over or r.status in (Status.WAITING, Status.OFFERED)):
            if r.status == Status.CONFIRMED:
                to_reoffer.add(r.event_id)
            r.status = Status.CANCELLED
            r.offer_expires_at = None
        r.name = replacement.name
        r.email = replacement.email
        r.organisation = organisation_after(r.organisation, email, r.event.alliance_id, replacement)
        r.role = r.group = r.access_needs = r.dietary = r.external_ref = ""
        r.special_consent_at = None
        r.set_new_link()  # the old private link stops working
        r.save()
        changed += 1
    uploads = [upload.pk for upload, _ in _uploads_containing(email, alliances)]
    changed += ImportUpload.objects.filter(pk__in=uploads).delete()[0]
    if to_reoffer:
        from pledgecard.events import registrations

        for event in Event.objects.filter(pk__in=to_reoffer):
            registrations.places_changed(event)  # the places they held go down the waiting list
    return changed


def organisation_after(organisation: str, email: str, alliance_id: int, replacement) -> str:
    """An organisation stays when someone else registered in the alliance with it too (then it does not single
    the person out, and counts by organisation stay right); one only this person gave could identify them, so
    it becomes the erasure's own placeholder (one per erasure: organisations connected still count the
    same)."""
    if not organisation.strip():
        return organisation
    shared = (
        Registration.objects.filter(organisation__iexact=organisation, event__alliance_id=alliance_id)
        .exclude(email__iexact=email)
        .exclude(email__iendswith="@" + personal_data.ERASED_DOMAIN)
        .exists()
    )
    return organisation if shared else replacement.organisation
