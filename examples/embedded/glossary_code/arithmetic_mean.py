"""Arithmetic mean: the sum of the values divided by how many there are.

``mean`` mirrors ``np.mean(x, axis=axis)``; ``update_mean`` is the one-pass (streaming) form
that adds one observation at a time without keeping the data.
"""

import numpy as np


def mean(x, axis=None):
    """Arithmetic mean, like ``np.mean(x, axis=axis)``.

    Parameters
    ----------
    x : ndarray of shape (N,) or (N, D)
        Observations; with ``axis=0`` each row of an (N, D) array is one observation of D variables.
    axis : int or None
        Axis to average over; None averages every entry.

    Returns
    -------
    m : float or ndarray of shape (D,)
        ``sum(x) / N`` along ``axis``.
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size if axis is None else x.shape[axis]
    return np.sum(x, axis=axis) / n


def update_mean(m, n, x_new):
    """The mean of n + 1 values from the mean of the first n and the new value.

    Parameters
    ----------
    m : float
        Mean of the first ``n`` values (any value when ``n == 0``).
    n : int
        How many values ``m`` averages.
    x_new : float
        The next value.

    Returns
    -------
    m_new : float
        ``m + (x_new - m) / (n + 1)``, the mean of all ``n + 1`` values.
    """
    return m + (x_new - m) / (n + 1)


def check_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    np.testing.assert_allclose(mean(x), np.mean(x), rtol=1e-12)
    np.testing.assert_allclose(mean(x, axis=0), np.mean(x, axis=0), rtol=1e-12)


def check_deviations_sum_to_zero():
    x = np.random.default_rng(1).exponential(size=100)
    assert abs(np.sum(x - mean(x))) < 1e-10


def check_shift_and_scale_carry_through():
    x = np.random.default_rng(2).normal(size=40)
    np.testing.assert_allclose(mean(3.0 * x + 7.0), 3.0 * mean(x) + 7.0, rtol=1e-12)


def check_minimises_sum_of_squared_deviations():
    x = np.random.default_rng(3).normal(size=30)
    sse = lambda c: np.sum((x - c) ** 2)
    m = mean(x)
    assert all(sse(m) < sse(m + d) for d in (-0.1, -1e-3, 1e-3, 0.1))


def check_streaming_equals_batch():
    x = np.random.default_rng(4).normal(size=25)
    m = 0.0
    for n, value in enumerate(x):
        m = update_mean(m, n, value)
    np.testing.assert_allclose(m, mean(x), rtol=1e-12)


if __name__ == "__main__":
    times = np.array([12.0, 15.0, 11.0, 14.0, 13.0])
    print("response times (ms):", times)
    print(f"mean             = {mean(times):.4f}")
    print(f"sum of deviations = {np.sum(times - mean(times)):.4f}")
    with_outlier = np.append(times, 95.0)
    print(f"with one 95 ms outlier: mean = {mean(with_outlier):.4f}, median = {np.median(with_outlier):.4f}")
    table = np.array([[1.0, 10.0], [2.0, 20.0], [3.0, 60.0]])
    print("column means of a (3, 2) table:", mean(table, axis=0))
