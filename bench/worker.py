"""`bench worker`: reminders per second from `pledgecard worker --once` into a local SMTP sink.

Each repeat seeds N postcards whose reminders are due now (bench/seed.py, in bulk), then, in an order that
flips every repeat:
- the baseline: one process sending N pre-built copies of a real rendered reminder (distinct To and
  Message-ID) with raw smtplib on one connection to a fresh sink;
- the product, once for each number of workers (`--workers`, default 1, 2 and 4; N seeded afresh before
  each): that many real `pledgecard worker --once` subprocesses at once, with EMAIL_URL pointing at a fresh
  sink, timed from the first start to the last exit (Django's start-up included), then checked: every row
  sent, the sink counted N.
"""

import json
import os
import re
import resource
import smtplib
import time
import uuid

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
    product_env,
    run,
    spread,
    start,
    stop,
    table,
    workdir,
)
from bench.databases import database, query
from bench.smtpsink import Sink


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def seed(env, count, wd) -> dict:
    out = wd / "seed.json"
    with open(out, "wb") as f, open(wd / "seed.log", "ab") as errors:
        proc = start(
            [PYTHON, "-m", "bench.seed", str(count), str(wd / "sample.eml")],
            env=env,
            cwd=REPO,
            stdout=f,
            stderr=errors,
        )
        try:
            proc.wait(timeout=900)
        finally:
            stop(proc)
    if proc.returncode != 0:
        raise RuntimeError(f"seeding failed ({proc.returncode}):\n{(wd / 'seed.log').read_text()[-3000:]}")
    return json.loads(out.read_text().strip().splitlines()[-1])


def prebuilt_messages(sample: bytes, count: int) -> list[tuple[str, bytes]]:
    """`count` copies of the rendered reminder, each with its own To and Message-ID, built before timing."""
    head, sep, body = sample.partition(b"\r\n\r\n")
    head = re.sub(rb"^Message-ID: .*$", b"Message-ID: %(id)s", head, count=1, flags=re.M | re.I)
    head = re.sub(rb"^To: .*$", b"To: %(to)s", head, count=1, flags=re.M)
    template = head + sep + body.replace(b"%", b"%%")
    messages = []
    for i in range(count):
        to = f"writer{i}@example.org"
        messages.append((to, template % {b"id": f"<{uuid.uuid4()}@pledgecard>".encode(), b"to": to.encode()}))
    return messages


def run_baseline(messages, from_address, timeout, sink_options) -> dict:
    port = free_port()
    sink = Sink(port, expected=len(messages), **sink_options)
    try:
        machine0, sink_cpu0 = machine_cpu(), sink.cpu_seconds()
        cpu0, t0 = time.process_time(), time.monotonic()
        deadline = t0 + timeout
        smtp = smtplib.SMTP(LOOPBACK, port, timeout=30)
        smtp.ehlo()
        for n, (to, message) in enumerate(messages):
            smtp.sendmail(from_address, [to], message)
            if n % 1000 == 0 and time.monotonic() > deadline:
                raise RuntimeError(f"the smtplib baseline took longer than {timeout:g}s")
        smtp.quit()
        elapsed, cpu = time.monotonic() - t0, time.process_time() - cpu0
        machine1 = machine_cpu()
        accepted = sink.count
        result = {
            "seconds": elapsed,
            "messages_per_s": len(messages) / elapsed,
            "steady_messages_per_s": sink.steady_rate,
            "sender_cpu_ms_per_message": cpu * 1000 / len(messages),
            "sink_cpu_ms_per_message": (sink.cpu_seconds() - sink_cpu0) * 1000 / len(messages),
            "machine_busy_share": busy_share(machine0, machine1),
            "sink_accepted": accepted,
            "mean_message_bytes": sink.bytes / accepted if accepted else None,
            "rate_by_twentieth": sink.segment_rates(),
        }
    finally:
        sink.close()
    if accepted != len(messages):
        raise RuntimeError(f"the sink accepted {accepted} of {len(messages)} baseline messages")
    return result


def _run_workers(workers: int, env, timeout, wd) -> None:
    """`workers` × `pledgecard worker --once` at once; returns when all have exited (each with 0)."""
    procs, logs = [], []
    try:
        for n in range(workers):
            log_file = open(wd / f"worker-{n}.log", "ab")  # noqa: SIM115 - closed below, after the process
            logs.append(log_file)
            procs.append(
                start([PYTHON, "-m", "pledgecard", "worker", "--once"], env=env, cwd=REPO, stdout=log_file,
                      stderr=log_file)
            )
        deadline = time.monotonic() + timeout
        for proc in procs:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            if proc.returncode != 0:
                raise RuntimeError(f"a worker exited with {proc.returncode}; see {wd}")
    finally:
        for proc in procs:
            stop(proc)
        for log_file in logs:
            log_file.close()


