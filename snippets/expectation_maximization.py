"""Expectation-maximization (EM) on a mixture of binomials: the "which coin was tossed?" problem.

Each of N trials tosses one of K coins n_i times and reports only the number of heads; which
coin was used is hidden. EM alternates an E-step (the posterior probability, or
responsibility, of each coin for each trial, given the current biases) and an M-step (biases
and mixing weights re-estimated from responsibility-weighted counts). Everything in the E-step
is done in log space and normalised with log-sum-exp, the way ``sklearn.mixture`` computes
``log_resp`` in ``_estimate_log_prob_resp``: with thousands of tosses per trial the raw
likelihoods underflow to 0. The example with ``learn_weights=False`` reproduces Do and
Batzoglou (2008), who keep the two coins equally likely.
"""

import math

import numpy as np
from termbook.checks import assert_close, numerical_gradient

from snippets.softmax import logsumexp

__all__ = ["log_joint", "e_step", "m_step", "elbo", "em"]

_EPS = 1e-12  # biases are kept in [eps, 1 - eps] so log(theta) stays finite


def log_joint(heads, n, log_weights, theta):
    """``log p(x_i, z_i = k) = log w_k + log C(n_i, h_i) + h_i log theta_k + (n_i - h_i) log(1 - theta_k)``.

    The binomial part is ``scipy.stats.binom.logpmf(heads, n, theta)``; the sum is scikit-learn's
    ``_estimate_weighted_log_prob`` for this mixture.

    Parameters
    ----------
    heads : ndarray of shape (N,)
        Heads in each trial.
    n : ndarray of shape (N,)
        Tosses in each trial.
    log_weights : ndarray of shape (K,)
        Log mixing weights (log prior probability of each coin).
    theta : ndarray of shape (K,)
        Probability of heads of each coin.

    Returns
    -------
    lj : ndarray of shape (N, K)
    """
    heads, n = np.asarray(heads, dtype=np.float64), np.asarray(n, dtype=np.float64)
    log_binom = np.array([math.lgamma(a + 1) - math.lgamma(b + 1) - math.lgamma(a - b + 1) for a, b in zip(n, heads)])
    theta = np.clip(theta, _EPS, 1 - _EPS)
    return (
        log_weights[None, :]
        + log_binom[:, None]
        + heads[:, None] * np.log(theta)[None, :]
        + (n - heads)[:, None] * np.log1p(-theta)[None, :]
    )


def e_step(heads, n, log_weights, theta):
    """Responsibilities ``r_ik = p(z_i = k | x_i)`` and the observed-data log-likelihood.

    The E-step of ``sklearn.mixture`` (``_estimate_log_prob_resp``), for binomial components.

    Parameters
    ----------
    heads, n : ndarray of shape (N,)
    log_weights, theta : ndarray of shape (K,)

    Returns
    -------
    log_resp : ndarray of shape (N, K)
        Rows are log-probabilities: ``logsumexp(log_resp, axis=1) == 0``.
    log_likelihood : float
        ``sum_i log sum_k p(x_i, z_i = k)``.
    """
    lj = log_joint(heads, n, log_weights, theta)
    lse = logsumexp(lj, axis=1, keepdims=True)
    return lj - lse, float(lse.sum())


def m_step(heads, n, resp, learn_weights=True):
    """Maximise the expected complete-data log-likelihood: weighted counts (the M-step, as ``sklearn.mixture``'s ``_m_step``).

    ``theta_k = sum_i r_ik h_i / sum_i r_ik n_i`` and ``w_k = mean_i r_ik``.

    Parameters
    ----------
    heads, n : ndarray of shape (N,)
    resp : ndarray of shape (N, K)
        Responsibilities (rows sum to one).
    learn_weights : bool
        If False, the weights stay uniform.

    Returns
    -------
    log_weights : ndarray of shape (K,)
    theta : ndarray of shape (K,)
    """
    heads, n = np.asarray(heads, dtype=np.float64), np.asarray(n, dtype=np.float64)
    tosses = resp.T @ n
    if np.any(tosses <= 0):
        raise ValueError("a component has no responsibility left (it died); restart with another initialisation")
    theta = np.clip((resp.T @ heads) / tosses, _EPS, 1 - _EPS)
    K = resp.shape[1]
    weights = resp.mean(axis=0) if learn_weights else np.full(K, 1.0 / K)
    with np.errstate(divide="ignore"):
        return np.log(weights), theta


