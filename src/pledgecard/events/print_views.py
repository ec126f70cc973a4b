"""Organisers' printing: badges and A6 postcards as tagged PDFs (the layouts are in events/printing.py).

Every view needs a signed-in organiser of the event's alliance. Badges and personal postcards go to confirmed
registrations only. Long lists can be downloaded whole or in parts of printing.PART_SIZE people.
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from pledgecard.core.forms import NHSForm, whole_number
from pledgecard.core.models import AuditEntry
from pledgecard.events import printing
from pledgecard.events.selectors import access_event


class BlankPostcardsForm(NHSForm):
    sheets = forms.IntegerField(
        label="How many sheets?",
        help_text="Four postcards on each A4 sheet. Or print one sheet and ask the printer for copies.",
        min_value=1,
        max_value=printing.MAX_BLANK_SHEETS,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "class": "nhsuk-input--width-4"}),
        error_messages={
            "required": "Enter how many sheets to print",
            "invalid": "Enter a whole number of sheets, like 10",
            "min_value": "Print at least 1 sheet",
            "max_value": f"Print at most {printing.MAX_BLANK_SHEETS} sheets at a time",
        },
    )


def _sheets_for(people: int) -> int:
    return max(1, -(-people // printing.CARDS_PER_SHEET))


@login_required
def print_index(request, slug, blank_form=None):
    event = access_event(request.user, slug)
    names = list(printing.confirmed(event).values_list("name", flat=True))
    context = {
        "event": event,
        "count": len(names),
        "sheets": _sheets_for(len(names)),
        "parts": printing.parts(names) if len(names) > printing.PART_SIZE else [],
        "part_size": printing.PART_SIZE,
        "workshops_printed": printing.workshops_printed(event),
        "blank_form": blank_form or BlankPostcardsForm(initial={"sheets": _sheets_for(len(names))}),
        "page_title": f"Print badges and postcards – {event.title}",
    }
    return render(request, "events/print/index.jinja", context, status=400 if blank_form else 200)


def _part(request) -> int | None:
    value = request.GET.get("part")
    if value is None:
        return None
    part = whole_number(value, maximum=100_000)
    if part is None:
        raise Http404("There is no such part.")
    return part


def _people(request, event) -> tuple[list, str]:
    """The confirmed registrations to print (everyone, one part, or one person) and a file-name suffix."""
    people = list(printing.confirmed(event))
    if one := request.GET.get("registration"):
        try:
            public_id = uuid.UUID(one)
        except ValueError:
            raise Http404("There is no such registration.") from None
        people = [r for r in people if r.public_id == public_id]
        if not people:
            raise Http404("That person does not have a confirmed place at this event.")
        return people, "-" + str(public_id)[:8]
    part = _part(request)
    chosen = printing.part_of(people, part)
    if part is not None and not chosen:
        raise Http404("There is no such part.")
    return chosen, f"-part-{part}" if part else ""


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # names and private links: never kept by a shared cache
    return response


def _audit(request, event, action, **detail):
    AuditEntry.objects.create(actor=request.user, alliance=event.alliance, action=action,
                              detail={"event": event.slug, **detail})


@login_required
def badges_pdf(request, slug):
    event = access_event(request.user, slug)
    people, suffix = _people(request, event)
    if not people:
        messages.info(request, "Nobody has a confirmed place yet, so there are no badges to print.")
        return redirect("organise:print", slug=event.slug)
    data = printing.badges_pdf(event, printing.badges_for(event, people))
    _audit(request, event, "print.badges", people=len(people), query=request.GET.urlencode())
    return _pdf(data, f"{event.slug}-badges{suffix}.pdf")


@login_required
def postcards_pdf(request, slug):
    event = access_event(request.user, slug)
    people, suffix = _people(request, event)
    if not people:
        messages.info(request, "Nobody has a confirmed place yet. Print blank postcards instead.")
        return redirect("organise:print", slug=event.slug)
    data = printing.postcards_pdf(event, printing.postcards_for(people))
    _audit(request, event, "print.postcards", people=len(people), query=request.GET.urlencode())
    return _pdf(data, f"{event.slug}-postcards{suffix}.pdf")


@login_required
def postcards_blank_pdf(request, slug):
    event = access_event(request.user, slug)
    form = BlankPostcardsForm(request.GET if "sheets" in request.GET else {"sheets": 1})
    if not form.is_valid():
        return print_index(request, slug, blank_form=form)
    sheets = form.cleaned_data["sheets"]
    return _pdf(printing.postcards_pdf(event, sheets=sheets), f"{event.slug}-blank-postcards.pdf")
