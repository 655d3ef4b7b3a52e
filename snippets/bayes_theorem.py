"""Bayes' theorem: posterior = likelihood x prior / evidence, computed in log space.

Over a discrete set of hypotheses the posterior is the normalised product of prior and
likelihood. Normalising with a log-sum-exp (``scipy.special.logsumexp``) instead of dividing
raw products is what ``sklearn.naive_bayes`` does in ``predict_proba``: the joint
log-likelihoods are exponentiated only after the largest has been subtracted, so a thousand
small likelihoods multiplied together never underflow to 0/0. The coin example mirrors the
conjugate update ``Beta(a, b) -> Beta(a + k, b + n - k)`` of ``scipy.stats.beta``.
"""

import math

import numpy as np
from termbook.checks import assert_close

from snippets.softmax import logsumexp

__all__ = ["posterior", "log_posterior", "posterior_odds", "beta_binomial_update", "beta_logpdf", "grid_posterior"]


def log_posterior(log_prior, log_likelihood):
    """Log-posterior over K hypotheses: ``log p(h|x) = log p(x|h) + log p(h) - log p(x)``.

    The evidence ``log p(x) = logsumexp(log p(x|h) + log p(h))`` is returned too; the
    normalisation is ``scipy.special.logsumexp``, as in ``sklearn.naive_bayes``' ``predict_log_proba``.

    Parameters
    ----------
    log_prior : ndarray of shape (K,)
        ``log p(h)``; ``-inf`` for a hypothesis ruled out a priori.
    log_likelihood : ndarray of shape (K,) or (N, K)
        ``log p(x|h)`` for one observation (or the sum over N independent observations,
        if a 2-D array is given: rows are observations).

    Returns
    -------
    log_post : ndarray of shape (K,)
    log_evidence : float
    """
    ll = np.asarray(log_likelihood, dtype=np.float64)
    if ll.ndim == 2:
        ll = ll.sum(axis=0)  # independent observations: log-likelihoods add
    joint = np.asarray(log_prior, dtype=np.float64) + ll
    if not np.any(np.isfinite(joint)):
        raise ValueError("every hypothesis has zero prior or zero likelihood: the posterior is undefined")
    log_evidence = float(logsumexp(joint))
    return joint - log_evidence, log_evidence


def posterior(prior, likelihood):
    """Posterior probabilities ``p(h|x) = p(x|h) p(h) / sum_h' p(x|h') p(h')``.

    Equivalent to ``scipy.special.softmax(np.log(likelihood) + np.log(prior))``.

    Parameters
    ----------
    prior : ndarray of shape (K,)
        Non-negative, summing to one.
    likelihood : ndarray of shape (K,)
        ``p(x|h)`` for each hypothesis (need not sum to one over h).

    Returns
    -------
    post : ndarray of shape (K,)
        Sums to one.
    """
    with np.errstate(divide="ignore"):  # log(0) = -inf is meaningful here
        lp, _ = log_posterior(np.log(np.asarray(prior, float)), np.log(np.asarray(likelihood, float)))
    return np.exp(lp)


def posterior_odds(prior_odds, likelihood_ratio):
    """Odds form of Bayes' theorem for two hypotheses: posterior odds = prior odds x LR.

    A one-line product; no NumPy or SciPy call is needed (``posterior`` gives the same numbers).

    For a positive diagnostic test the likelihood ratio is what medical statistics calls LR+,
    sensitivity / (1 - specificity).

    Parameters
    ----------
    prior_odds : float
        ``p(h1) / p(h0)``.
    likelihood_ratio : float
        ``p(x|h1) / p(x|h0)`` (the Bayes factor).

    Returns
    -------
    odds : float
        ``p(h1|x) / p(h0|x)``; the probability is ``odds / (1 + odds)``.
    """
    return prior_odds * likelihood_ratio