def elbo(heads, n, log_weights, theta, resp):
    """Evidence lower bound ``sum_i sum_k r_ik (log p(x_i, z_i = k) - log r_ik)`` for any ``resp``.

    At the exact posterior it equals the log-likelihood, N times what scikit-learn's mixtures store
    as ``lower_bound_``.

    Jensen's inequality makes it at most the log-likelihood, with equality when ``resp`` is the
    exact posterior; EM is coordinate ascent on it (E-step over ``resp``, M-step over parameters).

    Parameters
    ----------
    heads, n : ndarray of shape (N,)
    log_weights, theta : ndarray of shape (K,)
    resp : ndarray of shape (N, K)
        Any distribution over components for each trial.

    Returns
    -------
    value : float
    """
    lj = log_joint(heads, n, log_weights, theta)
    safe = np.where(resp > 0, resp, 1.0)
    return float(np.sum(np.where(resp > 0, resp * (lj - np.log(safe)), 0.0)))


def em(heads, n, theta0, weights0=None, learn_weights=True, max_iter=500, tol=1e-10):
    """Run EM from initial biases until the log-likelihood gains less than ``tol`` (like ``GaussianMixture.fit``).

    Parameters
    ----------
    heads, n : ndarray of shape (N,)
    theta0 : ndarray of shape (K,)
        Initial biases; they must differ, or symmetry keeps the coins identical forever.
    weights0 : ndarray of shape (K,) or None
        Initial mixing weights (uniform if None).
    learn_weights : bool
    max_iter : int
    tol : float

    Returns
    -------
    log_weights : ndarray of shape (K,)
    theta : ndarray of shape (K,)
    history : ndarray of shape (T,)
        Log-likelihood before each M-step; never decreases.
    """
    theta = np.asarray(theta0, dtype=np.float64)
    K = theta.size
    log_w = np.log(np.full(K, 1.0 / K) if weights0 is None else np.asarray(weights0, dtype=np.float64))
    history = []
    for _ in range(max_iter):
        log_resp, ll = e_step(heads, n, log_w, theta)
        if not np.isfinite(ll):
            raise ValueError("log-likelihood is not finite")
        history.append(ll)
        if len(history) > 1 and history[-1] - history[-2] < tol:
            break
        log_w, theta = m_step(heads, n, np.exp(log_resp), learn_weights)
    return log_w, theta, np.array(history)


# ---------------------------------------------------------------- checks

HEADS = np.array([5, 9, 8, 4, 7])  # Do and Batzoglou (2008): five trials of ten tosses
N_TOSSES = np.full(5, 10)


def _simulated(seed=0, trials=60, tosses=20):
    rng = np.random.default_rng(seed)
    coin = rng.random(trials) < 0.3
    return rng.binomial(tosses, np.where(coin, 0.8, 0.35)), np.full(trials, tosses), coin


def check_log_likelihood_never_decreases():
    h, n, _ = _simulated(0)
    for theta0 in ([0.5, 0.6], [0.1, 0.9], [0.45, 0.46]):
        _, _, hist = em(h, n, theta0)
        assert hist.size > 2 and np.all(np.diff(hist) >= -1e-9)


def check_elbo_is_a_lower_bound_tight_at_the_posterior():
    h, n, _ = _simulated(1)
    log_w, theta = np.log([0.4, 0.6]), np.array([0.3, 0.7])
    log_resp, ll = e_step(h, n, log_w, theta)
    assert_close(elbo(h, n, log_w, theta, np.exp(log_resp)), ll, rtol=1e-12, what="ELBO at the posterior")
    rng = np.random.default_rng(2)
    for _ in range(10):
        q = rng.dirichlet([1.0, 1.0], size=h.size)
        assert elbo(h, n, log_w, theta, q) <= ll + 1e-9


