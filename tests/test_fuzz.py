"""Property-based fuzzing of the loader and validator: whatever a term file holds, loading it
returns problems; it never raises.

Inputs: YAML documents dumped from arbitrary JSON-like values (with the schema's own keys mixed
in, so the validator is reached, not just the parser), valid terms with one field replaced by an
arbitrary value, strings of YAML tokens, arbitrary text, arbitrary bytes and arbitrary file names.
The profile is derandomized and keeps no example database, so every run (and CI) tries the same
examples and writes nothing into the repository.
"""

from __future__ import annotations

import os
import string
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from termbook.errors import Problem, format_report
from termbook.loading import load_glossary
from termbook.model import FIELDS, SLUG_RE

from .conftest import Project, term
from .test_bad_terms_corpus import CONTROL, no_hang

# Hypothesis caches (constants of the loaded modules, Unicode tables) in ./.hypothesis/ by default,
# already while collecting; keep them out of the repository, in one place that later runs reuse.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "termbook-hypothesis")

settings.register_profile(
    "termbook-fuzz",
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile("termbook-fuzz")

# every code point but surrogates; spelled out because st.text()'s default (a codec) costs seconds
# to compute on a machine without a warm .hypothesis/ directory, as in CI
CHARS = st.characters(exclude_categories=("Cs",))
KEYS = FIELDS + ("q", "a", "title", "authors", "year", "url", "timeout", "rtol", "atol")
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(CHARS, max_size=30)
    | st.sampled_from(["dropout", "Batch Norm", "https://arxiv.org/abs/1", "javascript:x", "1e-5", "", " "])
)
keys = st.sampled_from(KEYS) | st.text(CHARS, max_size=12)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)
documents = st.dictionaries(keys, json_like, max_size=8) | json_like
YAML_TOKENS = [
    "term:",
    "summary:",
    "definition:",
    "faq:",
    "related:",
    "references:",
    "verify:",
    "timeout:",
    " ",
    "  ",
    "\n",
    "\t",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ": ",
    ",",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "!!python/name:os.system",
    "!foo ",
    "!!binary ",
    "!!int ",
    "!!timestamp ",
    "'",
    '"',
    "\\",
    "? ",
    "| ",
    "> ",
    "# ",
    "---\n",
    "...\n",
    "<<: ",
    "2020-13-45",
    "0x",
    "~",
    "yes",
    "no",
    "1e-5",
    ".nan",
    ".inf",
    "%YAML 1.1\n",
    "%TAG ! tag:x,2000:\n",
    "\x00",
    "\x1b",
    "\ufeff",
    "é",
    "\u2028",
    "Dropout",
    "q: ",
    "a: ",
    "x" * 50,
]
yaml_like = st.lists(st.sampled_from(YAML_TOKENS), max_size=60).map("".join)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """One project for all examples of a test (function-scoped fixtures do not mix with @given)."""
    root = tmp_path_factory.mktemp("fuzz")
    project = Project(root / "proj")
    project.add_term("dropout", term("Dropout"))  # a valid neighbour, so cross-file checks run too
    return project


def load_file(project: Project, content: bytes | str, name: str = "fuzzed.yml") -> list[Problem]:
    path = project.root / "terms" / name
    if isinstance(content, str):
        content = content.encode("utf-8", "surrogatepass")
    path.write_bytes(content)
    try:
        with no_hang(10, "loading a fuzzed term file"):
            terms, problems = load_glossary(project.root)
    finally:
        path.unlink()
    assert isinstance(terms, list)
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file and problem.message and problem.hint, problem
        assert not CONTROL.search(problem.format())
    format_report(problems)
    return problems


def dump(data) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@FUZZ
@given(documents)
def test_arbitrary_yaml_documents_give_problems_not_exceptions(workspace, data):
    load_file(workspace, dump(data))


@FUZZ
@given(st.sampled_from(FIELDS), json_like)
def test_a_bad_value_is_reported_at_its_field(workspace, field, value):
    data = term("Fuzzed Term", **{field: value})
    problems = load_file(workspace, dump(data))
    for problem in problems:  # whatever is wrong is wrong with that field of that file, and is said so
        assert problem.file == "terms/fuzzed.yml", problem
        assert problem.field == field or problem.field.startswith((f"{field}.", f"{field}[")), problem


@FUZZ
@given(yaml_like)
def test_strings_of_yaml_tokens_give_problems_not_exceptions(workspace, text):
    load_file(workspace, text)


@FUZZ
@given(st.text(CHARS))
def test_arbitrary_text_gives_problems_not_exceptions(workspace, text):
    load_file(workspace, text)


@FUZZ
@given(st.binary(max_size=4096))
def test_arbitrary_bytes_give_problems_not_exceptions(workspace, raw):
    load_file(workspace, raw)


file_names = st.text(
    alphabet=st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)) | st.sampled_from(string.ascii_lowercase + "-_. "),
    min_size=1,
    max_size=40,
).filter(lambda name: not name.startswith(".") and name != "dropout" and len(os.fsencode(name)) < 200)


@FUZZ
@given(file_names, st.sampled_from([dump(term("Named")), "term: [\n", ""]))
def test_arbitrary_file_names_give_problems_not_exceptions(workspace, name, content):
    problems = load_file(workspace, content, name + ".yml")
    assert problems or SLUG_RE.match(name)  # only a valid slug with a valid term is clean


# --- the fast reader (libyaml) against the exact one (PyYAML) ----------------------------------------
# parse_yaml reads a file with libyaml's scanner and keeps that reading only when it found nothing
# wrong; these check that such a reading is the one PyYAML's own scanner gives, to the last mark.


def _agree(text: str) -> bool:
    from termbook import yaml_source

    if yaml_source._FastLoader is None:
        pytest.skip("PyYAML without libyaml: only the exact reader exists")
    fast = yaml_source.fast_reading(text, "t.yml")
    if fast is None:
        return False  # not taken: parse_yaml uses the exact reading
    exact = yaml_source.exact_reading(text, "t.yml")
    assert not exact[2], f"libyaml accepted what PyYAML refuses: {exact[2][0].format()}"
    assert repr(fast[0]) == repr(exact[0]) and fast[1] == exact[1]  # repr: NaN is not equal to itself
    return True


def test_fast_reader_agrees_on_every_term_and_corpus_file():
    root = Path(__file__).resolve().parent.parent
    paths = [p for p in [*root.glob("terms/*.yml"), *(root / "tests" / "bad_terms").rglob("*.y*ml")] if p.is_file()]
    accepted = sum(_agree(p.read_text(encoding="utf-8", errors="replace")) for p in paths)
    assert accepted >= len(list(root.glob("terms/*.yml")))  # every real term takes the fast path


@FUZZ
@given(documents)
def test_fast_reader_agrees_on_arbitrary_documents(data):
    _agree(dump(data))


@FUZZ
@given(yaml_like)
def test_fast_reader_agrees_on_strings_of_yaml_tokens(text):
    _agree(text)
