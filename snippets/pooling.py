"""Max and average pooling over (N, C, H, W) feature maps, forward and backward.

Conventions follow ``torch.nn.MaxPool2d(kernel_size, stride)`` and ``AvgPool2d`` with no
padding and ``ceil_mode=False``: ``stride`` defaults to ``kernel_size`` (non-overlapping
windows), each channel is pooled separately, and the output has
``H' = (H - kernel_size) // stride + 1`` rows (floor: leftover rows are dropped), likewise W'.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.convolution import conv2d_forward


def pool_output_size(size, kernel_size, stride=None):
    """``(size - kernel_size) // stride + 1``, with ``stride`` defaulting to ``kernel_size``.

    Parameters
    ----------
    size, kernel_size : int
    stride : int, optional

    Returns
    -------
    int
    """
    return (size - kernel_size) // (stride or kernel_size) + 1


def _windows(x, k, s):
    # windows[n, c, i, j, p, q] = x[n, c, i*s + p, j*s + q]
    return sliding_window_view(x, (k, k), axis=(2, 3))[:, :, ::s, ::s]


def max_pool_forward(x, kernel_size=2, stride=None):
    """Maximum over each ``kernel_size`` x ``kernel_size`` window.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``, as in PyTorch.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    cache : tuple
        Input shape, window geometry and the flat index of each window's maximum.
    """
    s = stride or kernel_size
    win = _windows(x, kernel_size, s)
    flat = win.reshape(*win.shape[:4], -1)
    arg = flat.argmax(axis=-1)  # ties go to the first maximum in row-major order
    out = np.take_along_axis(flat, arg[..., None], axis=-1)[..., 0]
    return out, (x.shape, kernel_size, s, arg)


def max_pool_backward(dout, cache):
    """Route each output's gradient to the input that was the maximum of its window.

    Every other input of the window gets zero. Where windows overlap (``stride < kernel_size``)
    an input that is the maximum of several windows collects the sum of their gradients.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
    cache : tuple
        From :func:`max_pool_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    x_shape, k, s, arg = cache
    N, C, Ho, Wo = dout.shape
    n, c, i, j = np.meshgrid(np.arange(N), np.arange(C), np.arange(Ho), np.arange(Wo), indexing="ij")
    p, q = np.divmod(arg, k)
    dx = np.zeros(x_shape)
    np.add.at(dx, (n, c, i * s + p, j * s + q), dout)
    return dx


def avg_pool_forward(x, kernel_size=2, stride=None):
    """Mean over each ``kernel_size`` x ``kernel_size`` window.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    kernel_size : int
    stride : int, optional
        Defaults to ``kernel_size``.

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    cache : tuple
    """
    s = stride or kernel_size
    return _windows(x, kernel_size, s).mean(axis=(-2, -1)), (x.shape, kernel_size, s)


def avg_pool_backward(dout, cache):
    """Spread each output's gradient evenly, ``dout / kernel_size**2``, over its window.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H', W')
    cache : tuple
        From :func:`avg_pool_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    """
    x_shape, k, s = cache
    Ho, Wo = dout.shape[2:]
    dx = np.zeros(x_shape)
    share = dout / (k * k)
    for p in range(k):
        for q in range(k):
            dx[:, :, p : p + s * Ho : s, q : q + s * Wo : s] += share
    return dx


def max_pool_naive(x, kernel_size=2, stride=None):
    """Max pooling with explicit loops, as a reference.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    kernel_size : int
    stride : int, optional

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    """
    s, k = stride or kernel_size, kernel_size
    N, C, H, W = x.shape
    out = np.zeros((N, C, pool_output_size(H, k, s), pool_output_size(W, k, s)))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s : i * s + k, j * s : j * s + k].max(axis=(2, 3))
    return out


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    The page's example (a tie inside a window), the default stride, overlapping windows
    (stride < kernel_size: one input can be the maximum of several windows), sizes that leave
    rows and columns uncovered (floor), windows of equal values, and a NaN (max pooling propagates
    it and sends it the gradient).

    Returns
    -------
    list of dict with x (N, C, H, W), kernel_size, stride (int or None) and an upstream gradient
    dout (N, C, H', W')
    """
    rng = np.random.default_rng(47)
    example = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 1.0, 5.0, 6.0], [2.0, 2.0, 7.0, 0.0]])
    with_nan = rng.normal(size=(1, 2, 4, 4))
    with_nan[0, 1, 2, 3] = np.nan
    specs = [  # x, kernel_size, stride
        (example.reshape(1, 1, 4, 4), 2, None),
        (rng.normal(size=(2, 3, 7, 7)), 2, None),  # default stride, odd size: row and column 6 dropped
        (rng.normal(size=(2, 2, 7, 5)), 3, 1),  # overlapping
        (rng.normal(size=(1, 3, 8, 8)), 3, 2),  # overlapping, floor drops the last row and column
        (rng.integers(0, 3, size=(2, 1, 6, 6)).astype(np.float64), 2, 2),  # many ties
        (with_nan, 2, None),
    ]
    cases = []
    for x, k, stride in specs:
        Ho, Wo = (pool_output_size(n, k, stride) for n in x.shape[2:])
        cases.append({"x": x, "kernel_size": k, "stride": stride, "dout": rng.normal(size=(*x.shape[:2], Ho, Wo))})
    return cases


