"""`bench web`: postcard submissions per second through gunicorn, against the bare view on the same server.

The server is started exactly as `pledgecard serve` starts it (gunicorn, gthread worker class, 2 workers of 4
threads), on a fresh database holding the demo. Phases alternate (bare, submissions, bare, ...; the order
flips every repeat) so slow drift on a shared machine falls on both sides of the ratio.
"""

import multiprocessing
import os
import subprocess
import time
import uuid

from bench import loadgen
from bench.common import (
    LOOPBACK,
    PYTHON,
    REPO,
    busy_share,
    fmt,
    free_port,
    log,
    machine_cpu,
    median,
    percentile,
    product_env,
    run,
    spread,
    start,
    stop,
    table,
    tree_cpu_seconds,
    wait_for_port,
    workdir,
)
from bench.databases import database, query

FORM_PATH = "/e/reducing-inequalities-2023/"
# The attendee's pages timed one request at a time against the bare view ("thanks": where a submission lands).
PAGES = {
    "form": FORM_PATH,
    "event": "/events/reducing-inequalities-2023/",
    "thanks": "thanks",
    "wall": "/e/reducing-inequalities-2023/wall/",
}


def gunicorn_args(port, workers, threads):
    # The same command line as `pledgecard serve` (src/pledgecard/core/management/commands/serve.py).
    return [
        PYTHON, "-m", "gunicorn", "pledgecard.wsgi:application",
        "--bind", f"{LOOPBACK}:{port}", "--workers", str(workers), "--worker-class", "gthread",
        "--threads", str(threads), "--graceful-timeout", "10",
    ]  # fmt: skip


