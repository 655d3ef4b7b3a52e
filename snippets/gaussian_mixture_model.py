"""Gaussian mixture model (full covariances) fitted by EM, following ``sklearn.mixture.GaussianMixture``.

Conventions of ``GaussianMixture(covariance_type="full", reg_covar=1e-6, tol=1e-3,
init_params="kmeans")``: responsibilities start from a k-means labelling, ``reg_covar`` is
added to the diagonal of every covariance in the M-step (so a component that shrinks onto a few
points stays positive definite), convergence is declared when the mean log-likelihood per sample
(``lower_bound_``) changes by less than ``tol``, and ``score_samples`` / ``predict_proba`` are
computed in log space with log-sum-exp. One initialisation, as scikit-learn's default ``n_init=1``
(raise it to keep the best of several starts).
"""

import numpy as np
from termbook.checks import assert_close

from snippets.k_means import kmeans
from snippets.normal_distribution import mvn_logpdf
from snippets.softmax import logsumexp

__all__ = ["weighted_log_prob", "gmm_e_step", "gmm_m_step", "fit_gmm", "gmm_predict_proba", "gmm_sample"]


def weighted_log_prob(X, weights, means, covs):
    """``log w_k + log N(x_i; mu_k, Sigma_k)`` for every point and component (``_estimate_weighted_log_prob``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covs : ndarray of shape (K, D, D)

    Returns
    -------
    wlp : ndarray of shape (N, K)
    """
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    return np.column_stack([log_w[k] + mvn_logpdf(X, means[k], covs[k]) for k in range(len(weights))])


def gmm_e_step(X, weights, means, covs):
    """Responsibilities and mean log-likelihood (``GaussianMixture._e_step`` and ``score``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covs : ndarray of shape (K, D, D)

    Returns
    -------
    log_resp : ndarray of shape (N, K)
    mean_log_likelihood : float
        ``mean_i log sum_k w_k N(x_i; mu_k, Sigma_k)``.
    """
    wlp = weighted_log_prob(X, weights, means, covs)
    lse = logsumexp(wlp, axis=1, keepdims=True)
    return wlp - lse, float(lse.mean())


def gmm_m_step(X, resp, reg_covar=1e-6):
    """Closed-form M-step: responsibility-weighted frequencies, means and covariances (``GaussianMixture._m_step``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    resp : ndarray of shape (N, K)
    reg_covar : float
        Added to every covariance's diagonal.

    Returns
    -------
    weights : ndarray of shape (K,)
    means : ndarray of shape (K, D)
    covs : ndarray of shape (K, D, D)
    """
    N, D = X.shape
    nk = resp.sum(axis=0) + 10 * np.finfo(resp.dtype).eps  # as scikit-learn: no division by zero
    means = (resp.T @ X) / nk[:, None]
    covs = np.empty((resp.shape[1], D, D))
    for k in range(resp.shape[1]):
        d = X - means[k]
        covs[k] = (resp[:, k, None] * d).T @ d / nk[k] + reg_covar * np.eye(D)
    return nk / N, means, covs


def fit_gmm(X, n_components, seed=0, max_iter=100, tol=1e-3, reg_covar=1e-6):
    """Fit a full-covariance GMM by EM from a k-means initialisation.

    ``GaussianMixture(n_components, covariance_type="full", tol=tol, reg_covar=reg_covar,
    max_iter=max_iter).fit(X)``; the parameters are its ``weights_``, ``means_``, ``covariances_``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    n_components : int
    seed : int
        Seed of the k-means++ initialisation.
    max_iter : int
    tol : float
        Stop when the mean log-likelihood improves by less than this.
    reg_covar : float

    Returns
    -------
    params : tuple
        ``(weights (K,), means (K, D), covs (K, D, D))``.
    history : ndarray of shape (T,)
        Mean log-likelihood after each E-step; non-decreasing (up to ``reg_covar``).
    """
    X = np.asarray(X, dtype=np.float64)
    _, labels, _ = kmeans(X, n_components, seed=seed)
    params = gmm_m_step(X, np.eye(n_components)[labels], reg_covar)
    history = []
    for _ in range(max_iter):
        log_resp, ll = gmm_e_step(X, *params)
        if not np.isfinite(ll):
            raise ValueError("log-likelihood is not finite; increase reg_covar")
        history.append(ll)
        if len(history) > 1 and abs(history[-1] - history[-2]) < tol:
            break
        params = gmm_m_step(X, np.exp(log_resp), reg_covar)
    return params, np.array(history)


def gmm_predict_proba(X, weights, means, covs):
    """Posterior component probabilities (``GaussianMixture.predict_proba``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    weights, means, covs : fitted parameters

    Returns
    -------
    proba : ndarray of shape (N, K)
    """
    return np.exp(gmm_e_step(np.atleast_2d(X), weights, means, covs)[0])


def gmm_sample(n, weights, means, covs, rng):
    """Draw ``n`` points: pick a component by its weight, then ``mu_k + L_k z`` (``GaussianMixture.sample``).

    Parameters
    ----------
    n : int
    weights, means, covs : parameters
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n, D)
    z : ndarray of shape (n,)
        Component of each draw.
    """
    z = rng.choice(len(weights), size=n, p=weights)
    L = np.linalg.cholesky(covs)  # (K, D, D)
    eps = rng.standard_normal((n, means.shape[1]))
    return means[z] + np.einsum("nij,nj->ni", L[z], eps), z


# ---------------------------------------------------------------- checks

TRUE_WEIGHTS = np.array([0.5, 0.3, 0.2])
TRUE_MEANS = np.array([[0.0, 0.0], [2.5, 2.0], [-2.0, 2.5]])
TRUE_COVS = np.array([[[1.0, 0.6], [0.6, 1.0]], [[0.5, -0.3], [-0.3, 1.0]], [[1.5, 0.0], [0.0, 0.3]]])


