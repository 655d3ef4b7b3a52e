"""The pytest plugin: each term's snippet is an item named after the term."""

from __future__ import annotations

import textwrap

import yaml

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, term


def write_project(pytester):
    pytester.makeini("[pytest]\ntestpaths = terms\n")
    (pytester.path / "terms").mkdir()
    (pytester.path / "snippets").mkdir()
    (pytester.path / "snippets" / "__init__.py").write_text("")
    for slug, module, source, out in [
        ("batch-normalization", "batch_normalization", GOOD_SNIPPET, GOOD_OUTPUT),
        ("dropout", "dropout", "def check_keeps_expectation():\n    assert 0.5 == 0.4, 'expectation changed'\n", ""),
    ]:
        (pytester.path / "terms" / f"{slug}.yml").write_text(yaml.safe_dump(term(slug.title())))
        (pytester.path / "snippets" / f"{module}.py").write_text(textwrap.dedent(source))
        (pytester.path / "snippets" / f"{module}.out").write_text(out)


def test_items_named_after_terms_pass_and_fail_with_the_reason(pytester):
    write_project(pytester)
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*terms/batch-normalization.yml::batch-normalization PASSED*",
            "*terms/dropout.yml::dropout FAILED*",
            "*dropout: not verified: 1 check failed (check_keeps_expectation): AssertionError: expectation changed*",
            '*snippets/dropout.py", line 2, in check_keeps_expectation*',
        ]
    )


def test_keyword_selection_by_slug_or_module(pytester):
    write_project(pytester)
    pytester.runpytest("-k", "batch_normalization", "-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.runpytest("-k", "batch", "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_works_under_xdist(pytester):
    write_project(pytester)
    pytester.runpytest("-n", "2", "-p", "no:cacheprovider").assert_outcomes(passed=1, failed=1)
