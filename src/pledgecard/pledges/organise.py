"""Organisers' pages for postcards: the list with each reminder's status, paper entry, CSV in and out."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core.csv import escape_formula
from pledgecard.core.models import AuditEntry
from pledgecard.delivery import notify
from pledgecard.delivery import services as delivery
from pledgecard.delivery.models import Message
from pledgecard.events.selectors import access_event
from pledgecard.pledges import fallback, imports, services
from pledgecard.pledges.forms import PaperPostcardForm
from pledgecard.pledges.models import Postcard


def _postcards_with_reminders(event) -> list[Postcard]:
    """The event's postcards, each with `reminders` (its reminder messages, newest first): two queries."""
    postcards = list(
        event.postcards.select_related("sector", "theme", "follow_up").order_by("name", "created_at")
    )
    by_subject = {postcard.subject: postcard for postcard in postcards}
    for postcard in postcards:
        postcard.reminders = []
    reminders = delivery.messages_about(Postcard.objects.filter(event=event)).filter(
        kind=Message.Kind.POSTCARD_REMINDER
    )
    for reminder in reminders.order_by("-created_at"):
        if (postcard := by_subject.get(reminder.subject)) is not None:
            postcard.reminders.append(reminder)
    return postcards


def reminder_status(postcard) -> tuple[str, str]:
    """(status, reason) for the organiser's list."""
    reminder = postcard.reminders[0] if postcard.reminders else None
    if reminder is None:
        return ("withdrawn" if postcard.reminder_withdrawn_at else "not wanted", "")
    return reminder.status, reminder.last_error


@login_required
def postcard_list(request, slug):
    event = access_event(request.user, slug)
    postcards = _postcards_with_reminders(event)
    rows = [(p, *reminder_status(p), p.reminders[0] if p.reminders else None) for p in postcards]
    notify_settings = notify.settings_for(event.alliance)
    # A failed reminder can go another way the attendee gave us, in one click.
    fallbacks = {r.pk: fallback.options(r, notify_settings, postcard=p) for p, *_, r in rows
                 if r is not None and r.status == Message.Status.FAILED}
    context = {"event": event, "rows": rows, "fallbacks": fallbacks, "notify": notify_settings,
               "notify_words": notify.WORDS, "page_title": f"Postcards – {event.title}"}
    return render(request, "pledges/organise/list.jinja", context)


CSV_COLUMNS = [
    "name", "email", "organisation", "sector", "learnt", "commitment", "theme", "reminder", "share", "source",
    "written_at", "reminder_status", "reminder_due", "reminder_error", "follow_up", "follow_up_reflection",
]


@login_required
def postcard_csv(request, slug):
    event = access_event(request.user, slug)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-postcards.csv"'
    response.write("\ufeff")  # so Excel reads it as UTF-8
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for p in _postcards_with_reminders(event):
        status, reason = reminder_status(p)
        reminder = p.reminders[0] if p.reminders else None
        follow_up = getattr(p, "follow_up", None)
        writer.writerow(escape_formula(v) for v in [
            p.name, p.email, p.organisation, p.sector.name, p.learnt, p.commitment, p.theme.name if p.theme else "",
            "yes" if p.wants_reminder else "no", "yes" if p.share_on_wall else "no", p.source,
            p.created_at.isoformat(timespec="seconds"), status,
            reminder.due_at.isoformat(timespec="minutes") if reminder else "", reason,
            follow_up.outcome if follow_up else "", follow_up.reflection if follow_up else "",
        ])
    AuditEntry.objects.create(actor=request.user, alliance=event.alliance, action="postcards.export",
                              detail={"event": event.slug})
    return response


@login_required
@require_http_methods(["GET", "POST"])
def paper_entry(request, slug):
    """Typing in paper postcards: save, and straight back to an empty form with the cursor in Name."""
    event = access_event(request.user, slug)
    form = PaperPostcardForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        written = services.postcard_write(event=event, words=form.words(), source=Postcard.Source.PAPER,
                                          created_by=request.user, send_confirmation=False)
        if written.created:
            messages.success(request, f"Saved the postcard from {written.postcard.name}. Type in the next one.")
        else:
            messages.success(request, f"The postcard from {written.postcard.name} was already saved. Type in the next one.")
        return redirect("organise:paper", slug=event.slug)
    context = {"event": event, "form": form, "count": event.postcards.filter(source=Postcard.Source.PAPER).count(),
               "page_title": "Type in paper postcards"}
    return render(request, "pledges/organise/paper.jinja", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def postcard_import(request, slug):
    event = access_event(request.user, slug)
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            report = imports.ImportReport(errors=[(0, "Choose a CSV file to import")])
        elif upload.size > 10_000_000:
            report = imports.ImportReport(errors=[(0, "The file is larger than 10 MB. Split it into smaller files.")])
        else:
            data = upload.read()
            # Checking writes nothing, so it happens here and problems show at once; saving thousands of
            # postcards is the worker's, a step at a time, so no attendee waits for the database meanwhile.
            _, report = imports.postcards_check(data=data)
            if report.ok:
                job = imports.postcards_import_start(event=event, data=data, created_by=request.user)
                return redirect("organise:job", job_id=job.pk)
    context = {"event": event, "report": report, "columns": imports.REQUIRED_COLUMNS + imports.OPTIONAL_COLUMNS,
               "page_title": "Import paper postcards"}
    return render(request, "pledges/organise/import.jinja", context, status=400 if report else 200)


@login_required
@require_POST
def reminder_fallback(request, slug, message_id):
    """One click: send a failed reminder another way the attendee gave us."""
    event = access_event(request.user, slug)
    message = Message.objects.filter(pk=message_id, kind=Message.Kind.POSTCARD_REMINDER).first()
    postcard = fallback.postcard_of(message) if message is not None else None
    if postcard is None or postcard.event_id != event.pk:
        raise Http404("No such reminder at this event")
    channel = request.POST.get("channel", "")
    try:
        sent = fallback.resend(message, channel, actor=request.user)
    except (fallback.NoFallback, ValueError) as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            f"Sending {postcard.name}’s postcard by {sent.get_channel_display().lower()} now.",
        )
    return redirect("organise:postcards", slug=event.slug)