def max_pool_and_gradient(x, kernel_size, stride, dout):
    """Max pooling and the gradient reaching ``x`` for upstream ``dout``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    kernel_size : int
    stride : int or None
    dout : ndarray of shape (N, C, H', W')

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    dx : ndarray of shape (N, C, H, W)
    """
    out, cache = max_pool_forward(x, kernel_size, stride)
    return out, max_pool_backward(dout, cache)


def avg_pool_and_gradient(x, kernel_size, stride, dout):
    """Average pooling and the gradient reaching ``x`` for upstream ``dout``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    kernel_size : int
    stride : int or None
    dout : ndarray of shape (N, C, H', W')

    Returns
    -------
    out : ndarray of shape (N, C, H', W')
    dx : ndarray of shape (N, C, H, W)
    """
    out, cache = avg_pool_forward(x, kernel_size, stride)
    return out, avg_pool_backward(dout, cache)


# ---------------------------------------------------------------- checks


def check_shapes_and_naive_agreement():
    rng = np.random.default_rng(0)
    for (H, W), k, s in [((4, 4), 2, None), ((7, 5), 2, None), ((7, 7), 3, 2), ((6, 9), 3, 1)]:
        x = rng.normal(size=(2, 3, H, W))
        out, _ = max_pool_forward(x, k, s)
        assert out.shape == (2, 3, pool_output_size(H, k, s), pool_output_size(W, k, s))
        assert_close(out, max_pool_naive(x, k, s), rtol=0, what="max pool vs loops")
        assert avg_pool_forward(x, k, s)[0].shape == out.shape
    assert pool_output_size(7, 2) == 3  # floor: the 7th row is dropped, as with ceil_mode=False
    assert pool_output_size(112, 3, 2) == 55


def check_avg_pool_is_a_fixed_convolution():
    # Average pooling = per-channel convolution with the constant kernel 1 / k^2, stride k.
    rng = np.random.default_rng(1)
    x, C, k = rng.normal(size=(2, 3, 6, 6)), 3, 2
    w = np.zeros((C, C, k, k))
    w[np.arange(C), np.arange(C)] = 1.0 / (k * k)
    conv, _ = conv2d_forward(x, w, np.zeros(C), stride=k)
    assert_close(avg_pool_forward(x, k)[0], conv, rtol=1e-12, what="avg pool vs conv")


def check_max_pool_routes_gradient_to_argmax():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 2, 4, 6))
    out, cache = max_pool_forward(x, 2)
    dout = rng.normal(size=out.shape)
    dx = max_pool_backward(dout, cache)
    win = dx.reshape(2, 2, 2, 2, 3, 2)  # (n, c, i, p, j, q) for 2x2 windows
    nonzero = (win != 0).sum(axis=(3, 5))
    assert np.all(nonzero == 1)  # exactly one input per window receives gradient ...
    assert np.array_equal(dx != 0, x == np.repeat(np.repeat(out, 2, axis=2), 2, axis=3))  # ... the max
    assert_close(dx.sum(), dout.sum(), rtol=1e-12, what="gradient mass")
    # Ties: the first maximum (row-major) takes the whole gradient.
    dx_tie = max_pool_backward(np.ones((1, 1, 1, 1)), max_pool_forward(np.ones((1, 1, 2, 2)))[1])
    assert np.array_equal(dx_tie[0, 0], np.array([[1.0, 0.0], [0.0, 0.0]]))


def check_backward_matches_numerical_gradient():
    rng = np.random.default_rng(3)
    for k, s in [(2, None), (3, 2), (2, 1)]:  # non-overlapping and overlapping windows
        x = rng.normal(size=(2, 2, 7, 6))  # continuous values: no ties, max pool differentiable
        for fwd, bwd in [(max_pool_forward, max_pool_backward), (avg_pool_forward, avg_pool_backward)]:
            out, cache = fwd(x, k, s)
            dout = rng.normal(size=out.shape)
            num = numerical_gradient_array(lambda z: fwd(z, k, s)[0], x, dout)
            assert_gradient_close(bwd(dout, cache), num, tol=1e-7, what=f"{fwd.__name__} k={k} s={s}")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 1.0, 5.0, 6.0], [2.0, 2.0, 7.0, 0.0]]).reshape(1, 1, 4, 4)
    print("input (1, 1, 4, 4):\n", x[0, 0])
    out, cache = max_pool_forward(x, 2)
    avg, avg_cache = avg_pool_forward(x, 2)
    print("2x2 max pool, stride 2:", out[0, 0].tolist(), " avg pool:", avg[0, 0].tolist())
    dout = np.array([[10.0, 20.0], [30.0, 40.0]]).reshape(1, 1, 2, 2)
    print("upstream gradient", dout[0, 0].tolist(), "-> max pool sends each entry to its window's max")
    print("(the tie 2, 2 in the bottom-left window goes to the first one):\n", max_pool_backward(dout, cache)[0, 0])
    print("avg pool spreads it evenly, row 0 of dx:", avg_pool_backward(dout, avg_cache)[0, 0, 0])
