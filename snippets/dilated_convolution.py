"""Dilated (atrous) convolution: a kernel whose taps are spaced ``dilation`` pixels apart.

With dilation ``d`` a ``k x k`` kernel covers a ``d (k - 1) + 1`` square while keeping ``k^2`` weights:

    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*s + d*p, j*s + d*q] * w[f, c, p, q].

Layouts and the output size follow ``torch.nn.Conv2d(..., dilation=d)`` and
``torch.nn.functional.conv2d``: input (N, C, H, W), weight (F, C, KH, KW), zero padding, no kernel flip,
``H' = (H + 2 pad - d (KH - 1) - 1) // stride + 1``. ``d = 1`` is the ordinary convolution of
:mod:`snippets.convolution`.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.convolution import conv2d_forward

__all__ = [
    "dilated_output_size",
    "dilate_kernel",
    "dilated_conv2d_forward",
    "dilated_conv2d_backward",
    "receptive_field",
    "receptive_field_mask",
]


def dilated_output_size(size, kernel, stride=1, pad=0, dilation=1):
    """Output length along one axis, as documented for ``torch.nn.Conv2d``.

    Parameters
    ----------
    size, kernel, stride, pad, dilation : int

    Returns
    -------
    int
        ``(size + 2 pad - dilation (kernel - 1) - 1) // stride + 1``.
    """
    return (size + 2 * pad - dilation * (kernel - 1) - 1) // stride + 1


def dilate_kernel(w, dilation):
    """Insert ``dilation - 1`` zeros between the taps of a kernel.

    A convolution with this kernel equals ``torch.nn.functional.conv2d(x, w, dilation=d)``.

    Parameters
    ----------
    w : ndarray of shape (F, C, KH, KW)
    dilation : int

    Returns
    -------
    w_dil : ndarray of shape (F, C, d (KH - 1) + 1, d (KW - 1) + 1)
        An ordinary kernel equal to ``w`` at the taps and zero in the holes ("a trous").
    """
    F, C, KH, KW = w.shape
    d = int(dilation)
    w_dil = np.zeros((F, C, d * (KH - 1) + 1, d * (KW - 1) + 1))
    w_dil[:, :, ::d, ::d] = w
    return w_dil


def dilated_conv2d_forward(x, w, b, stride=1, pad=0, dilation=1):
    """Dilated cross-correlation, like ``torch.nn.functional.conv2d(x, w, b, stride, pad, dilation)``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, KH, KW)
    b : ndarray of shape (F,)
    stride, pad : int
    dilation : int
        Spacing between kernel taps; 1 is an ordinary convolution.

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
        ``H' = (H + 2 pad - dilation (KH - 1) - 1) // stride + 1``, likewise ``W'``.
    cache : tuple
    """
    if int(dilation) < 1:
        raise ValueError("dilation must be a positive integer")
    x = np.asarray(x, dtype=np.float64)
    F, C, KH, KW = w.shape
    d = int(dilation)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    span_h, span_w = d * (KH - 1) + 1, d * (KW - 1) + 1
    # windows[n, c, i, j, p, q] = xp[n, c, i*stride + d*p, j*stride + d*q]
    windows = sliding_window_view(xp, (span_h, span_w), axis=(2, 3))[:, :, ::stride, ::stride, ::d, ::d]
    out = np.einsum("ncijpq,fcpq->nfij", windows, w, optimize=True) + b[None, :, None, None]
    return out, (x.shape, xp.shape, windows, w, stride, pad, d)


def dilated_conv2d_backward(dout, cache):
    """Backward pass of :func:`dilated_conv2d_forward`.

    What autograd computes for ``torch.nn.functional.conv2d(..., dilation=d)``.

    Parameters
    ----------
    dout : ndarray of shape (N, F, H', W')
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, KH, KW)
    db : ndarray of shape (F,)
    """
    x_shape, xp_shape, windows, w, stride, pad, d = cache
    _, _, KH, KW = w.shape
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfij,ncijpq->fcpq", dout, windows, optimize=True)
    dxp = np.zeros(xp_shape)
    for p in range(KH):
        for q in range(KW):
            r, s = d * p, d * q  # where tap (p, q) reads, relative to the window's corner
            dxp[:, :, r : r + stride * Ho : stride, s : s + stride * Wo : stride] += np.einsum("nfij,fc->ncij", dout, w[:, :, p, q])
    H, W = x_shape[2:]
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def receptive_field(kernels, dilations, strides=None):
    """Receptive field (along one axis) of a stack of convolutions.

    The arithmetic behind receptive-field calculators for stacks of ``torch.nn.Conv1d``/``Conv2d`` layers.

    ``1 + sum_l d_l (k_l - 1) * prod_{j < l} s_j``: each layer adds its span minus one, measured in
    input pixels (the product of the earlier strides).

    Parameters
    ----------
    kernels, dilations : sequence of int, length L
    strides : sequence of int, length L, optional
        Default all 1.

    Returns
    -------
    int
    """
    strides = [1] * len(kernels) if strides is None else strides
    rf, jump = 1, 1
    for k, d, s in zip(kernels, dilations, strides):
        rf += d * (k - 1) * jump
        jump *= s
    return rf


def receptive_field_mask(length, kernel, dilations):
    """Which inputs of a 1-D signal reach the centre output of a stack of dilated convolutions.

    Layers are ``torch.nn.Conv1d(1, 1, kernel, padding=d*(kernel-1)//2, dilation=d)`` with all-one weights.

    Found by backpropagating a unit gradient from the centre output through layers whose weights are
    all one ("same" zero padding, stride 1), so ``mask[l, t]`` counts the paths from input ``t`` to the
    centre output after layer ``l + 1``.

    Parameters
    ----------
    length : int
        Signal length (odd, so there is a centre).
    kernel : int
        Odd kernel size of every layer.
    dilations : sequence of int, length L

    Returns
    -------
    mask : ndarray of shape (L, length)
    """
    mask = []
    for depth in range(1, len(dilations) + 1):
        x = np.zeros((1, 1, 1, length))
        caches = []
        for d in dilations[:depth]:
            w = np.ones((1, 1, 1, kernel))
            out, cache = _conv_width_only(x, w, d, pad=d * (kernel - 1) // 2)
            caches.append(cache)
            x = out
        g = np.zeros_like(x)
        g[0, 0, 0, length // 2] = 1.0
        for cache in reversed(caches):
            g = _conv_width_only_backward(g, cache)
        mask.append(g[0, 0, 0])
    return np.array(mask)


def _conv_width_only(x, w, d, pad):
    # "same" zero padding along the width only (the signal is a 1-pixel-high image)
    xp = np.pad(x, ((0, 0), (0, 0), (0, 0), (pad, pad)))
    out, cache = dilated_conv2d_forward(xp, w, np.zeros(1), dilation=d)
    return out, (cache, pad)


def _conv_width_only_backward(dout, cache):
    inner, pad = cache
    dxp = dilated_conv2d_backward(dout, inner)[0]
    return dxp[:, :, :, pad : dxp.shape[3] - pad]


# ---------------------------------------------------------------- checks


def check_equals_ordinary_convolution_with_zero_inserted_kernel():
    rng = np.random.default_rng(0)
    for stride, pad, d in [(1, 0, 2), (2, 1, 3), (1, 2, 2), (1, 1, 1)]:
        x, w, b = rng.normal(size=(2, 3, 11, 10)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
        out, _ = dilated_conv2d_forward(x, w, b, stride, pad, d)
        ref, _ = conv2d_forward(x, dilate_kernel(w, d), b, stride, pad)
        assert out.shape == (2, 4, dilated_output_size(11, 3, stride, pad, d), dilated_output_size(10, 2, stride, pad, d))
        assert_close(out, ref, rtol=1e-12, atol=1e-12, what=f"dilation {d} vs zero-inserted kernel")


def check_pytorch_output_sizes():
    # DeepLab-style "same" padding: pad = d for a 3x3 kernel keeps the size at any dilation.
    for d in (1, 2, 4, 8):
        assert dilated_output_size(65, 3, 1, d, d) == 65
    assert dilated_output_size(10, 3, 1, 0, 4) == 2  # span 9 fits twice in 10
    assert dilated_output_size(8, 3, 1, 0, 4) == 0  # span 9 does not fit


def check_receptive_field_grows_exponentially_with_doubling_dilations():
    # kernel 3, dilations 1, 2, 4, ..., 2^(L-1): 2^(L+1) - 1, with every input covered.
    for L in range(1, 7):
        assert receptive_field([3] * L, [2**i for i in range(L)]) == 2 ** (L + 1) - 1
    assert receptive_field([3] * 4, [1] * 4) == 9  # undilated: linear growth
    assert receptive_field([3, 3], [1, 1], [2, 1]) == 7  # stride 2 doubles what the second layer adds
    mask = receptive_field_mask(33, 3, [1, 2, 4, 8])
    assert [int(np.count_nonzero(m)) for m in mask] == [3, 7, 15, 31]


def check_gridding_when_dilations_share_a_factor():
    # Dilations 2, 2, 2 reach 13 inputs wide but see only every other one: a checkerboard of holes.
    mask = receptive_field_mask(21, 3, [2, 2, 2])[-1]
    seen = np.flatnonzero(mask) - 10
    assert seen.min() == -6 and seen.max() == 6 and np.all(seen % 2 == 0)
    assert receptive_field([3] * 3, [2] * 3) == 13


def check_backward_gradient():
    # tolerance 1e-6: a few entries of dx are ~1e-4, where the centred difference's ~1e-9
    # absolute error is already a relative error of a few 1e-7.
    rng = np.random.default_rng(1)
    for stride, pad, d in [(1, 0, 2), (2, 1, 2), (1, 3, 3)]:
        x, w, b = rng.normal(size=(2, 2, 9, 8)), rng.normal(size=(3, 2, 3, 2)), rng.normal(size=3)
        out, cache = dilated_conv2d_forward(x, w, b, stride, pad, d)
        dout = rng.normal(size=out.shape)
        dx, dw, db = dilated_conv2d_backward(dout, cache)
        f = lambda x_, w_, b_: dilated_conv2d_forward(x_, w_, b_, stride, pad, d)[0]
        assert_gradient_close(dx, numerical_gradient_array(lambda z: f(z, w, b), x, dout), tol=1e-6, what="dx")
        assert_gradient_close(dw, numerical_gradient_array(lambda z: f(x, z, b), w, dout), tol=1e-6, what="dw")
        assert_gradient_close(db, numerical_gradient_array(lambda z: f(x, w, z), b, dout), tol=1e-7, what="db")


def check_rejects_bad_dilation_and_handles_single_pixel():
    try:
        dilated_conv2d_forward(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), np.zeros(1), dilation=0)
    except ValueError:
        pass
    else:
        raise AssertionError("dilation 0 must be rejected")
    # A 1x1 image with "same" padding: only the centre tap ever touches real data.
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    out, _ = dilated_conv2d_forward(np.full((1, 1, 1, 1), 2.0), w, np.zeros(1), pad=4, dilation=4)
    assert out.shape == (1, 1, 1, 1) and out[0, 0, 0, 0] == 2.0 * w[0, 0, 1, 1]


def plot_receptive_fields(length=33, kernel=3):
    """Figure for the page: inputs reaching one output, for dilations 1,1,1,1 / 1,2,4,8 / 2,2,2,2."""
    import matplotlib.pyplot as plt

    stacks = {"dilations 1, 1, 1, 1": [1, 1, 1, 1], "dilations 1, 2, 4, 8": [1, 2, 4, 8], "dilations 2, 2, 2, 2": [2, 2, 2, 2]}
    fig, axes = plt.subplots(3, 1, figsize=(9, 4.6), sharex=True)
    for ax, (title, dil) in zip(axes, stacks.items()):
        mask = receptive_field_mask(length, kernel, dil)
        ax.imshow(
            mask > 0,
            cmap="Blues",
            aspect="auto",
            interpolation="nearest",
            extent=(-(length // 2) - 0.5, length // 2 + 0.5, len(dil) + 0.5, 0.5),
        )
        ax.set_yticks(range(1, len(dil) + 1))
        ax.set_ylabel("layer")
        ax.set_title(f"{title}: receptive field {receptive_field([kernel] * len(dil), dil)}", fontsize=9)
    axes[-1].set_xlabel("input position relative to the output")
    fig.tight_layout()
    fig.set_label(
        "Inputs that reach one output after 1 to 4 layers of 3-tap convolutions: with dilation 1 "
        "the field grows by 2 per layer to 9; with dilations 1, 2, 4, 8 it doubles to 31 with no "
        "gaps; with dilation 2 everywhere it reaches 17 but only every other input is seen."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.arange(1.0, 10.0).reshape(1, 1, 1, 9)
    w = np.array([1.0, 0.0, -1.0]).reshape(1, 1, 1, 3)
    for d in (1, 2, 4):
        out, _ = dilated_conv2d_forward(x, w, np.zeros(1), dilation=d)
        print(f"x = 1..9, kernel [1, 0, -1], dilation {d}: span {d * 2 + 1}, output {out.ravel()}")
    print("kernel [1, 0, -1] with dilation 2 as an ordinary kernel:", dilate_kernel(w, 2).ravel())
    for dil in ([1, 1, 1, 1], [1, 2, 4, 8], [2, 2, 2, 2]):
        mask = receptive_field_mask(33, 3, dil)[-1]
        print(f"dilations {dil}: receptive field {receptive_field([3] * 4, dil):>2}, inputs actually seen {np.count_nonzero(mask):>2}")
    print("output size, 64 wide, kernel 3, pad 4, dilation 4:", dilated_output_size(64, 3, 1, 4, 4))
    plot_receptive_fields()
