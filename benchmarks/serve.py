"""The edit loop of `make serve`: from saving a file to the new HTML being served, side by side.

    .venv/bin/python benchmarks/serve.py                    # 1,000 terms; 3 edits of each kind, 1 with whole rebuilds
    .venv/bin/python benchmarks/serve.py --size 300 --repeat 1 --keep /tmp/tb-serve

It generates the synthetic glossary of ``benchmarks/build.py`` (same generator, same size of
prose and snippets), then for each mode starts the real ``python -m mkdocs serve --livereload``
(what ``make serve`` runs) on a free port, waits for its first build, and times two edits, each
``--repeat`` times (``--whole-repeat`` times with whole rebuilds, which take minutes each):

  term     the summary of a term that other terms list as related is rewritten; the clock stops
           when a page that lists it (not the term's own page) is served over http with the new
           summary in it (its related list and link tooltip)
  snippet  a comment line is added to a term's snippet, which runs again; the clock stops when
           the term's page is served with the new line in its code

Modes: ``whole`` is termbook with ``incremental_serve: false`` (MkDocs rebuilds the whole site
on every change, as before); ``incremental`` is the default (only the pages an edit changes).
Both modes serve the same files from the same snippet cache (the first build of the first mode
runs every snippet once; that build is not timed).

The time includes MkDocs' own delays: its file watcher polls every 0.5 s and waits 0.1 s for
writes to settle. The clock starts just before the file is written and stops when the response
that contains the change has been read; the page is requested every 20 ms (MkDocs holds requests
while it rebuilds).
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
        self.url = f"http://127.0.0.1:{self.port}/"
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
            if "Serving on" in self.log.read_text() and fetch(self.url + "terms/index.html"):
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


def timed(server: Server, write, url: str, marker: str, timeout: float = 900) -> tuple[float, float]:
    """Seconds from ``write()`` to a response of ``url`` that contains ``marker``, and the server's CPU seconds."""
    cpu = server.cpu()
    start = time.perf_counter()
    write()
    while time.perf_counter() - start < timeout:
        html = fetch(url)
        if html is not None and marker in html:
            return time.perf_counter() - start, server.cpu() - cpu
        time.sleep(0.02)
    raise SystemExit(f"{url} never showed {marker!r}")


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


def measure(root: Path, modes: list[str], repeat: int, whole_repeat: int, progress) -> dict[str, dict[str, list[float]]]:
    slug, lister = pick(root)
    module = slug.replace("-", "_")
    term_file, snippet = root / "terms" / f"{slug}.yml", root / "snippets" / f"{module}.py"
    results: dict[str, dict[str, list[float]]] = {}
    for mode in modes:
        config = "mkdocs.yml" if mode == "incremental" else "mkdocs-whole.yml"
        server = Server(root, config, root / f"serve-{mode}.log")
        try:
            started = server.wait_ready()
            progress(f"{mode}: first build served after {started:.1f} s")
            times: dict[str, list[float]] = {edit: [] for edit in EDITS}
            cpus: dict[str, list[float]] = {edit: [] for edit in EDITS}
            for rep in range(repeat if mode == "incremental" else whole_repeat):
                token = f"{mode} {rep} {time.time_ns()}"  # never in the files before, also in a kept folder
                summary = f"A summary rewritten by the serve benchmark ({token})."
                seconds, cpu = timed(server, lambda s=summary: edit_summary(term_file, s), server.url + f"terms/{lister}.html", summary)
                times["term"].append(seconds)
                cpus["term"].append(cpu)
                progress(f"{mode}: term edit {rep + 1}: {seconds:.2f} s (server CPU {cpu:.2f} s)")
                time.sleep(1.0)
                line = f"# snippet changed while serving ({token})"  # no summary contains it
                seconds, cpu = timed(
                    server,
                    lambda line=line: snippet.write_text(snippet.read_text(encoding="utf-8") + line + "\n", encoding="utf-8"),
                    server.url + f"terms/{slug}.html",
                    line.removeprefix("# "),
                )
                times["snippet"].append(seconds)
                cpus["snippet"].append(cpu)
                progress(f"{mode}: snippet edit {rep + 1}: {seconds:.2f} s (server CPU {cpu:.2f} s)")
                time.sleep(1.0)
            results[mode] = times
            results[f"{mode} CPU"] = cpus
            log = server.log.read_text()
            for line in re.findall(r"termbook: rebuilt .*", log)[-2:]:
                progress(f"{mode}: {line}")
        finally:
            server.stop()
    return results


def report(results: dict[str, dict[str, list[float]]], n: int) -> str:
    modes = [mode for mode in MODES if mode in results]
    counts = ", ".join(f"{mode} {len(results[mode][EDITS[0]])}" for mode in modes)
    lines = [
        f"Edit loop at {n} terms: seconds from the file write to the new HTML served, and the CPU seconds of the",
        f"mkdocs serve process meanwhile (median, min–max; edits of each kind: {counts})",
        "",
        "| edit | " + " | ".join(f"{mode} | {mode} CPU" for mode in modes) + (" | whole / incremental |" if len(modes) == 2 else " |"),
        "|:--|" + "--:|" * (2 * len(modes) + (len(modes) == 2)),
    ]

    def cell(values: list[float]) -> str:
        return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})" if len(values) > 1 else f"{values[0]:.2f}"

    for edit in EDITS:
        cells = [cell(results[key][edit]) for mode in modes for key in (mode, f"{mode} CPU")]
        if len(modes) == 2:
            cells.append(f"{statistics.median(results['whole'][edit]) / statistics.median(results['incremental'][edit]):.0f}×")
        lines.append(f"| {edit} | {' | '.join(cells)} |")
    load = os.getloadavg()
    lines += ["", f"{platform.python_version()}, {os.cpu_count()} cores, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} at the end"]
    return "\n".join(lines)


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
        print(report(measure(root, args.modes, args.repeat, args.whole_repeat, progress), args.size))
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