def phase(scenario, port, *, concurrency, warmup, duration, server_pid, nonce):
    """Run `concurrency` clients for warmup + duration seconds; return what was measured in `duration`."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.monotonic() + 0.5  # time for the client processes to start and connect
    measure_from = start_at + warmup
    end_at = measure_from + duration
    clients = [
        ctx.Process(
            target=loadgen.client_main,
            args=(scenario, LOOPBACK, port, FORM_PATH, nonce, n, start_at, measure_from, end_at, queue),
            daemon=True,
        )
        for n in range(concurrency)
    ]
    for c in clients:
        c.start()
    time.sleep(max(0.0, measure_from - time.monotonic()))
    server_cpu0, machine0 = tree_cpu_seconds(server_pid), machine_cpu()
    time.sleep(max(0.0, end_at - time.monotonic()))
    server_cpu1, machine1 = tree_cpu_seconds(server_pid), machine_cpu()
    reports = []
    try:
        for _ in clients:
            reports.append(queue.get(timeout=60))  # a request in flight at end_at may take up to its timeout
    finally:
        for c in clients:
            c.join(timeout=5)
            if c.is_alive():
                c.kill()
    latencies = sorted(x for r in reports for x in r["latencies"])
    operations = len(latencies)
    steps = [r["steps"] for r in reports if r["steps"]]
    step_p50 = None
    if steps:
        columns = list(zip(*[s for client_steps in steps for s in client_steps], strict=True))
        step_p50 = [round(percentile(sorted(col), 50) * 1000, 2) for col in columns]
    client_cpu = sum(r["cpu_seconds"] for r in reports)
    ncores = os.cpu_count() or 1
    return {
        "scenario": scenario,
        "operations": operations,
        "operations_per_s": operations / duration,
        "requests_per_s": sum(r["requests"] for r in reports) / duration,
        "p50_ms": percentile(latencies, 50) * 1000 if latencies else None,
        "p99_ms": percentile(latencies, 99) * 1000 if latencies else None,
        "step_p50_ms": step_p50,  # submission: GET form, POST, GET thanks page
        "errors": sum(r["errors"] for r in reports),
        "error_samples": [e for r in reports for e in r["error_samples"]][:5],
        "reconnects": sum(r["reconnects"] for r in reports),
        "connections": sum(r["connections"] for r in reports),
        "server_cpu_ms_per_operation": (server_cpu1 - server_cpu0) * 1000 / operations
        if operations
        else None,
        "server_cpu_share": (server_cpu1 - server_cpu0) / duration / ncores,
        "client_cpu_share": client_cpu / (end_at - start_at) / ncores,
        "machine_busy_share": busy_share(machine0, machine1),
    }


def bench_one_database(kind, *, repeats, duration, warmup, concurrency, workers, threads):
    wd = workdir(f"web-{kind}")
    with database(kind, wd) as url:
        port = free_port()
        env = product_env(wd, DATABASE_URL=url, PORT=port, SITE_URL=f"http://{LOOPBACK}:{port}")
        # As `pledgecard serve` does before it starts gunicorn: pages name the collected (hashed) files.
        run([PYTHON, "-m", "pledgecard", "collectstatic", "--no-input", "-v0"], env=env, timeout=300,
            log=wd / "setup.log")
        with open(wd / "gunicorn.log", "wb") as server_log:
            server = start(
                gunicorn_args(port, workers, threads),
                env=env,
                cwd=REPO,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_for_port(port, timeout=60, proc=server)
            nonce = uuid.uuid4().hex[:8]
            log(f"web/{kind}: gunicorn pid {server.pid} on {LOOPBACK}:{port}; warming up")
            for scenario in ("bare", "submission"):  # import everything, compile templates, open connections
                phase(
                    scenario,
                    port,
                    concurrency=concurrency,
                    warmup=0,
                    duration=2,
                    server_pid=server.pid,
                    nonce=f"{nonce}w",
                )
            runs = []
            for r in range(repeats):
                order = ("bare", "submission") if r % 2 == 0 else ("submission", "bare")
                for scenario in order:
                    result = phase(
                        scenario,
                        port,
                        concurrency=concurrency,
                        warmup=warmup,
                        duration=duration,
                        server_pid=server.pid,
                        nonce=f"{nonce}r{r}",
                    )
                    result["repeat"] = r
                    runs.append(result)
                    log(
                        f"web/{kind} repeat {r + 1}/{repeats} {scenario:10}: "
                        f"{result['operations_per_s']:8.1f} op/s  {result['requests_per_s']:8.1f} req/s  "
                        f"p50 {fmt(result['p50_ms'])} ms  p99 {fmt(result['p99_ms'])} ms  "
                        f"errors {result['errors']}"
                    )
            pages = []
            for r in range(repeats):
                pages.append(pages_phase(port, duration=duration, nonce=f"{nonce}p{r}"))
                log(f"web/{kind} repeat {r + 1}/{repeats} pages (one at a time, ms): " + ", ".join(
                    f"{name} {fmt(ms, 2)}" for name, ms in pages[-1]["p50_ms"].items()))
        finally:
            stop(server)
        saved = query(url, "SELECT count(*) FROM pledges_postcard WHERE source = 'online'")[0][0]
    counted = sum(r["operations"] for r in runs if r["scenario"] == "submission")
    result = summarise(kind, runs, saved_postcards=saved, counted_submissions=counted)
    result["pages"] = summarise_pages(pages)
    return result


def pages_phase(port, *, duration, nonce):
    """Each attendee page and the bare view alternately, one request at a time, for `duration` seconds."""
    samples = loadgen.pages_main(LOOPBACK, port, FORM_PATH, PAGES, nonce, duration)
    p50 = {name: median(values) * 1000 for name, values in samples.items()}
    return {
        "p50_ms": p50,
        "ratio_to_bare": {name: ms / p50["bare"] for name, ms in p50.items() if name != "bare"},
        "samples": {name: len(values) for name, values in samples.items()},
    }


def summarise_pages(repeats):
    """Medians over the repeats; each ratio is taken within its repeat (page ÷ the bare view beside it)."""
    names = list(repeats[0]["p50_ms"])
    return {
        "p50_ms": {name: median([r["p50_ms"][name] for r in repeats]) for name in names},
        "ratio_to_bare": {
            name: median([r["ratio_to_bare"][name] for r in repeats]) for name in names if name != "bare"
        },
        "ratio_range": {
            name: spread([r["ratio_to_bare"][name] for r in repeats]) for name in names if name != "bare"
        },
        "repeats": repeats,
    }


def summarise(kind, runs, **checks):
    def of(scenario, key):
        return [r[key] for r in runs if r["scenario"] == scenario]

    bare = {r["repeat"]: r for r in runs if r["scenario"] == "bare"}
    subs = {r["repeat"]: r for r in runs if r["scenario"] == "submission"}
    paired = [
        subs[k]["operations_per_s"] / bare[k]["operations_per_s"]
        for k in bare
        if k in subs and bare[k]["operations_per_s"]
    ]
    paired_req = [
        subs[k]["requests_per_s"] / bare[k]["requests_per_s"]
        for k in bare
        if k in subs and bare[k]["requests_per_s"]
    ]
    summary = {}
    for scenario in ("bare", "submission"):
        summary[scenario] = {
            key: median(of(scenario, key))
            for key in (
                "operations_per_s",
                "requests_per_s",
                "p50_ms",
                "p99_ms",
                "server_cpu_ms_per_operation",
                "server_cpu_share",
                "client_cpu_share",
                "machine_busy_share",
            )
        }
        summary[scenario]["operations_per_s_range"] = spread(of(scenario, "operations_per_s"))
        summary[scenario]["errors"] = sum(of(scenario, "errors"))
    summary["submission"]["step_p50_ms"] = [
        median(col) for col in zip(*of("submission", "step_p50_ms"), strict=True)
    ]
    summary["ratio_submissions_per_bare_request"] = median(paired)
    summary["ratio_submission_requests_per_bare_request"] = median(paired_req)
    summary["ratio_range"] = spread(paired)
    # The same ratio from gunicorn's CPU time per operation instead of wall-clock throughput: what the ratio
    # would be if the server had the machine to itself (the database's CPU is not counted), so it moves much
    # less when other work shares the machine.
    bare_cpu, sub_cpu = (
        summary["bare"]["server_cpu_ms_per_operation"],
        summary["submission"]["server_cpu_ms_per_operation"],
    )
    summary["ratio_by_server_cpu"] = bare_cpu / sub_cpu if bare_cpu and sub_cpu else None
    return {"database": kind, "summary": summary, "checks": checks, "runs": runs}


def run_web(args):
    results = []
    for kind in args.databases:
        results.append(
            bench_one_database(
                kind,
                repeats=args.repeats,
                duration=args.duration,
                warmup=args.warmup,
                concurrency=args.concurrency,
                workers=args.web_workers,
                threads=args.web_threads,
            )
        )
    return {
        "settings": {
            "server": f"gunicorn gthread, {args.web_workers} workers x {args.web_threads} threads "
            "(as pledgecard serve)",
            "clients": f"{args.concurrency} closed-loop client processes, one keep-alive connection each",
            "repeats": args.repeats,
            "measured_seconds_per_phase": args.duration,
            "warmup_seconds_per_phase": args.warmup,
            "submission": "GET form + POST distinct valid postcard + GET thanks page (3 requests), "
            "new cookies each",
            "debug": False,
        },
        "databases": results,
    }


def report_web(data) -> str:
    rows = []
    for db in data["databases"]:
        s = db["summary"]
        for scenario, label in (("bare", "bare view GET"), ("submission", "postcard submission")):
            x = s[scenario]
            rows.append(
                [
                    f"{db['database']}: {label}",
                    fmt(x["operations_per_s"]),
                    fmt(x["requests_per_s"]),
                    fmt(x["p50_ms"], 2),
                    fmt(x["p99_ms"], 2),
                    fmt(x["server_cpu_ms_per_operation"], 2),
                    fmt(x["client_cpu_share"] * 100, 0, "%"),
                    x["errors"],
                ]
            )
    text = table(
        ["web", "op/s", "req/s", "p50 ms", "p99 ms", "server CPU ms/op", "client CPU", "errors"], rows
    )
    for db in data["databases"]:
        s, c = db["summary"], db["checks"]
        steps = s["submission"]["step_p50_ms"]
        text += (
            (
                f"\n{db['database']}: submissions/s ÷ bare req/s = "
                f"{fmt(s['ratio_submissions_per_bare_request'], 3)}"
                f" (repeats {', '.join(fmt(v, 3) for v in s['ratio_range'] or [])} min/max);"
                f" submission req/s ÷ bare req/s = {fmt(s['ratio_submission_requests_per_bare_request'], 3)}"
                f"\n    the same ratio from server CPU per operation (bare ÷ submission): "
                f"{fmt(s.get('ratio_by_server_cpu'), 4)}"
                f"\n    submission steps p50 ms: GET form {fmt(steps[0], 2)}, POST {fmt(steps[1], 2)},"
                f" GET thanks {fmt(steps[2], 2)};"
                f" postcards saved {c['saved_postcards']:,} ≥ counted {c['counted_submissions']:,}"
            )
            if steps
            else ""
        )
    rows = []
    for db in data["databases"]:
        pages = db.get("pages")
        if not pages:
            continue
        rows.append([f"{db['database']}: bare view", fmt(pages["p50_ms"]["bare"], 2), "1.0", ""])
        for name, ratio in pages["ratio_to_bare"].items():
            low, high = pages["ratio_range"][name]
            where = "after the POST" if PAGES[name] == "thanks" else PAGES[name]
            rows.append([f"{db['database']}: {name} ({where})", fmt(pages["p50_ms"][name], 2), fmt(ratio, 1),
                         f"{fmt(low, 1)}–{fmt(high, 1)}"])
    if rows:
        text += "\n\n" + table(["pages, one request at a time", "p50 ms", "× bare", "repeats"], rows)
        text += "\n    target: each page at most 5× the bare view; a submission at most 5 ms of server CPU"
    return text
