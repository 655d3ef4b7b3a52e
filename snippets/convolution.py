"""2-D convolution layer, forward and backward, as in ``torch.nn.functional.conv2d``.

Like every deep-learning library, this computes a *cross-correlation*: the kernel is slid over
the input without being flipped,

    out[n, f, i, j] = b[f] + sum_{c, p, q} x_pad[n, c, i*s + p, j*s + q] * w[f, c, p, q].

The mathematical convolution flips the kernel; since the kernel is learned, the two define the
same family of layers. Shapes follow PyTorch: input (N, C, H, W), weight (F, C, HH, WW),
bias (F,), output (N, F, H', W') with ``H' = (H + 2 pad - HH) // stride + 1`` (floor, as in
PyTorch: rows that do not fit a whole window are dropped). Padding is with zeros.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array


def conv_output_size(size, kernel, stride=1, pad=0):
    """Output length along one axis: ``(size + 2 pad - kernel) // stride + 1``.

    Parameters
    ----------
    size, kernel, stride, pad : int

    Returns
    -------
    int
    """
    return (size + 2 * pad - kernel) // stride + 1


def conv2d_forward(x, w, b, stride=1, pad=0):
    """Cross-correlate a batch of images with a bank of filters.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Input images.
    w : ndarray of shape (F, C, HH, WW)
        F filters (PyTorch's ``weight`` layout: out_channels, in_channels, kH, kW).
    b : ndarray of shape (F,)
        One bias per filter.
    stride : int
    pad : int
        Zeros added on each side of both spatial axes.

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
        ``H' = (H + 2 pad - HH) // stride + 1``, likewise ``W'``.
    cache : tuple
        What :func:`conv2d_backward` needs.
    """
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    # windows[n, c, i, j, p, q] = xp[n, c, i*stride + p, j*stride + q]
    windows = sliding_window_view(xp, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("ncijpq,fcpq->nfij", windows, w, optimize=True) + b[None, :, None, None]
    return out, (x.shape, xp.shape, windows, w, stride, pad)


def conv2d_backward(dout, cache):
    """Backward pass of :func:`conv2d_forward`.

    ``dw`` correlates the input with the upstream gradient, ``db`` sums it, and ``dx`` scatters
    each output's gradient back over the window it came from (a "transposed convolution").

    Parameters
    ----------
    dout : ndarray of shape (N, F, H', W')
    cache : tuple
        From :func:`conv2d_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    x_shape, xp_shape, windows, w, stride, pad = cache
    _, _, HH, WW = w.shape
    Ho, Wo = dout.shape[2:]
    db = dout.sum(axis=(0, 2, 3))
    dw = np.einsum("nfij,ncijpq->fcpq", dout, windows, optimize=True)
    dxp = np.zeros(xp_shape)
    for p in range(HH):
        for q in range(WW):
            dxp[:, :, p : p + stride * Ho : stride, q : q + stride * Wo : stride] += np.einsum("nfij,fc->ncij", dout, w[:, :, p, q])
    H, W = x_shape[2:]
    return dxp[:, :, pad : pad + H, pad : pad + W], dw, db


def conv2d_naive(x, w, b, stride=1, pad=0):
    """The same cross-correlation with explicit loops, as a reference.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride, pad : int

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
    """
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = conv_output_size(H, HH, stride, pad), conv_output_size(W, WW, stride, pad)
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    patch = xp[n, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
                    out[n, f, i, j] = np.sum(patch * w[f]) + b[f]
    return out


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch and SciPy tabs).

    Several channel counts, a non-square kernel, stride with padding, a stride that leaves the last
    rows and columns unused (floor in the output size: they get no gradient), a 1x1 kernel, a kernel
    as large as the image, and the page's edge example.

    Returns
    -------
    list of dict with x (N, C, H, W), w (F, C, HH, WW), b (F,), the ints stride and pad, and an
    upstream gradient dout (N, F, H', W')
    """
    rng = np.random.default_rng(31)
    specs = [  # x shape, w shape, stride, pad
        ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
        ((2, 2, 7, 6), (3, 2, 3, 2), 2, 1),
        ((1, 2, 7, 8), (2, 2, 3, 3), 3, 0),  # row 6 and columns 6-7 are never covered
        ((1, 3, 6, 6), (2, 3, 1, 1), 1, 0),
        ((3, 1, 5, 5), (1, 1, 5, 5), 1, 2),
    ]
    cases = []
    for x_shape, w_shape, stride, pad in specs:
        Ho = conv_output_size(x_shape[2], w_shape[2], stride, pad)
        Wo = conv_output_size(x_shape[3], w_shape[3], stride, pad)
        cases.append(
            {
                "x": rng.normal(size=x_shape),
                "w": rng.normal(size=w_shape),
                "b": rng.normal(size=w_shape[0]),
                "stride": stride,
                "pad": pad,
                "dout": rng.normal(size=(x_shape[0], w_shape[0], Ho, Wo)),
            }
        )
    edge_x = np.tile([0.0, 0.0, 0.0, 1.0, 1.0, 1.0], (4, 1)).reshape(1, 1, 4, 6)
    edge_w = np.tile([-1.0, 0.0, 1.0], (3, 1)).reshape(1, 1, 3, 3)
    cases.append({"x": edge_x, "w": edge_w, "b": np.zeros(1), "stride": 1, "pad": 0, "dout": np.ones((1, 1, 2, 4))})
    return cases


def forward_and_gradients(x, w, b, stride, pad, dout):
    """Convolution output and the gradients reaching x, w and b for upstream ``dout``.

    What autograd computes for ``out = F.conv2d(x, w, b, stride, pad); out.backward(dout)``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride, pad : int
    dout : ndarray of shape (N, F, H', W')

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
    dx : ndarray of shape (N, C, H, W)
    dw : ndarray of shape (F, C, HH, WW)
    db : ndarray of shape (F,)
    """
    out, cache = conv2d_forward(x, w, b, stride, pad)
    return (out, *conv2d_backward(dout, cache))


def forward_only(x, w, b, stride, pad, dout=None):
    """Convolution output alone (what SciPy's correlation computes), ``dout`` ignored.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    w : ndarray of shape (F, C, HH, WW)
    b : ndarray of shape (F,)
    stride, pad : int
    dout : ignored
        Present because every case carries one (gradients are compared in the PyTorch tab).

    Returns
    -------
    out : ndarray of shape (N, F, H', W')
    """
    return conv2d_forward(x, w, b, stride, pad)[0]


# ---------------------------------------------------------------- checks


def check_matches_naive_loops():
    rng = np.random.default_rng(0)
    for stride, pad, H, W in [(1, 0, 5, 5), (2, 1, 7, 6), (3, 2, 8, 9), (2, 0, 6, 6)]:
        x, w, b = rng.normal(size=(2, 3, H, W)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
        out, _ = conv2d_forward(x, w, b, stride, pad)
        assert out.shape == (2, 4, conv_output_size(H, 3, stride, pad), conv_output_size(W, 2, stride, pad))
        assert_close(out, conv2d_naive(x, w, b, stride, pad), rtol=1e-12, atol=1e-12, what="conv vs loops")


def check_output_size_formula():
    # PyTorch conv2d shapes: 32x32 input, 3x3 kernel, pad 1 keeps 32 ("same"); stride 2 halves it.
    assert conv_output_size(32, 3, 1, 1) == 32
    assert conv_output_size(32, 3, 2, 1) == 16
    assert conv_output_size(224, 7, 2, 3) == 112  # the ResNet stem
    assert conv_output_size(227, 11, 4, 0) == 55  # AlexNet's first layer on a 227x227 input
    assert conv_output_size(7, 3, 2, 0) == 3 and conv_output_size(8, 3, 2, 0) == 3  # floor


def check_is_cross_correlation_not_flipped_convolution():
    # 1-D case: conv2d equals np.correlate, i.e. np.convolve with the kernel reversed.
    rng = np.random.default_rng(1)
    signal, kernel = rng.normal(size=10), rng.normal(size=3)
    out, _ = conv2d_forward(signal.reshape(1, 1, 1, 10), kernel.reshape(1, 1, 1, 3), np.zeros(1))
    assert_close(out.ravel(), np.convolve(signal, kernel[::-1], mode="valid"), rtol=1e-12, what="vs np.convolve")
    assert_close(out.ravel(), np.correlate(signal, kernel, mode="valid"), rtol=1e-12, what="vs np.correlate")
    # An asymmetric kernel, unflipped, gives a different answer: the two operations differ.
    assert not np.allclose(out.ravel(), np.convolve(signal, kernel, mode="valid"))


def check_translation_equivariance():
    # Shift the input by one pixel, and the output (stride 1, away from borders) shifts by one pixel.
    rng = np.random.default_rng(2)
    x = np.zeros((1, 2, 10, 10))
    x[:, :, 2:7, 2:7] = rng.normal(size=(1, 2, 5, 5))
    w, b = rng.normal(size=(3, 2, 3, 3)), np.zeros(3)
    out, _ = conv2d_forward(x, w, b, pad=1)
    shifted, _ = conv2d_forward(np.roll(x, (1, 2), axis=(2, 3)), w, b, pad=1)
    assert_close(shifted, np.roll(out, (1, 2), axis=(2, 3)), rtol=1e-12, atol=1e-12, what="equivariance")


def check_backward_matches_numerical_gradient():
    rng = np.random.default_rng(3)
    for stride, pad in [(1, 0), (2, 1), (1, 2)]:
        x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
        out, cache = conv2d_forward(x, w, b, stride, pad)
        dout = rng.normal(size=out.shape)
        dx, dw, db = conv2d_backward(dout, cache)
        assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
        num_dx = numerical_gradient_array(lambda z: conv2d_forward(z, w, b, stride, pad)[0], x, dout)
        num_dw = numerical_gradient_array(lambda z: conv2d_forward(x, z, b, stride, pad)[0], w, dout)
        num_db = numerical_gradient_array(lambda z: conv2d_forward(x, w, z, stride, pad)[0], b, dout)
        assert_gradient_close(dx, num_dx, tol=1e-7, what=f"dx (stride={stride}, pad={pad})")
        assert_gradient_close(dw, num_dw, tol=1e-7, what=f"dw (stride={stride}, pad={pad})")
        assert_gradient_close(db, num_db, tol=1e-7, what=f"db (stride={stride}, pad={pad})")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.tile([0.0, 0.0, 0.0, 1.0, 1.0, 1.0], (4, 1)).reshape(1, 1, 4, 6)  # a vertical edge
    w = np.tile([-1.0, 0.0, 1.0], (3, 1)).reshape(1, 1, 3, 3)  # every row [-1, 0, 1]
    out, _ = conv2d_forward(x, w, np.zeros(1))
    print("input (1, 1, 4, 6), dark left half, bright right half:\n", x[0, 0])
    print("3x3 kernel, every row [-1 0 1]; output", out.shape, "lights up at the edge:\n", out[0, 0])
    out, _ = conv2d_forward(x, w, np.zeros(1), stride=2, pad=1)
    print("stride 2, pad 1: output", out.shape, "since (4 + 2 - 3) // 2 + 1 = 2 and (6 + 2 - 3) // 2 + 1 = 3")
    s, k = np.array([1.0, 2.0, 4.0, 8.0]), np.array([1.0, -1.0])
    layer = conv2d_forward(s.reshape(1, 1, 1, 4), k.reshape(1, 1, 1, 2), np.zeros(1))[0].ravel()
    print("1-D, kernel [1, -1]: conv layer", layer, "  np.convolve (flips the kernel)", np.convolve(s, k, "valid"))
