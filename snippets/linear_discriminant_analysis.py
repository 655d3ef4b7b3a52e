"""Linear discriminant analysis: Gaussian classes with one shared covariance.

As a classifier, LDA models each class as ``N(mu_k, Sigma)`` with a covariance
shared by all classes, so Bayes' rule gives linear scores
``delta_k(x) = x^T Sigma^-1 mu_k - mu_k^T Sigma^-1 mu_k / 2 + log pi_k``.
As a dimensionality reduction, it projects onto the at most K - 1 directions
that maximise between-class over within-class variance (Fisher, 1936).

Conventions follow ``sklearn.discriminant_analysis.LinearDiscriminantAnalysis``
with ``solver="eigen"``: priors are the class proportions; ``covariance_`` is
``sum_k pi_k S_k`` with the *biased* class covariances ``S_k`` (divided by n_k,
not n_k - 1); ``shrinkage=a`` replaces it by ``(1 - a) Sigma + a (tr(Sigma) / D) I``;
``coef_ = Sigma^-1 mu_k``, ``intercept_ = -mu_k^T Sigma^-1 mu_k / 2 + log pi_k``;
``scalings_`` solve ``S_b w = lambda S_w w`` with ``S_b = S_t - S_w`` (``S_t`` the
biased total covariance), normalised so ``w^T S_w w = 1``, sorted by
``lambda``; ``explained_variance_ratio_ = lambda / sum(lambda)``; and ``transform``
for this solver is ``X @ scalings_`` with no centring. Eigenvector signs are
arbitrary, here fixed so the largest-magnitude entry of each is positive.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.activation_function import softmax
from snippets.principal_component_analysis import pca_fit, pca_transform


def lda_fit(X, y, num_classes, shrinkage=None):
    """Class means, priors and the shared covariance.

    ``LinearDiscriminantAnalysis(solver="eigen", shrinkage=shrinkage).fit``: ``means_``,
    ``priors_``, ``covariance_``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Labels in ``[0, num_classes)``, every class present.
    num_classes : int
    shrinkage : float in [0, 1] or None

    Returns
    -------
    means : ndarray of shape (K, D)
    priors : ndarray of shape (K,)
    cov : ndarray of shape (D, D)
        Within-class covariance ``sum_k pi_k S_k`` (biased ``S_k``), shrunk if asked.
    """
    n, d = X.shape
    counts = np.bincount(y, minlength=num_classes)
    if np.any(counts == 0):
        raise ValueError("every class needs at least one sample")
    priors = counts / n
    means = np.stack([X[y == k].mean(axis=0) for k in range(num_classes)])
    cov = np.zeros((d, d))
    for k in range(num_classes):
        Xc = X[y == k] - means[k]
        cov += priors[k] * (Xc.T @ Xc) / counts[k]
    if shrinkage is not None:
        cov = (1 - shrinkage) * cov + shrinkage * np.trace(cov) / d * np.eye(d)
    return means, priors, cov


def _solve(cov, B):
    try:
        L = np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError("within-class covariance is singular (collinear features or D >= N); use shrinkage") from None
    return np.linalg.solve(L.T, np.linalg.solve(L, B))


def lda_coefficients(means, priors, cov):
    """Linear discriminant functions, scikit-learn's ``coef_`` and ``intercept_``.

    Parameters
    ----------
    means : ndarray of shape (K, D)
    priors : ndarray of shape (K,)
    cov : ndarray of shape (D, D)

    Returns
    -------
    coef : ndarray of shape (K, D)
    intercept : ndarray of shape (K,)
    """
    coef = _solve(cov, means.T).T
    intercept = -0.5 * np.sum(means * coef, axis=1) + np.log(priors)
    return coef, intercept


def lda_predict_proba(X, coef, intercept):
    """Posterior class probabilities: softmax of the linear scores.

    ``LinearDiscriminantAnalysis.predict_proba``.

    Parameters
    ----------
    X : ndarray of shape (M, D)
    coef : ndarray of shape (K, D)
    intercept : ndarray of shape (K,)

    Returns
    -------
    proba : ndarray of shape (M, K)
    """
    return softmax(X @ coef.T + intercept, axis=-1)


def lda_directions(X, y, num_classes, shrinkage=None):
    """Fisher discriminant directions (``scalings_`` of the eigen solver).

    ``scalings_`` and ``explained_variance_ratio_`` of ``LinearDiscriminantAnalysis(solver="eigen")``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_classes : int
    shrinkage : float or None

    Returns
    -------
    scalings : ndarray of shape (D, D)
        Columns ``w`` with ``S_b w = lambda S_w w``, ``w^T S_w w = 1``, by decreasing lambda.
    explained_variance_ratio : ndarray of shape (min(K - 1, D),)
    """
    _, _, Sw = lda_fit(X, y, num_classes, shrinkage)
    Xc = X - X.mean(axis=0)
    St = Xc.T @ Xc / X.shape[0]
    Sb = St - Sw
    try:
        L = np.linalg.cholesky(Sw)
    except np.linalg.LinAlgError:
        raise ValueError("within-class covariance is singular; use shrinkage") from None
    Linv = np.linalg.inv(L)
    evals, V = np.linalg.eigh(Linv @ Sb @ Linv.T)  # symmetric form of S_b w = lambda S_w w
    order = np.argsort(evals)[::-1]
    evals, W = evals[order], (Linv.T @ V)[:, order]
    W *= np.sign(W[np.argmax(np.abs(W), axis=0), np.arange(W.shape[1])])
    k = min(num_classes - 1, X.shape[1])
    return W, evals[:k] / np.sum(evals)


def fisher_ratio(w, X, y, num_classes):
    """Fisher's criterion ``w^T S_b w / w^T S_w w`` for a direction w.

    No library call; the quantity the ``scalings_`` maximise.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_classes : int

    Returns
    -------
    ratio : float
    """
    _, _, Sw = lda_fit(X, y, num_classes)
    Xc = X - X.mean(axis=0)
    Sb = Xc.T @ Xc / X.shape[0] - Sw
    return float(w @ Sb @ w / (w @ Sw @ w))


def make_elongated_classes(seed=0, n_per=50):
    """Three classes in 4-D, spread widely along x0 but separated along x1 and x2.

    Hand-made data in the spirit of ``sklearn.datasets.make_classification``.

    Parameters
    ----------
    seed : int
    n_per : int

    Returns
    -------
    X : ndarray of shape (3 * n_per, 4)
    y : ndarray of shape (3 * n_per,)
    """
    rng = np.random.default_rng(seed)
    scale = np.array([4.0, 0.6, 0.6, 1.0])
    centres = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.6, 0.4, 0.0], [0.0, 0.8, 1.8, 0.0]])
    mix = np.array([[1.0, 0.3, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.2, 0.0, 0.0, 1.0]])
    X = np.concatenate([c + (rng.normal(size=(n_per, 4)) * scale) @ mix for c in centres])
    return X, np.repeat(np.arange(3), n_per)


# ---------------------------------------------------------------- checks


def check_scores_are_gaussian_log_posteriors():
    X, y = make_elongated_classes(1, n_per=20)
    means, priors, cov = lda_fit(X, y, 3)
    coef, intercept = lda_coefficients(means, priors, cov)
    Xq = X[:7]
    # Brute force: log N(x; mu_k, Sigma) + log pi_k, then normalise.
    inv = np.linalg.inv(cov)
    diff = Xq[:, None, :] - means[None]
    logp = -0.5 * np.einsum("nkd,de,nke->nk", diff, inv, diff) + np.log(priors)
    assert_close(lda_predict_proba(Xq, coef, intercept), softmax(logp, axis=-1), rtol=1e-10)


def check_covariance_convention_is_the_prior_weighted_biased_one():
    X, y = make_elongated_classes(2, n_per=10)
    _, _, cov = lda_fit(X, y, 3)
    expected = sum(np.mean(y == k) * np.cov(X[y == k].T, bias=True) for k in range(3))
    assert_close(cov, expected, rtol=1e-12)


def check_top_direction_maximises_fishers_ratio():
    X, y = make_elongated_classes(3)
    W, ratios = lda_directions(X, y, 3)
    best = fisher_ratio(W[:, 0], X, y, 3)
    rng = np.random.default_rng(3)
    assert all(fisher_ratio(v, X, y, 3) <= best + 1e-12 for v in rng.normal(size=(200, 4)))
    _, _, Sw = lda_fit(X, y, 3)
    assert_close(W.T @ Sw @ W, np.eye(4), rtol=0, atol=1e-10, what="w^T S_w w = I")
    assert len(ratios) == 2  # at most K - 1 useful directions


def check_two_classes_direction_is_sigma_inverse_mean_difference():
    X, y = make_elongated_classes(4)
    keep = y < 2
    X2, y2 = X[keep], y[keep]
    W, _ = lda_directions(X2, y2, 2)
    means, _, cov = lda_fit(X2, y2, 2)
    w = np.linalg.solve(cov, means[1] - means[0])
    cos = abs(w @ W[:, 0]) / (np.linalg.norm(w) * np.linalg.norm(W[:, 0]))
    assert_close(cos, 1.0, rtol=1e-10, what="Fisher direction parallel to Sigma^-1 (mu_1 - mu_0)")


def check_extremes_singular_covariance_and_huge_scores():
    X, y = make_elongated_classes(5, n_per=10)
    Xdup = np.hstack([X, X[:, :1]])  # a repeated feature makes Sigma singular
    try:
        lda_coefficients(*lda_fit(Xdup, y, 3))
    except ValueError:
        pass
    else:
        raise AssertionError("a singular covariance must raise")
    coef, intercept = lda_coefficients(*lda_fit(Xdup, y, 3, shrinkage=0.1))
    p = lda_predict_proba(Xdup * 1e6, coef, intercept)  # scores of order 1e6: no overflow
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)


def plot_projections(Z_pca, Z_lda, y):
    """Figure: the same data projected by PCA and by LDA (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.8, 3.8))
    for ax, Z, title in (
        (axes[0], Z_pca, "PCA: directions of largest variance"),
        (axes[1], Z_lda, "LDA: directions that separate classes"),
    ):
        for k, c in enumerate(("tab:blue", "tab:orange", "tab:green")):
            ax.scatter(Z[y == k, 0], Z[y == k, 1], s=10, color=c, label=f"class {k}")
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8)
    fig.set_label(
        "Three classes in four dimensions, projected to two. PCA's plane is dominated by a long "
        "direction of spread that has nothing to do with the classes, and the three classes overlap "
        "almost completely. LDA's plane shows three distinct groups that overlap only at their edges"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = make_elongated_classes(0)
    Xt, yt = make_elongated_classes(1, n_per=300)
    means, priors, cov = lda_fit(X, y, 3)
    coef, intercept = lda_coefficients(means, priors, cov)
    print("class means:\n", means)
    print("priors", priors, " intercept_", intercept)
    acc = np.mean(lda_predict_proba(Xt, coef, intercept).argmax(1) == yt)
    nearest = np.argmin(((Xt[:, None, :] - means[None]) ** 2).sum(-1), axis=1)
    print(f"test accuracy: LDA {acc:.4f}, nearest class mean (Euclidean) {np.mean(nearest == yt):.4f}")
    W, ratio = lda_directions(X, y, 3)
    print("explained_variance_ratio_ (between-class variance captured):", ratio)
    _, comps, var, pca_ratio = pca_fit(X, 2)
    print("PCA explained variance ratio (total variance):", pca_ratio)
    Z_lda = X @ W[:, :2]
    Z_pca = pca_transform(X, X.mean(axis=0), comps)
    for name, Z in (("LDA", Z_lda), ("PCA", Z_pca)):
        print(f"Fisher ratio of the first {name} direction: {fisher_ratio((W[:, 0] if name == 'LDA' else comps[0]), X, y, 3):.4f}")
    plot_projections(Z_pca, Z_lda, y)
