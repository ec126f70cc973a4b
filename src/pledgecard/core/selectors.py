"""Fetching things with a permission check (`access_*`): the one place that says who may see what."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from pledgecard.core.models import Alliance, Membership, Role


def alliances_for(user, roles=(Role.ORGANISER,)):
    return Alliance.objects.filter(memberships__user=user, memberships__role__in=roles).distinct()


def require_role(user, alliance, roles, refusal: str) -> None:
    """Refuse (403) unless the user is a superuser or has one of `roles` in `alliance`. Apps' own `access_*`
    (events.selectors.access_event) fetch their object and ask here, so the rule is written once."""
    if not (user.is_superuser or Membership.objects.filter(user=user, alliance=alliance, role__in=roles).exists()):
        raise PermissionDenied(refusal)


def access_alliance(user, slug: str, roles=(Role.ORGANISER,)) -> Alliance:
    alliance = get_object_or_404(Alliance, slug=slug)
    require_role(user, alliance, roles, "You are not an organiser of this alliance.")
    return alliance

