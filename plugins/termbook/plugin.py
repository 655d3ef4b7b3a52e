"""The MkDocs adapter: translates MkDocs events into calls to the termbook core.

This is the only module that imports ``mkdocs`` (and only ``mkdocs.*``, so it also runs on
ProperDocs). Each hook is a guard, one call and a report; the work is in :mod:`termbook.finishing`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from mkdocs.commands.build import _build_page, _populate_page
from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.toc import AnchorLink, TableOfContents

from .errors import Problem, format_report
from .finishing import SCRIPTS, STYLES, Site, prepare_site
from .glossary import BuildOptions
from .incremental import LiveGlossary, Outcome, Stamp, Update, take_stamps, with_error_banner
from .page_cache import FinishedPage, Heading, PageCache, RenderContext, page_key
from .project import Project
from .search_index import TextIndex, write_search_data
from .serving import OpenPages, Order, PendingFiles, order_pages, watch_requests

log = get_plugin_logger(__name__)


class TermbookConfig(Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off without removing it from mkdocs.yml."""
    terms_dir = c.Type(str, default="terms")
    """Directory of term files, relative to mkdocs.yml."""
    snippets_dir = c.Type(str, default="snippets")
    """Directory of snippets, relative to mkdocs.yml; it is the package snippets import from."""
    url_prefix = c.Type(str, default="terms")
    """Where term pages and the A–Z index go in the site, e.g. `glossary`."""
    files_prefix = c.Type(str, default="")
    """Where the graph page, figures, notebooks and terms.json go in the site (default: its root)."""
    run_snippets = c.Type(bool, default=True)
    """Run and verify snippets during the build (False shows the code without output)."""
    cache_dir = c.Type(str, default=".cache/termbook")
    """Where snippet runs and generated pages are cached, relative to mkdocs.yml."""
    force = c.Type(bool, default=False)
    """Ignore the cache and run every snippet."""
    jobs = c.Optional(c.Type(int))
    """Snippets run in parallel; default: one per core."""
    notation_file = c.Type(str, default="notation.yml")
    """The shared notation (a list of {symbol, meaning}), relative to mkdocs.yml; a notation page when it exists."""
    template = c.Optional(c.Type(str))
    """A Jinja template for term pages, relative to mkdocs.yml; default: the packaged one."""
    execute_tutorials = c.Type(bool, default=True)
    """Run tutorials/*.ipynb (cached) and hand the executed copies to mkdocs-jupyter."""
    content_security_policy = c.Type(bool, default=True)
    """Put a Content-Security-Policy in every built page (not under `mkdocs serve`, whose reload script is inline)."""
    incremental_serve = c.Type(bool, default=True)
    """Under `mkdocs serve`, an edit of a term file or snippet rebuilds only the pages it changes (False: the whole site)."""
    page_cache = c.Type(bool, default=True)
    """Keep finished term pages between builds: a build converts only the term pages whose Markdown, or anything
    their HTML depends on, changed (False: convert every page every time)."""


