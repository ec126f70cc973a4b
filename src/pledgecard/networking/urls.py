"""Networking (`networking:`): an attendee's "who I met", what they share and the contact cards.

`organise_patterns` are organisers' meeting rounds, live view, network and prompts; pledgecard/urls.py gathers
them into the `organise` namespace."""

from django.urls import path

from pledgecard.networking import views

app_name = "networking"

urlpatterns = [
    path("registrations/<uuid:public_id>/meet/", views.meet, name="meet"),
    path("registrations/<uuid:public_id>/meet/confirm/", views.meet_confirm, name="meet_confirm"),
    path("registrations/<uuid:public_id>/meet/sharing/", views.meet_sharing, name="meet_sharing"),
    path("registrations/<uuid:public_id>/meet/<int:member_id>.vcf", views.meet_vcf, name="meet_vcf"),
]

organise_patterns = [
    path("events/<slug:slug>/meet/", views.rounds, name="rounds"),
    path("events/<slug:slug>/meet/start/", views.round_start, name="round_start"),
    path("events/<slug:slug>/meet/rounds/<int:number>/", views.round_detail, name="round"),
    path("events/<slug:slug>/meet/live/", views.live, name="live"),
    path("events/<slug:slug>/meet/live.json", views.live_json, name="live_json"),
    path("alliances/<slug:alliance>/network/", views.network, name="network"),
    path("alliances/<slug:alliance>/prompts/", views.prompts, name="prompts"),
]
