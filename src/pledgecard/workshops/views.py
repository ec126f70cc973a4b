"""Workshop pages: organisers set up, allocate, lock and publish; attendees rank and see their agenda."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard import allocation
from pledgecard.core.csv import escape_formula
from pledgecard.events.public_views import registration_for_browser
from pledgecard.events.selectors import access_event
from pledgecard.workshops import services
from pledgecard.workshops.forms import AllocateForm, ChoiceEntryForm, RankingForm, SessionForm, SlotForm, WorkshopForm
from pledgecard.workshops.models import Placement, Session, Slot, Workshop
from pledgecard.workshops.svg import demand_chart


def _programme_page(request, event, *, status=200, **forms):
    programme = services.programme_for(event)
    demand = services.demand(event)
    context = {
        "event": event,
        "programme": programme,
        "slots": event.slots.prefetch_related("sessions__workshop"),
        "workshops": event.workshops.all(),
        "demand": demand,
        "chart": demand_chart(demand),
        "registrations": event.registrations.count(),
        "chosen": event.registrations.filter(choice_record__isnull=False).count(),
        "last_run": event.allocation_runs.first(),
        "workshop_form": forms.get("workshop_form") or WorkshopForm(),
        "slot_form": forms.get("slot_form") or SlotForm(),
        "session_form": forms.get("session_form") or SessionForm(event=event),
        "allocate_form": forms.get("allocate_form") or AllocateForm(initial={"objective": programme.objective}),
        "page_title": f"Workshops – {event.title}",
    }
    return render(request, "workshops/programme.jinja", context, status=status)


@login_required
def programme(request, slug):
    return _programme_page(request, access_event(request.user, slug))


@login_required
@require_POST
def workshop_add(request, slug):
    event = access_event(request.user, slug)
    form = WorkshopForm(request.POST)
    if not form.is_valid():
        return _programme_page(request, event, status=400, workshop_form=form)
    Workshop.objects.create(event=event, **form.cleaned_data)
    messages.success(request, f"Added the workshop {form.cleaned_data['title']}. Now give it a session in a slot.")
    return redirect("organise:programme", slug=slug)


@login_required
@require_POST
def slot_add(request, slug):
    event = access_event(request.user, slug)
    form = SlotForm(request.POST)
    if not form.is_valid():
        return _programme_page(request, event, status=400, slot_form=form)
    Slot.objects.create(event=event, **form.cleaned_data)
    messages.success(request, "Added the slot.")
    return redirect("organise:programme", slug=slug)


@login_required
@require_POST
def session_add(request, slug):
    """Add a session, or change the places and room of the one already in that slot."""
    event = access_event(request.user, slug)
    form = SessionForm(request.POST, event=event)
    if not form.is_valid():
        return _programme_page(request, event, status=400, session_form=form)
    data = form.cleaned_data
    _, created = Session.objects.update_or_create(
        workshop=data["workshop"], slot=data["slot"], defaults={"room": data["room"], "capacity": data["capacity"]}
    )
    messages.success(request, f"{'Added' if created else 'Updated'} the session of {data['workshop'].title}.")
    return redirect("organise:programme", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def choices_enter(request, slug):
    """Type in the choices of someone who sent them another way; the form comes back for the next person."""
    event = access_event(request.user, slug)
    form = ChoiceEntryForm(request.POST if request.method == "POST" else None, event=event)
    if request.method == "POST" and form.is_valid():
        registration = form.cleaned_data["registration"]
        services.choices_save(registration, form.cleaned_data["ordered"],
                              no_preference=form.cleaned_data["no_preference"], entered_by=request.user)
        messages.success(request, f"Saved the choices of {registration.name}.")
        return redirect("organise:choices_enter", slug=slug)
    context = {"event": event, "form": form, "page_title": "Type in workshop choices"}
    return render(request, "workshops/choices_enter.jinja", context, status=400 if form.errors else 200)


@login_required
@require_POST
def choosing_toggle(request, slug):
    event = access_event(request.user, slug)
    programme = services.programme_for(event)
    programme.choosing_open = request.POST.get("open") == "yes"
    programme.save(update_fields=["choosing_open"])
    messages.success(request, "Attendees can now choose workshops." if programme.choosing_open
                     else "Choosing is closed.")
    return redirect("organise:programme", slug=slug)


@login_required
@require_POST
def allocate(request, slug):
    event = access_event(request.user, slug)
    form = AllocateForm(request.POST)
    if not form.is_valid():
        return _programme_page(request, event, status=400, allocate_form=form)
    objective, mode = form.cleaned_data["objective"], form.cleaned_data["mode"]
    try:
        proposal = services.allocation_propose(event, objective=objective, mode=mode)
    except allocation.InfeasibleProblem as exc:
        form.add_error(None, f"Nobody was placed: {exc}")
        return _programme_page(request, event, status=400, allocate_form=form)
    programme = services.programme_for(event)
    if proposal.moves and programme.published_at and request.POST.get("confirm") != "yes":
        context = {"event": event, "proposal": proposal, "objective": objective, "mode": mode,
                   "page_title": "Check who would move"}
        return render(request, "workshops/confirm_moves.jinja", context)
    run = services.allocation_save(event, proposal, user=request.user)
    programme.objective = objective
    programme.save(update_fields=["objective"])
    messages.success(request, f"Placed {run.placed} people. Objective {run.objective_value:g}, bound {run.bound:g}: "
                              f"{'proven optimal' if run.status == 'optimal' else 'gap ' + format(run.gap, '.2%')}.")
    return redirect("organise:placements", slug=slug)


@login_required
def placements(request, slug):
    event = access_event(request.user, slug)
    sessions = (Session.objects.filter(workshop__event=event).select_related("workshop", "slot")
                .prefetch_related("placements__registration").order_by("slot__starts_at", "workshop__title"))
    context = {"event": event, "sessions": sessions, "programme": services.programme_for(event),
               "last_run": event.allocation_runs.first(), "page_title": f"Room lists – {event.title}"}
    return render(request, "workshops/placements.jinja", context)


@login_required
@require_POST
def placement_lock(request, slug, pk):
    event = access_event(request.user, slug)
    placement = get_object_or_404(Placement, pk=pk, registration__event=event)
    services.placement_lock(placement, request.POST.get("locked") == "yes")
    return redirect(reverse("organise:placements", kwargs={"slug": slug}) + f"#session-{placement.session_id}")


@login_required
@require_POST
def publish(request, slug):
    event = access_event(request.user, slug)
    sent = services.placements_publish(event)
    messages.success(request, f"Placements are published: attendees see their workshops on their own page, and "
                              f"{sent} are being emailed their agenda with a calendar file.")
    return redirect("organise:placements", slug=slug)


@login_required
def placements_csv(request, slug):
    event = access_event(request.user, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-room-lists.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(["slot", "workshop", "room", "name", "organisation", "email", "rank", "locked"])
    rows = (Placement.objects.filter(registration__event=event)
            .select_related("session__slot", "session__workshop", "registration")
            .order_by("session__slot__starts_at", "session__workshop__title", "registration__name"))
    for p in rows:
        writer.writerow(escape_formula(v) for v in [
            f"{p.session.slot.starts_at:%H:%M}", p.session.workshop.title, p.session.room, p.registration.name,
            p.registration.organisation, p.registration.email, p.rank or "", "yes" if p.locked else "no",
        ])
    return response


# Attendees


@require_http_methods(["GET", "POST"])
def choose(request, public_id):
    registration = registration_for_browser(request, public_id)
    event = registration.event
    programme = services.programme_peek(event)
    if not programme.choosing_open:
        return render(request, "workshops/choosing_closed.jinja", {"event": event, "registration": registration},
                      status=403 if request.method == "POST" else 200)
    workshops = event.workshops.order_by("title")
    current = {f"choice_{p.rank}": str(p.workshop_id) for p in registration.preferences.all()}
    record = getattr(registration, "choice_record", None)
    form = RankingForm(request.POST if request.method == "POST" else None, workshops=workshops,
                       initial={**current, "no_preference": bool(record and record.no_preference)})
    if request.method == "POST" and form.is_valid():
        services.choices_save(registration, form.cleaned_data["ordered"],
                              no_preference=form.cleaned_data["no_preference"])
        messages.success(request, "Your choices are saved. You can change them until choosing closes.")
        return redirect("events:registration", public_id=registration.public_id)
    context = {"registration": registration, "event": event, "form": form, "workshops": workshops,
               "page_title": "Choose your workshops"}
    return render(request, "workshops/choose.jinja", context, status=400 if form.errors else 200)
