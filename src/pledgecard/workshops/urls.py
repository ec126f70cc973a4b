"""Workshops (`workshops:`): an attendee choosing their workshops.

`organise_patterns` are organisers' programme, choices, allocation and placement pages; pledgecard/urls.py
gathers them into the `organise` namespace."""

from django.urls import path

from pledgecard.workshops import views

app_name = "workshops"

urlpatterns = [
    path("registrations/<uuid:public_id>/workshops/", views.choose, name="choose"),
]

organise_patterns = [
    path("events/<slug:slug>/workshops/", views.programme, name="programme"),
    path("events/<slug:slug>/workshops/add/", views.workshop_add, name="workshop_add"),
    path("events/<slug:slug>/workshops/slots/add/", views.slot_add, name="slot_add"),
    path("events/<slug:slug>/workshops/sessions/add/", views.session_add, name="session_add"),
    path("events/<slug:slug>/workshops/choosing/", views.choosing_toggle, name="choosing_toggle"),
    path("events/<slug:slug>/workshops/choices/", views.choices_enter, name="choices_enter"),
    path("events/<slug:slug>/workshops/allocate/", views.allocate, name="allocate"),
    path("events/<slug:slug>/workshops/placements/", views.placements, name="placements"),
    path("events/<slug:slug>/workshops/placements.csv", views.placements_csv, name="placements_csv"),
    path("events/<slug:slug>/workshops/placements/<int:pk>/lock/", views.placement_lock, name="placement_lock"),
    path("events/<slug:slug>/workshops/publish/", views.publish, name="publish"),
]
