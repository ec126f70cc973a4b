"""The pledge wall's moderation: what waits, what is published, what visitors report, and the alliance's rule.

By default a shared pledge waits for an organiser. An alliance may publish first and moderate after; even then
a pledge that seems to hold personal details (an email address, a phone number) waits. A visitor's report
takes a pledge off the wall at once, until an organiser looks again.
"""

from typing import NamedTuple

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from pledgecard.core.models import AuditEntry
from pledgecard.pledges.models import Postcard, WallSettings, WallStatus
from pledgecard.pledges.moderation import personal_details


def publish_first(alliance) -> bool:
    return WallSettings.objects.filter(alliance=alliance, publish_first=True).exists()


def status_for_new(*, alliance, share_on_wall: bool, commitment: str) -> str:
    """The wall status of a pledge just written."""
    if share_on_wall and publish_first(alliance) and not personal_details(commitment):
        return WallStatus.PUBLISHED
    return WallStatus.PENDING


def settings_save(alliance, *, publish_first: bool, actor) -> WallSettings:
    wall_settings, _ = WallSettings.objects.update_or_create(
        alliance=alliance, defaults={"publish_first": publish_first, "updated_by": actor}
    )
    AuditEntry.objects.create(
        actor=actor, alliance=alliance, action="wall.settings", detail={"publish_first": publish_first}
    )
    return wall_settings


def shared(event):
    return event.postcards.filter(share_on_wall=True)


class WallCard(NamedTuple):
    """One pledge as the public wall shows it: no name, no postcard, only what was shared."""

    pk: int
    commitment: str
    sector: str
    theme: str | None


def wall_cards(event, limit: int = 200) -> list[WallCard]:
    """The event's published pledges, newest first: plain rows (the wall page is keyed on what it shows)."""
    rows = (
        shared(event)
        .filter(wall_status=WallStatus.PUBLISHED)
        .order_by("-created_at")
        .values_list("pk", "commitment", "sector__name", "theme__name")[:limit]
    )
    return [WallCard(*row) for row in rows]


def moderate(event, *, ids, publish: bool, actor) -> int:
    """Publish or hide these shared pledges of the event (others' ids are ignored). Clears any report."""
    status = WallStatus.PUBLISHED if publish else WallStatus.HIDDEN
    with transaction.atomic():
        changed = shared(event).filter(pk__in=ids).update(wall_status=status, wall_reported_at=None)
        AuditEntry.objects.create(
            actor=actor,
            alliance=event.alliance,
            action="wall.publish" if publish else "wall.hide",
            detail={"event": event.slug, "postcards": changed},
        )
    return changed


def report(event, pk: int) -> bool:
    """A visitor reports a published pledge: off the wall until an organiser looks. False if not shown."""
    return bool(
        shared(event)
        .filter(pk=pk, wall_status=WallStatus.PUBLISHED)
        .update(
            wall_status=WallStatus.PENDING,
            wall_reported_at=timezone.now(),
            wall_reports=F("wall_reports") + 1,
        )
    )


def queue(event, show: str):
    """(postcards, counts) for the organiser's queue: waiting (reported first), published or hidden."""
    postcards = shared(event).select_related("sector", "theme")
    status = {"waiting": WallStatus.PENDING, "published": WallStatus.PUBLISHED, "hidden": WallStatus.HIDDEN}[
        show
    ]
    listed = postcards.filter(wall_status=status).order_by(
        F("wall_reported_at").desc(nulls_last=True), "created_at"
    )
    counts = {s: postcards.filter(wall_status=s).count() for s in WallStatus.values}
    counts["reported"] = postcards.filter(
        wall_reported_at__isnull=False, wall_status=WallStatus.PENDING
    ).count()
    return listed, counts


def flags(postcard: Postcard) -> list[str]:
    return personal_details(postcard.commitment)