def check_converged_point_is_a_stationary_point_of_the_likelihood():
    h, n, _ = _simulated(3)
    log_w, theta, _ = em(h, n, [0.4, 0.6])

    def loglik(params):
        w = np.array([params[0], 1 - params[0]])
        return e_step(h, n, np.log(w), params[1:])[1]

    grad = numerical_gradient(loglik, np.r_[np.exp(log_w[0]), theta])
    assert np.max(np.abs(grad)) < 1e-4, grad


def check_recovers_the_generating_coins():
    h, n, coin = _simulated(4, trials=400, tosses=30)
    log_w, theta, _ = em(h, n, [0.5, 0.6])
    order = np.argsort(theta)
    assert_close(theta[order], [0.35, 0.8], rtol=0.05, what="biases")
    # Compare with the fraction of trials that really used each coin (sampling noise aside).
    assert_close(np.exp(log_w)[order], [1 - coin.mean(), coin.mean()], atol=0.03, rtol=0, what="weights")


def check_log_space_survives_long_trials():
    # 5000 tosses per trial: at the initial biases each likelihood is far below 1e-308 and
    # underflows to 0; the log-space E-step does not.
    rng = np.random.default_rng(5)
    n = np.full(8, 5000)
    h = rng.binomial(5000, np.r_[np.full(4, 0.4), np.full(4, 0.6)])
    raw = np.exp(log_joint(h, n, np.log([0.5, 0.5]), np.array([0.05, 0.95])))
    assert np.all(raw == 0.0)
    log_resp, ll = e_step(h, n, np.log([0.5, 0.5]), np.array([0.05, 0.95]))
    assert np.isfinite(ll) and np.allclose(np.exp(log_resp).sum(axis=1), 1.0)
    _, theta, _ = em(h, n, [0.05, 0.95])
    assert_close(np.sort(theta), [0.4, 0.6], rtol=0.01)


def check_all_heads_does_not_produce_nan():
    # Extreme data: every toss a head drives a bias to 1; clipping keeps log(1 - theta) finite.
    log_w, theta, hist = em(np.array([10, 10, 10, 2]), np.full(4, 10), [0.5, 0.6])
    assert np.all(np.isfinite(theta)) and np.all(np.isfinite(hist)) and theta.max() > 0.99


def plot_log_likelihood(history):
    """Figure for the page: EM's log-likelihood climbing to a plateau."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(np.arange(history.size), history, "o-", markersize=3)
    ax.set_xlabel("EM iteration")
    ax.set_ylabel("log-likelihood")
    fig.tight_layout()
    fig.set_label(
        "Log-likelihood of the two-coin mixture after each EM iteration: it rises quickly in the first "
        "few iterations, never goes down, and flattens out as EM converges"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("heads in five trials of ten tosses:", HEADS)
    log_w, theta = np.log([0.5, 0.5]), np.array([0.6, 0.5])
    for it in range(10):
        log_resp, ll = e_step(HEADS, N_TOSSES, log_w, theta)
        if it < 2:
            print(f"iteration {it}: theta = {theta}, log-likelihood = {ll:.4f}, P(coin A | trial) =", np.exp(log_resp[:, 0]))
        _, theta = m_step(HEADS, N_TOSSES, np.exp(log_resp), learn_weights=False)
    print("after 10 iterations (weights fixed at 1/2): theta_A, theta_B =", theta)
    h, n, _ = _simulated(0)
    log_w, theta, hist = em(h, n, [0.5, 0.6])
    print(
        f"60 simulated trials (true biases 0.35, 0.8; weights 0.7, 0.3): theta = {theta}, weights = {np.exp(log_w)}, "
        f"{hist.size} E-steps, log-likelihood {hist[0]:.2f} -> {hist[-1]:.2f}"
    )
    plot_log_likelihood(hist)
