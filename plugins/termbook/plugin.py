"""The MkDocs adapter: translates MkDocs events into calls to the termbook core.

This is the only module that imports ``mkdocs`` (and only ``mkdocs.*``, so it also runs on
ProperDocs). Each hook is a guard, one call and a report.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.config import config_options as c
from mkdocs.config.base import Config
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files

from .auditing import Source, removal_problems
from .csp import content_security_policy
from .errors import format_report, relative
from .export import defined_term_jsonld, defined_term_set_jsonld, glossary_json
from .generated import GeneratedFiles
from .graph import glossary_svg, neighbourhood_svg
from .mathml import MathIssueKind, convert_math
from .model import json_schema_text
from .pages import TERMS_URL_DIR, Options, build_pages
from .sanitizing import sanitize
from .search_index import add_aliases
from .tutorials import execute_tutorial, figure_alt_texts, with_alt_texts

log = get_plugin_logger(__name__)
_CODE = re.compile(r'<div class="termbook-code"[^>]*>.*?</pre></div>\s*</div>', re.S)
_CODE_SLOT = re.compile(r'<div class="termbook-code-slot" data-n="(\d+)"></div>')
_SLOT = re.compile(r'<div class="termbook-graph-slot(?P<all> termbook-graph-all)?"></div>')


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
    execute_tutorials = c.Type(bool, default=True)
    """Run tutorials/*.ipynb (cached) and hand the executed copies to mkdocs-jupyter."""
    content_security_policy = c.Type(bool, default=True)
    """Put a Content-Security-Policy in every built page (not under `mkdocs serve`, whose reload script is inline)."""


ASSETS = Path(__file__).parent / "assets"
CSS = "assets/termbook/termbook.css"
SHIM = "assets/termbook/iframe-worker-shim.js"
NO_MATHJAX = "assets/termbook/no-mathjax.js"


class TermbookPlugin(BasePlugin[TermbookConfig]):
    serving = False

    def on_startup(self, *, command, dirty) -> None:
        self.serving = command == "serve"

    @event_priority(-100)  # after Material's offline plugin, whose CDN shim we replace
    def on_config(self, config):
        if not self.config.enabled:
            return
        self.root = Path(config.config_file_path).resolve().parent
        self.parked: dict[str, list[str]] = {}  # highlighted code set aside during search indexing
        self.figure_alts: dict[str, list[str | None]] = {}  # alt text of each tutorial figure, by page
        for directory in (self.config.terms_dir, self.config.snippets_dir):
            config.watch.append(str(self.root / directory))  # `mkdocs serve` reloads on change
        config.extra_css.append(CSS)
        polyfills = config.extra.get("polyfills") or []
        config.extra["polyfills"] = [SHIM if "iframe-worker" in url else url for url in polyfills]

    @event_priority(50)  # before mkdocs-jupyter wraps the tutorials, which we hand it executed
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
            docs_dir=relative(Path(config.docs_dir), self.root),
        )
        store = GeneratedFiles(self.root / self.config.cache_dir / "generated")
        generated: list[tuple[str, Path]] = []
        build = build_pages(options, sink=lambda path, text: generated.append((path, store.put(path, text))))
        if build.errors:
            raise PluginError("termbook: the term files have problems\n" + format_report(build.errors))
        for problem in build.warnings:
            log.warning(problem.format())
        ran = sum(not r.cached for r in build.results.values())
        log.info(f"{len(build.terms)} terms, {len(build.results)} snippets ({ran} run, {len(build.results) - ran} cached)")
        for path, stored in generated:
            files.append(File.generated(config, path, abs_src_path=str(stored)))
        self.build, self.files = build, files
        self.terms_by_slug = {t.slug: t for t in build.terms}
        self.term_files = {t.slug: files.get_file_from_path(f"{TERMS_URL_DIR}/{t.slug}.md") for t in build.terms}
        snippet_paths = {t.slug: relative(t.snippet, self.root) for t in build.terms if t.snippet}
        terms_json = glossary_json(
            build.terms,
            lambda slug: self.term_files[slug].url,
            {slug: build.outgoing(slug) for slug in self.term_files},
            build.incoming,
            build.results,
            snippet_paths,
        )
        files.append(File.generated(config, "terms.json", abs_src_path=str(store.put("terms.json", terms_json))))
        del terms_json
        self._execute_tutorials(files, config)
        files.append(File.generated(config, "schema/term.schema.json", content=json_schema_text()))
        for uri in (CSS, SHIM, NO_MATHJAX):
            files.append(File.generated(config, uri, abs_src_path=str(ASSETS / Path(uri).name)))
        return files

    def _execute_tutorials(self, files: Files, config) -> None:
        if not self.config.execute_tutorials:
            return
        cache = self.root / self.config.cache_dir
        problems = []
        for file in [f for f in files if f.src_uri.startswith("tutorials/") and f.src_uri.endswith(".ipynb")]:
            executed, problem = execute_tutorial(Path(file.abs_src_path), self.root, cache)
            if problem:
                problems.append(problem)
                continue
            alts, alt_problems = figure_alt_texts(json.loads(executed.read_text(encoding="utf-8")), relative(Path(file.abs_src_path), self.root))
            for alt_problem in alt_problems:
                log.warning(alt_problem.format())
            self.figure_alts[file.src_uri] = alts
            files.remove(file)
            files.append(File.generated(config, file.src_uri, abs_src_path=str(executed)))
        if problems:
            raise PluginError("termbook: a tutorial failed to run\n" + format_report(problems))


    @event_priority(-100)  # last: after every other plugin has changed the content
    def on_page_content(self, html: str, *, page, config, files) -> str:
        # The highlighted snippet is thousands of tags that the search plugin would walk but not
        # index (data-search-exclude); set it aside and put it back in on_post_page.
        if not self.config.enabled:
            return html
        if page.file.src_uri.endswith(".md"):  # every Markdown page; notebooks are the maintainers' HTML
            html, removals = sanitize(html)
            for problem in removal_problems(removals, self._source(page)):
                log.warning(problem.format())
        blocks = []

        def park(match) -> str:
            blocks.append(match.group(0))
            return f'<div class="termbook-code-slot" data-n="{len(blocks) - 1}"></div>'

        html = _CODE.sub(park, html)
        self.parked[page.file.src_uri] = blocks
        alts = self.figure_alts.get(page.file.src_uri)
        if alts:
            labelled = with_alt_texts(html, alts)
            if labelled is None:
                log.warning(f"{page.file.src_uri}: its figures and their alt texts do not line up; check for an image without alt text")
            else:
                html = labelled
        return html

    def _term_of(self, page) -> str | None:
        src = page.file.src_uri
        prefix = f"{TERMS_URL_DIR}/"
        slug = src[len(prefix) : -3] if src.startswith(prefix) and src.endswith(".md") else None
        return slug if slug in self.terms_by_slug else None

    def _source(self, page) -> Source:
        """Where a problem found in ``page``'s HTML is reported: its term file, or the page."""
        slug = self._term_of(page)
        if slug is None:
            return Source(page.file.src_uri)
        term = self.terms_by_slug[slug]
        return Source.of_term(term, relative(term.path, self.root))

    def _graph(self, match, page) -> str:
        def url_for(slug: str) -> str:
            return self.term_files[slug].url_relative_to(page.file)

        terms = self.terms_by_slug
        if match.group("all"):
            return glossary_svg(self.build.terms, self.build.graph, url_for)
        slug = self._term_of(page)
        if slug is None:
            return ""
        term = terms[slug]
        outgoing = [terms[s] for s in self.build.outgoing(term.slug)]
        return neighbourhood_svg(term, outgoing, self.build.incoming.get(term.slug, []), url_for)

    def on_post_page(self, output: str, *, page, config) -> str:
        # MathML and graph pictures go in only now, after the search plugin has read the page:
        # it indexes the LaTeX as written and does not have to walk thousands of SVG/MathML tags.
        if not self.config.enabled:
            return output
        if self.config.content_security_policy and not self.serving:
            # first, while the content is still as the template inserted it: only the template's scripts are hashed
            # (a notebook's own scripts are the maintainers' and are allowed with the template's)
            content = page.content if page.file.src_uri.endswith(".md") else ""
            output = content_security_policy(output, content or "")
        # the theme's search "share" link is a javascript: URL (the policy would refuse it anyway);
        # it copies the search link by its click handler, which needs no href
        output = output.replace(' href="javascript:void(0)"', "", 1)
        blocks = self.parked.pop(page.file.src_uri, [])
        output = _CODE_SLOT.sub(lambda m: blocks[int(m.group(1))], output)
        output, issues = convert_math(output)
        for issue in issues:
            if issue.kind is MathIssueKind.FAILED:
                log.warning(f"{page.file.src_uri}: cannot convert formula to MathML: {issue.tex}")
            else:
                for problem in removal_problems(list(issue.removals), self._source(page), in_math=True):
                    log.warning(problem.format())
        output = _SLOT.sub(lambda m: self._graph(m, page), output, count=1)
        src = page.file.src_uri
        set_url = self._absolute(config, self.files.get_file_from_path(f"{TERMS_URL_DIR}/index.md").url)
        name = f"{config.site_name} glossary"
        if src == f"{TERMS_URL_DIR}/index.md":
            data = defined_term_set_jsonld(self.build.terms, lambda s: self._absolute(config, self.term_files[s].url), set_url, name)
        elif src.startswith(f"{TERMS_URL_DIR}/") and src[len(TERMS_URL_DIR) + 1 : -3] in self.term_files:
            term = self.terms_by_slug[src[len(TERMS_URL_DIR) + 1 : -3]]
            data = defined_term_jsonld(term, self._absolute(config, page.file.url), set_url, name)
        else:
            return output
        return output.replace("</head>", f'<script type="application/ld+json">{data}</script>\n</head>', 1)

    def on_post_template(self, output_content: str, *, template_name: str, config) -> str:
        # 404.html and other static templates are not pages; they get the same policy
        if not self.config.enabled or not template_name.endswith(".html"):
            return output_content
        if self.config.content_security_policy and not self.serving:
            output_content = content_security_policy(output_content, "")
        return output_content.replace(' href="javascript:void(0)"', "", 1)

    @event_priority(-50)  # after the search plugin writes its index, before offline inlines it
    def on_post_build(self, *, config) -> None:
        if not self.config.enabled:
            return
        path = Path(config.site_dir) / "search" / "search_index.json"
        if not path.is_file():
            return
        aliases = {self.term_files[t.slug].url: list(t.data.aliases) for t in self.build.terms if t.data.aliases}
        path.write_bytes(add_aliases(path.read_bytes(), aliases))

    @staticmethod
    def _absolute(config, url: str) -> str:
        return (config.site_url or "") + url
