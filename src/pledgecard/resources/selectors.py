"""What other apps show of resources: the event page, the postcard page, confirmation and reminder emails.

Events and pledges call `resources_for` (and nothing else of this app), so resources can refer to their models
by name without an import cycle. It returns plain dataclasses, ready for a page or an email.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from pledgecard.resources.models import Resource


@dataclass(frozen=True)
class ResourceLink:
    title: str
    summary: str
    version: str
    described: str  # "PDF, 240 KB" or "on www.example.org"
    path: str  # /go/CODE: following it is counted

    @property
    def absolute_url(self) -> str:
        return settings.SITE_URL + self.path


def _link(r: Resource) -> ResourceLink:
    return ResourceLink(
        title=r.title,
        summary=r.summary,
        version=r.version,
        described=r.describe(),
        path=r.short_link.path,
    )


def resources_for_themes(alliance, theme_ids, limit: int = 3) -> dict:
    """`resources_for(alliance, theme=id)` for each of `theme_ids` (None too), from one query: what a batch
    of reminder emails to one alliance's writers shows."""
    current = list(
        Resource.objects.filter(alliance=alliance, archived=False, short_link__isnull=False)
        .filter(~Q(file="") | ~Q(external_url=""))
        .select_related("short_link")
        .prefetch_related("themes")
        .order_by("position", "-updated_at")
    )
    links = {r.pk: _link(r) for r in current}
    about = {r.pk: {t.pk for t in r.themes.all()} for r in current}
    found = {}
    for theme_id in set(theme_ids):
        # The theme's own first (a stable sort keeps position, then newest, within each group).
        ordered = sorted(current, key=lambda r: not (theme_id and theme_id in about[r.pk]))
        found[theme_id] = [links[r.pk] for r in ordered[:limit]]
    return found


def resources_for(alliance, theme=None, limit: int = 3) -> list[ResourceLink]:
    """The alliance's current resources, those about `theme` (a pledges Theme or its id) first."""
    if alliance is None:
        return []
    queryset = (
        Resource.objects.filter(alliance=alliance, archived=False, short_link__isnull=False)
        .select_related("short_link")
    )
    order = ["position", "-updated_at"]
    theme_id = getattr(theme, "pk", theme)
    if theme_id:
        about = Resource.themes.through.objects.filter(resource=OuterRef("pk"), theme_id=theme_id)
        queryset = queryset.annotate(about_theme=Exists(about))
        order.insert(0, "-about_theme")
    return [_link(r) for r in queryset.filter(~Q(file="") | ~Q(external_url="")).order_by(*order)[:limit]]
