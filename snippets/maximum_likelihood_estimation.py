"""Maximum likelihood estimation: choose the parameters under which the data are most probable.

Closed forms for the Bernoulli and the Gaussian, and the general recipe of minimising the
negative log-likelihood (NLL) by gradient descent, which is how every neural network is trained.
``gaussian_mle`` mirrors ``scipy.stats.norm.fit(x)``, which returns the MLE ``(loc, scale)`` with
the *biased* standard deviation (divide by N, like ``np.std(x, ddof=0)``). ``gaussian_nll_forward``
is ``torch.nn.GaussianNLLLoss(full=True, reduction="mean")`` except that it is parameterised by
``log_sigma`` instead of the variance (PyTorch clamps the variance at ``eps=1e-6`` instead).
"""

import math

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

__all__ = [
    "bernoulli_log_likelihood",
    "bernoulli_mle",
    "gaussian_mle",
    "gaussian_nll_forward",
    "gaussian_nll_backward",
    "fit_gaussian_by_gradient_descent",
]

LOG_2PI = math.log(2 * math.pi)


def bernoulli_log_likelihood(p, x):
    """``sum_i x_i log p + (1 - x_i) log(1 - p)`` with ``0 log 0 = 0``.

    Equals ``scipy.stats.bernoulli.logpmf(x, p).sum()`` (which also uses ``0 log 0 = 0``).

    Parameters
    ----------
    p : float or ndarray of shape (M,)
        Probability of a 1, in [0, 1] (several candidate values at once).
    x : ndarray of shape (N,)
        Observations in {0, 1}.

    Returns
    -------
    ll : float or ndarray of shape (M,)
        ``-inf`` where p = 0 (or 1) and a 1 (or a 0) was observed.
    """
    x = np.asarray(x, dtype=np.float64)
    k, n = x.sum(), x.size
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(divide="ignore"):
        heads = k * np.log(p) if k > 0 else np.zeros_like(p)  # skip 0 * log 0
        tails = (n - k) * np.log1p(-p) if n - k > 0 else np.zeros_like(p)
    return heads + tails


def bernoulli_mle(x):
    """MLE of a Bernoulli probability: the fraction of ones, ``k / N``.

    ``np.mean(x)``; ``torch.distributions.Bernoulli(probs=p_hat)`` is then the fitted model.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Observations in {0, 1}; N >= 1.

    Returns
    -------
    p_hat : float
    """
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no data: the likelihood is constant")
    return float(x.mean())


def gaussian_mle(x):
    """MLE of a normal's mean and standard deviation, like ``scipy.stats.norm.fit(x)``.

    Parameters
    ----------
    x : ndarray of shape (N,)

    Returns
    -------
    mu_hat : float
        The sample mean.
    sigma_hat : float
        ``sqrt(mean((x - mu_hat)^2))``: divides by N, so it is biased low (ddof=0).
        Zero when all points coincide, where the likelihood is unbounded.
    """
    x = np.asarray(x, dtype=np.float64)
    mu = float(x.mean())
    return mu, float(np.sqrt(np.mean((x - mu) ** 2)))


def gaussian_nll_forward(params, x):
    """Mean negative log-likelihood of ``x`` under N(mu, exp(log_sigma)^2).

    Same value as ``torch.nn.GaussianNLLLoss(full=True)(input=mu, target=x, var=sigma**2)``.

    Parameters
    ----------
    params : ndarray of shape (2,)
        ``(mu, log_sigma)``; the log keeps sigma positive without constraints.
    x : ndarray of shape (N,)

    Returns
    -------
    nll : float
        ``mean((x - mu)^2) / (2 sigma^2) + log sigma + log(2 pi) / 2``.
    cache : tuple
    """
    mu, log_sigma = float(params[0]), float(params[1])
    x = np.asarray(x, dtype=np.float64)
    inv_var = np.exp(-2.0 * log_sigma)
    m2 = float(np.mean((x - mu) ** 2))
    return 0.5 * m2 * inv_var + log_sigma + 0.5 * LOG_2PI, (x, mu, inv_var, m2)


