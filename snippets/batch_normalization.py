"""Batch normalization (Ioffe & Szegedy, 2015) in NumPy.

Conventions follow ``torch.nn.BatchNorm1d`` / ``BatchNorm2d``:

* training mode normalises with the batch mean and the *biased* batch variance
  (divide by N), with ``eps=1e-5`` added to the variance;
* the running variance is updated with the *unbiased* batch variance (divide by
  N - 1), ``new = (1 - momentum) * old + momentum * batch``, ``momentum=0.1``
  (``keras.layers.BatchNormalization`` uses ``momentum=0.99`` as the weight of the *old*
  value, and averages the *biased* batch variance instead);
* inference mode normalises with the running statistics.

Nothing is stored between calls: running statistics are passed in and returned.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array


def batch_norm_forward(x, gamma, beta, eps=1e-5):
    r"""Training-mode batch normalization of a mini-batch of feature vectors.

    $$\hat x = \frac{x - \mu_B}{\sqrt{\sigma_B^2 + \epsilon}}, \qquad y = \gamma \hat x + \beta,$$

    where $\mu_B$ and $\sigma_B^2$ are the per-feature mean and biased variance over the batch.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Mini-batch of N examples with D features.
    gamma : ndarray of shape (D,)
        Learned scale.
    beta : ndarray of shape (D,)
        Learned shift.
    eps : float
        Added to the variance for numerical safety (PyTorch's default).

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
        What :func:`batch_norm_backward` needs.
    """
    return _forward(x, gamma, beta, eps, axes=(0,), param_shape=(1, -1))


def batch_norm_backward(dout, cache):
    r"""Backward pass of :func:`batch_norm_forward`.

    With $g = \partial L / \partial \hat x = \gamma\, \partial L / \partial y$,

    $$\frac{\partial L}{\partial x} = \frac{1}{\sqrt{\sigma_B^2 + \epsilon}}
      \Big(g - \operatorname{mean}_B(g) - \hat x \operatorname{mean}_B(g \hat x)\Big),$$

    so the gradient reaching $x$ has zero mean over the batch and is orthogonal to $\hat x$.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Upstream gradient.
    cache : tuple
        From :func:`batch_norm_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    dgamma : ndarray of shape (D,)
    dbeta : ndarray of shape (D,)
    """
    return _backward(dout, cache)


def spatial_batch_norm_forward(x, gamma, beta, eps=1e-5):
    """Training-mode batch normalization of images, one mean and variance per channel.

    Statistics are taken over the batch and both spatial axes, as in
    ``torch.nn.BatchNorm2d``: every pixel of every image counts as an example of
    its channel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    gamma : ndarray of shape (C,)
    beta : ndarray of shape (C,)
    eps : float

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    cache : tuple
    """
    return _forward(x, gamma, beta, eps, axes=(0, 2, 3), param_shape=(1, -1, 1, 1))


def spatial_batch_norm_backward(dout, cache):
    """Backward pass of :func:`spatial_batch_norm_forward`.

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
    return _backward(dout, cache)


def update_running_stats(running_mean, running_var, x, momentum=0.1):
    """One exponential-moving-average update of the statistics used at inference.

    ``new = (1 - momentum) * old + momentum * batch_stat``, with the *unbiased*
    batch variance, as in the paper's inference procedure and in PyTorch (Keras's
    ``moving_variance`` averages the biased one).

    Parameters
    ----------
    running_mean : ndarray of shape (D,)
    running_var : ndarray of shape (D,)
    x : ndarray of shape (N, D)
        The mini-batch just normalised; N must be at least 2.
    momentum : float
        Weight of the new batch (PyTorch's convention).

    Returns
    -------
    running_mean : ndarray of shape (D,)
        New array; the inputs are not modified.
    running_var : ndarray of shape (D,)
    """
    x = np.asarray(x, dtype=np.float64)
    if x.shape[0] < 2:
        raise ValueError("need at least 2 examples per feature to estimate a variance")
    new_mean = (1.0 - momentum) * running_mean + momentum * x.mean(axis=0)
    new_var = (1.0 - momentum) * running_var + momentum * x.var(axis=0, ddof=1)
    return new_mean, new_var


def batch_norm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Inference-mode batch normalization: a fixed affine map per feature.

    Each example is normalised with the running statistics, so its output does not
    depend on the other examples in the batch.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    gamma : ndarray of shape (D,)
    beta : ndarray of shape (D,)
    running_mean : ndarray of shape (D,)
    running_var : ndarray of shape (D,)
    eps : float

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta


def _forward(x, gamma, beta, eps, axes, param_shape):
    x = np.asarray(x, dtype=np.float64)
    gamma = np.reshape(gamma, param_shape)
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)  # biased: divides by the number of values
    inv_std = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv_std
    out = gamma * x_hat + np.reshape(beta, param_shape)
    return out, (x_hat, gamma, inv_std, axes)


def _backward(dout, cache):
    x_hat, gamma, inv_std, axes = cache
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    g = dout * gamma
    dx = inv_std * (g - g.mean(axis=axes, keepdims=True) - x_hat * (g * x_hat).mean(axis=axes, keepdims=True))
    return dx, dgamma, dbeta


# ----------------------------------------------------------------------------- checks


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Several batch sizes and widths, features on very different scales, a batch of two, and a
    constant feature (variance 0: only ``eps`` keeps the division finite).

    Returns
    -------
    list of dict with x (N, D), gamma (D,), beta (D,) and an upstream gradient dout (N, D)
    """
    rng = np.random.default_rng(7)
    cases = []
    for n, d in [(8, 3), (32, 5), (2, 4), (64, 1)]:
        x = rng.normal(rng.normal(size=d) * 5, rng.uniform(0.1, 3.0, size=d), size=(n, d))
        cases.append({"x": x, "gamma": rng.normal(size=d), "beta": rng.normal(size=d), "dout": rng.normal(size=(n, d))})
    x = rng.normal(size=(6, 3))
    x[:, 1] = 2.5
    cases.append({"x": x, "gamma": np.ones(3), "beta": np.zeros(3), "dout": rng.normal(size=(6, 3))})
    return cases


def forward_and_gradients(x, gamma, beta, dout, eps=1e-5):
    """Training-mode output and the gradients reaching x, gamma and beta for upstream ``dout``.

    What a framework's autograd computes for ``y = BN(x); y.backward(dout)``.

    Returns
    -------
    out, dx : ndarray of shape (N, D)
    dgamma, dbeta : ndarray of shape (D,)
    """
    out, cache = batch_norm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = batch_norm_backward(dout, cache)
    return out, dx, dgamma, dbeta


def running_stats_and_inference(x, gamma, beta, dout=None, momentum=0.1, eps=1e-5):
    """Running statistics after one training batch, then inference-mode output on the same batch.

    Starts from ``running_mean = 0`` and ``running_var = 1``, what a new ``nn.BatchNorm1d``
    holds, updates them once with ``x`` and normalises ``x`` with the updated statistics.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        N must be at least 2 (the unbiased variance).
    gamma, beta : ndarray of shape (D,)
    dout : ignored
        Present because every case carries one (gradients are compared by the first equivalent).
    momentum, eps : float

    Returns
    -------
    running_mean, running_var : ndarray of shape (D,)
    out_eval : ndarray of shape (N, D)
    """
    d = np.shape(x)[1]
    running_mean, running_var = update_running_stats(np.zeros(d), np.ones(d), x, momentum)
    return running_mean, running_var, batch_norm_inference(x, gamma, beta, running_mean, running_var, eps)


def check_output_is_standardised():
    """With gamma=1, beta=0 each feature has mean 0 and biased variance var/(var+eps) ~ 1."""
    rng = np.random.default_rng(0)
    x = rng.normal(loc=[10.0, -3.0, 0.0], scale=[5.0, 0.1, 1.0], size=(32, 3))
    out, _ = batch_norm_forward(x, np.ones(3), np.zeros(3))
    assert_close(out.mean(axis=0), np.zeros(3), atol=1e-12, what="feature means")
    expected_var = x.var(axis=0) / (x.var(axis=0) + 1e-5)
    assert_close(out.var(axis=0), expected_var, rtol=1e-12, what="feature variances")
    assert np.all(np.abs(out.var(axis=0) - 1.0) < 1e-2)
    # gamma and beta then set the standard deviation and the mean.
    gamma, beta = np.array([2.0, 0.5, 1.0]), np.array([1.0, -1.0, 3.0])
    out, _ = batch_norm_forward(x, gamma, beta, eps=0.0)
    assert_close(out.mean(axis=0), beta, rtol=1e-12, what="mean = beta")
    assert_close(out.std(axis=0), gamma, rtol=1e-12, what="std = gamma")


def check_invariant_to_shift_and_scale_of_each_feature():
    """A per-feature shift (or, with eps=0, a positive rescaling) of the input changes nothing."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    out, _ = batch_norm_forward(x, gamma, beta, eps=0.0)
    a, c = np.array([0.1, 1.0, 7.0, 300.0]), rng.normal(size=4)
    shifted, _ = batch_norm_forward(x + c, gamma, beta, eps=0.0)
    scaled, _ = batch_norm_forward(a * x, gamma, beta, eps=0.0)
    assert_close(shifted, out, rtol=1e-10, atol=1e-12, what="shift invariance")
    assert_close(scaled, out, rtol=1e-10, atol=1e-12, what="scale invariance")


def check_backward_matches_numerical_gradient():
    """dx, dgamma, dbeta agree with centred differences (float64, rel. error < 1e-6)."""
    rng = np.random.default_rng(2)
    x = rng.normal(loc=2.0, scale=3.0, size=(6, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    dout = rng.normal(size=(6, 4))
    dx, dgamma, dbeta = batch_norm_backward(dout, batch_norm_forward(x, gamma, beta)[1])
    _check_grads(batch_norm_forward, x, gamma, beta, dout, (dx, dgamma, dbeta))
    # The gradient through the batch statistics has zero mean per feature.
    assert_close(dx.sum(axis=0), np.zeros(4), atol=1e-12, what="sum of dx over the batch")


def check_spatial_backward_matches_numerical_gradient():
    """Spatial dx, dgamma, dbeta agree with centred differences (float64, rel. error < 1e-6)."""
    rng = np.random.default_rng(3)
    x = rng.normal(loc=1.0, scale=2.0, size=(2, 3, 4, 5))
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    dout = rng.normal(size=x.shape)
    grads = spatial_batch_norm_backward(dout, spatial_batch_norm_forward(x, gamma, beta)[1])
    _check_grads(spatial_batch_norm_forward, x, gamma, beta, dout, grads)


def _check_grads(forward, x, gamma, beta, dout, grads, tol=1e-6):
    numeric = (
        numerical_gradient_array(lambda z: forward(z, gamma, beta)[0], x, dout),
        numerical_gradient_array(lambda g: forward(x, g, beta)[0], gamma, dout),
        numerical_gradient_array(lambda b: forward(x, gamma, b)[0], beta, dout),
    )
    for name, analytic, num in zip(("dx", "dgamma", "dbeta"), grads, numeric):
        assert_gradient_close(analytic, num, tol=tol, what=f"{forward.__name__}: {name}")


def check_spatial_equals_reshaped_feature_version():
    """Spatial BN on (N, C, H, W) is BN on the (N*H*W, C) matrix of pixels, forward and backward."""
    rng = np.random.default_rng(4)
    n, c, h, w = 3, 2, 4, 5
    x = rng.normal(size=(n, c, h, w))
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    dout = rng.normal(size=x.shape)

    def to_rows(a):
        return a.transpose(0, 2, 3, 1).reshape(-1, c)

    def from_rows(a):
        return a.reshape(n, h, w, c).transpose(0, 3, 1, 2)

    out, cache = spatial_batch_norm_forward(x, gamma, beta)
    out_rows, cache_rows = batch_norm_forward(to_rows(x), gamma, beta)
    assert_close(out, from_rows(out_rows), rtol=1e-12, atol=1e-12, what="forward")
    grads = spatial_batch_norm_backward(dout, cache)
    grads_rows = batch_norm_backward(to_rows(dout), cache_rows)
    assert_close(grads[0], from_rows(grads_rows[0]), rtol=1e-10, atol=1e-12, what="dx")
    assert_close(grads[1], grads_rows[1], rtol=1e-12, what="dgamma")
    assert_close(grads[2], grads_rows[2], rtol=1e-12, what="dbeta")


def check_running_stats_converge():
    """The moving averages approach the data's mean and variance.

    Fed the same batch k times, the error shrinks exactly by (1 - momentum)**k.
    Fed fresh batches of 64 from N(mu, sigma^2), the running mean after 300
    updates has standard deviation about sigma / 8 * sqrt(0.1 / 1.9) ~ 0.03 sigma;
    we allow 0.15 sigma (five standard deviations), and 15% for the variance.
    """
    rng = np.random.default_rng(5)
    x = rng.normal(size=(10, 3))
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(50):
        mean, var = update_running_stats(mean, var, x, momentum=0.1)
    assert_close(mean, x.mean(axis=0) * (1 - 0.9**50), rtol=1e-12, what="geometric approach (mean)")
    unbiased = x.var(axis=0, ddof=1)
    assert_close(var - unbiased, (1 - unbiased) * 0.9**50, rtol=1e-9, what="geometric approach (var)")

    mu, sigma = np.array([5.0, -2.0, 0.0]), np.array([2.0, 0.5, 1.0])
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(300):
        mean, var = update_running_stats(mean, var, rng.normal(mu, sigma, size=(64, 3)))
    assert np.all(np.abs(mean - mu) < 0.15 * sigma), mean
    assert np.all(np.abs(var / sigma**2 - 1.0) < 0.15), var


def check_inference_matches_training_on_the_batch_statistics():
    """Inference equals the training forward pass when given the batch's mean and BIASED variance.

    The running variance holds the UNBIASED estimate, so a running average taken from
    this one batch (momentum=1) differs from the biased variance by exactly N / (N - 1).
    """
    rng = np.random.default_rng(6)
    x = rng.normal(loc=3.0, scale=2.0, size=(5, 4))
    gamma, beta = rng.normal(size=4), rng.normal(size=4)
    out, _ = batch_norm_forward(x, gamma, beta)
    biased = x.var(axis=0)
    same = batch_norm_inference(x, gamma, beta, x.mean(axis=0), biased)
    assert_close(same, out, rtol=1e-12, atol=1e-14, what="inference vs training")
    r_mean, r_var = update_running_stats(np.zeros(4), np.ones(4), x, momentum=1.0)
    assert_close(r_mean, x.mean(axis=0), rtol=1e-12, what="running mean")
    assert_close(r_var, biased * 5 / 4, rtol=1e-12, what="running var is unbiased")
    assert not np.allclose(batch_norm_inference(x, gamma, beta, r_mean, r_var), out)
    # Inference treats each example on its own: one row gives the same answer alone.
    full = batch_norm_inference(x, gamma, beta, r_mean, r_var)
    assert_close(batch_norm_inference(x[2:3], gamma, beta, r_mean, r_var), full[2:3], rtol=1e-15)


def plot_before_after(seed=0):
    """Figure for the page: a batch of activations before and after batch normalization."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    loc, scale = np.array([10.0, -3.0, 0.0]), np.array([5.0, 0.5, 1.0])
    x = rng.normal(loc, scale, size=(256, 3))
    out, _ = batch_norm_forward(x, np.ones(3), np.zeros(3))
    fig, (ax_in, ax_out) = plt.subplots(1, 2, figsize=(9, 3.2))
    for j in range(3):
        ax_in.hist(x[:, j], bins=30, alpha=0.6, label=f"feature {j}")
        ax_out.hist(out[:, j], bins=30, alpha=0.6, label=f"feature {j}")
    ax_in.set_title("before: each feature on its own scale")
    ax_out.set_title("after: zero mean, unit variance per feature")
    ax_in.legend(fontsize=8)
    fig.set_label(
        "Histograms of three features of a batch of 256 activations before batch normalization "
        "(means 10, -3, 0 and different spreads) and after it (all centred at 0 with unit variance)"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)

    def show(a):
        return np.round(a, 4) + 0.0  # + 0.0 turns -0.0 into 0.0

    rng = np.random.default_rng(0)
    loc, scale = np.array([10.0, -3.0, 0.0]), np.array([5.0, 0.1, 1.0])
    x = rng.normal(loc, scale, size=(8, 3))  # three features on very different scales
    print("batch:    means", show(x.mean(axis=0)), " stds", show(x.std(axis=0)))
    out, _ = batch_norm_forward(x, np.ones(3), np.zeros(3))
    print("after BN: means", show(out.mean(axis=0)), " stds", show(out.std(axis=0)), "(eps shows when var is tiny)")
    out, cache = batch_norm_forward(x, np.array([2.0, 1.0, 0.5]), np.array([1.0, 0.0, -1.0]))
    print("gamma=[2 1 0.5], beta=[1 0 -1]: means", show(out.mean(axis=0)), " stds", show(out.std(axis=0)))
    dx, _, _ = batch_norm_backward(rng.normal(size=x.shape), cache)
    print("backward: dx summed over the batch", show(dx.sum(axis=0)))

    mean, var = np.zeros(3), np.ones(3)
    for _ in range(200):  # training: running statistics follow the batches
        mean, var = update_running_stats(mean, var, rng.normal(loc, scale, size=(64, 3)))
    print("running mean", show(mean), " running std", show(np.sqrt(var)), " (data: [10 -3 0], [5 0.1 1])")
    one = np.array([[15.0, -3.1, 0.5]])
    print("inference, one example", one[0], "->", show(batch_norm_inference(one, np.ones(3), np.zeros(3), mean, var)[0]))
    print("training mode, same example alone ->", show(batch_norm_forward(one, np.ones(3), np.zeros(3))[0][0]))

    plot_before_after()
