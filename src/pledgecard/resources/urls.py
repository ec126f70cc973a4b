"""Resources and short links: organisers' pages under /organise/alliances/SLUG/, /go/CODE and the files."""

from django.urls import path, re_path

from pledgecard.resources import views

app_name = "resources"

urlpatterns = [
    re_path(r"^go/(?P<code>[^/]+)/?$", views.follow, name="follow"),
    path("resources/<uuid:public_id>/<str:filename>", views.resource_file, name="file"),
    path("organise/alliances/<slug:alliance>/resources/", views.resource_list, name="list"),
    path("organise/alliances/<slug:alliance>/resources/new/", views.resource_new, name="new"),
    path("organise/alliances/<slug:alliance>/resources/<uuid:public_id>/", views.resource_edit, name="edit"),
    path(
        "organise/alliances/<slug:alliance>/resources/<uuid:public_id>/archive/",
        views.resource_archive,
        name="archive",
    ),
    path("organise/alliances/<slug:alliance>/links/", views.link_new, name="link_new"),
    path("organise/alliances/<slug:alliance>/links/<str:code>/", views.link_detail, name="link"),
    path("organise/alliances/<slug:alliance>/links/<str:code>/qr.svg", views.link_qr, name="link_qr"),
]
