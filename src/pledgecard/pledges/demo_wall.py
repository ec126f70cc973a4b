"""The demo's moderated pledge wall (`pledgecard demo`): most shared pledges published, the newest few
waiting, and one reported by a visitor. Done once: if any shared pledge has been moderated, it leaves the wall
alone."""

from pledgecard.pledges.models import WallStatus


def load(event) -> None:
    shared = event.postcards.filter(share_on_wall=True).order_by("created_at", "pk")
    if (
        shared.exclude(wall_status=WallStatus.PENDING).exists()
        or shared.filter(wall_reported_at__isnull=False).exists()
    ):
        return
    ids = list(shared.values_list("pk", flat=True))
    if len(ids) < 8:
        return
    waiting, reported = ids[-5:], ids[-6]
    shared.exclude(pk__in=waiting).update(wall_status=WallStatus.PUBLISHED)
    from pledgecard.pledges import wall

    wall.report(event, reported)
