"""Generalization: how the error on new data relates to the error on the training data.

Two exact results make the gap measurable. For least squares with ``p`` coefficients on a
correctly specified linear model with noise variance ``sigma^2`` (fitted with
``snippets.linear_regression.fit_lstsq``, i.e. ``sklearn.linear_model.LinearRegression``),
the expected training MSE is ``sigma^2 (1 - p/n)`` and the expected error on fresh noise at the
same inputs is ``sigma^2 (1 + p/n)``: a gap of ``2 p sigma^2 / n`` (ESL, Section 7.4). For a
*fixed* classifier, Hoeffding's inequality bounds how far its test accuracy on ``n`` samples
can be from its true accuracy; the exact tail is a binomial one (``scipy.stats.binom``).
"""

import math

import numpy as np

from snippets.linear_regression import fit_lstsq, predict


def expected_train_test_mse(n, p, sigma2):
    """Expected training MSE and expected in-sample test MSE of least squares.

    With ``y = A theta + noise``, ``A`` of shape (n, p) and full column rank, noise i.i.d. with
    variance ``sigma2``, the residual is ``(I - H) noise`` with ``H`` a rank-``p`` projection, so
    ``E[train MSE] = sigma2 (n - p) / n``; on new noise at the same inputs,
    ``E[test MSE] = sigma2 (n + p) / n``.

    Parameters
    ----------
    n : int
        Training samples, ``n >= p``.
    p : int
        Fitted coefficients (features plus the intercept).
    sigma2 : float
        Noise variance.

    Returns
    -------
    train : float
    test : float
    """
    if n < p:
        raise ValueError(f"need n >= p, got n={n}, p={p}")
    return sigma2 * (1 - p / n), sigma2 * (1 + p / n)


def simulate_train_test_mse(X, w, b, sigma, reps, rng):
    """Monte Carlo version of :func:`expected_train_test_mse` for a fixed design.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Fixed inputs (the same for training and test: in-sample prediction error).
    w : ndarray of shape (D,)
    b : float
        True coefficients and intercept.
    sigma : float
        Noise standard deviation.
    reps : int
        Independent training/test noise draws.
    rng : numpy.random.Generator

    Returns
    -------
    train_mse : ndarray of shape (reps,)
    test_mse : ndarray of shape (reps,)
    """
    f = predict(X, w, b)
    train, test = np.empty(reps), np.empty(reps)
    for r in range(reps):
        y = f + sigma * rng.normal(size=f.shape)
        w_hat, b_hat = fit_lstsq(X, y)
        y_hat = predict(X, w_hat, b_hat)
        train[r] = np.mean((y_hat - y) ** 2)
        test[r] = np.mean((y_hat - (f + sigma * rng.normal(size=f.shape))) ** 2)
    return train, test


def hoeffding_bound(n, eps):
    """Hoeffding's bound ``P(|acc_test - acc_true| >= eps) <= 2 exp(-2 n eps^2)``.

    For one classifier fixed *before* the ``n`` test samples are drawn, each correct/incorrect
    outcome is an independent Bernoulli variable in [0, 1].

    Parameters
    ----------
    n : int
    eps : float

    Returns
    -------
    float
        The bound, capped at 1.
    """
    return min(1.0, 2.0 * math.exp(-2.0 * n * eps * eps))


def hoeffding_sample_size(eps, delta, n_hypotheses=1):
    """Samples needed so that every one of ``n_hypotheses`` fixed classifiers has
    ``|acc_test - acc_true| < eps`` with probability at least ``1 - delta`` (union bound).

    ``n >= ln(2 H / delta) / (2 eps^2)``. Since every estimate is then within ``eps``, so is the
    estimate of whichever model is picked as the best: comparing ``H`` models on one test set costs
    only ``ln H`` in the numerator.

    Parameters
    ----------
    eps : float
    delta : float
    n_hypotheses : int

    Returns
    -------
    int
    """
    return math.ceil(math.log(2.0 * n_hypotheses / delta) / (2.0 * eps * eps))