class TermbookPlugin(BasePlugin[TermbookConfig]):
    project: Project
    site: Site | None = None
    serving = False
    live: LiveGlossary | None = None  # under `mkdocs serve`: the glossary kept between rebuilds
    _finishing: threading.Thread | None = None  # makes the rest of an update once the viewed pages are served
    _unfinished = False  # it failed: the next change builds the whole site
    open_pages: OpenPages  # under `mkdocs serve`: the pages browsers have open
    pending: PendingFiles  # and the files an update is still writing, which requests wait for
    _built: _Built | None = None  # and what MkDocs made of it, to make single pages again
    search: TextIndex | None = None  # filled as pages are rendered; kept across `mkdocs serve` rebuilds
    pages: PageCache | None = None  # finished term pages of earlier builds
    _context: RenderContext | None = None  # what every page's conversion depends on, for this build's files
    _reused: dict[str, FinishedPage]  # term pages whose conversion is skipped, by source path
    _converting: dict[str, tuple[str, int]]  # term pages being converted: (cache key, warnings logged before)

    def on_startup(self, *, command, dirty) -> None:
        self.serving = command == "serve"
        self.open_pages, self.pending = OpenPages(), PendingFiles()

    @event_priority(-100)  # after Material's offline plugin, whose CDN shim we replace
    def on_config(self, config):
        if not self.config.enabled:
            return
        root = Path(config.config_file_path or ".").resolve().parent
        if _WARNINGS not in (logger := logging.getLogger("mkdocs")).handlers:
            logger.addHandler(_WARNINGS)
        self.project = Project.create(root, dict(self.config), Path(config.docs_dir))
        config.watch += [str(self.project.terms_dir), str(self.project.snippets_dir)]  # `mkdocs serve` reloads
        config.watch += [str(path) for path in (self.project.notation_file, self.project.template) if path and path.is_file()]
        config.extra_css += [self.project.layout.asset(name) for name in STYLES]
        config.extra_javascript += [self.project.layout.asset(name) for name in SCRIPTS]  # previews, graph explorer
        shim = self.project.layout.asset("iframe-worker-shim.js")
        config.extra["polyfills"] = [shim if "iframe-worker" in url else url for url in config.extra.get("polyfills") or []]

    @event_priority(50)  # before mkdocs-jupyter wraps the tutorials, which we hand it executed
    def on_files(self, files: Files, *, config) -> Files:
        if not self.config.enabled:
            return files
        options = BuildOptions(self.project, run_snippets=self.config.run_snippets, force=self.config.force, jobs=self.config.jobs)
        tutorials = [
            Path(f.abs_src_path) for f in files if f.abs_src_path and f.src_uri.startswith("tutorials/") and f.src_uri.endswith(".ipynb")
        ]
        keep = self.serving and self.config.incremental_serve
        stamps = take_stamps(self.project) if keep else {}
        docs = _docs_stamps(config) if keep else {}
        self._close_live()
        site = prepare_site(
            options, directory_urls=config.use_directory_urls, tutorials=tutorials, execute_tutorials=self.config.execute_tutorials
        )
        if site.build.errors:
            raise PluginError("termbook: the term files have problems\n" + format_report(site.build.errors))
        _report(site.problems)
        ran = sum(not r.cached for r in site.build.results.values())
        log.info(f"{len(site.build.terms)} terms, {len(site.build.results)} snippets ({ran} run, {len(site.build.results) - ran} cached)")
        for item in site.files:
            if item.replaces and (old := files.get_file_from_path(item.path)) is not None:
                files.remove(old)
            files.append(File.generated(config, item.path, abs_src_path=str(item.source)))
        site.site_url, site.site_name, site.csp = config.site_url or "", config.site_name, self._csp
        self.site = site
        if keep:
            self.live = LiveGlossary(site, options, stamps)
            self._built = _Built(config, docs)
        self.search = self.search or TextIndex()
        self.search.retain(f.url for f in files.documentation_pages())
        self.pages = PageCache(self.project.cache_dir, enabled=self.config.page_cache)
        self._context = None  # made from the site's files once every plugin has added its own
        self._reused, self._converting = {}, {}
        return files

    def on_nav(self, nav, *, config, files):
        if self._built is not None:
            self._built.nav, self._built.files = nav, files

    def on_env(self, env, *, config, files):
        if self._built is not None:
            self._built.env = env

    def on_serve(self, server, *, config, builder):
        """Rebuild only what an edit of the glossary changes; anything else goes to MkDocs' whole build."""
        if not self.config.enabled or not self.config.incremental_serve:
            return server
        whole = server.builder
        server.set_app(watch_requests(server.get_app(), server.mount_path, self.open_pages, self.pending))

        def rebuild(config=None):
            self._join_finishing()  # a whole build begins by emptying the site folder
            try:
                if config is None and self._rebuild_pages():
                    return
            except Exception as exc:
                log.warning(f"rebuilding only the changed pages failed ({type(exc).__name__}: {exc}); building the whole site")
            whole(config)

        server.builder = rebuild
        return server

    def on_shutdown(self) -> None:
        self._close_live()

    def _rebuild_pages(self) -> bool:
        """Bring the served site up to date after an edit, or False when MkDocs must build it all.

        Returns once the pages of the edited terms and the changed pages browsers have open are
        written (MkDocs then reloads the browsers); a thread makes the other pages meanwhile, and
        a request for one of them waits until it is written.
        """
        live, built = self.live, self._built
        if live is None or built is None or built.env is None or built.files is None:
            return False
        self._join_finishing()
        if self._unfinished:
            self._unfinished = False
            log.info("the last update did not finish: building the whole site")
            return False
        if _docs_stamps(built.config) != built.docs:
            return False  # a page of the docs folder or mkdocs.yml changed: MkDocs builds the site
        start = time.perf_counter()
        update = live.update()
        if update.outcome is Outcome.UNCHANGED:
            log.info("nothing in the glossary changed")
            return True
        if update.outcome is Outcome.BROKEN:
            log.error("the edit cannot be built; still serving the last good site until it is fixed:\n" + format_report(update.problems))
            self._mark_broken(update.problems)
            return True
        self._mark_broken([])
        if update.outcome is Outcome.FULL:
            log.info(f"{update.reason}: building the whole site")
            return False
        _report(update.problems)
        files = built.files
        pages = {path: f for path in update.pages if (f := files.get_file_from_path(path)) is not None and f.page is not None}
        if len(pages) != len(update.pages):
            return False
        updated = time.perf_counter()
        by_dest = {f.dest_uri: path for path, f in pages.items()}
        order = order_pages(update.pages, update.edited, [by_dest[d] for d in self.open_pages.recent() if d in by_dest])
        copied = [f for path in update.files if (f := files.get_file_from_path(path)) is not None]
        search = self.project.layout.asset("search-text.js")
        self.pending.hold([f.dest_uri for f in [*pages.values(), *copied]] + [search])
        doc_files = files.documentation_pages(inclusion=InclusionLevel.is_in_serve)
        try:
            for path in order.first:
                self._make_page(pages[path], doc_files)
            for file in copied:
                file.copy_file()
                self.pending.done(file.dest_uri)
        except BaseException:
            self.pending.release()
            raise
        served = time.perf_counter()
        times = _Times(start, updated, served)
        rest = [pages[path] for path in order.rest]
        self._finishing = threading.Thread(
            target=self._finish, args=(live, rest, doc_files, update, order, times), name="termbook-rest", daemon=True
        )
        self._finishing.start()
        return True

    def _make_page(self, file: File, doc_files: Sequence[File]) -> None:
        """Make a page's HTML again (MkDocs' own two steps), then let the requests waiting for it through."""
        built = self._built
        assert file.page is not None and built is not None and built.files is not None and built.nav is not None and built.env is not None
        # MkDocs 1.x is frozen, so its two steps of one page are safe to call: read and render
        # the Markdown (with every plugin's page hooks), then the theme's template, then write it
        _populate_page(file.page, built.config, built.files)
        _build_page(file.page, built.config, doc_files, built.nav, built.env)
        self.pending.done(file.dest_uri)

    def _finish(self, live: LiveGlossary, rest: list[File], doc_files: Sequence[File], update: Update, order: Order, times: _Times) -> None:
        """The rest of an update, after the browsers reload: the other pages, the search data, terms.json.

        A failure is logged and the next change builds the whole site, so the site is never stale unsaid.
        """
        built = self._built
        assert built is not None and built.files is not None
        files = built.files
        try:
            for file in rest:
                self._make_page(file, doc_files)
            site_dir = Path(built.config.site_dir)
            if self.search is not None:  # the pages made again have replaced their own full-text entries
                write_search_data(site_dir, self.project.layout.asset("search-text.js"), self.search)
            log.info(_rebuilt(update, order, times, time.perf_counter()))  # said before any request is let through
            self.pending.release()
            for path in live.finish():  # terms.json: no page shows it
                if (copied := files.get_file_from_path(path)) is not None:
                    copied.copy_file()
        except Exception as exc:
            self._unfinished = True
            log.warning(f"making the pages of the last edit failed ({type(exc).__name__}: {exc}); the next change builds the whole site")
        finally:
            self.pending.release()

    def _join_finishing(self) -> None:
        if self._finishing is not None:
            self._finishing.join()
            self._finishing = None

    def _mark_broken(self, problems: list[Problem]) -> None:
        """Put the errors on the served pages of the terms whose files have them (none: take them away)."""
        built = self._built
        assert built is not None and built.files is not None
        layout = self.project.layout
        by_page: dict[str, list[Problem]] = {}
        for problem in problems:
            path = Path(problem.file)
            if path.suffix in (".yml", ".yaml"):
                by_page.setdefault(layout.term_page(path.stem), []).append(problem)
        for page in built.broken | by_page.keys():
            file = built.files.get_file_from_path(page)
            if file is None or not Path(file.abs_dest_path).is_file():
                continue
            served = Path(file.abs_dest_path)
            served.write_text(with_error_banner(served.read_text(encoding="utf-8"), by_page.get(page, [])), encoding="utf-8")
        built.broken = set(by_page)

    def _close_live(self) -> None:
        self._join_finishing()
        if self.live is not None:
            self.live.close()
            self.live = None

    @event_priority(-100)  # last: the Markdown as every other plugin left it is what is converted
    def on_page_markdown(self, markdown: str, *, page, config, files) -> str:
        src = page.file.src_uri
        if not self.site or self.pages is None or not self.pages.enabled or self.site.slug_of(src) is None:
            return markdown  # only term pages: what else a page's HTML depends on is known for them
        if self._context is None:
            self._context = RenderContext.of(
                extensions=config.markdown_extensions,
                extension_configs=config.mdx_configs,
                directory_urls=config.use_directory_urls,
                files=[(f.src_uri, f.url) for f in files],
                plugins=list(config.plugins),
            )
        key = page_key(self._context, src, page.url, markdown, page.meta)
        finished = self.pages.get(key)
        if finished is None:
            self._converting[src] = (key, _WARNINGS.count)
            return markdown
        self._reused[src] = finished
        return ""  # nothing to convert: on_page_content puts the finished page in

    @event_priority(-100)  # last: after every other plugin has changed the content
    def on_page_content(self, html: str, *, page, config, files) -> str:
        if not self.site:
            return html
        src = page.file.src_uri
        if (finished := self._reused.pop(src, None)) is not None:
            html = self.site.reuse(src, finished.html, finished.parked)
            _restore(page, finished, files)
            problems: list[Problem] = []
        else:
            html, problems = self.site.content(html, src)
            key, warnings_before = self._converting.pop(src, ("", 0))
            if key and self.pages is not None and not problems and _WARNINGS.count == warnings_before:
                self.pages.put(key, _finished(page, html, self.site.parked.get(src, [])))
        _report(problems)
        if self.search is not None:
            if not (page.meta.get("search") or {}).get("exclude"):  # the A–Z index, tags, paths, graph: not searched
                self.search.add(page.url, page.title or "", html, summary=self.site.summary_of(page.file.src_uri))
            page.meta["search"] = {"exclude": True}  # Material's index stays empty: termbook's worker searches
        return html

    def on_post_page(self, output: str, *, page, config) -> str:
        # after the search plugin has read the page: it indexes the LaTeX as written and does not
        # walk the highlighted code, MathML or graph pictures
        if not self.site:
            return output
        output, problems = self.site.page(output, page.file.src_uri, page.content or "")
        _report(problems)
        return output

    def on_post_template(self, output_content: str, *, template_name: str, config) -> str:
        if not self.site or not template_name.endswith(".html"):
            return output_content
        return self.site.template(output_content)

    @event_priority(-50)  # after the search plugin writes its index, before offline inlines it
    def on_post_build(self, *, config) -> None:
        if self.site and self.search is not None:
            write_search_data(Path(config.site_dir), self.site.build.project.layout.asset("search-text.js"), self.search)
        if self.site and self.pages is not None and self.pages.enabled:
            if not self.serving:  # a whole build used every entry it still needs
                self.pages.prune()
            log.info(f"page cache: {self.pages.reused} term pages reused, {self.pages.kept} converted and kept")

    @property
    def _csp(self) -> bool:
        return self.config.content_security_policy and not self.serving