def run_product_worker(env_base, count, timeout, wd, sink_options, workers=1) -> dict:
    port = free_port()
    sink = Sink(port, expected=count, **sink_options)
    try:
        env = dict(env_base, EMAIL_URL=f"smtp://{LOOPBACK}:{port}")
        machine0, sink_cpu0, children0 = machine_cpu(), sink.cpu_seconds(), _children_cpu()
        t0 = time.monotonic()
        if workers == 1:
            command = [PYTHON, "-m", "pledgecard", "worker", "--once"]
            run(command, env=env, timeout=timeout, log=wd / "worker.log")
        else:
            _run_workers(workers, env, timeout, wd)
        elapsed = time.monotonic() - t0
        worker_cpu = _children_cpu() - children0
        machine1 = machine_cpu()
        accepted = sink.count
        result = {
            "workers": workers,
            "seconds": elapsed,
            "messages_per_s": count / elapsed,
            "steady_messages_per_s": sink.steady_rate,
            "worker_cpu_ms_per_message": worker_cpu * 1000 / count,
            "sink_cpu_ms_per_message": (sink.cpu_seconds() - sink_cpu0) * 1000 / count,
            "machine_busy_share": busy_share(machine0, machine1),
            "sink_accepted": accepted,
            "mean_message_bytes": sink.bytes / accepted if accepted else None,
            "rate_by_twentieth": sink.segment_rates(),
        }
    finally:
        sink.close()
    statuses = dict(
        query(env_base["DATABASE_URL"], "SELECT status, count(*) FROM delivery_message GROUP BY status")
    )
    result["statuses_after"] = statuses
    if accepted != count or statuses.get("sent", 0) < count:
        raise RuntimeError(
            f"the worker delivered {accepted} of {count} (rows by status: {statuses}); see {wd}"
        )
    return result


def _label(workers: int) -> str:
    return "worker" if workers == 1 else f"worker×{workers}"


def bench_one_database(kind, *, count, repeats, timeout, workers=(1,), sink_options=None):
    sink_options = sink_options or {}
    wd = workdir(f"worker-{kind}")
    runs, seeds = [], []
    with database(kind, wd) as url:
        env = product_env(wd, DATABASE_URL=url, SITE_URL="http://127.0.0.1:8000")
        for r in range(repeats):
            log(f"worker/{kind} repeat {r + 1}/{repeats}: seeding {count:,} due reminders")
            seeded = seed(env, count, wd)
            seeds.append(seeded)
            log(f"worker/{kind}: seeded in {seeded['total_seconds']} s; sizes {seeded['sizes_bytes']}")
            messages = prebuilt_messages((wd / "sample.eml").read_bytes(), count)
            from_address = "pledgecard@localhost"
            products = [_label(n) for n in workers]
            order = ["baseline", *products] if r % 2 == 0 else [*products, "baseline"]
            fresh = True  # the rows seeded above are still owed
            for which in order:
                if which == "baseline":
                    result = run_baseline(messages, from_address, timeout, sink_options)
                else:
                    if not fresh:
                        log(f"worker/{kind}: seeding {count:,} due reminders again")
                        seeds.append(seed(env, count, wd))
                    fresh = False
                    how_many = workers[products.index(which)]
                    result = run_product_worker(env, count, timeout, wd, sink_options, workers=how_many)
                result.update(which=which, repeat=r)
                runs.append(result)
                log(
                    f"worker/{kind} repeat {r + 1}/{repeats} {which:8}: "
                    f"{result['messages_per_s']:8.1f} msg/s "
                    f"({result['seconds']:.1f} s; steady {fmt(result['steady_messages_per_s'])} msg/s)"
                )
            del messages
    return summarise(kind, count, runs, seeds, [_label(n) for n in workers])