def beta_binomial_update(a, b, k, n):
    """Conjugate update of a Beta(a, b) prior on a coin's bias after k heads in n tosses.

    The result parameterises ``scipy.stats.beta(a_post, b_post)``.

    Parameters
    ----------
    a, b : float
        Prior pseudo-counts of heads and tails (a = b = 1 is Bayes' uniform prior).
    k, n : int
        Heads observed and tosses made.

    Returns
    -------
    a_post, b_post : float
        Parameters of the Beta posterior, ``(a + k, b + n - k)``.
    """
    if not 0 <= k <= n:
        raise ValueError("need 0 <= k <= n")
    return a + k, b + n - k


def beta_logpdf(theta, a, b):
    """Log-density of Beta(a, b), like ``scipy.stats.beta.logpdf(theta, a, b)``.

    Parameters
    ----------
    theta : ndarray of shape (M,)
        Points in (0, 1).
    a, b : float
        Positive shape parameters.

    Returns
    -------
    logp : ndarray of shape (M,)
    """
    theta = np.asarray(theta, dtype=np.float64)
    log_beta_fn = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return (a - 1) * np.log(theta) + (b - 1) * np.log1p(-theta) - log_beta_fn


def grid_posterior(k, n, grid_size=1001, a=1.0, b=1.0):
    """Brute-force posterior of a coin's bias on a grid, by Bayes' theorem directly.

    Should match ``scipy.stats.beta(a + k, b + n - k).pdf(theta)``.

    Parameters
    ----------
    k, n : int
        Heads and tosses.
    grid_size : int
        Number of grid points strictly inside (0, 1).
    a, b : float
        Beta prior.

    Returns
    -------
    theta : ndarray of shape (grid_size,)
    density : ndarray of shape (grid_size,)
        Posterior density on the grid (integrates to one with spacing ``theta[1] - theta[0]``).
    """
    theta = (np.arange(grid_size) + 0.5) / grid_size
    log_lik = k * np.log(theta) + (n - k) * np.log1p(-theta)
    log_post, _ = log_posterior(beta_logpdf(theta, a, b), log_lik)
    return theta, np.exp(log_post) * grid_size


# ---------------------------------------------------------------- checks

# Prevalence 1%, sensitivity P(+|ill) = 0.95, false-positive rate P(+|healthy) = 0.10.
PRIOR = np.array([0.99, 0.01])  # [healthy, ill]
P_POSITIVE = np.array([0.10, 0.95])


def check_posterior_is_a_distribution_and_matches_hand_formula():
    post = posterior(PRIOR, P_POSITIVE)
    assert_close(post.sum(), 1.0, rtol=1e-15)
    by_hand = 0.95 * 0.01 / (0.95 * 0.01 + 0.10 * 0.99)
    assert_close(post[1], by_hand, rtol=1e-13, what="P(ill | +)")


def check_odds_form_agrees():
    post = posterior(PRIOR, P_POSITIVE)
    odds = posterior_odds(PRIOR[1] / PRIOR[0], P_POSITIVE[1] / P_POSITIVE[0])
    assert_close(odds / (1 + odds), post[1], rtol=1e-13, what="odds form")


def check_sequential_updates_equal_one_batch_update():
    # Yesterday's posterior is today's prior: two positive tests in turn, or both at once.
    once = posterior(PRIOR, P_POSITIVE)
    twice = posterior(once, P_POSITIVE)
    both = posterior(PRIOR, P_POSITIVE**2)
    assert_close(twice, both, rtol=1e-13, what="sequential = batch")
    # The order of (conditionally independent) evidence does not matter.
    neg = 1 - P_POSITIVE
    assert_close(posterior(posterior(PRIOR, neg), P_POSITIVE), posterior(posterior(PRIOR, P_POSITIVE), neg), rtol=1e-13)


