"""The edit loop of `make serve`: from saving a file to the new HTML being served, side by side.

    .venv/bin/python benchmarks/serve.py                    # 1,000 terms; 3 edits of each kind, 1 with whole rebuilds
    .venv/bin/python benchmarks/serve.py --size 300 --repeat 1 --keep /tmp/tb-serve

It generates the synthetic glossary of ``benchmarks/build.py`` (same generator, same size of
prose and snippets), then for each mode starts the real ``python -m mkdocs serve --livereload``
(what ``make serve`` runs) on a free port, waits for its first build, and times two edits, each
``--repeat`` times (``--whole-repeat`` times with whole rebuilds, which take minutes each).

A browser is modelled by two tabs (:class:`Tab`), opened once the server is up: one on a page that
lists the edited term as related (not the term's own page), one on the term's page. Each tab loads
its page, then does what MkDocs' injected script does: it keeps a livereload poll waiting (the page
as its ``Referer``) and loads the page again when the poll answers with a newer version of the site.

  term     the summary of the term is rewritten; *viewed page* stops when the tab on the page that
           lists it has loaded the page with the new summary in it (its related list and tooltip)
  snippet  a comment line is added to the term's snippet, which runs again; *viewed page* stops
           when the tab on the term's page has loaded it with the new line in its code

*all pages* stops when the server has written every page the edit changes: when it logs the
update (termbook's ``rebuilt ...`` line, or MkDocs' ``Documentation built`` after a whole build),
seen by reading its log every 20 ms. With the edit loop the pages a browser has open are made
first and the browsers reload before the other pages are made, so *viewed page* can be the shorter.

Modes: ``whole`` is termbook with ``incremental_serve: false`` (MkDocs rebuilds the whole site
on every change, as before); ``incremental`` is the default (only the pages an edit changes).
Both modes serve the same files from the same snippet cache (the first build of the first mode
runs every snippet once; that build is not timed). The server runs the ``termbook`` that
``PYTHONPATH`` or the virtual environment gives it; the report says which.

The time includes MkDocs' own delays: its file watcher polls every 0.5 s and waits 0.1 s for
writes to settle. The clock starts just before the file is written. The load average (1 minute)
is taken after each edit: the machine's other work moves these times.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.build import generate

MODES = ("whole", "incremental")
EDITS = ("term", "snippet")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=600) as response:
            return response.read().decode("utf-8")
    except (urllib.error.URLError, OSError):
        return None


class Server:
    """``python -m mkdocs serve --livereload`` in its own process, its log in a file."""

    def __init__(self, root: Path, config: str, log: Path):
        self.port = free_port()
        self.origin = self.url = f"http://127.0.0.1:{self.port}/"  # the site is mounted at the root
        self.log = log
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "--livereload", "-f", config, "-a", f"127.0.0.1:{self.port}"],
                cwd=root,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def wait_ready(self, timeout: float = 3600) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise SystemExit(f"mkdocs serve stopped:\n{self.log.read_text()[-3000:]}")
            if "Serving on" in self.log.read_text() and fetch(self.url + "sitemap.xml"):  # not a page: none is open yet
                return time.perf_counter() - start
            time.sleep(0.5)
        raise SystemExit("mkdocs serve did not start")

    def cpu(self) -> float:
        """CPU seconds the server process has used (user + system; Linux), or NaN."""
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Tab:
    """A browser tab with ``page`` open: it reloads the page whenever MkDocs' livereload poll says the site changed."""

    def __init__(self, server: Server, page: str):
        self.server, self.url = server, server.url + page
        self.loads: list[tuple[float, str]] = []  # (when it was read, the page) of every load
        self.changed = threading.Condition()
        self.closed = False
        epoch, request = self._load()
        self.thread = threading.Thread(target=self._poll, args=(epoch, request), daemon=True)
        self.thread.start()

    def _load(self) -> tuple[int, int]:
        html = fetch(self.url)
        if html is None or (found := re.search(r"livereload\((\d+), (\d+)\)", html)) is None:
            raise SystemExit(f"{self.url}: no page with MkDocs' livereload script")
        with self.changed:
            self.loads.append((time.perf_counter(), html))
            self.changed.notify_all()
        return int(found[1]), int(found[2])

    def _poll(self, epoch: int, request: int) -> None:
        while not self.closed:
            poll = urllib.request.Request(f"{self.server.origin}livereload/{epoch}/{request}", headers={"Referer": self.url})
            try:
                with urllib.request.urlopen(poll, timeout=120) as response:
                    latest = int(response.read())
            except (urllib.error.URLError, OSError, ValueError):
                time.sleep(3)  # as the script does after an error
                continue
            if latest > epoch:
                epoch, request = self._load()

    def shows(self, marker: str, since: float, timeout: float = 900) -> float:
        """When the tab first loaded the page with ``marker`` in it, after ``since``."""
        with self.changed:
            found = self.changed.wait_for(lambda: [at for at, html in self.loads if at >= since and marker in html], timeout)
            self.loads = self.loads[-1:]
        if not found:
            raise SystemExit(f"{self.url} never showed {marker!r}")
        return found[0]

    def close(self) -> None:
        self.closed = True


