"""The demo's first event: the Reducing Inequalities Alliance's day of 7 November 2023, with synthetic people,
its resources, stories and wall. Running it again changes nothing: everything is looked up by a natural key
first.
"""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction

from pledgecard.core.models import Alliance, Membership, Role, Sector
from pledgecard.events.models import AgendaItem, Event, Registration
from pledgecard.pledges import demo_wall
from pledgecard.pledges import services as pledges
from pledgecard.pledges.models import Postcard, Theme
from pledgecard.resources import demo as resources_demo
from pledgecard.stories import demo as stories_demo
from pledgecard.workshops import services as workshops
from pledgecard.workshops.models import Session, Slot, Workshop

DEMO_ORGANISER_EMAIL = "organiser@example.org"
DEMO_ORGANISER_PASSWORD = "demo-organiser-pledgecard"  # noqa: S105 - printed by `make run`, development only
EVENT_SLUG = "reducing-inequalities-2023"

AGENDA = [
    (dt.time(9, 30), "welcome", "Welcome", "Dr Sohail Abbas, director – Reducing Inequalities Alliance"),
    (dt.time(9, 45), "film", "The Alliance's animated film", "The story of the stark inequalities across our district"),
    (dt.time(10, 0), "welcome", "The challenge: meet someone new, and commit to one thing",
     "Duncan Cooper, associate director, launches the call to action"),
    (dt.time(10, 30), "panel", "Panel session", ""),
    (dt.time(11, 30), "speaker", "Guest speaker: Fatima Khan-Shah",
     "West Yorkshire Inclusivity Champion, West Yorkshire Combined Authority"),
    (dt.time(12, 30), "break", "Lunch", ""),
    (dt.time(13, 30), "workshops", "Workshops, first session", ""),
    (dt.time(14, 45), "workshops", "Workshops, second session", ""),
    (dt.time(15, 45), "close", "Postcards, and closing words on hope", "Dr Sohail Abbas"),
]

WORKSHOPS = [
    "The role of research in reducing inequalities",
    "How Bradford as the City of Culture can play a role in reducing inequalities",
    "The role of trust in reducing the impact of inequalities",
    "Systems Leadership for Inequalities – lessons from Living Well (prevention)",
    "Co-production with communities",
    "Core20Plus5: Working collaboratively at a hyperlocal level to address inequalities",
]

FIRST_NAMES = ["Aisha", "Ben", "Chloe", "Daniel", "Ella", "Farah", "George", "Hannah", "Imran", "Jess", "Kamran",
               "Laura", "Mohammed", "Nadia", "Oliver", "Priya", "Qasim", "Rachel", "Saima", "Tom", "Usman", "Victoria",
               "Waqar", "Yasmin", "Zara", "Adam", "Bushra", "Craig", "Deborah", "Faisal"]
LAST_NAMES = ["Ahmed", "Brown", "Clarke", "Dawson", "Evans", "Fletcher", "Green", "Hussain", "Iqbal", "Jones",
              "Khan", "Lister", "Mahmood", "Naylor", "O'Brien", "Patel", "Qureshi", "Rashid", "Shah", "Taylor"]
ORGANISATIONS = {
    "NHS": ["Bradford Teaching Hospitals NHS Foundation Trust", "Airedale NHS Foundation Trust",
            "Bradford District Care NHS Foundation Trust", "West Yorkshire Integrated Care Board"],
    "Local authority": ["City of Bradford Metropolitan District Council", "Craven District Council"],
    "Voluntary and community sector": ["Community Action Bradford and District", "Millin Centre", "Bradford Trident"],
    "Education": ["University of Bradford", "Bradford College"],
    "Police": ["West Yorkshire Police"],
    "Housing": ["Incommunities"],
    "Business": ["Bradford Chamber of Commerce"],
}
LEARNT = [
    "Life expectancy differs by years between wards a few miles apart.",
    "Trust is built slowly and lost quickly; communities remember.",
    "Research only reduces inequalities if the people affected help shape it.",
    "Co-production means sharing power, not just asking for views.",
    "Core20PLUS5 gives us a shared language across organisations.",
]
COMMITMENTS = [
    "Ask one community group to help design our next service change.",
    "Check our waiting list data by deprivation decile every quarter.",
    "Introduce myself to the neighbourhood team and meet monthly.",
    "Share the call to action with my team and pick one action together.",
    "Make our letters readable at a reading age of nine.",
    "Book a blood pressure check session at the mosque open day.",
]


