"""Site-wide pages (no namespace: `privacy`, `bare`) and, in `organise_patterns`, a long job's progress page,
which pledgecard/urls.py gathers into the `organise` namespace. Data protection pages: urls_data_protection.py."""

from django.urls import path

from pledgecard.core import views

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("bench/bare/", views.bare, name="bare"),
]

organise_patterns = [
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/status.json", views.job_status, name="job_status"),
]
