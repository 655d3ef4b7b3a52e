"""The bootstrap: resample the data with replacement to see how much a statistic would vary.

Conventions follow ``scipy.stats.bootstrap(data, statistic, n_resamples=9999,
confidence_level=0.95, method="BCa")``: resamples have the size of the sample; the standard
error is the standard deviation of the bootstrap distribution with ``ddof=1``; the three
interval methods are ``"percentile"``, ``"basic"`` (reverse percentile) and ``"BCa"``
(bias-corrected and accelerated, Efron 1987), with the bias correction computed from the
fraction of replicates below the estimate (ties count one half) and the acceleration from the
jackknife, as scipy does. Percentiles use NumPy's default linear interpolation. Normal
quantiles come from the standard library's ``statistics.NormalDist``.
"""

from statistics import NormalDist

import numpy as np
from termbook.checks import assert_close

__all__ = ["bootstrap_distribution", "bootstrap_se", "bootstrap_ci", "jackknife"]

_N01 = NormalDist()


def bootstrap_distribution(x, statistic, n_resamples, rng):
    """Statistic of ``n_resamples`` resamples of ``x`` drawn with replacement.

    Parameters
    ----------
    x : ndarray of shape (N,)
    statistic : callable
        ``statistic(samples, axis=-1)`` reducing the last axis, like ``np.mean`` or ``np.median``
        (scipy's ``vectorized=True`` convention).
    n_resamples : int
    rng : numpy.random.Generator

    Returns
    -------
    replicates : ndarray of shape (n_resamples,)
    """
    x = np.asarray(x, dtype=np.float64)
    idx = rng.integers(0, x.size, size=(n_resamples, x.size))
    return statistic(x[idx], axis=-1)


def bootstrap_se(replicates):
    """Bootstrap standard error: ``std(replicates, ddof=1)`` (scipy's ``standard_error``).

    Parameters
    ----------
    replicates : ndarray of shape (B,)

    Returns
    -------
    se : float
    """
    return float(np.std(replicates, ddof=1))


