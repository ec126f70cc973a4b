"""Organisers' pages for alliances and events. Every view here needs a signed-in organiser."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core import selectors
from pledgecard.core.models import AuditEntry, Role
from pledgecard.events import services
from pledgecard.events.forms import AllianceForm, EventForm, RescheduleForm
from pledgecard.events.selectors import access_event
from pledgecard.pledges import services as pledges


@login_required
def home(request):
    alliances = selectors.alliances_for(request.user).prefetch_related("events")
    leading = selectors.alliances_for(request.user, roles=(Role.LEADER,)).prefetch_related("events")
    return render(request, "events/home.jinja", {"alliances": alliances, "leading": leading,
                                                 "page_title": "Your events"})


@login_required
@require_http_methods(["GET", "POST"])
def alliance_new(request):
    form = AllianceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        alliance = services.alliance_create(user=request.user, **form.cleaned_data)
        messages.success(request, f"{alliance.name} is set up. Now create its first event.")
        return redirect("organise:event_new", alliance=alliance.slug)
    return render(request, "events/alliance_form.jinja", {"form": form, "page_title": "Set up an alliance"},
                  status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def event_new(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    form = EventForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        event = services.event_create(user=request.user, alliance=alliance, **form.cleaned_data)
        messages.success(request, "Your event is created. Share its postcard page with attendees.")
        return redirect("organise:event", slug=event.slug)
    context = {"form": form, "alliance": alliance, "page_title": "Create an event"}
    return render(request, "events/event_form.jinja", context, status=400 if form.errors else 200)


def postcard_page_url(request, event) -> str:
    return request.build_absolute_uri(reverse("pledges:new", kwargs={"slug": event.slug}))


@login_required
def event_detail(request, slug, reschedule_form=None):
    event = access_event(request.user, slug)
    context = {
        "event": event,
        "postcard_url": postcard_page_url(request, event),
        "counts": pledges.event_reminder_counts(event),
        "postcard_total": event.postcards.count(),
        "reschedule_form": reschedule_form
        or RescheduleForm(initial={"reminder_date": event.reminder_date.strftime("%d/%m/%Y"),
                                   "reminder_time": str(event.reminder_time)}),
        "page_title": event.title,
    }
    return render(request, "events/event_detail.jinja", context, status=400 if reschedule_form else 200)


@login_required
@require_POST
def event_reschedule(request, slug):
    event = access_event(request.user, slug)
    form = RescheduleForm(request.POST)
    if not form.is_valid():
        return event_detail(request, slug, reschedule_form=form)
    moved = pledges.event_reminders_reschedule(event, form.cleaned_data["reminder_date"], form.cleaned_data["reminder_time"])
    AuditEntry.objects.create(actor=request.user, alliance=event.alliance, action="reminders.reschedule",
                              detail={"event": event.slug, "date": str(event.reminder_date), "moved": moved})
    messages.success(request, f"Reminders moved. {moved} scheduled reminder{'s' if moved != 1 else ''} will now go on the new day.")
    return redirect("organise:event", slug=event.slug)


@login_required
def event_qr(request, slug):
    event = access_event(request.user, slug)
    qr = segno.make(postcard_page_url(request, event), error="m")
    response = HttpResponse(content_type="image/svg+xml")
    qr.save(response, kind="svg", scale=8, title=f"QR code for the postcard page of {event.title}")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{event.slug}-postcard-qr.svg"'
    return response
