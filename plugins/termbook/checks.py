"""Helpers for the ``check_*`` functions of snippets.

Snippets import these so that every gradient check in the glossary uses the same
centred difference and the same error measure::

    from termbook.checks import numerical_gradient, rel_error, assert_gradient_close

Everything here is pure NumPy and imports nothing else from termbook.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = [
    "rel_error",
    "numerical_gradient",
    "numerical_gradient_array",
    "assert_close",
    "assert_gradient_close",
]


def rel_error(a, b) -> float:
    """Largest elementwise relative error ``|a - b| / max(1e-8, |a| + |b|)``.

    The measure used by CS231n's gradient checks: about 1e-7 or less means two
    float64 computations agree; 1e-2 or more means one of them is wrong.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of a scalar function.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar.
    x : ndarray of any shape, float64
        Point at which to differentiate. It is perturbed in place and restored.
    h : float
        Step. The error of the centred difference is O(h**2).

    Returns
    -------
    grad : ndarray, same shape as ``x``
        ``(f(x + h e_i) - f(x - h e_i)) / (2 h)`` for every element ``i``.
    """
    x = _as_float_array(x)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = float(f(x))
        x[i] = old - h
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


def numerical_gradient_array(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of ``sum(f(x) * dout)`` with respect to ``x``.

    This is what a backward function computes for an array-valued forward
    function when the upstream gradient is ``dout``.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to an array shaped like ``dout``.
    x : ndarray of any shape, float64
        Perturbed in place and restored.
    dout : ndarray, shape of ``f(x)``
        Upstream gradient.
    h : float
        Step.

    Returns
    -------
    grad : ndarray, same shape as ``x``
    """
    dout = np.asarray(dout, dtype=np.float64)
    return numerical_gradient(lambda z: float(np.sum(np.asarray(f(z)) * dout)), x, h)


def assert_close(actual, expected, *, rtol: float = 1e-7, atol: float = 0.0, what: str = "value") -> None:
    """Assert two arrays agree within ``rtol``/``atol``, with a message that says by how much."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if actual.shape != expected.shape:
        raise AssertionError(f"{what}: shape {actual.shape}, expected {expected.shape}")
    if not np.allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True):
        diff = np.max(np.abs(actual - expected))
        raise AssertionError(f"{what}: max abs difference {diff:.3g} exceeds rtol={rtol:g}, atol={atol:g}")


def assert_gradient_close(analytic, numeric, *, tol: float = 1e-6, what: str = "gradient") -> float:
    """Assert an analytic gradient matches a numerical one; return the relative error.

    ``tol`` bounds :func:`rel_error`. For float64 and ``h = 1e-5`` a correct
    backward pass usually lands below 1e-7; 1e-6 leaves room for kinks.
    """
    err = rel_error(analytic, numeric)
    if not err <= tol:
        raise AssertionError(f"{what}: relative error {err:.3g} exceeds {tol:g}")
    return err


def _as_float_array(x) -> np.ndarray:
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 ndarray (it perturbs x in place)")
    return x
