"""``termbook render --out DIR``: the finished site as plain Markdown, for any Material-compatible generator.

The same core as the MkDocs plugin (:func:`termbook.finishing.prepare_site`) renders the glossary;
here every page is finished at the Markdown level instead of in HTML hooks, since the generator
that builds the folder runs no termbook code (Zensical runs no Python plugins at all):

* formulas become MathML (sanitised by the MathML allow-list), written inline into the Markdown
  with every Markdown-active character of the MathML as a character reference;
* graph pictures become inline SVG blocks, linking to the term pages' ``.html`` files;
* term pages and the A–Z index carry their schema.org JSON-LD;
* the tutorials are run (cached) and written as Markdown with their figures as files and the alt
  texts their authors gave;
* the tags page lists the terms of every tag (Material's tags plugin is not needed);
* ``mkdocs.yml`` is generated: the theme, navigation and Markdown extensions of the project's own,
  without plugins other than search, ``use_directory_urls: false``.

Term pages are audited first (``BuildOptions.audit_html``): a construct the sanitiser
would remove is an error, and nothing is written — a generator that cannot run the sanitiser only
ever gets text that needs none. The output folder is replaced only if it is empty or an earlier
render (it holds ``.termbook-render``); nothing else is ever overwritten.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from .auditing import removal_problems
from .errors import Problem, Severity
from .finishing import GRAPH_SLOT, SCRIPTS, STYLES, Site, prepare_site
from .glossary import BuildOptions
from .mathml import MathIssueKind, formula, tex_as_text
from .project import has_unresolved, read_mkdocs_yml, without_unresolved
from .safety import VERBATIM, escape_text

MARKER = ".termbook-render"
_TUTORIAL_LINK = re.compile(r"(\]\((?!https?:)[^)\s]*?tutorials/[\w.-]+)\.ipynb((?:#[^)\s]*)?\))")
_TAGS_MARKER = "<!-- material/tags -->"
_ACTIVE = re.compile(r"[\\`*_{}\[\]!$~^=|+]")


def render_site(options: BuildOptions, out: Path) -> tuple[int, list[Problem]]:
    """Write the finished site into ``out``; the number of files written and the problems.

    With an error among the problems nothing is written.
    """
    project = options.project
    out = Path(out)
    refusal = _check_target(out, project.root)
    if refusal:
        return 0, [refusal]
    notebooks = sorted(project.tutorials_dir.glob("*.ipynb")) if project.tutorials_dir.is_dir() else []
    # audited before anything is rendered: a construct the sanitiser would remove is an error here
    site = prepare_site(replace(options, audit_html=True), directory_urls=False, tutorials=notebooks)
    if site.build.errors:
        return 0, list(site.build.errors)
    problems = list(site.problems)
    staging = Path(tempfile.mkdtemp(prefix=".termbook-render-", dir=out.parent if out.parent.exists() else None))
    try:
        docs = staging / "docs"
        count = _write_docs(site, docs, problems)
        if any(p.severity is Severity.ERROR for p in problems):
            return 0, problems
        (staging / "mkdocs.yml").write_text(_config(site), encoding="utf-8")
        (staging / MARKER).write_text("written by `termbook render`; the whole folder is replaced by the next render\n", encoding="utf-8")
        if out.exists():
            shutil.rmtree(out)
        staging.rename(out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return count + 2, problems


def _check_target(out: Path, root: Path) -> Problem | None:
    if out.resolve() == root.resolve() or root.resolve().is_relative_to(out.resolve()):
        return Problem(str(out), "is the project itself", expected="a folder for the rendered site", hint="pass --out build/render, say")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).is_file())):
        return Problem(
            str(out),
            "exists and is not an earlier `termbook render` output",
            expected="a new or empty folder, or one written by `termbook render`",
            hint="choose another folder; termbook never overwrites what it did not write",
        )
    return None


# -- pages ------------------------------------------------------------------------------------


def _write_docs(site: Site, docs: Path, problems: list[Problem]) -> int:
    project = site.build.project
    generated = {f.path for f in site.files}
    count = 0
    for item in site.files:
        if item.replaces:  # an executed tutorial: written as Markdown
            count += _write_tutorial(site, item.path, item.source, docs, problems)
            continue
        target = docs / item.path
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.path.endswith(".md"):
            target.write_text(finish_markdown(item.source.read_text(encoding="utf-8"), item.path, site, problems), encoding="utf-8")
        else:
            shutil.copyfile(item.source, target)
        count += 1
    for path in sorted(p for p in project.docs_dir.rglob("*") if p.is_file()):
        rel = path.relative_to(project.docs_dir).as_posix()
        if rel in generated or path.suffix == ".ipynb" or any(part.startswith(".") for part in path.parts[len(project.docs_dir.parts) :]):
            continue
        target = docs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            if _TAGS_MARKER in text:
                text = text.replace(_TAGS_MARKER, tags_markdown(site, rel))
            target.write_text(finish_markdown(text, rel, site, problems), encoding="utf-8")
        else:
            shutil.copyfile(path, target)
        count += 1
    return count


def finish_markdown(text: str, page: str, site: Site, problems: list[Problem]) -> str:
    """A page's Markdown with formulas as MathML, graph pictures drawn and its JSON-LD appended.

    Links to tutorial notebooks point at their Markdown pages.
    """
    text = _TUTORIAL_LINK.sub(r"\1.md\2", text)
    text = convert_markdown_math(text, page, site, problems)
    text = GRAPH_SLOT.sub(lambda m: _svg_block(site.graph_svg(page, bool(m.group("all")))), text, count=1)
    data = site.jsonld(page)
    if data:
        text = text.rstrip("\n") + f'\n\n<script type="application/ld+json">{data}</script>\n'
    return text


def convert_markdown_math(text: str, page: str, site: Site, problems: list[Problem]) -> str:
    """``$...$`` and ``$$...$$`` outside code replaced by MathML the Markdown engine passes through."""
    out: list[str] = []
    pos = 0
    for match in VERBATIM.finditer(text):
        region = match.group(0)
        display = region.startswith("$$")
        if not region.startswith("$"):
            continue  # code: as written
        tex = region[2:-2] if display else region[1:-1]
        out.append(text[pos : match.start()])
        pos = match.end()
        mathml, issue = formula(tex.strip(), "block" if display else "inline")
        if issue and issue.kind is MathIssueKind.FAILED:  # shown as the LaTeX, as the build does
            problems.append(Problem(page, f"cannot convert formula to MathML: {issue.tex}", severity=Severity.WARNING))
            out.append(_md_safe(tex_as_text(issue.tex)))
            continue
        if issue:  # an error: nothing is written
            problems += removal_problems(list(issue.removals), site.source(page), in_math=True)
            continue
        assert mathml is not None
        # a display formula can be focused, to scroll it with the keyboard when wide (as mathml.convert_math)
        attrs = 'class="termbook-math termbook-math--block" tabindex="0"' if display else 'class="termbook-math"'
        out.append(f"<span {attrs}>{_md_safe(mathml)}</span>")
    out.append(text[pos:])
    return "".join(out)


def _md_safe(markup: str) -> str:
    """Markup whose text and attribute values hold no character Markdown would act on."""

    def encode(text: str) -> str:
        return _ACTIVE.sub(lambda m: f"&#{ord(m.group())};", text)

    # text between tags, and attribute values (not the '=' that assigns them)
    return re.sub(r'(?<=>)[^<]+(?=<)|(?<==")[^"]*(?=")', lambda m: encode(m.group(0)), markup)


def _svg_block(svg: str) -> str:
    if not svg:
        return ""
    return '<div class="termbook-graph">' + _md_safe(" ".join(svg.split("\n"))) + "</div>"


def tags_markdown(site: Site, page: str) -> str:
    """Every tag with its terms, linked; what Material's tags plugin would list."""
    layout = site.build.project.layout
    tags: dict[str, list[Any]] = {}
    for term in sorted(site.build.terms, key=lambda t: t.name.casefold()):
        for tag in term.data.tags:
            tags.setdefault(tag, []).append(term)
    lines: list[str] = []
    for tag in sorted(tags, key=str.casefold):
        lines += [f"## {escape_text(tag)}", ""]
        lines += [f"- [{escape_text(t.name)}]({layout.link(page, layout.term_page(t.slug))})" for t in tags[tag]]
        lines.append("")
    return "\n".join(lines)


