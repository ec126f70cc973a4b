"""On the day and around it: check-in on a phone (facilitators), and the organiser's view of who is coming."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core.csv import escape_formula
from pledgecard.core.forms import whole_number
from pledgecard.core.models import Role
from pledgecard.events import registrations
from pledgecard.events.models import Registration
from pledgecard.events.registration_forms import RegistrationForm
from pledgecard.events.selectors import access_event

DAY_ROLES = (Role.ORGANISER, Role.FACILITATOR)
Status = Registration.Status


def _arrivals(event):
    confirmed = event.registrations.filter(status=Status.CONFIRMED)
    return {"arrived": confirmed.filter(checked_in_at__isnull=False).count(), "expected": confirmed.count()}


@login_required
def check_in(request, slug):
    """Search by name or organisation; one tap checks in. Works without JavaScript."""
    event = access_event(request.user, slug, roles=DAY_ROLES)
    if request.session.get("checking_in_event") != event.slug:  # a session write only when it changes
        request.session["checking_in_event"] = event.slug
    query = request.GET.get("q", "")
    context = {"event": event, "query": query, "results": registrations.check_in_search(event, query),
               **_arrivals(event), "page_title": "Check-in"}
    return render(request, "events/checkin/search.jinja", context)


@login_required
def check_in_count(request, slug):
    """The live count, for the page's small script to refresh without reloading."""
    event = access_event(request.user, slug, roles=DAY_ROLES)
    from django.http import JsonResponse

    return JsonResponse(_arrivals(event))


@login_required
@require_http_methods(["GET", "POST"])
def check_in_person(request, slug, public_id):
    """One person's check-in (a scanned QR code lands here). GET shows; the button checks in."""
    event = access_event(request.user, slug, roles=DAY_ROLES)
    # Only people of this alliance: another alliance's registrations are not this user's to see.
    registration = get_object_or_404(Registration.objects.select_related("event", "checked_in_by", "sector"),
                                     public_id=public_id, event__alliance_id=event.alliance_id)
    wrong_event = registration.event_id != event.pk
    scanned_at = request.GET.get("scanned_at")
    if scanned_at and scanned_at != event.slug:
        wrong_event = True
        event = access_event(request.user, scanned_at, roles=DAY_ROLES)
    newly = None
    if request.method == "POST" and not wrong_event:
        result = registrations.check_in(registration, by=request.user)
        newly = result.newly
        registration = result.registration
        if newly:
            messages.success(request, f"{registration.name} is checked in.")
            return redirect(reverse("organise:check_in", kwargs={"slug": event.slug}) + "?q=")
    context = {"event": event, "registration": registration, "wrong_event": wrong_event, "newly": newly,
               **_arrivals(event), "page_title": f"Check in {registration.name}"}
    return render(request, "events/checkin/person.jinja", context, status=409 if wrong_event else 200)


@login_required
@require_POST
def check_in_undo(request, slug, public_id):
    event = access_event(request.user, slug, roles=DAY_ROLES)
    registration = get_object_or_404(Registration, public_id=public_id, event=event)
    registrations.check_in_undo(registration)
    messages.success(request, f"{registration.name} is no longer checked in.")
    return redirect("organise:check_in_person", slug=event.slug, public_id=registration.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def walk_in(request, slug):
    """Register someone at the door: confirmed and checked in at once."""
    event = access_event(request.user, slug, roles=DAY_ROLES)
    form = RegistrationForm(request.POST if request.method == "POST" else None, with_companion=False)
    if request.method == "POST" and form.is_valid():
        try:
            [registration] = registrations.register(event, form.people(), source="walk-in", checked_in_by=request.user)
        except registrations.AlreadyRegistered as exc:
            return redirect("organise:check_in_person", slug=event.slug, public_id=exc.registration.public_id)
        messages.success(request, f"{registration.name} is registered and checked in.")
        return redirect("organise:check_in", slug=event.slug)
    context = {"event": event, "form": form, "page_title": "Register a walk-in"}
    return render(request, "events/checkin/walk_in.jinja", context, status=400 if form.errors else 200)


TABLES = {
    "registered": ("Registered", lambda e: e.registrations.filter(status=Status.CONFIRMED)),
    "waiting": ("Waiting list", lambda e: e.registrations.filter(status__in=[Status.WAITING, Status.OFFERED])),
    "checked-in": ("Checked in", lambda e: e.registrations.filter(checked_in_at__isnull=False)),
    "cancelled": ("Cancelled", lambda e: e.registrations.filter(status=Status.CANCELLED)),
}


def _postcard_writers(event) -> set[str]:
    return {email.casefold() for email in event.postcards.values_list("email", flat=True)}


@login_required
def attendees(request, slug):
    event = access_event(request.user, slug)
    table = request.GET.get("table", "registered")
    if table not in TABLES:
        table = "registered"
    title, query = TABLES[table]
    rows = query(event).select_related("sector").order_by("created_at" if table == "waiting" else "name")
    writers = _postcard_writers(event)
    context = {"event": event, "table": table, "tables": TABLES, "title": title, "rows": rows, "writers": writers,
               "counts": {key: q(event).count() for key, (_, q) in TABLES.items()},
               "places_left": registrations.places_left(event), "page_title": f"Attendees – {event.title}"}
    return render(request, "events/attendees.jinja", context)


@login_required
def attendees_csv(request, slug, table):
    event = access_event(request.user, slug)
    if table not in TABLES:
        return HttpResponse("There is no such table.", status=404, content_type="text/plain")
    _, query = TABLES[table]
    writers = _postcard_writers(event)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-{table}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["name", "email", "organisation", "sector", "role", "status", "registered_at", "checked_in_at",
                     "wrote_postcard", "access_needs", "dietary"])
    for r in query(event).select_related("sector").order_by("name"):
        writer.writerow(escape_formula(v) for v in [
            r.name, r.email, r.organisation, r.sector.name, r.role, r.status, r.created_at.isoformat(timespec="minutes"),
            r.checked_in_at.isoformat(timespec="minutes") if r.checked_in_at else "",
            "yes" if r.email.casefold() in writers else "no", r.access_needs, r.dietary,
        ])
    return response


@login_required
@require_POST
def registration_settings(request, slug):
    """Places, open or closed, offer time and retention: a few numbers an organiser may change."""
    event = access_event(request.user, slug)
    errors = []
    typed_capacity = request.POST.get("capacity", "").strip()
    capacity = whole_number(typed_capacity, minimum=1, maximum=100_000)
    if typed_capacity and capacity is None:
        errors.append("Places must be a whole number from 1 to 100,000, or blank for no limit")
    retention = whole_number(request.POST.get("special_data_retention_days"), maximum=3650)
    if retention is None:
        errors.append("Keep access needs for a whole number of days, up to 3,650")
    if errors:
        for error in errors:
            messages.error(request, error)
        return redirect("organise:attendees", slug=slug)
    event.capacity = capacity
    event.registration_open = request.POST.get("registration_open") == "yes"
    event.special_data_retention_days = retention
    event.save(update_fields=["capacity", "registration_open", "special_data_retention_days"])
    offered = registrations.places_changed(event)
    messages.success(request, "Registration settings saved." + (f" {offered} people on the waiting list were offered a "
                                                                 "place." if offered else ""))
    return redirect("organise:attendees", slug=slug)
