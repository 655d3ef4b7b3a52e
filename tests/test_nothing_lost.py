"""Nothing is lost: a failed build keeps the old site, the cache survives corruption and
concurrent builds, and neither ``termbook new`` nor ``check --update`` overwrites without consent.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from termbook.cli import main
from termbook.execution.cache import FORMAT, Cache
from termbook.execution.pool import WorkerPool
from termbook.execution.verification import verify_terms
from termbook.loading import load_glossary

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, ROOT, Project, term
from .test_faulty_snippets import snapshot

VENV_BIN = Path(sys.executable).parent  # the venv running the tests has mkdocs and termbook


# --- (a) a failing build through `make site` keeps the previous site -------------------------------


def make_site(root: Path) -> subprocess.CompletedProcess:
    # BIN points the Makefile at this venv; the stamp it depends on is satisfied by make_project
    return subprocess.run(
        ["make", "--no-print-directory", "site", f"BIN={VENV_BIN}"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def make_project(tmp_path) -> Project:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    project = Project(tmp_path / "proj")
    shutil.copyfile(ROOT / "Makefile", project.root / "Makefile")
    # the venv stamp (.venv/.installed) is newer than pyproject.toml: make does not try to install
    (project.root / "pyproject.toml").write_text("")
    (project.root / ".venv").mkdir()
    (project.root / ".venv" / ".installed").touch()
    project.add_term("dropout", term("Dropout", related=["adam"]))
    project.add_term("adam", term("Adam"))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    return project


def test_a_failed_make_site_keeps_the_previous_site(make_project):
    project = make_project
    first = make_site(project.root)
    assert first.returncode == 0, first.stdout + first.stderr
    site = project.root / "site"
    assert (site / "terms" / "dropout.html").is_file()
    before = snapshot(site)

    project.add_term("adam", "term: [unclosed\n")  # a contributor's typo
    second = make_site(project.root)
    output = second.stdout + second.stderr
    assert second.returncode != 0
    assert "terms/adam.yml:2:1: YAML syntax error" in output
    assert "Traceback" not in output
    assert snapshot(site) == before  # byte for byte, every file of the old site

    project.add_term("adam", term("Adam", summary="Fixed, and now the site is rebuilt."))
    third = make_site(project.root)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "Fixed, and now the site is rebuilt." in (site / "terms" / "adam.html").read_text()
    assert not (project.root / ".site-build").exists() and not (project.root / ".site-old").exists()


# --- (b) a corrupted cache entry is detected and recomputed -------------------------------------------
# (the truncated entry is tests/test_runner.py::test_corrupt_cache_entry_is_ignored_and_rewritten)


def _rewrite(entry: Path, change) -> None:
    data = json.loads(entry.read_text())
    change(data)
    entry.write_text(json.dumps(data))


CORRUPTIONS = {
    "empty": lambda e: e.write_bytes(b""),
    "binary garbage": lambda e: e.write_bytes(os.urandom(64) + b"\xff\xfe"),
    "null": lambda e: e.write_text("null"),
    "a list": lambda e: e.write_text("[1, 2, 3]"),
    "another key's entry": lambda e: _rewrite(e, lambda d: d.update(key="0" * 64)),
    "another format": lambda e: _rewrite(e, lambda d: d.update(format=FORMAT + 1)),
    "value not a mapping": lambda e: _rewrite(e, lambda d: d.update(value="verified")),
}
SEMANTIC = {  # parse, key and format are right; the value itself is damaged
    "value missing fields": lambda e: _rewrite(e, lambda d: d.update(value={"status": "verified"})),
    "value of the wrong types": lambda e: _rewrite(e, lambda d: d["value"].update(checks=5, seconds="soon")),
}


@pytest.fixture
def cached_project(tmp_path):
    project = Project(tmp_path / "proj")
    project.add_term("good", term("Good"))
    project.add_snippet("good", GOOD_SNIPPET, GOOD_OUTPUT)
    terms, problems = load_glossary(project.root)
    assert problems == []
    cache = Cache(tmp_path / "cache")
    with WorkerPool(project.root, jobs=1) as pool:
        first = verify_terms(terms, project.root, pool, cache)
        assert first["good"].verified and not first["good"].cached
        [entry] = (tmp_path / "cache").rglob("*.json")
        yield project, terms, pool, cache, entry


def assert_recomputed_and_rewritten(cached_project) -> None:
    project, terms, pool, cache, entry = cached_project
    again = verify_terms(terms, project.root, pool, cache)
    assert not again["good"].cached and again["good"].verified
    data = json.loads(entry.read_text())
    assert data["key"] == entry.stem and data["format"] == FORMAT and data["value"]["status"] == "ran"
    assert verify_terms(terms, project.root, pool, cache)["good"].cached  # and it is used again


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS.values()), ids=list(CORRUPTIONS))
def test_a_corrupted_cache_entry_is_recomputed(cached_project, corrupt):
    corrupt(cached_project[-1])
    assert_recomputed_and_rewritten(cached_project)


@pytest.mark.parametrize("corrupt", list(SEMANTIC.values()), ids=list(SEMANTIC))
def test_a_damaged_cache_value_is_recomputed(cached_project, corrupt):
    corrupt(cached_project[-1])
    assert_recomputed_and_rewritten(cached_project)


def test_an_unwritable_cache_entry_does_not_stop_the_build(cached_project):
    project, terms, pool, cache, entry = cached_project
    entry.unlink()
    entry.mkdir()
    again = verify_terms(terms, project.root, pool, cache)
    assert again["good"].verified and not again["good"].cached


# --- (c) two builds at once do not corrupt the cache ----------------------------------------------------


def test_two_checks_at_once_share_the_cache_without_corrupting_it(project):
    for i in range(6):
        project.add_term(f"term-{i}", term(f"Term {i}"))
        project.add_snippet(f"term_{i}", GOOD_SNIPPET.replace("2 * x", f"2 * x + {i} - {i}"), GOOD_OUTPUT)
    command = [sys.executable, "-m", "termbook.cli", "--root", str(project.root), "check", "--jobs", "2"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    entries = list((project.root / ".cache" / "termbook" / "runs").rglob("*.json"))
    assert len(entries) == 6
    for entry in entries:  # every entry is whole, and filed under its own key
        data = json.loads(entry.read_text(encoding="utf-8"))
        assert data["key"] == entry.stem and data["value"]["status"] == "ran"
    audits = list((project.root / ".cache" / "termbook" / "audit").rglob("*.json"))
    assert len(audits) == 6  # what auditing each term page found (nothing), whole too
    assert all(json.loads(a.read_text(encoding="utf-8"))["value"] == {"removals": [], "math": []} for a in audits)
    assert not [p for p in (project.root / ".cache").rglob("*") if p.name.startswith(".tmp-")]
    terms, _ = load_glossary(project.root)
    with WorkerPool(project.root, jobs=1) as pool:
        third = verify_terms(terms, project.root, pool, Cache(project.root / ".cache" / "termbook"))
    assert all(r.cached and r.verified for r in third.values()) and len(third) == 6


def test_readers_never_see_a_partly_written_entry(tmp_path):
    """Many writers of one key, and readers of its raw file: a reader sees a whole entry or none."""
    cache = Cache(tmp_path / "cache")
    key = "ab" * 32
    values = [{"status": "verified", "stdout": str(i) * 200_000} for i in range(4)]
    path = cache._path(key)
    stop = threading.Event()
    seen, broken = [], []

    def write(value):
        for _ in range(25):
            cache.put(key, value)

    def read():
        while not stop.is_set():
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            try:
                seen.append(json.loads(raw)["value"]["stdout"][:1])
            except ValueError:
                broken.append(len(raw))

    readers = [threading.Thread(target=read) for _ in range(2)]
    writers = [threading.Thread(target=write, args=(v,)) for v in values]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert broken == []
    assert seen  # the readers did read while the writers wrote
    assert cache.get(key) in values


# --- (d) `termbook new` and `check --update` never overwrite without asking -------------------------------
# (tests/test_cli.py covers: new refusing an existing term file; --update without a terminal, --yes,
# and never pinning a failing snippet)


def test_new_refuses_when_only_the_snippet_exists_and_writes_nothing(project, capsys):
    project.add_snippet("dropout", "MINE = 1\n")
    assert main(["--root", str(project.root), "new", "Dropout"]) == 1
    assert "not overwriting snippets/dropout.py" in capsys.readouterr().err
    assert (project.root / "snippets" / "dropout.py").read_text() == "MINE = 1\n"
    assert not (project.root / "terms" / "dropout.yml").exists()  # not half a scaffold either


def test_new_refuses_a_name_that_differs_only_in_case_or_spacing(project, capsys):
    project.add_term("layer-normalization", "term: Mine\n")
    assert main(["--root", str(project.root), "new", "  LAYER   normalization "]) == 1
    assert "not overwriting terms/layer-normalization.yml" in capsys.readouterr().err
    assert (project.root / "terms" / "layer-normalization.yml").read_text() == "term: Mine\n"


@pytest.fixture
def drifted(project, monkeypatch):
    """A term whose snippet's output no longer matches its pinned output, at a terminal."""
    project.add_term("dropout", term("Dropout"))
    project.add_snippet("dropout", GOOD_SNIPPET, "double: [0. 2. 5.]\n")
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    return project.root / "snippets" / "dropout.out"


