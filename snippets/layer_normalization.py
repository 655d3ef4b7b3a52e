"""Layer normalization (Ba, Kiros & Hinton, 2016): normalise each sample over its features.

Conventions follow ``torch.nn.LayerNorm(D, eps=1e-5)``: mean and *biased* variance (divide by D)
over the last axis, ``eps`` added to the variance, then a learned elementwise scale ``gamma``
and shift ``beta`` of shape (D,). The statistics belong to one sample, so the layer computes
the same thing in training and at inference and does not depend on the batch.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.batch_normalization import batch_norm_forward


def layer_norm_forward(x, gamma, beta, eps=1e-5):
    r"""Layer normalization over the last axis.

    $$\mu_i = \frac1D \sum_j x_{ij}, \quad \sigma_i^2 = \frac1D \sum_j (x_{ij} - \mu_i)^2, \quad
      y_{ij} = \gamma_j \frac{x_{ij} - \mu_i}{\sqrt{\sigma_i^2 + \epsilon}} + \beta_j.$$

    Parameters
    ----------
    x : ndarray of shape (N, D)
        N samples (any leading axes work, e.g. (N, T, D) for sequences; each vector along the
        last axis is normalised on its own).
    gamma : ndarray of shape (D,)
        Learned scale (PyTorch initialises it to ones).
    beta : ndarray of shape (D,)
        Learned shift (initialised to zeros).
    eps : float
        Added to the variance, PyTorch's default 1e-5.

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
        What :func:`layer_norm_backward` needs.
    """
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    inv_std = 1.0 / np.sqrt(np.mean(xc * xc, axis=-1, keepdims=True) + eps)
    x_hat = xc * inv_std
    return gamma * x_hat + beta, (x_hat, inv_std, gamma)


def layer_norm_backward(dout, cache):
    r"""Backward pass of :func:`layer_norm_forward`.

    With $g = \gamma \odot \partial L / \partial y$ for one sample,

    $$\frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}}
      \Big(g - \operatorname{mean}_j(g) - \hat x \operatorname{mean}_j(g \hat x)\Big),$$

    the batch-norm formula with the roles of the axes swapped.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Upstream gradient.
    cache : tuple
        From :func:`layer_norm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
        Summed over all leading axes.
    dbeta : ndarray of shape (D,)
    """
    x_hat, inv_std, gamma = cache
    lead = tuple(range(dout.ndim - 1))
    dgamma = np.sum(dout * x_hat, axis=lead)
    dbeta = np.sum(dout, axis=lead)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=-1, keepdims=True) - x_hat * np.mean(g * x_hat, axis=-1, keepdims=True))
    return dx, dgamma, dbeta


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's PyTorch tab).

    Several widths, a (N, T, D) batch of sequences, a single sample, one feature (x_hat is 0: the
    output is beta), a constant row (variance 0: only eps keeps the division finite) and rows with
    a large offset, where computing the variance as E[x^2] - E[x]^2 would cancel.

    Returns
    -------
    list of dict with x (..., D), gamma (D,), beta (D,) and an upstream gradient dout shaped like x
    """
    rng = np.random.default_rng(43)
    xs = [
        rng.normal(2.0, 3.0, size=(8, 5)),
        rng.normal(size=(2, 7, 6)),
        rng.normal(size=(1, 16)),
        rng.normal(size=(4, 1)),
        np.vstack([np.full(4, 2.5), rng.normal(size=4)]),  # a constant row
        1e4 + rng.normal(size=(3, 8)),  # offset rows
    ]
    return [
        {
            "x": x,
            "gamma": rng.normal(size=x.shape[-1]),
            "beta": rng.normal(size=x.shape[-1]),
            "dout": rng.normal(size=x.shape),
        }
        for x in xs
    ]


def forward_and_gradients(x, gamma, beta, dout, eps=1e-5):
    """Output and the gradients reaching x, gamma and beta for upstream ``dout``.

    What autograd computes for ``y = nn.LayerNorm(D)(x); y.backward(dout)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Any leading axes.
    gamma, beta : ndarray of shape (D,)
    dout : ndarray of shape (N, D)
    eps : float

    Returns
    -------
    out, dx : ndarray of shape (N, D)
    dgamma, dbeta : ndarray of shape (D,)
    """
    out, cache = layer_norm_forward(x, gamma, beta, eps)
    return (out, *layer_norm_backward(dout, cache))


# ---------------------------------------------------------------- checks


def check_rows_have_zero_mean_unit_variance():
    rng = np.random.default_rng(0)
    x = rng.normal(loc=3.0, scale=5.0, size=(6, 10))
    out, _ = layer_norm_forward(x, np.ones(10), np.zeros(10))
    assert_close(out.mean(axis=1), np.zeros(6), atol=1e-12, what="row means")
    # Biased variance of the output is var / (var + eps), a hair below 1.
    v = x.var(axis=1)
    assert_close(out.var(axis=1), v / (v + 1e-5), rtol=1e-12, what="row variances")


def check_invariant_to_shifting_and_scaling_each_sample():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4, 8))
    gamma, beta = rng.normal(size=8), rng.normal(size=8)
    a, c = rng.uniform(0.5, 3.0, size=(4, 1)), rng.normal(size=(4, 1))
    assert_close(
        layer_norm_forward(a * x + c, gamma, beta, eps=0.0)[0],
        layer_norm_forward(x, gamma, beta, eps=0.0)[0],
        rtol=1e-10,
        atol=1e-12,
        what="LN(a x + c)",
    )


def check_independent_of_batch_unlike_batch_norm():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 5))
    gamma, beta = rng.normal(size=5), rng.normal(size=5)
    full, _ = layer_norm_forward(x, gamma, beta)
    alone, _ = layer_norm_forward(x[:1], gamma, beta)
    half, _ = layer_norm_forward(x[:4], gamma, beta)
    assert np.array_equal(full[:1], alone) and np.array_equal(full[:4], half)
    # Batch norm's output for the same sample changes with the rest of the batch.
    bn_full, _ = batch_norm_forward(x, gamma, beta)
    bn_half, _ = batch_norm_forward(x[:4], gamma, beta)
    assert np.max(np.abs(bn_full[:4] - bn_half)) > 0.1


def check_same_in_training_and_inference():
    # No running statistics: normalising a sample in a batch (training) or alone (inference)
    # gives the same output, and repeated calls change nothing.
    rng = np.random.default_rng(3)
    x, gamma, beta = rng.normal(size=(5, 6)), np.ones(6), np.zeros(6)
    train, _ = layer_norm_forward(x, gamma, beta)
    infer = np.concatenate([layer_norm_forward(row[None], gamma, beta)[0] for row in x])
    assert np.array_equal(train, infer)


def check_sequence_input_normalises_each_position():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 3, 4))  # (N, T, D), as in a Transformer
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    out, _ = layer_norm_forward(x, gamma, beta)
    flat, _ = layer_norm_forward(x.reshape(6, 4), gamma, beta)
    assert_close(out.reshape(6, 4), flat, rtol=1e-15, what="(N, T, D) vs (N*T, D)")


def check_backward_matches_numerical_gradient():
    rng = np.random.default_rng(5)
    for shape in [(4, 6), (2, 3, 5)]:
        D = shape[-1]
        x, dout = rng.normal(size=shape), rng.normal(size=shape)
        gamma, beta = rng.normal(size=D), rng.normal(size=D)
        _, cache = layer_norm_forward(x, gamma, beta)
        dx, dgamma, dbeta = layer_norm_backward(dout, cache)
        num_dx = numerical_gradient_array(lambda z: layer_norm_forward(z, gamma, beta)[0], x, dout)
        num_dg = numerical_gradient_array(lambda g: layer_norm_forward(x, g, beta)[0], gamma, dout)
        num_db = numerical_gradient_array(lambda b: layer_norm_forward(x, gamma, b)[0], beta, dout)
        assert_gradient_close(dx, num_dx, tol=1e-7, what="dx")
        assert_gradient_close(dgamma, num_dg, tol=1e-7, what="dgamma")
        assert_gradient_close(dbeta, num_db, tol=1e-7, what="dbeta")
        # Each row of dx sums to zero: shifting a sample does not change the output.
        assert np.max(np.abs(dx.sum(axis=-1))) < 1e-12


def check_extreme_and_constant_rows_are_finite():
    x = np.array([[1e100, -1e100, 3e100], [1e-100, 0.0, -1e-100], [5.0, 5.0, 5.0]])
    beta = np.array([0.1, 0.2, 0.3])
    out, _ = layer_norm_forward(x, np.ones(3), beta)
    assert np.all(np.isfinite(out))
    # eps is what keeps a constant row from 0 / 0: it maps to beta.
    assert np.array_equal(out[2], beta)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([[1.0, 2.0, 3.0, 4.0], [10.0, 20.0, 30.0, 40.0], [-1.0, 0.0, 0.0, 5.0]])
    gamma, beta = np.ones(4), np.zeros(4)
    out, _ = layer_norm_forward(x, gamma, beta)
    print("x =\n", x)
    print("layer norm (each row normalised over its 4 features) =\n", out)
    print("row means:", out.mean(axis=1), " row variances:", out.var(axis=1))
    print("layer norm of row 0 alone:          ", layer_norm_forward(x[:1], gamma, beta)[0][0], "(unchanged)")
    print("batch norm of row 0, batch rows 0-2:", batch_norm_forward(x, gamma, beta)[0][0])
    print("batch norm of row 0, batch rows 0-1:", batch_norm_forward(x[:2], gamma, beta)[0][0])
