"""The bad-terms corpus (tests/bad_terms/): every malformed file gives our own located problem.

One row per case: loading a project that holds the case (and its valid partners) returns only
:class:`Problem` objects, every one of them with a hint, and among them the expected one, at the
expected file, line, column and field. Nothing raises and nothing hangs: each load runs under an
alarm that fails the test instead of waiting. Then all cases at once, through the API, the CLI and
``mkdocs build``: every bad file is reported in the one run, and no traceback reaches the user.
"""

from __future__ import annotations

import faulthandler
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from termbook.cli import main
from termbook.errors import Problem, printable
from termbook.loading import load_glossary

from .conftest import Project

CORPUS = Path(__file__).parent / "bad_terms"
HANG_SECONDS = 5  # generous: every case loads in milliseconds; this only turns a hang into a failure


@contextmanager
def no_hang(seconds: float, what: str):
    """Fail the test, rather than hang it, when the block runs longer than ``seconds``.

    SIGALRM interrupts blocking system calls (``open`` on a FIFO, ``read`` of /dev/zero) and Python
    loops. A loop in C that never checks for signals is caught by faulthandler's watchdog thread,
    which dumps the stacks and ends the (xdist worker) process: a crash, reported as a failure.
    """
    faulthandler.dump_traceback_later(seconds * 3, exit=True, file=sys.__stderr__)  # not capsys's stream
    use_alarm = threading.current_thread() is threading.main_thread()
    if use_alarm:

        def on_alarm(signum, frame):
            pytest.fail(f"{what} did not finish within {seconds} s: it hangs", pytrace=False)

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        faulthandler.cancel_dump_traceback_later()


@dataclass(frozen=True)
class Case:
    name: str  # the entry in tests/bad_terms/, or a made-up name for a special case
    line: int | None
    column: int | None
    field: str | None
    message: str  # a fragment of the expected problem's message
    hint: str  # a fragment of its hint (case-insensitive)
    file: str | None = None  # the file the problem is in; default terms/<name>
    make: Callable[[Path], None] | None = None  # special cases: create the entry in terms/

    @property
    def expected_file(self) -> str:
        return self.file or f"terms/{self.name}"


def _fifo(terms: Path) -> None:
    os.mkfifo(terms / "named-pipe.yml")


def _dev_zero(terms: Path) -> None:
    os.symlink("/dev/zero", terms / "endless.yml")


def _loop(terms: Path) -> None:
    os.symlink("link-loop.yml", terms / "link-loop.yml")


def _dangling(terms: Path) -> None:
    os.symlink("nowhere/at-all.yml", terms / "dangling-link.yml")


def _outside(terms: Path) -> None:
    target = terms.parent.parent / "outside-term.yml"
    target.write_text("term: Outside\nsummary: A valid term that lives outside the project.\ndefinition: Defined.\n")
    os.symlink(target, terms / "outside-link.yml")


NOT_UTF8_NAME = os.fsdecode(b"caf\xe9-latin1.yml")


def _not_utf8_name(terms: Path) -> None:
    (terms / NOT_UTF8_NAME).write_text("term: Latin Name\nsummary: Its file name is Latin-1.\ndefinition: Defined.\n")


