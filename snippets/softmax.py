"""Softmax: turn a vector of real scores (logits) into a probability distribution.

``softmax`` itself comes from :mod:`snippets.activation_function`; this module adds
what the softmax page needs: a stable ``logsumexp`` and ``log_softmax``, the
Jacobian and the backward pass, and temperature.

Conventions follow PyTorch: the softmax is taken along ``axis=-1`` (the class
axis of logits of shape (N, C)), like ``torch.softmax(x, dim=-1)``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import sigmoid, softmax

__all__ = [
    "softmax",
    "logsumexp",
    "log_softmax",
    "softmax_with_temperature",
    "softmax_jacobian",
    "softmax_forward",
    "softmax_backward",
    "log_softmax_forward",
    "log_softmax_backward",
]


def logsumexp(x, axis=-1, keepdims=False):
    """Stable ``log(sum(exp(x)))`` along ``axis``.

    Subtracting the maximum first means ``exp`` never sees a positive argument,
    so it cannot overflow: ``lse(x) = m + log(sum(exp(x - m)))`` with ``m = max(x)``.
    Same result as ``torch.logsumexp`` and ``scipy.special.logsumexp``.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Scores (any shape; reduced along ``axis``).
    axis : int
        Axis to reduce.
    keepdims : bool
        Keep the reduced axis with length 1.

    Returns
    -------
    out : ndarray of shape (N,), or (N, 1) if ``keepdims``
    """
    x = np.asarray(x, dtype=np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def log_softmax(x, axis=-1):
    """Log of the softmax, computed stably as ``x - logsumexp(x)``.

    Never takes ``log`` of a probability, so a class whose probability
    underflows to 0.0 still gets a finite log-probability (e.g. -1000), where
    ``np.log(softmax(x))`` would give ``-inf``. Like ``torch.log_softmax(x, dim=-1)``.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Logits.
    axis : int
        Class axis.

    Returns
    -------
    logp : ndarray of shape (N, C)
        Log-probabilities; ``exp(logp)`` sums to one along ``axis``.
    """
    x = np.asarray(x, dtype=np.float64)
    return x - logsumexp(x, axis=axis, keepdims=True)


def softmax_with_temperature(x, temperature=1.0, axis=-1):
    """Softmax of ``x / temperature``.

    ``temperature > 1`` flattens the distribution towards uniform, ``< 1``
    sharpens it towards a one-hot vector at the argmax; 1 is the plain softmax.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Logits.
    temperature : float
        Must be positive.
    axis : int
        Class axis.

    Returns
    -------
    p : ndarray of shape (N, C)
    """
    if not temperature > 0:
        raise ValueError("temperature must be positive")
    return softmax(np.asarray(x, dtype=np.float64) / temperature, axis=axis)


def softmax_jacobian(y):
    """Jacobian of the softmax at output ``y``: ``J[i, j] = dy_i/dx_j = y_i (delta_ij - y_j)``.

    In matrix form ``J = diag(y) - y y^T``: symmetric, rows sum to zero (adding a
    constant to every logit changes nothing) and positive semi-definite.

    Parameters
    ----------
    y : ndarray of shape (C,)
        One softmax output (a probability vector).

    Returns
    -------
    J : ndarray of shape (C, C)
    """
    y = np.asarray(y, dtype=np.float64)
    return np.diag(y) - np.outer(y, y)


def softmax_forward(x):
    """Softmax over the last axis, keeping what the backward pass needs.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Logits.

    Returns
    -------
    y : ndarray of shape (N, C)
        Probabilities.
    cache : ndarray of shape (N, C)
        The output ``y`` itself: the Jacobian depends only on it.
    """
    y = softmax(np.asarray(x, dtype=np.float64), axis=-1)
    return y, y


def softmax_backward(dout, cache):
    """Backward pass of :func:`softmax_forward`: ``dx = J^T dout`` row by row.

    With ``J = diag(y) - y y^T`` this is ``dx = y * (dout - sum(dout * y))``,
    O(C) per row instead of building the C x C Jacobian.

    Parameters
    ----------
    dout : ndarray of shape (N, C)
        Upstream gradient with respect to the probabilities.
    cache : ndarray of shape (N, C)
        The softmax output ``y`` returned by :func:`softmax_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C)
        Gradient with respect to the logits.
    """
    y = cache
    return y * (dout - np.sum(dout * y, axis=-1, keepdims=True))


def log_softmax_forward(x):
    """Log-softmax over the last axis, keeping what the backward pass needs.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Logits.

    Returns
    -------
    logp : ndarray of shape (N, C)
    cache : ndarray of shape (N, C)
        ``logp`` itself.
    """
    logp = log_softmax(x, axis=-1)
    return logp, logp


def log_softmax_backward(dout, cache):
    """Backward pass of :func:`log_softmax_forward`: ``dx = dout - softmax(x) * sum(dout)``.

    Parameters
    ----------
    dout : ndarray of shape (N, C)
        Upstream gradient with respect to the log-probabilities.
    cache : ndarray of shape (N, C)
        The log-probabilities returned by :func:`log_softmax_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C)
    """
    p = np.exp(cache)
    return dout - p * np.sum(dout, axis=-1, keepdims=True)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch and SciPy tabs).

    Several shapes (a batch of rows, a single row, one class, a 3-D batch normalised along its
    last axis), logits near +-1000 where a naive softmax overflows, ties, and masked entries
    set to ``-inf`` (probability exactly 0, log-probability ``-inf``).

    Returns
    -------
    list of dict with logits x (..., C) and an upstream gradient dout of the same shape
    """
    rng = np.random.default_rng(11)
    xs = [
        rng.normal(size=(4, 3)),
        rng.normal(scale=3.0, size=(2, 10)),
        rng.normal(size=(1, 5)),
        np.array([[0.7], [-2.0]]),  # one class: probability 1, log-probability 0
        rng.normal(size=(2, 3, 4)),  # normalised along the last axis only
        np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 3.0]]),
        np.array([[2.0, 2.0, 2.0, 2.0], [5.0, 5.0, -1.0, 0.0]]),  # ties
        np.array([[1.0, -np.inf, 0.5, -np.inf], [-np.inf, 3.0, -np.inf, -np.inf]]),  # masked
    ]
    return [{"x": x, "dout": rng.normal(size=x.shape)} for x in xs]


