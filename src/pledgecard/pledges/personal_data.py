"""What pledges hold about a person: their postcards (with their words, phone number and address), the answers
to "How did it go?", and refreshed pledges (postcards of their own). Registered from `PledgesConfig.ready()`.

Erasure anonymises a postcard instead of deleting it: the event's counts (postcards by sector, by theme, by
source, how it went) are made from the rows. Everything that is the person's goes: name, address, phone
number, organisation (where nobody else in the alliance gave it), their words, their reflection, the private
link, and their place on the wall. The same function ends a postcard's retention period (`retention.py`).
"""

import hashlib
import uuid

from django.db.models.functions import Lower
from django.utils import timezone

from pledgecard.core import personal_data
from pledgecard.delivery.services import messages_about
from pledgecard.pledges.models import FollowUp, Postcard, WallStatus


def postcards_of(email: str, alliances=None):
    postcards = Postcard.objects.filter(email__iexact=email)
    if alliances is not None:
        postcards = postcards.filter(event__alliance_id__in=alliances)
    return postcards


def message_subjects(email: str, alliances=None) -> dict[str, str]:
    """The outbox's subjects of this person's postcards, with words for their export
    (delivery/personal_data.py)."""
    return {
        f"pledges.postcard:{pk}": f"postcard {public_id}"
        for pk, public_id in postcards_of(email, alliances).values_list("pk", "public_id")
    }


def postcard_messages_delete(sender, instance, **kwargs) -> None:
    """A deleted postcard's messages go too (post_delete): there is nothing left to write them from."""
    messages_about(instance).delete()


def _record(p: Postcard) -> dict:
    follow_up = getattr(p, "follow_up", None)
    return {
        "what": "postcard",
        "alliance": p.event.alliance.slug,
        "event": p.event.title,
        "id": str(p.public_id),
        "name": p.name,
        "email": p.email,
        "organisation": p.organisation,
        "sector": p.sector.name,
        "what_i_learnt": p.learnt,
        "what_i_will_do_differently": p.commitment,
        "theme": p.theme.name if p.theme else None,
        "send_it_back_to_me": p.wants_reminder,
        "consent_to_the_reminder_at": p.reminder_consent_at,
        "reminder_stopped_at": p.reminder_withdrawn_at,
        "comes_back_by": p.get_channel_display(),
        "mobile_number": p.phone,
        "postal_address": p.address_lines,
        "may_show_on_the_pledge_wall": p.share_on_wall,
        "on_the_wall": p.get_wall_status_display() if p.share_on_wall else None,
        "how_it_was_written": p.get_source_display(),
        "refreshes_postcard": str(p.refreshed_from.public_id) if p.refreshed_from else None,
        "written_at": p.created_at,
        "how_did_it_go": None
        if follow_up is None
        else {
            "outcome": follow_up.get_outcome_display(),
            "reflection": follow_up.reflection,
            "answered_at": follow_up.answered_at,
            "changed_at": follow_up.updated_at,
        },
    }


def export(email: str, *, alliances=None) -> list:
    postcards = (
        postcards_of(email, alliances)
        .select_related("event__alliance", "sector", "theme", "follow_up", "refreshed_from")
        .order_by("created_at")
    )
    return [_record(p) for p in postcards]


def erase(email: str, *, alliances=None, replacement: personal_data.Replacement) -> int:
    return postcards_anonymise(
        list(postcards_of(email, alliances).select_related("event")),
        replacement_for=lambda postcard: replacement,
    )


def _organisations_shared(postcards: list[Postcard]) -> dict[tuple, set[str]]:
    """For each (alliance, organisation) on these postcards: up to two writers' addresses (lower case, not
    erased ones) who gave it, across the alliance. One query per organisation, not per postcard."""
    found = {}
    for alliance_id, organisation in {(p.event.alliance_id, p.organisation.casefold()) for p in postcards}:
        if organisation.strip():
            found[(alliance_id, organisation)] = set(
                Postcard.objects.filter(organisation__iexact=organisation, event__alliance_id=alliance_id)
                .exclude(email__iendswith="@" + personal_data.ERASED_DOMAIN)
                .annotate(writer=Lower("email"))
                .order_by()
                .values_list("writer", flat=True)
                .distinct()[:2]
            )
    return found


def postcards_anonymise(postcards: list[Postcard], *, replacement_for) -> int:
    """Take everything personal off these postcards and their follow-ups; returns the rows changed.

    `replacement_for(postcard)` gives the details to write instead: the same for one person's postcards, so
    that counting writers still counts them once. An organisation stays when someone else in the alliance
    wrote a postcard from it too; otherwise it could identify them."""
    now = timezone.now()
    ids = [p.pk for p in postcards]
    shared = _organisations_shared(postcards)
    rows = Postcard.objects.filter(pk__in=ids)
    # Also stops a reminder a worker holds right now: the writer checks `wants_reminder` at send time.
    rows.filter(wants_reminder=True).update(reminder_withdrawn_at=now)
    rows.update(
        name=personal_data.ERASED_NAME,
        learnt="",
        commitment="",
        phone="",
        address="",
        channel="email",
        wants_reminder=False,
        share_on_wall=False,
        wall_status=WallStatus.HIDDEN,
    )
    for postcard in postcards:
        replacement = replacement_for(postcard)
        givers = shared.get((postcard.event.alliance_id, postcard.organisation.casefold()))
        if givers is not None and not (givers - {postcard.email.casefold()}):
            postcard.organisation = replacement.organisation
        postcard.set_new_link()  # the old private link stops working
        # One small UPDATE each for what differs by row (several times faster than bulk_update's CASE).
        Postcard.objects.filter(pk=postcard.pk).update(
            email=replacement.email,
            organisation=postcard.organisation,
            link_id=postcard.link_id,
            token_hash=postcard.token_hash,
            dedupe_key=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        )
    reflections = FollowUp.objects.filter(postcard__in=ids).exclude(reflection="")
    return len(postcards) + reflections.update(reflection="")
