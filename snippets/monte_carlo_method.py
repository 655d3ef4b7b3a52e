"""Monte Carlo estimation: approximate an expectation (an integral) by an average of random samples.

``mc_mean`` returns the sample mean and its standard error ``std(ddof=1) / sqrt(n)``, the
convention of ``scipy.stats.sem``; a 95% interval is ``mean +- 1.96 SE`` by the central limit
theorem. The error shrinks like ``1/sqrt(n)`` whatever the dimension, which is why Monte Carlo
beats grid quadrature (``scipy.integrate.nquad``) in high dimensions. Two classic variance
reductions, antithetic and control variates, are included. All randomness comes from a
``numpy.random.Generator`` passed in.
"""

import math

import numpy as np
from termbook.checks import assert_close

__all__ = ["mc_mean", "estimate_pi", "mc_integrate_cube", "antithetic_mean", "control_variate_mean"]


def mc_mean(values):
    """Monte Carlo estimate of ``E[f(X)]`` from ``values = f(x_i)`` and its standard error.

    Parameters
    ----------
    values : ndarray of shape (n,)
        Function values at n independent samples; n >= 2.

    Returns
    -------
    estimate : float
    se : float
        ``std(values, ddof=1) / sqrt(n)`` (``scipy.stats.sem``).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2:
        raise ValueError("need at least two samples to estimate the standard error")
    if not np.all(np.isfinite(values)):
        raise ValueError("non-finite function values: the expectation may not exist")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(values.size))


def estimate_pi(n, rng):
    """Estimate pi as 4 x the fraction of uniform points of the unit square inside the quarter circle.

    Uniforms from ``numpy.random.Generator.random``; compare with ``numpy.pi``.

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    estimate, se : float
    """
    u = rng.random((n, 2))
    return tuple(4 * v for v in mc_mean(np.sum(u * u, axis=1) <= 1.0))


def mc_integrate_cube(f, dim, n, rng):
    """Integral of ``f`` over the unit cube ``[0, 1]^dim`` (volume 1, so it is ``E[f(U)]``).

    The random counterpart of ``scipy.integrate.nquad``; ``scipy.stats.qmc.Sobol`` points would
    replace the uniforms for quasi-Monte Carlo.

    Parameters
    ----------
    f : callable
        Maps an ndarray of shape (n, dim) to shape (n,).
    dim : int
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    estimate, se : float
    """
    return mc_mean(f(rng.random((n, dim))))


def antithetic_mean(f, n_pairs, rng):
    """``E[f(U)]`` for ``U ~ Uniform(0, 1)`` from pairs ``(f(u) + f(1 - u)) / 2`` (antithetic variates).

    No NumPy or SciPy call does this; the standard error follows ``scipy.stats.sem`` on the pairs.

    For monotone ``f`` the two halves are negatively correlated and the variance drops.

    Parameters
    ----------
    f : callable, vectorised
    n_pairs : int
    rng : numpy.random.Generator

    Returns
    -------
    estimate, se : float
        The standard error treats each pair as one sample.
    """
    u = rng.random(n_pairs)
    return mc_mean(0.5 * (f(u) + f(1.0 - u)))


def control_variate_mean(fx, gx, g_mean):
    """Control-variate estimate ``mean(f - c (g - E[g]))`` with the optimal ``c = Cov(f, g) / Var(g)``.

    ``c`` is the slope ``np.polyfit(gx, fx, 1)[0]`` of a least-squares fit of f on g.

    Parameters
    ----------
    fx : ndarray of shape (n,)
        Values of the function of interest.
    gx : ndarray of shape (n,)
        Values, at the same samples, of a correlated function with known mean.
    g_mean : float
        The exact ``E[g(X)]``.

    Returns
    -------
    estimate, se : float
    c : float
        The coefficient used (estimated from the same samples, a small bias of order 1/n).
    """
    fx, gx = np.asarray(fx, dtype=np.float64), np.asarray(gx, dtype=np.float64)
    var_g = gx.var(ddof=1)
    c = float(np.cov(fx, gx)[0, 1] / var_g) if var_g > 0 else 0.0
    est, se = mc_mean(fx - c * (gx - g_mean))
    return est, se, c


# ---------------------------------------------------------------- checks


def check_error_shrinks_like_one_over_sqrt_n():
    rng = np.random.default_rng(0)
    errs = {}
    for n in (400, 4_000):
        errs[n] = np.sqrt(np.mean([(estimate_pi(n, rng)[0] - np.pi) ** 2 for _ in range(200)]))
    # 10x more samples -> sqrt(10) = 3.16x smaller root-mean-square error.
    assert_close(errs[400] / errs[4_000], np.sqrt(10.0), rtol=0.2, what="RMSE ratio")
    # And the reported SE matches the actual RMSE: sqrt(pi (4 - pi) / n).
    assert_close(errs[400], math.sqrt(np.pi * (4 - np.pi) / 400), rtol=0.15)


def check_confidence_intervals_cover_about_95_percent():
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(1000):
        est, se = mc_mean(rng.exponential(size=200))  # true mean 1
        hits += abs(est - 1.0) <= 1.96 * se
    assert 0.93 <= hits / 1000 <= 0.97, hits / 1000


def check_high_dimensional_integral():
    # E[||U||^2] over [0,1]^d is d/3; a grid with 10 points per axis would need 10^20 evaluations.
    rng = np.random.default_rng(2)
    est, se = mc_integrate_cube(lambda u: np.sum(u * u, axis=1), 20, 100_000, rng)
    assert abs(est - 20 / 3) < 4 * se
    assert se < 0.01


def check_variance_reduction():
    rng = np.random.default_rng(3)
    plain = mc_mean(np.exp(rng.random(20_000)))
    anti = antithetic_mean(np.exp, 10_000, rng)  # same number of function evaluations
    assert abs(anti[0] - (math.e - 1)) < 4 * anti[1]
    assert anti[1] < plain[1] / 4  # e^u and e^(1-u) are strongly negatively correlated
    u = rng.random(20_000)
    cv_est, cv_se, c = control_variate_mean(np.exp(u), u, 0.5)  # g(u) = u, E[g] = 1/2
    assert abs(cv_est - (math.e - 1)) < 4 * cv_se and cv_se < plain[1] / 5
    assert_close(c, 12 * (1 - (math.e - 1) / 2), rtol=0.05, what="optimal c = Cov(e^U, U)/Var(U)")


def check_rejects_inputs_without_a_standard_error():
    for bad in (np.array([1.0]), np.array([1.0, np.inf])):
        try:
            mc_mean(bad)
        except ValueError:
            continue
        raise AssertionError("must raise")
    # Cauchy samples have no mean: the running average never settles (a classic failure).
    rng = np.random.default_rng(4)
    means = [rng.standard_cauchy(20_000).mean() for _ in range(20)]
    assert np.ptp(means) > 1.0


def plot_running_estimate(rng):
    """Figure for the page: the running estimate of pi with its 95% band."""
    import matplotlib.pyplot as plt

    n = 20_000
    u = rng.random((n, 2))
    hits = 4.0 * (np.sum(u * u, axis=1) <= 1.0)
    k = np.arange(1, n + 1)
    running = np.cumsum(hits) / k
    keep = np.unique(np.geomspace(1, n, 400).astype(int)) - 1  # a few hundred points keep the SVG small
    k, running = k[keep], running[keep]
    se = np.sqrt(np.pi * (4 - np.pi) / k)
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.fill_between(k, np.pi - 1.96 * se, np.pi + 1.96 * se, color="#c6dbef", label="pi +- 1.96 SE")
    ax.plot(k, running, color="tab:blue", linewidth=1, label="running estimate")
    ax.axhline(np.pi, color="black", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_ylim(2.6, 3.7)
    ax.set_xlabel("number of samples")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Running Monte Carlo estimate of pi against the number of samples on a log axis: it wanders "
        "widely at first and settles inside a band around pi that narrows like one over the square "
        "root of the number of samples"
    )
    return fig


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    for n in (100, 10_000, 1_000_000):
        est, se = estimate_pi(n, rng)
        print(f"pi with n = {n:>9}: {est:.5f} +- {1.96 * se:.5f} (95%), error {est - np.pi:+.5f}")
    est, se = mc_integrate_cube(lambda u: np.sum(u * u, axis=1), 20, 100_000, rng)
    print(f"integral of ||u||^2 over [0,1]^20: {est:.4f} +- {1.96 * se:.4f}; exact 20/3 = {20 / 3:.4f}")
    plain = mc_mean(np.exp(rng.random(20_000)))
    anti = antithetic_mean(np.exp, 10_000, rng)
    u = rng.random(20_000)
    cv = control_variate_mean(np.exp(u), u, 0.5)
    print(f"E[e^U] = e - 1 = {math.e - 1:.5f} with 20000 evaluations:")
    print(
        f"  plain {plain[0]:.5f} (SE {plain[1]:.5f}), antithetic {anti[0]:.5f} (SE {anti[1]:.5f}), "
        f"control variate {cv[0]:.5f} (SE {cv[1]:.5f})"
    )
    plot_running_estimate(np.random.default_rng(1))