def load() -> Event:
    """Make the event once, whole; then its resources, stories and wall (each also made once)."""
    with transaction.atomic():
        organiser = _organiser()
        alliance, _ = Alliance.objects.get_or_create(
            slug="reducing-inequalities-alliance",
            defaults={
                "name": "Bradford District and Craven Reducing Inequalities Alliance",
                "contact_email": "ria@example.org",
            },
        )
        Membership.objects.get_or_create(user=organiser, alliance=alliance, defaults={"role": Role.ORGANISER})
        event, created = Event.objects.get_or_create(
            slug=EVENT_SLUG,
            defaults={
                "alliance": alliance,
                "title": "Reducing inequalities: making a personal commitment",
                "date": dt.date(2023, 11, 7),
                "venue": "Kala Sangam, Bradford",
                "summary": "A day for workforce colleagues from across the district to make a personal "
                "commitment and take action to make the district a fairer place to live and work.",
            },
        )
        if created:
            _agenda_and_workshops(event)
            _attendees(event)
            _workshop_choices(event)
        # Resources and short links, stories, and the moderated pledge wall (issue 11).
        resources_demo.load(alliance, organiser)
        stories_demo.load(alliance, organiser)
        demo_wall.load(event)
    return event


def _organiser():
    User = get_user_model()
    user = User.objects.filter(email=DEMO_ORGANISER_EMAIL).first()
    if user is None:
        user = User.objects.create_user(username="demo-organiser", email=DEMO_ORGANISER_EMAIL,
                                        password=DEMO_ORGANISER_PASSWORD, first_name="Demo", last_name="Organiser")
        from allauth.account.models import EmailAddress

        EmailAddress.objects.create(user=user, email=DEMO_ORGANISER_EMAIL, verified=True, primary=True)
    return user


def _agenda_and_workshops(event):
    for starts_at, kind, title, detail in AGENDA:
        AgendaItem.objects.create(event=event, starts_at=starts_at, kind=kind, title=title, detail=detail)
    slots = [Slot.objects.create(event=event, starts_at=dt.time(13, 30), ends_at=dt.time(14, 30)),
             Slot.objects.create(event=event, starts_at=dt.time(14, 45), ends_at=dt.time(15, 45))]
    for n, title in enumerate(WORKSHOPS, start=1):
        workshop = Workshop.objects.create(event=event, title=title)
        for slot in slots:
            Session.objects.create(workshop=workshop, slot=slot, room=f"Studio {n}", capacity=28)


def _attendees(event):
    rng = random.Random(20231107)  # the same synthetic people every time  # noqa: S311
    sectors = {s.name: s for s in Sector.objects.all()}
    themes = list(Theme.objects.all())
    weights = {"NHS": 45, "Local authority": 30, "Voluntary and community sector": 30, "Education": 12,
               "Police": 8, "Housing": 8, "Business": 7}
    sector_names = [name for name, w in weights.items() for _ in range(w)]
    for i in range(140):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 7) % len(LAST_NAMES)]}"
        email = f"attendee{i + 1:03d}@example.org"
        sector_name = sector_names[rng.randrange(len(sector_names))]
        organisation = rng.choice(ORGANISATIONS[sector_name])
        Registration.objects.create(event=event, name=name, email=email, organisation=organisation,
                                    sector=sectors[sector_name])
        if rng.random() < 0.7:  # most wrote a postcard at the end of the day
            words = pledges.PostcardWords(
                name=name, email=email, organisation=organisation, sector=sectors[sector_name],
                learnt=rng.choice(LEARNT), commitment=rng.choice(COMMITMENTS), theme=rng.choice(themes),
                wants_reminder=rng.random() < 0.9, share_on_wall=rng.random() < 0.6,
            )
            pledges.postcard_write(event=event, words=words, source=Postcard.Source.PAPER, send_confirmation=False)


def _workshop_choices(event):
    """Most attendees rank three workshops; a few popular ones are far more wanted."""
    rng = random.Random(7112023)  # noqa: S311
    titles = list(event.workshops.order_by("title"))
    weights = [6, 3, 5, 2, 4, 1]
    for registration in event.registrations.order_by("pk"):
        if rng.random() < 0.08:
            workshops.choices_save(registration, [], no_preference=True)
            continue
        ranked = []
        while len(ranked) < 3:
            pick = rng.choices(titles, weights=weights)[0]
            if pick not in ranked:
                ranked.append(pick)
        workshops.choices_save(registration, ranked)
    programme = workshops.programme_for(event)
    programme.choosing_open = True
    programme.save(update_fields=["choosing_open"])
