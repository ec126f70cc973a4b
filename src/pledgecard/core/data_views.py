"""Organisers' data-protection pages: a person's data (find, export as JSON, erase with a confirming step)
and an alliance's audit log. An organiser finds and erases only what their own alliances hold; a superuser,
everything.

Email addresses travel in POST bodies, never in a URL: addresses do not belong in server logs, browser
history or a Referer header.
"""

import csv
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pledgecard.core import audit, people, personal_data, selectors
from pledgecard.core.csv import escape_formula
from pledgecard.core.forms import NHSForm

AUDIT_PAGE_SIZE = 50


class PersonForm(NHSForm):
    email = forms.EmailField(
        label="Their email address",
        max_length=254,
        help_text="Found whatever its capital letters. Use the address they gave when they registered or "
        "wrote their postcard.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.org",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


def _scope(user):
    """(alliance ids or None for everything, the alliances, in words) for this user."""
    if user.is_superuser:
        return None, []
    alliances = list(selectors.alliances_for(user))
    if not alliances:
        raise PermissionDenied("You are not an organiser of any alliance.")
    return {a.pk for a in alliances}, alliances


def _context(request, form, **extra):
    ids, alliances = _scope(request.user)
    return {
        "form": form,
        "alliances_in_scope": alliances,
        "everything": ids is None,
        "holder_words": personal_data.labels(),
        "page_title": "A person's data",
        **extra,
    }


def record_line(record: dict) -> str:
    """One line a person can read, for the confirming page."""
    if record.get("what") == "message":
        what = f"{str(record.get('kind', 'message')).capitalize()} by {str(record.get('by', '')).lower()}"
        return f"{what} ({str(record.get('status', '')).lower()})"
    parts = [str(record.get("what", "record")).capitalize()]
    if record.get("event"):
        parts.append(f"at {record['event']}")
    for key in ("status", "workshop", "file"):
        if record.get(key):
            parts.append(f"({record[key]})")
            break
    words = record.get("what_i_will_do_differently")
    if words:
        parts.append(f"“{words[:80]}{'…' if len(words) > 80 else ''}”")
    return " ".join(parts)


@login_required
@require_http_methods(["GET", "POST"])
def people_find(request):
    ids, _ = _scope(request.user)
    form = PersonForm(request.POST if request.method == "POST" else None)
    if request.method == "GET":
        return render(request, "core/people/find.jinja", _context(request, form))
    if not form.is_valid():
        return render(request, "core/people/find.jinja", _context(request, form), status=400)
    found = people.people_find(form.cleaned_data["email"], alliances=ids)
    return render(
        request, "core/people/found.jinja", _context(request, form, found=found, record_line=record_line)
    )


@login_required
@require_POST
def people_export(request):
    ids, _ = _scope(request.user)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return render(request, "core/people/find.jinja", _context(request, form), status=400)
    document = people.people_export(form.cleaned_data["email"], alliances=ids, actor=request.user)
    response = HttpResponse(
        people.export_json(document).encode(), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="personal-data-{timezone.localdate():%Y-%m-%d}.json"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def people_erase(request):
    """First POST: what will go, and a button. Second POST (confirm=yes): erase, then back to the search page
    saying what was done (a reload cannot post it again)."""
    ids, alliances = _scope(request.user)
    form = PersonForm(request.POST)
    if not form.is_valid():
        return render(request, "core/people/find.jinja", _context(request, form), status=400)
    email = form.cleaned_data["email"]
    where = " and ".join(a.name for a in alliances) if alliances else "every alliance"
    if request.POST.get("confirm") != "yes":
        found = people.people_find(email, alliances=ids)
        return render(
            request,
            "core/people/confirm.jinja",
            _context(request, form, found=found, record_line=record_line, page_title="Erase a person"),
        )
    report = people.people_erase(email, actor=request.user, alliances=ids)
    # The banner does not repeat the address: messages may be kept in a cookie.
    if report.matched:
        done = ", ".join(
            f"{personal_data.labels().get(name, name).lower()}: {count}"
            for name, count in report.changed.items()
        )
        messages.success(
            request,
            f"Erased: what {where} held about that person is deleted or anonymised "
            f"({done}). The audit log records the erasure, not the address.",
        )
        for note in report.kept:
            messages.info(request, note)
    else:
        messages.info(request, f"Nothing was erased: {where} held nothing about that address.")
    return redirect("data_protection:people")


# --- The audit log ---------------------------------------------------------------------------------------


@login_required
@require_GET
def audit_log(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    page = Paginator(audit.entries_for(alliance), AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [(entry, audit.actor_words(entry), audit.describe(entry)) for entry in page]
    return render(
        request,
        "core/audit.jinja",
        {"alliance": alliance, "page": page, "rows": rows, "page_title": "Audit log"},
    )


@login_required
@require_GET
def audit_csv(request, alliance):
    alliance = selectors.access_alliance(request.user, alliance)
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["when", "who", "what", "action", "address"])
    for entry in audit.entries_for(alliance).iterator():
        writer.writerow(
            [
                escape_formula(v)
                for v in (
                    timezone.localtime(entry.at).isoformat(timespec="seconds"),
                    audit.actor_words(entry),
                    audit.describe(entry),
                    entry.action,
                    (entry.detail or {}).get("ip", ""),
                )
            ]
        )
    response = HttpResponse(text.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{alliance.slug}-audit-log.csv"'
    response["Cache-Control"] = "private, no-store"
    return response
