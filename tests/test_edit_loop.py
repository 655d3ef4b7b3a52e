"""The edit loop (termbook.incremental): after an edit, the pages are what a whole build makes.

Each test builds a small glossary once, edits a file, brings the kept glossary up to date and
compares every generated page and file with a build from scratch of the edited files.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from termbook.errors import Problem
from termbook.finishing import prepare_site
from termbook.glossary import BuildOptions
from termbook.incremental import LiveGlossary, Outcome, take_stamps, with_error_banner
from termbook.pages import build_pages
from termbook.project import Project as TermbookProject

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term


@pytest.fixture
def glossary(project):
    project.add_term("dropout", term("Dropout", summary="Dropout zeroes random activations while training."))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term(
        "batch-norm",
        term("Batch Norm", definition="Batch Norm is often used with dropout in one network.", related=["layer-norm"]),
    )
    project.add_snippet("batch_norm", GOOD_SNIPPET + "# not the same source as dropout's: its own run in the cache\n", GOOD_OUTPUT)
    project.add_term("layer-norm", term("Layer Norm", related=["dropout"], tags=["normalization"]))
    project.add_term("weight-decay", term("Weight Decay", tags=["regularization"]))
    return project


@pytest.fixture
def start():
    """The first build, as `mkdocs serve` makes it: the kept glossary, and the slugs whose snippet ran."""
    lives: list[LiveGlossary] = []

    def start(project) -> tuple[LiveGlossary, list[str]]:
        tb = TermbookProject.discover(project.root)
        options = BuildOptions(tb, jobs=1)
        stamps = take_stamps(tb)
        site = prepare_site(options, directory_urls=False)
        assert not site.build.errors, site.build.errors
        lives.append(LiveGlossary(site, options, stamps))
        return lives[-1], [s for s, r in site.build.results.items() if not r.cached]

    yield start
    for live in lives:
        live.close()


def edit(path: Path, change) -> None:
    """Rewrite a file and make sure its stamp changes even on a coarse clock."""
    before = path.stat().st_mtime_ns
    path.write_text(change(path.read_text()))
    if path.stat().st_mtime_ns == before:
        time.sleep(0.01)
        path.write_text(change(path.read_text()))


def edit_term(project, slug: str, **fields) -> None:
    path = project.root / "terms" / f"{slug}.yml"
    data = yaml.safe_load(path.read_text())
    data.update(fields)
    edit(path, lambda _: yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def stored(live: LiveGlossary, rel: str) -> str:
    return (live.store / rel).read_text(encoding="utf-8")


def assert_same_as_whole_build(live: LiveGlossary) -> None:
    """Every page and file the kept glossary has written is what a build from scratch makes."""
    live.finish()  # terms.json, written once the pages are served
    fresh = build_pages(BuildOptions(live.site.build.project, jobs=1))
    assert not fresh.errors
    for rel, text in {**fresh.pages, **fresh.assets}.items():
        assert stored(live, rel) == text, f"{rel} differs from a whole build"
    site = prepare_site(BuildOptions(live.site.build.project, jobs=1), directory_urls=False)
    for item in site.files:
        if item.path.endswith((".json", ".js")) and item.source.is_relative_to(live.store):
            assert stored(live, item.path) == item.source.read_text(encoding="utf-8"), item.path


def test_editing_a_summary_updates_the_tooltips_and_lists_of_the_pages_that_show_it(glossary, start):
    live, _ = start(glossary)
    assert 'Dropout zeroes random activations while training."' in stored(live, "terms/batch-norm.md")
    edit_term(glossary, "dropout", summary="Dropout drops units at random to regularize.")

    update = live.update()

    assert update.outcome is Outcome.UPDATED
    # batch-norm links "dropout" in its prose (the tooltip), layer-norm lists it as related,
    # dropout shows layer-norm in "Referenced by" (unchanged: not rebuilt for nothing)
    assert {"terms/dropout.md", "terms/batch-norm.md", "terms/layer-norm.md", "terms/index.md"} <= set(update.pages)
    assert "terms/weight-decay.md" not in update.pages
    assert update.edited == ["terms/dropout.md"]  # made first under `mkdocs serve`
    assert 'Dropout drops units at random to regularize."' in stored(live, "terms/batch-norm.md")
    assert "Dropout drops units at random to regularize." in stored(live, "terms/layer-norm.md")
    assert "Dropout zeroes" not in stored(live, "terms/batch-norm.md") + stored(live, "terms/layer-norm.md")
    assert "assets/termbook/terms.js" in update.files  # the hover cards
    assert "Dropout drops units at random to regularize." in stored(live, "assets/termbook/terms.js")
    assert update.ran == []  # its snippet is judged again, from the cache
    assert_same_as_whole_build(live)


def test_editing_a_related_list_updates_the_backlinks(glossary, start):
    live, _ = start(glossary)
    assert "Layer Norm" in stored(live, "terms/dropout.md")
    edit_term(glossary, "layer-norm", related=["weight-decay"])

    update = live.update()

    assert update.outcome is Outcome.UPDATED
    assert {"terms/layer-norm.md", "terms/dropout.md", "terms/weight-decay.md"} <= set(update.pages)
    assert "Layer Norm" not in stored(live, "terms/dropout.md")
    assert "Layer Norm" in stored(live, "terms/weight-decay.md")
    assert_same_as_whole_build(live)


def test_editing_a_snippet_runs_only_that_snippet_again(glossary, start):
    live, first = start(glossary)
    assert sorted(first) == ["batch-norm", "dropout"]
    edit(glossary.root / "snippets" / "batch_norm.py", lambda s: s.replace("return 2 * x", "return x + x  # the same, added"))

    update = live.update()

    assert update.outcome is Outcome.UPDATED
    assert update.ran == ["batch-norm"]
    assert "terms/batch-norm.md" in update.pages
    assert update.edited == ["terms/batch-norm.md"]  # the term whose snippet it is
    assert "the same, added" in stored(live, "terms/batch-norm.md")
    assert "notebooks/batch-norm.ipynb" in update.files
    assert "terms/dropout.md" not in update.pages
    assert_same_as_whole_build(live)


IMPORTER = """
import numpy as np
from snippets.dropout import double


