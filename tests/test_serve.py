"""`mkdocs serve` with the edit loop: a real server, real edits, the HTML it serves over http."""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import wsgiref.util
from pathlib import Path

import pytest
import yaml

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term

WAIT = 300  # seconds before a test gives up on the server (a liveness guard, not a timing check)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    def __init__(self, root, log):
        self.root, self.log = root, log
        self.url = f"http://127.0.0.1:{free_port()}/"
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        self.out = open(log, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-a", self.url[7:-1]],
            cwd=root,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            env=env,
        )
        self.wait_for(lambda: "Serving on" in self.text() and self.get("terms/index.html"), "the first build")

    def text(self) -> str:
        return self.log.read_text()

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(self.url + path, timeout=WAIT) as response:
                return response.read().decode("utf-8")
        except (urllib.error.URLError, OSError):
            return None

    def wait_for(self, condition, what: str):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"mkdocs serve stopped:\n{self.text()[-3000:]}"
            if result := condition():
                return result
            time.sleep(0.1)
        pytest.fail(f"no {what} within {WAIT} s; log:\n{self.text()[-3000:]}")

    def page_with(self, path: str, text: str) -> str:
        return self.wait_for(lambda: (html := self.get(path)) and text in html and html, f"{text!r} in {path}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.close()


@pytest.fixture
def served(project, tmp_path):
    project.add_term("dropout", term("Dropout", summary="Dropout zeroes random activations while training."))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term("batch-norm", term("Batch Norm", definition="Batch Norm is often used with dropout in one network."))
    project.add_term("layer-norm", term("Layer Norm", related=["dropout"]))
    server = Served(project.root, tmp_path / "serve.log")
    yield server
    server.stop()


def save_term(project, slug: str, **fields) -> None:
    path = project.root / "terms" / f"{slug}.yml"
    data = yaml.safe_load(path.read_text())
    data.update(fields)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_a_saved_summary_is_served_in_the_tooltips_and_related_lists_of_other_pages(served, project):
    assert "Dropout zeroes random activations" in served.get("terms/batch-norm.html")

    save_term(project, "dropout", summary="Dropout drops units at random to regularize.")

    page = served.page_with("terms/batch-norm.html", "Dropout drops units at random to regularize.")
    assert re.search(r'<a [^>]*href="dropout.html"[^>]*title="Dropout drops units at random to regularize\."', page)
    related = served.page_with("terms/layer-norm.html", "Dropout drops units at random to regularize.")
    assert "Dropout zeroes" not in page + related
    assert "Dropout drops units at random to regularize." in served.get("assets/termbook/terms.js")
    assert "Dropout drops units at random to regularize." in served.get("terms/index.html")
    # the edit loop, not a whole build; said once the pages not viewed are made too
    assert served.wait_for(lambda: re.search(r"termbook: rebuilt \d+ pages first \(1 edited, \d viewed\)", served.text()), "the log line")
    assert served.text().count("Building documentation") == 1


def test_a_saved_snippet_runs_again_and_its_page_shows_it(served, project):
    snippet = project.root / "snippets" / "dropout.py"
    snippet.write_text(snippet.read_text().replace("return 2 * x", "return x + x  # edited while serving"))

    served.page_with("terms/dropout.html", "edited while serving")
    assert served.wait_for(lambda: re.search(r"termbook: rebuilt .*, ran dropout\n", served.text()), "a run of dropout")


def test_a_broken_edit_keeps_serving_the_last_good_page_and_its_fix_shows(served, project):
    path = project.root / "terms" / "dropout.yml"
    good = path.read_text()
    path.write_text(good.replace("summary:", "summary: [unclosed\nsummary:"))

    served.wait_for(lambda: "the edit cannot be built" in served.text(), "error in the log")
    assert re.search(r"terms/dropout.yml:\d+", served.text())
    assert "Dropout zeroes random activations" in served.get("terms/batch-norm.html")  # still served
    page = served.page_with("terms/dropout.html", "The last edit cannot be built")  # and said on the page
    assert re.search(r"terms/dropout.yml:\d+", page) and "Dropout zeroes random activations" in page

    path.write_text(good.replace("Dropout zeroes random activations", "Dropout silences random units"))
    served.page_with("terms/batch-norm.html", "Dropout silences random units")
    assert "The last edit cannot be built" not in served.page_with("terms/dropout.html", "Dropout silences random units")


def test_adding_a_term_and_editing_a_docs_page_rebuild_the_whole_site(served, project):
    project.add_term("momentum", term("Momentum", definition="Momentum is often combined with dropout."))
    page = served.page_with("terms/momentum.html", "Momentum is often combined with")
    assert 'href="dropout.html"' in page
    assert "Momentum" in served.get("terms/index.html")

    (project.root / "terms" / "momentum.yml").unlink()
    served.wait_for(lambda: "Momentum" not in served.get("terms/index.html"), "the A–Z index without Momentum")
    assert "Momentum is often combined with" not in (served.get("terms/momentum.html") or "")

    (project.root / "docs" / "index.md").write_text("# Tiny\n\nHello again.\n")
    served.page_with("index.html", "Hello again.")
    assert served.text().count("Building documentation") == 4


# -- in this process: the plugin under `mkdocs serve`, its server's application called directly ---------


class InProcess:
    """The site as `mkdocs serve` builds it, the plugin's server application, and a hold on its background.

    Nothing listens: requests go to the server's WSGI application as its handler would send them.
    The thread that makes the rest of an update waits at ``gate`` until the test opens it.
    """

    def __init__(self, project, site_dir, monkeypatch):
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.livereload import LiveReloadServer

        self.project = project
        self.config = load_config(str(project.root / "mkdocs.yml"), site_dir=str(site_dir))
        self.config.plugins.on_startup(command="serve", dirty=False)
        self.config.site_url = "http://127.0.0.1:8000/"
        build(self.config, serve_url=self.config.site_url)
        self.server = LiveReloadServer(builder=lambda config=None: None, host="127.0.0.1", port=0, root=str(site_dir))
        self.server.poll_response_timeout = 0  # a livereload poll is answered at once (no reload)
        self.server = self.config.plugins.on_serve(self.server, config=self.config, builder=self.server.builder)
        self.plugin = self.config.plugins["termbook"]
        self.site = Path(site_dir)
        self.gate = threading.Event()
        make = self.plugin._make_page

        def held(file, doc_files):
            if threading.current_thread() is not threading.main_thread():
                assert self.gate.wait(WAIT), "the test never opened the gate"
            make(file, doc_files)

        monkeypatch.setattr(self.plugin, "_make_page", held)

    def request(self, path: str, referer: str | None = None) -> tuple[str, str]:
        environ = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
        if referer:
            environ["HTTP_REFERER"] = referer
        wsgiref.util.setup_testing_defaults(environ)
        status: list[str] = []
        body = self.server.get_app()(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            return status[-1], b"".join(body).decode("utf-8")
        finally:
            getattr(body, "close", lambda: None)()

    def html(self, page: str) -> str:
        return (self.site / page).read_text(encoding="utf-8")

    def finish(self) -> None:
        self.gate.set()
        self.plugin._join_finishing()

    def close(self) -> None:
        self.gate.set()
        self.config.plugins.on_shutdown()
        self.server.server_close()
        # MkDocs keeps one instance of a plugin per process, whatever config loads it: the builds of
        # the tests after this one are builds, not `mkdocs serve`
        self.config.plugins.on_startup(command="build", dirty=False)


@pytest.fixture
def in_process(served_terms, tmp_path, monkeypatch):
    site = InProcess(served_terms, tmp_path / "site", monkeypatch)
    yield site
    site.close()


@pytest.fixture
def served_terms(project):
    project.add_term("dropout", term("Dropout", summary="Dropout zeroes random activations while training."))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term("batch-norm", term("Batch Norm", definition="Batch Norm is often used with dropout in one network."))
    project.add_term("layer-norm", term("Layer Norm", related=["dropout"]))
    project.add_term("weight-decay", term("Weight Decay", definition="Weight decay is not dropout."))
    return project


def same_as_a_build_from_scratch(site: InProcess, tmp_path) -> None:
    """Every page the edit loop served is what a whole build of the edited files makes."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    scratch_yml = site.project.root / "mkdocs-scratch.yml"  # every page converted, none from the page cache
    scratch_yml.write_text(
        (site.project.root / "mkdocs.yml").read_text().replace("      jobs: 2\n", "      jobs: 2\n      page_cache: false\n")
    )
    config = load_config(str(scratch_yml), site_dir=str(tmp_path / "scratch"))
    config.plugins.on_startup(command="serve", dirty=False)
    config.site_url = site.config.site_url
    try:
        build(config, serve_url=config.site_url)
    finally:
        config.plugins.on_shutdown()
        config.plugins.on_startup(command="build", dirty=False)
    scratch = tmp_path / "scratch"
    pages = sorted(p.relative_to(scratch) for p in scratch.rglob("*.html"))
    assert pages and pages == sorted(p.relative_to(site.site) for p in site.site.rglob("*.html"))
    for page in [*pages, Path("assets/termbook/search-text.js"), Path("assets/termbook/terms.js"), Path("terms.json")]:
        assert (site.site / page).read_text(encoding="utf-8") == (scratch / page).read_text(encoding="utf-8"), f"{page} differs"


NEW = "Dropout drops units at random to regularize."


def test_the_edited_page_and_the_viewed_pages_are_served_first_and_the_rest_after(in_process, tmp_path, caplog):
    site = in_process
    site.request("/livereload/1/2", referer="http://127.0.0.1:8000/terms/layer-norm.html")  # an open tab
    old_index, old_batch_norm = site.html("terms/index.html"), site.html("terms/batch-norm.html")
    save_term(site.project, "dropout", summary=NEW)

    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.termbook.plugin"):
        assert site.plugin._rebuild_pages()

        assert NEW in site.html("terms/dropout.html") and NEW in site.html("terms/layer-norm.html")
        # the A–Z index and batch-norm (its tooltip) change too: pending, not yet written
        assert site.html("terms/index.html") == old_index and site.html("terms/batch-norm.html") == old_batch_norm
        assert {"terms/index.html", "terms/batch-norm.html"} <= site.plugin.pending.held()
        assert not {"terms/dropout.html", "terms/layer-norm.html"} & site.plugin.pending.held()
        site.finish()

    assert NEW in site.html("terms/index.html") and NEW in site.html("terms/batch-norm.html")
    assert re.search(
        r"rebuilt 2 pages first \(1 edited, 1 viewed\) and \d+ files in .* s \(glossary .* s\), \d+ more in the background", caplog.text
    )
    assert not site.plugin.pending.held()
    same_as_a_build_from_scratch(site, tmp_path)


def test_a_request_for_a_page_still_being_made_waits_for_it(in_process):
    site = in_process
    save_term(site.project, "dropout", summary=NEW)
    assert site.plugin._rebuild_pages()
    answers: list[tuple[str, str]] = []
    reader = threading.Thread(target=lambda: answers.append(site.request("/terms/batch-norm.html")))
    reader.start()

    reader.join(0.5)
    assert reader.is_alive(), f"served before it was made again: {answers}"
    assert site.request("/terms/dropout.html")[1] == site.html("terms/dropout.html")  # made first: not held
    site.gate.set()
    reader.join(WAIT)

    assert answers and answers[0][0] == "200 OK" and NEW in answers[0][1]
    assert re.search(r'<a [^>]*href="dropout.html"[^>]*title="Dropout drops units at random to regularize\."', answers[0][1])


def test_an_edit_while_the_last_one_is_being_finished_waits_for_it_and_is_right(in_process, tmp_path):
    site = in_process
    save_term(site.project, "dropout", summary=NEW)
    assert site.plugin._rebuild_pages()
    time.sleep(0.01)  # a coarse clock: a stamp the second save changes
    save_term(site.project, "layer-norm", summary="Layer Norm normalizes each example over its features.", related=["weight-decay"])
    second: list[bool] = []
    rebuild = threading.Thread(target=lambda: second.append(site.plugin._rebuild_pages()))
    rebuild.start()

    rebuild.join(0.5)
    assert rebuild.is_alive()  # it waits for the first edit's pages
    site.gate.set()
    rebuild.join(WAIT)
    site.finish()

    assert second == [True]
    assert "Layer Norm normalizes each example" in site.html("terms/weight-decay.html")
    same_as_a_build_from_scratch(site, tmp_path)


def test_a_failure_in_the_background_is_said_and_the_next_change_builds_the_whole_site(in_process, monkeypatch, caplog):
    site = in_process

    def broken(file, doc_files):
        if threading.current_thread() is not threading.main_thread():
            raise OSError("disk full")
        make(file, doc_files)

    make = site.plugin._make_page
    monkeypatch.setattr(site.plugin, "_make_page", broken)
    save_term(site.project, "dropout", summary=NEW)
    with caplog.at_level(logging.INFO, logger="mkdocs.plugins.termbook.plugin"):
        assert site.plugin._rebuild_pages()
        site.finish()
        assert "making the pages of the last edit failed (OSError: disk full); the next change builds the whole site" in caplog.text
        assert site.request("/terms/batch-norm.html")[0] == "200 OK"  # not held for ever

        assert site.plugin._rebuild_pages() is False
    assert "the last update did not finish: building the whole site" in caplog.text
