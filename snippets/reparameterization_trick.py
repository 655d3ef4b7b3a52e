"""The reparameterization trick: write a random sample as a differentiable function of parameters and noise.

``gaussian_rsample_forward(mu, log_var, eps)`` is ``z = mu + exp(log_var / 2) * eps``, what
``torch.distributions.Normal(mu, sigma).rsample()`` computes (with ``eps`` drawn inside; here it
is passed in so the function stays pure), in the ``log_var`` parameterisation a VAE encoder
outputs. Its backward pass is the pathwise gradient. ``score_function_grad`` is the alternative
REINFORCE / log-derivative estimator (what ``.sample()`` plus ``log_prob`` gives).
``gumbel_softmax`` follows ``torch.nn.functional.gumbel_softmax(logits, tau, hard=False)``
with the Gumbel noise passed in.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import softmax

__all__ = [
    "gaussian_rsample_forward",
    "gaussian_rsample_backward",
    "pathwise_grad",
    "score_function_grad",
    "sample_gumbel",
    "gumbel_softmax",
]


def gaussian_rsample_forward(mu, log_var, eps):
    """Reparameterised Gaussian sample ``z = mu + exp(log_var / 2) * eps``.

    ``torch.distributions.Normal(mu, torch.exp(log_var / 2)).rsample()``, with the noise passed in.

    Parameters
    ----------
    mu : ndarray of shape (N, D)
        Means (e.g. a VAE encoder's output).
    log_var : ndarray of shape (N, D)
        Log-variances; the log keeps sigma positive without constraints.
    eps : ndarray of shape (N, D)
        Standard normal noise, independent of the parameters.

    Returns
    -------
    z : ndarray of shape (N, D)
    cache : tuple
        ``(sigma, eps)``.
    """
    log_var = np.asarray(log_var, dtype=np.float64)
    if np.any(log_var > 1400.0):  # exp(700) is near float64's limit: sigma would be inf
        raise ValueError("log_var too large: sigma overflows")
    sigma = np.exp(0.5 * log_var)
    return mu + sigma * eps, (sigma, eps)


def gaussian_rsample_backward(dz, cache):
    """Pathwise gradients: ``dz/dmu = 1``, ``dz/dlog_var = sigma * eps / 2``.

    What PyTorch's autograd returns through ``Normal(...).rsample()``.

    Parameters
    ----------
    dz : ndarray of shape (N, D)
        Upstream gradient with respect to the sample.
    cache : tuple from :func:`gaussian_rsample_forward`

    Returns
    -------
    dmu : ndarray of shape (N, D)
    dlog_var : ndarray of shape (N, D)
    """
    sigma, eps = cache
    return dz, dz * 0.5 * sigma * eps


def pathwise_grad(df, mu, sigma, eps):
    """Reparameterisation estimates of ``d/dmu`` and ``d/dsigma`` of ``E[f(z)]``, ``z ~ N(mu, sigma^2)``.

    What ``f(Normal(mu, sigma).rsample((S,))).mean().backward()`` accumulates in PyTorch.

    Each noise draw gives ``(f'(z), f'(z) * eps)`` with ``z = mu + sigma * eps``.

    Parameters
    ----------
    df : callable
        Derivative ``f'`` of the integrand (vectorised).
    mu, sigma : float
    eps : ndarray of shape (S,)

    Returns
    -------
    g : ndarray of shape (S, 2)
        One gradient estimate per draw; their mean is the estimate.
    """
    d = df(mu + sigma * eps)
    return np.column_stack([d, d * eps])


def score_function_grad(f, mu, sigma, eps):
    """Score-function (REINFORCE) estimates ``f(z) * d log N(z; mu, sigma) / d(mu, sigma)``.

    Needs only values of ``f`` (no derivative), but has a much larger variance. In PyTorch:
    ``z = dist.sample()`` then ``(f(z) * dist.log_prob(z)).mean().backward()``.

    Parameters
    ----------
    f : callable, vectorised
    mu, sigma : float
    eps : ndarray of shape (S,)
        Standard normal draws; ``z = mu + sigma * eps``.

    Returns
    -------
    g : ndarray of shape (S, 2)
    """
    fz = f(mu + sigma * eps)
    return np.column_stack([fz * eps / sigma, fz * (eps * eps - 1.0) / sigma])


def sample_gumbel(shape, rng):
    """Standard Gumbel noise ``-log(-log(u))`` with ``u`` in (0, 1) (``numpy.random.Generator.gumbel()``).

    Parameters
    ----------
    shape : tuple
    rng : numpy.random.Generator

    Returns
    -------
    g : ndarray of shape ``shape``
    """
    u = rng.random(shape)
    u = np.clip(u, np.finfo(float).tiny, 1.0 - np.finfo(float).eps)  # never log(0)
    return -np.log(-np.log(u))


def gumbel_softmax(logits, gumbel, tau=1.0):
    """Relaxed one-hot sample ``softmax((logits + gumbel) / tau)``.

    ``torch.nn.functional.gumbel_softmax(logits, tau=tau, hard=False)``, with the Gumbel noise passed in.

    As ``tau -> 0`` it becomes the one-hot vector of ``argmax(logits + gumbel)``, an exact sample
    from ``Categorical(softmax(logits))`` (the Gumbel-max trick).

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    gumbel : ndarray of shape (N, C)
        Output of :func:`sample_gumbel`.
    tau : float
        Temperature, positive.

    Returns
    -------
    y : ndarray of shape (N, C)
        Rows on the probability simplex; differentiable in ``logits``.
    """
    if not tau > 0:
        raise ValueError("tau must be positive")
    return softmax((np.asarray(logits, dtype=np.float64) + gumbel) / tau, axis=-1)


# ---------------------------------------------------------------- checks


def check_rsample_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(0)
    mu, log_var, eps, dz = (rng.normal(size=(4, 3)) for _ in range(4))
    _, cache = gaussian_rsample_forward(mu, log_var, eps)
    dmu, dlv = gaussian_rsample_backward(dz, cache)
    f = gaussian_rsample_forward
    assert_gradient_close(dmu, numerical_gradient_array(lambda m: f(m, log_var, eps)[0], mu.copy(), dz), tol=1e-7)
    assert_gradient_close(dlv, numerical_gradient_array(lambda v: f(mu, v, eps)[0], log_var.copy(), dz), tol=1e-7)


def check_samples_have_the_right_distribution():
    rng = np.random.default_rng(1)
    z, _ = gaussian_rsample_forward(np.full(200_000, 2.0), np.full(200_000, np.log(9.0)), rng.standard_normal(200_000))
    assert abs(z.mean() - 2.0) < 0.02 and abs(z.std() - 3.0) < 0.02


def check_both_estimators_are_unbiased_and_pathwise_has_lower_variance():
    # f(z) = z^2: E[f] = mu^2 + sigma^2, so the true gradient is (2 mu, 2 sigma).
    rng = np.random.default_rng(2)
    mu, sigma = 1.5, 0.5
    eps = rng.standard_normal(100_000)
    path = pathwise_grad(lambda z: 2 * z, mu, sigma, eps)
    score = score_function_grad(lambda z: z * z, mu, sigma, eps)
    for g in (path, score):
        se = g.std(axis=0) / np.sqrt(eps.size)
        assert np.all(np.abs(g.mean(axis=0) - [2 * mu, 2 * sigma]) < 4 * se)
    assert np.all(path.var(axis=0) * 10 < score.var(axis=0))


def check_extreme_log_variances():
    mu, eps = np.array([1.0, 1.0]), np.array([0.5, -0.5])
    z, cache = gaussian_rsample_forward(mu, np.array([-200.0, -200.0]), eps)  # sigma = e^-100
    assert_close(z, mu, rtol=1e-15)
    assert np.all(np.isfinite(gaussian_rsample_backward(np.ones(2), cache)[1]))
    try:
        gaussian_rsample_forward(mu, np.array([2000.0, 0.0]), eps)
    except ValueError:
        pass
    else:
        raise AssertionError("an overflowing sigma must raise")


def check_gumbel_max_gives_exact_categorical_samples():
    rng = np.random.default_rng(3)
    logits = np.array([1.0, 0.0, -1.0, 2.0])
    g = sample_gumbel((50_000, 4), rng)
    counts = np.bincount(np.argmax(logits + g, axis=1), minlength=4) / 50_000
    assert_close(counts, softmax(logits), atol=0.008, rtol=0, what="Gumbel-max frequencies")
    y_cold = gumbel_softmax(np.tile(logits, (5, 1)), g[:5], tau=0.01)
    assert np.allclose(y_cold.max(axis=1), 1.0, atol=1e-6)  # nearly one-hot
    y_hot = gumbel_softmax(np.tile(logits, (5, 1)), g[:5], tau=100.0)
    assert np.allclose(y_hot, 0.25, atol=0.02)  # nearly uniform
    assert np.allclose(gumbel_softmax(np.tile(logits, (5, 1)), g[:5]).sum(axis=1), 1.0)


def plot_estimator_spread(path, score, truth):
    """Figure for the page: histograms of single-sample gradient estimates from the two estimators."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    bins = np.linspace(-15, 20, 120)
    ax.hist(score[:, 0], bins=bins, alpha=0.6, label="score function (REINFORCE)", density=True)
    ax.hist(path[:, 0], bins=bins, alpha=0.6, label="reparameterisation (pathwise)", density=True)
    ax.axvline(truth, color="black", linestyle="--", label="true gradient")
    ax.set_xlabel("single-sample estimate of dE[z^2]/dmu")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Histograms of single-sample gradient estimates of the derivative of E[z squared] with "
        "respect to mu: the pathwise (reparameterisation) estimates cluster tightly around the true "
        "value 3, the score-function estimates are spread far wider"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    mu, sigma = 1.5, 0.5
    eps = rng.standard_normal(10_000)
    path = pathwise_grad(lambda z: 2 * z, mu, sigma, eps)
    score = score_function_grad(lambda z: z * z, mu, sigma, eps)
    print(f"d/d(mu, sigma) of E[z^2], z ~ N({mu}, {sigma}^2); exact (2 mu, 2 sigma) = ({2 * mu}, {2 * sigma})")
    print("  pathwise       mean", path.mean(axis=0), " std of one estimate", path.std(axis=0))
    print("  score function mean", score.mean(axis=0), " std of one estimate", score.std(axis=0))
    z, cache = gaussian_rsample_forward(np.array([0.5]), np.array([np.log(0.25)]), np.array([1.2]))
    print(
        "z = mu + exp(log_var/2) eps with mu 0.5, log_var log 0.25, eps 1.2:",
        z,
        " grads (dmu, dlog_var):",
        np.concatenate(gaussian_rsample_backward(np.ones(1), cache)),
    )
    logits = np.array([[1.0, 0.0, -1.0, 2.0]])
    g = sample_gumbel((1, 4), np.random.default_rng(1))
    print("softmax(logits)", softmax(logits)[0])
    for tau in (5.0, 1.0, 0.1):
        print(f"gumbel_softmax tau = {tau:<4}", gumbel_softmax(logits, g, tau)[0])
    plot_estimator_spread(path, score, 2 * mu)
