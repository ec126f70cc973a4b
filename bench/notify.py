"""`python -m bench.notify`: letter PDFs per second, and reminders per second through the GOV.UK Notify stand-in.

1. Letters: the product's own `postcard_letter` renders N letters (A4, tagged PDF/UA-1, QR code) in one
   process without a database; letters a second from wall time, CPU per letter, size and pages.
2. Reminders: a fresh database (PostgreSQL if it answers on 127.0.0.1:5432, else SQLite) with the demo, the
   demo alliance connected to the stand-in (tests/notify_standin.py, in this process, on 127.0.0.1), N
   reminders due now, and W real `pledgecard worker --once` processes started together. Timed from start to
   the last exit (Django's start-up included), then checked: every row sent, one notification per reference,
   never over the stand-in's rate limit. Two runs for text messages: with the product's rate limiter at its
   default (2,700 a minute per key, under Notify's 3,000, so at most 45 a second whatever the workers), and
   with the limiter lifted, to show what the pipeline itself can do. Then letters (PDF per message).

Nothing here talks to the real Notify: NOTIFY_BASE_URL is the stand-in's loopback address.
"""

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
import uuid
from collections import Counter

from bench.common import PYTHON, REPO, RESULTS_DIR, product_env, start, stop, workdir
from bench.databases import database, postgres_available, query

sys.path.insert(0, str(REPO))  # for tests.notify_standin


# --- Child processes (run with the product's environment) ------------------------------------------------------


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
    import django

    django.setup()


def child_letters(count: int) -> dict:
    """Render `count` letters with the product's code (no database: the rows are built in memory)."""
    _django()
    from pledgecard.core.models import Alliance
    from pledgecard.events.models import Event
    from pledgecard.pledges.letters import postcard_letter
    from pledgecard.pledges.models import Postcard

    alliance = Alliance(
        name="West Yorkshire Health and Care Partnership", slug="bench", contact_email="a@example.org"
    )
    event = Event(
        alliance=alliance,
        slug="bench",
        title="Reducing inequalities together",
        date=dt.date(2023, 11, 7),
        time_zone="Europe/London",
    )
    cards = [
        Postcard(
            event=event,
            name=f"Bench Writer {i}",
            email=f"w{i}@example.org",
            organisation="Bradford Council",
            learnt="Life expectancy differs by years between wards. " * 6,
            commitment="Ask one community group to shape our next service change. " * 3,
            address=f"Bench Writer {i}\n{i} Town Hall Square\nBradford\nBD1 1HY",
            link_id=uuid.uuid4(),
        )
        for i in range(count)
    ]
    postcard_letter(cards[0])  # fonts and templates loaded once, as in a running worker
    cpu0, wall0 = time.process_time(), time.perf_counter()
    sizes, pages = [], []
    for card in cards:
        letter = postcard_letter(card)
        sizes.append(len(letter.pdf))
        pages.append(letter.pages)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {
        "letters": count,
        "wall_s": round(wall, 2),
        "letters_per_s": round(count / wall, 1),
        "cpu_ms_per_letter": round(cpu / count * 1000, 1),
        "median_kb": round(statistics.median(sizes) / 1024, 1),
        "max_pages": max(pages),
    }


