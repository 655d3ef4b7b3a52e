"""Kullback-Leibler divergence KL(p || q): how much worse q is than p at describing data from p.

Argument order is the mathematical one: ``kl_divergence(p, q)`` is KL(p || q),
the expectation under the *first* argument. PyTorch's
``torch.nn.functional.kl_div(input, target)`` reverses it and wants ``input``
as log-probabilities: ``kl_div(input=log q, target=p)`` computes KL(p || q).
:func:`kl_div` reproduces that interface. Natural log: nats.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.cross_entropy import cross_entropy_backward, cross_entropy_forward, cross_entropy_probs
from snippets.entropy import entropy
from snippets.softmax import log_softmax_backward, log_softmax_forward

__all__ = ["kl_divergence", "kl_div", "kl_div_forward", "kl_div_backward", "kl_normal"]


def kl_divergence(p, q, axis=-1):
    """KL(p || q) = sum_k p_k log(p_k / q_k).

    Terms with ``p_k = 0`` contribute 0; ``q_k = 0`` where ``p_k > 0`` makes the
    divergence infinite (q calls impossible something that happens).

    Parameters
    ----------
    p : ndarray of shape (N, C)
        Reference distribution (the expectation is taken under it).
    q : ndarray of shape (N, C)
        Approximating distribution.
    axis : int
        Axis holding the distributions.

    Returns
    -------
    kl : ndarray of shape (N,)
        Non-negative; zero exactly when ``p == q``.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p, q = np.broadcast_arrays(p, q)
    pos = p > 0
    # Computed directly, not as H(p, q) - H(p), which loses digits when q is close to p.
    log_ratio = np.log(np.where(pos, p, 1.0)) - np.log(np.where(q > 0, q, 1.0))
    terms = np.where(pos, p * log_ratio, 0.0)
    terms = np.where(pos & (q <= 0), np.inf, terms)
    return np.sum(terms, axis=axis)


def kl_div(input, target, reduction="batchmean", log_target=False):
    """PyTorch's ``torch.nn.functional.kl_div``: KL(target || exp(input)).

    Pointwise loss ``target * (log target - input)``. Note the order: ``input``
    is the *model's log-probabilities* log q, ``target`` is p.

    Parameters
    ----------
    input : ndarray of shape (N, C)
        Log-probabilities log q (e.g. from ``log_softmax``).
    target : ndarray of shape (N, C)
        Probabilities p, or log p if ``log_target``.
    reduction : {"batchmean", "sum", "mean", "none"}
        ``"batchmean"`` (sum / N) gives the mean KL per sample. PyTorch's
        default is ``"mean"``, which divides by N * C and is not a KL; its
        documentation recommends ``"batchmean"``, used as the default here.
    log_target : bool
        Whether ``target`` is given as log-probabilities.

    Returns
    -------
    loss : float, or ndarray of shape (N, C) if ``reduction="none"``
    """
    return kl_div_forward(input, target, reduction, log_target)[0]


