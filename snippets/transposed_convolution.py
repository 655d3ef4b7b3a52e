"""Transposed convolution: the adjoint of a strided convolution, used to upsample feature maps.

Conventions follow ``torch.nn.ConvTranspose2d(C_in, C_out, k, stride, padding, output_padding)`` /
``torch.nn.functional.conv_transpose2d``: input (N, C_in, H, W), weight **(C_in, C_out, kH, kW)**
(the reverse of ``Conv2d``'s (C_out, C_in, kH, kW)), bias (C_out,), and output size

    H_out = (H - 1) * stride - 2 * padding + (k - 1) + output_padding + 1

(dilation 1). Each input pixel scatters a copy of the kernel, scaled by its value, into the output
at ``stride`` times its position; overlapping copies add up; ``padding`` then crops that many rows
and columns from each side, and ``output_padding`` (< stride) adds rows/columns at the bottom and
right to pick one of the several sizes a strided convolution maps to the same output size.

The convolution itself comes from :mod:`snippets.convolution`: the backward pass of a transposed
convolution with respect to its input is an ordinary convolution with the same weights, and the
forward pass is the input-gradient of that convolution.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.convolution import conv2d_backward, conv2d_forward, conv_output_size


def conv_transpose_output_size(size, kernel, stride=1, padding=0, output_padding=0):
    """``(size - 1) * stride - 2 * padding + kernel + output_padding`` (dilation 1), as PyTorch.

    Parameters
    ----------
    size, kernel, stride, padding, output_padding : int

    Returns
    -------
    int
    """
    if not 0 <= output_padding < stride:
        raise ValueError("output_padding must be smaller than stride")
    return (size - 1) * stride - 2 * padding + kernel + output_padding


def conv_transpose2d_forward(x, w, b, stride=1, padding=0, output_padding=0):
    """Transposed convolution by scatter-add.

    Parameters
    ----------
    x : ndarray of shape (N, C_in, H, W)
    w : ndarray of shape (C_in, C_out, kH, kW)
        PyTorch's ``ConvTranspose2d.weight`` layout.
    b : ndarray of shape (C_out,)
    stride, padding, output_padding : int

    Returns
    -------
    out : ndarray of shape (N, C_out, H_out, W_out)
        Sizes from :func:`conv_transpose_output_size`.
    cache : tuple
    """
    N, C_in, H, W = x.shape
    _, C_out, kH, kW = w.shape
    Ho = conv_transpose_output_size(H, kH, stride, padding, output_padding)
    Wo = conv_transpose_output_size(W, kW, stride, padding, output_padding)
    canvas = np.zeros((N, C_out, (H - 1) * stride + kH + output_padding, (W - 1) * stride + kW + output_padding))
    for p in range(kH):
        for q in range(kW):
            # input pixel (i, j) lands on canvas (i * stride + p, j * stride + q) with weight w[:, :, p, q]
            canvas[:, :, p : p + stride * H : stride, q : q + stride * W : stride] += np.einsum("ncij,cf->nfij", x, w[:, :, p, q])
    out = canvas[:, :, padding : padding + Ho, padding : padding + Wo] + b[None, :, None, None]
    return out, (x, w, stride, padding, canvas.shape)


def conv_transpose2d_backward(dout, cache):
    """Backward pass: the input gradient is an ordinary strided convolution of ``dout``.

    Parameters
    ----------
    dout : ndarray of shape (N, C_out, H_out, W_out)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C_in, H, W)
    dw : ndarray of shape (C_in, C_out, kH, kW)
    db : ndarray of shape (C_out,)
    """
    x, w, stride, padding, canvas_shape = cache
    H, W = x.shape[2:]
    kH, kW = w.shape[2:]
    dcanvas = np.zeros(canvas_shape)
    Ho, Wo = dout.shape[2:]
    dcanvas[:, :, padding : padding + Ho, padding : padding + Wo] = dout
    dcanvas = dcanvas[:, :, : (H - 1) * stride + kH, : (W - 1) * stride + kW]  # output_padding rows get no input
    # dx[n, c, i, j] = sum_{f, p, q} dcanvas[n, f, i s + p, j s + q] w[c, f, p, q]: Conv2d with weight w.
    dx, _ = conv2d_forward(dcanvas, w, np.zeros(w.shape[0]), stride=stride)
    win = sliding_window_view(dcanvas, (kH, kW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("ncij,nfijpq->cfpq", x, win, optimize=True)
    return dx, dw, dout.sum(axis=(0, 2, 3))


def conv_transpose_as_zero_insertion(x, w, b, stride=1, padding=0, output_padding=0):
    """The same operation as a "fractionally strided" convolution (Dumoulin & Visin, 2016).

    Insert ``stride - 1`` zeros between input pixels, pad by ``k - 1 - padding`` (plus
    ``output_padding`` at the end), then apply an ordinary stride-1 convolution whose kernel is
    flipped in both spatial axes and has its channel axes swapped.

    Parameters
    ----------
    x : ndarray of shape (N, C_in, H, W)
    w : ndarray of shape (C_in, C_out, k, k)
    b : ndarray of shape (C_out,)
    stride, padding, output_padding : int

    Returns
    -------
    out : ndarray of shape (N, C_out, H_out, W_out)
    """
    N, C, H, W = x.shape
    k = w.shape[2]
    up = np.zeros((N, C, (H - 1) * stride + 1, (W - 1) * stride + 1))
    up[:, :, ::stride, ::stride] = x
    e = k - 1 - padding
    up = np.pad(up, ((0, 0), (0, 0), (e, e + output_padding), (e, e + output_padding)))
    w_conv = np.flip(w, axis=(2, 3)).transpose(1, 0, 2, 3)  # (C_out, C_in, k, k)
    return conv2d_forward(up, w_conv, b, stride=1)[0]


def overlap_counts(size, kernel, stride):
    """How many kernel copies cover each output pixel along one axis (all-ones input and kernel).

    Parameters
    ----------
    size, kernel, stride : int

    Returns
    -------
    ndarray of shape (H_out,)
    """
    out, _ = conv_transpose2d_forward(np.ones((1, 1, size, 1)), np.ones((1, 1, kernel, 1)), np.zeros(1), stride)
    return out[0, 0, :, 0]


def plot_checkerboard():
    """Output of stride-2 upsampling of a constant image with uniform 3x3 and 4x4 kernels."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7, 3.4))
    for ax, k in zip(axes, (3, 4)):
        out, _ = conv_transpose2d_forward(np.ones((1, 1, 6, 6)), np.ones((1, 1, k, k)), np.zeros(1), stride=2, padding=1)
        im = ax.imshow(out[0, 0], cmap="viridis", vmin=0, vmax=4)
        ax.set_title(f"kernel {k}x{k}, stride 2")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.colorbar(im, ax=axes, label="number of overlapping kernel copies")
    fig.set_label(
        "Two heatmaps of a constant 6x6 image upsampled by a stride-2 transposed "
        "convolution with an all-ones kernel: with a 3x3 kernel the output shows a "
        "checkerboard of values 1, 2 and 4; with a 4x4 kernel the interior is uniform at 4"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def check_output_size_formula():
    rng = np.random.default_rng(0)
    for H, k, s, p, op in [(4, 3, 2, 1, 1), (5, 4, 2, 1, 0), (3, 3, 1, 0, 0), (2, 5, 3, 2, 2)]:
        out, _ = conv_transpose2d_forward(rng.normal(size=(1, 2, H, H + 1)), rng.normal(size=(2, 3, k, k)), np.zeros(3), s, p, op)
        assert out.shape == (1, 3, conv_transpose_output_size(H, k, s, p, op), conv_transpose_output_size(H + 1, k, s, p, op))
    # A stride-2 conv maps sizes 7 and 8 to 4; output_padding picks which one to go back to.
    assert conv_output_size(7, 3, 2, 1) == conv_output_size(8, 3, 2, 1) == 4
    assert [conv_transpose_output_size(4, 3, 2, 1, op) for op in (0, 1)] == [7, 8]


def check_is_the_adjoint_of_convolution():
    # <conv(x), y> = <x, conv_transpose(y)> with the same weights: convT is C^T as a matrix.
    rng = np.random.default_rng(1)
    for size, s, p in [(9, 1, 0), (9, 2, 1), (8, 2, 1), (9, 3, 2)]:
        w = rng.normal(size=(3, 2, 3, 3))  # Conv2d layout (F=3, C=2): convT maps 3 channels to 2
        x = rng.normal(size=(2, 2, size, size))
        cx, cache = conv2d_forward(x, w, np.zeros(3), s, p)
        y = rng.normal(size=cx.shape)
        op = size - conv_transpose_output_size(cx.shape[2], 3, s, p)  # the rows the conv's floor dropped
        ct, _ = conv_transpose2d_forward(y, w, np.zeros(2), s, p, op)
        assert ct.shape == x.shape
        assert_close(np.sum(cx * y), np.sum(x * ct), rtol=1e-10, what=f"size {size}, stride {s}")
        # ...and it is exactly the input gradient of that convolution.
        assert_close(ct, conv2d_backward(y, cache)[0], rtol=1e-10, atol=1e-12)


def check_matrix_view():
    # Build the convolution's matrix column by column; the transposed convolution is its transpose.
    rng = np.random.default_rng(2)
    w = rng.normal(size=(1, 1, 3, 3))
    n_in, n_out = 5 * 5, 3 * 3
    C = np.zeros((n_out, n_in))
    for i in range(n_in):
        e = np.zeros((1, 1, 5, 5))
        e.flat[i] = 1.0
        C[:, i] = conv2d_forward(e, w, np.zeros(1), stride=2, pad=1)[0].ravel()
    y = rng.normal(size=(1, 1, 3, 3))
    ct, _ = conv_transpose2d_forward(y, w, np.zeros(1), stride=2, padding=1)
    assert_close(ct.ravel(), C.T @ y.ravel(), rtol=1e-12)


def check_equals_zero_insertion_then_convolution():
    rng = np.random.default_rng(3)
    for s, p, op in [(1, 0, 0), (2, 1, 1), (2, 0, 0), (3, 1, 2)]:
        x, w, b = rng.normal(size=(2, 3, 4, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=2)
        assert_close(
            conv_transpose2d_forward(x, w, b, s, p, op)[0],
            conv_transpose_as_zero_insertion(x, w, b, s, p, op),
            rtol=1e-10,
            atol=1e-12,
            what=f"s={s} p={p} op={op}",
        )


def check_backward_matches_numerical_gradient():
    # Centred differences in float64; relative error below 1e-7 for x, w and b.
    rng = np.random.default_rng(4)
    for s, p, op in [(1, 0, 0), (2, 1, 1), (3, 1, 0)]:
        x, w, b = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=2)
        out, cache = conv_transpose2d_forward(x, w, b, s, p, op)
        dout = rng.normal(size=out.shape)
        dx, dw, db = conv_transpose2d_backward(dout, cache)
        for name, arr, g in (("x", x, dx), ("w", w, dw), ("b", b, db)):
            args = {"x": x, "w": w, "b": b}
            f = lambda z, name=name: conv_transpose2d_forward(**{**args, name: z}, stride=s, padding=p, output_padding=op)[0]
            assert_gradient_close(g, numerical_gradient_array(f, arr, dout), tol=1e-7, what=f"{name} s={s} p={p}")


def check_uneven_overlap_makes_checkerboards():
    # Stride 2 with a kernel of 3 covers output pixels alternately once and twice; a kernel of 4
    # (divisible by the stride) covers every interior pixel exactly twice.
    assert overlap_counts(6, 3, 2)[2:-2].tolist() == [2, 1, 2, 1, 2, 1, 2, 1, 2]
    assert set(overlap_counts(6, 4, 2)[2:-2].tolist()) == {2.0}


def check_batch_of_one_and_extreme_values():
    w = np.random.default_rng(5).normal(size=(1, 2, 2, 2))
    out, cache = conv_transpose2d_forward(np.full((1, 1, 1, 1), 1e150), w, np.zeros(2), stride=2)
    assert out.shape == (1, 2, 2, 2) and np.all(np.isfinite(out))
    assert_close(out[0], 1e150 * w[0], rtol=1e-12, what="one pixel stamps one scaled kernel")
    try:
        conv_transpose_output_size(4, 3, stride=2, output_padding=2)
    except ValueError:
        return
    raise AssertionError("output_padding >= stride must raise")


if __name__ == "__main__":
    np.set_printoptions(precision=2, suppress=True)
    for H, k, s, p, op in [(4, 4, 2, 1, 0), (4, 3, 2, 1, 1), (7, 3, 1, 1, 0), (16, 2, 2, 0, 0)]:
        print(
            f"H = {H:>2}, ConvTranspose2d(k={k}, stride={s}, padding={p}, output_padding={op}) -> H_out = "
            f"({H} - 1)*{s} - 2*{p} + {k - 1} + {op} + 1 = {conv_transpose_output_size(H, k, s, p, op)}"
        )
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)
    w = np.ones((1, 1, 2, 2))
    out, _ = conv_transpose2d_forward(x, w, np.zeros(1), stride=2)
    print("2x2 input [[1, 2], [3, 4]], all-ones 2x2 kernel, stride 2 (nearest-neighbour upsampling):")
    print(out[0, 0])
    out, _ = conv_transpose2d_forward(x, w, np.zeros(1), stride=1)
    print("the same with stride 1 (copies overlap and add):")
    print(out[0, 0])
    print(
        "kernel copies covering each output pixel, stride 2: kernel 3:",
        overlap_counts(6, 3, 2)[:8],
        " kernel 4:",
        overlap_counts(6, 4, 2)[:8],
    )
    rng = np.random.default_rng(0)
    wc = rng.normal(size=(2, 3, 3, 3))
    xc = rng.normal(size=(1, 3, 8, 8))
    y, cache = conv2d_forward(xc, wc, np.zeros(2), stride=2, pad=1)
    back, _ = conv_transpose2d_forward(y, wc, np.zeros(3), stride=2, padding=1, output_padding=1)
    print(
        "Conv2d(3, 2, 3, stride=2, padding=1): (1, 3, 8, 8) ->",
        y.shape,
        "; ConvTranspose2d with the same",
        "weights and output_padding=1 ->",
        back.shape,
        "; equal to the conv's input gradient:",
        np.allclose(back, conv2d_backward(y, cache)[0]),
    )
    plot_checkerboard()
