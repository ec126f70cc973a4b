"""How story messages are written, at send time, from the story as it is then (delivery/rendering.py)."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from pledgecard.delivery.channels import RenderedEmail
from pledgecard.delivery.rendering import NotWanted, writes
from pledgecard.stories import services
from pledgecard.stories.models import Story


def story_of(message) -> Story:
    label, _, pk = message.subject.partition(":")
    story = (
        Story.objects.select_related("alliance").filter(pk=int(pk)).first()
        if label == "stories.story" and pk.isdigit()
        else None
    )
    if story is None:
        raise NotWanted("The story is no longer here.")
    return story


def private_link(story: Story) -> str:
    return settings.SITE_URL + reverse("stories:link", kwargs={"token": story.token})


def _email(message, story: Story, template: str, subject: str) -> RenderedEmail:
    context = {
        "story": story,
        "alliance": story.alliance,
        "link": private_link(story),
        "story_url": settings.SITE_URL
        + reverse("stories:story", kwargs={"alliance": story.alliance.slug, "public_id": story.public_id}),
        "stories_url": settings.SITE_URL + reverse("stories:list", kwargs={"alliance": story.alliance.slug}),
    }
    return RenderedEmail(
        to=message.to_address,
        subject=subject,
        text=render_to_string(f"stories/email/{template}.txt", context),
        html=render_to_string(f"stories/email/{template}.html", context),
        headers={"Reply-To": story.alliance.contact_email},
    )


@writes(services.RECEIVED_KIND)
def received(message) -> RenderedEmail:
    story = story_of(message)
    return _email(message, story, "received", f"We have your story: {story.title}")


@writes(services.RETURNED_KIND)
def returned(message) -> RenderedEmail:
    story = story_of(message)
    if story.status != Story.Status.RETURNED:
        raise NotWanted("The story is no longer returned (it was sent again, or decided).")
    return _email(message, story, "returned", f"A question about your story: {story.title}")


@writes(services.PUBLISHED_KIND)
def published(message) -> RenderedEmail:
    story = story_of(message)
    if story.status != Story.Status.PUBLISHED:
        raise NotWanted("The story is no longer published.")
    return _email(message, story, "published", f"Your story is published: {story.title}")
