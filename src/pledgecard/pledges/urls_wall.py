"""The pledge wall's moderation: visitors' reports, and organisers' queue and rule."""

from django.urls import path

from pledgecard.pledges import wall_views

app_name = "wall"

urlpatterns = [
    path("e/<slug:slug>/wall/<int:pk>/report/", wall_views.wall_report, name="report"),
    path("organise/events/<slug:slug>/wall/", wall_views.moderation, name="moderation"),
    path("organise/events/<slug:slug>/wall/settings/", wall_views.wall_settings, name="settings"),
]
