"""Library equivalents: run in the isolated runner, compared with the snippet, shown in tabs.

A tiny project whose softmax snippet is the reference, with SciPy (quick to import) as the library;
one test checks gradients against PyTorch's autograd.
"""

from __future__ import annotations

import json
import logging
import re

import pytest
import yaml
from mkdocs.exceptions import Abort
from termbook.cli import main as cli
from termbook.execution import equivalence
from termbook.execution.equivalence import Agreement
from termbook.glossary import BuildOptions, load_and_verify
from termbook.model import Library
from termbook.project import Project as TermbookProject

from .conftest import term

SOFTMAX = '''
import numpy as np


def softmax(z):
    """Row-wise softmax of logits z, shape (N, C); like scipy.special.softmax(z, axis=1)."""
    shifted = z - z.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def cases():
    """Logits of several shapes, one row with a huge logit (overflow without the shift)."""
    rng = np.random.default_rng(0)
    out = [{"z": rng.normal(size=(n, c))} for n, c in [(3, 4), (1, 2), (5, 7)]]
    out.append({"z": np.array([[1000.0, 0.0, -1000.0]])})
    return out


def noise_and_softmax(z):
    """softmax(z) and three numbers that are zero up to rounding (like a gradient that cancels)."""
    return softmax(z), np.full(3, 1e-16)


def linear_with_gradients(x, w, b, dout):
    """y = x @ w + b with w of shape (D, M), and the gradients for upstream dout."""
    return x @ w + b, dout @ w.T, x.T @ dout, dout.sum(axis=0)


def linear_cases():
    rng = np.random.default_rng(1)
    return [{"x": rng.normal(size=(n, 3)), "w": rng.normal(size=(3, 2)), "b": rng.normal(size=2), "dout": rng.normal(size=(n, 2))} for n in (1, 4)]


def check_rows_sum_to_one():
    assert np.allclose(softmax(np.ones((2, 3))).sum(axis=1), 1.0)


if __name__ == "__main__":
    print("softmax:", softmax(np.zeros((1, 2))))
'''
SOFTMAX_OUT = "softmax: [[0.5 0.5]]\n"

SCIPY_CODE = "from scipy.special import softmax as scipy_softmax\n\np = scipy_softmax(z, axis=1)\n"


def entry(code: str = SCIPY_CODE, **fields) -> dict:
    data = {"library": "scipy", "code": code, "reference": "softmax", "inputs": "cases", "outputs": ["p"]}
    data.update(fields)
    return data


def softmax_term(*entries: dict, **fields) -> str:
    """The term file as a maintainer writes it: code as `code: |` blocks."""
    return yaml.dump(term("Softmax", equivalents=list(entries), **fields), Dumper=_BlockDumper, sort_keys=False, allow_unicode=True)


class _BlockDumper(yaml.SafeDumper):
    pass


_BlockDumper.add_representer(
    str, lambda dumper, text: dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|" if "\n" in text else None)
)


@pytest.fixture
def glossary(project):
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)

    def verify(*entries: dict, **options):
        project.add_term("softmax", softmax_term(*entries))
        build = load_and_verify(BuildOptions(TermbookProject.discover(project.root), jobs=1, **options))
        return build, build.equivalents.get("softmax", [])

    return verify


def test_an_equivalent_that_agrees(glossary):
    build, [result] = glossary(entry(conventions="SciPy takes the axis; the snippet works on rows."))
    assert build.errors == [] and build.warnings == []
    assert result.status is Agreement.AGREES and result.cases == 4
    assert result.version and result.max_rel < 1e-14
    assert result.badge() == f"Agrees with scipy {result.version} on 4 inputs (max rel. error {result.max_rel:.0e})"


def test_a_wrong_equivalent_is_located_with_the_largest_difference(glossary, project):
    build, [result] = glossary(entry("from scipy.special import softmax as scipy_softmax\n\np = scipy_softmax(z, axis=0)\n"))
    assert result.status is Agreement.DIFFERS
    [problem] = build.warnings
    assert problem.file == "terms/softmax.yml" and problem.field == "equivalents[0]"
    assert "softmax: the SciPy equivalent differs" in problem.message
    assert re.search(r"`p\[\d+, \d+\]` on case \d \(z: float64 \(\d, \d\)\) is [-\d.e]+, the snippet's softmax\(\) gives", problem.message)
    source = (project.root / "terms" / "softmax.yml").read_text().splitlines()
    assert "scipy_softmax" in source[problem.line - 1], "the line is the code's first line"


def test_a_shape_mismatch_differs(glossary):
    _, [result] = glossary(entry("from scipy.special import softmax as scipy_softmax\n\np = scipy_softmax(z, axis=1).T\n"))
    assert result.status is Agreement.DIFFERS
    assert "shape" in result.reason and "where the snippet gives" in result.reason
    assert result.to_dict()["max_rel_error"] is None, "not comparable, so no error figure"


