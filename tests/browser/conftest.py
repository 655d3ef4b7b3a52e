"""The real site as readers see it: built once, served on 127.0.0.1, driven by headless Chromium.

Fixtures
--------
built_site   the repository's glossary built with its own mkdocs.yml and ``mkdocs build --strict``
             into a temporary copy of the project. Under xdist the workers share one build (the
             first worker builds under a file lock, the others wait and reuse it); no browser needed.
site_url     that build served by ``http.server`` in a background thread on a free port (per worker).
browser      headless Chromium (Debian's ``/usr/bin/chromium``, or $TERMBOOK_CHROMIUM) driven by
             Playwright, one per worker; `playwright install` is never needed.
open_tab     a new browser context and page that records console errors, uncaught exceptions and
             failed HTTP responses, and aborts and records every request to another host; closed
             after the test.

Without Chromium the browser tests skip with one line saying how to enable them, except in CI
(``CI=true``), where a missing browser is a failure. Screenshots and the external-link report go
to test-artifacts/.
"""

from __future__ import annotations

import fcntl
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("TERMBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SOURCES = ("mkdocs.yml", "notation.yml", "terms", "snippets", "site_src", "schema")
CACHE = Path(".cache") / "termbook"
TIMEOUT_MS = 15_000


@dataclass
class Build:
    project: Path  # the temporary copy of the project
    site: Path  # its built site

    def terms(self) -> dict[str, dict]:
        """terms.json of the build, by slug."""
        data = json.loads((self.site / "terms.json").read_text(encoding="utf-8"))
        return {t["slug"]: t for t in data["terms"]}


def _copy_project(work: Path) -> None:
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.is_file():
            shutil.copy2(src, work / name)
    if (ROOT / CACHE).is_dir():  # reuse verified snippet results, as `make site` does
        shutil.copytree(ROOT / CACHE, work / CACHE)


def _build(work: Path) -> tuple[bool, str]:
    _copy_project(work)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")  # as the Makefile exports it
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(work / "site")],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc.returncode == 0, proc.stdout + proc.stderr


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Build:
    """The repository's site, built once per test run (shared by xdist workers under a lock)."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    work = shared / "termbook-browser-build"
    status = shared / "termbook-browser-build.json"
    with open(shared / "termbook-browser-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not status.exists():
            if work.exists():
                shutil.rmtree(work)
            work.mkdir()
            ok, log = _build(work)
            status.write_text(json.dumps({"ok": ok, "log": log}), encoding="utf-8")
        result = json.loads(status.read_text(encoding="utf-8"))
    if not result["ok"]:
        pytest.fail(f"mkdocs build --strict of the real site failed:\n{result['log'][-4000:]}", pytrace=False)
    return Build(project=work, site=work / "site")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # the browser drops connections it no longer needs (navigating away): not an error
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="session")
def site_url(built_site) -> str:
    """Base URL (ending in /) of the built site, served on 127.0.0.1 on a free port."""
    server = _Server(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(built_site.site)))
    thread = threading.Thread(target=server.serve_forever, name="termbook-site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


NO_BROWSER = "browser tests skipped; enable them with `apt-get install chromium`"


def _no_browser(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}: the browser tests cannot run (.ci/run installs it with apt-get)", pytrace=False)
    pytest.skip(f"{reason}: {NO_BROWSER}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Give every 'no browser' skip the same location, so that `-ra` prints one line for all."""
    report = yield
    if report.skipped and isinstance(report.longrepr, tuple) and NO_BROWSER in report.longrepr[2]:
        report.longrepr = (__file__, _no_browser.__code__.co_firstlineno, report.longrepr[2])
    return report


@pytest.fixture(scope="session")
def playwright_driver():
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _no_browser(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _no_browser("Playwright for Python is not installed (pip install -e '.[test]')")
    expect.set_options(timeout=TIMEOUT_MS)  # the default 5 s is short on a busy 2-core CI machine
    manager = sync_playwright().start()
    try:
        yield manager
    finally:
        manager.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver):
    """Headless Chromium, one per worker; `playwright install` is never needed."""
    instance = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
    try:
        yield instance
    finally:
        instance.close()


LOCAL = ("file:", "data:", "blob:", "about:")  # URLs that never leave the machine


@dataclass
class Tab:
    page: object  # playwright.sync_api.Page
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions, HTTP >= 400, blocked
    blocked: list[str] = field(default_factory=list)  # requests to anywhere but the allowed URLs, aborted

    def goto(self, url: str):
        response = self.page.goto(url)
        if response is not None:
            assert response.ok, f"{url}: HTTP {response.status}"
        return response

    def assert_clean(self):
        """Nothing was requested from another host and nothing went wrong in the page."""
        assert self.blocked == [], "requested from another host:\n  " + "\n  ".join(self.blocked)
        assert self.errors == [], "errors in the page:\n  " + "\n  ".join(self.errors)


@pytest.fixture
def open_tab(browser, site_url):
    """open_tab(allow=..., **context_options) -> Tab: a fresh context and page, closed after the test.

    Requests to anything but `allow` (URL prefixes; default: the served site and local schemes) are
    aborted and recorded, so no test depends on, or quietly uses, the network.
    """
    contexts = []

    def open_(allow: tuple[str, ...] = (site_url, *LOCAL), **context_options) -> Tab:
        context = browser.new_context(**context_options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        tab = Tab(context.new_page())

        def block(url):
            if url not in tab.blocked:
                tab.blocked.append(url)
                tab.errors.append(f"blocked request to another host: {url}")

        def route(route):
            if route.request.url.startswith(allow):
                route.continue_()
            else:
                block(route.request.url)
                route.abort("blockedbyclient")

        def on_request(request):  # whatever the route did not see
            if not request.url.startswith(allow):
                block(request.url)

        def on_console(message):
            if message.type == "error":
                tab.errors.append(f"console.error: {message.text} ({message.location.get('url')})")

        def on_response(response):
            if response.status >= 400:
                tab.errors.append(f"HTTP {response.status}: {response.url}")

        context.route("**/*", route)  # the context's route also covers workers' iframes
        context.on("request", on_request)
        tab.page.on("console", on_console)
        tab.page.on("pageerror", lambda error: tab.errors.append(f"uncaught exception: {error}"))
        tab.page.on("response", on_response)
        return tab

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
