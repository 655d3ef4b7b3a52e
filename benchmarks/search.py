"""Search and page load in a real browser at 153, 1,000 and 10,000 real-size terms: termbook's search
against Material's (the baseline), side by side.

    .venv/bin/python benchmarks/search.py generate --sizes 1000 10000
    .venv/bin/python benchmarks/search.py build --sizes 153 1000 10000        # site-old and site-new
    .venv/bin/python benchmarks/search.py measure --sizes 153 1000 10000 --json results.json
    .venv/bin/python benchmarks/search.py search-data --sizes 10000 --shell /tmp/search-bench/1000/site-new

``generate`` copies the glossary's own terms (renamed) up to N into ``<out>/<N>/project``: copy k
of "Batch Normalization" is "Sparse Batch Normalization" with the aliases "Sparse BatchNorm",
"Sparse BN", ..., its related terms and prerequisites are the same copy's, and its snippet is a
copy of the original's, so every page has the length and structure of a real one. Snippets are not
run (``run_snippets: false``): search data never holds code or its output, and running 10,000
snippets takes hours.

``build`` builds each glossary into ``site-old`` with the code of ``--baseline`` (the last commit
with Material's lunr search, checked out with ``git archive``) and into ``site-new`` with this
working tree's code. A site that exists is kept: a large build takes long on a shared machine.
``search-data`` is for when it takes too long: ``site-data`` is the home page and one term page
of ``--shell`` (a built site) with the search data of N terms made by the build's own code from
each term's rendered prose (see :func:`search_data_site`); it measures search, not the site.

``measure`` opens each site in headless Chromium, from ``file://`` and over http (a local
``http.server``). Page load: a term page in a fresh context, ``loadEventEnd`` and the main thread's
long tasks until 3 s after it (what the page does with cards and search data it loads). Search: a
fresh context opens the home page and, once it has loaded, types each query into Material's search
box (30 ms a key); the first query is *cold* (right after the page has loaded, whatever the search
has still to load or build), the others *warm*. For each it records the time from the last key to
the first result in the list and to the expected term page being the first result, from a
MutationObserver in the page (``performance.now()``). Medians over ``--repeat`` pages (the cold
query rotates through the list); nothing here is an assertion. Data sizes are the files' bytes.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
BASELINE = "db4f4f2"  # main before the search work: Material's lunr search, cards.js on every page
_PREFIXES = (
    "Sparse Adaptive Stochastic Residual Gated Spectral Contrastive Hierarchical Variational Bayesian Recurrent "
    "Convolutional Attentive Robust Latent Causal Masked Quantized Federated Online Local Global Deep Shallow Dense "
    "Cyclic Implicit Explicit Weighted Normalized Regularized Temporal Multiscale Orthogonal Probabilistic "
    "Differentiable Invariant Structured Annealed Amortized Bidirectional Conditional Discrete Distributed Dynamic "
    "Elastic Empirical Ensemble Episodic Equivariant Factorized Graphical Hybrid Incremental Inductive Kernelized "
    "Lifelong Modular Nonlinear Nonparametric Offline Parallel Partial Progressive Randomized Recursive Relational "
    "Semantic Sequential Smooth Streaming Symbolic Transductive Uniform"
)
PREFIXES = _PREFIXES.split()
COPIED = ("mkdocs.yml", "notation.yml", "site_src", "schema")


def renamed(text: str, prefix: str) -> str:
    return f"{prefix} {text}"


def _folded(term: dict) -> str:
    return str(term["term"]).casefold()


def _names(term: dict, prefix: str) -> set[str]:
    return {renamed(str(a), prefix).casefold() for a in [term["term"], *(term.get("aliases") or [])]}


def generate(n: int, root: Path) -> int:
    """A project at ``root`` with the glossary's terms copied (renamed) up to ``n``; returns the count."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            shutil.copytree(src, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, root / name)
    shutil.copytree(REPO / "snippets", root / "snippets", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "terms", root / "terms")
    if (REPO / ".cache" / "termbook" / "tutorials").is_dir():  # executed tutorials, keyed on what they import
        shutil.copytree(REPO / ".cache" / "termbook" / "tutorials", root / ".cache" / "termbook" / "tutorials")
    config = (root / "mkdocs.yml").read_text(encoding="utf-8")
    config = re.sub(r"^  - termbook$", "  - termbook:\n      run_snippets: false", config, count=1, flags=re.M)
    (root / "mkdocs.yml").write_text(config, encoding="utf-8")

    originals = sorted((REPO / "terms").glob("*.yml"))
    data = {p.stem: yaml.safe_load(p.read_text(encoding="utf-8")) for p in originals}
    taken = set(data) | {_folded(t) for t in data.values()}
    for term in data.values():
        taken |= {a.casefold() for a in term.get("aliases") or []}
    count = len(originals)
    for prefix in PREFIXES:
        if count >= n:
            break
        # a copy whose slug or names another term already has ("Stochastic" + "Gradient Descent") is left out
        batch = [s for s in data if f"{prefix.lower()}-{s}" not in taken and not _names(data[s], prefix) & taken][: n - count]
        slugs = {slug: f"{prefix.lower()}-{slug}" for slug in batch}
        for slug in batch:
            term = dict(data[slug])
            new = slugs[slug]
            term["term"] = renamed(term["term"], prefix)
            for key in ("aliases", "plurals", "no_autolink"):
                if term.get(key):
                    term[key] = [renamed(a, prefix) for a in term[key]]
            for key in ("related", "prerequisites"):
                if term.get(key):
                    term[key] = [slugs.get(s, s) for s in term[key]]
            term.pop("snippet", None)
            source = REPO / "snippets" / f"{slug.replace('-', '_')}.py"
            if source.is_file():
                shutil.copy2(source, root / "snippets" / f"{new.replace('-', '_')}.py")
            text = yaml.safe_dump(term, sort_keys=False, allow_unicode=True, width=10_000)
            (root / "terms" / f"{new}.yml").write_text(text, encoding="utf-8")
            taken |= {new} | _names(data[slug], prefix)
        count += len(batch)
    return count


