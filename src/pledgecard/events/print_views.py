"""Organisers' printing: badges, A6 postcards and room lists as tagged PDFs (layouts in events/printing.py).

Every view needs a signed-in organiser of the event's alliance. Badges and personal postcards go to confirmed
registrations only. Whole lists are made by a background job (print_jobs.py): the page starts it, the job's
page shows how far it has got and then offers the file, downloaded here. One person's badge or postcard
(a lost badge, a late arrival) is small enough to make at once.
"""

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pledgecard.core.forms import NHSForm
from pledgecard.core.models import AuditEntry
from pledgecard.events import print_jobs, printing
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
    count = printing.confirmed(event).count()
    context = {
        "event": event,
        "count": count,
        "sheets": _sheets_for(count),
        "workshops_printed": printing.workshops_printed(event),
        "blank_form": blank_form or BlankPostcardsForm(initial={"sheets": _sheets_for(count)}),
        "page_title": f"Print badges and postcards – {event.title}",
    }
    return render(request, "events/print/index.jinja", context, status=400 if blank_form else 200)


@login_required
@require_POST
def print_start(request, slug):
    """Start making a whole list's PDF in the background, and show its progress."""
    event = access_event(request.user, slug)
    what = request.POST.get("what", "")
    if what not in print_jobs.WHAT:
        messages.error(request, "Choose what to print from this page.")
        return redirect("organise:print", slug=event.slug)
    sheets = 1
    if what == "blank_postcards":
        form = BlankPostcardsForm(request.POST)
        if not form.is_valid():
            return print_index(request, slug, blank_form=form)
        sheets = form.cleaned_data["sheets"]
    elif what in ("badges", "postcards") and not printing.confirmed(event).exists():
        messages.info(request, "Nobody has a confirmed place yet, so there are no badges or personal "
                               "postcards to print. Print blank postcards instead.")
        return redirect("organise:print", slug=event.slug)
    job = print_jobs.print_start(event, what, user=request.user, sheets=sheets)
    return redirect("organise:job", job_id=job.pk)


@login_required
def print_download(request, slug, job_id):
    """A print job's finished PDF, for organisers of the event's alliance only (checked now, not when the
    job was started: someone who has since left the alliance cannot fetch it)."""
    event = access_event(request.user, slug)
    path = print_jobs.print_file(event, job_id)
    if path is None:
        text = (f"It may have been deleted: print files are deleted {print_jobs.kept_for_text()} after they "
                "are made, because they name people. Start the printing again from the print page.")
        return render(request, "core/error.jinja", {"title": "There is no such file", "text": text,
                                                    "page_title": "There is no such file"}, status=404)
    response = FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                            content_type="application/pdf")
    response["Cache-Control"] = "private, no-store"  # names and private links: never kept by a shared cache
    return response


def _one(request, event) -> list:
    """The one confirmed registration `?registration=<public id>` names."""
    try:
        public_id = uuid.UUID(request.GET.get("registration", ""))
    except ValueError:
        raise Http404("There is no such registration.") from None
    people = list(printing.confirmed(event).filter(public_id=public_id))
    if not people:
        raise Http404("That person does not have a confirmed place at this event.")
    return people


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"  # names and private links: never kept by a shared cache
    return response


def _audit(request, event, action, **detail):
    AuditEntry.objects.create(actor=request.user, alliance=event.alliance, action=action,
                              detail={"event": event.slug, **detail})


def _whole_list(request, event):
    messages.info(request, "Whole lists are prepared in the background: choose what to print below.")
    return redirect("organise:print", slug=event.slug)


@login_required
def badges_pdf(request, slug):
    """One person's badge (a lost badge, a late arrival), made at once."""
    event = access_event(request.user, slug)
    if "registration" not in request.GET:
        return _whole_list(request, event)
    people = _one(request, event)
    data = printing.badges_pdf(event, printing.badges_for(event, people))
    _audit(request, event, "print.badges", people=1, query=request.GET.urlencode())
    return _pdf(data, f"{event.slug}-badges-{str(people[0].public_id)[:8]}.pdf")


@login_required
def postcards_pdf(request, slug):
    """One person's personal postcard, made at once."""
    event = access_event(request.user, slug)
    if "registration" not in request.GET:
        return _whole_list(request, event)
    people = _one(request, event)
    data = printing.postcards_pdf(event, printing.postcards_for(people))
    _audit(request, event, "print.postcards", people=1, query=request.GET.urlencode())
    return _pdf(data, f"{event.slug}-postcards-{str(people[0].public_id)[:8]}.pdf")
