"""bench printing: badge and personal A6 postcard PDFs (tagged, PDF/UA-1) for 140 and 2,000 attendees,
before and after issue 12, in the same run.

- *before*: the code of `--before` (default: main before issue 12), extracted with `git archive` and run
  as it ran inside one web request: every card, its HTML and one WeasyPrint document for the whole list.
- *after*: this tree's print job without its database (events/print_jobs.print_to_file): the list made a
  part at a time, each part written to a file, memory freed between parts, the parts joined with pikepdf.

Each case runs in its own Python process (so its peak memory is its own): one warm-up sheet first (fonts,
templates), then `--repeats` timed runs. The two sides alternate (before, after, after, before, ...), and the
ratio before ÷ after is taken within each repeat, then its median: on a shared machine the ratio moves much
less than the times. No database: the people are made up, with realistic names, organisations, roles,
sectors, two workshops for most, and real-length private links. Reported: median wall and CPU seconds, CPU
milliseconds per card, pages, size, and peak memory: the largest max RSS of the process doing the work and
of its children (the after side joins the parts in a child process), taken before the PDF is read back.
Run: `python -m bench.printing [--quick] [--repeats N] [--sizes 140,2000] [--before REV]`.
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
import tempfile
import time
import uuid
from pathlib import Path

RESULTS = Path(__file__).parent / "results"
ROOT = Path(__file__).resolve().parent.parent
KINDS = ("badges", "postcards")
SIDES = ("before", "after")
# main just before issue 12's printing work: the in-request PDFs this is compared with.
BEFORE_REV = "7ec18bd"

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


def _job(kind: str, n: int, side: str = "before"):
    """The work after the queries, as a function returning (html seconds, pdf bytes): `before`, what the
    view did in the request; `after`, what the print job does (parts in files, then joined)."""
    from django.conf import settings

    from pledgecard.events import printing

    event, people = _event(), _people(n)
    workshops = [
        printing.WorkshopLine(dt.time(11), dt.time(12), "Housing and health: what the data says", "Room 2"),
        printing.WorkshopLine(dt.time(13, 30), dt.time(14, 30), "Working with communities", "Main hall"),
    ]

    def cards():
        if kind == "badges":
            return [printing.Badge(name, org, role, printing.sector_band(sector),
                                   f"{settings.SITE_URL}/r/{token}/", workshops if i % 3 else workshops[:1])
                    for i, (name, org, role, sector, token) in enumerate(people)]
        return [printing.PostcardPerson(name, org, sector) for name, org, _, sector, _ in people]

    def before():
        started = time.perf_counter()
        html = (printing.badges_html if kind == "badges" else printing.postcards_html)(event, cards())
        html_s = time.perf_counter() - started
        return html_s, printing.html_to_pdf(html)

    def after():
        from pledgecard.events import print_jobs

        print_run = (printing.badges_run if kind == "badges" else printing.postcards_run)(event, cards())
        with tempfile.TemporaryDirectory(prefix="bench-printing-") as folder:
            return None, print_jobs.print_to_file(print_run, Path(folder)).read_bytes()

    return after if side == "after" else before


def _cpu_with_children() -> float:
    self, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return self.ru_utime + self.ru_stime + children.ru_utime + children.ru_stime


def child(kind: str, n: int, repeats: int, side: str) -> dict:
    """One case, in this process: warm up, then time `repeats` runs."""
    _setup()
    import io

    from pypdf import PdfReader

    _job(kind, 4, side)()  # warm-up: fonts, templates, WeasyPrint's caches
    runs = []
    for _ in range(repeats):
        job = _job(kind, n, side)
        wall, cpu = time.perf_counter(), _cpu_with_children()
        html_s, pdf = job()
        runs.append({"wall_s": time.perf_counter() - wall, "cpu_s": _cpu_with_children() - cpu,
                     "html_s": html_s})
    # Before reading the PDF back: pypdf's own memory is not the product's.
    peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    reader = PdfReader(io.BytesIO(pdf))
    return {"kind": kind, "people": n, "side": side, "runs": runs, "pages": len(reader.pages),
            "tagged": "/StructTreeRoot" in reader.trailer["/Root"], "bytes": len(pdf),
            "peak_rss_mib": round(peak / 1024, 1)}


def summarise(kind: str, people: int, cases: list[dict]) -> dict:
    """Both sides of one kind and size: medians per side, and the before ÷ after ratios within each repeat."""
    def med(values):
        return round(statistics.median(values), 2)

    row = {"kind": kind, "people": people, "repeats": len(cases) // 2}
    for side in SIDES:
        mine = [c for c in cases if c["side"] == side]
        walls = [c["runs"][0]["wall_s"] for c in mine]
        cpu = med(c["runs"][0]["cpu_s"] for c in mine)
        row[side] = {"wall_s": med(walls), "wall_range_s": [round(min(walls), 2), round(max(walls), 2)],
                     "cpu_s": cpu, "cpu_ms_per_card": round(cpu / people * 1000, 2),
                     "peak_rss_mib": med(c["peak_rss_mib"] for c in mine),
                     "peak_rss_range_mib": [min(c["peak_rss_mib"] for c in mine),
                                            max(c["peak_rss_mib"] for c in mine)],
                     "pages": mine[0]["pages"], "tagged": mine[0]["tagged"], "mb": round(mine[0]["bytes"] / 1e6, 2)}
    by_repeat = {}
    for c in cases:
        by_repeat.setdefault(c["repeat"], {})[c["side"]] = c["runs"][0]
    row["cpu_ratio_before_per_after"] = med(r["before"]["cpu_s"] / r["after"]["cpu_s"] for r in by_repeat.values())
    row["wall_ratio_before_per_after"] = med(r["before"]["wall_s"] / r["after"]["wall_s"]
                                             for r in by_repeat.values())
    return row


def _before_tree(rev: str, into: Path) -> Path:
    """The product's src/ at `rev`, extracted for the before side."""
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True, check=True).stdout  # noqa: S603, S607
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)  # noqa: S603, S607
    return into / "src"


