"""Business rules for stories: submitting, moderating (publish, return with a note, reject), emails."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from pledgecard.core import uploads
from pledgecard.core.models import AuditEntry
from pledgecard.delivery import services as delivery
from pledgecard.delivery.models import Message
from pledgecard.stories.models import Story

PUBLISHED_KIND = "stories_published"
RETURNED_KIND = "stories_returned"
RECEIVED_KIND = "stories_received"


@dataclass(frozen=True)
class StoryWords:
    """What the author writes, checked by the form."""

    title: str
    text: str
    themes: list
    name: str
    organisation: str
    email: str
    credit: str
    image_alt: str = ""


def _apply_image(story: Story, checked: uploads.CheckedFile | None, alt: str) -> str:
    """Point the story at a newly stored picture; returns the old picture's name (to delete after commit)."""
    if checked is None:
        story.image_alt = alt if story.image else ""
        return ""
    old = story.image
    story.image = uploads.store(checked, "stories")
    story.image_type = checked.content_type
    story.image_alt = alt
    return old


def story_submit(*, alliance, words: StoryWords, image: uploads.CheckedFile | None = None) -> Story:
    """A new story, waiting for an organiser; its author is emailed a private link to it."""
    now = timezone.now()
    story = Story(
        alliance=alliance,
        title=words.title,
        text=words.text,
        name=words.name,
        organisation=words.organisation,
        email=words.email,
        credit=words.credit,
        consent_at=now,
        submitted_at=now,
    )
    story.set_new_link()
    _apply_image(story, image, words.image_alt)
    try:
        with transaction.atomic():
            story.save()
            story.themes.set(words.themes)
            delivery.message_schedule(
                kind=RECEIVED_KIND, subject=story.subject, alliance_id=story.alliance_id,
                to_address=story.email, due_at=now,
            )
    except Exception:
        uploads.delete(story.image)
        raise
    return story


def story_resubmit(
    story: Story, *, words: StoryWords, image: uploads.CheckedFile | None = None, remove_image: bool = False
) -> Story:
    """The author changed a returned story and sends it again: it waits for an organiser once more."""
    now = timezone.now()
    story.title, story.text, story.name = words.title, words.text, words.name
    story.organisation, story.email, story.credit = words.organisation, words.email, words.credit
    old_image = ""
    if remove_image and image is None:
        old_image, story.image, story.image_type, story.image_alt = story.image, "", "", ""
    else:
        old_image = _apply_image(story, image, words.image_alt)
    story.status, story.consent_at, story.submitted_at = Story.Status.SUBMITTED, now, now
    with transaction.atomic():
        story.save()
        story.themes.set(words.themes)
        if old_image:
            transaction.on_commit(lambda: uploads.delete(old_image))
    return story


class NotAllowed(Exception):
    """That decision does not apply to the story as it is now."""


def _decide(story: Story, *, status: str, action: str, actor, note: str = "", kind: str = "") -> Story:
    with transaction.atomic():
        locked = Story.objects.select_for_update().get(pk=story.pk)
        now = timezone.now()
        locked.status, locked.decided_by, locked.decided_at = status, actor, now
        if note or status == Story.Status.RETURNED:
            locked.note = note
        if status == Story.Status.PUBLISHED and locked.published_at is None:
            locked.published_at = now
        locked.save()
        if kind:
            delivery.message_schedule(kind=kind, subject=locked.subject, alliance_id=locked.alliance_id,
                                      to_address=locked.email, due_at=now)
        AuditEntry.objects.create(
            actor=actor, alliance=locked.alliance, action=action, detail={"story": locked.pk}
        )
    return locked


def story_publish(story: Story, *, actor) -> Story:
    if story.status == Story.Status.PUBLISHED:
        raise NotAllowed("This story is already published.")
    return _decide(
        story, status=Story.Status.PUBLISHED, action="stories.publish", actor=actor, kind=PUBLISHED_KIND
    )


def story_return(story: Story, *, actor, note: str) -> Story:
    """Back to the author with a note (emailed, with their private link to change and resend it)."""
    if story.status not in (Story.Status.SUBMITTED, Story.Status.PUBLISHED):
        raise NotAllowed("Only a story waiting for an organiser, or a published one, can be returned.")
    return _decide(
        story,
        status=Story.Status.RETURNED,
        action="stories.return",
        actor=actor,
        note=note,
        kind=RETURNED_KIND,
    )


def story_reject(story: Story, *, actor) -> Story:
    if story.status == Story.Status.REJECTED:
        raise NotAllowed("This story is already not published.")
    return _decide(story, status=Story.Status.REJECTED, action="stories.reject", actor=actor)


def story_for_token(token: str) -> Story | None:
    return Story.for_token(token, Story.objects.select_related("alliance"))


def story_delete(story: Story) -> None:
    """Delete a story, what is still owed to its author, and its picture."""
    with transaction.atomic():
        Message.objects.filter(subject=story.subject).delete()
        image = story.image
        story.delete()
        transaction.on_commit(lambda: uploads.delete(image))


def published(alliance):
    return (
        Story.objects.filter(alliance=alliance, status=Story.Status.PUBLISHED)
        .select_related("alliance")
        .prefetch_related("themes")
        .order_by("-published_at")
    )


def queue(alliance, status: str | None = None):
    stories = Story.objects.filter(alliance=alliance).prefetch_related("themes")
    if status:
        return stories.filter(status=status).order_by("submitted_at")
    return stories.order_by("-submitted_at")


def status_counts(alliance) -> dict[str, int]:
    from django.db.models import Count

    counts = dict(
        Story.objects.filter(alliance=alliance).values_list("status").annotate(n=Count("id")).order_by()
    )
    return {status: counts.get(status, 0) for status in Story.Status.values}
