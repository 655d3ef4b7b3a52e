"""Cross-entropy: the loss of multi-class classification, and H(p, q) between distributions.

The loss follows PyTorch's ``torch.nn.functional.cross_entropy(input, target)``:
raw logits of shape (N, C) (softmax is applied inside, stably, via log-softmax),
targets either as integer class indices of shape (N,) or as class probabilities
of shape (N, C), and ``reduction="mean"`` (average over the N samples) by
default. PyTorch's ``weight``, ``ignore_index`` and ``label_smoothing`` options
are left out here (label smoothing has its own snippet). Natural log: nats.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.activation_function import sigmoid
from snippets.entropy import entropy
from snippets.softmax import log_softmax, softmax

__all__ = [
    "cross_entropy",
    "cross_entropy_forward",
    "cross_entropy_backward",
    "nll_loss",
    "cross_entropy_probs",
    "target_probabilities",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_forward",
    "binary_cross_entropy_with_logits_backward",
]


def _reduce(per_sample, reduction):
    if reduction == "mean":
        return np.mean(per_sample)
    if reduction == "sum":
        return np.sum(per_sample)
    if reduction == "none":
        return per_sample
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


def target_probabilities(target, num_classes):
    """Targets as probabilities: class indices become one-hot rows, probabilities pass through.

    Parameters
    ----------
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
    num_classes : int
        C.

    Returns
    -------
    t : ndarray of shape (N, C)
    """
    target = np.asarray(target)
    if np.issubdtype(target.dtype, np.integer):
        if target.ndim != 1 or np.any(target < 0) or np.any(target >= num_classes):
            raise ValueError("class-index targets must have shape (N,) and lie in [0, C)")
        return np.eye(num_classes)[target]
    return target.astype(np.float64)


def nll_loss(log_probs, target, reduction="mean"):
    """Negative log-likelihood of the target classes, like ``torch.nn.functional.nll_loss``.

    Parameters
    ----------
    log_probs : ndarray of shape (N, C)
        Log-probabilities (e.g. the output of ``log_softmax``).
    target : ndarray of shape (N,), integer
        Class indices in ``[0, C)``.
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
        ``-log_probs[n, target[n]]``, reduced.
    """
    log_probs = np.asarray(log_probs, dtype=np.float64)
    target = np.asarray(target)
    return _reduce(-log_probs[np.arange(len(target)), target], reduction)


def cross_entropy(logits, target, reduction="mean"):
    """Softmax cross-entropy loss from raw logits, like ``torch.nn.functional.cross_entropy``.

    ``loss_n = -sum_k t_nk log softmax(z_n)_k``; for a class index ``y_n`` this is
    ``-log softmax(z_n)[y_n] = logsumexp(z_n) - z_n[y_n]``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
        Unnormalised scores; do not apply softmax first.
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
        Class indices in ``[0, C)``, or class probabilities (rows summing to one).
    reduction : {"mean", "sum", "none"}
        ``"mean"`` (PyTorch's default) averages over the N samples.

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    """
    return cross_entropy_forward(logits, target, reduction)[0]


def cross_entropy_forward(logits, target, reduction="mean"):
    """Forward pass of :func:`cross_entropy`, keeping what the backward pass needs.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, C), ndarray of shape (N, C), str)
        Softmax probabilities, target probabilities, reduction.
    """
    logits = np.asarray(logits, dtype=np.float64)
    t = target_probabilities(target, logits.shape[-1])
    if t.shape != logits.shape:
        raise ValueError(f"target probabilities of shape {t.shape} do not match logits {logits.shape}")
    logp = log_softmax(logits, axis=-1)
    per_sample = -np.sum(t * logp, axis=-1)
    return _reduce(per_sample, reduction), (np.exp(logp), t, reduction)


def cross_entropy_backward(dout, cache):
    """Gradient of the cross-entropy with respect to the logits.

    For ``reduction="mean"`` it is ``dout * (softmax(z) - t) / N``: predicted
    minus target probabilities. Softmax's Jacobian and the log's ``1/p`` cancel,
    which is why the pair is fused in every framework.

    Parameters
    ----------
    dout : float, or ndarray of shape (N,) if ``reduction="none"``
        Upstream gradient (1.0 when the loss is the final objective).
    cache : tuple
        From :func:`cross_entropy_forward`.

    Returns
    -------
    dlogits : ndarray of shape (N, C)
    """
    p, t, reduction = cache
    g = p - t
    if reduction == "mean":
        return g * (dout / len(g))
    if reduction == "sum":
        return g * dout
    return g * np.asarray(dout, dtype=np.float64)[:, None]


def cross_entropy_probs(p, q, axis=-1):
    """Cross-entropy ``H(p, q) = -sum_k p_k log q_k`` between two distributions.

    The information-theoretic quantity: the average code length, in nats, when
    outcomes drawn from ``p`` are encoded with a code built for ``q``. Terms with
    ``p_k = 0`` contribute 0; a ``q_k = 0`` where ``p_k > 0`` gives ``inf``.

    Parameters
    ----------
    p : ndarray of shape (N, C)
        The true (target) distribution, rows summing to one.
    q : ndarray of shape (N, C)
        The model distribution, rows summing to one.
    axis : int
        Axis holding the distributions.

    Returns
    -------
    H : ndarray of shape (N,)
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p, q = np.broadcast_arrays(p, q)
    logq = np.log(np.where(q > 0, q, 1.0))
    terms = np.where(p > 0, -p * logq, 0.0)
    terms = np.where((p > 0) & (q <= 0), np.inf, terms)
    return np.sum(terms, axis=axis)


