"""Under ``mkdocs serve``: the pages browsers have open, and the requests held for pages not yet written.

After an edit the plugin makes the pages that readers are looking at first, lets the server reload
the browsers, and makes the other pages the edit changed in the background. Two records make that
safe and useful, and :func:`watch_requests` keeps both from the requests the server answers:

* :class:`OpenPages` — the pages requested lately, and the pages whose livereload script is
  polling the server (an open, visible tab keeps one poll waiting, sent again at least once a
  minute, with the page as its ``Referer``);
* :class:`PendingFiles` — the files of the site an update is still writing: a request for one
  waits until it is written, so nobody is served a page that is known to be about to change.

Nothing here imports MkDocs: it wraps the server's WSGI application (:mod:`termbook.plugin`).
"""

from __future__ import annotations

import posixpath
import threading
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

OPEN_FOR = 120.0  # seconds a page counts as open after it was last requested or polled from
VIEWED_FIRST = 5  # at most this many open pages are made before the browsers reload, most recent first


class OpenPages:
    """The pages of the site browsers have open: requested or polled from in the last ``window`` seconds.

    Pages are paths relative to the site folder (a page's ``dest_uri``, e.g. ``terms/dropout.html``).
    """

    def __init__(self, window: float = OPEN_FOR, clock: Callable[[], float] = time.monotonic):
        self.window = window
        self.clock = clock
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def saw(self, page: str) -> None:
        with self._lock:
            now = self.clock()
            self._seen.pop(page, None)  # insertion order is the order last seen
            self._seen[page] = now
            self._forget(now)

    def recent(self) -> list[str]:
        """The open pages, the most recently seen first."""
        with self._lock:
            self._forget(self.clock())
            return list(reversed(self._seen))

    def _forget(self, now: float) -> None:
        for page in [p for p, at in self._seen.items() if now - at > self.window]:
            del self._seen[page]


class PendingFiles:
    """Files of the site that an update is still writing (paths relative to the site folder)."""

    def __init__(self) -> None:
        self._held: set[str] = set()
        self._generation = 0  # how many times files were held: a reader compares it before and after
        self._changed = threading.Condition()

    def hold(self, files: Iterable[str]) -> None:
        with self._changed:
            self._held.update(files)
            self._generation += 1

    def done(self, file: str) -> None:
        with self._changed:
            self._held.discard(file)
            self._changed.notify_all()

    def release(self) -> None:
        """Let every request through: the update is over, written or not."""
        with self._changed:
            self._held.clear()
            self._changed.notify_all()

    def holds(self, file: str) -> bool:
        with self._changed:
            return file in self._held

    def held(self) -> set[str]:
        with self._changed:
            return set(self._held)

    def wait(self, file: str) -> int:
        """Wait until ``file`` is not held; the generation then, to tell whether files were held since."""
        with self._changed:
            self._changed.wait_for(lambda: file not in self._held)
            return self._generation

    @property
    def generation(self) -> int:
        with self._changed:
            return self._generation


@dataclass
class Order:
    """The pages of an update in the order they are made: ``first`` before the browsers reload."""

    edited: list[str] = field(default_factory=list)  # the pages of the edited terms
    viewed: list[str] = field(default_factory=list)  # open pages the update changes (not edited ones)
    rest: list[str] = field(default_factory=list)  # made in the background, requests for them wait

    @property
    def first(self) -> list[str]:
        return self.edited + self.viewed


def order_pages(pages: Sequence[str], edited: Collection[str], viewed: Sequence[str], most_viewed: int = VIEWED_FIRST) -> Order:
    """Split an update's ``pages``: the edited ones and up to ``most_viewed`` of ``viewed`` (most recent first) first."""
    wanted = set(pages)
    first_edited = [p for p in pages if p in edited]
    first_viewed = [p for p in dict.fromkeys(viewed) if p in wanted and p not in edited][:most_viewed]
    first = set(first_edited) | set(first_viewed)
    return Order(first_edited, first_viewed, [p for p in pages if p not in first])


def site_file(path: str, mount_path: str) -> str | None:
    """The file a request path is answered from, relative to the site folder, as MkDocs' server maps it."""
    if not (path + "/").startswith(mount_path):
        return None
    rel = path[len(mount_path) :]
    if path.endswith("/"):
        rel += "index.html"
    rel = posixpath.normpath("/" + rel).lstrip("/")  # no way out of the site folder
    return rel or None


def watch_requests(app: WSGIApplication, mount_path: str, open_pages: OpenPages, pending: PendingFiles) -> WSGIApplication:
    """``app`` (MkDocs' server) that also records the open pages and holds requests for pending files."""

    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "ignore")  # as MkDocs decodes it
        if path.startswith("/livereload/"):
            referer = environ.get("HTTP_REFERER")
            if referer and (page := site_file(unquote(urlsplit(referer).path), mount_path)) and page.endswith(".html"):
                open_pages.saw(page)
            return app(environ, start_response)
        file = site_file(path, mount_path)
        if file is None:
            return app(environ, start_response)
        if file.endswith(".html") and environ.get("REQUEST_METHOD") == "GET":
            open_pages.saw(file)
        return _when_written(app, environ, start_response, file, pending)

    return serve


def _when_written(app: WSGIApplication, environ: WSGIEnvironment, start_response: StartResponse, file: str, pending: PendingFiles):
    """The answer of ``app`` for a file, read when no update is writing it.

    MkDocs' server holds a request while it rebuilds and reads the file when the rebuild returns; an
    update that began meanwhile may still be writing the file then, so it is read again once written.
    """
    while True:
        generation = pending.wait(file)
        answer = _Answer()
        body = app(environ, answer)
        if pending.generation == generation:
            start_response(answer.status, answer.headers, answer.exc_info)
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()


class _Answer:
    """A ``start_response`` that keeps the status and headers until the answer is known to be current."""

    def __init__(self) -> None:
        self.status = "500 Internal Server Error"  # until the application answers
        self.headers: list[tuple[str, str]] = []
        self.exc_info = None

    def __call__(self, status, headers, exc_info=None, /):
        self.status, self.headers, self.exc_info = status, headers, exc_info
        return self._write

    @staticmethod
    def _write(data: bytes) -> None:
        raise RuntimeError("termbook holds answers until they are current: write() is not supported (MkDocs' server never calls it)")