# --- building ------------------------------------------------------------------------------------


def baseline_code(out: Path, ref: str) -> Path:
    """The plugin code of ``ref`` (``git archive``), for the baseline builds; its plugins folder."""
    target = out / f"code-{ref}"
    if not (target / "plugins" / "termbook").is_dir():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", ref, "plugins"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target / "plugins"


def build(project: Path, site: Path, plugins: Path) -> float:
    """``mkdocs build --strict`` of ``project`` into ``site`` with termbook from ``plugins``; seconds taken."""
    env = dict(os.environ, PYTHONPATH=str(plugins), NO_MKDOCS_2_WARNING="1")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)], cwd=project, env=env, capture_output=True, text=True
    )
    if proc.returncode:
        raise SystemExit(f"build of {project} failed:\n{proc.stderr[-3000:]}")
    return time.monotonic() - start


def search_data_site(project: Path, shell: Path, target: Path) -> None:
    """A site for measuring search alone: ``shell``'s home and one term page, with search data for ``project``.

    For when a whole build of a large glossary takes too long on a loaded machine. The search data
    is made by the same code a build uses (:func:`term_index_js`, :class:`TextIndex`) from each
    term's prose rendered with the site's Markdown extensions (its page's sections that are
    indexed; links are not resolved, which changes no word); other pages are left out.
    """
    from termbook.loading import load_terms
    from termbook.markdown_html import MarkdownProfile, to_html
    from termbook.project import Project
    from termbook.search_index import TextIndex, term_index_js

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for name in ("index.html", "assets", "search", "terms/batch-normalization.html"):
        src = shell / name
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, target / name)
    terms, problems = load_terms(Project.discover(project))
    renderer = MarkdownProfile.from_mkdocs_yml(project / "mkdocs.yml").renderer()
    rendered: dict[str, str] = {}  # copies share their prose with the original: render it once

    def html(markdown: str | None) -> str:
        if not markdown:
            return ""
        if markdown not in rendered:
            rendered[markdown] = to_html(renderer, markdown)
        return rendered[markdown]

    index = TextIndex()
    for term in terms:
        d = term.data
        parts = [f"<h1>{term.name}</h1><h2>What is {term.name}?</h2>", html(d.definition), html(d.how_it_works), html(d.example)]
        parts += [html(d.why_it_matters)]
        parts += [f"<h3>{p.mistake}</h3>" + html(p.spot) + html(p.fix) for p in d.pitfalls]
        parts += [f"<p>{f.q}</p>" + html(f.a) for f in d.faq]
        parts += [f"<li>{r.authors or ''} {r.title}</li>" for r in d.references]
        index.add(f"terms/{term.slug}.html", term.name, "".join(parts), summary=d.summary)
    (target / "assets" / "termbook" / "terms.js").write_text(term_index_js(terms, lambda slug: f"terms/{slug}.html"), encoding="utf-8")
    (target / "assets" / "termbook" / "search-text.js").write_text(index.js(), encoding="utf-8")
    (target / "terms.json").write_text(json.dumps({"terms": [{"slug": t.slug} for t in terms]}), encoding="utf-8")


