"""Organisers' pages for attendees in and out: upload → match columns → preview → confirm, and downloads.

Between the steps the uploaded file stays on the server (`ImportUpload`: its bytes, event, uploader and the
chosen columns), found by a random id that only its uploader can open. The browser sends nothing but its
choices; the confirm step reads the stored file again, checks every row again, and imports only if the result
is still what the preview showed.
"""

import datetime as dt
import functools
import io

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from pledgecard.core.forms import NHSForm
from pledgecard.core.models import AuditEntry
from pledgecard.events import exports, imports
from pledgecard.events.models import ImportUpload
from pledgecard.events.selectors import access_event

UPLOAD_KEPT_FOR = dt.timedelta(days=1)
PREVIEW_ROWS = 200


class UploadForm(NHSForm):
    file = forms.FileField(
        label="Attendee file",
        help_text="An Eventbrite attendee report, or any CSV or Excel (.xlsx) file with a header row.",
        error_messages={
            "required": "Choose a file to upload",
            "empty": "The file is empty",
            "invalid": "Choose a file to upload",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"The file must be smaller than {imports.MAX_BYTES // 1_000_000} MB. "
                "Split it into smaller files."
            )
        data = upload.read()
        try:
            self.table = imports.read_table(data, filename=upload.name or "")
        except imports.FileProblem as exc:
            raise forms.ValidationError(str(exc)) from None
        self.data_bytes = data
        return upload


class ColumnsForm(NHSForm):
    """A select per field of a registration, listing the file's columns; ids are the field names."""

    eventbrite = forms.BooleanField(
        label="This is an Eventbrite attendee report",
        required=False,
        help_text="Only attendees whose status is Attending or Checked In are registered. Others are not, "
        "and "
        "if they were registered before, their registration is cancelled.",
    )

    def __init__(self, table, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.table = table
        choices = [("", "Not in this file")]
        for i in range(len(table.headers)):
            sample = next(
                (
                    imports._text(cells[i])
                    for _, cells in table.rows[:50]
                    if i < len(cells) and imports._text(cells[i])
                ),
                "",
            )
            text = table.header_label(i)
            if sample:
                text += f" – for example ‘{sample if len(sample) <= 30 else sample[:30] + '…'}’"
            choices.append((str(i), text))
        for f in imports.FIELDS:
            self.fields[f.key] = forms.ChoiceField(
                label=f.label,
                help_text=f.hint,
                choices=choices,
                required=False,
                error_messages={"invalid_choice": "Select a column from the list"},
            )
        # Fields first, in the order of FIELDS, then the Eventbrite question.
        self.order_fields([*imports.FIELD_KEYS, "eventbrite"])

    def clean(self):
        data = super().clean()
        chosen = {
            key: int(data[key]) if data.get(key) not in (None, "") else None for key in imports.FIELD_KEYS
        }
        if chosen["email"] is None and "email" not in self.errors:
            self.add_error("email", "Select the column with email addresses")
        if chosen["first_name"] is None and chosen["name"] is None and "first_name" not in self.errors:
            self.add_error("first_name", "Select the column with first names, or the column with full names")
        seen = {}
        for key in imports.FIELD_KEYS:
            index = chosen[key]
            if index is None or key in self.errors:
                continue
            if index in seen:
                self.add_error(
                    key,
                    f"{self.table.header_label(index)} is already chosen for "
                    f"{imports.BY_KEY[seen[index]].label}. Choose each column once",
                )
            else:
                seen[index] = key
        self.columns = chosen
        return data


class ConfirmForm(NHSForm):
    send_confirmations = forms.BooleanField(
        label="Email each newly confirmed person their confirmation, with their personal link",
        required=False,
        help_text="Their link lets them choose workshops and change or cancel their registration. "
        "Without it, "
        "nobody is emailed now.",
    )


def _clear_old_uploads(event, user) -> None:
    ImportUpload.objects.filter(
        Q(created_at__lt=timezone.now() - UPLOAD_KEPT_FOR) | Q(event=event, uploaded_by=user)
    ).delete()


def _upload(request, event, upload_id) -> ImportUpload:
    # Only its uploader may open an upload, for this event: knowing the id is not enough.
    return get_object_or_404(
        ImportUpload,
        pk=upload_id,
        event=event,
        uploaded_by=request.user,
        created_at__gte=timezone.now() - UPLOAD_KEPT_FOR,
    )


def _table(upload):
    """The stored file, read again. It was readable when uploaded; if it is not now (the limits changed with
    an upgrade), the organiser starts again."""
    try:
        return imports.read_table(bytes(upload.data), kind=upload.kind)
    except imports.FileProblem as exc:
        upload.delete()
        raise StartAgain(str(exc)) from None


class StartAgain(Exception):
    pass


def _start_again(view):
    @functools.wraps(view)
    def wrapped(request, slug, *args, **kwargs):
        try:
            return view(request, slug, *args, **kwargs)
        except StartAgain as exc:
            messages.error(request, f"Upload the file again: {exc}")
            return redirect("organise:attendees_import", slug=slug)

    return wrapped


@login_required
@require_http_methods(["GET", "POST"])
def upload(request, slug):
    """Step 1: choose a file."""
    event = access_event(request.user, slug)
    form = UploadForm(request.POST, request.FILES) if request.method == "POST" else UploadForm()
    if request.method == "POST" and form.is_valid():
        _clear_old_uploads(event, request.user)
        table = form.table
        stored = ImportUpload.objects.create(
            event=event,
            uploaded_by=request.user,
            # Shown on the next pages and in the audit log; PostgreSQL refuses NUL in text.
            filename="".join(c for c in form.cleaned_data["file"].name or "" if c.isprintable())[:200],
            kind=table.kind,
            data=form.data_bytes,
            eventbrite=imports.looks_like_eventbrite(table.headers),
        )
        return redirect("organise:attendees_import_columns", slug=event.slug, upload_id=stored.pk)
    context = {
        "event": event,
        "form": form,
        "page_title": "Import attendees",
        "max_rows": imports.MAX_ROWS,
        "columns": imports.GENERIC_COLUMNS,
    }
    return render(request, "events/imports/upload.jinja", context, status=400 if form.errors else 200)


@_start_again
@login_required
@require_http_methods(["GET", "POST"])
def columns(request, slug, upload_id):
    """Step 2: which column holds what, pre-matched by name (Eventbrite's names too)."""
    event = access_event(request.user, slug)
    stored = _upload(request, event, upload_id)
    table = _table(stored)
    chosen = stored.columns or imports.guess_columns(table.headers)
    initial = {key: "" if chosen.get(key) is None else str(chosen[key]) for key in imports.FIELD_KEYS}
    initial["eventbrite"] = stored.eventbrite
    form = ColumnsForm(table, request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        stored.columns = form.columns
        stored.eventbrite = form.cleaned_data["eventbrite"]
        stored.plan_digest = ""
        stored.save(update_fields=["columns", "eventbrite", "plan_digest"])
        return redirect("organise:attendees_import_preview", slug=event.slug, upload_id=stored.pk)
    context = {
        "event": event,
        "form": form,
        "upload": stored,
        "table": table,
        "page_title": "Match the columns",
        "rows": len(table.rows),
    }
    return render(request, "events/imports/columns.jinja", context, status=400 if form.errors else 200)


def _preview(request, event, stored, table, result, *, form=None, status=None):
    shown = result.problem_rows[:PREVIEW_ROWS] if not result.ok else result.rows[:PREVIEW_ROWS]
    context = {
        "event": event,
        "upload": stored,
        "result": result,
        "shown": shown,
        "form": form or ConfirmForm(),
        "total": len(result.rows),
        "page_title": "Check the attendees before importing",
        "used": [
            (imports.BY_KEY[k].label, table.header_label(i))
            for k, i in stored.columns.items()
            if i is not None and k in imports.BY_KEY and i < len(table.headers)
        ],
    }
    return render(
        request, "events/imports/preview.jinja", context, status=status or (200 if result.ok else 400)
    )


@_start_again
@login_required
def preview(request, slug, upload_id):
    """Step 3: what would happen to each row, and each row's problems. Nothing is saved."""
    event = access_event(request.user, slug)
    stored = _upload(request, event, upload_id)
    if not stored.columns:
        return redirect("organise:attendees_import_columns", slug=event.slug, upload_id=stored.pk)
    table = _table(stored)
    result = imports.attendees_import(
        event, table, stored.columns, eventbrite=stored.eventbrite, dry_run=True
    )
    stored.plan_digest = result.digest
    stored.save(update_fields=["plan_digest"])
    return _preview(request, event, stored, table, result)


@_start_again
@login_required
@require_POST
def confirm(request, slug, upload_id):
    """Step 4: import, if every row is still fine and still means what the preview showed."""
    event = access_event(request.user, slug)
    stored = _upload(request, event, upload_id)
    if not stored.columns or not stored.plan_digest:
        return redirect("organise:attendees_import_preview", slug=event.slug, upload_id=stored.pk)
    form = ConfirmForm(request.POST)
    form.is_valid()  # a checkbox: always valid
    table = _table(stored)
    # Checked here (reading only), so a changed file or new problems show on the preview at once; the saving
    # is the worker's, a step at a time, so attendees registering meanwhile never wait long.
    result = imports.attendees_import(event, table, stored.columns, eventbrite=stored.eventbrite, dry_run=True)
    if result.digest != stored.plan_digest:
        result.changed_since_preview = True
        stored.plan_digest = result.digest
        stored.save(update_fields=["plan_digest"])
        return _preview(request, event, stored, table, result, form=form, status=409)
    if not result.ok:
        return _preview(request, event, stored, table, result, form=form)
    job = imports.attendees_import_start(stored, user=request.user,
                                         send_confirmations=form.cleaned_data.get("send_confirmations", False))
    return redirect("organise:job", job_id=job.pk)


@login_required
@require_POST
def discard(request, slug, upload_id):
    event = access_event(request.user, slug)
    ImportUpload.objects.filter(pk=upload_id, event=event, uploaded_by=request.user).delete()
    messages.success(request, "The file was not imported, and it has been deleted.")
    return redirect("organise:attendees_import", slug=event.slug)


@login_required
def export(request, slug, file_format):
    """Every registration as CSV (UTF-8 with a byte-order mark, for Excel) or XLSX."""
    event = access_event(request.user, slug)
    if file_format == "xlsx":
        buffer = io.BytesIO()
        count = exports.write_xlsx(event, buffer)
        response = HttpResponse(
            buffer.getvalue(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        text = io.StringIO(newline="")
        count = exports.write_csv(event, text)
        response = HttpResponse(text.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{event.slug}-attendees.{file_format}"'
    AuditEntry.objects.create(
        actor=request.user,
        alliance=event.alliance,
        action="attendees.export",
        detail={"event": event.slug, "format": file_format, "rows": count},
    )
    return response