def softmax_and_gradient(x, dout):
    """Softmax over the last axis and the gradient reaching the logits for upstream ``dout``.

    What autograd computes for ``p = torch.softmax(x, dim=-1); p.backward(dout)``.

    Parameters
    ----------
    x : ndarray of shape (N, C)
        Logits (any leading shape; normalised along the last axis).
    dout : ndarray of shape (N, C)
        Upstream gradient with respect to the probabilities.

    Returns
    -------
    p : ndarray of shape (N, C)
    dx : ndarray of shape (N, C)
    """
    p, cache = softmax_forward(x)
    return p, softmax_backward(dout, cache)


def log_softmax_and_gradient(x, dout):
    """Log-softmax over the last axis and the gradient reaching the logits for upstream ``dout``.

    Parameters
    ----------
    x : ndarray of shape (N, C)
    dout : ndarray of shape (N, C)
        Upstream gradient with respect to the log-probabilities.

    Returns
    -------
    logp : ndarray of shape (N, C)
    dx : ndarray of shape (N, C)
    """
    logp, cache = log_softmax_forward(x)
    return logp, log_softmax_backward(dout, cache)


def softmax_log_softmax_logsumexp(x, dout=None):
    """The three values SciPy's ``scipy.special`` computes along the last axis.

    Parameters
    ----------
    x : ndarray of shape (N, C)
    dout : ignored
        Present because every case carries one (the gradients are compared in the PyTorch tab).

    Returns
    -------
    p : ndarray of shape (N, C)
    logp : ndarray of shape (N, C)
    lse : ndarray of shape (N,)
    """
    return softmax(x, axis=-1), log_softmax(x, axis=-1), logsumexp(x, axis=-1)


# ---------------------------------------------------------------- checks


def check_rows_are_probability_distributions():
    x = np.random.default_rng(0).normal(scale=3.0, size=(5, 4))
    y = softmax(x)
    assert np.all(y > 0)
    assert_close(y.sum(axis=-1), np.ones(5), rtol=1e-12, what="row sums")


def check_shift_invariance():
    x = np.random.default_rng(1).normal(size=(3, 4))
    assert_close(softmax(x + 100.0), softmax(x), rtol=1e-12, what="softmax(x + c)")
    assert_close(log_softmax(x - 50.0), log_softmax(x), rtol=1e-12, what="log_softmax(x + c)")