class _Built:
    """What MkDocs built from the glossary under `mkdocs serve`: enough to make single pages again."""

    def __init__(self, config, docs: dict[str, Stamp]):
        self.config = config
        self.docs = docs  # the docs folder and mkdocs.yml as they were
        self.broken: set[str] = set()  # served pages that show the errors of the last edit
        self.files: Files | None = None
        self.nav: Navigation | None = None
        self.env: jinja2.Environment | None = None


@dataclass(frozen=True)
class _Times:
    """When an update began, when the glossary was brought up to date, when the first pages were served."""

    start: float
    updated: float
    served: float


def _rebuilt(update: Update, order: Order, times: _Times, end: float) -> str:
    """The log line of an update: what was made, in what order, how long it took."""
    ran = f", ran {', '.join(update.ran)}" if update.ran else ""
    glossary = f"glossary {times.updated - times.start:.2f} s"
    if not order.rest:
        return f"rebuilt {len(update.pages)} pages and {len(update.files)} files in {end - times.start:.2f} s ({glossary}, pages {end - times.updated:.2f} s){ran}"
    first = ", ".join(f"{len(pages)} {why}" for pages, why in ((order.edited, "edited"), (order.viewed, "viewed")) if pages)
    return (
        f"rebuilt {len(order.first)} pages first ({first or 'none edited or viewed'}) and {len(update.files)} files in "
        f"{times.served - times.start:.2f} s ({glossary}), {len(order.rest)} more in the background in {end - times.served:.2f} s{ran}"
    )


