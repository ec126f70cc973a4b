"""bench links: following a short link (counted, and not counted), the event page with its resources, and a
story submission, beside a bare view in the same run.

In-process (Django's test client, no network), on a fresh database holding the demo, like bench checkin:
the figures are the server's own time per request. A counted click is one UPDATE of the link's row for the
day; all clicks of a day share that row, so the table also shows clicks from 4 threads at once (on SQLite
they queue for the one writer; on PostgreSQL for the row's lock).
Run: `python -m bench.links [--db sqlite] [--repeats N]`.
"""

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from bench.common import log, machine_info, table, workdir, write_results
from bench.databases import database, postgres_available

BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFE_LINKS = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"
CODE = "InequalitiesCallToAction"
EVENT_PAGE = "/events/reducing-inequalities-2023/"


def _timed(function, repeats):
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return samples


def _parallel_clicks(threads: int, per_thread: int) -> float:
    """Counted clicks per second from `threads` clients at once, each with its own database connection."""
    from django.db import connections
    from django.test import Client

    def work():
        client = Client(HTTP_USER_AGENT=BROWSER)
        try:
            for _ in range(per_thread):
                assert client.get(f"/go/{CODE}").status_code == 302
        finally:
            connections.close_all()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return threads * per_thread / (time.perf_counter() - started)


def measure(repeats: int) -> dict:
    import django

    django.setup()
    from django.test import Client
    from django.test.utils import setup_test_environment

    from pledgecard.core.models import Alliance, RateCounter
    from pledgecard.resources.models import LinkClickDay
    from pledgecard.resources.selectors import resources_for

    setup_test_environment()
    alliance = Alliance.objects.get(slug="reducing-inequalities-alliance")
    browser, scanner = Client(HTTP_USER_AGENT=BROWSER), Client(HTTP_USER_AGENT=SAFE_LINKS)
    before = sum(LinkClickDay.objects.values_list("clicks", flat=True))
    story = {"title": "A benchmark story", "text": "First.\n\nSecond.", "name": "Bench Writer",
             "organisation": "", "email": "bench@example.org", "credit": "named"}

    def submit_story():
        # The burst limit would refuse the fourth from one address: measure the saving, not the refusal.
        RateCounter.objects.filter(scope="story-submit").delete()
        assert Client().post(f"/stories/{alliance.slug}/new/", story).status_code == 302

    browser.get(EVENT_PAGE)  # warm up templates
    rows = {
        "bare view": _timed(lambda: browser.get("/bench/bare/"), repeats),
        "/go/CODE, a person (counted)": _timed(lambda: browser.get(f"/go/{CODE}"), repeats),
        "/go/CODE, Safe Links (not counted)": _timed(lambda: scanner.get(f"/go/{CODE}"), repeats),
        "/go/unknown (the 404 page)": _timed(lambda: browser.get("/go/no-such-code"), repeats),
        "event page with resources": _timed(lambda: browser.get(EVENT_PAGE), repeats),
        "resources_for() alone (its part of the page)": _timed(lambda: resources_for(alliance), repeats),
        "story submission (POST)": _timed(submit_story, repeats),
    }
    bare = statistics.median(rows["bare view"])
    results = {name: {"median_ms": statistics.median(s) * 1000, "p90_ms": sorted(s)[int(0.9 * len(s))] * 1000,
                      "ratio_to_bare": statistics.median(s) / bare} for name, s in rows.items()}
    counted = sum(LinkClickDay.objects.values_list("clicks", flat=True)) - before
    parallel = [_parallel_clicks(4, max(10, repeats // 4)) for _ in range(3)]
    return {"requests": results, "counted_clicks": counted, "expected_counted": repeats,
            "parallel_clicks_per_s_4_threads": statistics.median(parallel),
            "serial_clicks_per_s": 1000 / results["/go/CODE, a person (counted)"]["median_ms"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    args = parser.parse_args(argv)
    if args.db == "postgres" and (why := postgres_available()):
        sys.exit(f"PostgreSQL is not available: {why}")
    work = workdir("links")
    with database(args.db, work) as url:
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledgecard.settings")
        os.environ["PLEDGECARD_VAR_DIR"] = str(Path(work))
        os.environ["PLEDGECARD_MEDIA_ROOT"] = str(Path(work) / "media")
        log("measuring short links, the event page and story submissions")
        results = measure(args.repeats)
    data = {"machine": machine_info(), "database": args.db, "repeats": args.repeats, "results": results}
    write_results("links", data)
    print(f"Short links, resources and stories on {args.db} (in-process, median of {args.repeats}):")
    print(table(["request", "median ms", "p90 ms", "× bare"],
                [[k, f"{v['median_ms']:.2f}", f"{v['p90_ms']:.2f}", f"{v['ratio_to_bare']:.1f}"]
                 for k, v in results["requests"].items()]))
    serial, parallel = results["serial_clicks_per_s"], results["parallel_clicks_per_s_4_threads"]
    print(f"clicks counted {results['counted_clicks']} of {results['expected_counted']} counted requests "
          f"(the Safe Links ones are not); counted clicks/s: {serial:.0f} one at a time, "
          f"{parallel:.0f} from 4 threads at once (one shared row a day)")
    return data


if __name__ == "__main__":
    main()
