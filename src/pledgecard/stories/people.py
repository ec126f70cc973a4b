"""What stories hold about a person (their email address), for people export and erase
(core/personal_data.py)."""

from pledgecard.stories.models import Story


def stories_of(email: str, alliances=None):
    """`alliances`: None for every alliance, or a set of alliance ids (an organiser's page)."""
    stories = Story.objects.filter(email__iexact=email)
    return stories if alliances is None else stories.filter(alliance_id__in=alliances)


def export(email: str, *, alliances=None) -> list:
    return [
        {
            "story": story.title,
            "text": story.text,
            "name": story.name,
            "organisation": story.organisation,
            "email": story.email,
            "themes": [theme.name for theme in story.themes.all()],
            "picture": bool(story.image),
            "picture_description": story.image_alt,
            "publish": story.get_credit_display(),
            "consent_at": story.consent_at.isoformat(),
            "status": story.get_status_display(),
            "note_from_organisers": story.note,
            "submitted_at": story.submitted_at.isoformat(),
            "published_at": story.published_at.isoformat() if story.published_at else None,
            "alliance": story.alliance.slug,
        }
        for story in stories_of(email, alliances)
        .select_related("alliance")
        .prefetch_related("themes")
    ]


def erase(email: str, *, alliances=None) -> int:
    """Their stories go entirely (published ones too: the words are theirs), with pictures and messages."""
    from pledgecard.stories.services import story_delete

    stories = list(stories_of(email, alliances))
    for story in stories:
        story_delete(story)
    return len(stories)
