"""Shannon entropy of a discrete distribution: the average surprise ``-log p``.

Conventions: natural logarithm by default (nats), ``base=2`` for bits, like
``scipy.stats.entropy``; the distribution lies along ``axis=-1`` (shape (N, C)),
like ``torch.distributions.Categorical(probs=p).entropy()``. ``0 log 0 = 0``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.softmax import log_softmax

__all__ = ["entropy", "binary_entropy", "entropy_from_logits", "entropy_forward", "entropy_backward"]


def _xlogx(p):
    """``p * log(p)`` elementwise with the limit ``0 log 0 = 0`` (no log(0) warning)."""
    p = np.asarray(p, dtype=np.float64)
    safe = np.where(p > 0, p, 1.0)
    return np.where(p > 0, p * np.log(safe), 0.0)


def entropy(p, axis=-1, base=None):
    """Shannon entropy ``H(p) = -sum_k p_k log p_k``.

    Parameters
    ----------
    p : ndarray of shape (N, C)
        Probabilities, non-negative and summing to one along ``axis``
        (not renormalised, unlike ``scipy.stats.entropy``).
    axis : int
        Axis holding the distribution.
    base : float or None
        Logarithm base: None for nats (natural log), 2 for bits.

    Returns
    -------
    H : ndarray of shape (N,)
        Between 0 (a one-hot distribution) and ``log C`` (uniform).
    """
    H = 0.0 - np.sum(_xlogx(p), axis=axis)  # 0.0 - x, not -x: no -0.0 for a certain outcome
    return H / np.log(base) if base is not None else H


def binary_entropy(q, base=None):
    """Entropy of a Bernoulli(q) variable: ``-q log q - (1 - q) log(1 - q)``.

    Parameters
    ----------
    q : ndarray of shape (N,)
        Probability of the outcome 1, in [0, 1].
    base : float or None
        None for nats, 2 for bits.

    Returns
    -------
    H : ndarray of shape (N,)
    """
    q = np.asarray(q, dtype=np.float64)
    return entropy(np.stack([q, 1.0 - q], axis=-1), base=base)


def entropy_from_logits(logits):
    """Entropy of ``softmax(logits)``, computed from log-probabilities.

    ``H = -sum_k p_k log p_k`` with ``log p = log_softmax(logits)``, which stays
    finite for any finite logits (``np.log(softmax(z))`` can hit log(0)). A ``-inf``
    logit (a masked class) has ``p = 0`` and adds ``0 log 0 = 0``, like
    ``torch.distributions.Categorical(logits=z).entropy()``; a row needs one finite logit.

    Parameters
    ----------
    logits : ndarray of shape (N, C)

    Returns
    -------
    H : ndarray of shape (N,)
    """
    return entropy_forward(logits)[0]


def entropy_forward(logits):
    """Entropy of ``softmax(logits)`` per row, keeping what the backward pass needs.

    A ``-inf`` logit (a masked class) contributes ``0 log 0 = 0``, not ``0 * -inf = NaN``:
    the entropy is that of the remaining classes.

    Parameters
    ----------
    logits : ndarray of shape (N, C)

    Returns
    -------
    H : ndarray of shape (N,)
    cache : tuple of (ndarray of shape (N, C), ndarray of shape (N,))
        Log-probabilities and the entropies.
    """
    logp = log_softmax(logits, axis=-1)
    # a -inf logit (a masked class) has p = 0 and log p = -inf: 0 log 0 = 0, not 0 * -inf = NaN
    H = -np.sum(np.exp(logp) * np.where(np.isfinite(logp), logp, 0.0), axis=-1)
    return H, (logp, H)


def entropy_backward(dout, cache):
    """Gradient of the entropy with respect to the logits: ``dH/dz = -p * (log p + H)``.

    This is the gradient used by entropy bonuses (to keep a policy from
    collapsing) and confidence penalties (to keep a classifier less sure).
    A masked class (``-inf`` logit, ``p = 0``) gets a zero gradient.

    Parameters
    ----------
    dout : ndarray of shape (N,)
        Upstream gradient with respect to each row's entropy.
    cache : tuple
        From :func:`entropy_forward`.

    Returns
    -------
    dlogits : ndarray of shape (N, C)
    """
    logp, H = cache
    p = np.exp(logp)
    dlogits = -p * (np.where(np.isfinite(logp), logp, 0.0) + H[:, None])  # p = 0: a masked class gets none
    return dlogits * np.asarray(dout, dtype=np.float64)[:, None]


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Distributions the SciPy equivalent is checked on (see the term's SciPy tab).

    Several sizes in nats and in bits, zeros (``0 log 0 = 0``), a certain outcome (H = 0), a
    uniform row (H = log C), a single row and a single outcome.

    Returns
    -------
    list of dict with p (N, C), rows summing to one, and base (None or float)
    """
    rng = np.random.default_rng(41)
    cases = [
        {"p": rng.dirichlet(np.full(c, 0.7), size=n), "base": base}
        for n, c, base in [(5, 4, None), (20, 10, 2.0), (1, 3, None), (7, 2, 2.0)]
    ]
    cases.append({"p": np.array([[0.5, 0.5, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.25] * 4]), "base": None})
    cases.append({"p": np.ones((3, 1)), "base": 2.0})
    return cases


