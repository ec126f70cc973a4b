"""Organisers' URLs for attendee printing (gathered by events/urls.py into the `organise` namespace)."""

from django.urls import path

from pledgecard.events import print_views

organise_patterns = [
    path("events/<slug:slug>/print/", print_views.print_index, name="print"),
    path("events/<slug:slug>/print/start/", print_views.print_start, name="print_start"),
    path("events/<slug:slug>/print/files/<uuid:job_id>/", print_views.print_download, name="print_download"),
    path("events/<slug:slug>/print/badges.pdf", print_views.badges_pdf, name="print_badges"),
    path("events/<slug:slug>/print/postcards.pdf", print_views.postcards_pdf, name="print_postcards"),
]