def jackknife(x, statistic):
    """Leave-one-out values of the statistic (what ``scipy.stats.bootstrap`` computes for BCa's acceleration).

    Parameters
    ----------
    x : ndarray of shape (N,)
    statistic : callable with an ``axis`` argument

    Returns
    -------
    values : ndarray of shape (N,)
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    keep = np.arange(n)[:, None] != np.arange(n)[None, :]  # row i drops point i
    loo = np.broadcast_to(x, (n, n))[keep].reshape(n, n - 1)
    return statistic(loo, axis=-1)


def bootstrap_ci(x, statistic, replicates, confidence_level=0.95, method="BCa"):
    """Two-sided bootstrap confidence interval from precomputed replicates.

    ``scipy.stats.bootstrap((x,), statistic, confidence_level=confidence_level,
    method=method).confidence_interval``, computed from the given replicates.

    Parameters
    ----------
    x : ndarray of shape (N,)
        The original sample.
    statistic : callable with an ``axis`` argument
    replicates : ndarray of shape (B,)
        Output of :func:`bootstrap_distribution`.
    confidence_level : float
    method : {"percentile", "basic", "BCa"}

    Returns
    -------
    low, high : float

    Raises
    ------
    ValueError
        For BCa on degenerate data (all replicates equal), where the bias correction is
        undefined; scipy returns NaN with a ``DegenerateDataWarning`` instead.
    """
    alpha = (1 - confidence_level) / 2
    theta_hat = float(statistic(np.asarray(x, dtype=np.float64), axis=-1))
    if method == "percentile":
        lo, hi = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)])
        return float(lo), float(hi)
    if method == "basic":
        lo, hi = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)])
        return float(2 * theta_hat - hi), float(2 * theta_hat - lo)
    if method != "BCa":
        raise ValueError(f"unknown method {method!r}")
    frac = (np.sum(replicates < theta_hat) + np.sum(replicates <= theta_hat)) / (2 * replicates.size)
    jk = jackknife(x, statistic)
    d = jk.mean() - jk
    denom = np.sum(d**2) ** 1.5
    if not 0 < frac < 1 or denom == 0:
        raise ValueError("degenerate data: BCa bias correction or acceleration is undefined")
    z0 = _N01.inv_cdf(frac)
    a = np.sum(d**3) / (6 * denom)
    out = []
    for q in (alpha, 1 - alpha):
        zq = _N01.inv_cdf(q)
        out.append(_N01.cdf(z0 + (z0 + zq) / (1 - a * (z0 + zq))))
    lo, hi = np.percentile(replicates, [100 * out[0], 100 * out[1]])
    return float(lo), float(hi)


# ---------------------------------------------------------------- checks


def check_bootstrap_se_of_mean_matches_formula():
    # For the mean the ideal bootstrap SE is the plug-in sigma (ddof=0) over sqrt(n).
    rng = np.random.default_rng(0)
    x = rng.normal(10.0, 3.0, size=40)
    reps = bootstrap_distribution(x, np.mean, 10_000, rng)
    assert_close(bootstrap_se(reps), x.std(ddof=0) / np.sqrt(x.size), rtol=0.04, what="SE of the mean")
    assert_close(reps.mean(), x.mean(), atol=0.02, rtol=0, what="replicates centre on the estimate")


def check_resamples_contain_about_63_percent_of_the_points():
    # P(a point appears in a resample of size n) = 1 - (1 - 1/n)^n -> 1 - 1/e = 0.632.
    rng = np.random.default_rng(1)
    n = 500
    idx = np.sort(rng.integers(0, n, size=(2000, n)), axis=1)
    distinct = 1 + np.count_nonzero(np.diff(idx, axis=1), axis=1)  # per resample
    frac = distinct.mean() / n
    assert_close(frac, 1 - (1 - 1 / n) ** n, rtol=0.005, what="fraction of distinct points")


def check_percentile_interval_covers_the_true_mean_about_95_percent():
    rng = np.random.default_rng(2)
    hits = 0
    for _ in range(200):
        x = rng.normal(0.0, 1.0, size=50)
        reps = bootstrap_distribution(x, np.mean, 1000, rng)
        lo, hi = bootstrap_ci(x, np.mean, reps, method="percentile")
        hits += lo <= 0.0 <= hi
    # Binomial standard error of the coverage with 200 trials is about 0.015.
    assert 0.89 <= hits / 200 <= 0.99, hits / 200


def check_methods_agree_for_symmetric_statistics_and_differ_for_skewed_data():
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    reps = bootstrap_distribution(x, np.mean, 5000, rng)
    cis = [bootstrap_ci(x, np.mean, reps, method=m) for m in ("percentile", "basic", "BCa")]
    assert np.ptp([c[0] for c in cis]) < 0.01 and np.ptp([c[1] for c in cis]) < 0.01
    y = rng.exponential(size=20)  # right-skewed: BCa moves the interval to the right
    reps = bootstrap_distribution(y, np.mean, 5000, rng)
    p, b = bootstrap_ci(y, np.mean, reps, method="percentile"), bootstrap_ci(y, np.mean, reps, method="BCa")
    assert b[1] > p[1]


def check_jackknife_acceleration_of_mean_uses_skewness():
    # For the mean, a = skew / (6 sqrt(n)) with the plug-in skewness: a classic identity.
    x = np.random.default_rng(4).exponential(size=30)
    jk = jackknife(x, np.mean)
    d = jk.mean() - jk
    a = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    z = x - x.mean()
    skew = np.mean(z**3) / np.mean(z**2) ** 1.5
    assert_close(a, skew / (6 * np.sqrt(x.size)), rtol=1e-10, what="acceleration")


def check_degenerate_data():
    # Extreme input: a constant sample. Every replicate equals the estimate.
    x = np.full(10, 3.0)
    reps = bootstrap_distribution(x, np.mean, 200, np.random.default_rng(5))
    assert bootstrap_ci(x, np.mean, reps, method="percentile") == (3.0, 3.0)
    assert bootstrap_se(reps) == 0.0
    try:
        bootstrap_ci(x, np.mean, reps, method="BCa")
    except ValueError:
        pass
    else:
        raise AssertionError("BCa on constant data must raise, not return nan")


def plot_bootstrap_distribution(reps, estimate, cis):
    """Figure for the page: histogram of bootstrap replicates with the intervals."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.hist(reps, bins=60, color="#9ecae1", edgecolor="white")
    ax.axvline(estimate, color="black", label="sample mean")
    for (name, (lo, hi)), style in zip(cis.items(), ["--", ":", "-."]):
        ax.axvline(lo, color="crimson", linestyle=style, label=f"{name} 95% CI")
        ax.axvline(hi, color="crimson", linestyle=style)
    ax.set_xlabel("mean of a bootstrap resample")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Histogram of 9999 bootstrap means of a skewed sample of 25 values: the distribution is "
        "skewed to the right, and the BCa interval sits further right than the percentile interval"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    x = rng.exponential(scale=2.0, size=25)  # skewed data, true mean 2
    reps = bootstrap_distribution(x, np.mean, 9999, rng)
    print(f"sample of 25 exponential values: mean {x.mean():.4f}, median {np.median(x):.4f}")
    print(f"bootstrap SE of the mean {bootstrap_se(reps):.4f}; formula s/sqrt(n) {x.std(ddof=1) / 5:.4f}")
    cis = {m: bootstrap_ci(x, np.mean, reps, method=m) for m in ("percentile", "basic", "BCa")}
    for m, (lo, hi) in cis.items():
        print(f"95% CI for the mean, {m:<10}: [{lo:.4f}, {hi:.4f}]")
    med = bootstrap_distribution(x, np.median, 9999, rng)
    lo, hi = bootstrap_ci(x, np.median, med, method="percentile")
    print(f"95% CI for the median, percentile: [{lo:.4f}, {hi:.4f}] (no simple formula exists)")
    plot_bootstrap_distribution(reps, x.mean(), cis)