def kl_div_forward(input, target, reduction="batchmean", log_target=False):
    """Forward pass of :func:`kl_div`.

    Parameters
    ----------
    input : ndarray of shape (N, C)
    target : ndarray of shape (N, C)
    reduction : {"batchmean", "sum", "mean", "none"}
    log_target : bool

    Returns
    -------
    loss : float, or ndarray of shape (N, C) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, C), str)
        Target probabilities p and the reduction.
    """
    logq = np.asarray(input, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if log_target:
        p, logp = np.exp(target), target
    else:
        p, logp = target, np.log(np.where(target > 0, target, 1.0))
    pointwise = np.where(p > 0, p * (logp - logq), 0.0)
    if reduction == "batchmean":
        loss = pointwise.sum() / pointwise.shape[0]
    elif reduction == "sum":
        loss = pointwise.sum()
    elif reduction == "mean":
        loss = pointwise.mean()
    elif reduction == "none":
        loss = pointwise
    else:
        raise ValueError(f"unknown reduction {reduction!r}")
    return loss, (p, reduction)


def kl_div_backward(dout, cache):
    """Gradient of :func:`kl_div` with respect to ``input`` (log q): ``-p``, scaled.

    Parameters
    ----------
    dout : float, or ndarray of shape (N, C) if ``reduction="none"``
    cache : tuple
        From :func:`kl_div_forward`.

    Returns
    -------
    dinput : ndarray of shape (N, C)
    """
    p, reduction = cache
    scale = {"batchmean": 1.0 / p.shape[0], "sum": 1.0, "mean": 1.0 / p.size, "none": 1.0}[reduction]
    return -p * dout * scale


def kl_normal(mu1, sigma1, mu2, sigma2):
    """Closed form KL(N(mu1, sigma1^2) || N(mu2, sigma2^2)) for univariate Gaussians.

    ``log(sigma2 / sigma1) + (sigma1^2 + (mu1 - mu2)^2) / (2 sigma2^2) - 1/2``;
    with ``mu2 = 0, sigma2 = 1`` it is the KL term of a variational autoencoder.

    Parameters
    ----------
    mu1, sigma1, mu2, sigma2 : ndarray of shape (N,)
        Means and standard deviations (sigmas positive); broadcast together.

    Returns
    -------
    kl : ndarray of shape (N,)
    """
    mu1, sigma1, mu2, sigma2 = (np.asarray(a, dtype=np.float64) for a in (mu1, sigma1, mu2, sigma2))
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def _gaussian_on_grid(x, mu, sigma):
    """Discretised N(mu, sigma^2) on the evenly spaced grid x, normalised to sum to one."""
    logd = -0.5 * ((x - mu) / sigma) ** 2 - np.log(sigma)
    d = np.exp(logd - np.max(logd, axis=-1, keepdims=True))
    return d / d.sum(axis=-1, keepdims=True)


def _best_gaussian_fits(x, p, mus, sigmas):
    """Grid search for the Gaussian q minimising KL(p || q) and KL(q || p)."""
    q = _gaussian_on_grid(x, mus[:, None, None], sigmas[None, :, None])  # (M, S, X)
    forward, reverse = kl_divergence(p, q), kl_divergence(q, p)
    fits = []
    for kl in (forward, reverse):
        i, j = np.unravel_index(np.argmin(kl), kl.shape)
        fits.append((mus[i], sigmas[j]))
    return fits


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Distribution pairs the SciPy equivalent is checked on (see the term's SciPy tab).

    Several sizes, a pair of equal distributions (KL = 0), zeros in ``p`` (terms that contribute
    0), a zero in ``q`` where ``p`` is positive (KL = inf), one row, and two outcomes.

    Returns
    -------
    list of dict with p (N, C) and q (N, C), rows summing to one
    """
    rng = np.random.default_rng(31)
    cases = [
        {"p": rng.dirichlet(np.ones(c), size=n), "q": rng.dirichlet(np.ones(c), size=n)} for n, c in [(5, 4), (20, 10), (1, 3), (7, 2)]
    ]
    p = rng.dirichlet(np.ones(6), size=3)
    cases.append({"p": p, "q": p.copy()})
    cases.append({"p": np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]), "q": np.array([[0.2, 0.3, 0.5], [0.5, 0.25, 0.25]])})
    cases.append({"p": np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]]), "q": np.array([[1.0, 0.0, 0.0], [0.2, 0.3, 0.5]])})
    return cases


def kl_div_cases():
    """Inputs the PyTorch equivalent is checked on: a model's logits and target distributions.

    Several sizes, a target with zeros (the usual one-hot-like teacher), logits of +-50 (a model
    that is nearly certain), one row, and two classes.

    Returns
    -------
    list of dict with logits (N, C) and p (N, C), rows of ``p`` summing to one
    """
    rng = np.random.default_rng(32)
    cases = [
        {"logits": rng.normal(scale=2.0, size=(n, c)), "p": rng.dirichlet(np.ones(c), size=n)}
        for n, c in [(5, 4), (16, 10), (1, 3), (8, 2)]
    ]
    cases.append({"logits": rng.normal(size=(3, 4)), "p": np.array([[1.0, 0, 0, 0], [0, 0.5, 0.5, 0], [0.25] * 4])})
    cases.append({"logits": np.array([[50.0, 0.0, -50.0], [-50.0, 0.0, 50.0]]), "p": np.array([[0.7, 0.2, 0.1], [0.7, 0.2, 0.1]])})
    return cases


def kl_from_logits_and_gradient(logits, p):
    """Mean KL(p || softmax(logits)) over the rows, and its gradient with respect to the logits.

    What ``F.kl_div(F.log_softmax(z, dim=1), p, reduction="batchmean")`` and its backward pass
    compute: :func:`kl_div` on the log-softmax, chained through its backward pass.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    p : ndarray of shape (N, C)
        Target distributions.

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, C)
    """
    logq, ls_cache = log_softmax_forward(logits)
    loss, kl_cache = kl_div_forward(logq, p)
    return loss, log_softmax_backward(kl_div_backward(1.0, kl_cache), ls_cache)


# ---------------------------------------------------------------- checks


def check_non_negative_and_zero_only_for_equal_distributions():
    rng = np.random.default_rng(0)
    p, q = rng.dirichlet(np.ones(4), size=200), rng.dirichlet(np.ones(4), size=200)
    assert np.all(kl_divergence(p, q) > 0), "Gibbs' inequality: KL > 0 when p != q"
    assert_close(kl_divergence(p, p), np.zeros(200), rtol=0, atol=1e-15, what="KL(p || p)")


def check_asymmetric():
    p, q = np.array([0.8, 0.15, 0.05]), np.full(3, 1 / 3)
    assert abs(kl_divergence(p, q) - kl_divergence(q, p)) > 0.1


def check_cross_entropy_equals_entropy_plus_kl():
    rng = np.random.default_rng(1)
    p, q = rng.dirichlet(np.ones(6), size=50), rng.dirichlet(np.ones(6), size=50)
    assert_close(cross_entropy_probs(p, q), entropy(p) + kl_divergence(p, q), rtol=1e-12)


def check_kl_from_uniform_is_log_c_minus_entropy():
    p = np.random.default_rng(2).dirichlet(np.ones(5), size=10)
    assert_close(kl_divergence(p, np.full(5, 0.2)), np.log(5) - entropy(p), rtol=1e-12)


def check_support_rules():
    assert kl_divergence(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == np.inf
    assert_close(kl_divergence(np.array([1.0, 0.0]), np.array([0.5, 0.5])), np.log(2), rtol=1e-12)


def check_matches_pytorch_kl_div_argument_order():
    rng = np.random.default_rng(3)
    p, q = rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)
    mean_kl = np.mean(kl_divergence(p, q))
    assert_close(kl_div(np.log(q), p), mean_kl, rtol=1e-12, what="kl_div(log q, p) = KL(p || q)")
    assert_close(kl_div(np.log(q), np.log(p), log_target=True), mean_kl, rtol=1e-12)
    assert_close(kl_div(np.log(q), p, "mean"), mean_kl / 4, rtol=1e-12, what="'mean' divides by N*C")
    assert_close(kl_div(np.log(q), p, "none").sum(axis=-1), kl_divergence(p, q), rtol=1e-12)


def check_kl_div_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(4)
    logq, p = np.log(rng.dirichlet(np.ones(4), size=3)), rng.dirichlet(np.ones(4), size=3)
    for reduction in ("batchmean", "sum", "mean"):
        _, cache = kl_div_forward(logq, p, reduction)
        d = kl_div_backward(1.0, cache)
        num = numerical_gradient(lambda v: kl_div(v, p, reduction), logq)
        assert_gradient_close(d, num, tol=1e-7, what=f"kl_div gradient, reduction={reduction}")


def check_gradient_through_log_softmax_equals_cross_entropy_gradient():
    # H(p) does not depend on the model, so KL(p || softmax(z)) and the
    # cross-entropy with soft targets p have the same gradient: (softmax(z) - p) / N.
    rng = np.random.default_rng(5)
    z, p = rng.normal(size=(3, 5)), rng.dirichlet(np.ones(5), size=3)
    logq, ls_cache = log_softmax_forward(z)
    _, kl_cache = kl_div_forward(logq, p)
    dz_kl = log_softmax_backward(kl_div_backward(1.0, kl_cache), ls_cache)
    _, ce_cache = cross_entropy_forward(z, p)
    assert_close(dz_kl, cross_entropy_backward(1.0, ce_cache), rtol=1e-10, what="dKL/dz = dCE/dz")
    num = numerical_gradient(lambda v: kl_div(log_softmax_forward(v)[0], p), z)
    assert_gradient_close(dz_kl, num, tol=1e-7)


def check_gaussian_closed_form_against_numerical_integration():
    x = np.linspace(-30.0, 30.0, 60001)
    dx = x[1] - x[0]
    for mu1, s1, mu2, s2 in ((0.0, 1.0, 1.0, 2.0), (0.5, 0.7, -1.0, 1.0), (0.0, 2.0, 0.0, 1.0)):
        logp = -0.5 * ((x - mu1) / s1) ** 2 - np.log(s1 * np.sqrt(2 * np.pi))
        logq = -0.5 * ((x - mu2) / s2) ** 2 - np.log(s2 * np.sqrt(2 * np.pi))
        integral = np.sum(np.exp(logp) * (logp - logq)) * dx
        assert_close(kl_normal(mu1, s1, mu2, s2), integral, rtol=1e-8, what="Gaussian KL")


def check_forward_kl_matches_moments_reverse_kl_picks_a_mode():
    # p: mixture of N(-3, 1) and N(3, 1); mean 0, standard deviation sqrt(10).
    x = np.linspace(-10.0, 10.0, 801)
    p = 0.5 * _gaussian_on_grid(x, -3.0, 1.0) + 0.5 * _gaussian_on_grid(x, 3.0, 1.0)
    mus, sigmas = np.linspace(-4.0, 4.0, 33), np.linspace(0.5, 4.0, 36)
    (mu_f, s_f), (mu_r, s_r) = _best_gaussian_fits(x, p, mus, sigmas)
    assert abs(mu_f) < 0.01 and abs(s_f - np.sqrt(10)) < 0.1, "forward KL: moment matching"
    assert abs(abs(mu_r) - 3.0) < 0.01 and abs(s_r - 1.0) < 0.1, "reverse KL: one mode"


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    p, q = np.array([0.8, 0.15, 0.05]), np.full(3, 1 / 3)
    print("p =", p, "  q = uniform")
    print(f"KL(p || q) = {kl_divergence(p, q):.4f} nats   KL(q || p) = {kl_divergence(q, p):.4f} nats  (asymmetric)")
    print(f"H(p, q) = {cross_entropy_probs(p, q):.4f} = H(p) + KL(p || q) = {entropy(p):.4f} + {kl_divergence(p, q):.4f}")
    print(f"KL(p || p) = {kl_divergence(p, p):.4f}")
    print(f"PyTorch order: kl_div(input=log q, target=p) = {kl_div(np.log(q)[None], p[None]):.4f} = KL(p || q)")
    print(
        f"KL(N(0, 1) || N(1, 2^2)) = {kl_normal(0.0, 1.0, 1.0, 2.0):.4f}   KL(N(1, 2^2) || N(0, 1)) = {kl_normal(1.0, 2.0, 0.0, 1.0):.4f}"
    )
    x = np.linspace(-10.0, 10.0, 801)
    mix = 0.5 * _gaussian_on_grid(x, -3.0, 1.0) + 0.5 * _gaussian_on_grid(x, 3.0, 1.0)
    (mu_f, s_f), (mu_r, s_r) = _best_gaussian_fits(x, mix, np.linspace(-4, 4, 33), np.linspace(0.5, 4, 36))
    print("best Gaussian q for p = 0.5 N(-3, 1) + 0.5 N(3, 1):")
    print(f"  minimising KL(p || q): mu = {mu_f:+.2f}, sigma = {s_f:.2f}  (covers both modes)")
    print(f"  minimising KL(q || p): mu = {mu_r:+.2f}, sigma = {s_r:.2f}  (locks onto one mode)")
