"""Variance: the mean squared deviation from the mean.

``var`` mirrors ``np.var(x, ddof=ddof, axis=axis)``: ``ddof=0`` (NumPy's default) divides by N and
gives the population variance; ``ddof=1`` divides by N - 1 and gives the unbiased sample variance
(the default of ``statistics.variance``, pandas and R's ``var``).
"""

import numpy as np

from glossary_code.arithmetic_mean import mean


def var(x, ddof=0, axis=None):
    """Variance, like ``np.var(x, ddof=ddof, axis=axis)``, computed in two passes.

    Parameters
    ----------
    x : ndarray of shape (N,) or (N, D)
        Observations; with ``axis=0`` each row is one observation of D variables.
    ddof : int
        Delta degrees of freedom: the divisor is ``N - ddof``.
    axis : int or None
        Axis along which to compute; None uses every entry.

    Returns
    -------
    v : float or ndarray of shape (D,)
        ``sum((x - mean(x))**2) / (N - ddof)`` along ``axis``.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size if axis is None else x.shape[axis]
    m = mean(x, axis=axis)
    d = x - (m if axis is None else np.expand_dims(m, axis))
    return np.sum(d * d, axis=axis) / (n - ddof)


def var_one_pass(x, ddof=0):
    """The textbook shortcut ``(sum(x**2) - N * mean**2) / (N - ddof)``; numerically fragile.

    Parameters
    ----------
    x : ndarray of shape (N,)
    ddof : int

    Returns
    -------
    v : float
        Equal to :func:`var` in exact arithmetic, but it subtracts two large, nearly equal numbers
        when the mean is large compared with the spread.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    return (np.sum(x * x) - n * mean(x) ** 2) / (n - ddof)


def check_matches_numpy():
    x = np.random.default_rng(0).normal(size=(40, 3))
    for ddof in (0, 1):
        np.testing.assert_allclose(var(x, ddof=ddof), np.var(x, ddof=ddof), rtol=1e-12)
        np.testing.assert_allclose(var(x, ddof=ddof, axis=0), np.var(x, ddof=ddof, axis=0), rtol=1e-12)


def check_shift_invariant():
    x = np.random.default_rng(1).normal(size=50)
    np.testing.assert_allclose(var(x + 1000.0), var(x), rtol=1e-9)


def check_scales_with_square():
    x = np.random.default_rng(2).normal(size=50)
    np.testing.assert_allclose(var(-3.0 * x), 9.0 * var(x), rtol=1e-12)


def check_nonnegative_and_zero_for_constants():
    assert var(np.full(10, 4.25)) == 0.0
    assert var(np.random.default_rng(3).normal(size=5)) > 0.0


def check_sample_variance_is_unbiased():
    # average of ddof=1 variances of many samples of size 5 from N(0, 2^2) is close to 4
    samples = np.random.default_rng(4).normal(scale=2.0, size=(20000, 5))
    assert abs(np.mean(var(samples, ddof=1, axis=1)) - 4.0) < 0.1
    assert abs(np.mean(var(samples, ddof=0, axis=1)) - 4.0 * 4 / 5) < 0.1


if __name__ == "__main__":
    x = np.array([4.0, 7.0, 13.0, 16.0])
    print("x =", x)
    print(f"var(x, ddof=0) = {var(x):.4f}   np.var(x)         = {np.var(x):.4f}")
    print(f"var(x, ddof=1) = {var(x, ddof=1):.4f}   np.var(x, ddof=1) = {np.var(x, ddof=1):.4f}")
    shifted = x + 1e9
    print(f"shifted by 1e9: two-pass var = {var(shifted):.4f}, one-pass shortcut = {var_one_pass(shifted):.1f}")