def _data(n=600, seed=0):
    return gmm_sample(n, TRUE_WEIGHTS, TRUE_MEANS, TRUE_COVS, np.random.default_rng(seed))


def check_em_never_decreases_the_likelihood_and_recovers_parameters():
    X, _ = _data()
    (w, mu, cov), hist = fit_gmm(X, 3, seed=0, tol=1e-8)
    assert np.all(np.diff(hist) > -1e-9)
    order = [int(np.argmin(np.linalg.norm(mu - m, axis=1))) for m in TRUE_MEANS]
    assert_close(mu[order], TRUE_MEANS, atol=0.25, rtol=0, what="means")
    assert_close(w[order], TRUE_WEIGHTS, atol=0.05, rtol=0, what="weights")
    assert_close(cov[order], TRUE_COVS, atol=0.3, rtol=0, what="covariances")


def check_converged_parameters_are_a_fixed_point():
    X, _ = _data(300, seed=1)
    params, _ = fit_gmm(X, 3, seed=1, tol=1e-12, max_iter=1000)
    log_resp, _ = gmm_e_step(X, *params)
    again = gmm_m_step(X, np.exp(log_resp))
    for a, b in zip(params, again):
        assert_close(a, b, atol=1e-6, rtol=0, what="one more EM step")


def check_single_component_is_the_gaussian_mle():
    X, _ = _data(200, seed=2)
    (w, mu, cov), _ = fit_gmm(X, 1)
    assert_close(w, [1.0], rtol=1e-12)
    assert_close(mu[0], X.mean(axis=0), rtol=1e-12, what="mean")
    assert_close(cov[0], np.cov(X.T, bias=True) + 1e-6 * np.eye(2), rtol=1e-10, what="biased covariance + reg_covar")


def check_responsibilities_and_far_points():
    X, _ = _data(200, seed=3)
    params, _ = fit_gmm(X, 3)
    far = np.array([[1e4, -1e4], [0.0, 1e6]])  # every density underflows: log space still normalises
    p = gmm_predict_proba(np.vstack([X[:5], far]), *params)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)


def check_reg_covar_prevents_collapse_on_duplicates():
    # Extreme input: a component can sit on identical points, whose covariance is exactly 0.
    X = np.vstack([np.tile([[5.0, 5.0]], (10, 1)), np.random.default_rng(4).normal(size=(40, 2))])
    (w, mu, cov), hist = fit_gmm(X, 2)
    assert np.all(np.isfinite(hist))
    assert np.all(np.linalg.eigvalsh(cov) >= 1e-6 - 1e-15)
    # Without reg_covar, a component owning exactly the ten duplicates has a singular covariance.
    hard = np.column_stack([np.r_[np.ones(10), np.zeros(40)], np.r_[np.zeros(10), np.ones(40)]])
    cov0 = gmm_m_step(X, hard, reg_covar=0.0)[2][0]
    assert np.allclose(cov0, 0.0)
    try:
        mvn_logpdf(X[:1], X[0], cov0)
    except np.linalg.LinAlgError:
        pass
    else:
        raise AssertionError("a zero covariance has no density")


def plot_clusters(X, weights, means, covs):
    """Figure for the page: points coloured by their most likely component, with 1- and 2-sigma ellipses."""
    import matplotlib.pyplot as plt

    labels = np.argmax(gmm_predict_proba(X, weights, means, covs), axis=1)
    fig, ax = plt.subplots(figsize=(6, 5))
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    t = np.linspace(0, 2 * np.pi, 100)
    circle = np.stack([np.cos(t), np.sin(t)])
    for k in range(len(weights)):
        ax.scatter(*X[labels == k].T, s=6, color=colors[k], alpha=0.6)
        vals, vecs = np.linalg.eigh(covs[k])
        for r in (1.0, 2.0):
            ell = means[k][:, None] + vecs @ (r * np.sqrt(vals)[:, None] * circle)
            ax.plot(*ell, color="black", linewidth=1.2 if r == 1 else 0.7)
        ax.plot(*means[k], "k+", markersize=10)
        ax.annotate(f"w={weights[k]:.2f}", means[k] + [0.3, 0.3])
    ax.set_aspect("equal")
    fig.tight_layout()
    fig.set_label(
        "Points from three overlapping elliptical clusters, coloured by the component a fitted "
        "Gaussian mixture assigns them to; each component is drawn as its 1- and 2-standard-deviation "
        "ellipse, tilted and stretched to follow its cluster's covariance"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    X, z = _data()
    (w, mu, cov), hist = fit_gmm(X, 3, seed=0)
    order = [int(np.argmin(np.linalg.norm(mu - m, axis=1))) for m in TRUE_MEANS]
    print(f"600 points from 3 components; EM stopped after {hist.size} E-steps")
    print("mean log-likelihood per point:", hist[[0, 1, 2, -1]], "(first three, last)")
    print("weights  true", TRUE_WEIGHTS, " in this sample", np.bincount(z) / z.size, " fitted", w[order])
    print("means    true", TRUE_MEANS.tolist(), "\n         fitted", mu[order].round(3).tolist())
    print("covariance of component 1, true", TRUE_COVS[0].tolist(), " fitted", cov[order][0].round(3).tolist())
    p = gmm_predict_proba(np.array([[2.0, 1.5], [0.0, 0.0]]), w[order], mu[order], cov[order])
    print("P(component | x) at (2, 1.5):", p[0], " at (0, 0):", p[1])
    plot_clusters(X, w[order], mu[order], cov[order])
