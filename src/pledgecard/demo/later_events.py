"""The demo's later events (2024 and 2025), for the insights pages: people who come back, check-ins,
postcards and their reminders, answers to "How did it go?", refreshed pledges, meetings and workshops; local
themes; and a demo leader. Loaded by `pledgecard demo` after the first event (first_event.py); running it again
changes nothing (each event is made once, whole).

Nothing here is left owed to anyone: reminders whose day has passed are recorded as sent (as if the worker
sent them then), later ones stay scheduled for their day, and no confirmation email is queued.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from pledgecard.core.models import Membership, Role, Sector
from pledgecard.delivery.models import Message
from pledgecard.delivery.services import messages_about
from pledgecard.demo.first_event import FIRST_NAMES, LAST_NAMES, ORGANISATIONS
from pledgecard.events.models import Event, Registration
from pledgecard.networking import services as networking
from pledgecard.networking.models import Meeting, Member
from pledgecard.pledges import services as pledges
from pledgecard.pledges.models import FollowUp, Postcard, Theme
from pledgecard.workshops import services as workshops
from pledgecard.workshops.models import Session, Slot, Workshop

DEMO_LEADER_EMAIL = "leader@example.org"
DEMO_LEADER_PASSWORD = "demo-leader-pledgecard"  # noqa: S105 - printed by `make run`, development only

LOCAL_THEMES = [
    "Housing and homelessness",
    "Money, work and skills",
    "Digital inclusion",
    "Trust and co-production",
]

EVENTS = [
    # slug, title, date, venue, people, of whom from earlier events, seed
    (
        "reducing-inequalities-2024",
        "Reducing inequalities: one year on",
        dt.date(2024, 11, 5),
        "Kala Sangam, Bradford",
        150,
        55,
        2024,
    ),
    (
        "core20plus5-neighbourhoods-2025",
        "Core20PLUS5 in our neighbourhoods",
        dt.date(2025, 6, 10),
        "Keighley Healthy Living, Keighley",
        90,
        40,
        2025,
    ),
    (
        "reducing-inequalities-2025",
        "Reducing inequalities: building the movement",
        dt.date(2025, 11, 11),
        "Kala Sangam, Bradford",
        170,
        85,
        20251,
    ),
]

WORKSHOPS = [
    "Co-production with communities",
    "Core20PLUS5 at a hyperlocal level",
    "The role of trust in reducing inequalities",
    "Housing, damp and children's health",
    "Using data to find who we miss",
]

# What people commit to, by the theme they might choose: words that the starting theme words also recognise,
# so postcards without a theme get meaningful suggestions.
PLEDGES = {
    "Most deprived 20%": [
        "Map our clinic's patients by deprivation decile and share it with the team.",
        "Signpost every family we see to the food bank and cost of living support.",
    ],
    "PLUS groups (locally chosen)": [
        "Book an interpreter as standard for refugee and asylum seeker appointments.",
        "Make our service easy to use for people with a learning disability.",
    ],
    "Maternity": [
        "Ask every pregnant woman from an ethnic minority about her antenatal care experience.",
        "Link our midwives with the community group at the mosque.",
    ],
    "Severe mental illness": [
        "Check that people with psychosis on our list have had their physical health check.",
        "Invite people living with bipolar disorder to help shape our next service change.",
    ],
    "Chronic respiratory disease": [
        "Offer stop smoking support at every contact with a smoker.",
        "Run a flu jab and COPD review day in the community centre.",
    ],
    "Early cancer diagnosis": [
        "Promote bowel cancer screening in Urdu and Polish at our open day.",
        "Follow up everyone who missed cervical screening in the last year.",
    ],
    "Hypertension": [
        "Book a blood pressure check session at the mosque open day.",
        "Train our reception team to take blood pressure in the waiting room.",
    ],
    "Asthma (children)": [
        "Report damp and mould in family homes to the housing team the same week.",
        "Check every child with asthma has an up-to-date inhaler plan.",
    ],
    "Diabetes (children)": [
        "Help school staff understand insulin and glucose checks for pupils with diabetes."
    ],
    "Epilepsy (children)": ["Make sure every young person with epilepsy knows who to call after a seizure."],
    "Oral health (children)": [
        "Give out toothbrushes and fluoride toothpaste at every health visitor contact."
    ],
    "Mental health (children and young people)": [
        "Meet the CAMHS team and agree how young people can reach us.",
        "Start a youth panel so young people shape our service.",
    ],
    "Housing and homelessness": [
        "Ask about housing at every first appointment and refer to the homeless team."
    ],
    "Money, work and skills": [
        "Offer two apprenticeships to young people from the most deprived wards.",
        "Put a benefits adviser in our waiting room one morning a week.",
    ],
    "Digital inclusion": ["Help patients without internet access book appointments another way."],
    "Trust and co-production": [
        "Co-produce our next leaflet with the people who will read it.",
        "Go back to the community group and tell them what we changed.",
    ],
}
# Words that match no theme: the "no word matched" row.
UNMATCHED = [
    "Say yes to the next invitation to work with another organisation.",
    "Share what I learnt today with my whole team on Monday.",
]
LEARNT = [
    "Life expectancy differs by years between wards a few miles apart.",
    "Trust is built slowly and lost quickly; communities remember.",
    "Co-production means sharing power, not just asking for views.",
    "Core20PLUS5 gives us a shared language across organisations.",
    "The people we miss are the ones our data does not show.",
]
OUTCOMES = [("done", 35), ("under_way", 35), ("not_yet", 20), ("changed", 10)]
REFLECTIONS = {
    "done": "We did it, and the team wants to keep going.",
    "under_way": "Started; it takes longer than I hoped.",
    "not_yet": "Other work got in the way. I still mean to.",
    "changed": "I found a better way to do it.",
}


def load(stdout=None) -> None:
    """The demo alliance's later events and its leader; the first demo event must already exist."""
    alliance = Event.objects.get(slug="reducing-inequalities-2023").alliance
    with transaction.atomic():
        leader = _leader()
        Membership.objects.get_or_create(user=leader, alliance=alliance, defaults={"role": Role.LEADER})
        for position, name in enumerate(LOCAL_THEMES, start=20):
            Theme.objects.get_or_create(
                name=name, defaults={"group": Theme.Group.LOCAL, "position": position}
            )
    for spec in EVENTS:
        if not Event.objects.filter(slug=spec[0]).exists():
            with transaction.atomic():
                _event(alliance, *spec)
    if stdout is not None:
        stdout.write(f"Leader sign-in (sees the insights): {DEMO_LEADER_EMAIL} / {DEMO_LEADER_PASSWORD}")


