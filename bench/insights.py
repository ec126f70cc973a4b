"""bench insights: the alliance dashboard with 5 years of events, 20,000 registrations and postcards, 10,000
follow-ups and 30,000 meetings, beside a bare view in the same run.

In-process (Django's test client, no network), on a fresh database holding the demo plus a benchmark alliance
seeded in bulk: the figure is the server's own time for each insights page, against the cheapest page through
the same middleware. Also prints the number of queries of each page and its slowest queries. Run: `python -m
bench.insights [--db postgres|sqlite] [--registrations N] [--repeats N]`.
"""

import argparse
import datetime as dt
import hashlib
import os
import random
import statistics
import sys
import time
from pathlib import Path

from bench.common import log, machine_info, table, workdir, write_results
from bench.databases import database, postgres_available

YEARS = [2021, 2022, 2023, 2024, 2025]
EVENTS_PER_YEAR = 2


def _timed(function, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def seed(registrations: int, follow_ups: int, meetings: int, people: int) -> tuple:
    """The benchmark alliance, in bulk. Returns (alliance, events)."""
    from django.db import connection
    from django.utils import timezone

    from pledgecard.core.models import Alliance, Sector
    from pledgecard.delivery.models import Message
    from pledgecard.events.models import Event, Registration
    from pledgecard.networking.models import Group, Meeting, Member, Round
    from pledgecard.pledges.models import FollowUp, Postcard, Theme
    from pledgecard.workshops.models import Placement, Preference, Session, Slot, Workshop

    rng = random.Random(5)  # noqa: S311
    sectors, themes = list(Sector.objects.all()), list(Theme.objects.all())
    alliance = Alliance.objects.create(
        name="Benchmark Alliance", slug="bench-insights", contact_email="b@example.org"
    )
    events = []
    for year in YEARS:
        for half in range(EVENTS_PER_YEAR):
            events.append(
                Event.objects.create(
                    alliance=alliance,
                    slug=f"bench-insights-{year}-{half}",
                    title=f"Benchmark event {year} {half + 1}",
                    date=dt.date(year, 4 + 6 * half, 10),
                )
            )
    per_event = registrations // len(events)
    orgs = [f"Organisation {i}" for i in range(120)]
    now = timezone.now()
    log(f"seeding {per_event * len(events):,} registrations and postcards over {len(events)} events")
    all_regs, all_cards = [], []
    for event in events:
        batch = []
        for person in rng.sample(range(people), per_event):
            reg = Registration(
                event=event,
                name=f"Person {person}",
                email=f"person{person}@example.org",
                organisation=orgs[person % len(orgs)],
                sector=sectors[person % len(sectors)],
                checked_in_at=now if rng.random() < 0.85 else None,
            )
            reg.set_new_link()
            batch.append(reg)
        all_regs += Registration.objects.bulk_create(batch, batch_size=2000)
        cards = []
        for n, reg in enumerate(batch):
            card = Postcard(
                event=event,
                name=reg.name,
                email=reg.email,
                organisation=reg.organisation,
                sector_id=reg.sector_id,
                learnt="What I learnt about inequalities.",
                commitment=rng.choice(
                    [
                        "Book a blood pressure check day.",
                        "Talk to the midwives.",
                        "Share the call to action.",
                        "Promote bowel screening.",
                    ]
                ),
                theme=rng.choice(themes) if rng.random() < 0.7 else None,
                wants_reminder=True,
                share_on_wall=rng.random() < 0.5,
                dedupe_key=hashlib.sha256(f"{event.pk}-{n}".encode()).hexdigest(),
            )
            card.set_new_link()
            cards.append(card)
        all_cards += Postcard.objects.bulk_create(cards, batch_size=2000)
    log("reminders, follow-ups and refreshes")
    Message.objects.bulk_create(
        (
            Message(
                kind="postcard_reminder",
                subject=c.subject,
                alliance_id=c.event.alliance_id,
                to_address=c.email,
                due_at=now,
                status="sent" if rng.random() < 0.85 else "failed",
            )
            for c in all_cards
        ),
        batch_size=5000,
    )
    answered = rng.sample(all_cards, follow_ups)
    FollowUp.objects.bulk_create(
        (
            FollowUp(postcard=c, outcome=rng.choice(["done", "under_way", "not_yet", "changed"]))
            for c in answered
        ),
        batch_size=5000,
    )
    refreshes = []
    for n, card in enumerate(rng.sample(answered, follow_ups // 5)):
        child = Postcard(
            event_id=card.event_id,
            name=card.name,
            email=card.email,
            organisation=card.organisation,
            sector_id=card.sector_id,
            learnt="Again.",
            commitment="Keep going.",
            wants_reminder=True,
            source="refresh",
            refreshed_from=card,
            dedupe_key=f"refresh-{n}",
        )
        child.set_new_link()
        refreshes.append(child)
    Postcard.objects.bulk_create(refreshes, batch_size=2000)
    log(f"{meetings:,} meetings, workshops, choices and placements")
    by_event = {}
    for reg in all_regs:
        by_event.setdefault(reg.event_id, []).append(reg)
    per_event_meetings = meetings // len(events)
    meeting_rows, member_rows, pref_rows, placement_rows = [], [], [], []
    for event in events:
        regs = by_event[event.pk]
        round_ = Round.objects.create(event=event, number=1, among="checked_in")
        group = Group.objects.create(round=round_, number=1, spot="Hall", prompt="Hello")
        member_rows += [
            Member(round=round_, group=group, registration=r, code=f"{i:06d}") for i, r in enumerate(regs)
        ]
        seen = set()
        while len(seen) < per_event_meetings:
            a, b = rng.sample(regs, 2)
            if (a.pk, b.pk) not in seen:
                seen.add((a.pk, b.pk))
                meeting_rows.append(
                    Meeting(round=round_, registration=a, met=b, cross_sector=a.sector_id != b.sector_id)
                )
        slots = [
            Slot.objects.create(event=event, starts_at=dt.time(13), ends_at=dt.time(14)),
            Slot.objects.create(event=event, starts_at=dt.time(14), ends_at=dt.time(15)),
        ]
        offered = [Workshop.objects.create(event=event, title=f"Workshop {w}") for w in range(6)]
        sessions = [
            Session.objects.create(workshop=w, slot=s, capacity=len(regs) // 5)
            for w in offered
            for s in slots
        ]
        for reg in regs:
            ranked = rng.sample(offered, 3)
            pref_rows += [
                Preference(registration=reg, workshop=w, rank=r) for r, w in enumerate(ranked, start=1)
            ]
            for slot, workshop in zip(slots, ranked[:2], strict=True):
                session = next(s for s in sessions if s.slot_id == slot.pk and s.workshop_id == workshop.pk)
                placement_rows.append(
                    Placement(registration=reg, session=session, rank=ranked.index(workshop) + 1)
                )
    Member.objects.bulk_create(member_rows, batch_size=5000)
    Meeting.objects.bulk_create(meeting_rows, batch_size=5000)
    Preference.objects.bulk_create(pref_rows, batch_size=5000)
    Placement.objects.bulk_create(placement_rows, batch_size=5000)
    with connection.cursor() as cursor:  # as a database that has been running would have its statistics
        cursor.execute("ANALYZE")
    return alliance, events


def measure(args) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from pledgecard.core.models import Membership, Role
    from pledgecard.pledges.models import Postcard

    setup_test_environment()
    alliance, events = seed(args.registrations, args.follow_ups, args.meetings, args.people)
    log(
        f"seeded: {Postcard.objects.filter(event__alliance=alliance).count():,} postcards, bench alliance"
    )
    users = {}
    for role in (Role.ORGANISER, Role.LEADER):
        user = get_user_model().objects.create_user(
            username=f"bench-{role}", email=f"{role}@bench.example.org", password="x" * 16
        )
        Membership.objects.create(user=user, alliance=alliance, role=role)
        client = Client()
        client.force_login(user)
        users[role] = client
    organiser, leader = users[Role.ORGANISER], users[Role.LEADER]
    pages = {
        "alliance dashboard (organiser)": (organiser, f"/organise/alliances/{alliance.slug}/insights/"),
        "alliance dashboard (leader)": (leader, f"/organise/alliances/{alliance.slug}/insights/"),
        "alliance dashboard, one year": (
            organiser,
            f"/organise/alliances/{alliance.slug}/insights/?year=2024",
        ),
        "event dashboard": (organiser, f"/organise/events/{events[-1].slug}/insights/"),
        "alliance CSV download": (organiser, f"/organise/alliances/{alliance.slug}/insights.csv"),
    }
    queries = {}
    for name, (client, url) in pages.items():
        assert client.get(url).status_code == 200, url  # warm up
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries[name] = {
            "count": len(captured),
            "slowest": sorted(((float(q["time"]) * 1000, q["sql"][:160]) for q in captured), reverse=True)[
                :3
            ],
        }
    rows = {"bare view": _timed(lambda: organiser.get("/bench/bare/"), args.repeats)}
    for name, (client, url) in pages.items():
        rows[name] = _timed(lambda c=client, u=url: c.get(u), args.repeats)
    bare = statistics.median(rows["bare view"])
    return {
        name: {
            "median_ms": statistics.median(s) * 1000,
            "p90_ms": sorted(s)[int(0.9 * len(s))] * 1000,
            "ratio_to_bare": statistics.median(s) / bare,
            "queries": queries.get(name, {}).get("count"),
            "slowest_queries_ms": queries.get(name, {}).get("slowest"),
        }
        for name, s in rows.items()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--registrations", type=int, default=20_000, help="and as many postcards")
    parser.add_argument("--follow-ups", type=int, default=10_000)
    parser.add_argument("--meetings", type=int, default=30_000)
    parser.add_argument("--people", type=int, default=8_000, help="distinct people (so many come back)")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args(argv)
    if args.db == "postgres" and (why := postgres_available()):
        sys.exit(f"PostgreSQL is not available: {why}")
    work = workdir("insights")
    with database(args.db, work) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
        os.environ["PLEDGECARD_VAR_DIR"] = str(Path(work))
        results = measure(args)
    data = {
        "machine": machine_info(),
        "database": args.db,
        "registrations": args.registrations,
        "follow_ups": args.follow_ups,
        "meetings": args.meetings,
        "people": args.people,
        "results": results,
    }
    write_results(f"insights-{args.db}", data)
    print(
        f"Insights with {args.registrations:,} registrations and postcards, {args.follow_ups:,} follow-ups "
        f"and {args.meetings:,} meetings over {len(YEARS)} years on {args.db} "
        f"(in-process, median of {args.repeats}):"
    )
    print(
        table(
            ["request", "median ms", "p90 ms", "× bare", "queries"],
            [
                [
                    k,
                    f"{v['median_ms']:.1f}",
                    f"{v['p90_ms']:.1f}",
                    f"{v['ratio_to_bare']:.1f}",
                    v["queries"] or "",
                ]
                for k, v in results.items()
            ],
        )
    )
    for name, v in results.items():
        for ms, sql in v.get("slowest_queries_ms") or []:
            print(f"  {name}: {ms:.1f} ms  {sql}")
    return data


if __name__ == "__main__":
    main()
