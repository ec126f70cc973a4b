"""The browser harness: Debian's Chromium through Playwright, loopback only, axe-core on every page.

Database work while the browser runs goes through `orm()`, in a thread of its own: Playwright's sync API keeps an
asyncio loop running in the test's thread, and there Django refuses the ORM ("async unsafe"). See test_browser.py.
"""

import os
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}
LAPTOP = {"viewport": {"width": 1280, "height": 800}}
SCREENSHOTS = Path(tempfile.gettempdir())  # looked at by people, not committed
# The NHS.UK frontend CSS asks for Frutiger from assets.nhs.uk; our Content-Security-Policy refuses it unless
# PLEDGECARD_FONT_HOST allows it (README), so the browser logs the refusal, makes no request and uses Arial.
EXPECTED_FONT_BLOCK = re.compile(
    r"^Loading the font 'https://assets\.nhs\.uk/fonts/[^']+' violates the following Content Security Policy "
    r"directive: \"font-src 'self'\"")


def orm(function, *args, **kwargs):
    """Run database work in a thread with no event loop, and close that thread's connection after."""

    def work():
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


class Visit:
    """One test's browsing: Chromium (started at the first page), contexts that cannot reach beyond this
    machine, and an axe check of each page."""

    def __init__(self, base_url):
        self.base_url = base_url
        self._playwright = self._browser = self._checker = None
        self.contexts = []
        self.no_js_contexts = []
        self.blocked: list[str] = []
        self.violations: list[str] = []
        self.page_errors: list[str] = []
        self.csp: dict[str, str] = {}  # the Content-Security-Policy of the last document loaded at each URL
        self.axe = Axe()

    def context(self, **options):
        if self._browser is None:
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = self._browser.new_context(base_url=self.base_url, locale="en-GB", **options)
        context.set_default_timeout(10_000)
        context.route("**/*", self._only_this_machine)
        self.contexts.append(context)
        return context

    def page(self, **options):
        page = self.context(**options).new_page()
        page.on("pageerror", lambda error: self.page_errors.append(f"{page.url}: {error}"))
        page.on("console", lambda message: self._console(page, message))
        page.on("response", lambda response: self._response(page, response))
        return page

    def no_js_page(self, **options):
        page = self.page(java_script_enabled=False, **options)
        self.no_js_contexts.append(page.context)
        return page

    def _only_this_machine(self, route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            self.blocked.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _console(self, page, message):
        text = message.text
        # Failed loads are judged by their responses, below: a form with errors rightly answers 400.
        expected = text.startswith("Failed to load resource") or EXPECTED_FONT_BLOCK.search(text)
        if message.type == "error" and not expected:
            self.page_errors.append(f"{page.url}: {text}")

    def _response(self, page, response):
        if response.frame == page.main_frame and response.request.is_navigation_request():
            self.csp[response.url] = response.headers.get("content-security-policy", "")
        elif response.status >= 400:
            self.page_errors.append(f"{page.url}: {response.status} for {response.url}")

    def check(self, page, label):
        """Run axe on the page as it is now. Violations are collected and reported at the end of the test."""
        if any(page.context is context for context in self.no_js_contexts):
            url = page.url.split("#")[0]
            checked = self._checker_page(url, page.content(), self.csp[url], page.viewport_size)
        else:
            checked = page
        for violation in self.axe.run(checked).response["violations"]:
            lines = [f"{label} ({page.url}): {violation['id']} [{violation['impact']}] {violation['help']}",
                     f"    {violation['helpUrl']}"]
            for node in violation["nodes"]:
                html = " ".join(node["html"].split())[:300]
                lines.append(f"    - at {', '.join(map(str, node['target']))}: {html}")
                lines.append("        " + node.get("failureSummary", "").replace("\n", "\n        "))
            self.violations.append("\n".join(lines))

    def _checker_page(self, url, html, csp, viewport):
        """axe needs timers, which do not run while JavaScript is off. It checks the same document in a page
        with JavaScript on instead, served the same HTML under the page's own Content-Security-Policy with
        its scripts stopped: what axe sees is what a browser without JavaScript shows."""
        if self._checker is None:
            self._checker = self.context(**PHONE).new_page()
        self._checker.set_viewport_size(viewport)
        self._checker.unroute("**/*")
        directives = [d.strip() for d in csp.split(";")]
        directives = [d for d in directives if d and not d.startswith("script-src")]
        headers = {"Content-Type": "text/html; charset=utf-8",
                   "Content-Security-Policy": "; ".join([*directives, "script-src 'none'"])}

        def serve(route):
            if route.request.url == url:
                route.fulfill(status=200, body=html, headers=headers)
            else:
                route.fallback()

        self._checker.route("**/*", serve)
        self._checker.goto(url)
        return self._checker

    def assert_clean(self):
        problems = [
            f"{title}:\n" + "\n".join(lines)
            for title, lines in [
                (f"{len(self.violations)} accessibility violation(s)", self.violations),
                ("Requests that tried to leave this machine", sorted(set(self.blocked))),
                ("Errors in the browser", self.page_errors),
            ]
            if lines
        ]
        assert not problems, "\n\n".join(problems)

    def close(self):
        for context in self.contexts:
            context.close()
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()


@pytest.fixture
def visit(live_server):
    if not os.path.exists(CHROMIUM):
        message = f"{CHROMIUM} is missing: run `make browser-deps`"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    visit = Visit(live_server.url)
    yield visit
    visit.close()


