"""The page cache: a warm build reuses finished term pages, and the site it writes is the one a build without it writes."""

from __future__ import annotations

import filecmp
import logging
import re
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort
from termbook.page_cache import stable

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term

COUNTS = re.compile(r"page cache: (\d+) term pages reused, (\d+) converted and kept")


@pytest.fixture
def glossary(project):
    project.add_term("dropout", term("Dropout", related=["weight-decay"], definition="Unlike $L_2$, it is random."))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term("weight-decay", term("Weight Decay", related=["dropout"], definition="Often used with dropout."))
    project.add_term("batch-norm", term("Batch Norm", definition="Mentions weight decay in passing."))
    project.add_term("softmax", term("Softmax", definition="Turns scores into probabilities."))
    return project


def build(project, caplog, site: str = "site", strict: bool = True) -> tuple[Path, tuple[int, int]]:
    """Build into ``site``; the site and (pages reused, pages converted and kept) from the log."""
    config = project.root / "mkdocs.yml"
    text = config.read_text()
    config.write_text(re.sub(r"^site_dir: .*$", f"site_dir: {site}", text, flags=re.M))
    caplog.clear()
    with caplog.at_level(logging.INFO):
        project.build(strict=strict)
    counts = COUNTS.findall(caplog.text)
    assert len(counts) == 1, caplog.text
    return project.root / site, (int(counts[0][0]), int(counts[0][1]))


def without_page_cache(project) -> None:
    config = project.root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - termbook:\n", "  - termbook:\n      page_cache: false\n", 1))


def same_files(a: Path, b: Path) -> list[str]:
    """The files that differ between two built sites (or exist in one only)."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        out.extend(prefix + name for name in cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b), "")
    return out


def entries(project) -> list[Path]:
    return sorted((project.root / ".cache" / "termbook" / "pages").glob("*/*.json"))


def test_a_warm_build_reuses_every_term_page_and_writes_the_same_site(glossary, caplog):
    first, counts = build(glossary, caplog, "site-1")
    assert counts == (0, 4)
    second, counts = build(glossary, caplog, "site-2")
    assert counts == (4, 0)
    assert same_files(first, second) == []
    assert len(entries(glossary)) == 4


def fresh_build(project, site: str) -> Path:
    """A build with the page cache off: every page converted."""
    without_page_cache(project)
    config = project.root / "mkdocs.yml"
    config.write_text(re.sub(r"^site_dir: .*$", f"site_dir: {site}", config.read_text(), flags=re.M))
    project.build()
    return project.root / site


def test_after_an_edit_the_pages_that_show_it_are_converted_and_the_site_is_as_without_the_cache(glossary, caplog):
    build(glossary, caplog, "site-1")
    path = glossary.root / "terms" / "weight-decay.yml"
    path.write_text(path.read_text().replace("is a concept used in the tests.", "shrinks the weights a little at every step."))
    cached, counts = build(glossary, caplog, "site-cached")
    # the edited page (its front matter holds the summary) and the pages whose content shows it:
    # dropout's related list, batch-norm's link tooltip; softmax's is reused
    assert counts == (1, 3)
    assert "shrinks the weights" in (cached / "terms" / "dropout.html").read_text()
    assert "shrinks the weights" in (cached / "terms" / "weight-decay.html").read_text()
    assert same_files(cached, fresh_build(glossary, "site-fresh")) == []


def test_the_cached_pages_equal_freshly_converted_ones(glossary, caplog):
    build(glossary, caplog, "site-1")
    cached, counts = build(glossary, caplog, "site-cached")
    assert counts == (4, 0)
    assert same_files(cached, fresh_build(glossary, "site-fresh")) == []


def test_a_page_with_a_sanitiser_warning_is_converted_and_reported_every_time(glossary, caplog):
    glossary.add_term("batch-norm", term("Batch Norm", definition='Fine.\n\n[x](https://example.org){ onclick="alert(1)" }'))
    for attempt in range(2):
        _, counts = build(glossary, caplog, "site", strict=False)
        assert counts == ((0, 3) if attempt == 0 else (3, 0))
        assert "onclick" in caplog.text  # the warning, again on the warm build
    with pytest.raises(Abort):
        build(glossary, caplog, "site", strict=True)


def test_a_changed_markdown_setting_converts_every_page_again(glossary, caplog):
    build(glossary, caplog)
    config = glossary.root / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - admonition\n", "  - admonition\n  - toc:\n      permalink: true\n"))
    site, counts = build(glossary, caplog)
    assert counts == (0, 4)
    assert 'class="headerlink"' in (site / "terms" / "dropout.html").read_text()


def test_entries_no_build_uses_are_removed_and_broken_ones_are_not_trusted(glossary, caplog):
    build(glossary, caplog)
    (glossary.root / "terms" / "batch-norm.yml").unlink()
    build(glossary, caplog)
    # batch-norm's entry is gone, and so are the others: the site's files changed (every key holds them)
    assert len(entries(glossary)) == 3
    for entry in entries(glossary):
        entry.write_text('{"format": 2, "key": "x", "value": {}}')
    _, counts = build(glossary, caplog)
    assert counts == (0, 3)
    assert len(entries(glossary)) == 3


def test_functions_in_extension_settings_are_keyed_by_their_import_path():
    settings = {"custom_fences": [{"name": "mermaid", "format": filecmp.cmp, "validator": re.compile}]}
    text = repr(stable(settings))
    assert "filecmp.cmp" in text and "0x" not in text