def binomial_two_sided_tail(n, q, eps):
    """Exact ``P(|K/n - q| >= eps)`` for ``K ~ Binomial(n, q)`` (``scipy.stats.binom`` pmf summed).

    Parameters
    ----------
    n : int
    q : float
        True accuracy.
    eps : float

    Returns
    -------
    float
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    k = np.arange(n + 1)
    far = np.abs(k / n - q) >= eps - 1e-12
    if q in (0.0, 1.0):  # a point mass at K = q n: log(0) would give 0 * -inf = nan below
        return float(far[int(q * n)])
    logpmf = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in k])
    logpmf += k * math.log(q) + (n - k) * math.log1p(-q)
    return float(np.exp(logpmf[far]).sum())


def _design(n, d=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.normal(size=d), 0.5


NS = (10, 20, 50, 100, 200)


# ---------------------------------------------------------------- checks


def check_monte_carlo_matches_the_exact_expectations():
    rng = np.random.default_rng(1)
    for n in (12, 40):
        X, w, b = _design(n)
        train, test = simulate_train_test_mse(X, w, b, 1.0, 3000, rng)
        e_train, e_test = expected_train_test_mse(n, X.shape[1] + 1, 1.0)
        for sim, exact in ((train, e_train), (test, e_test)):
            se = sim.std() / np.sqrt(sim.size)
            assert abs(sim.mean() - exact) < 4 * se, (n, sim.mean(), exact, se)


def check_gap_is_two_p_sigma2_over_n():
    for n, p, s2 in [(10, 3, 1.0), (100, 6, 2.5), (7, 7, 0.3)]:
        train, test = expected_train_test_mse(n, p, s2)
        assert math.isclose(test - train, 2 * p * s2 / n, rel_tol=1e-12)


def check_interpolation_has_zero_training_error():
    # Extreme case n = p: the fit passes through every point, the training error is 0 and says
    # nothing about new data, whose expected error is twice the noise variance.
    X, w, b = _design(6)
    train, test = simulate_train_test_mse(X, w, b, 1.0, 200, np.random.default_rng(2))
    assert np.max(train) < 1e-20
    assert expected_train_test_mse(6, 6, 1.0) == (0.0, 2.0)
    assert 1.6 < test.mean() < 2.4


def check_hoeffding_bounds_the_exact_binomial_tail():
    for n in (50, 200, 1000):
        for q in (0.5, 0.8, 0.99):
            for eps in (0.02, 0.05, 0.1):
                assert binomial_two_sided_tail(n, q, eps) <= hoeffding_bound(n, eps) + 1e-12
    # Extreme inputs: a classifier that is always right (or always wrong) has no sampling error.
    assert binomial_two_sided_tail(50, 1.0, 0.05) == 0.0 and binomial_two_sided_tail(50, 0.0, 0.05) == 0.0
    assert abs(binomial_two_sided_tail(1, 0.5, 0.5) - 1.0) < 1e-12  # one test example: always off by 0.5


def check_sample_size_achieves_the_bound():
    n = hoeffding_sample_size(0.05, 0.05)
    assert n == 738 and hoeffding_bound(n, 0.05) <= 0.05 < hoeffding_bound(n - 1, 0.05)
    # Picking the best of 100 models on one test set: ln(2 * 100 / 0.05) / (2 * 0.05^2) = 1658.8.
    assert hoeffding_sample_size(0.05, 0.05, 100) == 1659


def plot_gap(ns, gaps, p, sigma2):
    """Figure for the page: simulated generalization gap against ``n`` on log-log axes, with ``2 p sigma^2 / n``."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    grid = np.linspace(min(ns), max(ns), 200)
    ax.loglog(grid, 2 * p * sigma2 / grid, label=r"theory $2p\sigma^2/n$")
    ax.loglog(ns, gaps, "o", label="simulated mean gap")
    ax.set_xlabel("training samples n")
    ax.set_ylabel("test MSE - training MSE")
    ax.legend()
    fig.set_label(
        "Log-log plot of the generalization gap of least squares against the number of training "
        "samples: the simulated points lie on the straight line 2 p sigma^2 / n, so the gap halves "
        "each time the data doubles."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    p, sigma2 = 6, 1.0
    print("least squares, 5 features + intercept (p = 6), noise variance 1, 2000 repetitions")
    print("    n   train MSE   test MSE   gap     theory 2p/n")
    gaps = []
    for n in NS:
        X, w, b = _design(n)
        train, test = simulate_train_test_mse(X, w, b, 1.0, 2000, rng)
        gaps.append(test.mean() - train.mean())
        print(f"{n:5d}   {train.mean():9.3f}   {test.mean():8.3f}   {gaps[-1]:.3f}   {2 * p * sigma2 / n:.3f}")
    print(
        f"test samples for |accuracy error| < 0.05 w.p. 95%: {hoeffding_sample_size(0.05, 0.05)}"
        f" (one model), {hoeffding_sample_size(0.05, 0.05, 100)} (best of 100)"
    )
    plot_gap(np.array(NS), np.array(gaps), p, sigma2)