def test_code_that_raises_points_at_its_line_in_the_term_file(glossary, project):
    build, [result] = glossary(entry("import numpy as np\n\np = np.undefined_function(z)\n"))
    assert result.status is Agreement.FAILED
    assert "the code raised AttributeError" in result.reason and "on case 1" in result.reason
    source = (project.root / "terms" / "softmax.yml").read_text().splitlines()
    assert "undefined_function" in source[result.line - 1]
    assert build.warnings and build.warnings[0].line == result.line


def test_a_reference_returning_the_wrong_number_of_values_is_reported(glossary):
    _, [result] = glossary(entry(outputs=["p", "q"], code=SCIPY_CODE + "q = p\n"))
    assert result.status is Agreement.FAILED
    assert "softmax() raised TypeError" in result.reason and "returned 1 value(s); the equivalent compares 2" in result.reason


@pytest.mark.parametrize(
    ("fields", "message", "hint"),
    [
        ({"reference": "softmx"}, "snippets/softmax.py has no function softmx()", "did you mean 'softmax'?"),
        ({"inputs": "no_such_cases"}, "has no function no_such_cases()", "define no_such_cases()"),
        ({"code": "p = (\n"}, "the code is not valid Python", "`code: |` block"),
        ({"outputs": ["p", "p"]}, "'p' is listed twice", None),
    ],
)
def test_static_problems_are_errors_before_anything_runs(glossary, fields, message, hint):
    build, results = glossary(entry(**fields))
    assert results == [], "nothing runs when a term file has errors"
    [problem] = build.errors
    assert message in problem.message and problem.line is not None and problem.field.startswith("equivalents[0]")
    if hint:
        assert hint in (problem.hint or "")


def test_an_equivalent_needs_a_snippet(project):
    project.add_term("softmax", softmax_term(entry(), snippet=None))
    (project.root / "snippets" / "softmax.py").unlink(missing_ok=True)
    build = load_and_verify(BuildOptions(TermbookProject.discover(project.root), run_snippets=False))
    assert any("compared with the term's snippet, and this term has none" in p.message for p in build.errors)


def test_an_unknown_library_is_a_located_error(glossary):
    build, _ = glossary(entry(library="jax"))
    [problem] = build.errors
    assert problem.field == "equivalents[0].library" and "pytorch" in (problem.expected or problem.message)


def test_runs_are_cached_on_code_tolerance_and_library_version(glossary, monkeypatch):
    _, [first] = glossary(entry())
    _, [again] = glossary(entry())
    assert not first.cached and again.cached
    _, [looser] = glossary(entry(rtol=1e-6))
    assert not looser.cached, "the tolerance is part of what was run"
    monkeypatch.setattr(equivalence, "library_version", lambda library: "99.0")
    _, [upgraded] = glossary(entry(rtol=1e-6))
    assert not upgraded.cached, "a new library version runs again"


def test_a_missing_library_is_not_run_and_not_an_error(glossary, monkeypatch):
    monkeypatch.setattr(equivalence, "library_version", lambda library: None if library is Library.SCIPY else "1")
    build, [result] = glossary(entry())
    assert result.status is Agreement.NOT_INSTALLED and build.warnings == []
    assert result.badge() == "Not checked in this build: scipy is not installed"


def test_without_running_snippets_equivalents_are_not_run(glossary):
    build, [result] = glossary(entry(), run_snippets=False)
    assert result.status is Agreement.NOT_RUN and build.warnings == []


def test_gradients_are_compared_with_pytorch_autograd(project):
    pytest.importorskip("torch")
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)
    code = (
        "import torch\n\n"
        "layer = torch.nn.Linear(w.shape[0], w.shape[1], dtype=torch.float64)\n"
        "with torch.no_grad():\n"
        "    layer.weight.copy_(torch.from_numpy(w.T))  # PyTorch stores (out, in)\n"
        "    layer.bias.copy_(torch.from_numpy(b))\n"
        "xt = torch.tensor(x, requires_grad=True)\n"
        "y = layer(xt)\n"
        "y.backward(torch.from_numpy(dout))\n"
        "dx, dw, db = xt.grad, layer.weight.grad.T, layer.bias.grad\n"
    )
    linear = entry(code, library="pytorch", reference="linear_with_gradients", inputs="linear_cases", outputs=["y", "dx", "dw", "db"])
    project.add_term(
        "softmax",
        softmax_term(
            linear, dict(linear, outputs=["y", "dx", "dw", "db"], code=code.replace("layer.weight.grad.T", "layer.weight.grad.T * 2"))
        ),
    )
    build = load_and_verify(BuildOptions(TermbookProject.discover(project.root), jobs=1))
    assert build.errors == []
    right, wrong = build.equivalents["softmax"]
    assert right.status is Agreement.AGREES and right.cases == 2 and right.version.startswith(right.version.split(".")[0])
    assert wrong.status is Agreement.DIFFERS and wrong.reason.startswith("`dw[")


