"""Attendee import: a 10,000-row Eventbrite attendee report, on SQLite and PostgreSQL.

`python -m bench.imports [--rows 10000] [--repeats 3] [--db postgres,sqlite]`, or `main()` from elsewhere.

For each database a scratch database is made (PostgreSQL: `pledgecard_bench_imports` on 127.0.0.1:5432,
created and dropped here; SQLite: a file in a temporary directory) and migrated, and a child process (the
product's own settings, DEBUG off) times, on the same file, `repeats` times each:

- check: read the CSV and check every row, writing nothing (what the preview page does);
- first import: every row is new (registrations created in one transaction);
- re-import: the same file again, every row matched and unchanged;
- update: the same people with a tenth of them changed (job title) and 3 % newly cancelled.

Medians of the repeats, with their spread. Results go to bench/results/imports.json.
"""

import argparse
import csv
import io
import json
import random
import statistics
import sys
import time
from pathlib import Path

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "pledgecard_bench_imports"

HEADER = [
    "Order #",
    "Order Date",
    "First Name",
    "Last Name",
    "Email",
    "Quantity",
    "Price Tier",
    "Ticket Type",
    "Attendee #",
    "Group",
    "Order Type",
    "Currency",
    "Total Paid",
    "Fees Paid",
    "Eventbrite Fees",
    "Eventbrite Payment Processing",
    "Attendee Status",
    "Job Title",
    "Company",
    "Which sector do you work in?",
    "Dietary requirements",
]
FIRST = [
    "Amina",
    "Ben",
    "Cara",
    "Dev",
    "Ella",
    "Farid",
    "Grace",
    "Hamza",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Nia",
    "Owen",
    "Priya",
    "Rosie",
    "Sam",
    "Tariq",
    "Zoë",
]
LAST = [
    "Hussain",
    "Ng",
    "Jones",
    "Patel",
    "Smith",
    "Khan",
    "O'Brien",
    "Walker",
    "Begum",
    "Wright",
    "Ali",
    "Taylor",
    "Brown",
    "Ahmed",
    "Wilson",
    "Evans",
]
SECTORS = [
    "NHS",
    "Local authority",
    "Voluntary and community sector",
    "Education",
    "Police",
    "Housing",
    "Business",
    "Pharmacy",
    "",
]
COMPANIES = [
    "Bradford Council",
    "Airedale NHS FT",
    "West Yorkshire Police",
    "Bradford College",
    "Incommunities",
    "Community Action Bradford",
    "Born in Bradford",
    "Yorkshire Water",
]