# --- measuring -------------------------------------------------------------------------------------

# (query, the term page that should come first); the queries, a name and a definition word
QUERIES = [
    ("batch no", "batch-normalization"),
    ("BN", "batch-normalization"),
    ("lstm", "lstm"),
    ("transformers", "transformer"),
    ("epochs", "epoch"),
    ("relu", "activation-function"),
    ("SGD", "stochastic-gradient-descent"),
    ("Dropout", "dropout"),
    ("covariate", "batch-normalization"),
]
CHROMIUM = Path(os.environ.get("TERMBOOK_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]

# In the page (Playwright's evaluate is not subject to the page's CSP): the time of the last
# keystroke, of the first result of any kind, and of the first result that is the expected page.
WATCH = """expected => {
  if (window.__bench) {
    Object.assign(window.__bench, { expected, typed: null, any: null, right: null, last: null });
    return;
  }
  const list = document.querySelector(".md-search-result__list");
  const box = document.querySelector(".md-search__input");
  const w = window.__bench = { expected, typed: null, any: null, right: null, last: null };
  box.addEventListener("keyup", () => { w.typed = performance.now(); w.any = w.right = w.last = null; }, true);
  new MutationObserver(() => {
    const a = list.querySelector("li.md-search-result__item a.md-search-result__link");
    if (!a || w.typed === null) return;
    const t = performance.now();
    w.last = t;
    if (w.any === null) w.any = t;
    if (w.right === null && new URL(a.href).pathname.endsWith("/" + w.expected)) w.right = t;
  }).observe(list, { childList: true, subtree: true });
}"""


# the main thread's long tasks (over 50 ms) from the start of the page, summed
LONG_TASKS = """window.__longTasks = 0;
new PerformanceObserver(list => { for (const e of list.getEntries()) window.__longTasks += e.duration; })
  .observe({ type: "longtask", buffered: true });"""


class Server:
    """The sites under ``root`` over http on 127.0.0.1 (a thread), for as long as the benchmark runs."""

    def __init__(self, root: Path):
        class Quiet(http.server.SimpleHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def handle(self):
                try:
                    super().handle()
                except ConnectionError:  # the browser drops what it no longer needs
                    pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"


def page_url(root: Path, site: Path, scheme: str, server: Server, path: str) -> str:
    if scheme == "file":
        return (site / path).as_uri()
    return server.url + (site / path).relative_to(root).as_posix()


def search_once(page, query: str, expected: str, timeout: float) -> dict:
    """Type ``query`` (30 ms a key, as a quick reader); the times after the last key, in seconds."""
    page.evaluate(WATCH, f"terms/{expected}.html")
    box = page.locator(".md-search__input")
    box.click(timeout=timeout * 1000)
    box.press_sequentially(query, delay=30, timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    state: dict = {}
    settled_at = None
    while time.monotonic() < deadline:
        state = page.evaluate(
            "() => window.__bench && { typed: __bench.typed, any: __bench.any, right: __bench.right, last: __bench.last }"
        )
        if state and state["right"] is not None:
            break
        # a list that has not changed for a second is the answer, right or not
        if state and state["any"] is not None and state["last"] is not None:
            if settled_at == state["last"] and page.evaluate("() => performance.now()") - state["last"] > 1000:
                break
            settled_at = state["last"]
        page.wait_for_timeout(20)
    first = page.locator(".md-search-result__list li.md-search-result__item a.md-search-result__link").first
    top = first.get_attribute("href") if first.count() else None
    result = {"query": query, "expected": expected, "first_result": top}
    for key in ("any", "right"):
        value = state.get(key) if state else None
        result[key] = None if value is None or state.get("typed") is None else round((value - state["typed"]) / 1000, 3)
    # clear the box for the next query
    box.fill("")
    box.press("Backspace")
    page.wait_for_timeout(200)
    return result


try:
    from playwright.sync_api import Error as PlaywrightError
except ImportError:  # generate and build need no browser
    PlaywrightError = Exception  # type: ignore[misc,assignment]


def measure_site(browser, root: Path, site: Path, scheme: str, server: Server, repeat: int, timeout: float) -> dict:
    """Search and page load of one site from one scheme: ``repeat`` fresh pages, queries in turn."""
    runs = []
    loads = []
    for r in range(repeat):
        # page load: a term page in a fresh context, then 3 s for what loads after it (lazy data, workers)
        context = browser.new_context()
        context.add_init_script(LONG_TASKS)
        page = context.new_page()
        page.goto(page_url(root, site, scheme, server, "terms/batch-normalization.html"), wait_until="load", timeout=timeout * 1000)
        page.wait_for_timeout(3000)
        loads.append(
            page.evaluate(
                """() => {
                  const nav = performance.getEntriesByType("navigation")[0];
                  return { load: nav.loadEventEnd / 1000, dom: nav.domContentLoadedEventEnd / 1000,
                           blocked: window.__longTasks / 1000,
                           heap: performance.memory ? performance.memory.usedJSHeapSize : null };
                }"""
            )
        )
        context.close()
        # search: the first query right after the page has loaded (cold), the others after it (warm)
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.goto(page_url(root, site, scheme, server, "index.html"), wait_until="load", timeout=timeout * 1000)
        order = QUERIES[r % len(QUERIES) :] + QUERIES[: r % len(QUERIES)]
        results = []
        for i, (query, expected) in enumerate(order):
            try:
                result = search_once(page, query, expected, timeout if i == 0 else min(timeout, 15.0))
            except PlaywrightError as error:  # a page too busy to take a click, a crashed tab
                result = {"query": query, "expected": expected, "first_result": None, "any": None, "right": None}
                errors.append(f"{query!r}: {str(error).splitlines()[0]}")
            result["cold"] = i == 0
            results.append(result)
        runs.append({"results": results, "errors": errors})
        context.close()
    return {"runs": runs, "loads": loads}


def summary(measured: dict) -> dict:
    results = [r for run in measured["runs"] for r in run["results"]]

    def median(values):
        values = [v for v in values if v is not None]
        return round(statistics.median(values), 3) if values else None

    cold = [r for r in results if r["cold"]]
    warm = [r for r in results if not r["cold"]]
    by_query = {}
    for query, _ in QUERIES:
        rows = [r for r in results if r["query"] == query]
        by_query[query] = {
            "right_first": sum(r["right"] is not None for r in rows),
            "of": len(rows),
            "warm_right_s": median(r["right"] for r in rows if not r["cold"]),
        }
    return {
        "cold_any_s": median(r["any"] for r in cold),
        "cold_right_s": median(r["right"] for r in cold),
        "cold_misses": sum(r["right"] is None for r in cold),
        "warm_any_s": median(r["any"] for r in warm),
        "warm_right_s": median(r["right"] for r in warm),
        "right_first": f"{sum(r['right'] is not None for r in results)}/{len(results)}",
        "by_query": by_query,
        "load_s": median(x["load"] for x in measured["loads"]),
        "blocked_s": median(x["blocked"] for x in measured["loads"]),
        "heap_mb": median((x["heap"] or 0) / 2**20 for x in measured["loads"]),
        "errors": sorted({e for run in measured["runs"] for e in run["errors"]})[:5],
    }


def data_bytes(site: Path) -> dict:
    """Bytes of search and preview data a reader's browser loads, by file."""
    files = {
        "material_index": site / "search" / "search_index.json",
        "cards": site / "assets" / "termbook" / "cards.js",
        "terms": site / "assets" / "termbook" / "terms.js",
        "text": site / "assets" / "termbook" / "search-text.js",
    }
    return {name: path.stat().st_size for name, path in files.items() if path.is_file()}


def terms_in(site: Path) -> int:
    return len(json.loads((site / "terms.json").read_text(encoding="utf-8"))["terms"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["generate", "build", "search-data", "measure", "all"])
    parser.add_argument("--sizes", type=int, nargs="+", default=[153, 1000, 10000])
    parser.add_argument("--out", type=Path, default=Path("/tmp/search-bench"))
    parser.add_argument("--baseline", default=BASELINE, help="commit whose code builds site-old (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for a cold first result")
    parser.add_argument("--schemes", nargs="+", default=["file", "http"], choices=["file", "http"])
    parser.add_argument("--versions", nargs="+", default=["old", "new"], choices=["old", "new", "data"])
    parser.add_argument("--shell", type=Path, help="search-data: the built site whose pages host the search data")
    parser.add_argument("--json", type=Path, help="write the measurements here")
    args = parser.parse_args()
    out = args.out.resolve()
    for n in args.sizes:
        project = out / str(n) / "project"
        if args.command in ("generate", "all") or (args.command == "build" and not project.is_dir()):
            print(f"{n}: {generate(n, project)} terms in {project}", flush=True)
        if args.command in ("build", "all"):
            code = {"old": baseline_code(out, args.baseline), "new": REPO / "plugins"}
            for version in args.versions:
                site = out / str(n) / f"site-{version}"
                if site.is_dir() and (site / "terms.json").is_file():
                    print(f"{n} {version}: {site} exists, kept", flush=True)
                    continue
                print(f"{n} {version}: built in {build(project, site, code[version]):.0f} s", flush=True)
        if args.command == "search-data":
            search_data_site(project, args.shell, out / str(n) / "site-data")
            print(f"{n}: search data in {out / str(n) / 'site-data'}", flush=True)
    if args.command not in ("measure", "all"):
        return
    from playwright.sync_api import sync_playwright

    server = Server(out)
    report = {"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "sites": []}
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        report["machine"]["chromium"] = browser.version
        for n in args.sizes:
            for version in args.versions:
                site = out / str(n) / f"site-{version}"
                count = terms_in(site)
                sizes = data_bytes(site)
                for scheme in args.schemes:
                    started = time.monotonic()
                    measured = measure_site(browser, out, site, scheme, server, args.repeat, args.timeout)
                    row = {"terms": count, "version": version, "scheme": scheme, "bytes": sizes, **summary(measured), "raw": measured}
                    report["sites"].append(row)
                    search_bytes = sum(v for k, v in sizes.items() if k != "cards")
                    print(
                        f"{count:>6} {version} {scheme:<4} cold first right {row['cold_right_s']} s (any {row['cold_any_s']} s, "
                        f"misses {row['cold_misses']}), warm {row['warm_right_s']} s, right first {row['right_first']}, "
                        f"load {row['load_s']} s, main thread blocked {row['blocked_s']} s in the 3 s after, heap {row['heap_mb']:.0f} MB, search data {search_bytes / count:.0f} B/term "
                        f"[{time.monotonic() - started:.0f} s]",
                        flush=True,
                    )
                    if row["errors"]:
                        print("      errors:", row["errors"], flush=True)
        browser.close()
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(table(report))


def table(report: dict) -> str:
    """Old against new, side by side: first-result times (cold, warm), right first, page load, bytes per term."""
    rows = {(r["terms"], r["scheme"], r["version"]): r for r in report["sites"]}
    lines = [
        "| terms | from | first result, cold: old → new (ratio) | the term first, cold: new | warm: old → new "
        "| term first (all queries): old → new | page load: old → new | main thread blocked: old → new "
        "| search data B/term: old → new |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for terms, scheme in sorted({(t, s) for t, s, _ in rows}):
        old, new = rows.get((terms, scheme, "old")), rows.get((terms, scheme, "new"))
        if not old or not new:
            continue

        def per_term(r):
            return sum(v for k, v in r["bytes"].items() if k != "cards") / r["terms"]

        ratio = f" ({old['cold_any_s'] / new['cold_any_s']:.0f}×)" if old["cold_any_s"] and new["cold_any_s"] else ""
        lines.append(
            f"| {terms:,} | {scheme} | {old['cold_any_s']} → {new['cold_any_s']} s{ratio} | {new['cold_right_s']} s "
            f"| {old['warm_any_s']} → {new['warm_any_s']} s | {old['right_first']} → {new['right_first']} "
            f"| {old['load_s']} → {new['load_s']} s | {old['blocked_s']} → {new['blocked_s']} s "
            f"| {per_term(old):,.0f} → {per_term(new):,.0f} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
