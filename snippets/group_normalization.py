"""Group normalization (Wu & He, 2018): normalise each sample over groups of channels.

Conventions follow ``torch.nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)``: the
C channels of an (N, C, H, W) input (any number of trailing spatial axes) are split into G
consecutive groups of C / G channels; each (sample, group) is normalised with its own mean and
*biased* variance over its channels and positions, ``eps`` added to the variance; then a learned
per-*channel* scale ``gamma`` and shift ``beta`` of shape (C,) are applied. Nothing depends on
the other samples, so training and inference compute the same thing and any batch size works.

The normalisation itself is layer normalization applied to each group's C/G * H * W values,
which is how it is computed here (:mod:`snippets.layer_normalization`). ``G = 1`` normalises over
all of (C, H, W) like LayerNorm; ``G = C`` is instance normalization.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.batch_normalization import spatial_batch_norm_forward
from snippets.layer_normalization import layer_norm_backward, layer_norm_forward


def group_norm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization, forward pass.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
        Any number of trailing axes after C, including none.
    gamma : ndarray of shape (C,)
        Per-channel scale (PyTorch initialises it to ones).
    beta : ndarray of shape (C,)
        Per-channel shift (zeros).
    num_groups : int
        G; must divide C.
    eps : float

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    cache : tuple
    """
    N, C = x.shape[:2]
    if C % num_groups:
        raise ValueError(f"num_channels ({C}) must be divisible by num_groups ({num_groups})")
    grouped = x.reshape(N * num_groups, -1)  # each row: one sample's C/G channels and all positions
    M = grouped.shape[1]
    x_hat, ln_cache = layer_norm_forward(grouped, np.ones(M), np.zeros(M), eps)
    x_hat = x_hat.reshape(x.shape)
    shape = (1, C) + (1,) * (x.ndim - 2)
    return gamma.reshape(shape) * x_hat + beta.reshape(shape), (ln_cache, x_hat, gamma, num_groups)


def group_norm_backward(dout, cache):
    """Backward pass of :func:`group_norm_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, C, H, W)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    dgamma : ndarray of shape (C,)
    dbeta : ndarray of shape (C,)
    """
    ln_cache, x_hat, gamma, G = cache
    N, C = dout.shape[:2]
    axes = (0,) + tuple(range(2, dout.ndim))
    dgamma = np.sum(dout * x_hat, axis=axes)
    dbeta = np.sum(dout, axis=axes)
    shape = (1, C) + (1,) * (dout.ndim - 2)
    dx_hat = (dout * gamma.reshape(shape)).reshape(N * G, -1)
    dx, _, _ = layer_norm_backward(dx_hat, ln_cache)
    return dx.reshape(dout.shape), dgamma, dbeta


def group_stats(x, num_groups):
    """Mean and biased variance of every (sample, group), by direct reduction.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    num_groups : int

    Returns
    -------
    mean, var : ndarray of shape (N, G)
    """
    g = x.reshape(x.shape[0], num_groups, -1)
    return g.mean(axis=-1), g.var(axis=-1)


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=2, C=6, H=3, W=2):
    rng = np.random.default_rng(seed)
    x = rng.normal(loc=3.0, scale=2.0, size=(N, C, H, W))
    return x, rng.normal(size=C), rng.normal(size=C)


def check_each_group_has_zero_mean_and_unit_variance():
    x, _, _ = _problem(0)
    out, _ = group_norm_forward(x, np.ones(6), np.zeros(6), num_groups=3)
    mean, var = group_stats(out, 3)
    assert_close(mean, np.zeros((2, 3)), rtol=0, atol=1e-12)
    assert_close(var, np.ones((2, 3)), rtol=1e-4, what="variance (eps makes it slightly below 1)")


def check_matches_the_formula_written_out():
    x, gamma, beta = _problem(1)
    out, _ = group_norm_forward(x, gamma, beta, num_groups=2)
    mean, var = group_stats(x, 2)
    x_hat = (x.reshape(2, 2, -1) - mean[..., None]) / np.sqrt(var[..., None] + 1e-5)
    assert_close(out, gamma[:, None, None] * x_hat.reshape(x.shape) + beta[:, None, None], rtol=1e-12)


