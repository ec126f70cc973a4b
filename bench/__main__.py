"""`python -m bench [web|worker|all] [--quick] [--db postgres,sqlite] ...` – see bench/README.md."""

import argparse
import atexit
import shutil
import signal
import sys
import time

from bench.common import fmt, log, machine_info, remove_workdirs, snapshot_source, stop_all, write_results
from bench.databases import postgres_available

# Benchmarks with their own command line (`python -m bench.NAME --help`); `make bench` runs them all after the
# web and worker ones, each printing its own table. With --quick they skip their largest cases.
OTHERS = {  # name: (arguments for the full run, arguments for --quick)
    "allocate": ([], ["--quick"]),
    "pairs": ([], ["--quick"]),
    "imports": (["--rows", "10000"], ["--rows", "1000"]),
    "locks": ([], ["--rows", "3000", "--repeats", "1"]),
    "checkin": ([], ["--people", "2000"]),
    "printing": ([], ["--quick"]),
    "notify": ([], ["--quick"]),
    "people": ([], ["--postcards", "2000"]),
    "links": ([], ["--repeats", "100"]),
    "weight": ([], []),
    "insights": ([], ["--registrations", "2000", "--follow-ups", "1000", "--meetings", "3000", "--people", "800"]),
}


def run_others(args) -> None:
    import importlib

    for name, (full, quick) in OTHERS.items():
        if args.which not in (name, "all"):
            continue
        log(f"bench {name}")
        try:
            importlib.import_module(f"bench.{name}").main(quick if args.quick else full)
        except SystemExit as exc:  # a benchmark that cannot run here says why, and the others still run
            if exc.code not in (0, None):
                log(f"bench {name} did not run: {exc.code}")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("which", nargs="?", default="all", choices=["web", "worker", *OTHERS, "all"])
    p.add_argument("--quick", action="store_true", help="shorter phases, fewer repeats, 10,000 reminders")
    p.add_argument("--db", default="postgres", help="databases to run on, in order: postgres, sqlite or both")
    p.add_argument(
        "--code",
        default="worktree",
        help="'worktree' (default): a copy of src/ as it is at the start; 'live': src/ itself, edits and "
        "all; a git revision (e.g. HEAD): a snapshot of that commit's src/",
    )
    p.add_argument(
        "--name", help="results file (bench/results/NAME.json); default full, quick, or WHICH-full/-quick"
    )
    web = p.add_argument_group("web")
    web.add_argument("--repeats", type=int, help="web phases per scenario (default 5, quick 3)")
    web.add_argument("--duration", type=float, help="measured seconds per web phase (default 10, quick 5)")
    web.add_argument("--warmup", type=float, default=1.0, help="uncounted seconds at the start of each phase")
    web.add_argument("--concurrency", type=int, default=4, help="client processes (keep-alive connections)")
    web.add_argument("--web-workers", type=int, default=2)
    web.add_argument("--web-threads", type=int, default=4)
    worker = p.add_argument_group("worker")
    worker.add_argument("--messages", type=int, help="due reminders per run (default 100,000, quick 10,000)")
    worker.add_argument("--worker-repeats", type=int, help="runs per database (default 3, quick 3)")
    worker.add_argument("--worker-timeout", type=float, default=7200, help="seconds one worker run may take")
    worker.add_argument("--workers", default="1,2,4", help="numbers of workers run at once, e.g. 1,2,4")
    worker.add_argument("--sink", choices=["lean", "aiosmtpd"], default="lean",
                        help="the SMTP server the mail goes to (bench/smtpsink.py); default lean")
    worker.add_argument("--sink-pipelining", choices=["on", "off"], default="on",
                        help="whether the sink offers PIPELINING (RFC 2920), as real relays do; default on")
    worker.add_argument("--sink-delay-ms", type=float, default=0.0,
                        help="ms the lean sink holds back each answer: a relay a network hop away")
    args = p.parse_args(argv)
    args.databases = [d.strip() for d in args.db.split(",") if d.strip()]
    args.workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if not args.workers or min(args.workers) < 1:
        p.error("--workers takes numbers of workers, e.g. 1,2,4")
    if bad := set(args.databases) - {"postgres", "sqlite"}:
        p.error(f"unknown database(s): {', '.join(sorted(bad))}")
    args.repeats = args.repeats or (3 if args.quick else 5)
    args.duration = args.duration or (5.0 if args.quick else 10.0)
    args.messages = args.messages or (10_000 if args.quick else 100_000)
    args.worker_repeats = args.worker_repeats or 3
    # One benchmark alone gets a file of its own: `python -m bench web` never overwrites the full run's file.
    mode = "quick" if args.quick else "full"
    args.name = args.name or (mode if args.which == "all" else f"{args.which}-{mode}")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    atexit.register(stop_all)
    # Ctrl+C or a kill ends every server and client this run started, and drops its database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if "postgres" in args.databases and (why := postgres_available()):
        log(f"PostgreSQL is not available ({why}); running on {', '.join(args.databases)} needs it.")
        return 2
    if args.code != "live":
        log(f"running the product from {snapshot_source(args.code)}")
    data = {"name": args.name, "machine": machine_info(), "arguments": vars(args)}
    started = time.monotonic()
    reports = []
    if args.which in ("web", "all"):
        from bench.web import report_web, run_web

        data["web"] = run_web(args)
        write_results(args.name, data)
        reports.append(report_web(data["web"]))
    if args.which in ("worker", "all"):
        from bench.worker import report_worker, run_worker

        data["worker"] = run_worker(args)
        write_results(args.name, data)
        reports.append(report_worker(data["worker"]))
    if args.which not in ("web", "worker"):
        run_others(args)
    data["seconds"] = round(time.monotonic() - started, 1)
    path = write_results(args.name, data)
    m = data["machine"]
    width = min(shutil.get_terminal_size().columns, 110)
    print("\n" + "=" * width)
    print(
        f"Pledgecard bench '{args.name}' — {m['cpu_model']}, {m['cores']} cores, {m['memory_gib']} GiB, "
        f"Python {m['python']}, Django {m['django']}, commit {m['git_commit']}; "
        f"load average at start {m['load_average_at_start']}; took {fmt(data['seconds'], 0)} s"
    )
    for text in reports:
        print()
        print(text)
    print(f"\nMedians over repeats. Results: {path}")
    remove_workdirs()  # kept (with their logs) when a benchmark failed
    return 0


if __name__ == "__main__":
    sys.exit(main())
