"""What workshops hold about a person: their ranked choices, when they chose, and the places they were given.
Registered from `WorkshopsConfig.ready()`.

For an event still to come, erasure deletes them: the events holder cancels the registration, and the seat
goes back to the session. For an event that has happened, they stay, pointing at the registration the events
holder anonymises: who chose what and sat where is then no one's, and the counts of places taken and of
choices stay right.
"""

from django.utils import timezone

from pledgecard.workshops.models import ChoiceRecord, Placement, Preference


def _of(model, email, alliances):
    rows = model.objects.filter(registration__email__iexact=email)
    if alliances is not None:
        rows = rows.filter(registration__event__alliance_id__in=alliances)
    return rows


def export(email: str, *, alliances=None) -> list:
    records = []
    for p in _of(Preference, email, alliances).select_related("workshop", "registration__event__alliance"):
        records.append(
            {
                "what": "workshop choice",
                "alliance": p.registration.event.alliance.slug,
                "event": p.registration.event.title,
                "workshop": p.workshop.title,
                "rank": p.rank,
            }
        )
    for c in _of(ChoiceRecord, email, alliances).select_related("registration__event__alliance"):
        records.append(
            {
                "what": "workshop choices made",
                "alliance": c.registration.event.alliance.slug,
                "event": c.registration.event.title,
                "no_preference": c.no_preference,
                "at": c.submitted_at,
                "typed_in_by_an_organiser": c.entered_by_id is not None,
            }
        )
    placements = _of(Placement, email, alliances).select_related(
        "session__workshop", "session__slot", "registration__event__alliance"
    )
    for p in placements:
        records.append(
            {
                "what": "workshop place",
                "alliance": p.registration.event.alliance.slug,
                "event": p.registration.event.title,
                "workshop": p.session.workshop.title,
                "starts_at": p.session.slot.starts_at,
                "room": p.session.room,
                "your_rank_for_it": p.rank,
                "kept_by_an_organiser": p.locked,
            }
        )
    return records


def erase(email: str, *, alliances=None) -> int:
    to_come = {"registration__event__date__gte": timezone.localdate()}
    deleted = 0
    for model in (Placement, Preference, ChoiceRecord):
        ids = list(_of(model, email, alliances).filter(**to_come).values_list("pk", flat=True))
        deleted += model.objects.filter(pk__in=ids).delete()[0]
    return deleted
