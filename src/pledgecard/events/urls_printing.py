"""Organisers' URLs for attendee printing (gathered by events/urls.py into the `organise` namespace)."""

from django.urls import path

from pledgecard.events import print_views

organise_patterns = [
    path("events/<slug:slug>/print/", print_views.print_index, name="print"),
    path("events/<slug:slug>/print/badges.pdf", print_views.badges_pdf, name="print_badges"),
    path("events/<slug:slug>/print/postcards.pdf", print_views.postcards_pdf, name="print_postcards"),
    path("events/<slug:slug>/print/postcards-blank.pdf", print_views.postcards_blank_pdf,
         name="print_postcards_blank"),
]
