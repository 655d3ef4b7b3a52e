"""The MkDocs adapter: translates MkDocs events into calls to the termbook core.

This is the only module that imports ``mkdocs`` (and only ``mkdocs.*``, so it also runs on
ProperDocs). Each hook is a guard, one call and a report.
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from .errors import format_report
from .mathml import convert_math
from .model import json_schema_text
from .pages import Options, build_pages

log = get_plugin_logger(__name__)


class TermbookConfig(Config):
    enabled = c.Type(bool, default=True)
    """Turn the plugin off without removing it from mkdocs.yml."""
    terms_dir = c.Type(str, default="terms")
    """Directory of term files, relative to mkdocs.yml."""
    snippets_dir = c.Type(str, default="snippets")
    """Directory of snippets, relative to mkdocs.yml."""
    run_snippets = c.Type(bool, default=True)
    """Run and verify snippets during the build (False shows the code without output)."""
    cache_dir = c.Type(str, default=".cache/termbook")
    """Where snippet results are cached, relative to mkdocs.yml."""
    force = c.Type(bool, default=False)
    """Ignore the cache and run every snippet."""
    jobs = c.Optional(c.Type(int))
    """Snippets run in parallel; default: one per core."""
    template = c.Optional(c.Type(str))
    """A Jinja template for term pages, relative to mkdocs.yml; default: the packaged one."""


ASSETS = Path(__file__).parent / "assets"
CSS = "assets/termbook/termbook.css"
SHIM = "assets/termbook/iframe-worker-shim.js"


class TermbookPlugin(BasePlugin[TermbookConfig]):
    @event_priority(-100)  # after Material's offline plugin, whose CDN shim we replace
    def on_config(self, config):
        if not self.config.enabled:
            return
        self.root = Path(config.config_file_path).resolve().parent
        for directory in (self.config.terms_dir, self.config.snippets_dir):
            config.watch.append(str(self.root / directory))  # `mkdocs serve` reloads on change
        config.extra_css.append(CSS)
        polyfills = config.extra.get("polyfills") or []
        config.extra["polyfills"] = [SHIM if "iframe-worker" in url else url for url in polyfills]

    def on_files(self, files: Files, *, config) -> Files:
        if not self.config.enabled:
            return files
        options = Options(
            root=self.root,
            terms_dir=self.config.terms_dir,
            snippets_dir=self.config.snippets_dir,
            run_snippets=self.config.run_snippets,
            cache_dir=self.config.cache_dir,
            force=self.config.force,
            jobs=self.config.jobs,
            template=(self.root / self.config.template) if self.config.template else None,
        )
        build = build_pages(options)
        if build.errors:
            raise PluginError("termbook: the term files have problems\n" + format_report(build.errors))
        for problem in build.warnings:
            log.warning(problem.format())
        ran = sum(not r.cached for r in build.results.values())
        log.info(f"{len(build.terms)} terms, {len(build.results)} snippets ({ran} run, {len(build.results) - ran} cached)")
        for path, markdown in build.pages.items():
            files.append(File.generated(config, path, content=markdown))
        files.append(File.generated(config, "schema/term.schema.json", content=json_schema_text()))
        for uri in (CSS, SHIM):
            files.append(File.generated(config, uri, abs_src_path=str(ASSETS / Path(uri).name)))
        return files

    def on_page_content(self, html: str, *, page, config, files) -> str:
        if not self.config.enabled:
            return html
        html, failed = convert_math(html)
        for tex in failed:
            log.warning(f"{page.file.src_uri}: cannot convert formula to MathML: {tex}")
        return html
