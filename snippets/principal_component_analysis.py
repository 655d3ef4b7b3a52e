"""Principal component analysis via the SVD of the centred data.

With ``Xc = X - mean(X) = U S V^T``, the rows of ``V^T`` are the principal
directions (orthonormal), the covariance matrix is
``Xc^T Xc / (N - 1) = V diag(S^2 / (N - 1)) V^T``, and the variance along
component j is ``S_j^2 / (N - 1)``.

Conventions follow ``sklearn.decomposition.PCA``: ``components`` has shape
(k, D) (one direction per row, like ``components_``), ``explained_variance``
uses the unbiased ``N - 1`` denominator, ``explained_variance_ratio`` divides
by the total variance of all D directions, and no whitening. Signs are fixed
like scikit-learn's ``svd_flip(U, Vt, u_based_decision=False)`` (used by PCA
since scikit-learn 1.5): in every component the entry of largest absolute
value is positive (the first such entry if several tie).
"""

import numpy as np


def svd_flip_rows(U, Vt):
    """Make the largest-magnitude entry of each row of ``Vt`` positive.

    Flipping the sign of row j of ``Vt`` and column j of ``U`` together leaves
    ``U diag(S) Vt`` unchanged; this only removes the SVD's sign ambiguity.

    Parameters
    ----------
    U : ndarray of shape (N, R)
    Vt : ndarray of shape (R, D)

    Returns
    -------
    U : ndarray of shape (N, R)
    Vt : ndarray of shape (R, D)
    """
    rows = np.arange(Vt.shape[0])
    signs = np.sign(Vt[rows, np.argmax(np.abs(Vt), axis=1)])
    signs[signs == 0] = 1.0
    return U * signs, Vt * signs[:, None]


def pca_fit(X, n_components):
    """Principal components of ``X``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Data, one sample per row; N >= 2.
    n_components : int
        Number of components k to keep, ``k <= min(N, D)``.

    Returns
    -------
    mean : ndarray of shape (D,)
        Per-feature mean (``mean_``).
    components : ndarray of shape (k, D)
        Orthonormal principal directions, by decreasing variance (``components_``).
    explained_variance : ndarray of shape (k,)
        Variance of the data along each component, ``S^2 / (N - 1)``;
        the top eigenvalues of the covariance matrix.
    explained_variance_ratio : ndarray of shape (k,)
        ``explained_variance`` divided by the total variance (the trace of the
        covariance matrix); sums to 1 when all ``min(N, D)`` components are kept.
    """
    mean = X.mean(axis=0)
    Xc = X - mean
    U, S, Vt = np.linalg.svd(Xc, full_matrices=False)
    U, Vt = svd_flip_rows(U, Vt)
    var = S**2 / (X.shape[0] - 1)
    # The total uses every singular value, so the ratios of kept components sum to < 1.
    return mean, Vt[:n_components], var[:n_components], var[:n_components] / var.sum()


def pca_transform(X, mean, components):
    """Coordinates of ``X`` in the principal basis (scores).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    mean : ndarray of shape (D,)
    components : ndarray of shape (k, D)

    Returns
    -------
    Z : ndarray of shape (N, k)
        ``(X - mean) @ components.T``.
    """
    return (X - mean) @ components.T