def eventbrite_report(rows: int, *, seed: int = 1, changed: float = 0.0, cancelled: float = 0.0) -> bytes:
    """An Eventbrite attendee report as Excel saves it (UTF-8 with a BOM); `changed`/`cancelled`: shares of
    people with a new job title / a newly cancelled ticket (the same people, from `seed`, every time)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    changes = random.Random(seed + 1)  # noqa: S311
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for i in range(rows):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        status = (
            "Not Attending" if rng.random() < 0.03 else rng.choice(["Attending", "Attending", "Checked In"])
        )
        job = rng.choice(["Nurse", "Public health lead", "Officer", "Teacher", "Director", "Volunteer"])
        if changes.random() < changed:
            job = "Changed " + job
        if status != "Not Attending" and changes.random() < cancelled:
            status = "Not Attending"
        minute = i % (60 * 24 * 28)
        date = f"11/{1 + minute // 1440:02d}/24 {minute % 1440 // 60:02d}:{minute % 60:02d}"
        writer.writerow(
            [
                100_000 + i // 2,
                date,
                first,
                last,
                f"{first}.{last}.{i}@example.org".lower().replace("'", "").replace("ë", "e"),
                1,
                "",
                "General admission",
                500_000 + i,
                "",
                "Free Order",
                "GBP",
                "0.00",
                "0.00",
                "0.00",
                "0.00",
                status,
                job,
                rng.choice(COMPANIES),
                rng.choice(SECTORS),
                rng.choice(["", "", "Vegetarian"]),
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ------------------------------------------------------------------------------------ in the child process


def child(workdir: Path, repeats: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from pledgecard.core.models import Alliance
    from pledgecard.events import imports
    from pledgecard.events.models import Event, Registration

    call_command("migrate", verbosity=0, interactive=False)
    alliance, _ = Alliance.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "contact_email": "b@x.org"}
    )
    event, _ = Event.objects.get_or_create(
        slug="bench-imports",
        defaults={
            "alliance": alliance,
            "title": "Bench",
            "date": "2030-03-05",
            "reminder_date": "2030-09-05",
        },
    )
    first = (workdir / "report.csv").read_bytes()
    update = (workdir / "report-update.csv").read_bytes()
    phases = {"check": [], "first import": [], "re-import": [], "update": []}
    counts = {}

    def timed(name, data, **kwargs):
        started = time.perf_counter()
        _, result = imports.import_file(event, data, format="eventbrite", **kwargs)
        phases[name].append(time.perf_counter() - started)
        assert result.ok, result.problems()[:5]
        counts[name] = dict(result.counts)

    for _ in range(repeats):
        Registration.objects.filter(event=event).delete()
        timed("check", first, dry_run=True)
        timed("first import", first)
        timed("re-import", first)
        timed("update", update)
    return {
        "vendor": connection.vendor,
        "seconds": phases,
        "counts": counts,
        "registrations": Registration.objects.filter(event=event).count(),
    }


# ----------------------------------------------------------------------------------------- in the parent


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql)


def run_imports(
    databases=("postgres", "sqlite"), rows: int = 10_000, repeats: int = 3, timeout: float = 900
) -> dict:
    """Time the import on each database (a scratch one each, dropped after); the results, for JSON."""
    from bench.common import PYTHON, log, product_env, run, workdir

    work = workdir("imports")
    (work / "report.csv").write_bytes(eventbrite_report(rows))
    (work / "report-update.csv").write_bytes(eventbrite_report(rows, changed=0.1, cancelled=0.03))
    size = (work / "report.csv").stat().st_size
    results = {"rows": rows, "file_bytes": size, "repeats": repeats, "databases": {}}
    for kind in databases:
        if kind == "postgres":
            url = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            _pg_admin(f"CREATE DATABASE {PG_DB}")
        else:
            url = f"sqlite:///{work / 'bench-imports.sqlite3'}"
        try:
            log(f"{kind}: importing a {rows:,}-row Eventbrite report ({size / 1e6:.1f} MB), {repeats} times")
            out = work / f"{kind}.json"
            run(
                [
                    PYTHON,
                    "-m",
                    "bench.imports",
                    "--child",
                    str(work),
                    "--repeats",
                    str(repeats),
                    "--out",
                    str(out),
                ],
                env=product_env(work, DATABASE_URL=url),
                timeout=timeout,
                log=work / f"{kind}.log",
            )
            results["databases"][kind] = json.loads(out.read_text())
        finally:
            if kind == "postgres":
                _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    return results


def report_imports(results: dict) -> str:
    from bench.common import fmt, table

    rows = []
    for kind, data in results["databases"].items():
        for phase, seconds in data["seconds"].items():
            median = statistics.median(seconds)
            rows.append(
                [
                    kind,
                    phase,
                    fmt(median, 2),
                    f"{fmt(min(seconds), 2)}–{fmt(max(seconds), 2)}",
                    fmt(round(results["rows"] / median)),
                    ", ".join(f"{k} {v:,}" for k, v in sorted(data["counts"][phase].items())),
                ]
            )
    head = (
        f"Attendee import: {results['rows']:,}-row Eventbrite report "
        f"({results['file_bytes'] / 1e6:.1f} MB), median of {results['repeats']}"
    )
    return head + "\n" + table(["database", "phase", "seconds", "spread", "rows/s", "rows"], rows)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--db", default="postgres,sqlite", help="databases to run on, in order")
    p.add_argument("--timeout", type=float, default=900, help="seconds one database's run may take")
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    args.databases = [d.strip() for d in args.db.split(",") if d.strip()]
    if bad := set(args.databases) - {"postgres", "sqlite"}:
        p.error(f"unknown database(s): {', '.join(sorted(bad))}")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        args.out.write_text(json.dumps(child(args.child, args.repeats)))
        return 0
    import atexit

    from bench.common import remove_workdirs, stop_all, write_results
    from bench.databases import postgres_available

    atexit.register(stop_all)
    if "postgres" in args.databases and (why := postgres_available()):
        print(f"PostgreSQL is not available ({why}); use --db sqlite", file=sys.stderr)
        return 2
    results = run_imports(args.databases, args.rows, args.repeats, args.timeout)
    path = write_results("imports", {"imports": results})
    print(report_imports(results))
    print(f"Results: {path}")
    remove_workdirs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