def binary_cross_entropy_with_logits(logits, target, reduction="mean"):
    """Binary cross-entropy from logits, like ``torch.nn.functional.binary_cross_entropy_with_logits``.

    ``loss = -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]``, computed as
    ``max(x, 0) - x y + log(1 + exp(-|x|))`` so that no ``exp`` overflows.

    Parameters
    ----------
    logits : ndarray of shape (N,)
        One score per sample (or any shape, elementwise).
    target : ndarray of shape (N,)
        Targets in [0, 1].
    reduction : {"mean", "sum", "none"}
        ``"mean"`` averages over all elements.

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    """
    return binary_cross_entropy_with_logits_forward(logits, target, reduction)[0]


def binary_cross_entropy_with_logits_forward(logits, target, reduction="mean"):
    """Forward pass of :func:`binary_cross_entropy_with_logits`.

    Parameters
    ----------
    logits : ndarray of shape (N,)
    target : ndarray of shape (N,)
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N,) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N,), ndarray of shape (N,), str)
    """
    x = np.asarray(logits, dtype=np.float64)
    y = np.asarray(target, dtype=np.float64)
    per_elem = np.maximum(x, 0.0) - x * y + np.log1p(np.exp(-np.abs(x)))
    return _reduce(per_elem, reduction), (x, y, reduction)