def pca_inverse_transform(Z, mean, components):
    """Map scores back to the original space (the rank-k reconstruction).

    Parameters
    ----------
    Z : ndarray of shape (N, k)
    mean : ndarray of shape (D,)
    components : ndarray of shape (k, D)

    Returns
    -------
    X_hat : ndarray of shape (N, D)
        ``Z @ components + mean``: the orthogonal projection of X onto the
        k-dimensional affine subspace through the mean.
    """
    return Z @ components + mean


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's scikit-learn tab).

    Tall data (many more samples than features), wide data (N < D), a batch of two, a constant
    feature (zero variance), features on very different scales and far from the origin. Three
    cases keep fewer components than the rank of the centred data, three keep all of them (the
    variance ratios then sum to 1); every kept variance is distinct, so each kept direction is
    unique up to the sign the convention fixes.

    Returns
    -------
    list of dict with X (N, D) and n_components (int)
    """
    rng = np.random.default_rng(41)
    cases = [{"X": _data(0), "n_components": 2}, {"X": _data(3, n=30), "n_components": 3}]
    cases.append({"X": rng.normal(size=(6, 10)) * np.linspace(3.0, 0.5, 10), "n_components": 4})
    cases.append({"X": rng.normal(size=(2, 3)), "n_components": 1})
    X = rng.normal(size=(50, 4)) * [2.0, 1.0, 0.5, 0.1]
    X[:, 2] = 7.0
    cases.append({"X": X, "n_components": 3})
    cases.append({"X": rng.normal(size=(80, 3)) * [1e3, 1.0, 1e-3] + [1e4, -50.0, 3.0], "n_components": 3})
    return cases


def pca_fit_transform(X, n_components):
    """Everything a fitted PCA reports, plus the scores and the reconstruction of ``X``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    n_components : int

    Returns
    -------
    mean : ndarray of shape (D,)
    components : ndarray of shape (k, D)
    explained_variance, explained_variance_ratio : ndarray of shape (k,)
    Z : ndarray of shape (N, k)
        Scores, :func:`pca_transform`.
    X_hat : ndarray of shape (N, D)
        Rank-k reconstruction, :func:`pca_inverse_transform`.
    """
    mean, components, var, ratio = pca_fit(X, n_components)
    Z = pca_transform(X, mean, components)
    return mean, components, var, ratio, Z, pca_inverse_transform(Z, mean, components)


# ----------------------------------------------------------------------------- checks


def _data(seed=0, n=200, d=4):
    rng = np.random.default_rng(seed)
    scales = np.array([3.0, 1.5, 0.7, 0.2])[:d]
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))  # a random rotation
    return (rng.normal(size=(n, d)) * scales) @ Q.T + np.arange(d)


def check_matches_eigendecomposition_of_covariance():
    X = _data()
    mean, comps, var, _ = pca_fit(X, 4)
    evals, evecs = np.linalg.eigh(np.cov(X, rowvar=False))  # ddof = 1, ascending
    evals, evecs = evals[::-1], evecs[:, ::-1]
    assert np.allclose(var, evals, rtol=1e-10)
    _, evecs_t = svd_flip_rows(np.zeros((1, 4)), evecs.T)  # same sign rule for both
    assert np.allclose(comps, evecs_t, atol=1e-10)


def check_components_are_orthonormal():
    _, comps, _, _ = pca_fit(_data(1), 3)
    assert np.allclose(comps @ comps.T, np.eye(3), atol=1e-12)


def check_explained_variance_ratios_sum_to_one():
    X = _data(2)
    _, _, var, ratio = pca_fit(X, 4)
    assert np.isclose(ratio.sum(), 1.0) and np.all(np.diff(var) <= 0)
    assert np.isclose(var.sum(), np.trace(np.cov(X, rowvar=False)))  # total variance is preserved


def check_reconstruction_error_is_sum_of_discarded_eigenvalues():
    X = _data(3)
    _, _, all_var, _ = pca_fit(X, 4)
    for k in range(5):
        mean, comps, _, _ = pca_fit(X, k)
        X_hat = pca_inverse_transform(pca_transform(X, mean, comps), mean, comps)
        err = np.sum((X - X_hat) ** 2) / (X.shape[0] - 1)
        assert np.isclose(err, all_var[k:].sum(), rtol=1e-10, atol=1e-12)


def check_scores_are_uncorrelated():
    X = _data(4)
    mean, comps, var, _ = pca_fit(X, 4)
    assert np.allclose(np.cov(pca_transform(X, mean, comps), rowvar=False), np.diag(var), atol=1e-10)


def check_first_component_has_the_largest_variance():
    X = _data(5)
    _, comps, var, _ = pca_fit(X, 1)
    rng = np.random.default_rng(6)
    dirs = rng.normal(size=(200, 4))
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    assert np.all(np.var(X @ dirs.T, axis=0, ddof=1) <= var[0] + 1e-12)


def check_sign_convention():
    _, comps, _, _ = pca_fit(_data(7), 4)
    rows = np.arange(4)
    assert np.all(comps[rows, np.argmax(np.abs(comps), axis=1)] > 0)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    t = rng.normal(size=100)
    # Three features driven mostly by one hidden factor t, plus small noise.
    X = np.column_stack([t, 2 * t, -t]) + 0.3 * rng.normal(size=(100, 3)) + [5.0, 0.0, 1.0]
    mean, comps, var, ratio = pca_fit(X, 3)
    print("mean:", mean)
    print("components (rows):")
    print(comps)
    print("first direction should be close to (1, 2, -1)/sqrt(6) =", np.array([1, 2, -1]) / np.sqrt(6))
    print("explained variance:      ", var)
    print("explained variance ratio:", ratio, " sum =", f"{ratio.sum():.4f}")
    for k in (1, 2, 3):
        m, c, _, _ = pca_fit(X, k)
        err = np.sum((X - pca_inverse_transform(pca_transform(X, m, c), m, c)) ** 2) / 99
        print(f"k={k}: reconstruction error / (N-1) = {err:.4f}  discarded variance = {var[k:].sum():.4f}")