DONE = re.compile(r"termbook: rebuilt |Documentation built in ")  # the server has written every page of an update


def timed(server: Server, write, tab: Tab, marker: str, timeout: float = 900) -> tuple[float, float, float]:
    """Seconds from ``write()`` to ``tab`` showing ``marker`` and to the server logging the update, and its CPU seconds."""
    cpu = server.cpu()
    before = len(DONE.findall(server.log.read_text()))
    start = time.perf_counter()
    write()
    done = None
    while done is None:
        if len(DONE.findall(server.log.read_text())) > before:
            done = time.perf_counter()
        elif time.perf_counter() - start > timeout:
            raise SystemExit(f"the server never logged an update after {marker!r}")
        else:
            time.sleep(0.02)
    viewed = tab.shows(marker, start, timeout)
    return viewed - start, done - start, server.cpu() - cpu


def pick(root: Path) -> tuple[str, str]:
    """A term listed as related by another term: (the term, the page that lists it)."""
    terms = sorted((root / "terms").glob("*.yml"))
    for path in terms[len(terms) // 2 :]:
        slug = path.stem
        for other in terms:
            text = other.read_text(encoding="utf-8")
            if other != path and re.search(rf"^- {re.escape(slug)}$", text, re.M):
                return slug, other.stem
    raise SystemExit("no term is listed as related")


def edit_summary(path: Path, text: str) -> None:
    source = path.read_text(encoding="utf-8")
    # the summary is one plain scalar, wrapped onto indented lines when long
    new, count = re.subn(r"^summary: .*(?:\n  .*)*$", f"summary: {text}", source, count=1, flags=re.M)
    if count != 1:
        raise SystemExit(f"{path}: no summary to edit")
    path.write_text(new, encoding="utf-8")


MEASURES = ("viewed page", "all pages", "CPU")


def record(out: dict[str, dict[str, list[float]]], what: str, edit: str, seconds: tuple[float, float, float], progress) -> None:
    """Keep an edit's times and the load average after it, and say them."""
    load = os.getloadavg()[0]
    for name, value in zip((*MEASURES, "load"), (*seconds, load)):
        out[name][edit].append(value)
    viewed, done, cpu = seconds
    progress(f"{what}: viewed page {viewed:.2f} s, all pages {done:.2f} s (server CPU {cpu:.2f} s, load {load:.1f})")


def append_line(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + line + "\n", encoding="utf-8")


def measure(root: Path, modes: list[str], repeat: int, whole_repeat: int, progress) -> dict[str, dict[str, dict[str, list[float]]]]:
    """By mode, by measure, by edit: the seconds of each edit; ``load`` holds the load average after each."""
    slug, lister = pick(root)
    module = slug.replace("-", "_")
    term_file, snippet = root / "terms" / f"{slug}.yml", root / "snippets" / f"{module}.py"
    progress(f"edited term {slug}; the tab that lists it: {lister}")
    results: dict[str, dict[str, dict[str, list[float]]]] = {}
    for mode in modes:
        config = "mkdocs.yml" if mode == "incremental" else "mkdocs-whole.yml"
        server = Server(root, config, root / f"serve-{mode}.log")
        tabs: list[Tab] = []
        try:
            started = server.wait_ready()
            progress(f"{mode}: first build served after {started:.1f} s")
            neighbour, own = Tab(server, f"terms/{lister}.html"), Tab(server, f"terms/{slug}.html")
            tabs += [neighbour, own]
            out: dict[str, dict[str, list[float]]] = {m: {edit: [] for edit in EDITS} for m in (*MEASURES, "load")}
            for rep in range(repeat if mode == "incremental" else whole_repeat):
                token = f"{mode} {rep} {time.time_ns()}"  # never in the files before, also in a kept folder
                summary = f"A summary rewritten by the serve benchmark ({token})."
                record(
                    out,
                    f"{mode}: term edit {rep + 1}",
                    "term",
                    timed(server, lambda s=summary: edit_summary(term_file, s), neighbour, summary),
                    progress,
                )
                time.sleep(1.0)
                line = f"# snippet changed while serving ({token})"  # no summary contains it
                seconds = timed(server, lambda line=line: append_line(snippet, line), own, line.removeprefix("# "))
                record(out, f"{mode}: snippet edit {rep + 1}", "snippet", seconds, progress)
                time.sleep(1.0)
            results[mode] = out
            log = server.log.read_text()
            for line in re.findall(r"termbook: rebuilt .*", log)[-2:]:
                progress(f"{mode}: {line}")
        finally:
            for tab in tabs:
                tab.close()
            server.stop()
    return results


def report(results: dict[str, dict[str, dict[str, list[float]]]], n: int, termbook: str) -> str:
    modes = [mode for mode in MODES if mode in results]
    counts = ", ".join(f"{mode} {len(results[mode]['all pages'][EDITS[0]])}" for mode in modes)
    lines = [
        f"Edit loop at {n} terms: seconds from the file write to the new HTML of the page a browser tab has open",
        "(viewed page), to the server having written every page the edit changes (all pages), and the CPU seconds",
        f"of the mkdocs serve process meanwhile (median, min–max; edits of each kind: {counts})",
        "",
        "| edit | " + " | ".join(f"{mode}: {m}" for mode in modes for m in MEASURES) + " | load average |",
        "|:--|" + "--:|" * (len(MEASURES) * len(modes)) + ":--|",
    ]

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{values[0]:.2f}"

    for edit in EDITS:
        cells = [cell(results[mode][m][edit]) for mode in modes for m in MEASURES]
        loads = [x for mode in modes for x in results[mode]["load"][edit]]
        cells.append(f"{min(loads):.1f}–{max(loads):.1f}")
        lines.append(f"| {edit} | {' | '.join(cells)} |")
    load = os.getloadavg()
    lines += [
        "",
        f"{platform.python_version()}, {os.cpu_count()} cores, termbook from {termbook}; "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end (1-minute load after each edit in the table)",
    ]
    return "\n".join(lines)


def termbook_path() -> str:
    """Where the server's ``termbook`` comes from (``PYTHONPATH`` or the virtual environment)."""
    found = subprocess.run(
        [sys.executable, "-c", "import termbook, pathlib; print(pathlib.Path(termbook.__file__).parent)"], capture_output=True, text=True
    )
    return found.stdout.strip() or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="terms in the synthetic glossary (default 1000)")
    parser.add_argument("--repeat", type=int, default=3, help="edits of each kind with the edit loop (default 3)")
    parser.add_argument("--whole-repeat", type=int, default=1, help="edits of each kind with whole rebuilds, minutes each (default 1)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES), help="whole, incremental or both (default)")
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep it (reused when it exists)")
    args = parser.parse_args()

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    work = args.keep or Path(tempfile.mkdtemp(prefix=f"termbook-serve-{args.size}-"))
    root = work / f"n{args.size}"
    try:
        if not (root / "mkdocs.yml").is_file():
            progress(f"generating {args.size} terms into {root}")
            generate(args.size, root)
        config = (root / "mkdocs.yml").read_text(encoding="utf-8")
        whole = config.replace("  - termbook\n", "  - termbook:\n      incremental_serve: false\n")
        if whole == config:
            raise SystemExit("mkdocs.yml has no '- termbook' plugin line to configure")
        (root / "mkdocs-whole.yml").write_text(whole, encoding="utf-8")
        print(report(measure(root, args.modes, args.repeat, args.whole_repeat, progress), args.size, termbook_path()))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