# (name, line, column, field, message fragment, hint fragment[, file])
CASES = [
    # the file itself: encoding, characters, YAML syntax
    Case("empty.yml", None, None, None, "file is empty", "termbook new"),
    Case("latin-1.yml", 2, None, None, "byte 0xe9 is not valid UTF-8", "UTF-8"),
    Case("utf-16.yml", 1, None, None, "the file is encoded as UTF-16", "UTF-8"),
    Case("nul-character.yml", 2, 31, None, "character U+0000 (NUL) is not allowed in YAML", "control characters"),
    Case("terminal-escape.yml", 8, 15, None, "character U+001B (ESCAPE) is not allowed", "terminal output"),
    Case("tab-indentation.yml", 8, 1, None, "YAML syntax error", "tab characters"),
    Case("unclosed-bracket.yml", 8, 5, None, "expected ',' or ']'", "indentation and quoting"),
    Case("unquoted-colon.yml", 2, 14, None, "mapping values are not allowed here", "in quotes"),
    Case("bad-indentation.yml", 3, 13, None, "mapping values are not allowed here", "in quotes"),
    Case("duplicate-key.yml", 7, 1, "summary", "duplicate key 'summary' (first on line 2)", "remove one"),
    Case("two-documents.yml", 7, 1, None, "expected a single document", "indentation"),
    Case("list-document.yml", 1, None, None, "the document is a list", "starting with 'term:'"),
    Case("text-document.yml", 1, None, None, "the document is text", "starting with 'term:'"),
    Case("billion-laughs.yml", 2, 11, "lol2[0]", "anchors and aliases (&name / *name) are not allowed", "in full"),
    Case("merge-key.yml", 7, 1, None, "merge keys (<<) are not allowed", "in full"),
    Case("python-object-tag.yml", 7, 10, None, "tag not allowed: 'tag:yaml.org,2002:python/object:", "'!!' tag"),
    Case("python-object-apply-tag.yml", 7, 10, None, "tag not allowed: 'tag:yaml.org,2002:python/object/apply:os.system'", "'!!' tag"),
    Case("python-name-tag.yml", 7, 10, None, "tag not allowed: 'tag:yaml.org,2002:python/name:os.system'", "'!!' tag"),
    Case("deep-nesting.yml", 7, 41, None, "YAML is nested too deeply", "brackets"),
    Case("number-as-key.yml", 7, 1, None, "key '2015' is read as a number, not as a field name", "field names are words"),
    Case("control-characters-in-key.yml", 7, 1, "\x1b]0;owned\x07\x1b[2J", "unknown key", "remove it"),
    Case("impossible-date.yml", 7, 17, "why_it_matters", "'2023-02-30' cannot be read as a YAML timestamp", "quotes"),
    Case("huge-file.yml", None, None, None, "file is 300 KiB", "one sitting"),
    Case("huge-summary.yml", 2, 10, "summary", "is 10000 characters long", "one sentence"),
    # required fields: missing, empty, null
    Case("missing-term.yml", 1, 1, "term", "required field is missing", "add 'term:'"),
    Case("missing-definition.yml", 1, 1, "definition", "required field is missing", "add 'definition:'"),
    Case("empty-term.yml", 1, 7, "term", "must not be empty", "write the text"),
    Case("blank-summary.yml", 2, 10, "summary", "must not be empty", "write the text"),
    Case("null-definition.yml", 3, 12, "definition", "expected Markdown text, got nothing (null)", "after the colon"),
    # a wrong type at every field of the schema
    Case("term-wrong-type.yml", 1, 7, "term", "expected text: the display name, got a number (42)", "in quotes: '42'"),
    Case("aliases-wrong-type.yml", 7, 10, "aliases", "expected a list of names, got text ('AT')", "[AT]"),
    Case("alias-item-wrong-type.yml", 7, 16, "aliases[1]", "expected a name (text), got a mapping", "starts a mapping"),
    Case("summary-wrong-type.yml", 2, 10, "summary", "expected one sentence of text, got a boolean (true)", "booleans"),
    Case("definition-wrong-type.yml", 4, 3, "definition", "expected Markdown text, got a list", "without brackets or '- '"),
    Case("how-it-works-wrong-type.yml", 8, 3, "how_it_works", "expected Markdown text, got a mapping", "starts a mapping"),
    Case("example-wrong-type.yml", 7, 10, "example", "got a number (3.14)", "in quotes"),
    Case("why-it-matters-wrong-type.yml", 7, 17, "why_it_matters", "got a date (2015-02-11)", "as a date"),
    Case("faq-wrong-type.yml", 7, 6, "faq", "expected a list of {q: ..., a: ...}, got text", "'- q: ...'"),
    Case("faq-item-wrong-type.yml", 8, 5, "faq[0]", "expected a mapping {q: ..., a: ...}, got text", "'- q: ...'"),
    Case("faq-question-wrong-type.yml", 8, 8, "faq[0].q", "expected the question as text, got a list", "without brackets"),
    Case("faq-answer-wrong-type.yml", 9, 8, "faq[0].a", "got a boolean (false)", "booleans"),
    Case("related-wrong-type.yml", 7, 10, "related", "expected a list of term slugs, got text ('dropout')", "[dropout]"),
    Case("related-item-wrong-type.yml", 7, 11, "related[0]", "expected a term slug, got a number (42)", "in quotes"),
    Case("related-not-a-slug.yml", 7, 11, "related[0]", "'Batch Norm' is not a slug", "'batch-norm'"),
    Case("tags-wrong-type.yml", 8, 3, "tags", "expected a list of tags, got a mapping", "'- item'"),
    Case("references-wrong-type.yml", 7, 13, "references", "expected a list of {title, authors, year, url}", "'- title: ...'"),
    Case(
        "reference-item-wrong-type.yml", 8, 5, "references[0]", "expected a mapping {title, authors, year, url}, got text", "'- title: ...'"
    ),
    Case("reference-title-wrong-type.yml", 8, 12, "references[0].title", "expected text, got a number (1984)", "in quotes"),
    Case("reference-title-missing.yml", 8, 5, "references[0].title", "required field is missing", "add 'title:'"),
    Case("reference-authors-wrong-type.yml", 9, 14, "references[0].authors", "expected text, got a list", "authors as one text"),
    Case(
        "reference-year-wrong-type.yml",
        9,
        11,
        "references[0].year",
        "expected a whole number (the year), got text ('2015')",
        "without quotes",
    ),
    Case("reference-url-wrong-type.yml", 9, 10, "references[0].url", "expected an http(s) URL, got a list", "without brackets"),
    Case("reference-url-javascript.yml", 9, 10, "references[0].url", "'javascript:alert(document.cookie)' is not an http(s) URL", "doi"),
    Case("reference-url-ftp.yml", 9, 10, "references[0].url", "'ftp://ftp.example.org/paper.pdf' is not an http(s) URL", "doi"),
    Case("snippet-wrong-type.yml", 7, 10, "snippet", "expected a path to a .py file, got a list", "without brackets"),
    Case("verify-wrong-type.yml", 7, 9, "verify", "expected a mapping {timeout, rtol, atol}, got a number (5)", "'timeout: 5'"),
    Case(
        "verify-timeout-wrong-type.yml",
        8,
        12,
        "verify.timeout",
        "expected a number of seconds, got text ('10s')",
        "without quotes or units",
    ),
    Case("verify-timeout-out-of-range.yml", 8, 12, "verify.timeout", "0 is out of range", "positive number of seconds"),
    Case("verify-rtol-wrong-type.yml", 8, 9, "verify.rtol", "expected a number, got text ('1e-5')", "'1.0e-5'"),
    Case("verify-atol-wrong-type.yml", 8, 9, "verify.atol", "expected a number, got a boolean (true)", "write a number"),
    Case("plurals-wrong-type.yml", 7, 10, "plurals", "expected a list of plural forms, got text", "[plurals types]"),
    Case("no-autolink-wrong-type.yml", 7, 15, "no_autolink[0]", "expected text, got a boolean (true)", "booleans"),
    # unknown keys, at every level
    Case("unknown-key.yml", 7, 1, "relatd", "unknown key 'relatd'", "did you mean 'related'?"),
    Case("unknown-faq-key.yml", 9, 5, "faq[0].answer", "unknown key 'answer'", "remove it"),
    Case("unknown-reference-key.yml", 8, 5, "references[0].titel", "unknown key 'titel'", "did you mean 'title'?"),
    Case("unknown-verify-key.yml", 8, 3, "verify.timout", "unknown key 'timout'", "did you mean 'timeout'?"),
    # related slugs, names and aliases across files
    Case("related-self.yml", 7, 11, "related[0]", "a term cannot be related to itself", "remove it"),
    Case("related-unknown.yml", 7, 11, "related[0]", "unknown term 'no-such-term-anywhere-in-the-corpus'", "create terms/no-such-term"),
    Case(
        "related-typo",
        7,
        11,
        "related[0]",
        "unknown term 'dropout-regularization'",
        "did you mean 'dropout-regularisation'?",
        "terms/related-typo.yml",
    ),
    Case(
        "alias-is-another-name",
        7,
        15,
        "aliases[1]",
        "alias 'lambda network' is the name of another term (lambda-network)",
        "mention Lambda Network in 'related'",
        "terms/leaky-neuron.yml",
    ),
    Case(
        "alias-shared",
        7,
        11,
        "aliases[0]",
        "alias 'sn' is also an alias of spectral-norm",
        "an alias must lead to one term",
        "terms/switchable-norm.yml",
    ),
    Case("alias-own-name.yml", 7, 11, "aliases[0]", "alias 'alias own name' is the term's own name", "remove it"),
    Case(
        "duplicate-name",
        1,
        7,
        "term",
        "term name 'Weight Decay' is already used by terms/weight-decay-again.yml",
        "make the names distinct",
        "terms/weight-decay.yml",
    ),
    # file names
    Case("Batch Norm.yml", None, None, None, "the file name 'Batch Norm.yml' is not a valid slug", "rename it to 'batch-norm.yml'"),
    Case("BatchNorm.yml", None, None, None, "is not a valid slug", "rename it to 'batchnorm.yml'"),
    Case("café.yml", None, None, None, "is not a valid slug", "rename it to 'cafe.yml'"),
    Case("drop_out.yml", None, None, None, "is not a valid slug", "rename it to 'drop-out.yml'"),
    Case("yaml-extension.yaml", None, None, None, "term files end in '.yml'", "rename it to yaml-extension.yml"),
    Case("directory-named-like-a-term.yml", None, None, None, "is a directory, not a term file", "remove or rename"),
    # snippet paths
    Case("snippet-missing.yml", 7, 10, "snippet", "snippet 'snippets/nope.py' does not exist", "snippets/snippet_missing.py"),
    Case("snippet-outside-project.yml", 7, 10, "snippet", "snippet '../outside.py' is outside the project", "move the code into snippets/"),
    Case("snippet-nul-byte.yml", 7, 10, "snippet", r"snippet 'snippets/a\x00b.py' is not a usable path", "plain path"),
    Case("snippet-not-python.yml", 7, 10, "snippet", "snippet 'snippets' is not a .py file", "the default is"),
]