def logits_equivalence_cases():
    """Logits the PyTorch equivalent is checked on, with an upstream gradient per row.

    Several sizes, equal logits (H = log C), logits of +-1000 (a certain outcome, where
    ``log(softmax)`` would hit log 0), and a class masked with a -inf logit.

    Returns
    -------
    list of dict with logits (N, C) and dout (N,)
    """
    rng = np.random.default_rng(42)
    cases = [{"logits": rng.normal(scale=2.0, size=(n, c)), "dout": rng.normal(size=n)} for n, c in [(5, 4), (16, 10), (1, 3), (8, 2)]]
    # equal logits and a certain outcome have a zero gradient: a third row gives the comparison a scale
    cases.append({"logits": np.array([[0.0, 0.0, 0.0], [1000.0, 0.0, -1000.0], [2.0, 1.0, 0.1]]), "dout": np.array([1.0, -0.5, 1.0])})
    cases.append({"logits": np.array([[1.0, 2.0, -np.inf, 0.5], [0.3, -np.inf, -np.inf, 0.3]]), "dout": np.array([0.7, 1.0])})
    return cases


def entropy_and_gradient(logits, dout):
    """Entropy of ``softmax(logits)`` per row and the gradient reaching the logits for ``dout``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    dout : ndarray of shape (N,)

    Returns
    -------
    H : ndarray of shape (N,)
    dlogits : ndarray of shape (N, C)
    """
    H, cache = entropy_forward(logits)
    return H, entropy_backward(dout, cache)


# ---------------------------------------------------------------- checks


def check_uniform_is_log_c_and_one_hot_is_zero():
    for C in (2, 3, 10, 1000):
        u = np.full(C, 1.0 / C)
        assert_close(entropy(u), np.log(C), rtol=1e-12, what=f"H(uniform over {C})")
        assert_close(entropy(u, base=2), np.log2(C), rtol=1e-12, what="in bits")
    assert entropy(np.array([0.0, 1.0, 0.0])) == 0.0


def check_bounds_zero_and_log_c():
    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.full(5, 0.5), size=200)
    H = entropy(p)
    assert np.all(H >= 0) and np.all(H <= np.log(5) + 1e-12)


def check_binary_entropy_peaks_at_one_bit():
    q = np.linspace(0.0, 1.0, 101)
    Hb = binary_entropy(q, base=2)
    assert np.argmax(Hb) == 50 and abs(Hb[50] - 1.0) < 1e-12
    assert Hb[0] == 0.0 and Hb[-1] == 0.0
    assert_close(Hb, Hb[::-1], rtol=1e-12, what="symmetry H(q) = H(1 - q)")


def check_additive_for_independent_variables():
    # H(X, Y) = H(X) + H(Y) when X and Y are independent.
    rng = np.random.default_rng(1)
    px, py = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(4))
    assert_close(entropy(np.outer(px, py).ravel()), entropy(px) + entropy(py), rtol=1e-12)


def check_from_logits_matches_and_is_stable():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4, 6))
    p = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    assert_close(entropy_from_logits(z), entropy(p), rtol=1e-12, what="entropy_from_logits")
    H = entropy_from_logits(np.array([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]]))
    assert np.all(np.isfinite(H))
    assert_close(H, [0.0, np.log(3)], rtol=1e-12, atol=1e-300)


def check_entropy_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(3)
    z, dout = rng.normal(size=(3, 4)), rng.normal(size=3)
    _, cache = entropy_forward(z)
    dz = entropy_backward(dout, cache)
    num = numerical_gradient(lambda v: float(np.sum(entropy_from_logits(v) * dout)), z)
    assert_gradient_close(dz, num, tol=1e-7)
    assert_close(dz.sum(axis=-1), np.zeros(3), rtol=0, atol=1e-12, what="shift invariance")


def check_masked_class_adds_nothing():
    # A -inf logit (an action or token masked out) has probability 0: the entropy and its gradient
    # are those of the remaining classes, with no gradient reaching the masked one.
    z, dout = np.array([[1.0, 2.0, -np.inf, 0.5]]), np.array([1.0])
    H, cache = entropy_forward(z)
    assert_close(H, entropy_from_logits(z[:, [0, 1, 3]]), rtol=1e-12, what="masked class ignored")
    dz = entropy_backward(dout, cache)
    assert_close(dz[:, [0, 1, 3]], entropy_backward(dout, entropy_forward(z[:, [0, 1, 3]])[1]), rtol=1e-12)
    assert dz[0, 2] == 0.0


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print(f"fair coin            H = {binary_entropy(0.5, base=2):.4f} bits")
    print(f"coin with p = 0.9    H = {binary_entropy(0.9, base=2):.4f} bits")
    print(f"certain outcome      H = {binary_entropy(1.0, base=2):.4f} bits")
    print(f"fair die (6 faces)   H = {entropy(np.full(6, 1 / 6), base=2):.4f} bits = log2(6)")
    p = np.array([0.5, 0.25, 0.125, 0.125])
    print(f"p = {p}  H = {entropy(p, base=2):.4f} bits = {entropy(p):.4f} nats")
    print("  surprise -log2 p  =", -np.log2(p), " (code lengths 1, 2, 3, 3 bits)")
    z = np.array([[2.0, 1.0, 0.1], [0.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    print("entropy of softmax(logits) per row:", entropy_from_logits(z), " max log 3 =", f"{np.log(3):.4f}")
