"""Affine (asymmetric) and symmetric int8 quantization, as in ``torch.ao.quantization``.

A real number ``x`` is stored as an integer ``q`` with a float ``scale`` and an integer ``zero_point``:

    q = clamp(round(x / scale) + zero_point, qmin, qmax),      x_hat = (q - zero_point) * scale.

:func:`calculate_qparams` reproduces ``MinMaxObserver.calculate_qparams``: the observed range is first
widened to include 0 (so that 0.0 is exactly representable, which zero padding and ReLU rely on), then

* affine (``torch.per_tensor_affine``, default dtype ``quint8``, [0, 255]):
  ``scale = (max - min) / (qmax - qmin)``, ``zero_point = qmin - round(min / scale)`` (clamped);
* symmetric (``torch.per_tensor_symmetric``, ``qint8``, [-128, 127]):
  ``scale = max(-min, max) / ((qmax - qmin) / 2)``, ``zero_point = 0`` (PyTorch fixes it at 128,
  the middle of [0, 255], when the dtype is ``quint8``);

with ``scale`` floored at float32's machine epsilon so a constant tensor does not divide by zero.
Rounding is half-to-even, like ``torch.quantize_per_tensor`` (and ``np.round``). Per-channel variants
(``PerChannelMinMaxObserver``) compute one ``(scale, zero_point)`` per row of a weight matrix.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

__all__ = [
    "QRANGES",
    "calculate_qparams",
    "quantize",
    "dequantize",
    "fake_quantize_forward",
    "fake_quantize_backward",
    "quantized_linear",
    "per_channel_qparams",
]

QRANGES = {"quint8": (0, 255), "qint8": (-128, 127)}
EPS = float(np.finfo(np.float32).eps)


def calculate_qparams(min_val, max_val, dtype="quint8", symmetric=False):
    """``scale`` and ``zero_point`` for an observed range, like ``MinMaxObserver.calculate_qparams``.

    Parameters
    ----------
    min_val, max_val : float or ndarray of shape (C,)
        Observed minimum and maximum (per tensor, or per channel).
    dtype : {"quint8", "qint8"}
    symmetric : bool
        ``torch.per_tensor_symmetric`` instead of ``torch.per_tensor_affine``.

    Returns
    -------
    scale : float or ndarray of shape (C,)
    zero_point : int or ndarray of int, shape (C,)
    """
    qmin, qmax = QRANGES[dtype]
    lo = np.minimum(np.asarray(min_val, dtype=np.float64), 0.0)
    hi = np.maximum(np.asarray(max_val, dtype=np.float64), 0.0)
    if symmetric:
        scale = np.maximum(np.maximum(-lo, hi) / ((qmax - qmin) / 2), EPS)
        zero_point = np.zeros_like(scale, dtype=np.int64) + (0 if dtype == "qint8" else 128)
    else:
        scale = np.maximum((hi - lo) / (qmax - qmin), EPS)
        zero_point = np.clip(qmin - np.round(lo / scale), qmin, qmax).astype(np.int64)
    if scale.ndim == 0:
        return float(scale), int(zero_point)
    return scale, zero_point


def quantize(x, scale, zero_point, dtype="quint8"):
    """``clamp(round(x / scale) + zero_point, qmin, qmax)``, like ``torch.quantize_per_tensor(...).int_repr()``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    scale : float, or ndarray broadcastable to ``x`` (per channel)
    zero_point : int, or ndarray broadcastable to ``x``
    dtype : {"quint8", "qint8"}

    Returns
    -------
    q : ndarray of int64, shape (N, D)
    """
    qmin, qmax = QRANGES[dtype]
    return np.clip(np.round(np.asarray(x) / scale) + zero_point, qmin, qmax).astype(np.int64)


def dequantize(q, scale, zero_point):
    """``(q - zero_point) * scale``, like ``Tensor.dequantize()``.

    Like ``torch.dequantize`` / ``Tensor.dequantize()`` on a quantized tensor.

    Parameters
    ----------
    q : ndarray of int, shape (N, D)
    scale : float or ndarray broadcastable to ``q``
    zero_point : int or ndarray broadcastable to ``q``

    Returns
    -------
    x_hat : ndarray of shape (N, D)
    """
    return (np.asarray(q, dtype=np.float64) - zero_point) * scale


def fake_quantize_forward(x, scale, zero_point, dtype="quint8"):
    """Quantize then dequantize in floating point, as ``torch.fake_quantize_per_tensor_affine``.

    Used in quantization-aware training: the forward pass sees the rounding error.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    scale : float
    zero_point : int
    dtype : {"quint8", "qint8"}

    Returns
    -------
    y : ndarray of shape (N, D)
    cache : ndarray of bool, shape (N, D)
        Where ``x`` fell inside the representable range.
    """
    qmin, qmax = QRANGES[dtype]
    unclamped = np.round(x / scale) + zero_point
    return dequantize(quantize(x, scale, zero_point, dtype), scale, zero_point), (unclamped >= qmin) & (unclamped <= qmax)


def fake_quantize_backward(dy, cache):
    """Straight-through estimator: pass the gradient where ``x`` was in range, zero where it was clamped.

    Rounding has zero derivative almost everywhere; the STE treats it as the identity. This is the
    gradient PyTorch's fake-quantize ops return.

    Parameters
    ----------
    dy : ndarray of shape (N, D)
    cache : ndarray of bool, shape (N, D)

    Returns
    -------
    dx : ndarray of shape (N, D)
    """
    return dy * cache


def per_channel_qparams(W, dtype="qint8", symmetric=True):
    """One ``(scale, zero_point)`` per output row, like ``PerChannelMinMaxObserver(ch_axis=0)``.

    ``torch.ao.quantization.PerChannelMinMaxObserver(ch_axis=0, dtype=torch.qint8, qscheme=torch.per_channel_symmetric)``.

    Parameters
    ----------
    W : ndarray of shape (out, in)
    dtype : {"quint8", "qint8"}
    symmetric : bool

    Returns
    -------
    scale : ndarray of shape (out, 1)
    zero_point : ndarray of int, shape (out, 1)
    """
    scale, zp = calculate_qparams(W.min(axis=1), W.max(axis=1), dtype, symmetric)
    return np.asarray(scale)[:, None], np.asarray(zp)[:, None]


def quantized_linear(qx, sx, zx, qW, sW, zW):
    """Integer linear layer: accumulate ``(qx - zx)(qW - zW)^T`` exactly in integers, then rescale.

    The arithmetic of ``torch.ao.nn.quantized.Linear`` (fbgemm/qnnpack int8 kernels), before requantizing the output.

    ``y = sx * sW * sum_k (qx[n, k] - zx) (qW[m, k] - zW[m])``, the arithmetic of int8 kernels (int32
    accumulation, one float multiply per output). ``sW``, ``zW`` may be per output channel.

    Parameters
    ----------
    qx : ndarray of int, shape (N, K)
    sx : float
    zx : int
    qW : ndarray of int, shape (M, K)
    sW : float or ndarray of shape (M, 1)
    zW : int or ndarray of int, shape (M, 1)

    Returns
    -------
    y : ndarray of shape (N, M)
    acc : ndarray of int64, shape (N, M)
        The integer accumulator.
    """
    acc = (np.asarray(qx, dtype=np.int64) - zx) @ (np.asarray(qW, dtype=np.int64) - zW).T
    return sx * acc * np.ravel(sW)[None, :] if np.ndim(sW) else sx * sW * acc, acc


# ---------------------------------------------------------------- checks


def check_qparams_match_minmax_observer_formulas():
    scale, zp = calculate_qparams(-1.0, 3.0)  # quint8 affine
    assert_close(scale, 4.0 / 255, rtol=1e-15)
    assert zp == 64  # 0 - round(-1 / (4/255)) = round(63.75) = 64
    scale, zp = calculate_qparams(-1.0, 3.0, "qint8", symmetric=True)
    assert_close(scale, 3.0 / 127.5, rtol=1e-15)
    assert zp == 0
    # Symmetric with quint8: same scale, zero point in the middle of [0, 255] (as in MinMaxObserver).
    assert calculate_qparams(-1.0, 3.0, "quint8", symmetric=True) == (scale, 128)
    # The range always contains 0: all-positive data still get zero_point = qmin.
    assert calculate_qparams(2.0, 4.0)[1] == 0
    # A constant tensor: scale floored at float32 eps, no division by zero.
    scale, zp = calculate_qparams(0.0, 0.0)
    assert scale == EPS and quantize(np.zeros(3), scale, zp)[0] == zp


def check_round_trip_error_and_exact_zero():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8))
    for dtype, sym in [("quint8", False), ("qint8", True)]:
        scale, zp = calculate_qparams(x.min(), x.max(), dtype, sym)
        x_hat = dequantize(quantize(x, scale, zp, dtype), scale, zp)
        assert np.max(np.abs(x_hat - x)) <= scale / 2 + 1e-12
        assert dequantize(quantize(np.array([0.0]), scale, zp, dtype), scale, zp)[0] == 0.0
    # Outside the range values saturate at qmin / qmax.
    scale, zp = calculate_qparams(-1.0, 1.0)
    assert list(quantize(np.array([-5.0, 5.0]), scale, zp)) == [0, 255]


def check_integer_linear_layer_equals_dequantized_float_product():
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=(4, 16)), rng.normal(size=(3, 16))
    sx, zx = calculate_qparams(x.min(), x.max())
    sW, zW = per_channel_qparams(W)
    qx, qW = quantize(x, sx, zx), quantize(W, sW, zW, "qint8")
    y, acc = quantized_linear(qx, sx, zx, qW, sW, zW)
    assert acc.dtype == np.int64 and np.max(np.abs(acc)) < 2**31  # fits an int32 accumulator
    assert_close(y, dequantize(qx, sx, zx) @ dequantize(qW, sW, zW).T, rtol=1e-12, what="integer vs float")
    assert np.max(np.abs(y - x @ W.T)) < 0.05 * np.max(np.abs(x @ W.T))


def check_per_channel_beats_per_tensor_with_an_outlier_row():
    rng = np.random.default_rng(2)
    W = rng.normal(scale=0.05, size=(8, 32))
    W[0] *= 40.0  # one row with a much larger range
    s_t, z_t = calculate_qparams(W.min(), W.max(), "qint8", symmetric=True)
    s_c, z_c = per_channel_qparams(W)
    err_t = np.abs(dequantize(quantize(W, s_t, z_t, "qint8"), s_t, z_t) - W)[1:].mean()
    err_c = np.abs(dequantize(quantize(W, s_c, z_c, "qint8"), s_c, z_c) - W)[1:].mean()
    assert err_c < err_t / 10


def check_straight_through_gradient_is_the_gradient_without_rounding():
    # The STE gradient equals the true gradient of the same function with round() removed:
    # clamp(x / s + z, qmin, qmax) mapped back, i.e. identity inside the range and flat outside.
    rng = np.random.default_rng(3)
    scale, zp = calculate_qparams(-1.0, 1.0)
    x = rng.uniform(-2.0, 2.0, size=(5, 4))
    x = x[np.abs(np.abs(x) - 1.0) > 0.02].reshape(-1)  # keep away from the clamp edges
    dy = rng.normal(size=x.shape)
    _, cache = fake_quantize_forward(x, scale, zp)
    lo, hi = dequantize(0, scale, zp), dequantize(255, scale, zp)
    no_round = lambda z: np.clip(z, lo, hi)
    assert_gradient_close(fake_quantize_backward(dy, cache), numerical_gradient_array(no_round, x.copy(), dy), tol=1e-7)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    w = np.array([-0.62, -0.1, 0.0, 0.03, 0.41, 1.27])
    print("weights               ", w)
    scale, zp = calculate_qparams(w.min(), w.max())
    q = quantize(w, scale, zp)
    print(f"quint8 affine:  scale {scale:.6f}, zero_point {zp}")
    print("  q                   ", q)
    print("  dequantized         ", dequantize(q, scale, zp), " max error", f"{np.abs(dequantize(q, scale, zp) - w).max():.5f}")
    scale, zp = calculate_qparams(w.min(), w.max(), "qint8", symmetric=True)
    q = quantize(w, scale, zp, "qint8")
    print(f"qint8 symmetric: scale {scale:.6f}, zero_point {zp}")
    print("  q                   ", q)
    print("  dequantized         ", dequantize(q, scale, zp), " max error", f"{np.abs(dequantize(q, scale, zp) - w).max():.5f}")
    rng = np.random.default_rng(1)
    x, W = rng.normal(size=(64, 256)), rng.normal(scale=0.05, size=(128, 256))
    sx, zx = calculate_qparams(x.min(), x.max())
    sW, zW = per_channel_qparams(W)
    y, _ = quantized_linear(quantize(x, sx, zx), sx, zx, quantize(W, sW, zW, "qint8"), sW, zW)
    exact = x @ W.T
    print(
        f"int8 linear layer 256 -> 128: relative error {np.linalg.norm(y - exact) / np.linalg.norm(exact):.4f}, "
        f"weights {W.nbytes // 1024} KiB in float64 -> {W.size // 1024} KiB in int8"
    )
