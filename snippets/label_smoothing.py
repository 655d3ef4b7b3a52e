"""Label smoothing: train against (1 - eps) * one_hot + eps / C instead of the one-hot target.

Follows PyTorch's ``torch.nn.functional.cross_entropy(logits, target,
label_smoothing=eps)``: the target becomes a mixture of the original target and
the uniform distribution over all C classes (the true class included), as in
Szegedy et al. (2016). Logits of shape (N, C), integer targets of shape (N,)
(or probabilities of shape (N, C)), mean reduction over the N samples.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.cross_entropy import cross_entropy, cross_entropy_backward, cross_entropy_forward, target_probabilities
from snippets.entropy import entropy
from snippets.kl_divergence import kl_divergence
from snippets.softmax import log_softmax, softmax

__all__ = [
    "smooth_labels",
    "label_smoothing_cross_entropy",
    "label_smoothing_cross_entropy_forward",
    "label_smoothing_cross_entropy_backward",
    "optimal_logit_gap",
]


def smooth_labels(target, num_classes, eps=0.1):
    """Smoothed target distribution ``(1 - eps) * t + eps / C``.

    Parameters
    ----------
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
        Class indices, or target probabilities.
    num_classes : int
        C.
    eps : float
        Smoothing in [0, 1]; 0 leaves the target unchanged.

    Returns
    -------
    t : ndarray of shape (N, C)
        The true class gets ``1 - eps + eps / C``, every other class ``eps / C``.
    """
    if not 0.0 <= eps <= 1.0:
        raise ValueError("eps must lie in [0, 1]")
    return (1.0 - eps) * target_probabilities(target, num_classes) + eps / num_classes


def label_smoothing_cross_entropy(logits, target, eps=0.1, reduction="mean"):
    """Cross-entropy against smoothed targets, like PyTorch's ``label_smoothing=eps``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
    eps : float
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    """
    return label_smoothing_cross_entropy_forward(logits, target, eps, reduction)[0]


def label_smoothing_cross_entropy_forward(logits, target, eps=0.1, reduction="mean"):
    """Forward pass: :func:`snippets.cross_entropy.cross_entropy_forward` on smoothed targets.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
    eps : float
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    cache : tuple
    """
    logits = np.asarray(logits, dtype=np.float64)
    return cross_entropy_forward(logits, smooth_labels(target, logits.shape[-1], eps), reduction)


def label_smoothing_cross_entropy_backward(dout, cache):
    """Gradient with respect to the logits: ``(softmax(z) - smoothed target) / N`` for the mean.

    Parameters
    ----------
    dout : float, or ndarray of shape (N,) if ``reduction="none"``
    cache : tuple
        From :func:`label_smoothing_cross_entropy_forward`.

    Returns
    -------
    dlogits : ndarray of shape (N, C)
    """
    return cross_entropy_backward(dout, cache)


def optimal_logit_gap(eps, num_classes):
    """Gap between the true-class logit and the others at the loss minimum.

    The loss is minimised when ``softmax(z)`` equals the smoothed target, i.e.
    ``z_true - z_other = log((1 - eps + eps / C) / (eps / C))``: finite for
    ``eps > 0``, infinite (no minimiser) for ``eps = 0``.

    Parameters
    ----------
    eps : float
        In (0, 1].
    num_classes : int

    Returns
    -------
    float
    """
    return float(np.log1p(num_classes * (1.0 - eps) / eps))


def _logits_with_gap(gap, num_classes):
    """One row of logits: class 0 at ``gap``, the rest at 0; shape (1, C)."""
    z = np.zeros((1, num_classes))
    z[0, 0] = gap
    return z


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's PyTorch tab).

    Several shapes and smoothings with class-index targets, ``eps = 0`` (plain cross-entropy),
    ``eps = 1`` (the target is uniform), two classes, a batch of one, probability targets (smoothed
    too) and logits of +-1000, where the smoothed loss is large but finite.

    Returns
    -------
    list of dict with logits (N, C), target (int64 (N,) or float (N, C)) and eps (float)
    """
    rng = np.random.default_rng(21)
    cases = [
        {"logits": rng.normal(scale=2.0, size=(n, c)), "target": rng.integers(0, c, size=n), "eps": eps}
        for n, c, eps in [(5, 4, 0.1), (16, 10, 0.2), (1, 3, 0.1), (8, 2, 0.3), (6, 5, 0.0), (4, 6, 1.0)]
    ]
    cases.append({"logits": rng.normal(size=(6, 5)), "target": rng.dirichlet(np.ones(5), size=6), "eps": 0.1})
    cases.append({"logits": np.array([[1000.0, 0.0, -1000.0]] * 2), "target": np.array([0, 2]), "eps": 0.1})
    return cases


def loss_and_gradient(logits, target, eps):
    """Mean label-smoothed cross-entropy and its gradient with respect to the logits.

    What ``loss = F.cross_entropy(z, target, label_smoothing=eps); loss.backward()`` leaves in
    ``loss`` and ``z.grad``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
    eps : float

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, C)
    """
    loss, cache = label_smoothing_cross_entropy_forward(logits, target, eps)
    return loss, label_smoothing_cross_entropy_backward(1.0, cache)


