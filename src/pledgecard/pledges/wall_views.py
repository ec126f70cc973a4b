"""The pledge wall: visitors report a pledge; organisers approve or hide in bulk, and choose the rule."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core import ratelimit
from pledgecard.core.forms import NHSForm
from pledgecard.events.models import Event
from pledgecard.events.selectors import access_event
from pledgecard.pledges import wall

# One visitor could otherwise empty the wall by reporting every pledge on it. Counted in the database
# (core/ratelimit.py: shared by every web process, the client as a keyed hash), per 10-minute window.
REPORT_SCOPE = "wall-report"
REPORTS_PER_CLIENT = 5


@require_POST
def wall_report(request, slug, pk):
    """A visitor's report (a button, no account): the pledge leaves the wall until an organiser looks."""
    event = get_object_or_404(Event, slug=slug)
    if ratelimit.failures(REPORT_SCOPE, request) >= REPORTS_PER_CLIENT:
        messages.info(
            request, "Thank you. You have reported several pledges: an organiser will look at the wall."
        )
        return redirect("pledges:wall", slug=event.slug)
    if wall.report(event, pk):
        ratelimit.record_failure(REPORT_SCOPE, request)  # counts reports, on the shared counter
    messages.success(
        request, "Thank you for telling us. That pledge is hidden until an organiser has looked at it."
    )
    return redirect("pledges:wall", slug=event.slug)


class WallSettingsForm(NHSForm):
    publish_first = forms.ChoiceField(
        label="When someone shares a pledge",
        widget=forms.RadioSelect,
        choices=[
            ("no", "It waits until an organiser approves it"),
            ("yes", "It is shown at once, and organisers moderate after"),
        ],
        help_text="Pledges that seem to hold personal details, and any a visitor reports, always wait.",
        error_messages={
            "required": "Select when shared pledges are shown",
            "invalid_choice": "Select when shared pledges are shown",
        },
    )


SHOWN = ("waiting", "published", "hidden")


def _moderation_page(request, event, show, *, problem="", settings_form=None, status=200):
    postcards, counts = wall.queue(event, show)
    rows = [(postcard, wall.flags(postcard)) for postcard in postcards[:500]]
    settings_form = settings_form or WallSettingsForm(
        initial={"publish_first": "yes" if wall.publish_first(event.alliance) else "no"}
    )
    context = {
        "event": event,
        "rows": rows,
        "counts": counts,
        "show": show,
        "settings_form": settings_form,
        "problem": problem,
        "page_title": f"Pledge wall – {event.title}",
    }
    return render(request, "pledges/organise/wall.jinja", context, status=status)


def _shown(request) -> str:
    show = request.GET.get("show", "waiting")
    return show if show in SHOWN else "waiting"


@login_required
@require_http_methods(["GET", "POST"])
def moderation(request, slug):
    """Shared pledges by status, reported ones first; tick some and publish or hide them all at once."""
    event = access_event(request.user, slug)
    show = _shown(request)
    if request.method == "GET":
        return _moderation_page(request, event, show)
    action = request.POST.get("action")
    ids = [int(v) for v in request.POST.getlist("postcard") if v.isdigit() and len(v) < 19]
    if action not in ("publish", "hide"):
        return _moderation_page(request, event, show, problem="Choose Publish or Hide", status=400)
    if not ids:
        return _moderation_page(request, event, show, problem="Select at least one pledge first", status=400)
    changed = wall.moderate(event, ids=ids, publish=action == "publish", actor=request.user)
    what = "published" if action == "publish" else "hidden"
    messages.success(request, f"{changed} pledge{'s' if changed != 1 else ''} {what}.")
    return redirect(f"{request.path}?show={show}")


@login_required
@require_POST
def wall_settings(request, slug):
    event = access_event(request.user, slug)
    form = WallSettingsForm(request.POST)
    if not form.is_valid():
        return _moderation_page(request, event, "waiting", settings_form=form, status=400)
    publish_first = form.cleaned_data["publish_first"] == "yes"
    wall.settings_save(event.alliance, publish_first=publish_first, actor=request.user)
    messages.success(
        request,
        "Saved. New shared pledges are shown at once, and you moderate after."
        if publish_first
        else "Saved. New shared pledges wait until an organiser approves them.",
    )
    return redirect("wall:moderation", slug=event.slug)