def gaussian_nll_backward(dout, cache):
    """Gradient of :func:`gaussian_nll_forward` with respect to ``(mu, log_sigma)`` (what autograd returns).

    ``d/dmu = -(mean(x) - mu) / sigma^2``, ``d/dlog_sigma = 1 - mean((x - mu)^2) / sigma^2``.
    Both vanish exactly at the closed-form MLE.

    Parameters
    ----------
    dout : float
    cache : tuple from :func:`gaussian_nll_forward`

    Returns
    -------
    dparams : ndarray of shape (2,)
    """
    x, mu, inv_var, m2 = cache
    return dout * np.array([-(x.mean() - mu) * inv_var, 1.0 - m2 * inv_var])


def fit_gaussian_by_gradient_descent(x, lr=0.5, steps=200, tol=1e-12):
    """Minimise the Gaussian NLL by gradient descent, starting from robust estimates.

    The numerical route ``scipy.stats.rv_continuous.fit`` takes for families without a closed
    form (it calls ``scipy.optimize.fmin`` on the NLL); here it must reproduce ``norm.fit``.

    The start (median, and 1.4826 x the median absolute deviation) puts sigma near its final
    value, so the curvature in ``mu`` (``1/sigma^2``) is known and the step ``lr * sigma^2`` in
    ``mu`` is safe; ``log_sigma`` has curvature 2 at the optimum, so ``lr < 1`` is stable there.

    Parameters
    ----------
    x : ndarray of shape (N,)
        At least two distinct values.
    lr : float
    steps : int
    tol : float
        Stop when the gradient norm falls below it.

    Returns
    -------
    params : ndarray of shape (2,)
        ``(mu, log_sigma)``.
    history : ndarray of shape (T,)
        The NLL after each step.
    """
    x = np.asarray(x, dtype=np.float64)
    mad = 1.4826 * np.median(np.abs(x - np.median(x)))
    scale = mad if mad > 0 else np.std(x)
    if not scale > 0:
        raise ValueError("all observations are equal: sigma -> 0 and the likelihood is unbounded")
    params = np.array([np.median(x), np.log(scale)])
    history = []
    for _ in range(steps):
        nll, cache = gaussian_nll_forward(params, x)
        history.append(nll)
        g = gaussian_nll_backward(1.0, cache)
        if np.linalg.norm(g) < tol:
            break
        params = params - lr * np.array([np.exp(2 * params[1]), 1.0]) * g  # per-coordinate step
        if not np.all(np.isfinite(params)):
            raise ValueError("gradient descent diverged; lower lr")
    return params, np.array(history)


# ---------------------------------------------------------------- checks


def check_bernoulli_mle_maximises_the_likelihood():
    x = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1])  # 7 ones in 10
    grid = np.linspace(0.0, 1.0, 10001)
    ll = bernoulli_log_likelihood(grid, x)
    assert_close(grid[np.argmax(ll)], bernoulli_mle(x), rtol=1e-12, what="argmax of the log-likelihood")
    # Extreme data: all ones. MLE is 1 and the log-likelihood there is 0 (not nan from 0 log 0).
    ones = np.ones(5)
    assert bernoulli_mle(ones) == 1.0 and bernoulli_log_likelihood(1.0, ones) == 0.0
    assert bernoulli_log_likelihood(1.0, x) == -np.inf  # p = 1 makes any observed 0 impossible


def check_gaussian_mle_is_stationary_and_beats_neighbours():
    x = np.random.default_rng(0).normal(2.0, 1.5, size=50)
    mu, sigma = gaussian_mle(x)
    params = np.array([mu, np.log(sigma)])
    nll, cache = gaussian_nll_forward(params, x)
    assert_close(gaussian_nll_backward(1.0, cache), np.zeros(2), rtol=0, atol=1e-12, what="gradient at the MLE")
    rng = np.random.default_rng(1)
    for _ in range(20):
        assert gaussian_nll_forward(params + 0.01 * rng.normal(size=2), x)[0] > nll
    assert_close(sigma, np.std(x, ddof=0), rtol=1e-14, what="MLE sigma is the ddof=0 std")