# ---------------------------------------------------------------- checks


def check_smoothed_targets():
    t = smooth_labels(np.array([2, 0]), 4, eps=0.1)
    assert_close(t[0], [0.025, 0.025, 0.925, 0.025], rtol=1e-12)
    assert_close(t.sum(axis=-1), np.ones(2), rtol=1e-12, what="rows sum to one")
    assert_close(smooth_labels(np.array([1]), 3, eps=1.0), np.full((1, 3), 1 / 3), rtol=1e-12)
    z, y = np.random.default_rng(0).normal(size=(3, 4)), np.array([0, 3, 1])
    assert_close(label_smoothing_cross_entropy(z, y, eps=0.0), cross_entropy(z, y), rtol=1e-12)


def check_matches_pytorch_decomposition():
    # PyTorch computes (1 - eps) * nll + eps * mean_k(-log p_k); same number.
    rng = np.random.default_rng(1)
    z, y, eps = rng.normal(size=(5, 6)), rng.integers(0, 6, size=5), 0.2
    logp = log_softmax(z)
    expected = (1 - eps) * cross_entropy(z, y) + eps * np.mean(-logp.mean(axis=-1))
    assert_close(label_smoothing_cross_entropy(z, y, eps), expected, rtol=1e-12)


def check_is_cross_entropy_plus_kl_from_uniform():
    # H(t_eps, p) = (1 - eps) H(one_hot, p) + eps (log C + KL(u || p)).
    rng = np.random.default_rng(2)
    z, y, eps, C = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4), 0.1, 5
    u = np.full(C, 1.0 / C)
    per_sample = (1 - eps) * cross_entropy(z, y, "none") + eps * (np.log(C) + kl_divergence(u, softmax(z)))
    assert_close(label_smoothing_cross_entropy(z, y, eps, "none"), per_sample, rtol=1e-12)


def check_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(3)
    z, y, eps = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4), 0.1
    _, cache = label_smoothing_cross_entropy_forward(z, y, eps)
    dz = label_smoothing_cross_entropy_backward(1.0, cache)
    assert_close(dz, (softmax(z) - smooth_labels(y, 5, eps)) / 4, rtol=1e-12, what="closed form")
    num = numerical_gradient(lambda v: label_smoothing_cross_entropy(v, y, eps), z)
    assert_gradient_close(dz, num, tol=1e-7)


def check_finite_minimiser_with_loss_equal_to_target_entropy():
    C, eps, y = 10, 0.1, np.array([0])
    z = _logits_with_gap(optimal_logit_gap(eps, C), C)
    _, cache = label_smoothing_cross_entropy_forward(z, y, eps)
    assert_close(label_smoothing_cross_entropy_backward(1.0, cache), np.zeros((1, C)), rtol=0, atol=1e-15)
    assert_close(label_smoothing_cross_entropy(z, y, eps), entropy(smooth_labels(y, C, eps))[0], rtol=1e-12)
    for gap in (2.0, 8.0, 20.0):  # any other gap costs more, too large a gap included
        assert label_smoothing_cross_entropy(_logits_with_gap(gap, C), y, eps) > label_smoothing_cross_entropy(z, y, eps)


def check_without_smoothing_loss_keeps_falling_as_logits_grow():
    C, y = 10, np.array([0])
    losses = [cross_entropy(_logits_with_gap(g, C), y) for g in (4.0, 8.0, 16.0, 24.0)]
    # (beyond a gap of about 36 the loss rounds to exactly 0.0 in float64)
    assert all(a > b > 0 for a, b in zip(losses, losses[1:])), "no finite minimiser when eps = 0"


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    C, eps = 5, 0.1
    print(f"C = {C}, eps = {eps}: target for class 2 =", smooth_labels(np.array([2]), C, eps)[0])
    z = np.array([[0.5, 1.0, 4.0, 0.0, -1.0]])
    print("logits", z[0], " softmax", softmax(z)[0])
    print(f"cross-entropy, hard target     {cross_entropy(z, np.array([2])):.4f}")
    print(f"cross-entropy, smoothed target {label_smoothing_cross_entropy(z, np.array([2]), eps):.4f}")
    C = 10
    print(f"C = {C}: loss as the true-class logit gap grows (other logits 0)")
    print("   gap    eps = 0    eps = 0.1")
    for gap in (2.0, 4.0, optimal_logit_gap(0.1, C), 8.0, 16.0):
        zg = _logits_with_gap(gap, C)
        print(f"  {gap:6.3f}  {cross_entropy(zg, np.array([0])):<9.4g}  {label_smoothing_cross_entropy(zg, np.array([0]), 0.1):.4g}")
    print(f"optimal gap with eps = 0.1: log(1 + C (1 - eps) / eps) = {optimal_logit_gap(0.1, C):.4f}; with eps = 0: none")
