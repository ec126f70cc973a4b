"""bench checkin: check-in search with 20,000 registrations, beside a bare view in the same run.

In-process (Django's test client, no network): the figure is the server's own time for the check-in page with a
search, against the cheapest page through the same middleware. Run: `python -m bench.checkin [--people N]`.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench.common import log, machine_info, table, workdir, write_results
from bench.databases import database, postgres_available

QUERIES = ["amina", "bradford", "hussain khan", "trust", "zzz-nobody", "po"]


def _timed(function, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def measure(people: int, repeats: int) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.test.utils import setup_test_environment

    from pledgecard.core.models import Membership, Role, Sector
    from pledgecard.events.models import Event, Registration

    setup_test_environment()
    event = Event.objects.get(slug="reducing-inequalities-2023")
    sectors = list(Sector.objects.all())
    first = ["Amina", "Ben", "Chloe", "Daniel", "Farah", "Imran", "Laura", "Nadia", "Priya", "Tom"]
    last = ["Hussain", "Khan", "Patel", "Brown", "Shah", "Taylor", "Iqbal", "Jones", "Clarke", "Ahmed"]
    orgs = ["Bradford Teaching Hospitals", "Bradford Council", "West Yorkshire Police", "Incommunities",
            "Airedale Trust", "University of Bradford", "Millin Centre", "Craven Council"]
    existing = event.registrations.count()
    log(f"adding {people - existing:,} registrations")
    batch = []
    for n in range(existing, people):
        registration = Registration(event=event, name=f"{first[n % 10]} {last[(n // 10) % 10]} {n}",
                                    email=f"bench{n}@example.org", organisation=orgs[n % len(orgs)],
                                    sector=sectors[n % len(sectors)])
        registration.set_new_link()
        batch.append(registration)
    Registration.objects.bulk_create(batch, batch_size=2000)
    user = get_user_model().objects.create_user(username="bench-facilitator", email="f@example.org", password="x" * 16)
    Membership.objects.create(user=user, alliance=event.alliance, role=Role.FACILITATOR)
    client = Client()
    client.force_login(user)
    url = f"/organise/events/{event.slug}/check-in/"
    client.get(url)  # warm up
    rows = {}
    bare = _timed(lambda: client.get("/bench/bare/"), repeats)
    rows["bare view"] = bare
    rows["check-in page, no search"] = _timed(lambda: client.get(url), repeats)
    for query in QUERIES:
        rows[f"search “{query}”"] = _timed(lambda q=query: client.get(url, {"q": q}), repeats)
    return {name: {"median_ms": statistics.median(s) * 1000, "p90_ms": sorted(s)[int(0.9 * len(s))] * 1000,
                   "ratio_to_bare": statistics.median(s) / statistics.median(bare)} for name, s in rows.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args(argv)
    if args.db == "postgres" and (why := postgres_available()):
        sys.exit(f"PostgreSQL is not available: {why}")
    work = workdir("checkin")
    with database(args.db, work) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
        os.environ["PLEDGECARD_VAR_DIR"] = str(Path(work))
        results = measure(args.people, args.repeats)
    data = {"machine": machine_info(), "people": args.people, "database": args.db, "results": results}
    write_results("checkin", data)
    print(f"Check-in with {args.people:,} registrations on {args.db} (in-process, median of {args.repeats}):")
    print(table(["request", "median ms", "p90 ms", "× bare"],
                [[k, f"{v['median_ms']:.1f}", f"{v['p90_ms']:.1f}", f"{v['ratio_to_bare']:.1f}"]
                 for k, v in results.items()]))
    return data


if __name__ == "__main__":
    main()
