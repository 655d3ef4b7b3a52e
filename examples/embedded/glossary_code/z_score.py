"""z-score (standard score): how many standard deviations a value lies from the mean.

``zscore`` mirrors ``scipy.stats.zscore(a, axis=0, ddof=0)``: it standardises along axis 0 with the
population standard deviation by default, and a constant column gives NaN (0 / 0), as in SciPy.
"""

import numpy as np

from glossary_code.arithmetic_mean import mean
from glossary_code.standard_deviation import std


def zscore(a, axis=0, ddof=0):
    """Standard scores ``(a - mean) / std``, like ``scipy.stats.zscore(a, axis=axis, ddof=ddof)``.

    Parameters
    ----------
    a : ndarray of shape (N,) or (N, D)
        Observations; each column of an (N, D) array is standardised separately (``axis=0``).
    axis : int
        Axis along which the mean and standard deviation are taken.
    ddof : int
        Delta degrees of freedom of the standard deviation (SciPy's default 0).

    Returns
    -------
    z : ndarray of the same shape as ``a``
        Mean 0 and standard deviation 1 along ``axis``; NaN where the standard deviation is 0.
    """
    a = np.asarray(a, dtype=np.float64)
    m = np.expand_dims(mean(a, axis=axis), axis)
    s = np.expand_dims(std(a, ddof=ddof, axis=axis), axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a - m) / s


def check_standardised_moments():
    a = np.random.default_rng(0).normal(loc=50.0, scale=8.0, size=(200, 3))
    z = zscore(a)
    np.testing.assert_allclose(np.mean(z, axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.std(z, axis=0), 1.0, rtol=1e-12)


def check_matches_formula_with_numpy():
    a = np.random.default_rng(1).exponential(size=(20, 2))
    expected = (a - np.mean(a, axis=0)) / np.std(a, axis=0, ddof=1)
    np.testing.assert_allclose(zscore(a, ddof=1), expected, rtol=1e-12)


def check_invariant_under_change_of_units():
    celsius = np.random.default_rng(2).normal(loc=20.0, scale=5.0, size=30)
    fahrenheit = celsius * 9 / 5 + 32
    np.testing.assert_allclose(zscore(fahrenheit), zscore(celsius), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(zscore(-celsius), -zscore(celsius), rtol=1e-12)


def check_constant_input_gives_nan():
    assert np.all(np.isnan(zscore(np.full(4, 3.0))))


if __name__ == "__main__":
    scores = np.array([[62.0, 71.0], [75.0, 64.0], [81.0, 90.0], [58.0, 69.0], [94.0, 81.0]])
    print("exam scores (rows: students, columns: maths, physics):")
    print(scores)
    z = zscore(scores)
    print("z-scores:")
    print(np.round(z, 4))
    print("column means:", np.round(np.mean(z, axis=0), 4), " column stds:", np.round(np.std(z, axis=0), 4))
    print(f"student 3: maths {z[2, 0]:+.4f} sd, physics {z[2, 1]:+.4f} sd")
