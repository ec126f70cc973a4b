"""Demo stories (`pledgecard demo`): published ones on the alliance's page, one waiting, one returned with a
note. Running it again changes nothing."""

import datetime as dt

from django.utils import timezone

from pledgecard.stories.models import Story

STORIES = [
    (
        "Asking the mosque before we redesigned the clinic",
        Story.Status.PUBLISHED,
        Story.Credit.NAMED,
        "Saima Hussain",
        "Bradford Teaching Hospitals NHS Foundation Trust",
        ["Hypertension"],
        "At the event I pledged to ask a community group before our next service change.\n\nWe asked the "
        "mosque committee what would make a blood pressure check easier. They said: evenings, women staff, "
        "and no forms in English only.\n\nFourteen people came to the first evening session. Six had high "
        "blood pressure and did not know it.",
    ),
    (
        "Letters a nine-year-old can read",
        Story.Status.PUBLISHED,
        Story.Credit.ANONYMOUS,
        "Tom Taylor",
        "City of Bradford Metropolitan District Council",
        ["Most deprived 20%"],
        "We rewrote our three most-sent letters at a reading age of nine.\n\nCalls asking what a letter "
        "means went down by a third in two months.",
    ),
    (
        "Meeting the neighbourhood team every month",
        Story.Status.SUBMITTED,
        Story.Credit.NAMED,
        "Priya Patel",
        "Community Action Bradford and District",
        [],
        "I met someone from the neighbourhood policing team at the event. We now meet monthly and share what "
        "we hear from families.\n\nCall me on 07700 900123 if you want to join us.",
    ),
    (
        "Our waiting list, by deprivation decile",
        Story.Status.RETURNED,
        Story.Credit.NAMED,
        "Daniel Evans",
        "Airedale NHS Foundation Trust",
        ["Most deprived 20%"],
        "We looked at our waiting list by deprivation decile for the first time. People from the most "
        "deprived areas waited longer.",
    ),
]


def load(alliance, organiser=None) -> None:
    now = timezone.now()
    for n, (title, status, credit, name, organisation, themes, text) in enumerate(STORIES):
        if Story.objects.filter(alliance=alliance, title=title).exists():
            continue
        submitted = now - dt.timedelta(days=30 - 5 * n)
        story = Story(
            alliance=alliance,
            title=title,
            text=text,
            name=name,
            organisation=organisation,
            email=f"{name.split()[0].lower()}@example.org",
            credit=credit,
            consent_at=submitted,
            submitted_at=submitted,
            status=status,
        )
        if status == Story.Status.PUBLISHED:
            story.published_at = story.decided_at = submitted + dt.timedelta(days=1)
            story.decided_by = organiser
        if status == Story.Status.RETURNED:
            story.note = "Thank you! Could you add what you will change now that you have seen this?"
            story.decided_at, story.decided_by = submitted + dt.timedelta(days=1), organiser
        story.set_new_link()
        story.save()
        from pledgecard.pledges.models import Theme

        story.themes.set(Theme.objects.filter(name__in=themes))
