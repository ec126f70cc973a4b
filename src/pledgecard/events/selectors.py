"""Fetching an event with a permission check, for every app's organisers' pages (the rule: core.selectors)."""

from django.shortcuts import get_object_or_404

from pledgecard.core.models import Role
from pledgecard.core.selectors import require_role
from pledgecard.events.models import Event


def access_event(user, slug: str, roles=(Role.ORGANISER,)) -> Event:
    """The event, if the user may see its organisers' pages with one of `roles`; else 404 or 403."""
    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    require_role(user, event.alliance, roles, "You are not an organiser of this event.")
    return event