def test_the_page_shows_tabs_badges_and_conventions_as_text(project):
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)
    hostile = 'Axis first. <img src=x onerror="alert(1)"> {: onclick="alert(2)" }'
    project.add_term("softmax", softmax_term(entry(conventions=hostile)))
    site = project.build()
    page = (site / "terms" / "softmax.html").read_text()
    labels = re.findall(r'<label for="termbook-tab-\d">([^<]+)</label>', page)
    assert labels == ["NumPy", "SciPy"]
    assert re.search(r'<input checked(="")? id="termbook-tab-1" name="termbook-tabs" type="radio">', page)
    assert "✔ Agrees with scipy " in page and "on 4 inputs" in page
    assert "<strong>Conventions.</strong> Axis first." in page
    assert re.search(r"<[^>]+\son(error|click)=", page) is None, "no event handler became an attribute"
    assert "&lt;img src=x onerror=" in page and '{: onclick="alert(2)" }' in page, "shown as the text it is"
    data = json.loads((site / "terms.json").read_text())
    [equivalent] = next(t for t in data["terms"] if t["slug"] == "softmax")["equivalents"]
    assert equivalent["library"] == "scipy" and equivalent["status"] == "agrees" and equivalent["cases"] == 4
    assert equivalent["conventions"] == hostile and equivalent["badge"].startswith("Agrees with scipy")


def test_a_term_without_equivalents_has_no_tabs(project):
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)
    project.add_term("softmax", term("Softmax"))
    page = (project.build() / "terms" / "softmax.html").read_text()
    assert "termbook-tabs" not in page.split("</head>")[1]


def test_strict_build_fails_naming_the_term(project, caplog):
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)
    project.add_term("softmax", softmax_term(entry(SCIPY_CODE + "p = p * 2\n")))
    with caplog.at_level(logging.WARNING), pytest.raises(Abort, match="strict mode"):
        project.build(strict=True)
    assert "terms/softmax.yml" in caplog.text and "softmax: the SciPy equivalent differs" in caplog.text


def test_check_lists_equivalents_and_fails_on_a_disagreement(project, capsys, monkeypatch):
    monkeypatch.chdir(project.root)
    project.add_snippet("softmax", SOFTMAX, SOFTMAX_OUT)
    project.add_term("softmax", softmax_term(entry()))
    assert cli(["check"]) == 0
    assert "1 equivalent: 1 checked (1 agree, 0 differ, 0 failed; 1 run, 0 cached)" in capsys.readouterr().err
    project.add_term("softmax", softmax_term(entry(), entry(SCIPY_CODE + "p = p + 1\n")))
    assert cli(["check"]) == 1
    err = capsys.readouterr().err
    assert "2 equivalents: 2 checked (1 agree, 1 differ, 0 failed; 1 run, 1 cached)" in err
    assert "terms/softmax.yml:" in err and "equivalents[1]: softmax: the SciPy equivalent differs" in err


def test_each_equivalent_is_a_pytest_item(pytester):
    pytester.makeini("[pytest]\ntestpaths = terms\n")
    for folder in ("terms", "snippets"):
        (pytester.path / folder).mkdir()
    (pytester.path / "snippets" / "__init__.py").write_text("")
    (pytester.path / "snippets" / "softmax.py").write_text(SOFTMAX)
    (pytester.path / "snippets" / "softmax.out").write_text(SOFTMAX_OUT)
    (pytester.path / "terms" / "softmax.yml").write_text(softmax_term(entry(), entry(SCIPY_CODE + "p = -p\n")))
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*terms/softmax.yml::softmax PASSED*",
            "*terms/softmax.yml::softmax[[]scipy[]] PASSED*",
            "*terms/softmax.yml::softmax[[]scipy-2[]] FAILED*",
            "*equivalents[[]1[]]: softmax: the SciPy equivalent differs: `p[[]*",
        ]
    )


def test_an_output_that_is_zero_within_atol_does_not_set_the_relative_error(glossary):
    """Rounding noise over rounding noise is not a relative error worth a badge."""
    code = SCIPY_CODE + "import numpy as np\n\nnoise = np.full(3, 2e-16)\n"
    _, [result] = glossary(entry(code, reference="noise_and_softmax", outputs=["p", "noise"]))
    assert result.status is Agreement.AGREES
    assert result.max_rel < 1e-12 and result.max_abs >= 1e-16
