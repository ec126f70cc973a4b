"""Postcards (`pledges:`): the postcard page, the wall, a postcard's private link and its owner's pages.

`organise_patterns` are organisers' postcard pages; pledgecard/urls.py gathers them into the `organise` namespace.
The wall's moderation has its own module and namespace (`wall:`, urls_wall.py)."""

from django.urls import path

from pledgecard.pledges import channel_views, organise, views

app_name = "pledges"

urlpatterns = [
    path("e/<slug:slug>/", views.postcard_new, name="new"),
    path("e/<slug:slug>/wall/", views.wall, name="wall"),
    path("p/<str:token>/", views.postcard_link, name="link"),
    path("postcards/<uuid:public_id>/", views.postcard_detail, name="postcard"),
    path("postcards/<uuid:public_id>/how-did-it-go/", views.follow_up, name="follow_up"),
    path("postcards/<uuid:public_id>/refresh/", views.refresh, name="refresh"),
    path("postcards/<uuid:public_id>/stop/", views.stop_reminder, name="stop"),
    path("postcards/<uuid:public_id>/how-it-comes-back/", channel_views.channel_change, name="channel"),
]

organise_patterns = [
    path("events/<slug:slug>/postcards/", organise.postcard_list, name="postcards"),
    path("events/<slug:slug>/postcards.csv", organise.postcard_csv, name="postcards_csv"),
    path("events/<slug:slug>/postcards/paper/", organise.paper_entry, name="paper"),
    path("events/<slug:slug>/postcards/import/", organise.postcard_import, name="postcard_import"),
    path("events/<slug:slug>/reminders/<uuid:message_id>/fallback/", organise.reminder_fallback,
         name="reminder_fallback"),
    path("events/<slug:slug>/postcards/<uuid:public_id>/letter.pdf", channel_views.letter_pdf,
         name="postcard_letter"),
]
