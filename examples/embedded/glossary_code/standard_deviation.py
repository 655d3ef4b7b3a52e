"""Standard deviation: the square root of the variance, a spread in the data's own units.

``std`` mirrors ``np.std(x, ddof=ddof, axis=axis)`` (``ddof=0`` by default; ``ddof=1`` for the
sample standard deviation of ``statistics.stdev``, pandas and R's ``sd``).
"""

import numpy as np

from glossary_code.variance import var


def std(x, ddof=0, axis=None):
    """Standard deviation, like ``np.std(x, ddof=ddof, axis=axis)``.

    Parameters
    ----------
    x : ndarray of shape (N,) or (N, D)
        Observations; with ``axis=0`` each row is one observation of D variables.
    ddof : int
        Delta degrees of freedom: the variance divides by ``N - ddof``.
    axis : int or None
        Axis along which to compute; None uses every entry.

    Returns
    -------
    s : float or ndarray of shape (D,)
        ``sqrt(var(x, ddof, axis))``, in the units of ``x``.
    """
    return np.sqrt(var(x, ddof=ddof, axis=axis))


def fraction_within(x, k, ddof=0):
    """Fraction of the values that lie within ``k`` standard deviations of the mean.

    Parameters
    ----------
    x : ndarray of shape (N,)
    k : float
    ddof : int

    Returns
    -------
    f : float
        ``mean(|x - mean(x)| <= k * std(x))``.
    """
    x = np.asarray(x, dtype=np.float64)
    return float(np.mean(np.abs(x - np.mean(x)) <= k * std(x, ddof=ddof)))


def check_matches_numpy():
    x = np.random.default_rng(0).normal(size=(30, 4))
    for ddof in (0, 1):
        np.testing.assert_allclose(std(x, ddof=ddof), np.std(x, ddof=ddof), rtol=1e-12)
        np.testing.assert_allclose(std(x, ddof=ddof, axis=0), np.std(x, ddof=ddof, axis=0), rtol=1e-12)


def check_scales_with_absolute_value():
    x = np.random.default_rng(1).normal(size=40)
    np.testing.assert_allclose(std(-2.5 * x + 9.0), 2.5 * std(x), rtol=1e-12)


def check_square_is_variance():
    x = np.random.default_rng(2).exponential(size=40)
    np.testing.assert_allclose(std(x, ddof=1) ** 2, var(x, ddof=1), rtol=1e-12)


def check_chebyshev_bound():
    # at least 1 - 1/k^2 of any data set lies within k standard deviations of its mean
    x = np.random.default_rng(3).exponential(size=1000)
    for k in (1.5, 2.0, 3.0):
        assert fraction_within(x, k) >= 1 - 1 / k**2


def check_normal_68_95_rule():
    x = np.random.default_rng(4).normal(loc=10.0, scale=2.0, size=100_000)
    assert abs(fraction_within(x, 1) - 0.6827) < 0.01
    assert abs(fraction_within(x, 2) - 0.9545) < 0.01


if __name__ == "__main__":
    heights = np.array([172.0, 168.0, 181.0, 175.0, 169.0, 178.0])
    print("heights (cm):", heights)
    print(f"std(ddof=0) = {std(heights):.4f} cm   np.std = {np.std(heights):.4f}")
    print(f"std(ddof=1) = {std(heights, ddof=1):.4f} cm   np.std(ddof=1) = {np.std(heights, ddof=1):.4f}")
    print(f"in metres: {std(heights / 100):.6f} m (a hundredth, same units as the data)")
    x = np.random.default_rng(0).normal(size=10_000)
    print(f"standard normal sample: within 1 sd {fraction_within(x, 1):.4f}, within 2 sd {fraction_within(x, 2):.4f}")
