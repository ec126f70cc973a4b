"""Organisers' URLs for attendee imports (gathered by events/urls.py into the `organise` namespace)."""

from django.urls import path

from pledgecard.events import import_views as views

organise_patterns = [
    path("events/<slug:slug>/attendees/import/", views.upload, name="attendees_import"),
    path(
        "events/<slug:slug>/attendees/import/<uuid:upload_id>/columns/",
        views.columns,
        name="attendees_import_columns",
    ),
    path(
        "events/<slug:slug>/attendees/import/<uuid:upload_id>/preview/",
        views.preview,
        name="attendees_import_preview",
    ),
    path(
        "events/<slug:slug>/attendees/import/<uuid:upload_id>/confirm/",
        views.confirm,
        name="attendees_import_confirm",
    ),
    path(
        "events/<slug:slug>/attendees/import/<uuid:upload_id>/discard/",
        views.discard,
        name="attendees_import_discard",
    ),
    path(
        "events/<slug:slug>/attendees/export/csv/",
        views.export,
        {"file_format": "csv"},
        name="attendees_export_csv",
    ),
    path(
        "events/<slug:slug>/attendees/export/xlsx/",
        views.export,
        {"file_format": "xlsx"},
        name="attendees_export_xlsx",
    ),
]