def _leader():
    User = get_user_model()
    user = User.objects.filter(email=DEMO_LEADER_EMAIL).first()
    if user is None:
        from allauth.account.models import EmailAddress

        user = User.objects.create_user(
            username="demo-leader",
            email=DEMO_LEADER_EMAIL,
            password=DEMO_LEADER_PASSWORD,
            first_name="Demo",
            last_name="Leader",
        )
        EmailAddress.objects.create(user=user, email=DEMO_LEADER_EMAIL, verified=True, primary=True)
    return user


def _local(event, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=event.zone)


def _event(alliance, slug, title, date, venue, people, returning, seed):
    rng = random.Random(seed)  # the same synthetic people every time  # noqa: S311
    event = Event.objects.create(
        alliance=alliance,
        slug=slug,
        title=title,
        date=date,
        venue=venue,
        summary="Workforce colleagues from across the district, together again.",
        registration_open=False,
        postcards_open=False,
    )
    registrations = _registrations(event, rng, people, returning)
    _workshops(event, rng, registrations)
    present = [r for r in registrations if r.checked_in_at]
    _postcards(event, rng, present)
    _meetings(event, rng)


def _registrations(event, rng, people: int, returning: int) -> list[Registration]:
    """`returning` people from the alliance's earlier events (a few typing their address in capitals), the
    rest new; most check in on the day, a few cancel."""
    sectors = list(Sector.objects.exclude(name="Other"))
    weights = {
        "NHS": 40,
        "Local authority": 25,
        "Voluntary and community sector": 25,
        "Education": 10,
        "Police": 6,
        "Housing": 8,
        "Business": 6,
    }
    earlier = list(
        Registration.objects.filter(
            event__alliance=event.alliance, event__date__lt=event.date, status=Registration.Status.CONFIRMED
        )
        .order_by("email", "pk")
        .distinct()
    )
    seen, back = set(), []
    for r in rng.sample(earlier, len(earlier)):
        if r.email.casefold() not in seen and len(back) < returning:
            seen.add(r.email.casefold())
            back.append(r)
    taken = Registration.objects.filter(event__alliance=event.alliance).count()
    rows = []
    for r in back:
        email = r.email.upper().replace("@EXAMPLE.ORG", "@Example.org") if rng.random() < 0.1 else r.email
        rows.append((r.name, email, r.organisation, r.sector))
    for i in range(people - len(back)):
        n = taken + i + 1000
        name = f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {LAST_NAMES[(n * 7) % len(LAST_NAMES)]}"
        sector = rng.choices(sectors, weights=[weights.get(s.name, 5) for s in sectors])[0]
        organisation = rng.choice(ORGANISATIONS.get(sector.name, ["Bradford Community Partnership"]))
        rows.append(
            (name, f"{event.date.year}-{slug_part(event)}-{i + 1:03d}@example.org", organisation, sector)
        )
    created = []
    for name, email, organisation, sector in rows:
        status = Registration.Status.CANCELLED if rng.random() < 0.04 else Registration.Status.CONFIRMED
        registration = Registration.objects.create(
            event=event,
            name=name,
            email=email,
            organisation=organisation,
            sector=sector,
            status=status,
            source="demo",
        )
        if status == Registration.Status.CONFIRMED and rng.random() < 0.86:
            registration.checked_in_at = _local(event, event.date, 9, rng.randrange(0, 50))
            registration.save(update_fields=["checked_in_at"])
        created.append(registration)
    return created


def slug_part(event) -> str:
    return event.slug.split("-")[0][:8]


