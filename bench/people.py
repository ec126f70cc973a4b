"""bench people: the retention job the worker runs every minute, and one person's export and erasure, beside a
bare view in the same run.

In-process on a fresh database holding the demo plus N postcards (default 20,000) written 13 months ago whose
reminders went 7 months ago: every one is a retention candidate that is not yet due, the job's worst case when
nothing is to be done (it looks at all of them each minute). Then 1,000 of them are made due and one run
anonymises them. Run: `python -m bench.people [--postcards N] [--db postgres|sqlite]`.
"""

import argparse
import datetime as dt
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

from bench.common import log, machine_info, table, workdir, write_results
from bench.databases import database, postgres_available


def _timed(function, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def _row(samples, bare):
    return {
        "median_ms": statistics.median(samples) * 1000,
        "ratio_to_bare": statistics.median(samples) / statistics.median(bare),
        "repeats": len(samples),
    }


def measure(postcards: int, repeats: int) -> dict:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    from pledgecard.core import people
    from pledgecard.core.models import Sector
    from pledgecard.delivery.models import Message
    from pledgecard.events.models import Event
    from pledgecard.pledges.models import Postcard
    from pledgecard.pledges.retention import postcards_expire

    setup_test_environment()
    event = Event.objects.get(slug="reducing-inequalities-2023")
    sectors = list(Sector.objects.all())
    now = timezone.now()
    written, sent = now - dt.timedelta(days=396), now - dt.timedelta(days=213)
    log(f"adding {postcards:,} postcards with sent reminders")
    batch = []
    for n in range(postcards):
        card = Postcard(
            event=event,
            name=f"Bench Writer {n}",
            email=f"bench{n}@example.org",
            organisation="Org",
            sector=sectors[n % len(sectors)],
            learnt="Learnt",
            commitment=f"Commitment {n}",
            wants_reminder=True,
            dedupe_key=hashlib.sha256(f"bench{n}".encode()).hexdigest(),
        )
        card.set_new_link()
        batch.append(card)
    Postcard.objects.bulk_create(batch, batch_size=2000)
    ids = list(Postcard.objects.filter(email__startswith="bench").values_list("pk", flat=True))
    Postcard.objects.filter(pk__in=ids).update(created_at=written)
    Message.objects.bulk_create(
        [
            Message(
                kind="postcard_reminder",
                subject=f"pledges.postcard:{pk}",
                to_address=f"bench{pk}@example.org",
                due_at=sent,
                sent_at=sent,
                status="sent",
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    client = Client()
    client.get("/bench/bare/")
    bare = _timed(lambda: client.get("/bench/bare/"), repeats * 5)
    rows = {"bare view (baseline)": _row(bare, bare)}
    idle = _timed(postcards_expire, repeats)
    assert postcards_expire() == 0
    rows[f"retention job, {postcards:,} candidates, none due"] = _row(idle, bare)
    person = Postcard.objects.filter(event=event).exclude(email__startswith="bench").first().email
    rows["find one person (every holder)"] = _row(_timed(lambda: people.people_find(person), repeats), bare)
    rows["export one person (JSON, audited)"] = _row(
        _timed(lambda: people.people_export(person), repeats), bare
    )
    rows["erase one person"] = _row(_timed(lambda: people.people_erase(person), 1), bare)
    due = ids[:1000]
    subjects = [f"pledges.postcard:{pk}" for pk in due]
    Message.objects.filter(subject__in=subjects).update(sent_at=written, due_at=written)
    started = time.perf_counter()
    done = postcards_expire()
    seconds = time.perf_counter() - started
    assert done == len(due), done
    rows[f"retention job anonymising {done:,}"] = _row([seconds], bare)
    rows[f"retention job anonymising {done:,}"]["per_second"] = done / seconds
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postcards", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args(argv)
    if args.db == "postgres" and (why := postgres_available()):
        sys.exit(f"PostgreSQL is not available: {why}")
    work = workdir("people")
    with database(args.db, work) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
        os.environ["PLEDGECARD_VAR_DIR"] = str(Path(work))
        results = measure(args.postcards, args.repeats)
    data = {"machine": machine_info(), "postcards": args.postcards, "database": args.db, "results": results}
    write_results(f"people-{args.db}", data)
    print(f"People's data and retention, {args.postcards:,} postcards on {args.db} (in-process, medians):")
    print(
        table(
            ["what", "median ms", "× bare"],
            [[k, f"{v['median_ms']:.1f}", f"{v['ratio_to_bare']:.0f}"] for k, v in results.items()],
        )
    )
    return data


if __name__ == "__main__":
    main()