def _run_child(kind: str, n: int, side: str, before_src: Path) -> dict:
    env = dict(os.environ)
    if side == "before":
        env["PYTHONPATH"] = os.pathsep.join([str(before_src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = subprocess.run(  # noqa: S603 - this module, fixed arguments
        [sys.executable, "-m", "bench.printing", "--child", kind, str(n), side, "--repeats", "1"],
        capture_output=True, text=True, check=True, cwd=ROOT, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.printing", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one run per case")
    parser.add_argument("--repeats", type=int, help="timed runs per side and case (default 3, quick 1)")
    parser.add_argument("--sizes", default="140,2000", help="attendee counts, comma-separated")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--before", default=BEFORE_REV, help=f"the revision to compare with ({BEFORE_REV})")
    parser.add_argument("--child", nargs=3, metavar=("KIND", "PEOPLE", "SIDE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 3)
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), repeats, args.child[2])))
        return None
    load = [round(x, 2) for x in os.getloadavg()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-printing-before-") as tmp:
        before_src = _before_tree(args.before, Path(tmp))
        for kind in args.kinds.split(","):
            for n in (int(s) for s in args.sizes.split(",")):
                cases = []
                for repeat in range(repeats):
                    for side in SIDES if repeat % 2 == 0 else reversed(SIDES):
                        print(f"… {kind} for {n:,} people, {side}, repeat {repeat + 1} of {repeats}",
                              file=sys.stderr, flush=True)
                        cases.append({**_run_child(kind, n, side, before_src), "repeat": repeat})
                rows.append(summarise(kind, n, cases))
    data = {"machine": platform.platform(), "cores": os.cpu_count(), "python": platform.python_version(),
            "before": args.before, "load_average_at_start": load,
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()], "rows": rows}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "printing.json").write_text(json.dumps(data, indent=2))
    print(f"{'what':<10} {'people':>7} {'side':<7} {'pages':>6} {'wall s':>8} {'CPU s':>7} {'CPU ms/card':>12} "
          f"{'MB':>6} {'peak MiB':>9}   before ÷ after (CPU, wall)")
    for r in rows:
        for side in SIDES:
            s = r[side]
            ratios = (f"   {r['cpu_ratio_before_per_after']:.2f}×, {r['wall_ratio_before_per_after']:.2f}×"
                      if side == "after" else "")
            print(f"{r['kind']:<10} {r['people']:>7,} {side:<7} {s['pages']:>6} {s['wall_s']:>8.2f} {s['cpu_s']:>7.2f} "
                  f"{s['cpu_ms_per_card']:>12.2f} {s['mb']:>6.2f} {s['peak_rss_mib']:>9.1f}{ratios}")
    print(f"load average {load} at start, {data['load_average_at_end']} at end, on {os.cpu_count()} cores; "
          f"before = {args.before}")
    return rows


if __name__ == "__main__":
    main()
