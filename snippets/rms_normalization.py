"""RMS normalization (Zhang & Sennrich, 2019): rescale each vector by its root mean square.

    y = x / sqrt(mean(x^2) + eps) * weight

Conventions follow ``torch.nn.RMSNorm(D, eps=None, elementwise_affine=True)``: the root mean square
is taken over the last axis, ``eps`` is added *inside* the square root, ``eps=None`` means the
machine epsilon of the input's dtype (``torch.finfo(x.dtype).eps``), and the learned ``weight``
(initialised to ones) has shape (D,). There is no mean subtraction and no bias, unlike
:mod:`snippets.layer_normalization`. Hugging Face's ``LlamaRMSNorm`` computes the same thing with
``eps = config.rms_norm_eps`` (typically 1e-6 or 1e-5), in float32.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.layer_normalization import layer_norm_forward


def rms_norm_forward(x, weight, eps=None):
    r"""RMS normalization over the last axis.

    $$r = \Big(\frac1D \sum_j x_j^2 + \epsilon\Big)^{-1/2}, \qquad y_j = w_j\, x_j\, r .$$

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Any leading axes, e.g. (N, T, D).
    weight : ndarray of shape (D,)
        Learned per-feature gain.
    eps : float, optional
        Added to the mean square; default ``np.finfo(x.dtype).eps`` as in PyTorch.

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
    """
    x = np.asarray(x, dtype=np.float64)
    eps = np.finfo(x.dtype).eps if eps is None else eps
    r = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return weight * x * r, (x, r, weight)


def rms_norm_backward(dout, cache):
    r"""Backward pass of :func:`rms_norm_forward`.

    With $g = w \odot \partial L/\partial y$:
    $\partial L/\partial x = r\,\big(g - x\, r^2 \operatorname{mean}_j(g_j x_j)\big)$ and
    $\partial L/\partial w = \sum (\partial L/\partial y) \odot x r$ over the leading axes.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, D)
    dweight : ndarray of shape (D,)
    """
    x, r, w = cache
    g = dout * w
    dx = r * (g - x * r * r * np.mean(g * x, axis=-1, keepdims=True))
    dweight = np.sum(dout * x * r, axis=tuple(range(dout.ndim - 1)))
    return dx, dweight


def rms(x):
    """Root mean square over the last axis.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    ndarray of shape (N,)
    """
    return np.sqrt(np.mean(np.asarray(x, dtype=np.float64) ** 2, axis=-1))


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=3, D=5):
    rng = np.random.default_rng(seed)
    return rng.normal(loc=1.0, scale=2.0, size=(N, D)), rng.normal(size=D)


def check_output_has_unit_rms():
    x, _ = _problem(0)
    out, _ = rms_norm_forward(x, np.ones(5))
    assert_close(rms(out), np.ones(3), rtol=1e-12)


def check_equals_layer_norm_for_zero_mean_inputs():
    x, w = _problem(1)
    x = x - x.mean(axis=-1, keepdims=True)  # then mean(x^2) is the variance
    ln, _ = layer_norm_forward(x, w, np.zeros(5), eps=1e-5)
    rn, _ = rms_norm_forward(x, w, eps=1e-5)
    assert_close(rn, ln, rtol=1e-12)


def check_scale_invariant_but_not_shift_invariant():
    x, w = _problem(2)
    a, _ = rms_norm_forward(x, w)
    assert_close(rms_norm_forward(37.0 * x, w)[0], a, rtol=1e-12, what="x -> 37 x")
    assert_close(rms_norm_forward(-x, w)[0], -a, rtol=1e-12, what="odd function")
    assert not np.allclose(rms_norm_forward(x + 3.0, w)[0], a), "a shift changes the output"
    ln_a, _ = layer_norm_forward(x, w, np.zeros(5))
    ln_b, _ = layer_norm_forward(x + 3.0, w, np.zeros(5))
    assert_close(ln_b, ln_a, rtol=1e-10, what="layer norm ignores the shift")


def check_gradient_is_orthogonal_to_the_input():
    # Scale invariance (with eps = 0) means moving x along itself changes nothing, so the input
    # gradient has no component along x: x . dx = 0 for every row (Euler's theorem, degree 0).
    x, w = _problem(3)
    dout = np.random.default_rng(4).normal(size=x.shape)
    _, cache = rms_norm_forward(x, w, eps=0.0)
    dx, _ = rms_norm_backward(dout, cache)
    assert_close(np.sum(dx * x, axis=-1), np.zeros(3), rtol=0, atol=1e-12)


def check_backward_matches_numerical_gradient():
    # Centred differences in float64 for x and weight, with eps = 1e-6 and the default eps, and
    # with a leading sequence axis; relative error below 1e-7.
    rng = np.random.default_rng(5)
    for shape, eps in (((3, 5), 1e-6), ((2, 3, 4), None)):
        x, w, dout = rng.normal(size=shape), rng.normal(size=shape[-1]), rng.normal(size=shape)
        _, cache = rms_norm_forward(x, w, eps)
        dx, dw = rms_norm_backward(dout, cache)
        assert_gradient_close(dx, numerical_gradient_array(lambda z: rms_norm_forward(z, w, eps)[0], x, dout), tol=1e-7)
        assert_gradient_close(dw, numerical_gradient_array(lambda z: rms_norm_forward(x, z, eps)[0], w, dout), tol=1e-7)


def check_zero_tiny_and_huge_vectors_are_finite():
    w = np.ones(4)
    out, cache = rms_norm_forward(np.zeros((1, 4)), w, eps=1e-6)  # eps avoids 0 / 0
    assert np.all(out == 0.0) and np.all(np.isfinite(rms_norm_backward(np.ones((1, 4)), cache)[0]))
    huge, _ = rms_norm_forward(np.array([[1e150, -1e150, 1e150, 0.0]]), w)
    assert_close(rms(huge), [1.0], rtol=1e-12)
    tiny, _ = rms_norm_forward(np.array([[1e-20, 0.0, 0.0, 0.0]]), w, eps=1e-6)
    assert np.all(np.isfinite(tiny)) and np.all(np.abs(tiny) < 1e-16), "eps dominates: nothing is amplified"


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([[1.0, 2.0, 3.0, 6.0]])
    w = np.ones(4)
    print("x:", x[0], " RMS(x) =", round(float(rms(x)[0]), 4), " mean =", x.mean())
    print("RMSNorm(x):  ", rms_norm_forward(x, w)[0][0], " RMS =", round(float(rms(rms_norm_forward(x, w)[0])[0]), 4))
    print("LayerNorm(x):", layer_norm_forward(x, w, np.zeros(4))[0][0])
    print("RMSNorm(10 x):", rms_norm_forward(10 * x, w)[0][0], " (scale invariant)")
    print("RMSNorm(x + 5):", rms_norm_forward(x + 5, w)[0][0], " (not shift invariant)")
    print("LayerNorm(x + 5):", layer_norm_forward(x + 5, w, np.zeros(4))[0][0], " (shift invariant)")
    print("default eps (float64 machine epsilon):", np.finfo(np.float64).eps)
    rng = np.random.default_rng(0)
    h = rng.normal(size=(2, 3, 8))
    out, cache = rms_norm_forward(h, np.full(8, 0.5), eps=1e-6)
    print("(N, T, D) = (2, 3, 8) input, weight 0.5: RMS of every output vector:", rms(out).round(6))
