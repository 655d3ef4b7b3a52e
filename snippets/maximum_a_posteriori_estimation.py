"""Maximum a posteriori (MAP) estimation: the mode of the posterior, likelihood x prior.

Three cases with closed forms, each checked against a brute-force maximisation: a coin with a
Beta prior, a Gaussian mean with a Gaussian prior (shrinkage towards the prior mean), and linear
regression with a Gaussian prior on the weights, which is ridge regression:
``map_linear_regression(X, y, noise_var, prior_var)`` equals
``sklearn.linear_model.Ridge(alpha=noise_var / prior_var, fit_intercept=False).fit(X, y).coef_``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.bayes_theorem import beta_logpdf

__all__ = [
    "beta_bernoulli_map",
    "gaussian_mean_map",
    "map_linear_regression",
    "neg_log_posterior_forward",
    "neg_log_posterior_backward",
]


def beta_bernoulli_map(k, n, a=1.0, b=1.0):
    """Mode of the Beta(a + k, b + n - k) posterior of a coin's bias (the mode of ``scipy.stats.beta``).

    Interior mode ``(k + a - 1) / (n + a + b - 2)`` when both posterior parameters exceed 1;
    a mode on the boundary (0 or 1) when exactly one of them is at most 1.

    Parameters
    ----------
    k, n : int
        Heads observed and tosses made, ``0 <= k <= n``.
    a, b : float
        Beta prior parameters (pseudo-counts; a = b = 1 is uniform and gives the MLE).

    Returns
    -------
    theta_map : float
    """
    ap, bp = a + k, b + n - k
    if ap > 1 and bp > 1:
        return (ap - 1) / (ap + bp - 2)
    if ap <= 1 < bp:
        return 0.0
    if bp <= 1 < ap:
        return 1.0
    raise ValueError(f"Beta({ap}, {bp}) has no unique mode (uniform or U-shaped)")


def gaussian_mean_map(x, noise_var, prior_mean, prior_var):
    """MAP (= posterior mean) of a Gaussian mean with known noise variance and a Gaussian prior.

    With ``prior_mean = 0`` it is the weight ``sklearn.linear_model.Ridge(alpha=noise_var / prior_var,
    fit_intercept=False)`` fits on a single all-ones feature.

    ``mu_map = (sum(x)/noise_var + prior_mean/prior_var) / (N/noise_var + 1/prior_var)``, a
    precision-weighted average of the sample mean and the prior mean.

    Parameters
    ----------
    x : ndarray of shape (N,)
        N may be 0: the answer is then the prior mean.
    noise_var : float
        Variance of each observation around the mean.
    prior_mean, prior_var : float
        The prior N(prior_mean, prior_var) on the mean.

    Returns
    -------
    mu_map : float
    post_var : float
        Posterior variance ``1 / (N/noise_var + 1/prior_var)``.
    """
    x = np.asarray(x, dtype=np.float64)
    precision = x.size / noise_var + 1.0 / prior_var
    return float((x.sum() / noise_var + prior_mean / prior_var) / precision), float(1.0 / precision)


def map_linear_regression(X, y, noise_var, prior_var):
    """MAP weights of ``y = X w + noise`` with ``w ~ N(0, prior_var I)``: ridge regression.

    Equals ``sklearn.linear_model.Ridge(alpha=noise_var / prior_var, fit_intercept=False).fit(X, y).coef_``.

    Maximising ``log p(y|X,w) + log p(w)`` is minimising
    ``||y - Xw||^2 / (2 noise_var) + ||w||^2 / (2 prior_var)``, i.e. ridge with
    ``alpha = noise_var / prior_var``: ``w = (X^T X + alpha I)^{-1} X^T y``. Solved with
    ``np.linalg.solve``; the matrix is positive definite for any ``alpha > 0``, even when
    ``X^T X`` is singular (more features than rows, duplicated columns).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    noise_var : float
    prior_var : float

    Returns
    -------
    w : ndarray of shape (D,)
    """
    alpha = noise_var / prior_var
    D = X.shape[1]
    return np.linalg.solve(X.T @ X + alpha * np.eye(D), X.T @ y)


def neg_log_posterior_forward(w, X, y, noise_var, prior_var):
    """Negative log-posterior of the weights, up to a constant: scikit-learn's ridge objective over ``2 noise_var``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    noise_var, prior_var : float

    Returns
    -------
    loss : float
        ``||y - Xw||^2 / (2 noise_var) + ||w||^2 / (2 prior_var)``: the NLL plus an L2 penalty.
    cache : tuple
    """
    r = X @ w - y
    return float(r @ r / (2 * noise_var) + w @ w / (2 * prior_var)), (X, r, w, noise_var, prior_var)


def neg_log_posterior_backward(dout, cache):
    """Gradient of :func:`neg_log_posterior_forward`: ``X^T (Xw - y)/noise_var + w/prior_var`` (what autograd returns).

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    dw : ndarray of shape (D,)
    """
    X, r, w, noise_var, prior_var = cache
    return dout * (X.T @ r / noise_var + w / prior_var)


# ---------------------------------------------------------------- checks


def check_beta_map_is_the_posterior_mode_on_a_grid():
    grid = np.linspace(1e-6, 1 - 1e-6, 200001)
    for k, n, a, b in [(3, 3, 2.0, 2.0), (7, 10, 1.0, 1.0), (1, 20, 5.0, 5.0)]:
        logp = beta_logpdf(grid, a + k, b + n - k)
        assert abs(grid[np.argmax(logp)] - beta_bernoulli_map(k, n, a, b)) < 1e-5
    assert beta_bernoulli_map(7, 10) == 0.7  # uniform prior: MAP = MLE
    assert beta_bernoulli_map(0, 0, 3.0, 5.0) == 2.0 / 6.0  # no data: the prior's mode


def check_boundary_modes_and_undefined_mode():
    assert beta_bernoulli_map(5, 5) == 1.0  # all heads, uniform prior: mode at 1 (as the MLE)
    assert beta_bernoulli_map(0, 4, 0.5, 0.5) == 0.0
    try:
        beta_bernoulli_map(0, 0, 1.0, 1.0)  # uniform posterior: every value is a mode
    except ValueError:
        pass
    else:
        raise AssertionError("a flat posterior has no unique mode")


def check_map_is_not_invariant_to_reparameterisation():
    # The posterior mode of theta is (a-1)/(a+b-2); in logit space the density picks up the
    # Jacobian theta(1-theta) and its mode maps back to a/(a+b). The MLE has no such issue.
    a, b = 4.0, 2.0
    phi = np.linspace(-10, 10, 400001)
    theta = 1 / (1 + np.exp(-phi))
    logp_phi = beta_logpdf(theta, a, b) + np.log(theta) + np.log1p(-theta)
    assert abs(theta[np.argmax(logp_phi)] - a / (a + b)) < 1e-4
    assert abs(beta_bernoulli_map(3, 4, 1.0, 1.0) - a / (a + b)) > 0.05  # 0.75 vs 0.667


def check_gaussian_map_shrinks_and_prior_washes_out():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 1.0, size=5)
    mu_map, post_var = gaussian_mean_map(x, 1.0, 0.0, 1.0)
    assert 0.0 < mu_map < x.mean()  # between the prior mean and the data mean
    assert_close(mu_map, x.sum() / (x.size + 1), rtol=1e-14, what="equal variances: sum / (N + 1)")
    assert_close(post_var, 1 / 6, rtol=1e-14)
    # The same number is ridge regression on a single all-ones feature.
    assert_close(map_linear_regression(np.ones((x.size, 1)), x, 1.0, 1.0)[0], mu_map, rtol=1e-13, what="ridge on ones")
    big = rng.normal(3.0, 1.0, size=100_000)
    assert abs(gaussian_mean_map(big, 1.0, 0.0, 1.0)[0] - big.mean()) < 1e-4  # data dominate
    assert gaussian_mean_map(np.array([]), 1.0, -2.0, 4.0) == (-2.0, 4.0)  # no data: the prior


def check_ridge_equals_map_and_gradient_descent_agrees():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 4))
    y = X @ np.array([1.0, -2.0, 0.0, 0.5]) + 0.3 * rng.normal(size=30)
    w = map_linear_regression(X, y, noise_var=0.09, prior_var=0.5)
    _, cache = neg_log_posterior_forward(w, X, y, 0.09, 0.5)
    assert_close(neg_log_posterior_backward(1.0, cache), np.zeros(4), rtol=0, atol=1e-10, what="stationary")
    # Same point by gradient descent, with the step 1/L from the largest curvature.
    L = np.linalg.eigvalsh(X.T @ X / 0.09 + np.eye(4) / 0.5).max()
    v = np.zeros(4)
    for _ in range(3000):
        v = v - neg_log_posterior_backward(1.0, neg_log_posterior_forward(v, X, y, 0.09, 0.5)[1]) / L
    assert_close(v, w, rtol=1e-8, what="gradient descent")


def check_map_exists_with_more_features_than_rows():
    # Extreme input: D > N and a duplicated column make X^T X singular; the prior fixes it.
    rng = np.random.default_rng(2)
    X = rng.normal(size=(3, 6))
    X[:, 5] = X[:, 4]
    w = map_linear_regression(X, rng.normal(size=3), 1.0, 1.0)
    assert np.all(np.isfinite(w))
    assert_close(w[4], w[5], rtol=1e-12, what="duplicated columns share the weight")


def check_neg_log_posterior_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(3)
    X, y, w = rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=3)
    _, cache = neg_log_posterior_forward(w, X, y, 0.5, 2.0)
    num = numerical_gradient(lambda v: neg_log_posterior_forward(v, X, y, 0.5, 2.0)[0], w.copy())
    assert_gradient_close(neg_log_posterior_backward(1.0, cache), num, tol=1e-7)


def plot_prior_likelihood_posterior(k=3, n=3, a=2.0, b=2.0):
    """Figure for the page: prior, likelihood and posterior of a coin, with MLE and MAP marked."""
    import matplotlib.pyplot as plt

    theta = np.linspace(0.001, 0.999, 500)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.plot(theta, np.exp(beta_logpdf(theta, a, b)), label=f"prior Beta({a:g}, {b:g})")
    ax.plot(theta, np.exp(beta_logpdf(theta, k + 1, n - k + 1)), label=f"likelihood of {k}/{n} (normalised)")
    ax.plot(theta, np.exp(beta_logpdf(theta, a + k, b + n - k)), label="posterior", linewidth=2)
    ax.axvline(k / n, color="gray", linestyle=":", label=f"MLE {k / n:.2f}")
    ax.axvline(beta_bernoulli_map(k, n, a, b), color="black", linestyle="--", label=f"MAP {beta_bernoulli_map(k, n, a, b):.2f}")
    ax.set_xlabel("probability of heads")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.set_label(
        "Prior, likelihood and posterior for a coin that came up heads 3 times in 3 tosses: the "
        "likelihood peaks at 1 (the MLE), the Beta(2, 2) prior pulls the posterior's peak (the MAP "
        "estimate) back to 0.8"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    k, n = 3, 3
    print(
        f"coin, {k} heads in {n}: MLE {k / n:.4f}; MAP with Beta(2, 2) prior {beta_bernoulli_map(k, n, 2, 2):.4f}; "
        f"posterior mean {(k + 2) / (n + 4):.4f}"
    )
    x = np.random.default_rng(0).normal(3.0, 1.0, size=5)
    mu_map, post_var = gaussian_mean_map(x, 1.0, 0.0, 1.0)
    print(f"Gaussian mean, 5 points, sample mean {x.mean():.4f}; prior N(0, 1) -> MAP {mu_map:.4f} (posterior sd {np.sqrt(post_var):.4f})")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.5 * rng.normal(size=20)
    print("linear regression, true w = [1, -2, 0.5]")
    print("  least squares (MLE)           ", np.linalg.lstsq(X, y, rcond=None)[0])
    for prior_var in (1.0, 0.1, 0.01):
        print(f"  MAP, prior var {prior_var:<5} (alpha {0.25 / prior_var:<4g})", map_linear_regression(X, y, 0.25, prior_var))
    plot_prior_likelihood_posterior()
