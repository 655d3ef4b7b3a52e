"""Bad term files: each gives our own located problem, never an exception."""

from __future__ import annotations

import pytest
import yaml
from termbook.errors import Problem
from termbook.loading import load_glossary
from termbook.model import TermData

from .conftest import term

VALID = """\
term: Dropout
summary: Dropout zeroes random units during training.
definition: |
  First paragraph.

  Second paragraph.
"""

# (name, file text, line, column, field, words in the message, words in the hint)
SINGLE_FILE_CASES = [
    ("yaml syntax", "term: [unclosed\nsummary: x\n", 2, 8, None, "YAML syntax error", "indentation"),
    ("tab indent", "term: Dropout\nfaq:\n\t- q: x\n", 3, 1, None, "YAML syntax error", "tab"),
    ("colon in value", VALID + "example: a: b\n", 7, 11, None, "mapping values are not allowed", "quotes"),
    ("duplicate key", VALID + "term: Again\n", 7, 1, "term", "duplicate key 'term' (first on line 1)", "remove one"),
    ("unknown key", VALID + "relatd: [x]\n", 7, 1, "relatd", "unknown key 'relatd'", "did you mean 'related'?"),
    ("unknown faq key", VALID + "faq:\n  - q: Why?\n    answer: Because.\n", 9, 5, "faq[0].answer", "unknown key 'answer'", "remove it"),
    ("missing definition", "term: Dropout\nsummary: s.\n", 1, 1, "definition", "required field is missing", "add 'definition:'"),
    ("missing faq answer", VALID + "faq:\n  - q: Why?\n", 8, 5, "faq[0].a", "required field is missing", "add 'a:'"),
    ("empty summary", VALID.replace("Dropout zeroes random units during training.", "''"), 2, 10, "summary", "must not be empty", None),
    ("blank term", VALID.replace("term: Dropout", "term: '   '"), 1, 7, "term", "must not be empty", None),
    (
        "term is a number",
        VALID.replace("term: Dropout", "term: 42"),
        1,
        7,
        "term",
        "expected text: the display name, got a number (42)",
        None,
    ),
    (
        "summary is boolean",
        VALID.replace("Dropout zeroes random units during training.", "yes"),
        2,
        10,
        "summary",
        "got a boolean",
        "quotes",
    ),
    ("aliases not a list", VALID + "aliases: BN\n", 7, 10, "aliases", "expected a list of names, got text ('BN')", "[BN]"),
    ("alias is a list", VALID + "aliases: [[a]]\n", 7, 11, "aliases[0]", "expected a name (text), got a list", None),
    (
        "year as text",
        VALID + "references:\n  - title: T\n    year: 'x'\n",
        9,
        11,
        "references[0].year",
        "expected a whole number",
        "without quotes",
    ),
    (
        "url not http",
        VALID + "references:\n  - title: T\n    url: javascript:alert(1)\n",
        9,
        10,
        "references[0].url",
        "is not an http(s) URL",
        "doi",
    ),
    (
        "summary too long",
        VALID.replace("Dropout zeroes random units during training.", "x" * 201),
        2,
        10,
        "summary",
        "is 201 characters long",
        "one sentence",
    ),
    ("related not a slug", VALID + "related: [Batch Norm]\n", 7, 11, "related[0]", "'Batch Norm' is not a slug", "batch-norm"),
    ("timeout not positive", VALID + "verify:\n  timeout: 0\n", 8, 12, "verify.timeout", "0 is out of range", None),
    ("python tag", VALID + "example: !!python/object:os.system x\n", 7, 10, None, "tag not allowed", "'!!' tag"),
    ("anchor and alias", VALID + "example: &a text\nwhy_it_matters: *a\n", 8, 1, "why_it_matters", "anchors and aliases", "in full"),
    ("not a mapping", "- a\n- b\n", 1, None, None, "the document is a list", None),
    ("empty file", "", None, None, None, "file is empty", "termbook new"),
    ("only a comment", "# nothing\n", None, None, None, "file is empty", None),
    (
        "missing snippet file",
        VALID + "snippet: snippets/nope.py\n",
        7,
        10,
        "snippet",
        "snippet 'snippets/nope.py' does not exist",
        "default",
    ),
]


@pytest.mark.parametrize(
    "text,line,column,field,message,hint",
    [case[1:] for case in SINGLE_FILE_CASES],
    ids=[case[0] for case in SINGLE_FILE_CASES],
)
def test_bad_term_file_gives_located_problem(project, text, line, column, field, message, hint):
    project.add_term("dropout", text)
    _, problems = load_glossary(project.root)
    assert len(problems) >= 1
    problem = next((p for p in problems if p.field == field), problems[0])
    assert isinstance(problem, Problem)
    assert problem.file == "terms/dropout.yml"
    assert (problem.line, problem.column) == (line, column)
    assert problem.field == field
    assert message in problem.message
    if hint is not None:
        assert problem.hint and hint.lower() in problem.hint.lower()


def test_all_problems_of_a_file_are_reported_in_one_pass(project):
    project.add_term("dropout", "term: 3\nsummary: ''\nrelatd: []\n")
    _, problems = load_glossary(project.root)
    fields = sorted(p.field for p in problems)
    assert fields == ["definition", "relatd", "summary", "term"]