def _workshops(event, rng, registrations):
    slots = [
        Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30)),
        Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45)),
    ]
    titles = WORKSHOPS if event.date.month == 11 else WORKSHOPS[:4]
    capacity = max(12, round(len(registrations) * 1.1 / len(titles)))
    offered = []
    for n, title in enumerate(titles, start=1):
        workshop = Workshop.objects.create(event=event, title=title)
        offered.append(workshop)
        for slot in slots:
            Session.objects.create(workshop=workshop, slot=slot, room=f"Room {n}", capacity=capacity)
    weights = [6, 3, 4, 5, 2][: len(offered)]
    for registration in registrations:
        if registration.status != Registration.Status.CONFIRMED or rng.random() < 0.1:
            continue
        ranked = []
        while len(ranked) < 3:
            pick = rng.choices(offered, weights=weights)[0]
            if pick not in ranked:
                ranked.append(pick)
        workshops.choices_save(registration, ranked)
    workshops.allocation_save(event, workshops.allocation_propose(event, objective="fair", mode="full"))


def _postcards(event, rng, present):
    """Most people who came write a postcard; its reminder went on its day (if that has passed), half of those
    reached answered "How did it go?", and some of them refreshed their pledge."""
    themes = {t.name: t for t in Theme.objects.all()}
    names = [name for name in PLEDGES if name in themes]
    now = timezone.now()
    due = event.reminder_due_at
    for registration in present:
        if rng.random() > 0.78:
            continue
        theme_name = rng.choice(names)
        chosen = rng.random() < 0.75
        words = rng.choice(PLEDGES[theme_name]) if chosen or rng.random() < 0.8 else rng.choice(UNMATCHED)
        wants_reminder = rng.random() < 0.92
        written = pledges.postcard_write(
            event=event,
            source=rng.choice([Postcard.Source.ONLINE, Postcard.Source.PAPER]),
            send_confirmation=False,
            words=pledges.PostcardWords(
                name=registration.name,
                email=registration.email,
                organisation=registration.organisation,
                sector=registration.sector,
                learnt=rng.choice(LEARNT),
                commitment=words,
                theme=themes[theme_name] if chosen else None,
                wants_reminder=wants_reminder,
                share_on_wall=rng.random() < 0.5,
            ),
        )
        postcard = written.postcard
        # These events are long past: their walls were moderated then (the 2023 event keeps a queue to show).
        Postcard.objects.filter(pk=postcard.pk).update(
            created_at=_local(event, event.date, 15, rng.randrange(45, 59)),
            wall_status="published" if postcard.share_on_wall else postcard.wall_status,
        )
        reminders = messages_about(postcard).filter(kind=Message.Kind.POSTCARD_REMINDER)
        if not wants_reminder or due > now:
            reminders.update(due_at=due)
            continue
        if rng.random() < 0.05:  # a mailbox that no longer exists
            reminders.update(
                due_at=due,
                status=Message.Status.FAILED,
                attempts=1,
                first_attempt_at=due,
                last_error="550 5.1.1 mailbox unavailable",
            )
            continue
        reminders.update(
            due_at=due, status=Message.Status.SENT, attempts=1, first_attempt_at=due, sent_at=due
        )
        if rng.random() < 0.55:
            outcome = rng.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
            FollowUp.objects.create(postcard=postcard, outcome=outcome, reflection=REFLECTIONS[outcome])
            if rng.random() < 0.4:
                refreshed = pledges.postcard_refresh(
                    postcard,
                    learnt="What I did last time, and what is next.",
                    commitment="Keep going, and bring one colleague next time.",
                    theme=postcard.theme,
                    wants_reminder=True,
                ).postcard
                written_at = due + dt.timedelta(days=2)
                Postcard.objects.filter(pk=refreshed.pk).update(created_at=written_at)
                messages_about(refreshed).filter(kind=Message.Kind.POSTCARD_CONFIRMATION).update(
                    due_at=written_at,
                    status=Message.Status.SENT,
                    attempts=1,
                    first_attempt_at=written_at,
                    sent_at=written_at,
                )
                comes_back = pledges.reminder_due_at(event, written_at=written_at, refreshed=True)
                again = messages_about(refreshed).filter(kind=Message.Kind.POSTCARD_REMINDER)
                if comes_back > now:
                    again.update(due_at=comes_back)
                else:
                    again.update(
                        due_at=comes_back,
                        status=Message.Status.SENT,
                        attempts=1,
                        first_attempt_at=comes_back,
                        sent_at=comes_back,
                    )


def _meetings(event, rng):
    """Two rounds of "meet someone new" among the people checked in; most pairs confirm each other's code."""
    for number in (1, 2):
        round_ = networking.round_start(event, size=2, among="checked_in", after_round=number - 1)
        for group in round_.groups.all():
            members = list(Member.objects.filter(group=group).select_related("registration"))
            for a in members:
                for b in members:
                    if a.pk != b.pk and rng.random() < 0.6:
                        Meeting.objects.create(
                            round=round_,
                            registration=a.registration,
                            met=b.registration,
                            cross_sector=a.registration.sector_id != b.registration.sector_id,
                        )
