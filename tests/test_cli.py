"""The termbook command: new, check (with --update and --json), schema."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jsonschema
import pytest
import yaml
from termbook.cli import main
from termbook.loading import load_glossary
from termbook.model import json_schema, json_schema_text

from .conftest import GOOD_OUTPUT, GOOD_SNIPPET, ROOT, term


def test_new_scaffolds_a_term_whose_placeholders_are_located_errors(project, capsys):
    assert main(["--root", str(project.root), "new", "Layer Normalization"]) == 0
    assert (project.root / "terms" / "layer-normalization.yml").is_file()
    assert (project.root / "snippets" / "layer_normalization.py").is_file()
    assert "created terms/layer-normalization.yml" in capsys.readouterr().err
    terms, problems = load_glossary(project.root)
    assert terms[0].name == "Layer Normalization"  # a valid term file, not yet a finished one
    placeholders = {p.field for p in problems if "placeholder" in p.message}
    assert placeholders == {"summary", "definition", "how_it_works", "example", "why_it_matters", "faq[0].q", "faq[0].a"}
    assert all(p.line for p in problems)
    assert any(p.file == "snippets/layer_normalization.py" and "example snippet" in p.message for p in problems)
    assert main(["--root", str(project.root), "check"]) == 1
    err = capsys.readouterr().err
    assert "terms/layer-normalization.yml:4:10: summary: still has the placeholder text of `termbook new`" in err


def test_a_filled_in_scaffold_passes(project, capsys):
    assert main(["--root", str(project.root), "new", "Doubling"]) == 0
    path = project.root / "terms" / "doubling.yml"
    data = yaml.safe_load(path.read_text())
    data.update(term("Doubling"))
    for key in ("how_it_works", "example", "why_it_matters", "faq"):
        data.pop(key)
    path.write_text(yaml.safe_dump(data))
    project.add_snippet("doubling", GOOD_SNIPPET, GOOD_OUTPUT)
    assert main(["--root", str(project.root), "check"]) == 0, capsys.readouterr().err


def test_check_summarises_graph_suggestions_in_one_line(project, capsys):
    project.add_term("a", term("Alpha", definition="Alpha uses Beta.\n\nMore."))
    project.add_term("b", term("Beta"))
    assert main(["--root", str(project.root), "check", "--no-run"]) == 0
    out = capsys.readouterr().out
    assert "1 suggestions in 1 terms" in out and "--suggestions" in out
    assert "mentions beta" not in out.lower()
    assert main(["--root", str(project.root), "check", "--no-run", "--suggestions"]) == 0
    assert "a mentions b in its text but does not list it as related" in capsys.readouterr().out


def test_new_refuses_to_overwrite(project, capsys):
    project.add_term("dropout", "term: Mine\n")
    assert main(["--root", str(project.root), "new", "Dropout"]) == 1
    assert "not overwriting terms/dropout.yml" in capsys.readouterr().err
    assert (project.root / "terms" / "dropout.yml").read_text() == "term: Mine\n"
    assert not (project.root / "snippets" / "dropout.py").exists()


def test_check_reports_errors_and_exits_non_zero(project, capsys):
    project.add_term("dropout", term("Dropout", relatd=[]))
    assert main(["--root", str(project.root), "check"]) == 1
    err = capsys.readouterr().err
    assert "terms/dropout.yml:7:1: relatd: unknown key 'relatd'" in err
    assert "hint: did you mean 'related'?" in err
    assert "Traceback" not in err


def test_check_passes_prints_table_and_writes_json(project, capsys, tmp_path):
    project.add_term("dropout", term("Dropout"))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    report = tmp_path / "report.json"
    assert main(["--root", str(project.root), "check", "--json", str(report)]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].split() == ["term", "status", "time", "memory"]
    assert out.splitlines()[1].split()[:2] == ["dropout", "verified"]
    assert "1 snippets: 1 verified, 0 not verified (1 run, 0 cached)" in err
    data = json.loads(report.read_text())
    [entry] = data["snippets"]
    assert entry["term"] == "dropout" and entry["status"] == "verified" and entry["peak_memory_kb"] > 0
    assert entry["checks"] == [{"name": "check_double_is_linear", "ok": True}]
    # second run: from the cache
    assert main(["--root", str(project.root), "check"]) == 0
    assert "(0 run, 1 cached)" in capsys.readouterr().err


def test_check_update_pins_only_with_consent(project, capsys, monkeypatch):
    project.add_term("dropout", term("Dropout"))
    project.add_snippet("dropout", GOOD_SNIPPET)
    out_file = project.root / "snippets" / "dropout.out"
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    assert main(["--root", str(project.root), "check", "--update"]) == 1
    assert "rerun with --yes" in capsys.readouterr().err
    assert not out_file.exists()
    assert main(["--root", str(project.root), "check", "--update", "--yes"]) == 0
    assert out_file.read_text() == GOOD_OUTPUT
    # a drifted output shows a diff before it is re-pinned
    out_file.write_text("double: [0. 2. 5.]\n")
    assert main(["--root", str(project.root), "check", "--update", "--yes"]) == 0
    err = capsys.readouterr().err
    assert "-double: [0. 2. 5.]" in err and "+double: [0. 2. 4.]" in err
    assert out_file.read_text() == GOOD_OUTPUT


def test_check_update_never_pins_a_failing_snippet(project, capsys):
    project.add_term("dropout", term("Dropout"))
    project.add_snippet("dropout", "print(1)\ndef check_x():\n    assert False\n")
    assert main(["--root", str(project.root), "check", "--update", "--yes"]) == 1
    assert not (project.root / "snippets" / "dropout.out").exists()


def test_check_only_named_terms(project, capsys):
    project.add_term("dropout", term("Dropout"))
    project.add_snippet("dropout", GOOD_SNIPPET, GOOD_OUTPUT)
    project.add_term("adam", term("Adam"))
    project.add_snippet("adam", "def check_fail():\n    assert False\n")
    assert main(["--root", str(project.root), "check", "--term", "dropout"]) == 0
    assert main(["--root", str(project.root), "check", "--term", "nope"]) == 2


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "termbook.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "check" in result.stdout


def test_committed_schema_is_the_generated_one():
    committed = (ROOT / "schema" / "term.schema.json").read_text()
    assert committed == json_schema_text(), "run `termbook schema --write`"


def test_schema_accepts_every_real_term_and_rejects_bad_ones():
    validator = jsonschema.Draft202012Validator(json_schema())
    for path in sorted((ROOT / "terms").glob("*.yml")):
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text())))
        assert errors == [], f"{path.name}: {errors[0].message}"
    assert list(validator.iter_errors({"term": "X", "summary": "s", "definition": "d", "relatd": []}))
    assert list(validator.iter_errors({"term": "X", "summary": "s" * 201, "definition": "d"}))


def test_shards_split_the_snippets_stably_and_share_one_cache(project, capsys):
    from termbook.glossary import in_shard

    slugs = [f"t{i}" for i in range(40)]
    parts = [{s for s in slugs if in_shard(s, (k, 3))} for k in (1, 2, 3)]
    assert set().union(*parts) == set(slugs) and sum(map(len, parts)) == len(slugs)  # a partition
    assert all(parts) and parts[0] == {s for s in slugs + ["new"] if in_shard(s, (1, 3))} - {"new"}  # adding a term moves none
    for slug in ("a", "b", "c", "d"):
        project.add_term(slug, term(slug.upper() + "x"))
        project.add_snippet(slug, GOOD_SNIPPET, GOOD_OUTPUT)
    ran = 0
    for k in (1, 2):
        assert main(["--root", str(project.root), "check", "--shard", f"{k}/2"]) == 0
        summary = capsys.readouterr().err.strip().splitlines()[-1]
        ran += int(summary.split(" snippets:")[0].rsplit(" ", 1)[1])
    assert ran == 4
    assert main(["--root", str(project.root), "check"]) == 0  # the shards' runs are in the one cache
    assert "(0 run, 4 cached)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # argparse: a usage error
        main(["--root", str(project.root), "check", "--shard", "3/2"])
    assert exit_info.value.code == 2 and "K must be between 1 and N" in capsys.readouterr().err


def test_shard_caches_from_other_checkouts_merge_into_a_check_that_runs_nothing(project, tmp_path, capsys):
    """A CI matrix: each shard runs in its own checkout (another path, as on another machine),
    its runs folder is copied into one; a full check there runs no snippet. The key holds no path."""
    import shutil

    from termbook.glossary import in_shard

    slugs = ("a", "b", "e", "g")
    assert all(any(in_shard(s, (k, 3)) for s in slugs) for k in (1, 2, 3))  # every shard has work
    for slug in slugs:
        project.add_term(slug, term(slug.upper() + "x"))
        project.add_snippet(slug, GOOD_SNIPPET + f"# {slug}: its own source, so its own run\n", GOOD_OUTPUT)  # same source, same key
    # one snippet imports another, so the key holds a dependency (by its path in the project)
    project.add_snippet("e", "from snippets.a import double\n" + GOOD_SNIPPET.replace("def double", "def _double"), GOOD_OUTPUT)
    runs = ".cache/termbook/runs"
    ran = 0
    for k in (1, 2, 3):
        checkout = tmp_path / f"runner-{k}" / "work" / "glossary"
        shutil.copytree(project.root, checkout)
        assert main(["--root", str(checkout), "check", "--shard", f"{k}/3"]) == 0
        ran += int(re.search(r"\((\d+) run, 0 cached\)", capsys.readouterr().err)[1])
        shutil.copytree(checkout / runs, tmp_path / "merged", dirs_exist_ok=True)  # as download-artifact merge-multiple
    assert ran == 4
    assert not (project.root / ".cache").exists()
    shutil.copytree(tmp_path / "merged", project.root / runs)
    assert main(["--root", str(project.root), "check"]) == 0
    assert "(0 run, 4 cached)" in capsys.readouterr().err
    # a missing shard is run, not guessed: drop one entry and exactly one snippet runs
    entry = next((project.root / runs).rglob("*.json"))
    entry.unlink()
    assert main(["--root", str(project.root), "check"]) == 0
    assert "(1 run, 3 cached)" in capsys.readouterr().err
