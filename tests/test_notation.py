"""notation.py: the shared notation file, its page, the symbols each term page links to it."""

from __future__ import annotations

from termbook.glossary import BuildOptions, load_and_verify
from termbook.project import Project

from .conftest import term

NOTATION = "- symbol: \\eta\n  meaning: the learning rate\n- symbol: \\theta\n  meaning: the parameters\n"


def test_page_lists_symbols_with_their_terms_and_term_pages_link_to_it(project):
    (project.root / "notation.yml").write_text(NOTATION)
    project.add_term("step", term("Step", how_it_works="Update: $\\theta \\leftarrow \\theta - \\eta g$."))
    project.add_term("plain", term("Plain"))
    site = project.build()
    notation = (site / "notation.html").read_text()
    article = notation[notation.index("<article") :]
    assert 'id="sym-eta"' in article and "the learning rate" in article and 'href="terms/step.html"' in article
    assert "<math" in article and "plain.html" not in article
    page = (site / "terms" / "step.html").read_text()
    assert 'href="../notation.html#sym-eta"' in page and 'href="../notation.html#sym-theta"' in page
    assert "../notation.html" not in (site / "terms" / "plain.html").read_text().split("<article")[1]


def test_undefined_greek_letters_are_suggestions_not_errors(project):
    (project.root / "notation.yml").write_text(NOTATION)
    project.add_term("x", term("Xi User", how_it_works="Slack $\\xi_i \\ge 0$ and $\\eta$."))
    build = load_and_verify(BuildOptions(Project.discover(project.root), run_snippets=False))
    assert build.errors == []
    (suggestion,) = [p for p in build.suggestions if "notation.yml" in p.message]
    assert "\\xi" in suggestion.message and "\\eta" not in suggestion.message and suggestion.file == "terms/x.yml"


def test_a_broken_notation_file_is_a_located_error(project):
    (project.root / "notation.yml").write_text("- symbol: \\eta\n  meaning: [unclosed\n")
    project.add_term("x", term("X"))
    build = load_and_verify(BuildOptions(Project.discover(project.root), run_snippets=False))
    (error,) = build.errors
    assert error.file == "notation.yml" and error.line is not None
