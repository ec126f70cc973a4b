"""Insights: organisers' and leaders' figures for an alliance and an event, and the public impact page."""

from django.urls import path

from pledgecard.insights import views

app_name = "insights"

urlpatterns = [
    path("organise/alliances/<slug:alliance>/insights/", views.alliance_insights, name="alliance"),
    path(
        "organise/alliances/<slug:alliance>/insights.csv",
        views.alliance_download,
        {"fmt": "csv"},
        name="alliance_csv",
    ),
    path(
        "organise/alliances/<slug:alliance>/insights.xlsx",
        views.alliance_download,
        {"fmt": "xlsx"},
        name="alliance_xlsx",
    ),
    path("organise/alliances/<slug:alliance>/insights/theme-words/", views.theme_words, name="theme_words"),
    path(
        "organise/alliances/<slug:alliance>/insights/impact-page/",
        views.impact_settings,
        name="impact_settings",
    ),
    path("organise/events/<slug:slug>/insights/", views.event_insights, name="event"),
    path("organise/events/<slug:slug>/insights.csv", views.event_download, {"fmt": "csv"}, name="event_csv"),
    path(
        "organise/events/<slug:slug>/insights.xlsx", views.event_download, {"fmt": "xlsx"}, name="event_xlsx"
    ),
    path("impact/<slug:alliance>/", views.impact_page, name="impact"),
]
