"""Depthwise separable convolution: a per-channel spatial filter, then a 1x1 channel mixer.

A standard convolution with ``F`` filters of size ``k x k`` over ``C`` channels has ``F C k^2``
weights. The separable version factorises it into

* a **depthwise** convolution: one ``k x k`` filter per input channel, applied to that channel only
  (``torch.nn.Conv2d(C, C, k, groups=C)``, weight of shape (C, 1, k, k)), and
* a **pointwise** convolution: a 1x1 convolution that mixes channels
  (``torch.nn.Conv2d(C, F, 1)``, weight of shape (F, C, 1, 1)),

with ``C k^2 + F C`` weights. Layouts, stride and zero padding follow PyTorch (NCHW, cross-correlation,
floor for the output size); the pointwise step reuses :func:`snippets.convolution.conv2d_forward`.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.convolution import conv2d_backward, conv2d_forward

__all__ = [
    "depthwise_conv2d_forward",
    "depthwise_conv2d_backward",
    "separable_conv2d_forward",
    "separable_conv2d_backward",
    "conv_cost",
    "separable_cost",
]


def depthwise_conv2d_forward(x, w, b, stride=1, pad=0):
    """Depthwise convolution: channel ``c`` of the output is channel ``c`` of the input filtered by ``w[c]``.

    Mirrors ``torch.nn.functional.conv2d(x, w, b, stride, pad, groups=C)`` with a depth multiplier of
    one, i.e. ``torch.nn.Conv2d(C, C, k, groups=C)``, whose weight has shape (C, 1, kH, kW).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (C, 1, KH, KW)
        One filter per channel (PyTorch's grouped-conv layout: in_channels / groups = 1).
    b : ndarray of shape (C,)
    stride, pad : int

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
        ``H' = (H + 2 pad - KH) // stride + 1``, likewise ``W'``.
    cache : tuple
    """
    x = np.asarray(x, dtype=np.float64)
    C, one, KH, KW = w.shape
    if one != 1 or x.shape[1] != C:
        raise ValueError(f"depthwise weight must be (C, 1, KH, KW) with C = {x.shape[1]}, got {w.shape}")
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    windows = sliding_window_view(xp, (KH, KW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("ncijpq,cpq->ncij", windows, w[:, 0], optimize=True) + b[None, :, None, None]
    return out, (x.shape, xp.shape, windows, w, stride, pad)


def depthwise_conv2d_backward(dout, cache):
    """Backward pass of :func:`depthwise_conv2d_forward`.

    What autograd computes for ``torch.nn.functional.conv2d(..., groups=C)``.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (C, 1, KH, KW)
    db : ndarray of shape (C,)
    """
    x_shape, xp_shape, windows, w, stride, pad = cache
    _, _, KH, KW = w.shape
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("ncij,ncijpq->cpq", dout, windows, optimize=True)[:, None]
    dxp = np.zeros(xp_shape)
    for p in range(KH):
        for q in range(KW):
            dxp[:, :, p : p + stride * Ho : stride, q : q + stride * Wo : stride] += dout * w[None, :, 0, p, q, None, None]
    H, W = x_shape[2:]
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def separable_conv2d_forward(x, w_depth, b_depth, w_point, b_point, stride=1, pad=0):
    """Depthwise convolution followed by a pointwise (1x1) convolution.

    The same as ``torch.nn.Sequential(nn.Conv2d(C, C, k, stride, pad, groups=C), nn.Conv2d(C, F, 1))``
    (MobileNet puts batch norm and ReLU between and after the two; Xception does not, between them).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w_depth : ndarray of shape (C, 1, KH, KW)
    b_depth : ndarray of shape (C,)
    w_point : ndarray of shape (F, C, 1, 1)
    b_point : ndarray of shape (F,)
    stride, pad : int
        Of the depthwise step (the pointwise step has stride 1, no padding).

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
    cache : tuple
    """
    h, cache_d = depthwise_conv2d_forward(x, w_depth, b_depth, stride, pad)
    out, cache_p = conv2d_forward(h, w_point, b_point)
    return out, (cache_d, cache_p)


def separable_conv2d_backward(dout, cache):
    """Backward pass of :func:`separable_conv2d_forward`: pointwise first, then depthwise.

    What autograd computes for the two stacked ``torch.nn.Conv2d`` layers.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H', W')
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw_depth : ndarray of shape (C, 1, KH, KW)
    db_depth : ndarray of shape (C,)
    dw_point : ndarray of shape (F, C, 1, 1)
    db_point : ndarray of shape (F,)
    """
    cache_d, cache_p = cache
    dh, dw_point, db_point = conv2d_backward(dout, cache_p)
    dx, dw_depth, db_depth = depthwise_conv2d_backward(dh, cache_d)
    return dx, dw_depth, db_depth, dw_point, db_point


def conv_cost(C, F, k, H_out, W_out):
    """Weights and multiply-adds of a standard k x k convolution (biases not counted).

    The counts reported for ``torch.nn.Conv2d(C, F, k, bias=False)`` by FLOP counters such as fvcore (multiply-adds).

    Parameters
    ----------
    C, F, k, H_out, W_out : int
        Input channels, output channels, kernel size, output height and width.

    Returns
    -------
    params, mult_adds : int
        ``F C k^2`` and ``F C k^2 H_out W_out``.
    """
    params = F * C * k * k
    return params, params * H_out * W_out


def separable_cost(C, F, k, H_out, W_out):
    """Weights and multiply-adds of depthwise (k x k) plus pointwise (1x1) convolution.

    The same counts for ``nn.Conv2d(C, C, k, groups=C, bias=False)`` followed by ``nn.Conv2d(C, F, 1, bias=False)``.

    Parameters
    ----------
    C, F, k, H_out, W_out : int

    Returns
    -------
    params, mult_adds : int
        ``C k^2 + F C`` and ``(C k^2 + F C) H_out W_out``; the ratio to :func:`conv_cost` is
        ``1/F + 1/k^2``.
    """
    params = C * k * k + F * C
    return params, params * H_out * W_out


# ---------------------------------------------------------------- checks


def check_depthwise_is_a_block_diagonal_standard_convolution():
    # groups=C is a full convolution whose weight is zero between different channels.
    rng = np.random.default_rng(0)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3)
    w_full = np.zeros((3, 3, 3, 3))
    for c in range(3):
        w_full[c, c] = w[c, 0]
    for stride, pad in [(1, 0), (2, 1)]:
        out, _ = depthwise_conv2d_forward(x, w, b, stride, pad)
        ref, _ = conv2d_forward(x, w_full, b, stride, pad)
        assert_close(out, ref, rtol=1e-12, atol=1e-12, what=f"depthwise vs block-diagonal (stride={stride})")


def check_separable_equals_conv_with_factorised_kernel():
    # Without the middle bias, depthwise-then-pointwise is ONE convolution with kernel
    # W[f, c, p, q] = P[f, c] * D[c, p, q]: rank one across (channel, space) for each (f, c).
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 4, 7, 7))
    wd, wp, bp = rng.normal(size=(4, 1, 3, 3)), rng.normal(size=(5, 4, 1, 1)), rng.normal(size=5)
    out, _ = separable_conv2d_forward(x, wd, np.zeros(4), wp, bp, pad=1)
    w_full = wp[:, :, 0, 0][:, :, None, None] * wd[None, :, 0]
    ref, _ = conv2d_forward(x, w_full, bp, pad=1)
    assert_close(out, ref, rtol=1e-12, atol=1e-12, what="separable vs factorised full conv")


def check_cost_ratio_is_one_over_f_plus_one_over_k_squared():
    for C, F, k in [(32, 64, 3), (512, 512, 3), (3, 8, 5)]:
        p_std, m_std = conv_cost(C, F, k, 14, 14)
        p_sep, m_sep = separable_cost(C, F, k, 14, 14)
        assert_close(p_sep / p_std, 1 / F + 1 / k**2, rtol=1e-12, what="parameter ratio")
        assert_close(m_sep / m_std, 1 / F + 1 / k**2, rtol=1e-12, what="mult-add ratio")


def check_depthwise_backward_gradient():
    rng = np.random.default_rng(2)
    for stride, pad in [(1, 0), (2, 1), (1, 2)]:
        x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(3, 1, 3, 2)), rng.normal(size=3)
        out, cache = depthwise_conv2d_forward(x, w, b, stride, pad)
        dout = rng.normal(size=out.shape)
        dx, dw, db = depthwise_conv2d_backward(dout, cache)
        f = lambda x_, w_, b_: depthwise_conv2d_forward(x_, w_, b_, stride, pad)[0]
        assert_gradient_close(dx, numerical_gradient_array(lambda z: f(z, w, b), x, dout), tol=1e-7, what="dx")
        assert_gradient_close(dw, numerical_gradient_array(lambda z: f(x, z, b), w, dout), tol=1e-7, what="dw")
        assert_gradient_close(db, numerical_gradient_array(lambda z: f(x, w, z), b, dout), tol=1e-7, what="db")


def check_separable_backward_gradient():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 3, 5, 5))
    params = [rng.normal(size=(3, 1, 3, 3)), rng.normal(size=3), rng.normal(size=(4, 3, 1, 1)), rng.normal(size=4)]
    out, cache = separable_conv2d_forward(x, *params, stride=2, pad=1)
    dout = rng.normal(size=out.shape)
    grads = separable_conv2d_backward(dout, cache)
    args = [x] + params
    for i, name in enumerate(["dx", "dw_depth", "db_depth", "dw_point", "db_point"]):

        def f(z, i=i):
            a = list(args)
            a[i] = z
            return separable_conv2d_forward(*a, stride=2, pad=1)[0]

        assert_gradient_close(grads[i], numerical_gradient_array(f, args[i], dout), tol=1e-7, what=name)


def check_single_pixel_and_zero_input():
    # A batch of one 1x1 image with a 1x1 depthwise kernel is a per-channel scale then a matrix product;
    # a zero input gives exactly the propagated biases.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(1, 3, 1, 1))
    wd, bd, wp, bp = rng.normal(size=(3, 1, 1, 1)), rng.normal(size=3), rng.normal(size=(2, 3, 1, 1)), rng.normal(size=2)
    out, _ = separable_conv2d_forward(x, wd, bd, wp, bp)
    h = x[0, :, 0, 0] * wd[:, 0, 0, 0] + bd
    assert_close(out[0, :, 0, 0], wp[:, :, 0, 0] @ h + bp, rtol=1e-12, what="1x1 case")
    out0, _ = separable_conv2d_forward(np.zeros((1, 3, 4, 4)), rng.normal(size=(3, 1, 3, 3)), bd, wp, bp, pad=1)
    assert_close(out0, np.broadcast_to((wp[:, :, 0, 0] @ bd + bp)[None, :, None, None], out0.shape), rtol=1e-12)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    C, F, k = 32, 64, 3
    p_std, m_std = conv_cost(C, F, k, 56, 56)
    p_sep, m_sep = separable_cost(C, F, k, 56, 56)
    print(f"C={C} -> F={F}, k={k}, 56x56 output")
    print(f"standard conv : {p_std:>6} weights, {m_std:>10} mult-adds")
    print(f"separable conv: {p_sep:>6} weights ({C * k * k} depthwise + {F * C} pointwise), {m_sep:>9} mult-adds")
    print(f"ratio {p_sep / p_std:.4f} = 1/F + 1/k^2 = {1 / F + 1 / k**2:.4f}")
    # Two channels, a 3x3 box blur on the first and a vertical-edge filter on the second, then mix.
    x = np.stack([np.tile([0.0, 0.0, 3.0, 3.0], (4, 1)), np.eye(4)])[None]
    wd = np.stack([np.full((3, 3), 1 / 9), np.tile([-1.0, 0.0, 1.0], (3, 1))])[:, None]
    h, _ = depthwise_conv2d_forward(x, wd, np.zeros(2))
    print("depthwise output, channel 0 (blur of the step):\n", h[0, 0])
    print("depthwise output, channel 1 (edge filter on the identity):\n", h[0, 1])
    wp = np.array([[1.0, 0.0], [1.0, -1.0]])[:, :, None, None]
    out, _ = separable_conv2d_forward(x, wd, np.zeros(2), wp, np.zeros(2))
    print("pointwise mix [[1, 0], [1, -1]] -> output channel 1 = ch0 - ch1:\n", out[0, 1])