def check_zero_prior_stays_zero_and_uniform_prior_gives_normalised_likelihood():
    post = posterior(np.array([0.5, 0.5, 0.0]), np.array([0.2, 0.3, 0.9]))
    assert post[2] == 0.0  # no evidence can revive a hypothesis with prior 0
    lik = np.array([0.2, 0.3, 0.5, 0.4])
    assert_close(posterior(np.full(4, 0.25), lik), lik / lik.sum(), rtol=1e-14)


def check_log_space_survives_many_observations():
    # 2000 tosses with 1200 heads: each likelihood is at most about 1e-585, far below float64's 1e-308.
    theta = np.array([0.5, 0.6, 0.7])
    x = np.r_[np.ones(1200), np.zeros(800)]
    log_lik = np.where(x[:, None] == 1, np.log(theta), np.log1p(-theta))  # (N, K)
    naive = np.prod(np.where(x[:, None] == 1, theta, 1 - theta), axis=0)
    assert np.all(naive == 0.0)  # the direct product underflows: 0/0 would follow
    lp, log_ev = log_posterior(np.log(np.full(3, 1 / 3)), log_lik)
    assert np.all(np.isfinite(lp)) and np.isfinite(log_ev)
    assert_close(np.exp(lp).sum(), 1.0, rtol=1e-14)
    assert np.argmax(lp) == 1  # 0.6 = 1200/2000 wins
    try:
        log_posterior(np.array([0.0, -np.inf]), np.array([-np.inf, 0.0]))  # p(h) = [1, 0], p(x|h) = [0, 1]
    except ValueError:
        pass
    else:
        raise AssertionError("an impossible observation must raise")


def check_grid_posterior_matches_conjugate_beta():
    k, n = 7, 10
    theta, dens = grid_posterior(k, n, grid_size=2001)
    a_post, b_post = beta_binomial_update(1.0, 1.0, k, n)
    assert_close(dens, np.exp(beta_logpdf(theta, a_post, b_post)), rtol=1e-5, what="grid vs Beta(8, 4)")
    h = theta[1] - theta[0]
    assert_close(np.sum(theta * dens) * h, a_post / (a_post + b_post), rtol=1e-6, what="posterior mean 8/12")


def plot_coin_posteriors():
    """Figure for the page: the posterior of a coin's bias sharpening as tosses come in."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    theta = np.linspace(0.001, 0.999, 500)
    for k, n in [(0, 0), (1, 2), (4, 6), (14, 20), (70, 100)]:
        a, b = beta_binomial_update(1.0, 1.0, k, n)
        ax.plot(theta, np.exp(beta_logpdf(theta, a, b)), label=f"{k} heads in {n}")
    ax.set_xlabel("bias of the coin (probability of heads)")
    ax.set_ylabel("posterior density")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Posterior density of a coin's probability of heads under a uniform prior: flat before any "
        "toss, then narrower and narrower as 2, 6, 20 and 100 tosses arrive (1, 4, 14 and 70 heads), "
        "the last ones peaked near 0.7"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    post = posterior(PRIOR, P_POSITIVE)
    print("prior [healthy, ill]           ", PRIOR)
    print("P(+ | healthy), P(+ | ill)     ", P_POSITIVE)
    print("P(ill | +)                     ", f"{post[1]:.4f}")
    print("P(ill | +, +)  (second test)   ", f"{posterior(post, P_POSITIVE)[1]:.4f}")
    odds = posterior_odds(0.01 / 0.99, 0.95 / 0.10)
    print("odds form: prior odds 1:99 x LR 9.5 =", f"{odds:.4f}", "-> probability", f"{odds / (1 + odds):.4f}")
    a, b = beta_binomial_update(1, 1, 7, 10)
    theta, dens = grid_posterior(7, 10)
    print(
        f"coin, 7 heads in 10, uniform prior -> Beta({a:g}, {b:g}); posterior mean {a / (a + b):.4f}, "
        f"grid mean {np.sum(theta * dens) / dens.sum():.4f}, MLE 0.7"
    )
    plot_coin_posteriors()
