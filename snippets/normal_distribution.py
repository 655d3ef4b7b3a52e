"""The normal (Gaussian) distribution: density, log-density, CDF, sampling, and its gradients.

Conventions follow ``scipy.stats.norm(loc=mu, scale=sigma)``: the second parameter is the
standard deviation, not the variance (``torch.distributions.Normal(loc, scale)`` agrees;
``numpy.random.Generator.normal(loc, scale)`` too). The multivariate density follows
``scipy.stats.multivariate_normal(mean, cov).logpdf`` and takes a covariance matrix.
Everything is computed in log space first, so a density that underflows to 0.0 still has a
finite log-density.
"""

import math

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

__all__ = [
    "normal_logpdf",
    "normal_pdf",
    "normal_cdf",
    "normal_sf",
    "box_muller",
    "mvn_logpdf",
    "normal_logpdf_forward",
    "normal_logpdf_backward",
]

LOG_2PI = math.log(2.0 * math.pi)
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _check_scale(sigma):
    sigma = np.asarray(sigma, dtype=np.float64)
    if np.any(sigma <= 0):
        raise ValueError("sigma (the standard deviation) must be positive")
    return sigma


def normal_logpdf(x, mu=0.0, sigma=1.0):
    """Log-density ``-((x - mu)/sigma)^2 / 2 - log(sigma) - log(2 pi) / 2``.

    Mirrors ``scipy.stats.norm.logpdf(x, loc=mu, scale=sigma)``.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Points (any shape; broadcast against ``mu`` and ``sigma``).
    mu : float or ndarray of shape (N,)
        Mean.
    sigma : float or ndarray of shape (N,)
        Standard deviation, positive.

    Returns
    -------
    logp : ndarray of shape (N,)
        Finite for every finite input, however far in the tail.
    """
    sigma = _check_scale(sigma)
    z = (np.asarray(x, dtype=np.float64) - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.5 * LOG_2PI


def normal_pdf(x, mu=0.0, sigma=1.0):
    """Density ``exp(normal_logpdf(x, mu, sigma))``, like ``scipy.stats.norm.pdf``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    mu : float or ndarray of shape (N,)
    sigma : float or ndarray of shape (N,)

    Returns
    -------
    p : ndarray of shape (N,)
        Underflows to 0.0 beyond about 38.6 standard deviations.
    """
    return np.exp(normal_logpdf(x, mu, sigma))


def normal_cdf(x, mu=0.0, sigma=1.0):
    """``P(X <= x) = erfc(-z / sqrt(2)) / 2`` with ``z = (x - mu) / sigma``.

    Written with ``erfc`` rather than ``(1 + erf(z / sqrt 2)) / 2`` so that the lower tail
    keeps its relative precision (``cdf(-30)`` is about 4.9e-198, not 0). Mirrors
    ``scipy.stats.norm.cdf``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    mu : float or ndarray of shape (N,)
    sigma : float or ndarray of shape (N,)

    Returns
    -------
    c : ndarray of shape (N,)
    """
    sigma = _check_scale(sigma)
    z = (np.asarray(x, dtype=np.float64) - mu) / sigma
    return 0.5 * np.asarray(_erfc(-z / math.sqrt(2.0)), dtype=np.float64)


def normal_sf(x, mu=0.0, sigma=1.0):
    """Survival function ``P(X > x) = 1 - cdf``, computed as ``cdf`` of the mirrored point.

    ``1 - normal_cdf(10)`` is exactly 0.0 in float64, while ``normal_sf(10)`` keeps full
    precision (7.62e-24). Mirrors ``scipy.stats.norm.sf``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    mu : float or ndarray of shape (N,)
    sigma : float or ndarray of shape (N,)

    Returns
    -------
    s : ndarray of shape (N,)
    """
    return normal_cdf(2.0 * np.asarray(mu, dtype=np.float64) - np.asarray(x, dtype=np.float64), mu, sigma)


def box_muller(n, rng):
    """``n`` standard normal draws from uniforms by the Box-Muller transform.

    ``z = sqrt(-2 log u1) cos(2 pi u2)``; the sine gives a second independent draw. NumPy's
    ``Generator.standard_normal`` uses the faster ziggurat method instead; the distribution
    is the same. ``u1`` is taken in (0, 1] so that ``log`` never sees 0.

    Parameters
    ----------
    n : int
    rng : numpy.random.Generator

    Returns
    -------
    z : ndarray of shape (n,)
    """
    m = (n + 1) // 2
    u1 = 1.0 - rng.random(m)  # (0, 1]
    u2 = rng.random(m)
    r = np.sqrt(-2.0 * np.log(u1))
    return np.concatenate([r * np.cos(2 * np.pi * u2), r * np.sin(2 * np.pi * u2)])[:n]


def mvn_logpdf(X, mean, cov):
    """Multivariate normal log-density through a Cholesky factor ``cov = L L^T``.

    ``log p(x) = -||L^{-1}(x - mean)||^2 / 2 - sum(log diag L) - D log(2 pi) / 2``. Never
    inverts ``cov`` or takes the log of a determinant that could underflow. Mirrors
    ``scipy.stats.multivariate_normal(mean, cov).logpdf(X)``; raises ``numpy.linalg.LinAlgError``
    when ``cov`` is not positive definite.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    mean : ndarray of shape (D,)
    cov : ndarray of shape (D, D)
        Symmetric positive definite.

    Returns
    -------
    logp : ndarray of shape (N,)
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    L = np.linalg.cholesky(np.asarray(cov, dtype=np.float64))
    sol = np.linalg.solve(L, (X - mean).T)  # (D, N): L^{-1}(x - mean), columns
    D = X.shape[1]
    return -0.5 * np.sum(sol * sol, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * D * LOG_2PI


def normal_logpdf_forward(x, mu, sigma):
    """Log-density with what the backward pass needs (forward half of ``scipy.stats.norm.logpdf``).

    Parameters
    ----------
    x : ndarray of shape (N,)
    mu : ndarray of shape (N,)
    sigma : ndarray of shape (N,)

    Returns
    -------
    logp : ndarray of shape (N,)
    cache : tuple
        ``(z, sigma)`` with ``z = (x - mu) / sigma``.
    """
    sigma = _check_scale(sigma)
    z = (np.asarray(x, dtype=np.float64) - mu) / sigma
    return -0.5 * z * z - np.log(sigma) - 0.5 * LOG_2PI, (z, sigma)


def normal_logpdf_backward(dout, cache):
    """Gradients of :func:`normal_logpdf_forward` (the "score" of the Gaussian).

    ``d logp/dx = -z/sigma``, ``d logp/dmu = z/sigma``, ``d logp/dsigma = (z^2 - 1)/sigma``,
    each multiplied by the upstream gradient ``dout``. These are what
    ``torch.distributions.Normal(mu, sigma).log_prob(x).backward()`` produces.

    Parameters
    ----------
    dout : ndarray of shape (N,)
    cache : tuple from :func:`normal_logpdf_forward`

    Returns
    -------
    dx, dmu, dsigma : ndarray of shape (N,) each
    """
    z, sigma = cache
    return -dout * z / sigma, dout * z / sigma, dout * (z * z - 1.0) / sigma


# ---------------------------------------------------------------- checks


def check_density_integrates_to_one_with_right_moments():
    mu, sigma = 1.5, 0.7
    x = np.linspace(mu - 12 * sigma, mu + 12 * sigma, 20001)
    p = normal_pdf(x, mu, sigma)
    dx = x[1] - x[0]
    assert_close(np.sum(p) * dx, 1.0, rtol=1e-10, what="integral of the pdf")
    assert_close(np.sum(x * p) * dx, mu, rtol=1e-10, what="mean")
    assert_close(np.sum((x - mu) ** 2 * p) * dx, sigma**2, rtol=1e-9, what="variance")


def check_cdf_is_integral_of_pdf_and_68_95_997_rule():
    x = np.linspace(-8, 1.3, 100001)
    integral = np.trapezoid(normal_pdf(x), x)
    assert_close(normal_cdf(1.3), integral, rtol=1e-9, what="cdf(1.3) against integrated pdf")
    within = [normal_cdf(k) - normal_cdf(-k) for k in (1, 2, 3)]
    assert_close(within, [0.682689492, 0.954499736, 0.997300204], rtol=1e-9, what="68-95-99.7")
    assert_close(normal_cdf(0.0), 0.5, rtol=1e-15)
    assert_close(normal_cdf(2.0) + normal_sf(2.0), 1.0, rtol=1e-15, what="cdf + sf")


def check_extreme_inputs_stay_finite_and_accurate():
    # The density of x = 40 underflows to 0, but its log is exact.
    assert normal_pdf(40.0) == 0.0
    assert_close(normal_logpdf(40.0), -800.0 - 0.5 * LOG_2PI, rtol=1e-15, what="logpdf(40)")
    # Tails: 1 - cdf(10) loses everything, sf(10) keeps full precision (7.62e-24).
    assert 1.0 - normal_cdf(10.0) == 0.0
    assert_close(normal_sf(10.0), 7.6198530241604696e-24, rtol=1e-12, what="sf(10)")
    assert_close(normal_cdf(-30.0), 4.906713927148187e-198, rtol=1e-10, what="cdf(-30)")
    try:
        normal_logpdf(0.0, 0.0, 0.0)
    except ValueError:
        pass
    else:
        raise AssertionError("sigma = 0 must be rejected")


def check_standardisation():
    # X ~ N(mu, sigma^2)  <=>  (X - mu)/sigma ~ N(0, 1): densities differ by the Jacobian 1/sigma.
    x = np.linspace(-3, 5, 9)
    assert_close(normal_pdf(x, 1.0, 2.0), normal_pdf((x - 1.0) / 2.0) / 2.0, rtol=1e-14)
    assert_close(normal_cdf(x, 1.0, 2.0), normal_cdf((x - 1.0) / 2.0), rtol=1e-14)


def check_box_muller_samples():
    z = box_muller(200_000, np.random.default_rng(0))
    # Standard errors: mean 1/sqrt(n) = 0.0022, variance sqrt(2/n) = 0.0032.
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1.0) < 0.015
    assert abs(np.mean(np.abs(z) < 1.0) - 0.682689) < 0.005
    assert abs(np.mean(z**3)) < 0.03 and abs(np.mean(z**4) - 3.0) < 0.06  # skewness 0, kurtosis 3


def check_mvn_matches_product_of_univariates_and_brute_force():
    rng = np.random.default_rng(1)
    X, mean = rng.normal(size=(5, 3)), np.array([0.5, -1.0, 2.0])
    sig = np.array([0.5, 1.0, 2.0])
    expected = normal_logpdf(X, mean, sig).sum(axis=1)
    assert_close(mvn_logpdf(X, mean, np.diag(sig**2)), expected, rtol=1e-12, what="diagonal covariance")
    A = rng.normal(size=(3, 3))
    cov = A @ A.T + 0.5 * np.eye(3)
    d = X - mean
    brute = -0.5 * np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d) - 0.5 * np.log(np.linalg.det(2 * np.pi * cov))
    assert_close(mvn_logpdf(X, mean, cov), brute, rtol=1e-10, what="full covariance")


def check_logpdf_backward_gradients():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(2)
    x, mu = rng.normal(size=6), rng.normal(size=6)
    sigma, dout = rng.uniform(0.5, 2.0, size=6), rng.normal(size=6)
    _, cache = normal_logpdf_forward(x, mu, sigma)
    dx, dmu, dsigma = normal_logpdf_backward(dout, cache)
    f = normal_logpdf
    assert_gradient_close(dx, numerical_gradient_array(lambda v: f(v, mu, sigma), x.copy(), dout), tol=1e-7, what="dx")
    assert_gradient_close(dmu, numerical_gradient_array(lambda v: f(x, v, sigma), mu.copy(), dout), tol=1e-7, what="dmu")
    assert_gradient_close(dsigma, numerical_gradient_array(lambda v: f(x, mu, v), sigma.copy(), dout), tol=1e-7, what="dsigma")


def plot_densities():
    """Figure for the page: three normal densities and the 68-95-99.7 bands (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-6, 6, 601)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    for mu, sigma in [(0.0, 1.0), (0.0, 2.0), (2.0, 0.5)]:
        axes[0].plot(x, normal_pdf(x, mu, sigma), label=f"mu={mu}, sigma={sigma}")
    axes[0].legend(fontsize=8)
    axes[0].set_title("density")
    p = normal_pdf(x)
    for k, alpha in [(3, 0.15), (2, 0.25), (1, 0.4)]:
        band = np.abs(x) <= k
        axes[1].fill_between(x[band], p[band], color="tab:blue", alpha=alpha, linewidth=0)
    axes[1].plot(x, p, color="tab:blue")
    axes[1].set_xlim(-4, 4)
    axes[1].set_title("68% / 95% / 99.7% within 1 / 2 / 3 sigma")
    fig.tight_layout()
    fig.set_label(
        "Left: normal densities for three settings of mean and standard deviation: a wider sigma "
        "gives a lower, flatter bell. Right: the standard normal with the bands within one, two and "
        "three standard deviations shaded, holding 68%, 95% and 99.7% of the probability"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    print("x                 ", x)
    print("pdf  N(0, 1)      ", normal_pdf(x))
    print("cdf  N(0, 1)      ", normal_cdf(x))
    print("pdf  N(1, 2^2)    ", normal_pdf(x, 1.0, 2.0))
    for k in (1, 2, 3):
        print(f"P(|Z| < {k}) = {normal_cdf(k) - normal_cdf(-k):.4f}")
    print("logpdf(40) =", f"{float(normal_logpdf(40.0)):.4f}", " while pdf(40) =", float(normal_pdf(40.0)))
    print("1 - cdf(10) =", 1.0 - float(normal_cdf(10.0)), " sf(10) =", f"{float(normal_sf(10.0)):.4e}")
    z = box_muller(100_000, np.random.default_rng(0))
    print(f"Box-Muller, 100000 draws: mean {z.mean():.4f}, std {z.std():.4f}, P(|z|<1) {np.mean(np.abs(z) < 1):.4f}")
    plot_densities()
