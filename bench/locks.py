"""How long attendees' writes wait while an organiser imports a big postcard file, on SQLite.

`python -m bench.locks [--rows 19500] [--repeats 3]`, or `main()` from elsewhere.

SQLite has one writer. A probe (its own connection, as an attendee's request would have) takes the write lock
for a moment every 50 ms, the way a postcard POST does, and records how long each attempt waited, while the
same file is imported two ways in turn:

- *one transaction* (the baseline; how imports worked before issue 9): every postcard written with
  `postcard_write` inside one `transaction.atomic()`;
- *job*: the product's import job (`pledges.imports`, `core/jobs.py`): 100 postcards a step, a pause after each.

Reported per way: the import's time, and the probe's median, 99th-percentile and longest wait. The longest
wait is what an attendee would meet: past the busy timeout (20 s by default) it was a lost postcard.
Results go to bench/results/locks.json.
"""

import argparse
import datetime as dt
import json
import sqlite3
import statistics
import sys
import threading
import time
from pathlib import Path


def postcards_csv(rows: int) -> bytes:
    lines = ["name,email,organisation,sector,learnt,commitment,reminder"]
    lines += [f"Writer {i},w{i}@example.org,Trust {i % 7},NHS,Lesson {i} about wards,Commitment {i},yes"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


# ------------------------------------------------------------------------------------ in the child process


class Probe(threading.Thread):
    """Takes SQLite's write lock for a moment every 50 ms and records how long each attempt waited."""

    def __init__(self, path: str):
        super().__init__(daemon=True)
        self.path, self.waits, self.failures, self.running = path, [], 0, True

    def run(self):
        connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        while self.running:
            started = time.perf_counter()
            try:
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("ROLLBACK")
            except sqlite3.OperationalError:
                self.failures += 1
            self.waits.append(time.perf_counter() - started)
            time.sleep(0.05)
        connection.close()


def child(workdir: Path, repeats: int) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from pledgecard.core import jobs
    from pledgecard.core.models import Alliance
    from pledgecard.events.models import Event
    from pledgecard.pledges import imports, services
    from pledgecard.pledges.models import Postcard

    call_command("migrate", verbosity=0, interactive=False)
    assert connection.vendor == "sqlite", "bench.locks measures SQLite's one writer"
    alliance, _ = Alliance.objects.get_or_create(slug="bench", defaults={"name": "Bench", "contact_email": "b@x.org"})
    event, _ = Event.objects.get_or_create(slug="bench-locks", defaults={
        "alliance": alliance, "title": "Bench", "date": dt.date(2030, 3, 5), "reminder_date": dt.date(2030, 9, 5)})
    data = (workdir / "postcards.csv").read_bytes()
    words, report = imports.postcards_check(data=data)
    assert report.ok, report.errors[:3]

    def one_transaction():
        with transaction.atomic():
            for w in words:
                services.postcard_write(event=event, words=w, source=Postcard.Source.IMPORT, send_confirmation=False)

    def job():
        finished = jobs.job_run_now(imports.postcards_import_start(event=event, data=data))
        assert finished.status == "done", finished.result

    ways = {"one transaction": one_transaction, "job": job}
    results = {name: {"seconds": [], "median_wait": [], "p99_wait": [], "longest_wait": [], "probe_failures": []}
               for name in ways}
    for repeat in range(repeats):
        for name in (list(ways) if repeat % 2 == 0 else list(reversed(ways))):
            Postcard.objects.filter(event=event).delete()
            probe = Probe(str(connection.settings_dict["NAME"]))
            probe.start()
            started = time.perf_counter()
            ways[name]()
            elapsed = time.perf_counter() - started
            probe.running = False
            probe.join()
            waits = sorted(probe.waits)
            assert Postcard.objects.filter(event=event).count() == len(words)
            results[name]["seconds"].append(elapsed)
            results[name]["median_wait"].append(statistics.median(waits))
            results[name]["p99_wait"].append(waits[min(len(waits) - 1, int(len(waits) * 0.99))])
            results[name]["longest_wait"].append(waits[-1])
            results[name]["probe_failures"].append(probe.failures)
    return {"rows": len(words), "ways": results}


# ----------------------------------------------------------------------------------------- in the parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.locks", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=19_500)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--timeout", type=float, default=1800)
    p.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if args.child:
        args.out.write_text(json.dumps(child(args.child, args.repeats)))
        return 0
    import atexit

    from bench.common import PYTHON, fmt, log, product_env, remove_workdirs, run, stop_all, table, workdir, \
        write_results

    atexit.register(stop_all)
    work = workdir("locks")
    (work / "postcards.csv").write_bytes(postcards_csv(args.rows))
    out = work / "locks.json"
    log(f"sqlite: importing {args.rows:,} postcards two ways while a probe writes every 50 ms, {args.repeats} times")
    run([PYTHON, "-m", "bench.locks", "--child", str(work), "--repeats", str(args.repeats), "--out", str(out)],
        env=product_env(work, DATABASE_URL=f"sqlite:///{work / 'locks.sqlite3'}"), timeout=args.timeout,
        log=work / "locks.log")
    results = json.loads(out.read_text())
    rows = []
    for name, figures in results["ways"].items():
        m = {k: statistics.median(v) for k, v in figures.items()}
        rows.append([name, fmt(m["seconds"], 1), fmt(m["median_wait"] * 1000, 1), fmt(m["p99_wait"] * 1000, 0),
                     fmt(m["longest_wait"] * 1000, 0), str(int(m["probe_failures"]))])
    print(f"Postcard import of {results['rows']:,} rows on SQLite, while an attendee's write is tried every 50 ms "
          f"(median of {args.repeats})")
    print(table(["import", "seconds", "wait median ms", "wait p99 ms", "longest wait ms", "writes failed"], rows))
    path = write_results("locks", {"locks": results})
    print(f"Results: {path}")
    remove_workdirs()
    return 0


if __name__ == "__main__":
    sys.exit(main())