def check_nll_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(2)
    x, params = rng.normal(size=30), np.array([0.3, -0.2])
    _, cache = gaussian_nll_forward(params, x)
    num = numerical_gradient(lambda p: gaussian_nll_forward(p, x)[0], params.copy())
    assert_gradient_close(gaussian_nll_backward(1.0, cache), num, tol=1e-7)


def check_gradient_descent_reaches_the_closed_form():
    x = np.random.default_rng(3).normal(-1.0, 0.3, size=40)
    params, history = fit_gaussian_by_gradient_descent(x)
    mu, sigma = gaussian_mle(x)
    assert_close(params, [mu, np.log(sigma)], rtol=1e-9, what="GD vs closed form")
    assert np.all(np.diff(history) <= 1e-15)  # NLL never goes up
    try:
        fit_gaussian_by_gradient_descent(np.full(4, 2.0))
    except ValueError:
        pass
    else:
        raise AssertionError("constant data must raise: the likelihood has no maximum")


def check_mle_of_variance_is_biased_by_n_minus_1_over_n():
    rng = np.random.default_rng(4)
    n, sigma2 = 5, 4.0
    samples = rng.normal(0.0, 2.0, size=(200_000, n))
    mle_var = samples.var(axis=1, ddof=0)
    # E[sigma_hat^2] = (n-1)/n sigma^2 = 3.2; standard error of this average about 0.006.
    assert abs(mle_var.mean() - (n - 1) / n * sigma2) < 0.03
    assert abs(samples.var(axis=1, ddof=1).mean() - sigma2) < 0.04  # the n-1 version is unbiased


def check_standard_error_matches_fisher_information():
    # Var(p_hat) -> 1 / (n I(p)) with Fisher information I(p) = 1 / (p (1 - p)).
    rng = np.random.default_rng(5)
    p, n = 0.3, 400
    p_hat = rng.binomial(n, p, size=100_000) / n
    assert_close(p_hat.var(), p * (1 - p) / n, rtol=0.02, what="variance of the MLE")


def plot_log_likelihoods():
    """Figure for the page: Bernoulli log-likelihoods for 7/10 and 70/100 ones."""
    import matplotlib.pyplot as plt

    grid = np.linspace(0.01, 0.99, 400)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    for k, n in [(7, 10), (70, 100)]:
        x = np.r_[np.ones(k), np.zeros(n - k)]
        ll = bernoulli_log_likelihood(grid, x)
        ax.plot(grid, ll - ll.max(), label=f"{k} ones in {n}")
    ax.axvline(0.7, color="gray", linestyle=":")
    ax.set_ylim(-10, 0.5)
    ax.set_xlabel("p")
    ax.set_ylabel("log-likelihood minus its maximum")
    ax.legend()
    fig.tight_layout()
    fig.set_label(
        "Bernoulli log-likelihood against p for 7 ones in 10 and 70 ones in 100: both peak at the "
        "MLE 0.7, and the curve for 100 observations is ten times more sharply curved"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1])
    print("coin tosses", x, "-> p_hat =", bernoulli_mle(x))
    print("log-likelihood at p = 0.5, 0.7, 0.9:", bernoulli_log_likelihood(np.array([0.5, 0.7, 0.9]), x))
    data = np.random.default_rng(0).normal(2.0, 1.5, size=20)
    mu, sigma = gaussian_mle(data)
    print(f"20 draws from N(2, 1.5^2): mu_hat = {mu:.4f}, sigma_hat (ddof=0) = {sigma:.4f}, ddof=1 std = {np.std(data, ddof=1):.4f}")
    params, history = fit_gaussian_by_gradient_descent(data)
    print(
        f"gradient descent on the NLL: mu = {params[0]:.4f}, sigma = {np.exp(params[1]):.4f} "
        f"after {history.size} steps; NLL {history[0]:.4f} -> {history[-1]:.4f}"
    )
    plot_log_likelihoods()