def summarise(kind, count, runs, seeds, products=("worker",)):
    def of(which, key):
        return [r[key] for r in runs if r["which"] == which]

    base = {r["repeat"]: r for r in runs if r["which"] == "baseline"}
    summary = {"messages": count, "products": list(products)}
    for which in products:
        work = {r["repeat"]: r for r in runs if r["which"] == which}
        paired = [work[k]["messages_per_s"] / base[k]["messages_per_s"] for k in base if k in work]
        summary.setdefault("ratios", {})[which] = {"median": median(paired), "range": spread(paired)}
    # The first product (one worker) keeps the names earlier results files used.
    summary["ratio_worker_per_baseline"] = summary["ratios"][products[0]]["median"]
    summary["ratio_range"] = summary["ratios"][products[0]]["range"]
    for which in ("baseline", *products):
        summary[which] = {
            key: median(of(which, key))
            for key in (
                "messages_per_s",
                "steady_messages_per_s",
                "seconds",
                "sink_cpu_ms_per_message",
                "machine_busy_share",
                "mean_message_bytes",
            )
        }
        summary[which]["messages_per_s_range"] = spread(of(which, "messages_per_s"))
        # The rate in the first and the last twentieth of the run: a drain that slows as the backlog shrinks
        # (or speeds up) shows here.
        segments = [r for r in of(which, "rate_by_twentieth") if r]
        summary[which]["first_twentieth_messages_per_s"] = median([r[0] for r in segments])
        summary[which]["last_twentieth_messages_per_s"] = median([r[-1] for r in segments])
    summary["baseline"]["sender_cpu_ms_per_message"] = median(of("baseline", "sender_cpu_ms_per_message"))
    for which in products:
        summary[which]["worker_cpu_ms_per_message"] = median(of(which, "worker_cpu_ms_per_message"))
        # How long 100,000 due reminders take: measured when the run was 100,000; otherwise extrapolated from
        # the measured rate (Django's start-up then counts for more than it would: the estimate errs long).
        rate = summary[which]["messages_per_s"]
        summary[which]["seconds_for_100k"] = summary[which]["seconds"] if count == 100_000 else (
            100_000 / rate if rate else None)
        how = "measured" if count == 100_000 else f"extrapolated from {count:,}"
        summary[which]["seconds_for_100k_is"] = how
    summary["seed_seconds"] = median([s["total_seconds"] for s in seeds])
    summary["sizes_bytes_after_seed"] = seeds[0]["sizes_bytes"] if seeds else None  # the first: no bloat yet
    return {"database": kind, "summary": summary, "runs": runs, "seeds": seeds}


SINKS = {
    "lean": "a minimal asyncio SMTP server in its own process, counting only (bench/smtpsink.py)",
    "aiosmtpd": "aiosmtpd in its own process, counting only",
}


def run_worker(args):
    sink_options = {
        "kind": args.sink, "pipelining": args.sink_pipelining == "on", "delay_ms": args.sink_delay_ms}
    results = [
        bench_one_database(
            kind, count=args.messages, repeats=args.worker_repeats, timeout=args.worker_timeout,
            workers=args.workers, sink_options=sink_options,
        )
        for kind in args.databases
    ]
    return {
        "settings": {
            "messages_per_run": args.messages,
            "repeats": args.worker_repeats,
            "worker": "pledgecard worker --once (DELIVERY_BATCH_SIZE default "
            f"{os.environ.get('DELIVERY_BATCH_SIZE', '500')}), timed from start to exit; "
            f"{', '.join(map(str, args.workers))} at once",
            "baseline": "raw smtplib, one connection, pre-built copies of a rendered reminder",
            "sink": SINKS[args.sink] + (", offering PIPELINING" if sink_options["pipelining"] else
                                        ", not offering PIPELINING")
            + (f", each answer held back {args.sink_delay_ms:g} ms" if args.sink_delay_ms else ""),
            "debug": False,
        },
        "databases": results,
    }


def report_worker(data) -> str:
    rows = []
    for db in data["databases"]:
        s = db["summary"]
        products = s.get("products", ["worker"])
        labels = [("baseline", "raw smtplib baseline")] + [
            (which, f"pledgecard {which} --once" if which != "worker" else "pledgecard worker --once")
            for which in products
        ]
        for which, label in labels:
            x = s[which]
            own_cpu = x.get("sender_cpu_ms_per_message") or x.get("worker_cpu_ms_per_message")
            rows.append(
                [
                    f"{db['database']}: {label}",
                    f"{s['messages']:,}",
                    fmt(x["messages_per_s"]),
                    fmt(x["first_twentieth_messages_per_s"]),
                    fmt(x["last_twentieth_messages_per_s"]),
                    fmt(x["seconds"]),
                    fmt(own_cpu, 3),
                    fmt(x["sink_cpu_ms_per_message"], 3),
                    fmt(x["mean_message_bytes"], 0),
                ]
            )
    text = table(
        [
            "worker",
            "messages",
            "msg/s",
            "first 5%",
            "last 5%",
            "seconds",
            "sender CPU ms/msg",
            "sink CPU ms/msg",
            "bytes/msg",
        ],
        rows,
    )
    for db in data["databases"]:
        s = db["summary"]
        for which in s.get("products", ["worker"]):
            ratio = s["ratios"][which] if "ratios" in s else {"median": s["ratio_worker_per_baseline"],
                                                              "range": s["ratio_range"]}
            text += (
                f"\n{db['database']}: {which} msg/s ÷ baseline msg/s = {fmt(ratio['median'], 3)}"
                f" (repeats {', '.join(fmt(v, 3) for v in ratio['range'] or [])} min/max);"
                f" 100,000 reminders: {fmt(s[which].get('seconds_for_100k'), 0)} s"
                f" ({s[which].get('seconds_for_100k_is', 'measured')})"
            )
        text += (
            f"\n{db['database']}: seeding took {fmt(s['seed_seconds'])} s; sizes after seeding"
            f" {s['sizes_bytes_after_seed']}"
        )
    if "sink" in data.get("settings", {}):
        text += f"\nsink: {data['settings']['sink']}"
    return text