def child_seed(count: int, channel: str, api_key: str, email_template: str, sms_template: str) -> dict:
    """Connect the demo alliance to the stand-in and write `count` reminders due now on `channel`, in bulk."""
    _django()
    from django.db import connection
    from django.utils import timezone

    from pledgecard.core import tokens
    from pledgecard.core.models import Alliance, Sector
    from pledgecard.delivery.models import Message, NotifySettings
    from pledgecard.events.models import Event
    from pledgecard.pledges.models import Postcard

    alliance = Alliance.objects.get(slug="reducing-inequalities-alliance")
    NotifySettings.objects.update_or_create(
        alliance=alliance,
        defaults=dict(
            api_key=api_key,
            email_template_id=email_template,
            sms_template_id=sms_template,
            offer_sms=True,
            offer_letter=True,
            callback_token="bench-callback-token-0123456789",
        ),
    )
    event, _ = Event.objects.get_or_create(
        slug="bench-notify",
        defaults={
            "alliance": alliance,
            "title": "Reducing inequalities: Notify benchmark",
            "date": dt.date(2023, 11, 7),
        },
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM delivery_message WHERE subject IN "
            "(SELECT 'pledges.postcard:' || id FROM pledges_postcard WHERE event_id = %s)",
            [event.id],
        )
        cursor.execute("DELETE FROM pledges_postcard WHERE event_id = %s", [event.id])
    sector = Sector.objects.first()
    postcards = []
    for i in range(count):
        link_id = uuid.uuid4()
        postcards.append(
            Postcard(
                event=event,
                name=f"Bench Writer {i}",
                email=f"writer{i}@example.org",
                organisation="Bench Trust",
                sector=sector,
                learnt="Life expectancy differs by years between wards.",
                commitment=f"Commitment {i}: ask one community group to shape our next service change.",
                wants_reminder=True,
                reminder_consent_at=timezone.now(),
                channel=channel,
                phone=f"4477009{i:05d}",
                address=f"Bench Writer {i}\n{i} Town Hall Square\nBradford\nBD1 1HY",
                dedupe_key=f"bench-notify-{i}",
                link_id=link_id,
                token_hash=tokens.token_hash(tokens.token_for(Postcard.LINK_PURPOSE, link_id)),
            )
        )
    Postcard.objects.bulk_create(postcards, batch_size=1000)
    due = timezone.now() - dt.timedelta(minutes=1)
    to = {
        "email": lambda p: p.email,
        "sms": lambda p: p.phone,
        "letter": lambda p: p.address.replace("\n", ", "),
    }
    Message.objects.bulk_create(
        [
            Message(
                kind=Message.Kind.POSTCARD_REMINDER,
                subject=p.subject,
                alliance_id=alliance.id,
                to_address=to[channel](p),
                due_at=due,
                channel=channel,
            )
            for p in postcards
        ],
        batch_size=1000,
    )
    return {"seeded": count, "channel": channel}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- The parent ----------------------------------------------------------------------------------------------


