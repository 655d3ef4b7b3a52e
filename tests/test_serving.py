"""termbook.serving: the open pages, the order of an update's pages, requests held for pending files."""

from __future__ import annotations

import threading
import wsgiref.util

import pytest
from termbook.serving import OpenPages, PendingFiles, order_pages, site_file, watch_requests

WAIT = 60  # seconds before a test gives up on a thread (a liveness guard, not a timing check)


@pytest.mark.parametrize(
    ("path", "mount", "file"),
    [
        ("/terms/dropout.html", "/", "terms/dropout.html"),
        ("/terms/dropout/", "/", "terms/dropout/index.html"),
        ("/", "/", "index.html"),
        ("/docs/terms/dropout.html", "/docs/", "terms/dropout.html"),
        ("/docs", "/docs/", None),  # MkDocs redirects it to /docs/
        ("/other/terms/dropout.html", "/docs/", None),
        ("/terms/../../etc/passwd", "/", "etc/passwd"),  # inside the site folder, as MkDocs maps it
    ],
)
def test_a_request_path_is_the_site_file_mkdocs_serves(path, mount, file):
    assert site_file(path, mount) == file


@pytest.mark.parametrize(
    ("pages", "edited", "viewed", "most", "first", "rest"),
    [
        (["a", "b", "c", "d"], ["b"], ["d"], 5, ["b", "d"], ["a", "c"]),
        (["a", "b", "c"], [], [], 5, [], ["a", "b", "c"]),
        (["a", "b", "c"], ["a"], ["a", "x"], 5, ["a"], ["b", "c"]),  # x is open but unchanged
        (["a", "b", "c", "d"], [], ["d", "c", "b"], 2, ["d", "c"], ["a", "b"]),  # the most recently seen
        (["a", "b", "c"], ["c"], ["b", "b"], 5, ["c", "b"], ["a"]),
    ],
)
def test_the_edited_pages_and_the_open_ones_come_first(pages, edited, viewed, most, first, rest):
    order = order_pages(pages, edited, viewed, most_viewed=most)
    assert (order.first, order.rest) == (first, rest)


def test_a_page_stays_open_for_the_window_after_it_was_last_seen():
    now = [0.0]
    pages = OpenPages(window=120, clock=lambda: now[0])
    pages.saw("a.html")
    now[0] = 50
    pages.saw("b.html")
    now[0] = 100
    pages.saw("a.html")
    assert pages.recent() == ["a.html", "b.html"]
    now[0] = 171
    assert pages.recent() == ["a.html"]
    now[0] = 221
    assert pages.recent() == []


def request(app, path: str, referer: str | None = None) -> tuple[str, bytes]:
    environ: dict = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    if referer:
        environ["HTTP_REFERER"] = referer
    wsgiref.util.setup_testing_defaults(environ)
    answer: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: answer.append(status))
    return answer[-1], b"".join(body)


class Site:
    """A stand-in for MkDocs' server: answers with the file's text, and counts the reads."""

    def __init__(self, files: dict[str, str]):
        self.files = files
        self.reads: list[str] = []
        self.during_read = lambda: None

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"].lstrip("/")
        self.reads.append(path)
        text = self.files.get(path)
        self.during_read()
        start_response("200 OK" if text is not None else "404 Not Found", [])
        return [(text or "").encode()]


def test_page_requests_and_the_referers_of_livereload_polls_are_open_pages():
    site, pages = Site({"terms/a.html": "a", "logo.png": "png"}), OpenPages()
    app = watch_requests(site, "/", pages, PendingFiles())

    request(app, "/terms/a.html")
    request(app, "/logo.png")
    request(app, "/livereload/123/456", referer="http://127.0.0.1:8000/terms/b%20c.html")
    request(app, "/livereload/123/457", referer="http://127.0.0.1:8000/search/")

    assert pages.recent() == ["search/index.html", "terms/b c.html", "terms/a.html"]


def test_a_request_for_a_pending_file_waits_until_it_is_written():
    site, pending = Site({"terms/a.html": "old"}), PendingFiles()
    app = watch_requests(site, "/", OpenPages(), pending)
    pending.hold(["terms/a.html"])
    answers: list[tuple[str, bytes]] = []
    reader = threading.Thread(target=lambda: answers.append(request(app, "/terms/a.html")))
    reader.start()

    reader.join(0.3)
    assert reader.is_alive() and site.reads == []  # held, the old page never read
    site.files["terms/a.html"] = "new"
    pending.done("terms/a.html")
    reader.join(WAIT)

    assert answers == [("200 OK", b"new")]


def test_an_answer_read_while_an_update_began_is_read_again_once_written():
    # MkDocs' server holds a request during a rebuild and reads the file when it ends; the
    # update may have begun meanwhile, and its pages written in the background
    site, pending = Site({"terms/a.html": "old"}), PendingFiles()
    app = watch_requests(site, "/", OpenPages(), pending)

    def update_begins() -> None:
        site.during_read = lambda: None
        pending.hold(["terms/a.html"])
        threading.Timer(0.2, lambda: (site.files.update({"terms/a.html": "new"}), pending.done("terms/a.html"))).start()

    site.during_read = update_begins

    assert request(app, "/terms/a.html") == ("200 OK", b"new")
    assert site.reads == ["terms/a.html", "terms/a.html"]


def test_release_lets_every_request_through():
    site, pending = Site({"a.html": "a"}), PendingFiles()
    app = watch_requests(site, "/", OpenPages(), pending)
    pending.hold(["a.html", "b.html"])
    threading.Timer(0.1, pending.release).start()
    assert request(app, "/a.html") == ("200 OK", b"a")
    assert not pending.holds("b.html")