def binary_cross_entropy_with_logits_backward(dout, cache):
    """Gradient with respect to the logits: ``(sigmoid(x) - y)``, scaled by the reduction.

    Parameters
    ----------
    dout : float, or ndarray of shape (N,) if ``reduction="none"``
    cache : tuple
        From :func:`binary_cross_entropy_with_logits_forward`.

    Returns
    -------
    dlogits : ndarray of shape (N,)
    """
    x, y, reduction = cache
    g = sigmoid(x) - y
    if reduction == "mean":
        return g * (dout / g.size)
    return g * dout


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Inputs the PyTorch equivalent is checked on (see the term's PyTorch tab).

    Several batch sizes and class counts with class-index targets, a batch of one, two classes,
    soft (probability) targets, all-equal logits (a tie: the loss is ``log C``) and logits of
    +-1000 (confident and right, confident and wrong), where a naive softmax overflows.

    Returns
    -------
    list of dict with logits (N, C) and target: int64 (N,) class indices or float (N, C) probabilities
    """
    rng = np.random.default_rng(11)
    cases = [
        {"logits": rng.normal(scale=2.0, size=(n, c)), "target": rng.integers(0, c, size=n)} for n, c in [(5, 4), (16, 10), (1, 3), (8, 2)]
    ]
    cases.append({"logits": rng.normal(size=(6, 5)), "target": rng.dirichlet(np.ones(5), size=6)})
    cases.append({"logits": np.zeros((3, 4)), "target": np.array([0, 1, 3])})
    cases.append({"logits": np.array([[1000.0, 0.0, -1000.0]] * 2), "target": np.array([0, 2])})
    return cases


def loss_and_gradient(logits, target):
    """Mean cross-entropy and its gradient with respect to the logits (upstream gradient 1).

    What ``loss = F.cross_entropy(z, target); loss.backward()`` leaves in ``loss`` and ``z.grad``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    target : ndarray of shape (N,), integer, or ndarray of shape (N, C), float

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, C)
    """
    loss, cache = cross_entropy_forward(logits, target)
    return loss, cross_entropy_backward(1.0, cache)


def log_loss_cases():
    """Inputs the scikit-learn equivalent is checked on: class-index targets only.

    ``log_loss`` takes probabilities and clips them to ``[eps, 1 - eps]``, so the confident-and-wrong
    case of :func:`equivalence_cases` is left out (it would cost 36.04 nats there instead of 2000);
    the confident-and-right one stays (clipping moves it by 2e-16).

    Returns
    -------
    list of dict with logits (N, C) and target, int64 (N,)
    """
    rng = np.random.default_rng(12)
    cases = [
        {"logits": rng.normal(scale=2.0, size=(n, c)), "target": rng.integers(0, c, size=n)} for n, c in [(5, 4), (16, 10), (1, 3), (8, 2)]
    ]
    cases.append({"logits": np.zeros((3, 4)), "target": np.array([0, 1, 3])})
    cases.append({"logits": np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 0.0]]), "target": np.array([0, 1])})
    return cases


def binary_equivalence_cases():
    """Inputs the binary (sigmoid) equivalent is checked on.

    Hard 0/1 targets, soft targets in [0, 1], a single element, and logits of +-1000 on both
    sides of the target, where ``log(sigmoid(x))`` computed naively gives ``-inf``.

    Returns
    -------
    list of dict with logits (N,) and target (N,), float
    """
    rng = np.random.default_rng(13)
    cases = [{"logits": rng.normal(scale=3.0, size=n), "target": rng.integers(0, 2, size=n).astype(np.float64)} for n in (6, 32, 1)]
    cases.append({"logits": rng.normal(size=8), "target": rng.uniform(size=8)})
    cases.append({"logits": np.array([1000.0, -1000.0, 1000.0, -1000.0]), "target": np.array([1.0, 0.0, 0.0, 1.0])})
    return cases


def binary_loss_and_gradient(logits, target):
    """Mean binary cross-entropy from logits and its gradient (upstream gradient 1).

    Parameters
    ----------
    logits : ndarray of shape (N,)
    target : ndarray of shape (N,)

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N,)
    """
    loss, cache = binary_cross_entropy_with_logits_forward(logits, target)
    return loss, binary_cross_entropy_with_logits_backward(1.0, cache)


# ---------------------------------------------------------------- checks


def check_matches_negative_log_softmax_of_target():
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    assert_close(cross_entropy(z, y), -np.mean(np.log(p[np.arange(5), y])), rtol=1e-12)
    assert_close(cross_entropy(z, y), nll_loss(log_softmax(z), y), rtol=1e-12, what="= nll(log_softmax)")
    assert_close(cross_entropy(z, y), cross_entropy(z, np.eye(4)[y]), rtol=1e-12, what="one-hot targets")
    assert_close(cross_entropy(z, y, "sum"), 5 * cross_entropy(z, y), rtol=1e-12)
    assert cross_entropy(z, y, "none").shape == (5,)


def check_uniform_prediction_costs_log_c():
    for C in (2, 10, 1000):
        assert_close(cross_entropy(np.zeros((3, C)), np.array([0, 1, C - 1])), np.log(C), rtol=1e-12)


def check_large_logits_are_stable():
    z = np.array([[1000.0, 0.0, -1000.0]])
    assert_close(cross_entropy(z, np.array([0])), 0.0, rtol=0, atol=1e-300, what="confident and right")
    assert_close(cross_entropy(z, np.array([2])), 2000.0, rtol=1e-12, what="confident and wrong")


def check_gradient_is_softmax_minus_one_hot_over_n():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    _, cache = cross_entropy_forward(z, y)
    dz = cross_entropy_backward(1.0, cache)
    assert_close(dz, (softmax(z) - np.eye(5)[y]) / 4, rtol=1e-12, what="closed form")
    assert_gradient_close(dz, numerical_gradient(lambda v: cross_entropy(v, y), z), tol=1e-7)
    assert_close(dz.sum(axis=-1), np.zeros(4), rtol=0, atol=1e-15, what="rows sum to zero")


def check_gradient_soft_targets_and_reductions():
    rng = np.random.default_rng(2)
    z, t = rng.normal(size=(3, 4)), rng.dirichlet(np.ones(4), size=3)
    for reduction, dout in (("mean", 0.7), ("sum", 1.3), ("none", rng.normal(size=3))):
        _, cache = cross_entropy_forward(z, t, reduction)
        dz = cross_entropy_backward(dout, cache)
        num = numerical_gradient(lambda v: float(np.sum(cross_entropy(v, t, reduction) * dout)), z)
        assert_gradient_close(dz, num, tol=1e-7, what=f"gradient, reduction={reduction}")


def check_loss_is_cross_entropy_between_target_and_model():
    rng = np.random.default_rng(3)
    z, t = rng.normal(size=(3, 4)), rng.dirichlet(np.ones(4), size=3)
    assert_close(cross_entropy(z, t, "none"), cross_entropy_probs(t, softmax(z)), rtol=1e-12)


def check_gibbs_inequality_cross_entropy_at_least_entropy():
    rng = np.random.default_rng(4)
    p, q = rng.dirichlet(np.ones(5), size=100), rng.dirichlet(np.ones(5), size=100)
    assert np.all(cross_entropy_probs(p, q) >= entropy(p))
    assert_close(cross_entropy_probs(p, p), entropy(p), rtol=1e-12, what="H(p, p) = H(p)")
    assert cross_entropy_probs(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == np.inf
    assert np.isfinite(cross_entropy_probs(np.array([1.0, 0.0]), np.array([0.5, 0.5])))


def check_binary_is_two_class_softmax_cross_entropy():
    rng = np.random.default_rng(5)
    x, y = rng.normal(scale=3.0, size=6), rng.integers(0, 2, size=6)
    two_class = np.stack([np.zeros(6), x], axis=-1)  # sigmoid(x) = softmax([0, x])[1]
    assert_close(binary_cross_entropy_with_logits(x, y), cross_entropy(two_class, y), rtol=1e-12)
    big = binary_cross_entropy_with_logits(np.array([1000.0, -1000.0]), np.array([0.0, 0.0]), "none")
    assert_close(big, [1000.0, 0.0], rtol=1e-12, atol=1e-300, what="stable for |x| = 1000")


def check_binary_gradient():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=5), rng.uniform(size=5)
    for reduction in ("mean", "sum"):
        _, cache = binary_cross_entropy_with_logits_forward(x, y, reduction)
        dx = binary_cross_entropy_with_logits_backward(1.0, cache)
        num = numerical_gradient(lambda v: binary_cross_entropy_with_logits(v, y, reduction), x)
        assert_gradient_close(dx, num, tol=1e-7, what=f"BCE gradient, reduction={reduction}")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [1.2, 0.8, 3.0]])
    target = np.array([0, 1, 0])
    print("softmax(logits):")
    print(softmax(logits))
    print("targets               ", target)
    print("per-sample loss       ", cross_entropy(logits, target, reduction="none"), " = -log p[target]")
    print(f"mean loss             {cross_entropy(logits, target):.4f} nats")
    print(f"uniform guess (C = 3) {cross_entropy(np.zeros((1, 3)), np.array([0])):.4f} nats = log 3")
    _, cache = cross_entropy_forward(logits, target)
    print("d loss / d logits = (softmax - one_hot) / N:")
    print(cross_entropy_backward(1.0, cache))
    x, y = np.array([3.0, -1.0]), np.array([1.0, 1.0])
    print("binary, logits [3, -1], targets [1, 1]:", binary_cross_entropy_with_logits(x, y, "none"))