def _child(args, env, timeout=900) -> dict:
    import subprocess

    out = subprocess.run(
        [PYTHON, "-m", "bench.notify", "--child", *map(str, args)],
        env=env,
        cwd=REPO,  # noqa: S603
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_reminders(kind, *, count, channel, workers, rate_limit_per_minute, standin_limit) -> dict:
    from tests.notify_standin import NotifyStandIn

    wd = workdir(f"notify-{kind}")
    standin = NotifyStandIn(rate_limit=standin_limit, rate_window=60.0).start()
    try:
        service = standin.add_service()
        key = standin.add_key(service)
        email_template = standin.add_template(service, "email", "((body))", "((subject))")
        sms_template = standin.add_template(service, "sms", "((body))")
        with database(kind, wd) as url:
            env = product_env(
                wd,
                DATABASE_URL=url,
                NOTIFY_BASE_URL=standin.url,
                NOTIFY_RATE_LIMIT_PER_MINUTE=rate_limit_per_minute,
                DELIVERY_BATCH_SIZE=50,
                LOG_LEVEL="WARNING",
            )
            _child(["seed", count, channel, key, email_template, sms_template], env)
            logs = [open(wd / f"worker{i}.log", "wb") for i in range(workers)]  # noqa: SIM115
            children_cpu = _children_cpu()
            own_cpu = time.process_time()  # the stand-in's share (it runs in this process)
            started = time.perf_counter()
            procs = [
                start(
                    [PYTHON, "-m", "pledgecard", "worker", "--once", "--interval", "0.1"],
                    env=env,
                    cwd=REPO,
                    stdout=log,
                    stderr=log,
                )
                for log in logs
            ]
            try:
                for proc in procs:
                    proc.wait(timeout=1800)
            finally:
                for proc in procs:
                    stop(proc)
                for log in logs:
                    log.close()
            wall = time.perf_counter() - started
            workers_cpu = _children_cpu() - children_cpu
            standin_cpu = time.process_time() - own_cpu
            statuses = dict(
                query(
                    url,
                    "SELECT status, COUNT(*) FROM delivery_message m JOIN pledges_postcard p "
                    "ON m.subject = 'pledges.postcard:' || p.id JOIN events_event e ON e.id = p.event_id "
                    "WHERE e.slug = 'bench-notify' GROUP BY status",
                )
            )
        references = Counter(n.reference for n in standin.notifications.values())
        sends = [r for r in standin.requests if r["method"] == "POST" and r["status"] == 201]
        first, last = (min(r["at"] for r in sends), max(r["at"] for r in sends)) if sends else (0, 0)
        return {
            "database": kind,
            "channel": channel,
            "workers": workers,
            "reminders": count,
            "limiter_per_minute": rate_limit_per_minute,
            "wall_s": round(wall, 2),
            "reminders_per_s": round(count / wall, 1),
            "worker_cpu_ms_per_reminder": round(workers_cpu / count * 1000, 1),
            "standin_cpu_ms_per_reminder": round(standin_cpu / count * 1000, 1),
            "sending_phase_per_s": round(len(sends) / (last - first), 1) if last > first else None,
            "statuses": statuses,
            "notifications": len(references),
            "duplicate_references": sum(1 for n in references.values() if n > 1),
            "over_rate_limit": standin.limited(),
            "max_requests_in_60s": standin.max_in_window(60.0),
        }
    finally:
        standin.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.notify", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer letters and reminders")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--db", default=None, help="postgres or sqlite (default: postgres if it answers)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        what, *rest = args.child
        result = child_letters(int(rest[0])) if what == "letters" else child_seed(int(rest[0]), *rest[1:])
        print(json.dumps(result))
        return result
    kind = args.db or ("postgres" if postgres_available() is None else "sqlite")
    letters_n, sms_n, letter_n = (20, 500, 60) if args.quick else (100, 2000, 200)
    env = product_env(workdir("notify-letters"), DATABASE_URL="sqlite:///:memory:")
    print(f"… {letters_n} letter PDFs", file=sys.stderr, flush=True)
    letters = _child(["letters", letters_n], env)
    runs = []
    for channel, n, limit, standin_limit in (
        ("sms", sms_n, 2700, 3000),
        ("sms", sms_n, 10**7, 10**7),
        ("letter", letter_n, 2700, 3000),
    ):
        print(
            f"… {n} {channel} reminders, {args.workers} workers on {kind}, limiter {limit}/min",
            file=sys.stderr,
            flush=True,
        )
        runs.append(
            bench_reminders(
                kind,
                count=n,
                channel=channel,
                workers=args.workers,
                rate_limit_per_minute=limit,
                standin_limit=standin_limit,
            )
        )
    data = {
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "letters": letters,
        "reminders": runs,
    }
    RESULTS_DIR.mkdir(exist_ok=True)
    (RESULTS_DIR / "notify.json").write_text(json.dumps(data, indent=2))
    print(
        f"Letter PDFs: {letters['letters_per_s']}/s ({letters['cpu_ms_per_letter']} ms CPU each, "
        f"{letters['median_kb']} KB, at most {letters['max_pages']} page(s))"
    )
    print(
        f"{'channel':<8} {'db':<9} {'workers':>7} {'limiter/min':>12} {'n':>6} {'wall s':>7} {'per s':>7} "
        f"{'sending/s':>9} {'CPU ms':>7} {'stand-in':>8} {'dups':>5} {'over':>5} {'max/60s':>8} statuses"
    )
    for r in runs:
        print(
            f"{r['channel']:<8} {r['database']:<9} {r['workers']:>7} {r['limiter_per_minute']:>12,} "
            f"{r['reminders']:>6} {r['wall_s']:>7.1f} {r['reminders_per_s']:>7.1f} "
            f"{r['sending_phase_per_s'] or 0:>9.1f} {r['worker_cpu_ms_per_reminder']:>7.1f} "
            f"{r['standin_cpu_ms_per_reminder']:>8.1f} {r['duplicate_references']:>5} {r['over_rate_limit']:>5} "
            f"{r['max_requests_in_60s']:>8} {r['statuses']}"
        )
    print(
        f"{os.cpu_count()} cores; load average at the end {data['load_average_at_end']} (other work shares the "
        f"machine: CPU ms per reminder is the steadier figure)"
    )
    return data


if __name__ == "__main__":
    main()
