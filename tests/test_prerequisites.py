"""prerequisites.py: "Before this" from snippet imports and the prerequisites field; cycles are errors; pitfalls render."""

from __future__ import annotations

import re

from termbook.loading import load_glossary
from termbook.prerequisites import Why, prerequisite_graph
from termbook.project import Project

from .conftest import term

BASE = "def f():\n    return 1\n\ndef check_f():\n    assert f() == 1\n\nif __name__ == '__main__':\n    print(f())\n"
USER = "from snippets.base import f\n\ndef check_g():\n    assert f() + 1 == 2\n\nif __name__ == '__main__':\n    print(f() + 1)\n"


def _graph(project):
    terms, problems = load_glossary(project.root)
    graph, graph_problems = prerequisite_graph(terms, Project.discover(project.root))
    return graph, [p for p in problems if p.severity == "error"] + graph_problems


def test_a_snippet_import_makes_a_prerequisite(project):
    project.add_term("base", term("Base"))
    project.add_snippet("base", BASE, "1\n")
    project.add_term("user", term("User"))
    project.add_snippet("user", USER, "2\n")
    graph, problems = _graph(project)
    assert problems == []
    assert [(p.slug, p.why) for p in graph.before["user"]] == [("base", Why.IMPORTS)]
    assert graph.after["base"] == ["user"]


def test_listed_prerequisites_unknown_and_self_are_located(project):
    project.add_term("a", term("Alpha", prerequisites=["b", "nope", "a"]))
    project.add_term("b", term("Beta"))
    graph, problems = _graph(project)
    assert [(p.slug, p.why) for p in graph.before["a"]] == [("b", Why.LISTED)]
    messages = {(p.field, p.message) for p in problems}
    assert ("prerequisites[1]", "unknown term 'nope'") in messages
    assert ("prerequisites[2]", "a term cannot be its own prerequisite") in messages
    assert all(p.line and p.file == "terms/a.yml" for p in problems)


def test_a_cycle_is_one_located_error(project):
    project.add_term("a", term("Alpha", prerequisites=["b"]))
    project.add_term("b", term("Beta", prerequisites=["c"]))
    project.add_term("c", term("Gamma", prerequisites=["a"]))
    _, problems = _graph(project)
    (cycle,) = [p for p in problems if "circle" in p.message]
    assert re.search(r"a → b → c → a|b → c → a → b|c → a → b → c", cycle.message)
    assert cycle.line is not None and cycle.field.startswith("prerequisites[")


def test_order_puts_every_prerequisite_first(project):
    project.add_term("a", term("Alpha", prerequisites=["c"]))
    project.add_term("b", term("Beta", prerequisites=["a"]))
    project.add_term("c", term("Gamma"))
    graph, _ = _graph(project)
    order = graph.order(["b", "a", "c"])
    assert order.index("c") < order.index("a") < order.index("b")


def test_pages_show_before_builds_on_and_pitfalls(project):
    project.add_term("base", term("Base"))
    project.add_snippet("base", BASE, "1\n")
    pitfalls = [{"mistake": "Calling f twice", "spot": "The *sum* is $2$, not $1$.", "fix": "Call it once."}]
    project.add_term("user", term("User", why_it_matters="It matters.", pitfalls=pitfalls, faq=[{"q": "Why?", "a": "Because."}]))
    project.add_snippet("user", USER, "2\n")
    site = project.build()
    user = (site / "terms" / "user.html").read_text()
    user = user[user.index("<article") :]  # the page's content, not the table of contents
    assert re.search(r'<p class="termbook-before"><em>Before this:</em> <a href="base.html"[^>]*>Base</a> \(its code uses it\)</p>', user)
    order = [user.index(s) for s in ("Why it matters", "Common pitfalls", "Calling f twice", "Frequently asked questions")]
    assert order == sorted(order)
    assert "<math" in user.split("Common pitfalls")[1].split("Frequently")[0] and "What to do instead." in user
    base = (site / "terms" / "base.html").read_text()
    base = base[base.index("<article") :]
    assert "Builds on this" in base and 'href="user.html"' in base.split("Builds on this")[1]


def test_a_prerequisite_cycle_stops_the_build_and_check(project, capsys):
    from termbook.cli import main

    project.add_term("a", term("Alpha", prerequisites=["b"]))
    project.add_term("b", term("Beta", prerequisites=["a"]))
    assert main(["--root", str(project.root), "check", "--no-run"]) == 1
    assert "prerequisites go round in a circle" in capsys.readouterr().err


def test_learning_path_per_tag_puts_prerequisites_first_with_reasons(project):
    project.add_term("a", term("Alpha", tags=["core"], prerequisites=["c"]))
    project.add_term("b", term("Beta", tags=["core"], prerequisites=["a"]))
    project.add_term("c", term("Gamma", tags=["core", "extra"]))
    site = project.build()
    page = (site / "paths" / "core.html").read_text()
    page = page[page.index("<article") :]
    steps = re.findall(r'<li>.*?<a href="../terms/([a-z]+).html"', page, re.S)
    assert steps == ["c", "a", "b"]
    assert "after Gamma (listed by the author)" in page and "needs none of the terms before it" in page
    index = (site / "paths" / "index.html").read_text()
    assert 'href="core.html"' in index and 'href="extra.html"' in index
