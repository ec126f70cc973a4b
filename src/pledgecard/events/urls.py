"""Events (`events:`): the front page, an event's page and registration, a registration's private link and its
owner's pages.

`organise_patterns` are organisers' event, attendee, check-in, import and printing pages; pledgecard/urls.py
gathers them into the `organise` namespace."""

from django.urls import path

from pledgecard.events import attendee_views, public_views, urls_imports, urls_printing, views

app_name = "events"

urlpatterns = [
    path("", public_views.index, name="index"),
    path("events/<slug:slug>/", public_views.event_page, name="event"),
    path("events/<slug:slug>/check-your-email/", public_views.check_email, name="check_email"),
    path("r/<str:token>/", public_views.registration_link, name="link"),
    path("registrations/<uuid:public_id>/", public_views.registration_detail, name="registration"),
    path("registrations/<uuid:public_id>/change/", public_views.registration_edit, name="edit"),
    path("registrations/<uuid:public_id>/cancel/", public_views.registration_cancel, name="cancel"),
    path("registrations/<uuid:public_id>/take-place/", public_views.offer_accept, name="offer_accept"),
]

organise_patterns = [
    path("", views.home, name="home"),
    path("alliances/new/", views.alliance_new, name="alliance_new"),
    path("alliances/<slug:alliance>/events/new/", views.event_new, name="event_new"),
    path("events/<slug:slug>/", views.event_detail, name="event"),
    path("events/<slug:slug>/reschedule/", views.event_reschedule, name="event_reschedule"),
    path("events/<slug:slug>/qr.svg", views.event_qr, name="event_qr"),
    path("events/<slug:slug>/attendees/", attendee_views.attendees, name="attendees"),
    path("events/<slug:slug>/attendees/<slug:table>.csv", attendee_views.attendees_csv, name="attendees_csv"),
    path("events/<slug:slug>/registration-settings/", attendee_views.registration_settings,
         name="registration_settings"),
    path("events/<slug:slug>/check-in/", attendee_views.check_in, name="check_in"),
    path("events/<slug:slug>/check-in/count/", attendee_views.check_in_count, name="check_in_count"),
    path("events/<slug:slug>/check-in/walk-in/", attendee_views.walk_in, name="walk_in"),
    path("events/<slug:slug>/check-in/<uuid:public_id>/", attendee_views.check_in_person, name="check_in_person"),
    path("events/<slug:slug>/check-in/<uuid:public_id>/undo/", attendee_views.check_in_undo, name="check_in_undo"),
    *urls_imports.organise_patterns,
    *urls_printing.organise_patterns,
]