# -- tutorials --------------------------------------------------------------------------------


def _write_tutorial(site: Site, page: str, executed: Path, docs: Path, problems: list[Problem]) -> int:
    from nbconvert import MarkdownExporter

    stem = Path(page).stem
    files_dir = f"{stem}_files"
    body, resources = MarkdownExporter().from_filename(str(executed), resources={"output_files_dir": files_dir})
    alts = iter(site.figure_alts.get(page, []))

    def alt(match: re.Match[str]) -> str:
        text = next(alts, None) or "Figure drawn by the tutorial"
        return "![" + text.replace("[", "(").replace("]", ")") + "](" + match.group(1) + ")"

    body = re.sub(r"!\[[^\]]*\]\(([^)\s]+)\)", alt, body)
    target = docs / Path(page).with_suffix(".md")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(finish_markdown(body, page, site, problems), encoding="utf-8")
    count = 1
    for name, data in (resources.get("outputs") or {}).items():
        path = target.parent / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        count += 1
    return count


# -- configuration ----------------------------------------------------------------------------


def _config(site: Site) -> str:
    project = site.build.project
    source = read_mkdocs_yml(project.root / "mkdocs.yml")
    layout = project.layout
    config: dict[str, Any] = {
        "site_name": source.get("site_name") or site.site_name,
        "docs_dir": "docs",
        "site_dir": "site",
        "use_directory_urls": False,
        "strict": True,
    }
    for key in ("site_description", "site_url", "repo_url", "copyright", "validation"):
        if key in source and not has_unresolved(source[key]):
            config[key] = source[key]
    theme = source.get("theme") if isinstance(source.get("theme"), dict) else {"name": "material"}
    config["theme"] = without_unresolved(theme)
    if "nav" in source:
        config["nav"] = json.loads(json.dumps(without_unresolved(source["nav"])).replace('.ipynb"', '.md"'))
    extensions = []
    for entry in source.get("markdown_extensions") or []:
        name = entry if isinstance(entry, str) else next(iter(entry)) if isinstance(entry, dict) and len(entry) == 1 else None
        if name is None or name == "pymdownx.arithmatex":  # formulas are MathML already
            continue
        extensions.append(without_unresolved(entry))
    config["markdown_extensions"] = extensions
    css = [c for c in source.get("extra_css") or [] if isinstance(c, str)]
    config["extra_css"] = [*css, *(layout.asset(name) for name in STYLES)]
    scripts = [c for c in source.get("extra_javascript") or [] if isinstance(c, str)]
    config["extra_javascript"] = [*scripts, *(layout.asset(name) for name in SCRIPTS)]
    search = next((p for p in source.get("plugins") or [] if p == "search" or (isinstance(p, dict) and "search" in p)), "search")
    config["plugins"] = [without_unresolved(search)]
    extra = source.get("extra") if isinstance(source.get("extra"), dict) else {}
    extra = {k: v for k, v in without_unresolved(extra).items() if k != "polyfills"}
    if extra:
        config["extra"] = extra
    header = "# Generated by `termbook render` from the project's mkdocs.yml; build with mkdocs or zensical.\n"
    return header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
