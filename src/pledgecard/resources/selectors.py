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
    return [
        ResourceLink(
            title=r.title,
            summary=r.summary,
            version=r.version,
            described=r.describe(),
            path=r.short_link.path,
        )
        for r in queryset.filter(~Q(file="") | ~Q(external_url="")).order_by(*order)[:limit]
    ]