def test_problems_across_files_are_all_reported(project):
    project.add_term("a-term", "term: [\n")
    project.add_term("b-term", "term: B\n")
    _, problems = load_glossary(project.root)
    assert [p.file for p in problems] == ["terms/a-term.yml", "terms/b-term.yml", "terms/b-term.yml"]


def test_non_utf8_bytes(project):
    (project.root / "terms" / "dropout.yml").write_bytes(b"term: Dropout\nsummary: caf\xe9\n")
    _, [problem] = load_glossary(project.root)
    assert (problem.line, problem.message) == (2, "byte 0xe9 is not valid UTF-8")
    assert "UTF-8" in problem.hint


@pytest.mark.parametrize(
    "name,hint",
    [
        ("Batch Norm.yml", "batch-norm.yml"),
        ("BatchNorm.yml", "batchnorm.yml"),
        ("drop_out.yml", "drop-out.yml"),
        ("caf\u00e9.yml", "cafe.yml"),
    ],
)
def test_bad_slug(project, name, hint):
    (project.root / "terms" / name).write_text(yaml.safe_dump(term("X")))
    _, problems = load_glossary(project.root)
    assert "is not a valid slug" in problems[0].message
    assert hint in problems[0].hint


def test_directory_named_like_a_term(project):
    (project.root / "terms" / "dropout.yml").mkdir()
    _, [problem] = load_glossary(project.root)
    assert problem.message == "is a directory, not a term file"


def test_unknown_related_slug_suggests_the_close_one(project):
    project.add_term("dropout", term("Dropout"))
    project.add_term("batch-normalization", term("Batch Normalization", related=["neural-network", "dropuot"]))
    _, problems = load_glossary(project.root)
    assert [(p.field, p.message, p.hint) for p in problems] == [
        ("related[0]", "unknown term 'neural-network'", "create terms/neural-network.yml, or remove it"),
        ("related[1]", "unknown term 'dropuot'", "did you mean 'dropout'?"),
    ]
    lines = (project.root / "terms" / "batch-normalization.yml").read_text().splitlines()
    assert lines[problems[1].line - 1][problems[1].column - 1 :] == "dropuot"


def test_self_related_and_duplicate_related(project):
    project.add_term("dropout", term("Dropout", related=["dropout", "other", "other"]))
    project.add_term("other", term("Other"))
    _, problems = load_glossary(project.root)
    assert [(p.field, p.message) for p in problems] == [
        ("related[0]", "a term cannot be related to itself"),
        ("related[2]", "'other' is listed twice"),
    ]


def test_alias_clashes(project):
    project.add_term("batch-normalization", term("Batch Normalization", aliases=["BN", "Dropout"]))
    project.add_term("bayesian-network", term("Bayesian Network", aliases=["bn", "Bayesian Network"]))
    project.add_term("dropout", term("Dropout"))
    _, problems = load_glossary(project.root)
    assert [(p.file, p.field, p.message) for p in problems] == [
        ("terms/batch-normalization.yml", "aliases[1]", "alias 'Dropout' is the name of another term (dropout)"),
        ("terms/bayesian-network.yml", "aliases[0]", "alias 'bn' is also an alias of batch-normalization"),
        ("terms/bayesian-network.yml", "aliases[1]", "alias 'Bayesian Network' is the term's own name"),
    ]


def test_duplicate_term_names(project):
    project.add_term("dropout", term("Dropout"))
    project.add_term("drop-out", term("dropout"))
    _, problems = load_glossary(project.root)
    assert [p.message for p in problems] == ["term name 'Dropout' is already used by terms/drop-out.yml"]


def test_problem_format_has_every_part():
    p = Problem("terms/x.yml", "unknown term 'dropuot'", 14, 3, "related[1]", "the slug of a file in terms/", "did you mean 'dropout'?")
    assert p.format() == (
        "terms/x.yml:14:3: related[1]: unknown term 'dropuot'\n"
        "    expected: the slug of a file in terms/\n"
        "    hint: did you mean 'dropout'?"
    )


def test_a_valid_term_loads_with_defaults(project):
    project.add_term("dropout", VALID)
    terms, problems = load_glossary(project.root)
    assert problems == []
    [t] = terms
    assert (t.slug, t.name, t.snippet) == ("dropout", "Dropout", None)
    assert t.data.verify.timeout == 10.0 and t.data.aliases == []


def test_default_snippet_path_is_the_module_name(project):
    project.add_term("batch-normalization", term("Batch Normalization"))
    project.add_snippet("batch_normalization", "x = 1\n")
    [t], problems = load_glossary(project.root)
    assert problems == []
    assert t.snippet == project.root / "snippets" / "batch_normalization.py"


def test_model_fields_are_the_documented_ones():
    assert list(TermData.model_fields) == [
        "term",
        "aliases",
        "summary",
        "definition",
        "how_it_works",
        "example",
        "why_it_matters",
        "pitfalls",
        "faq",
        "related",
        "prerequisites",
        "tags",
        "references",
        "snippet",
        "verify",
        "equivalents",
        "plurals",
        "no_autolink",
    ]
