"""Stories: public pages and feed under /stories/SLUG/, the author's link and page, the organisers' queue."""

from django.urls import path
from django.views.decorators.http import require_safe

from pledgecard.stories import feeds, views

app_name = "stories"

urlpatterns = [
    path("stories/<slug:alliance>/", views.story_list, name="list"),
    path("stories/<slug:alliance>/feed/", require_safe(feeds.StoriesFeed()), name="feed"),
    path("stories/<slug:alliance>/new/", views.story_new, name="new"),
    path("stories/<slug:alliance>/<uuid:public_id>/", views.story_detail, name="story"),
    path("stories/<slug:alliance>/<uuid:public_id>/picture", views.story_image, name="image"),
    path("s/<str:token>/", views.story_link, name="link"),
    path("my-story/<uuid:public_id>/", views.story_mine, name="mine"),
    path("organise/alliances/<slug:alliance>/stories/", views.moderation_queue, name="queue"),
    path(
        "organise/alliances/<slug:alliance>/stories/<uuid:public_id>/", views.moderation_review, name="review"
    ),
    path(
        "organise/alliances/<slug:alliance>/stories/<uuid:public_id>/publish/",
        views.moderation_publish,
        name="publish",
    ),
    path(
        "organise/alliances/<slug:alliance>/stories/<uuid:public_id>/return/",
        views.moderation_return,
        name="return",
    ),
    path(
        "organise/alliances/<slug:alliance>/stories/<uuid:public_id>/reject/",
        views.moderation_reject,
        name="reject",
    ),
]