# made by the test: a repository cannot hold them (or should not: reading them would hang tools)
SPECIAL = [
    Case("named-pipe.yml", None, None, None, "is not a regular file", "replace it", make=_fifo),
    Case("endless.yml", None, None, None, "is not a regular file", "replace it", make=_dev_zero),
    Case("link-loop.yml", None, None, None, "is a symbolic link to nothing", "replace it", make=_loop),
    Case("dangling-link.yml", None, None, None, "is a symbolic link to nothing", "replace it", make=_dangling),
    Case("outside-link.yml", None, None, None, "is a symbolic link to a file outside the project", "copy the term file", make=_outside),
    Case(NOT_UTF8_NAME, None, None, None, "is not a valid slug", "rename it", make=_not_utf8_name),
]

ALL = CASES + SPECIAL
PARTNERS = {  # valid files that a multi-file case needs; they must stay free of problems
    "terms/dropout-regularisation.yml",
    "terms/lambda-network.yml",
    "terms/spectral-norm.yml",
    "terms/weight-decay-again.yml",
}
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def install(case: Case, terms: Path) -> None:
    """Put ``case`` into ``terms/``: a file, a directory named like a term, or a group of files."""
    if case.make is not None:
        case.make(terms)
        return
    source = CORPUS / case.name
    if source.is_dir() and source.suffix == ".yml":
        shutil.copytree(source, terms / source.name)
    elif source.is_dir():
        for path in sorted(source.iterdir()):
            shutil.copyfile(path, terms / path.name)
    else:
        shutil.copyfile(source, terms / source.name)


