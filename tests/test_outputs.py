"""Numeric comparison of printed output against the pinned output."""

from __future__ import annotations

import pytest
from termbook.execution.outputs import compare_output, tokens

SAME = [
    ("identical", "loss 0.5\n", "loss 0.5\n"),
    ("numpy 2 scalar repr", "mean: 0.5\n", "mean: np.float64(0.5)\n"),
    ("numpy int repr", "count: 3\n", "count: np.int64(3)\n"),
    ("numpy bool repr", "ok: True\n", "ok: np.True_\n"),
    ("within rtol", "x = 1.000000\n", "x = 1.000001\n"),
    ("within atol near zero", "x = 0.0\n", "x = 1e-9\n"),
    ("array re-padded", "[ 0.1  -0.2   3. ]\n", "[0.1 -0.2 3.]\n"),
    ("multi-line array", "[[1. 2.]\n [3. 4.]]\n", "[[1. 2.]\n [3. 4.]]"),
    ("trailing blank lines", "a 1\n\n\n", "a 1\n"),
    ("int vs float", "n = 3\n", "n = 3.0\n"),
    ("scientific", "eps 1e-05\n", "eps 1.0e-5\n"),
    ("nan and inf", "[nan inf -inf]\n", "[nan inf -inf]\n"),
    ("crlf", "a 1\r\nb 2\r\n", "a 1\nb 2\n"),
]

DIFFERENT = [
    ("number beyond rtol", "x = 1.0\n", "x = 1.1\n", 1, "differs from pinned"),
    ("text differs", "loss 0.5\n", "lost 0.5\n", 1, "expected 'loss 0.5', got 'lost 0.5'"),
    ("extra line", "a 1\n", "a 1\nb 2\n", 2, "unexpected extra output"),
    ("missing line", "a 1\nb 2\n", "a 1\n", 2, "output ends early"),
    ("nan vs number", "x nan\n", "x 0.0\n", 1, "differs from pinned"),
    ("sign", "x -1\n", "x 1\n", 1, "differs from pinned"),
    ("more numbers", "[1. 2.]\n", "[1. 2. 3.]\n", 1, "expected"),
]


@pytest.mark.parametrize("expected,actual", [c[1:] for c in SAME], ids=[c[0] for c in SAME])
def test_outputs_that_match(expected, actual):
    assert compare_output(expected, actual) is None


@pytest.mark.parametrize("expected,actual,line,reason", [c[1:] for c in DIFFERENT], ids=[c[0] for c in DIFFERENT])
def test_outputs_that_differ(expected, actual, line, reason):
    mismatch = compare_output(expected, actual)
    assert mismatch is not None
    assert mismatch.line == line
    assert reason in mismatch.reason
    assert mismatch.diff.startswith("--- pinned output\n+++ this run")


def test_tolerances_are_honoured():
    assert compare_output("x 1.0\n", "x 1.01\n", rtol=0.02) is None
    assert compare_output("x 1.0\n", "x 1.01\n", rtol=0.001) is not None
    assert compare_output("x 0.0\n", "x 0.001\n", atol=0.01) is None


def test_tokens_split_numbers_from_text():
    assert tokens("loss: -1.5e-3, acc 97%") == ["loss:", -0.0015, ", acc", 97.0, "%"]
