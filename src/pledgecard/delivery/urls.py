"""URLs for GOV.UK Notify: organisers' pages (in the `organise` namespace) and Notify's receipts endpoint."""

from django.urls import path

from pledgecard.delivery import views

organise_patterns = [
    path("alliances/<slug:alliance>/notify/", views.notify_settings, name="notify"),
    path("alliances/<slug:alliance>/notify/test/", views.notify_test, name="notify_test"),
    path("alliances/<slug:alliance>/notify/remove/", views.notify_remove, name="notify_remove"),
]

urlpatterns = [
    path("notify/callback/<slug:alliance>/", views.notify_callback, name="notify_callback"),
]