def fresh_project(tmp_path: Path) -> Project:
    project = Project(tmp_path / "proj")
    (tmp_path / "outside.py").write_text("print('outside the project')\n")
    return project


def load(project: Project, what: str) -> list[Problem]:
    with no_hang(HANG_SECONDS, f"loading {what}"):
        terms, problems = load_glossary(project.root)
    assert isinstance(terms, list)
    return problems


def assert_well_formed(problems: list[Problem]) -> None:
    for problem in problems:
        assert isinstance(problem, Problem)
        assert problem.file.startswith("terms/"), problem
        assert problem.message and problem.hint, f"no hint: {problem}"
        assert problem.severity == "error"
        assert not CONTROL.search(problem.format()), f"control characters reach the terminal: {problem.format()!r}"


def test_every_corpus_entry_has_a_row():
    entries = {p.name for p in CORPUS.iterdir() if p.name != "README.md"}
    assert entries == {c.name for c in CASES}
    assert len(entries) >= 30


@pytest.mark.parametrize("case", ALL, ids=[c.name.encode("ascii", "backslashreplace").decode() for c in ALL])
def test_bad_term_gives_a_located_problem(tmp_path, case):
    project = fresh_project(tmp_path)
    install(case, project.root / "terms")
    problems = load(project, case.name)
    assert problems, "a bad file loaded without a problem"
    assert_well_formed(problems)
    # the problems are all in the bad file: nothing spills onto its valid partners
    assert {p.file for p in problems} == {case.expected_file}
    matching = [p for p in problems if p.field == case.field and case.message in p.message]
    assert matching, f"no problem with field {case.field!r} and {case.message!r} in:\n" + "\n".join(map(str, problems))
    problem = matching[0]
    assert (problem.line, problem.column) == (case.line, case.column)
    assert case.hint.lower() in problem.hint.lower()


