"""Importance sampling: estimate an expectation under p with samples from another distribution q.

Samples come from a proposal q; each is reweighted by ``w = p(x) / q(x)``. Weights are formed
in log space, ``log w = log p - log q`` (differences of ``log_prob`` values, as one would get
from ``torch.distributions.Normal(...).log_prob`` or ``scipy.stats.norm.logpdf``), so ratios of
tiny densities neither underflow nor overflow. The self-normalised estimator divides by the sum
of the weights, which makes an unnormalised target (a posterior known up to a constant)
usable; its weights are a softmax of the log-weights. ``effective_sample_size`` is Kish's
``(sum w)^2 / sum w^2``, the diagnostic particle filters monitor before resampling.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.normal_distribution import normal_logpdf, normal_sf
from snippets.softmax import logsumexp, softmax

__all__ = ["importance_sampling", "self_normalized_importance_sampling", "effective_sample_size"]


def importance_sampling(f_values, log_p, log_q):
    """Ordinary importance sampling ``mean(w * f)`` with ``w = exp(log_p - log_q)``; p normalised.

    Log-densities as from ``scipy.stats.norm.logpdf`` or ``torch.distributions.Normal.log_prob``.

    Parameters
    ----------
    f_values : ndarray of shape (n,)
        ``f(x_i)`` at samples ``x_i ~ q``.
    log_p : ndarray of shape (n,)
        Log-density of the target at the samples (normalised).
    log_q : ndarray of shape (n,)
        Log-density of the proposal at the samples; finite wherever ``p f`` is non-zero.

    Returns
    -------
    estimate : float
        Unbiased for ``E_p[f]``.
    se : float
        ``std(w f, ddof=1) / sqrt(n)``.
    """
    log_w = np.asarray(log_p, dtype=np.float64) - np.asarray(log_q, dtype=np.float64)
    if np.any(np.isnan(log_w)) or np.any(log_w == np.inf):
        raise ValueError("q(x) = 0 where p(x) > 0: the proposal does not cover the target")
    wf = np.exp(log_w) * f_values
    return float(wf.mean()), float(wf.std(ddof=1) / np.sqrt(wf.size))


def self_normalized_importance_sampling(f_values, log_p_tilde, log_q):
    """Self-normalised estimate ``sum(w f) / sum(w)``; works with an unnormalised target.

    The normalised weights are ``scipy.special.softmax(log_w)``.

    Parameters
    ----------
    f_values : ndarray of shape (n,)
    log_p_tilde : ndarray of shape (n,)
        Log of the target up to an additive constant (e.g. log prior + log likelihood).
    log_q : ndarray of shape (n,)

    Returns
    -------
    estimate : float
        Consistent, with a bias of order 1/n.
    weights : ndarray of shape (n,)
        Normalised weights ``softmax(log_p_tilde - log_q)``; they sum to one.
    log_Z_ratio : float
        ``log mean(w)``, an estimate of ``log Z`` for ``p = p_tilde / Z`` when q is normalised.
    """
    log_w = np.asarray(log_p_tilde, dtype=np.float64) - np.asarray(log_q, dtype=np.float64)
    weights = softmax(log_w)
    return float(weights @ f_values), weights, float(logsumexp(log_w) - np.log(log_w.size))


def effective_sample_size(log_w):
    """Kish's effective sample size ``(sum w)^2 / sum w^2``, from log-weights.

    With normalised weights ``w = scipy.special.softmax(log_w)`` it is ``1 / np.sum(w**2)``.

    Parameters
    ----------
    log_w : ndarray of shape (n,)

    Returns
    -------
    ess : float
        Between 1 (one sample carries all the weight) and n (equal weights).
    """
    w = softmax(np.asarray(log_w, dtype=np.float64))
    return float(1.0 / np.sum(w * w))


# ---------------------------------------------------------------- checks


def check_rare_event_probability():
    # P(Z > 4) = 3.17e-5 for Z ~ N(0, 1): plain sampling of 10^4 points almost never sees one.
    rng = np.random.default_rng(0)
    x = rng.normal(4.0, 1.0, 10_000)  # proposal N(4, 1) centred on the rare region
    est, se = importance_sampling((x > 4).astype(float), normal_logpdf(x), normal_logpdf(x, 4.0))
    truth = float(normal_sf(4.0))
    assert abs(est - truth) < 4 * se and se / truth < 0.03


def check_unbiased_over_repetitions():
    rng = np.random.default_rng(1)
    ests = []
    for _ in range(400):
        x = rng.normal(0.5, 1.5, 200)  # E_p[x^2] = 1 for p = N(0, 1)
        ests.append(importance_sampling(x * x, normal_logpdf(x), normal_logpdf(x, 0.5, 1.5))[0])
    assert abs(np.mean(ests) - 1.0) < 4 * np.std(ests) / np.sqrt(400)


def check_optimal_proposal_gives_zero_variance():
    # For f(x) = e^x and p = N(0, 1), q proportional to f p is N(1, 1) and every w f equals e^(1/2).
    x = np.random.default_rng(2).normal(1.0, 1.0, 1000)
    est, se = importance_sampling(np.exp(x), normal_logpdf(x), normal_logpdf(x, 1.0))
    assert_close(est, np.exp(0.5), rtol=1e-12, what="E[e^Z]")
    assert se < 1e-12


def check_self_normalized_works_with_unnormalized_target_and_estimates_Z():
    rng = np.random.default_rng(3)
    x = rng.normal(0.0, 2.0, 100_000)
    log_p_tilde = -0.5 * (x - 1.0) ** 2 / 0.25 + 7.0  # N(1, 0.5^2) times an unknown constant
    est, w, log_z = self_normalized_importance_sampling(x, log_p_tilde, normal_logpdf(x, 0.0, 2.0))
    assert_close(w.sum(), 1.0, rtol=1e-12)
    assert abs(est - 1.0) < 0.01
    assert_close(log_z, 7.0 + 0.5 * np.log(2 * np.pi * 0.25), atol=0.01, rtol=0, what="log normaliser")


def check_ess_diagnoses_a_poor_proposal():
    rng = np.random.default_rng(4)
    good = rng.normal(0.0, 1.2, 5000)
    bad = rng.normal(0.0, 0.4, 5000)  # too narrow: misses the target's tails, a few huge weights
    ess_good = effective_sample_size(normal_logpdf(good) - normal_logpdf(good, 0.0, 1.2))
    ess_bad = effective_sample_size(normal_logpdf(bad) - normal_logpdf(bad, 0.0, 0.4))
    assert ess_good > 0.8 * 5000 and ess_bad < 0.2 * 5000
    assert_close(effective_sample_size(np.zeros(10)), 10.0, rtol=1e-12, what="equal weights")


def check_extreme_log_weights_are_handled():
    # Log-weights around 1000 overflow exp(); the softmax-based normalised weights do not.
    log_w = np.array([1000.0, 1001.0, 999.0])
    est, w, _ = self_normalized_importance_sampling(np.array([1.0, 2.0, 3.0]), log_w, np.zeros(3))
    assert np.all(np.isfinite(w)) and np.isfinite(est)
    assert_close(effective_sample_size(log_w), effective_sample_size(log_w - 1000.0), rtol=1e-12)
    try:
        importance_sampling(np.ones(2), np.array([0.0, 0.0]), np.array([0.0, -np.inf]))
    except ValueError:
        pass
    else:
        raise AssertionError("q = 0 where p > 0 must raise")


def plot_rare_event():
    """Figure for the page: target, proposal and the rare region."""
    import matplotlib.pyplot as plt

    x = np.linspace(-4, 8, 600)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    ax.plot(x, np.exp(normal_logpdf(x)), label="target p = N(0, 1)")
    ax.plot(x, np.exp(normal_logpdf(x, 4.0)), label="proposal q = N(4, 1)")
    tail = x > 4
    ax.fill_between(x[tail], np.exp(normal_logpdf(x[tail])) * 2000, color="crimson", alpha=0.4, label="p in the event x > 4 (x 2000)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Target density N(0, 1), proposal N(4, 1) and the rare region x > 4: the target puts only "
        "3.2e-5 of its mass there (shaded, magnified 2000 times), while half the proposal's samples "
        "land in it"
    )
    return fig


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    truth = float(normal_sf(4.0))
    print(f"P(Z > 4) for Z ~ N(0, 1): exact {truth:.4e}")
    for n in (1_000, 100_000):
        z = rng.standard_normal(n)
        plain = np.mean(z > 4)
        x = rng.normal(4.0, 1.0, n)
        est, se = importance_sampling((x > 4).astype(float), normal_logpdf(x), normal_logpdf(x, 4.0))
        print(f"  n = {n:>6}: plain Monte Carlo {plain:.4e}; importance sampling {est:.4e} +- {1.96 * se:.1e}")
    for scale in (0.4, 1.0, 1.2, 3.0):
        x = rng.normal(0.0, scale, 5000)
        ess = effective_sample_size(normal_logpdf(x) - normal_logpdf(x, 0.0, scale))
        print(f"target N(0, 1), proposal N(0, {scale}^2): effective sample size {ess:7.1f} of 5000")
    x = rng.normal(0.0, 2.0, 100_000)
    est, w, log_z = self_normalized_importance_sampling(x, -2.0 * (x - 1.0) ** 2, normal_logpdf(x, 0.0, 2.0))
    print(
        f"self-normalised, unnormalised target exp(-2 (x - 1)^2): mean {est:.4f} (exact 1), "
        f"log Z {log_z:.4f} (exact {0.5 * np.log(np.pi / 2):.4f})"
    )
    plot_rare_event()
