"""bench weight: what an attendee's phone downloads for the postcard form, on a first and a repeat visit.

A real browser (Debian's Chromium, headless, through Playwright, as the browser tests launch it) opens the
form on the live server, started as `pledgecard serve` starts it (collectstatic, then gunicorn) on a fresh
demo database. Every request's bytes on the wire are counted from Chromium's own network events
(`Network.loadingFinished.encodedDataLength`: headers and the body as sent, compressed or not; 0 for what came
from the browser's cache). The repeat visit is a new navigation to the same page in the same browser profile,
as when an attendee opens the link again. Targets: at most 50 KB first, at most 5 KB on the repeat visit.
Chromium offers brotli to 127.0.0.1 as it does to any https site (a trustworthy origin), so static files go
out as collectstatic's brotli copies, and the pages gzipped; the encoding column shows which.
Run: `python -m bench.weight [--db sqlite]`.
"""

import argparse
import subprocess
import sys

from bench.common import (
    LOOPBACK,
    PYTHON,
    REPO,
    free_port,
    log,
    machine_info,
    product_env,
    run,
    start,
    stop,
    table,
    wait_for_port,
    workdir,
    write_results,
)
from bench.databases import database, postgres_available
from bench.web import FORM_PATH, gunicorn_args

CHROMIUM = "/usr/bin/chromium"
FIRST_LIMIT, REPEAT_LIMIT = 50_000, 5_000


def _visit(page, cdp, url) -> list[dict]:
    """Load `url` in `page`; return each request of the load: its URL, type, bytes on the wire, from cache."""
    seen: dict[str, dict] = {}

    def sent(event):
        seen.setdefault(event["requestId"], {"url": event["request"]["url"], "bytes": 0, "cached": False})

    def received(event):
        row = seen.setdefault(event["requestId"], {"url": event["response"]["url"], "bytes": 0})
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        row.update(type=event.get("type", ""), status=event["response"]["status"],
                   encoding=headers.get("content-encoding", ""),
                   cached=event["response"].get("fromDiskCache", False))

    def finished(event):
        if event["requestId"] in seen:
            seen[event["requestId"]]["bytes"] = event["encodedDataLength"]

    def served_from_cache(event):
        if event["requestId"] in seen:
            seen[event["requestId"]]["cached"] = True

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestServedFromCache", served_from_cache)
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(300)  # a late request (the favicon) still counts
    for name, handler in (("Network.requestWillBeSent", sent), ("Network.responseReceived", received),
                          ("Network.loadingFinished", finished),
                          ("Network.requestServedFromCache", served_from_cache)):
        cdp.remove_listener(name, handler)
    return list(seen.values())


def measure(base_url) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(base_url=base_url, locale="en-GB")
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            first = _visit(page, cdp, FORM_PATH)
            repeat = _visit(page, cdp, FORM_PATH)
        finally:
            browser.close()
    return {"first": first, "repeat": repeat,
            "first_bytes": sum(r["bytes"] for r in first), "repeat_bytes": sum(r["bytes"] for r in repeat)}


def serve_and_measure(kind) -> dict:
    wd = workdir(f"weight-{kind}")
    with database(kind, wd) as url:
        port = free_port()
        env = product_env(wd, DATABASE_URL=url, PORT=port, SITE_URL=f"http://{LOOPBACK}:{port}")
        # As `pledgecard serve` does before it starts the web server.
        run([PYTHON, "-m", "pledgecard", "collectstatic", "--no-input", "-v0"], env=env, timeout=300,
            log=wd / "setup.log")
        with open(wd / "gunicorn.log", "wb") as server_log:
            server = start(gunicorn_args(port, 2, 4), env=env, cwd=REPO, stdout=server_log,
                           stderr=subprocess.STDOUT)
        try:
            wait_for_port(port, timeout=60, proc=server)
            log(f"weight/{kind}: opening {FORM_PATH} in Chromium, twice")
            return measure(f"http://{LOOPBACK}:{port}")
        finally:
            stop(server)


def _came_from(request) -> str:
    if not request.get("status"):
        return "refused"  # by the Content-Security-Policy (the NHS fonts): no request was made
    return "cache" if request.get("cached") or request["bytes"] == 0 else "network"


def report(data) -> str:
    rows = []
    for visit in ("first", "repeat"):
        for r in data[visit]:
            path = r["url"].split("/", 3)[-1]
            rows.append([visit, "/" + path[:70], r.get("status", ""), r.get("encoding") or "–",
                         _came_from(r), f"{r['bytes']:,}"])
    text = table(["visit", "request", "status", "encoding", "from", "bytes"], rows)
    text += (f"\nfirst visit {data['first_bytes']:,} bytes (target ≤ {FIRST_LIMIT:,}); "
             f"repeat visit {data['repeat_bytes']:,} bytes (target ≤ {REPEAT_LIMIT:,})")
    return text


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite", choices=["postgres", "sqlite"])
    parser.add_argument("--name", default="weight")
    args = parser.parse_args(argv)
    if args.db == "postgres" and (why := postgres_available()):
        sys.exit(f"PostgreSQL is not available: {why}")
    data = {"machine": machine_info(), "database": args.db, **serve_and_measure(args.db)}
    write_results(args.name, data)
    print(f"Page weight of the postcard form ({FORM_PATH}), Chromium headless, bytes on the wire:")
    print(report(data))
    return data


if __name__ == "__main__":
    main()
