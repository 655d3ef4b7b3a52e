"""`mkdocs serve` with the edit loop: a real server, real edits, the HTML it serves over http."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

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
    assert re.search(r"termbook: rebuilt \d+ pages", served.text())  # the edit loop, not a whole build
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
