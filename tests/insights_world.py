"""A small alliance with three events over two years, built row by row from a seeded random source, and what
each insights figure should be, counted here in plain Python from what was built (never with the product's
queries).

Used by tests/test_insights.py (and its browser test). The world holds the awkward cases on purpose: returning
people typing their address in capitals, people at another alliance's event with the same address, postcards
from people who never registered, a reminder sent twice (a fallback), a refresh of a refresh and a follow-up
on a refreshed pledge (neither counts as a postcard of the event), meetings confirmed by one or by both
people, cancelled and waiting registrations, a workshop nobody ranked.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from pledgecard.core.models import Alliance, Sector
from pledgecard.delivery.models import Message
from pledgecard.events.models import Event, Registration
from pledgecard.insights.models import ThemeKeywords
from pledgecard.networking.models import Group, Meeting, Member, Round
from pledgecard.pledges.models import FollowUp, Postcard, Theme
from pledgecard.workshops.models import Placement, Preference, Session, Slot, Workshop

# The alliance's own theme words in this world (the test's, not the starting lists).
WORDS = {
    "Maternity": ["pregnan", "midwi"],
    "Hypertension": ["blood pressure"],
    "Early cancer diagnosis": ["screening"],
}
TEXTS = [
    ("Talk to every PREGNANT woman about her care.", "Maternity"),  # capitals still match
    ("Link the midwives with the mosque.", "Maternity"),
    ("Blood pressure checks at the open day.", "Hypertension"),
    ("Promote bowel screening in Urdu.", "Early cancer diagnosis"),
    ("Midwife-led screening clinic.", "Maternity"),  # two themes match: the first in theme order wins
    ("Say yes to the next invitation.", None),
    ("Share what I learnt with my team.", None),
]
OUTCOMES = ["done", "under_way", "not_yet", "changed"]


@dataclass
class Card:
    obj: Postcard
    event: Event
    sector_id: int
    theme_id: int | None
    original: bool
    text: str
    delivered: bool = False
    outcome: str | None = None
    refreshed: bool = False


@dataclass
class World:
    alliance: Alliance
    other: Alliance
    events: list[Event]
    regs: list[Registration] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    meetings: list[tuple[Round, Registration, Registration]] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    preferences: list[Preference] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    workshops: list[Workshop] = field(default_factory=list)


def _postcard(event, reg_like, n, text, theme, *, source="online", refreshed_from=None, rng):
    card = Postcard(
        event=event,
        name=reg_like["name"],
        email=reg_like["email"],
        organisation=reg_like["organisation"],
        sector_id=reg_like["sector_id"],
        learnt="Something learnt.",
        commitment=text,
        theme=theme,
        wants_reminder=True,
        reminder_consent_at=timezone.now(),
        share_on_wall=rng.random() < 0.5,
        source=source,
        refreshed_from=refreshed_from,
        dedupe_key=hashlib.sha256(f"{event.pk}-{n}".encode()).hexdigest(),
    )
    card.set_new_link()
    card.save()
    return card


def build(seed: int = 10) -> World:
    rng = random.Random(seed)  # noqa: S311 - made-up people
    sectors = list(Sector.objects.all())
    themes = {t.name: t for t in Theme.objects.all()}
    alliance = Alliance.objects.create(
        name="Insights Alliance", slug="insights-alliance", contact_email="a@example.org"
    )
    other = Alliance.objects.create(name="Elsewhere", slug="elsewhere", contact_email="e@example.org")
    for name, words in WORDS.items():
        ThemeKeywords.objects.create(alliance=alliance, theme=themes[name], keywords=", ".join(words))
    events = [
        Event.objects.create(
            alliance=alliance, slug="ins-spring-2024", title="Spring 2024", date=dt.date(2024, 3, 5)
        ),
        Event.objects.create(
            alliance=alliance, slug="ins-autumn-2024", title="Autumn 2024", date=dt.date(2024, 11, 5)
        ),
        Event.objects.create(
            alliance=alliance, slug="ins-2025", title="Summer 2025", date=dt.date(2025, 6, 10)
        ),
    ]
    elsewhere = Event.objects.create(
        alliance=other, slug="elsewhere-2023", title="Elsewhere", date=dt.date(2023, 1, 1)
    )
    world = World(alliance, other, events)
    people = [
        {
            "name": f"Person {i}",
            "email": f"person{i}@example.org",
            "organisation": f"Org {i % 9}",
            "sector_id": sectors[i % len(sectors)].pk,
        }
        for i in range(40)
    ]
    # At another alliance, earlier: must never make anyone "returning" here, nor count anywhere.
    for p in people[:30]:
        Registration.objects.create(
            event=elsewhere,
            name=p["name"],
            email=p["email"],
            organisation=p["organisation"],
            sector_id=p["sector_id"],
            checked_in_at=timezone.now(),
        )
    n = 0
    for index, event in enumerate(events):
        chosen = rng.sample(people, 18 + 4 * index)
        for p in chosen:
            email = p["email"].upper() if rng.random() < 0.2 else p["email"]
            status = rng.choices(["confirmed", "cancelled", "waiting"], weights=[8, 1, 1])[0]
            # Organisation names written differently from one event to the next still name one organisation.
            organisation = p["organisation"].upper() if rng.random() < 0.3 else p["organisation"]
            reg = Registration.objects.create(
                event=event,
                name=p["name"],
                email=email,
                organisation=organisation,
                sector_id=p["sector_id"],
                status=status,
                checked_in_at=timezone.now() if status == "confirmed" and rng.random() < 0.7 else None,
            )
            world.regs.append(reg)
            if rng.random() < 0.75:
                text, _ = rng.choice(TEXTS)
                theme = None if rng.random() < 0.4 else rng.choice(list(themes.values()))
                n += 1
                obj = _postcard(
                    event,
                    {**p, "email": email},
                    n,
                    text,
                    theme,
                    source=rng.choice(["online", "paper", "import"]),
                    rng=rng,
                )
                world.cards.append(Card(obj, event, p["sector_id"], theme.pk if theme else None, True, text))
        # Someone who never registered writes a paper postcard.
        n += 1
        walk_in = {
            "name": "Walk In",
            "email": f"walkin{index}@example.org",
            "organisation": "Org W",
            "sector_id": sectors[0].pk,
        }
        obj = _postcard(event, walk_in, n, TEXTS[2][0], None, source="paper", rng=rng)
        world.cards.append(Card(obj, event, sectors[0].pk, None, True, TEXTS[2][0]))

    for card in list(world.cards):
        due = timezone.now() - dt.timedelta(days=30)
        Message.objects.create(
            kind="postcard_confirmation",
            subject=card.obj.subject,
            to_address=card.obj.email,
            due_at=due,
            status="sent",
        )  # not a reminder: never counts
        status = rng.choice(["sent", "sent", "sent", "failed", "scheduled", "cancelled"])
        Message.objects.create(
            kind="postcard_reminder", subject=card.obj.subject, to_address=card.obj.email, due_at=due,
            status=status,
        )
        if status == "failed" and rng.random() < 0.7:  # sent again by text message after the email failed
            Message.objects.create(
                kind="postcard_reminder",
                subject=card.obj.subject,
                channel="sms",
                to_address="447700900123",
                due_at=due,
                status="sent",
            )
            status = "sent"
        if status == "sent" and rng.random() < 0.3:  # a duplicate record of the same reminder, sent
            Message.objects.create(
                kind="postcard_reminder",
                subject=card.obj.subject,
                to_address=card.obj.email,
                due_at=due,
                status="sent",
            )
        card.delivered = status == "sent"
        if rng.random() < 0.55:
            card.outcome = rng.choice(OUTCOMES)
            FollowUp.objects.create(postcard=card.obj, outcome=card.outcome, reflection="")
        if rng.random() < 0.25:
            n += 1
            child = _postcard(
                card.event,
                {
                    "name": card.obj.name,
                    "email": card.obj.email,
                    "organisation": card.obj.organisation,
                    "sector_id": card.sector_id,
                },
                n,
                "Keep going.",
                None,
                source="refresh",
                refreshed_from=card.obj,
                rng=rng,
            )
            card.refreshed = True
            refresh = Card(child, card.event, card.sector_id, None, False, "Keep going.")
            world.cards.append(refresh)
            FollowUp.objects.create(
                postcard=child, outcome="done"
            )  # a refreshed pledge's answer: not counted
            if rng.random() < 0.5:
                n += 1
                grandchild = _postcard(
                    card.event,
                    {
                        "name": child.name,
                        "email": child.email,
                        "organisation": child.organisation,
                        "sector_id": card.sector_id,
                    },
                    n,
                    "And again.",
                    None,
                    source="refresh",
                    refreshed_from=child,
                    rng=rng,
                )
                refresh.refreshed = True
                world.cards.append(Card(grandchild, card.event, card.sector_id, None, False, "And again."))

    for event in events:
        present = [r for r in world.regs if r.event_id == event.pk and r.status == "confirmed"]
        for number in (1, 2):
            round_ = Round.objects.create(event=event, number=number, among="checked_in")
            group = Group.objects.create(round=round_, number=1, spot="Table 1", prompt="Hello")
            for i, reg in enumerate(present):
                Member.objects.create(round=round_, group=group, registration=reg, code=f"C{i:03d}")
            for _ in range(len(present)):
                a, b = rng.sample(present, 2)
                if Meeting.objects.filter(round=round_, registration=a, met=b).exists():
                    continue
                Meeting.objects.create(
                    round=round_, registration=a, met=b, cross_sector=a.sector_id != b.sector_id
                )
                world.meetings.append((round_, a, b))
                if (
                    rng.random() < 0.4
                    and not Meeting.objects.filter(round=round_, registration=b, met=a).exists()
                ):
                    Meeting.objects.create(
                        round=round_, registration=b, met=a, cross_sector=a.sector_id != b.sector_id
                    )
                    world.meetings.append((round_, b, a))

        slots = [
            Slot.objects.create(event=event, starts_at=dt.time(13), ends_at=dt.time(14)),
            Slot.objects.create(event=event, starts_at=dt.time(14), ends_at=dt.time(15)),
        ]
        offered = [
            Workshop.objects.create(event=event, title=title) for title in ("Housing", "Trust", "Nobody's")
        ]
        world.workshops += offered
        for w in offered:
            for slot in slots:
                world.sessions.append(
                    Session.objects.create(workshop=w, slot=slot, capacity=rng.randrange(3, 12))
                )
        for reg in present:
            ranked = rng.sample(offered[:2], 2) if rng.random() < 0.8 else []
            for rank, w in enumerate(ranked, start=1):
                world.preferences.append(Preference.objects.create(registration=reg, workshop=w, rank=rank))
            for slot in slots:
                if rng.random() < 0.8:
                    session = rng.choice([s for s in world.sessions if s.slot_id == slot.pk])
                    rank = next(
                        (r for r, w in enumerate(ranked, start=1) if w.pk == session.workshop_id), None
                    )
                    world.placements.append(
                        Placement.objects.create(registration=reg, session=session, rank=rank)
                    )
    return world


# ------------------------------------------------------------------------------------------ what it should be


def in_scope(event: Event, *, alliance, event_only=None, year=None) -> bool:
    if event.alliance_id != alliance.pk:
        return False
    if event_only is not None:
        return event.pk == event_only.pk
    return year is None or event.date.year == year


def expected(world: World, *, event=None, year=None) -> dict:
    """Every figure, counted from the world's own records."""

    def here(e):
        return in_scope(e, alliance=world.alliance, event_only=event, year=year)

    events = {e.pk: e for e in world.events}
    regs = [r for r in world.regs if here(events[r.event_id])]
    originals = [c for c in world.cards if c.original and here(c.event)]
    e = {
        "funnel": {
            "registered": sum(1 for r in regs if r.status == "confirmed"),
            "attended": sum(1 for r in regs if r.checked_in_at is not None),
            "written": len(originals),
            "delivered": sum(1 for c in originals if c.delivered),
            "answered": sum(1 for c in originals if c.outcome),
            "refreshed": sum(1 for c in originals if c.refreshed),
        },
        "by_sector": dict(Counter(c.sector_id for c in originals)),
        "by_theme": dict(Counter(c.theme_id for c in originals)),
    }
    themes = list(Theme.objects.order_by("position", "name"))
    words = {t.pk: WORDS.get(t.name, []) for t in themes}

    def suggestion(card):
        text = (card.text + " Something learnt.").casefold()
        return next((t.pk for t in themes if any(w in text for w in words[t.pk])), None)

    e["suggested"] = dict(Counter(suggestion(c) for c in originals if c.theme_id is None))
    e["follow_by_sector"] = dict(Counter((c.outcome, c.sector_id) for c in originals if c.outcome))
    e["follow_by_theme"] = dict(Counter((c.outcome, c.theme_id) for c in originals if c.outcome))

    # The network: each pair once per round.
    pairs = {}
    for round_, a, b in world.meetings:
        if here(events[round_.event_id]):
            pairs[(round_.pk, frozenset((a.pk, b.pk)))] = (round_, a, b)
    grid = Counter()
    cross_sector = cross_org = 0
    for _, a, b in pairs.values():
        grid[tuple(sorted((a.sector_id, b.sector_id)))] += 1
        cross_sector += a.sector_id != b.sector_id
        cross_org += a.organisation.casefold() != b.organisation.casefold()
    people_met = {
        r.email.casefold() for _, a, b in world.meetings if here(events[a.event_id]) for r in (a, b)
    }
    first_met = {}
    for round_, a, b in world.meetings:
        if a.organisation.casefold() == b.organisation.casefold():
            continue
        key = frozenset((a.organisation.casefold(), b.organisation.casefold()))
        day = events[round_.event_id].date
        first_met[key] = min(first_met.get(key, day), day)
    met_here = {
        frozenset((a.organisation.casefold(), b.organisation.casefold()))
        for round_, a, b in world.meetings
        if here(events[round_.event_id]) and a.organisation.casefold() != b.organisation.casefold()
    }
    starts = event.date if event else (dt.date(year, 1, 1) if year else dt.date.min)
    e["network"] = {
        "meetings": len(pairs),
        "cross_sector": cross_sector,
        "cross_organisation": cross_org,
        "people": len(people_met),
        "organisation_pairs": len(met_here),
        "new_organisation_pairs": sum(1 for k in met_here if first_met[k] >= starts),
        "grid": dict(grid),
    }

    # Growth: people by email ignoring case, returning from an earlier event (or year) of this alliance.
    confirmed = [r for r in world.regs if r.status == "confirmed"]
    cohorts = {}
    for ev in world.events:
        if not here(ev):
            continue
        at = [r for r in confirmed if r.event_id == ev.pk]
        before = {r.email.casefold() for r in confirmed if events[r.event_id].date < ev.date}
        cohorts[ev.pk] = {
            "people": len(at),
            "returning": sum(1 for r in at if r.email.casefold() in before),
            "postcards": sum(1 for c in world.cards if c.original and c.event.pk == ev.pk),
            "refreshed": sum(1 for c in world.cards if not c.original and c.event.pk == ev.pk),
            "meetings": sum(1 for round_, _, _ in pairs.values() if round_.event_id == ev.pk),
        }
    e["cohorts"] = cohorts
    years = {}
    alliance_page = event is None  # an event's page has no years table
    for y in sorted({ev.date.year for ev in world.events if here(ev) and alliance_page}):
        at = {
            r.email.casefold()
            for r in confirmed
            if here(events[r.event_id]) and events[r.event_id].date.year == y
        }
        before = {r.email.casefold() for r in confirmed if events[r.event_id].date.year < y}
        years[y] = {
            "people": len(at),
            "returning": len(at & before),
            "postcards": sum(v["postcards"] for k, v in cohorts.items() if events[k].date.year == y),
            "refreshed": sum(v["refreshed"] for k, v in cohorts.items() if events[k].date.year == y),
            "meetings": sum(v["meetings"] for k, v in cohorts.items() if events[k].date.year == y),
        }
    e["years"] = years

    # Workshops.
    checked_in = {r.pk for r in world.regs if r.checked_in_at}
    session_workshop = {s.pk: s.workshop_id for s in world.sessions}
    workshop_event = {w.pk: w.event_id for w in world.workshops}
    if event is not None:
        rows = {}
        for w in world.workshops:
            if w.event_id != event.pk:
                continue
            placed = [p for p in world.placements if session_workshop[p.session_id] == w.pk]
            rows[w.title] = {
                "places": sum(s.capacity for s in world.sessions if s.workshop_id == w.pk),
                "first_choices": sum(1 for p in world.preferences if p.workshop_id == w.pk and p.rank == 1),
                "placed": len(placed),
                "first_choice_placed": sum(1 for p in placed if p.rank == 1),
                "attended": sum(1 for p in placed if p.registration_id in checked_in),
            }
    else:
        rows = defaultdict(dict)
        for ev in world.events:
            if not here(ev):
                continue
            placed = [p for p in world.placements if workshop_event[session_workshop[p.session_id]] == ev.pk]
            rows[ev.pk] = {
                "places": sum(s.capacity for s in world.sessions if workshop_event[s.workshop_id] == ev.pk),
                "first_choices": sum(
                    1 for p in world.preferences if workshop_event[p.workshop_id] == ev.pk and p.rank == 1
                ),
                "placed": len({p.registration_id for p in placed}),
                "first_choice_placed": len({p.registration_id for p in placed if p.rank == 1}),
                "attended": len({p.registration_id for p in placed if p.registration_id in checked_in}),
            }
    e["workshops"] = dict(rows)
    return e