@pytest.mark.parametrize("answer", ["n", "", "no", "maybe"])
def test_update_keeps_the_pinned_output_unless_the_answer_is_yes(drifted, answer, monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(builtins, "input", lambda prompt="": asked.append(prompt) or answer)
    assert main(["--root", str(drifted.parent.parent), "check", "--update"]) == 1
    assert asked == ["Pin this output for dropout? [y/N] "]
    assert drifted.read_text() == "double: [0. 2. 5.]\n"
    err = capsys.readouterr().err
    assert "-double: [0. 2. 5.]" in err and "+double: [0. 2. 4.]" in err  # it showed what would change


def test_update_pins_when_the_answer_is_yes(drifted, monkeypatch):
    monkeypatch.setattr(builtins, "input", lambda prompt="": "y")
    assert main(["--root", str(drifted.parent.parent), "check", "--update"]) == 0
    assert drifted.read_text() == GOOD_OUTPUT


def test_update_without_consent_keeps_a_drifted_output(drifted, monkeypatch, capsys):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["--root", str(drifted.parent.parent), "check", "--update"]) == 1
    assert drifted.read_text() == "double: [0. 2. 5.]\n"
    assert "rerun with --yes" in capsys.readouterr().err


def test_update_does_not_touch_a_verified_output(project, monkeypatch):
    project.add_term("dropout", term("Dropout"))
    out = project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT).with_suffix(".out")
    stamp = out.stat().st_mtime_ns
    monkeypatch.setattr(builtins, "input", lambda prompt="": pytest.fail("asked about a verified snippet"))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    assert main(["--root", str(project.root), "check", "--update"]) == 0
    assert out.read_text() == GOOD_OUTPUT and out.stat().st_mtime_ns == stamp


def test_update_end_of_input_at_the_prompt_keeps_the_output(drifted, monkeypatch, capsys):
    def eof(prompt=""):
        raise EOFError

    monkeypatch.setattr(builtins, "input", eof)
    try:
        status = main(["--root", str(drifted.parent.parent), "check", "--update"])
    finally:
        assert drifted.read_text() == "double: [0. 2. 5.]\n"  # nothing lost either way
    assert status == 1
