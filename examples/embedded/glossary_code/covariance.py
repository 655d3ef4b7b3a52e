"""Covariance: the mean product of two variables' deviations from their means.

``cov_matrix`` mirrors ``np.cov(X, rowvar=False, ddof=ddof)`` (rows are observations, as in
pandas and scikit-learn; ``np.cov`` itself expects variables in rows by default). ``ddof=1``, the
NumPy default, gives the sample covariance.
"""

import numpy as np

from glossary_code.arithmetic_mean import mean
from glossary_code.variance import var


def cov(x, y, ddof=1):
    """Covariance of two variables, like ``np.cov(x, y, ddof=ddof)[0, 1]``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    y : ndarray of shape (N,)
        Paired observations of two variables.
    ddof : int
        Delta degrees of freedom: the divisor is ``N - ddof``.

    Returns
    -------
    c : float
        ``sum((x - mean(x)) * (y - mean(y))) / (N - ddof)``.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return np.sum((x - mean(x)) * (y - mean(y))) / (x.shape[0] - ddof)


def cov_matrix(X, ddof=1):
    """Covariance matrix, like ``np.cov(X, rowvar=False, ddof=ddof)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        N observations of D variables (one observation per row).
    ddof : int
        Delta degrees of freedom: the divisor is ``N - ddof``.

    Returns
    -------
    S : ndarray of shape (D, D)
        ``S[i, j]`` is the covariance of variables i and j; the diagonal holds their variances.
    """
    X = np.asarray(X, dtype=np.float64)
    D = X - mean(X, axis=0)
    return D.T @ D / (X.shape[0] - ddof)


# The example of the NIST/SEMATECH e-Handbook, section 6.5.4.1: five observations of three variables.
NIST_X = np.array([[4.0, 2.0, 0.60], [4.2, 2.1, 0.59], [3.9, 2.0, 0.58], [4.3, 2.1, 0.62], [4.1, 2.2, 0.63]])
NIST_S = np.array([[0.025, 0.0075, 0.00175], [0.0075, 0.007, 0.00135], [0.00175, 0.00135, 0.00043]])


def check_matches_numpy():
    X = np.random.default_rng(0).normal(size=(40, 3))
    for ddof in (0, 1):
        np.testing.assert_allclose(cov_matrix(X, ddof=ddof), np.cov(X, rowvar=False, ddof=ddof), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(cov(X[:, 0], X[:, 1]), np.cov(X[:, 0], X[:, 1])[0, 1], rtol=1e-12)


def check_matches_nist_example():
    np.testing.assert_allclose(cov_matrix(NIST_X), NIST_S, rtol=1e-10, atol=1e-12)


def check_diagonal_is_variance():
    X = np.random.default_rng(1).normal(size=(25, 4))
    np.testing.assert_allclose(np.diag(cov_matrix(X)), var(X, ddof=1, axis=0), rtol=1e-12)


def check_symmetric_positive_semidefinite():
    X = np.random.default_rng(2).normal(size=(10, 5))
    S = cov_matrix(X)
    np.testing.assert_allclose(S, S.T, rtol=0, atol=1e-15)
    assert np.min(np.linalg.eigvalsh(S)) > -1e-12


def check_shift_invariant_and_bilinear():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=30), rng.normal(size=30)
    np.testing.assert_allclose(cov(x + 5.0, y - 2.0), cov(x, y), rtol=1e-10)
    np.testing.assert_allclose(cov(2.0 * x, -3.0 * y), -6.0 * cov(x, y), rtol=1e-12)
    np.testing.assert_allclose(cov(x, x), var(x, ddof=1), rtol=1e-12)


if __name__ == "__main__":
    print("NIST example, 5 observations of 3 variables (rows):")
    print(NIST_X)
    S = cov_matrix(NIST_X)
    print("cov_matrix (ddof=1):")
    print(np.round(S, 5))
    print("agrees with np.cov(X, rowvar=False):", np.allclose(S, np.cov(NIST_X, rowvar=False)))
    hours = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    print(f"cov(hours, 2*hours + 1) = {cov(hours, 2 * hours + 1):.4f}, cov(hours, -hours) = {cov(hours, -hours):.4f}")
