"""bench printing: badge and personal A6 postcard PDFs (tagged, PDF/UA-1) for 140 and 2,000 attendees.

Each case runs in its own Python process (so its peak memory is its own): one warm-up sheet first (fonts,
templates), then `--repeats` timed runs of the whole job a view does after its two queries: building the cards
(segno QR codes included), rendering the HTML, and WeasyPrint writing the PDF. No database: the people are
made up, with realistic names, organisations, roles, sectors, two workshops for most, and real-length private
links. Reported: median wall and CPU seconds (with the spread), milliseconds of CPU per card, pages, size, and
peak memory. Run: `python -m bench.printing [--quick] [--repeats N] [--sizes 140,2000]`.
"""

import argparse
import datetime as dt
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
KINDS = ("badges", "postcards")

FIRST = ["Amina", "Ben", "Chloe", "Dev", "Ella", "Farah", "Gareth", "Hannah", "Imran", "Julia", "Kwame",
         "Lucy", "Mohammed", "Niamh", "Oliver", "Priya", "Rhys", "Siobhán", "Tomasz", "Zainab", "Bartholomew"]
LAST = ["Hussain", "Okafor", "Evans", "Sharma", "Brown", "Khan", "Jones", "Smith", "Nowak", "Patel", "Mensah",
        "Taylor", "Ní Bhriain", "Featherstonehaugh-Wright", "Williams", "Ali", "O'Neill", "Begum", "Wood"]
ORGS = ["Bradford Council", "Bradford Teaching Hospitals NHS Foundation Trust", "Carers' Resource",
        "West Yorkshire Police", "Bradford College", "Incommunities", "Yorkshire Water",
        "Bradford District and Craven Health and Care Partnership", "Airedale NHS Foundation Trust",
        "Independent"]
ROLES = ["", "Public health lead", "Ward manager", "Inspector", "Lecturer", "Tenancy officer",
         "Consultant in emergency medicine and clinical lead for urgent care", "Community champion"]
SECTORS = ["NHS", "Local authority", "Voluntary and community sector", "Education", "Police", "Housing",
           "Business", "Other"]


def _setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
    import django

    django.setup()


def _event():
    from pledgecard.events.models import Event

    return Event(slug="reducing-inequalities-2030", title="Reducing health inequalities together",
                 date=dt.date(2030, 3, 5))


def _people(n: int):
    """(name, organisation, role, sector, token) for n made-up attendees, always the same."""
    from pledgecard.core import tokens

    return [(f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}", ORGS[(i * 3) % len(ORGS)],
             ROLES[(i * 5) % len(ROLES)], SECTORS[(i * 11) % len(SECTORS)],
             tokens.token_for("registration", uuid.UUID(int=i + 1))) for i in range(n)]


def _job(kind: str, n: int):
    """The work a view does after its queries, as a function returning (html seconds, pdf bytes)."""
    from django.conf import settings

    from pledgecard.events import printing

    event, people = _event(), _people(n)
    workshops = [
        printing.WorkshopLine(dt.time(11), dt.time(12), "Housing and health: what the data says", "Room 2"),
        printing.WorkshopLine(dt.time(13, 30), dt.time(14, 30), "Working with communities", "Main hall"),
    ]

    def run():
        started = time.perf_counter()
        if kind == "badges":
            cards = [printing.Badge(name, org, role, printing.sector_band(sector),
                                    f"{settings.SITE_URL}/r/{token}/", workshops if i % 3 else workshops[:1])
                     for i, (name, org, role, sector, token) in enumerate(people)]
            html = printing.badges_html(event, cards)
        else:
            cards = [printing.PostcardPerson(name, org, sector) for name, org, _, sector, _ in people]
            html = printing.postcards_html(event, cards)
        html_s = time.perf_counter() - started
        return html_s, printing.html_to_pdf(html)

    return run


def child(kind: str, n: int, repeats: int) -> dict:
    """One case, in this process: warm up, then time `repeats` runs."""
    _setup()
    from pypdf import PdfReader

    _job(kind, 4)()  # warm-up: fonts, templates, WeasyPrint's caches
    runs = []
    for _ in range(repeats):
        job = _job(kind, n)
        wall, cpu = time.perf_counter(), time.process_time()
        html_s, pdf = job()
        runs.append({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                     "html_s": html_s})
    import io

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {"kind": kind, "people": n, "runs": runs, "pages": pages, "bytes": len(pdf),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def summarise(case: dict) -> dict:
    def med(key):
        return round(statistics.median(r[key] for r in case["runs"]), 2)

    walls = [r["wall_s"] for r in case["runs"]]
    return {
        "kind": case["kind"], "people": case["people"], "repeats": len(case["runs"]),
        "wall_s": med("wall_s"), "wall_spread_s": [round(min(walls), 2), round(max(walls), 2)],
        "cpu_s": med("cpu_s"), "html_and_qr_s": med("html_s"),
        "cpu_ms_per_card": round(med("cpu_s") / case["people"] * 1000, 1),
        "pages": case["pages"], "mb": round(case["bytes"] / 1e6, 2), "peak_rss_mib": case["peak_rss_mib"],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.printing", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per case")
    parser.add_argument("--repeats", type=int, help="timed runs per case (default 3, quick 1)")
    parser.add_argument("--sizes", default="140,2000", help="attendee counts, comma-separated")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PEOPLE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), repeats)))
        return None
    load = [round(x, 2) for x in os.getloadavg()]
    rows = []
    for kind in args.kinds.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            print(f"… {kind} for {n:,} people, {repeats} run(s)", file=sys.stderr, flush=True)
            out = subprocess.run(  # noqa: S603 - this module, fixed arguments
                [sys.executable, "-m", "bench.printing", "--child", kind, str(n), "--repeats", str(repeats)],
                capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parent.parent)
            rows.append(summarise(json.loads(out.stdout.strip().splitlines()[-1])))
    data = {"machine": platform.platform(), "cores": os.cpu_count(), "python": platform.python_version(),
            "load_average_at_start": load, "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "printing.json").write_text(json.dumps(data, indent=2))
    print(f"{'what':<10} {'people':>7} {'pages':>6} {'wall s':>8} {'(spread)':>14} {'CPU s':>7} "
          f"{'HTML+QR s':>10} {'CPU ms/card':>12} {'MB':>6} {'peak MiB':>9}")
    for r in rows:
        spread = f"{r['wall_spread_s'][0]}–{r['wall_spread_s'][1]}"
        print(f"{r['kind']:<10} {r['people']:>7,} {r['pages']:>6} {r['wall_s']:>8.2f} {spread:>14} "
              f"{r['cpu_s']:>7.2f} {r['html_and_qr_s']:>10.2f} {r['cpu_ms_per_card']:>12.1f} {r['mb']:>6.2f} "
              f"{r['peak_rss_mib']:>9.1f}")
    print(f"load average {load} at start, {data['load_average_at_end']} at end, on {os.cpu_count()} cores")
    return rows


if __name__ == "__main__":
    main()