def check_one_group_is_layer_norm_and_c_groups_is_instance_norm():
    x, _, _ = _problem(2)
    ones, zeros = np.ones(6), np.zeros(6)
    ln, _ = layer_norm_forward(x.reshape(2, -1), np.ones(36), np.zeros(36))
    assert_close(group_norm_forward(x, ones, zeros, 1)[0], ln.reshape(x.shape), rtol=1e-12, what="G = 1")
    m = x.mean(axis=(2, 3), keepdims=True)
    inst = (x - m) / np.sqrt(x.var(axis=(2, 3), keepdims=True) + 1e-5)
    assert_close(group_norm_forward(x, ones, zeros, 6)[0], inst, rtol=1e-12, what="G = C")


def check_independent_of_the_batch_unlike_batch_norm():
    x, gamma, beta = _problem(3, N=4)
    alone, _ = group_norm_forward(x[:1], gamma, beta, 3)
    in_batch, _ = group_norm_forward(x, gamma, beta, 3)
    assert_close(in_batch[:1], alone, rtol=1e-12, what="GN of sample 0")
    bn_alone, _ = spatial_batch_norm_forward(x[:2], gamma, beta)
    bn_batch, _ = spatial_batch_norm_forward(x, gamma, beta)
    assert not np.allclose(bn_batch[:2], bn_alone), "batch norm depends on the other samples"


def check_backward_matches_numerical_gradient():
    # Centred differences in float64 for x, gamma and beta; relative error below 1e-7.
    for shape, G in (((2, 6, 3, 2), 3), ((3, 8), 2), ((1, 4, 5), 4)):
        rng = np.random.default_rng(4)
        x, gamma, beta = rng.normal(size=shape), rng.normal(size=shape[1]), rng.normal(size=shape[1])
        out, cache = group_norm_forward(x, gamma, beta, G)
        dout = rng.normal(size=out.shape)
        dx, dgamma, dbeta = group_norm_backward(dout, cache)
        for arr, g, name in ((x, dx, "x"), (gamma, dgamma, "gamma"), (beta, dbeta, "beta")):
            f = lambda z, name=name: group_norm_forward(
                *(z if n == name else a for n, a in (("x", x), ("gamma", gamma), ("beta", beta))), G
            )[0]
            assert_gradient_close(g, numerical_gradient_array(f, arr, dout), tol=1e-7, what=f"{name} {shape}")


def check_constant_and_huge_inputs_are_finite():
    x = np.full((1, 4, 2, 2), 7.0)  # zero variance: eps keeps 1/sqrt(var + eps) finite
    out, cache = group_norm_forward(x, np.ones(4), np.arange(4.0), 2)
    assert_close(out, np.broadcast_to(np.arange(4.0)[None, :, None, None], x.shape), rtol=0, atol=1e-12)
    assert np.all(np.isfinite(group_norm_backward(np.ones_like(x), cache)[0]))
    y, _, _ = _problem(5)
    a, _ = group_norm_forward(y, np.ones(6), np.zeros(6), 3)
    b, _ = group_norm_forward(1e6 * y + 1e8, np.ones(6), np.zeros(6), 3)
    # Equal up to eps, which matters relative to a variance of ~4 but not of ~4e12.
    assert_close(b, a, rtol=1e-5, atol=1e-5, what="invariant to scale and shift of each group")


def check_groups_must_divide_channels():
    try:
        group_norm_forward(np.zeros((1, 6, 2, 2)), np.ones(6), np.zeros(6), 4)
    except ValueError:
        return
    raise AssertionError("expected ValueError")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    x = rng.normal(loc=2.0, scale=3.0, size=(8, 6, 4, 4))
    gamma, beta = np.ones(6), np.zeros(6)
    out, _ = group_norm_forward(x, gamma, beta, num_groups=3)
    mean, var = group_stats(out, 3)
    print("input (8, 6, 4, 4); GroupNorm(3, 6): sample 0, mean and variance of its 3 groups:", mean[0].round(6) + 0.0, var[0])
    print(
        "the same sample normalised alone (batch of one) gives identical output:",
        np.allclose(group_norm_forward(x[:1], gamma, beta, 3)[0], out[:1], rtol=0, atol=1e-12),
    )
    print("output of sample 0, channel 0, position (0, 0) as the batch size changes:")
    for n in (2, 4, 8):
        gn = group_norm_forward(x[:n], gamma, beta, 3)[0][0, 0, 0, 0]
        bn = spatial_batch_norm_forward(x[:n], gamma, beta)[0][0, 0, 0, 0]
        print(f"  batch of {n}: group norm {gn:.4f}   batch norm {bn:.4f}")
    for G in (1, 3, 6):
        o, _ = group_norm_forward(x, gamma, beta, G)
        print(f"G = {G}: per-channel means of sample 0:", o[0].mean(axis=(1, 2)).round(6) + 0.0)
