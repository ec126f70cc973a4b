"""Data protection pages for organisers: a person's data (export, erase) and an alliance's audit log."""

from django.urls import path

from pledgecard.core import data_views

app_name = "data_protection"

urlpatterns = [
    path("people/", data_views.people_find, name="people"),
    path("people/export/", data_views.people_export, name="people_export"),
    path("people/erase/", data_views.people_erase, name="people_erase"),
    path("alliances/<slug:alliance>/audit/", data_views.audit_log, name="audit"),
    path("alliances/<slug:alliance>/audit.csv", data_views.audit_csv, name="audit_csv"),
]
