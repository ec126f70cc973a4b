"""Fetching things with a permission check (`access_*`): the one place that says who may see what."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from pledgecard.core.models import Alliance, Membership, Role


def alliances_for(user, roles=(Role.ORGANISER,)):
    return Alliance.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()


def access_alliance(user, slug: str, roles=(Role.ORGANISER,)) -> Alliance:
    alliance = get_object_or_404(Alliance, slug=slug)
    if not (user.is_superuser or Membership.objects.filter(user=user, alliance=alliance, role__in=roles).exists()):
        raise PermissionDenied("You are not an organiser of this alliance.")
    return alliance


def access_event(user, slug: str, roles=(Role.ORGANISER,)):
    from pledgecard.events.models import Event

    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    if not (
        user.is_superuser or Membership.objects.filter(user=user, alliance=event.alliance, role__in=roles).exists()
    ):
        raise PermissionDenied("You are not an organiser of this event.")
    return event