class _WarningCount(logging.Handler):
    """Counts the warnings MkDocs and its plugins log: a page converted with a warning is not kept."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


_WARNINGS = _WarningCount()


def _finished(page, html: str, parked: list[str]) -> FinishedPage:
    """What converting ``page`` produced, to keep (MkDocs' table of contents and anchors as plain data)."""

    def headings(items) -> list[Heading]:
        return [Heading(item.title, item.id, item.level, tuple(headings(item.children))) for item in items]

    links = page.links_to_anchors or {}
    return FinishedPage(
        html=html,
        parked=list(parked),
        title=page._title_from_render,  # what MkDocs found while converting (MkDocs 1.x is frozen)
        toc=headings(page.toc),
        anchors=sorted(page.present_anchor_ids or ()),
        anchor_links={target.src_uri: dict(anchors) for target, anchors in links.items()},
    )


def _restore(page, finished: FinishedPage, files: Files) -> None:
    """Give ``page`` what MkDocs would have found converting it: title, table of contents, anchors."""

    def links(headings: list[Heading] | tuple[Heading, ...]) -> list[AnchorLink]:
        out = []
        for heading in headings:
            link = AnchorLink(heading.title, heading.id, heading.level)
            link.children = links(heading.children)
            out.append(link)
        return out

    page._title_from_render = finished.title
    page.toc = TableOfContents(links(finished.toc))
    page.present_anchor_ids = set(finished.anchors)
    targets = {files.get_file_from_path(src): anchors for src, anchors in finished.anchor_links.items()}
    page.links_to_anchors = {target: anchors for target, anchors in targets.items() if target is not None} or page.links_to_anchors


def _docs_stamps(config) -> dict[str, Stamp]:
    out: dict[str, Stamp] = {}
    paths = [Path(config.config_file_path)] if config.config_file_path else []
    paths += [p for p in Path(config.docs_dir).rglob("*") if p.is_file()]
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            continue
        out[str(path)] = (st.st_mtime_ns, st.st_size)
    return out


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        log.warning(problem.format())
