"""The MkDocs adapter: translates MkDocs events into calls to the termbook core.

This is the only module that imports ``mkdocs`` (and only ``mkdocs.*``, so it also runs on
ProperDocs). Each hook is a guard, one call and a report; the work is in :mod:`termbook.finishing`.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from .errors import Problem, format_report
from .finishing import SCRIPTS, STYLES, Site, prepare_site
from .glossary import BuildOptions
from .project import Project
from .search_index import TextIndex, write_search_data

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


class TermbookPlugin(BasePlugin[TermbookConfig]):
    project: Project
    site: Site | None = None
    serving = False
    search: TextIndex | None = None  # filled as pages are rendered; kept across `mkdocs serve` rebuilds

    def on_startup(self, *, command, dirty) -> None:
        self.serving = command == "serve"

    @event_priority(-100)  # after Material's offline plugin, whose CDN shim we replace
    def on_config(self, config):
        if not self.config.enabled:
            return
        root = Path(config.config_file_path or ".").resolve().parent
        self.project = Project.create(root, dict(self.config), Path(config.docs_dir))
        config.watch += [str(self.project.terms_dir), str(self.project.snippets_dir)]  # `mkdocs serve` reloads
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
        self.search = self.search or TextIndex()
        self.search.retain(f.url for f in files.documentation_pages())
        return files

    @event_priority(-100)  # last: after every other plugin has changed the content
    def on_page_content(self, html: str, *, page, config, files) -> str:
        if not self.site:
            return html
        html, problems = self.site.content(html, page.file.src_uri)
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

    @property
    def _csp(self) -> bool:
        return self.config.content_security_policy and not self.serving


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        log.warning(problem.format())