def test_the_billion_laughs_costs_one_problem_per_alias_written(tmp_path):
    project = fresh_project(tmp_path)
    install(next(c for c in CASES if c.name == "billion-laughs.yml"), project.root / "terms")
    problems = load(project, "billion-laughs.yml")
    # 8 lines of 9 aliases, plus 'example: *i'; expanded, it would be 9**9 strings
    assert len(problems) == 8 * 9 + 1
    assert problems[-1].field == "example" and (problems[-1].line, problems[-1].column) == (16, 1)


def test_a_python_tag_is_not_constructed(tmp_path):
    marker = Path("/tmp/termbook-pwned")
    marker.unlink(missing_ok=True)
    project = fresh_project(tmp_path)
    install(next(c for c in CASES if c.name == "python-object-apply-tag.yml"), project.root / "terms")
    load(project, "python-object-apply-tag.yml")
    assert not marker.exists()


def test_a_related_slug_of_a_broken_file_is_not_called_unknown(tmp_path):
    project = fresh_project(tmp_path)
    project.add_term("attention", "term: [\n")
    project.add_term("transformer", "term: Transformer\nsummary: s.\ndefinition: d.\nrelated: [attention]\n")
    problems = load(project, "a related broken file")
    assert [p.file for p in problems] == ["terms/attention.yml"]  # not also "create terms/attention.yml"


def all_cases_project(tmp_path: Path) -> Project:
    project = fresh_project(tmp_path)
    for case in ALL:
        install(case, project.root / "terms")
    return project


def test_all_cases_in_one_directory_are_reported_in_one_run(tmp_path):
    project = all_cases_project(tmp_path)
    with no_hang(4 * HANG_SECONDS, "loading the whole corpus"):
        _, problems = load_glossary(project.root)
    assert_well_formed(problems)
    reported = {p.file for p in problems}
    bad = {c.expected_file for c in ALL}
    assert bad <= reported, f"not reported: {sorted(bad - reported)}"
    assert not reported & PARTNERS
    for case in ALL:  # and each one's own problem is among them, at its place
        assert any(
            p.file == case.expected_file and p.field == case.field and case.message in p.message and p.line == case.line for p in problems
        ), case.name


def test_check_reports_every_bad_file_without_a_traceback(tmp_path, capsys):
    project = all_cases_project(tmp_path)
    with no_hang(4 * HANG_SECONDS, "termbook check"):
        status = main(["--root", str(project.root), "check"])
    out, err = capsys.readouterr()
    assert status == 1
    assert "Traceback" not in out + err
    for case in ALL:
        assert printable(case.expected_file) in err, case.name
    assert "\x1b" not in err  # the control characters of control-characters-in-key.yml arrive escaped
    assert r"\x1b]0;owned\x07\x1b[2J: unknown key" in err


def test_mkdocs_build_aborts_with_the_report_and_no_traceback(tmp_path):
    project = all_cases_project(tmp_path)
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project.root,
        capture_output=True,
        text=True,
        errors="backslashreplace",
        env=env,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert "Aborted" in output
    assert "terms/duplicate-key.yml:7:1: summary: duplicate key 'summary' (first on line 2)" in output
    assert "terms/named-pipe.yml: is not a regular file" in output
    assert not (project.root / "site").exists()
