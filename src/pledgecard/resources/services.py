"""Business rules for resources and short links: adding, changing, following and counting."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from pledgecard.core import uploads
from pledgecard.core.models import AuditEntry
from pledgecard.resources import links
from pledgecard.resources.links import LinkRefused
from pledgecard.resources.models import LinkClickDay, Resource, ShortLink


class CodeTaken(LinkRefused):
    pass


def _code_free(code: str, *, except_link=None) -> bool:
    taken = ShortLink.objects.filter(code__iexact=code)
    if except_link is not None:
        taken = taken.exclude(pk=except_link.pk)
    return not taken.exists()


def check_code_free(code: str) -> str:
    code = links.check_code(code)
    if not _code_free(code):
        raise CodeTaken(
            f"The code “{code}” is already used. Choose another, or leave it blank for one of ours"
        )
    return code


def _save_link(link: ShortLink, chosen_code: str) -> ShortLink:
    """Save with the chosen code, or with a fresh one of ours (tried again on the rare clash)."""
    for _ in range(10):
        link.code = chosen_code or links.code_generate()
        try:
            with transaction.atomic():
                link.save()
            return link
        except IntegrityError:
            if chosen_code:
                raise CodeTaken(f"The code “{chosen_code}” is already used. Choose another") from None
    raise RuntimeError("Could not find a free short code")  # pragma: no cover - 1 in 10^80


def link_create(*, alliance, url: str, code: str = "", created_by=None) -> ShortLink:
    """A short link to any http(s) address. Raises LinkRefused (a message for the organiser)."""
    target = links.check_target(url)
    chosen = check_code_free(code) if code else ""
    link = _save_link(ShortLink(alliance=alliance, target_url=target, created_by=created_by), chosen)
    AuditEntry.objects.create(
        actor=created_by, alliance=alliance, action="links.add", detail={"code": link.code, "url": target}
    )
    return link


def link_for_code(code: str) -> ShortLink | None:
    if not code or len(code) > 60 or "\x00" in code:
        return None
    return ShortLink.objects.select_related("resource").filter(code__iexact=code).first()


def destination(link: ShortLink) -> str | None:
    """Where following the link goes now, or None when it must not go anywhere.

    The address is checked again here, not only when it was saved: a row changed by hand (the admin, a
    database restore) must still never send anyone to javascript: or data:."""
    if link.resource_id:
        resource = link.resource
        if resource.archived:
            return None
        if resource.is_file:
            from django.urls import reverse

            return reverse(
                "resources:file", kwargs={"public_id": resource.public_id, "filename": resource.file_name}
            )
        url = resource.external_url
    else:
        url = link.target_url
    try:
        return links.check_target(url)
    except LinkRefused:
        return None


def click_record(link: ShortLink, *, on: dt.date | None = None) -> None:
    """One more click today. One row per link per day, counted in the database (two clicks at once both
    count)."""
    day = on or timezone.localdate()
    if LinkClickDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1):
        return
    try:
        with transaction.atomic():
            LinkClickDay.objects.create(link=link, day=day, clicks=1)
    except IntegrityError:
        # Another click made today's row a moment ago.
        LinkClickDay.objects.filter(link=link, day=day).update(clicks=F("clicks") + 1)


def links_with_clicks(alliance):
    return (
        ShortLink.objects.filter(alliance=alliance)
        .select_related("resource")
        .annotate(clicks=Sum("click_days__clicks"))
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class ClickDay:
    day: dt.date
    clicks: int


def clicks_by_day(link: ShortLink, *, days: int = 30) -> list[ClickDay]:
    """The last `days` days, including days with no clicks, newest first."""
    today = timezone.localdate()
    counted = dict(
        link.click_days.filter(day__gt=today - dt.timedelta(days=days)).values_list("day", "clicks")
    )
    return [ClickDay(day, counted.get(day, 0)) for day in (today - dt.timedelta(days=n) for n in range(days))]


# --- Resources ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceDetails:
    """What an organiser says about a resource; checked by the form."""

    title: str
    summary: str
    version: str
    themes: list
    external_url: str = ""
    position: int = 0


def _apply_file(resource: Resource, checked: uploads.CheckedFile | None) -> str:
    """Point the resource at a newly stored file; returns the old file's name to delete after commit."""
    old = resource.file
    if checked is None:
        return ""
    resource.file = uploads.store(checked, "resources")
    resource.file_type = checked.content_type
    resource.file_name = checked.filename
    resource.file_size = len(checked.content)
    resource.file_inline = checked.inline
    resource.external_url = ""
    return old


def resource_create(
    *,
    alliance,
    details: ResourceDetails,
    checked_file: uploads.CheckedFile | None = None,
    code: str = "",
    created_by=None,
) -> Resource:
    """A resource with its own short link. Either a checked file or an external address."""
    if checked_file is None:
        external = links.check_target(details.external_url)
    else:
        external = ""
    chosen = check_code_free(code) if code else ""
    resource = Resource(
        alliance=alliance,
        title=details.title,
        summary=details.summary,
        version=details.version,
        external_url=external,
        position=details.position,
        created_by=created_by,
    )
    _apply_file(resource, checked_file)
    try:
        with transaction.atomic():
            resource.save()
            resource.themes.set(details.themes)
            _save_link(ShortLink(alliance=alliance, resource=resource, created_by=created_by), chosen)
            AuditEntry.objects.create(
                actor=created_by,
                alliance=alliance,
                action="resources.add",
                detail={"resource": resource.pk, "title": resource.title},
            )
    except Exception:
        uploads.delete(resource.file)  # nothing saved, so no file left behind
        raise
    return resource


def resource_update(
    resource: Resource,
    *,
    details: ResourceDetails,
    checked_file: uploads.CheckedFile | None = None,
    actor=None,
) -> Resource:
    """Change what a resource says or give it a new version of its file; its short link stays the same."""
    resource.title, resource.summary, resource.version = details.title, details.summary, details.version
    resource.position = details.position
    old_file = ""
    if checked_file is not None:
        old_file = _apply_file(resource, checked_file)
    elif not resource.is_file or details.external_url:
        resource.external_url = links.check_target(details.external_url)
        old_file, resource.file, resource.file_type, resource.file_name = resource.file, "", "", ""
        resource.file_size = 0
    with transaction.atomic():
        resource.save()
        resource.themes.set(details.themes)
        AuditEntry.objects.create(
            actor=actor,
            alliance=resource.alliance,
            action="resources.change",
            detail={"resource": resource.pk, "title": resource.title, "version": resource.version},
        )
        if old_file:
            transaction.on_commit(lambda: uploads.delete(old_file))
    return resource


def resource_archive(resource: Resource, *, archived: bool = True, actor=None) -> None:
    resource.archived = archived
    resource.save(update_fields=["archived", "updated_at"])
    AuditEntry.objects.create(
        actor=actor,
        alliance=resource.alliance,
        action="resources.archive" if archived else "resources.restore",
        detail={"resource": resource.pk, "title": resource.title},
    )