def check_large_logits_do_not_overflow():
    x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]])
    y = softmax(x)
    assert np.all(np.isfinite(y))
    # Closed form: same as softmax([0, 1, 2]).
    e = np.exp([0.0, 1.0, 2.0])
    assert_close(y[0], e / e.sum(), rtol=1e-12, what="softmax of shifted logits")
    logp = log_softmax(x)
    assert np.all(np.isfinite(logp))
    assert_close(logp[1], [-2000.0, -1000.0, 0.0], rtol=1e-12, what="log_softmax far in the tail")


def check_logsumexp_matches_naive_and_bounds():
    x = np.random.default_rng(2).normal(size=(4, 6))
    lse = logsumexp(x)
    assert_close(lse, np.log(np.sum(np.exp(x), axis=-1)), rtol=1e-12, what="logsumexp")
    # max(x) <= lse(x) <= max(x) + log C
    assert np.all(lse >= x.max(axis=-1)) and np.all(lse <= x.max(axis=-1) + np.log(6))


def check_log_softmax_is_log_of_softmax():
    x = np.random.default_rng(3).normal(size=(4, 5))
    assert_close(log_softmax(x), np.log(softmax(x)), rtol=1e-12, what="log_softmax")


def check_two_classes_is_sigmoid_of_difference():
    a, b = np.random.default_rng(4).normal(size=(2, 7))
    y = softmax(np.stack([a, b], axis=-1))
    assert_close(y[:, 0], sigmoid(a - b), rtol=1e-12, what="softmax([a, b])[0]")


def check_jacobian_properties_and_numerical_jacobian():
    rng = np.random.default_rng(5)
    x = rng.normal(size=4)
    y = softmax(x)
    J = softmax_jacobian(y)
    assert_close(J, J.T, rtol=0, atol=1e-15, what="J symmetric")
    assert_close(J.sum(axis=1), np.zeros(4), rtol=0, atol=1e-15, what="J rows sum")
    assert np.min(np.linalg.eigvalsh(J)) > -1e-12, "J is positive semi-definite"
    # Row i of the Jacobian is the gradient of y_i, i.e. sum(y * e_i), with respect to x.
    J_num = np.stack([numerical_gradient_array(lambda z: softmax(z), x.copy(), np.eye(4)[i]) for i in range(4)])
    assert_gradient_close(J, J_num, tol=1e-7, what="softmax Jacobian")


def check_softmax_backward_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(6)
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    _, cache = softmax_forward(x)
    dx = softmax_backward(dout, cache)
    assert_gradient_close(dx, numerical_gradient_array(lambda z: softmax_forward(z)[0], x, dout), tol=1e-7)
    # Same as multiplying by the explicit Jacobian, row by row.
    y = cache
    assert_close(dx, np.stack([softmax_jacobian(y[n]).T @ dout[n] for n in range(3)]), rtol=1e-10)


def check_log_softmax_backward_gradient():
    rng = np.random.default_rng(7)
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    _, cache = log_softmax_forward(x)
    dx = log_softmax_backward(dout, cache)
    assert_gradient_close(dx, numerical_gradient_array(log_softmax, x, dout), tol=1e-7)


def check_temperature_limits():
    x = np.array([2.0, 1.0, 0.1])
    assert_close(softmax_with_temperature(x, 1.0), softmax(x), rtol=1e-12)
    assert_close(softmax_with_temperature(x, 0.01), [1.0, 0.0, 0.0], rtol=0, atol=1e-40)
    assert_close(softmax_with_temperature(x, 1e6), np.full(3, 1 / 3), rtol=1e-5)
    # Argmax never changes with temperature.
    for t in (0.1, 0.5, 2.0, 10.0):
        assert np.argmax(softmax_with_temperature(x, t)) == 0


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([2.0, 1.0, 0.1])
    print("logits                 ", x)
    print("softmax                ", softmax(x), " sum =", f"{softmax(x).sum():.4f}")
    print("softmax(logits + 100)  ", softmax(x + 100.0), " (shift invariant)")
    print("log_softmax            ", log_softmax(x))
    for t in (0.5, 1.0, 5.0):
        print(f"temperature {t:<4}       ", softmax_with_temperature(x, t))
    big = np.array([1000.0, 1001.0, 1002.0])
    print("softmax([1000, 1001, 1002])", softmax(big), " no overflow")
    print("log_softmax([0, -1000])    ", log_softmax(np.array([0.0, -1000.0])), " finite, not -inf")
    print("Jacobian diag(y) - y y^T at softmax(logits):")
    print(softmax_jacobian(softmax(x)))
