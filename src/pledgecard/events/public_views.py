"""Attendees' pages for registration: the event page, and their own registration through its private link."""

from django.contrib import messages
from django.db import DatabaseError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core import access, pagecache, ratelimit
from pledgecard.core.errors import BUSY_MESSAGE, database_busy
from pledgecard.core.models import Membership, Role
from pledgecard.events import registrations
from pledgecard.events.models import Event, Registration
from pledgecard.events.registration_forms import RegistrationForm
from pledgecard.resources.selectors import resources_for


def index(request):
    """The front page: the events whose postcards are open, each a link to write one."""
    events = Event.objects.filter(postcards_open=True).select_related("alliance")[:20]
    return render(request, "events/public/index.jinja", {"events": events})


@require_http_methods(["GET", "POST"])
@gzip_page  # safe from BREACH: see "What is cached and compressed" in docs/architecture.md
def event_page(request, slug):
    """The one place people register: what the day is, and the form."""
    if request.method == "GET" and (page := pagecache.recent(request, ("event-page", slug))):
        return page
    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    busy = False
    if request.method == "POST" and form.is_valid():
        try:
            registrations.register_publicly(event, form.people())
        except registrations.RegistrationClosed:
            form.add_error(None, "Registration for this event is closed.")
        except DatabaseError as exc:
            if not database_busy(exc):
                raise
            form.add_error(None, BUSY_MESSAGE)  # the form comes back with everything typed in it
            busy = True
        else:
            # The same answer whether the address was new or already registered (then its owner gets their
            # link again): the form never tells anyone who is registered.
            return redirect("events:check_email", slug=event.slug)
    context = {
        "event": event,
        "form": form,
        "agenda": event.agenda.all(),
        "workshops": event.workshops.order_by("title"),
        "places_left": registrations.places_left(event),
        "resources": resources_for(event.alliance),
        "page_title": event.title,
    }
    if form.is_bound:
        response = render(request, "events/public/event.jinja", context,
                          status=503 if busy else 400 if form.errors else 200)
    else:  # the page and its blank form: the same for everyone
        response = pagecache.render_shared(request, "events/public/event.jinja", context,
                                           name=("event-page", event.slug))
    if busy:
        response["Retry-After"] = "5"
    return response


def check_email(request, slug):
    event = get_object_or_404(Event.objects.select_related("alliance"), slug=slug)
    return render(request, "events/public/check_email.jinja", {"event": event, "page_title": "Check your email"})


def registration_link(request, token):
    """A registration's private link (email or badge QR code). Opening it changes nothing.

    For a facilitator of the event it opens that person's check-in; for anyone else, the person's own page.
    """
    registration = Registration.for_token(token, Registration.objects.select_related("event"))
    if registration is None:
        # Only failures count, so a right link always opens, whoever else shares this address.
        if ratelimit.record_failure("registration-link", request) > ratelimit.MAX_FAILURES:
            return render(request, "pledges/link_blocked.jinja", {}, status=429)
        return render(request, "pledges/link_invalid.jinja", {}, status=404)
    if request.user.is_authenticated and (request.user.is_superuser or Membership.objects.filter(
            user=request.user, alliance_id=registration.event.alliance_id,
            role__in=[Role.ORGANISER, Role.FACILITATOR]).exists()):
        url = reverse("organise:check_in_person", kwargs={"slug": registration.event.slug, "public_id": registration.public_id})
        checking = request.session.get("checking_in_event")
        return redirect(url + (f"?scanned_at={checking}" if checking and checking != registration.event.slug else ""))
    access.remember(request, "registration", registration.public_id)
    return redirect("events:registration", public_id=registration.public_id)


def registration_for_browser(request, public_id) -> Registration:
    """The registration this browser reached through its private link, or 404."""
    access.check(request, "registration", public_id)
    return get_object_or_404(Registration.objects.select_related("event__alliance", "sector"), public_id=public_id)


def registration_detail(request, public_id):
    from pledgecard.workshops import services as workshops

    registration = registration_for_browser(request, public_id)
    event = registration.event
    programme = workshops.programme_peek(event)  # a GET from a private link must not write (mail scanners)
    published = programme.published_at is not None and registration.status == Registration.Status.CONFIRMED
    context = {
        "registration": registration,
        "event": event,
        "programme": programme,
        "agenda": event.agenda.all(),
        "placements": workshops.agenda_for(registration) if published else [],
        "explanation": workshops.explanation_for(registration) if published else [],
        "choices": registration.preferences.select_related("workshop"),
        "page_title": "Your registration",
    }
    return render(request, "workshops/registration.jinja", context)


@require_http_methods(["GET", "POST"])
def registration_edit(request, public_id):
    registration = registration_for_browser(request, public_id)
    initial = {"name": registration.name, "email": registration.email, "organisation": registration.organisation,
               "sector": registration.sector_id, "role": registration.role, "access_needs": registration.access_needs,
               "dietary": registration.dietary, "special_consent": bool(registration.special_consent_at)}
    data = request.POST.copy() if request.method == "POST" else None
    if data is not None:
        data["email"] = registration.email  # the address is the person; a new one is a new registration
    form = RegistrationForm(data, initial=initial, with_companion=False)
    if request.method == "POST" and form.is_valid():
        registrations.details_update(registration, form.people()[0])
        messages.success(request, "Your details are saved.")
        return redirect("events:registration", public_id=registration.public_id)
    context = {"registration": registration, "event": registration.event, "form": form,
               "page_title": "Change your details"}
    return render(request, "events/public/edit.jinja", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def registration_cancel(request, public_id):
    registration = registration_for_browser(request, public_id)
    if request.method == "POST":
        registrations.cancel(registration)
        messages.success(request, "Your registration is cancelled. Thank you for letting us know: your place goes to "
                                  "someone on the waiting list.")
        return redirect("events:registration", public_id=registration.public_id)
    return render(request, "events/public/cancel.jinja", {"registration": registration, "event": registration.event,
                                                          "page_title": "Cancel your registration"})


@require_POST
def offer_accept(request, public_id):
    registration = registration_for_browser(request, public_id)
    if registrations.offer_accept(registration):
        messages.success(request, "The place is yours. We have emailed you a confirmation with a calendar file.")
    else:
        messages.error(request, "Sorry, this offer has ended and the place has gone to the next person.")
    return redirect("events:registration", public_id=registration.public_id)