def check_twice_is_four_times():
    np.testing.assert_allclose(double(double(np.ones(2))), 4 * np.ones(2))


if __name__ == "__main__":
    print("quadruple:", double(double(np.arange(2.0))))
"""


def test_a_snippet_runs_again_with_the_snippets_it_imports_only(glossary, start):
    glossary.add_term("quadruple", term("Quadruple"))
    glossary.add_snippet("quadruple", IMPORTER, "quadruple: [0. 4.]\n")
    live, _ = start(glossary)

    edit(glossary.root / "snippets" / "dropout.py", lambda s: s + "# an edit of the imported snippet\n")
    update = live.update()
    assert update.ran == ["dropout", "quadruple"]  # its source is in the importer's cache key
    assert update.edited == ["terms/dropout.md"]  # the importer's page is made again, not first

    edit(glossary.root / "snippets" / "quadruple.py", lambda s: s + "# an edit of the importer\n")
    assert live.update().ran == ["quadruple"]

    edit_term(glossary, "dropout", summary="Dropout, summarised again.")
    assert live.update().ran == []
    assert_same_as_whole_build(live)


def test_a_snippet_that_fails_after_an_edit_shows_its_failure(glossary, start):
    live, _ = start(glossary)
    edit(glossary.root / "snippets" / "dropout.py", lambda s: s.replace("return 2 * x", "return 3 * x"))

    update = live.update()

    assert update.outcome is Outcome.UPDATED
    assert update.ran == ["dropout"]
    assert [p.file for p in update.problems] == ["snippets/dropout.py"]
    assert "not verified" in update.problems[0].message
    assert_same_as_whole_build(live)


def test_an_invalid_edit_keeps_the_last_good_glossary_and_its_fix_recovers(glossary, start):
    live, _ = start(glossary)
    path = glossary.root / "terms" / "dropout.yml"
    good = path.read_text()
    before = stored(live, "terms/batch-norm.md")
    edit(path, lambda s: s.replace("summary:", "summary: [unclosed\nsummary:"))

    broken = live.update()

    assert broken.outcome is Outcome.BROKEN
    assert broken.problems and all(p.file == "terms/dropout.yml" for p in broken.problems)
    assert stored(live, "terms/batch-norm.md") == before  # nothing written
    assert live.update().outcome is Outcome.BROKEN  # still broken: still reported, not forgotten

    edit(path, lambda _: good.replace("Dropout zeroes random activations", "Dropout silences random units"))
    fixed = live.update()

    assert fixed.outcome is Outcome.UPDATED
    assert "Dropout silences random units" in stored(live, "terms/batch-norm.md")
    assert_same_as_whole_build(live)


def test_a_schema_error_is_reported_at_its_field(glossary, start):
    live, _ = start(glossary)
    edit_term(glossary, "weight-decay", summary="")

    update = live.update()

    assert update.outcome is Outcome.BROKEN
    assert {p.field for p in update.problems} == {"summary"}


def test_adding_or_removing_a_term_or_renaming_one_needs_a_whole_build(glossary, start):
    live, _ = start(glossary)
    assert live.update().outcome is Outcome.UNCHANGED

    glossary.add_term("momentum", term("Momentum"))
    added = live.update()
    assert (added.outcome, added.reason) == (Outcome.FULL, "terms/momentum.yml was added")

    live, _ = start(glossary)
    (glossary.root / "terms" / "momentum.yml").unlink()
    assert live.update().outcome is Outcome.FULL

    live, _ = start(glossary)
    edit_term(glossary, "weight-decay", aliases=["L2 penalty"])  # every page may link it now
    assert live.update().outcome is Outcome.FULL


PAGE = '<html><body><article class="md-content__inner md-typeset"><h1>Dropout</h1></article></body></html>'


def test_the_error_banner_goes_on_top_of_the_article_and_away_again():
    problem = Problem("terms/dropout.yml", "expected <b>a mapping</b>", line=2, field="summary")

    shown = with_error_banner(PAGE, [problem])

    assert shown.index("The last edit cannot be built") < shown.index("<h1>Dropout</h1>")
    assert shown.startswith('<html><body><article class="md-content__inner md-typeset"><!-- termbook-edit-error -->')
    assert "terms/dropout.yml:2: summary: expected &lt;b&gt;a mapping&lt;/b&gt;" in shown
    assert with_error_banner(with_error_banner(shown, [problem]), [problem]) == shown  # one banner, never two
    assert with_error_banner(shown, []) == PAGE


def test_a_whole_build_that_would_stop_at_errors_is_not_asked_for(glossary, start):
    live, _ = start(glossary)
    glossary.add_term("momentum", "term: Momentum\nsummary: [unclosed\n")
    broken = live.update()
    assert broken.outcome is Outcome.BROKEN
    assert {p.file for p in broken.problems} == {"terms/momentum.yml"}

    (glossary.root / "terms" / "momentum.yml").unlink()
    assert live.update().outcome is Outcome.UNCHANGED  # back to what was built

    (glossary.root / "terms" / "dropout.yml").unlink()  # layer-norm lists it as related
    removed = live.update()
    assert removed.outcome is Outcome.BROKEN
    assert [(p.file, p.field) for p in removed.problems] == [("terms/layer-norm.yml", "related[0]")]


DOUBLE_CASES = GOOD_SNIPPET.replace(
    'if __name__ == "__main__":',
    'def cases():\n    return [{"x": np.arange(3.0)}, {"x": np.ones((2, 2))}]\n\n\nif __name__ == "__main__":',
)


def test_editing_an_equivalent_checks_it_again_and_updates_its_badge(glossary, start):
    glossary.add_snippet("dropout", DOUBLE_CASES, GOOD_OUTPUT)
    right = {"library": "scipy", "code": "import scipy\n\ny = x * 2.0\n", "reference": "double", "inputs": "cases", "outputs": ["y"]}
    edit_term(glossary, "dropout", equivalents=[right])
    live, _ = start(glossary)
    assert "✔ Agrees with scipy" in stored(live, "terms/dropout.md")
    edit_term(glossary, "dropout", equivalents=[dict(right, code="import scipy\n\ny = x * 3.0\n")])

    update = live.update()

    assert update.outcome is Outcome.UPDATED and "terms/dropout.md" in update.pages
    page = stored(live, "terms/dropout.md")
    assert "✘ Differs from the NumPy snippet with scipy" in page and "Agrees with" not in page
    assert any("the SciPy equivalent differs" in p.message for p in update.problems)
    assert_same_as_whole_build(live)
