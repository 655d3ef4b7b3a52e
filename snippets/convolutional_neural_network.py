"""A small convolutional neural network: conv -> ReLU -> max-pool -> linear classifier.

The layers come from their own pages (:mod:`snippets.convolution`, :mod:`snippets.pooling`,
:mod:`snippets.cross_entropy`); this module wires them into a network, backpropagates through
the whole stack, and measures what makes a CNN a CNN: few shared weights, a receptive field that
grows with depth, and feature maps that move with the input.

The model is what this PyTorch code computes (layout (N, C, H, W), weights (F, C, k, k))::

    nn.Sequential(nn.Conv2d(C, F, k, padding=k // 2), nn.ReLU(), nn.MaxPool2d(2),
                  nn.Flatten(), nn.Linear(F * (H // 2) * (W // 2), K))

except that the linear weight is stored as (in, out), the transpose of ``nn.Linear.weight``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.activation_function import relu
from snippets.convolution import conv2d_backward, conv2d_forward
from snippets.cross_entropy import cross_entropy_backward, cross_entropy_forward
from snippets.pooling import max_pool_backward, max_pool_forward


def init_cnn(C, F, k, H, W, K, rng):
    """Parameters of the network: He-initialised filters (``torch.nn.init.kaiming_normal_``, fan-in),
    a linear layer with weights of variance 1 / fan-in, and zero biases.

    Parameters
    ----------
    C, F, k : int
        Input channels, number of filters, kernel size (odd, so ``padding=k // 2`` keeps H x W).
    H, W : int
        Image height and width (even, so 2 x 2 pooling tiles them exactly).
    K : int
        Number of classes.
    rng : numpy.random.Generator

    Returns
    -------
    params : dict
        ``w1`` of shape (F, C, k, k), ``b1`` of shape (F,), ``w2`` of shape (F*H/2*W/2, K),
        ``b2`` of shape (K,).
    """
    D = F * (H // 2) * (W // 2)
    return {
        "w1": rng.normal(scale=np.sqrt(2.0 / (C * k * k)), size=(F, C, k, k)),
        "b1": np.zeros(F),
        "w2": rng.normal(scale=np.sqrt(1.0 / D), size=(D, K)),
        "b2": np.zeros(K),
    }


def cnn_forward(x, params):
    """Logits of the network for a batch of images.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    params : dict
        From :func:`init_cnn`.

    Returns
    -------
    logits : ndarray of shape (N, K)
    cache : tuple
        What :func:`cnn_backward` needs.
    """
    k = params["w1"].shape[-1]
    a, conv_cache = conv2d_forward(x, params["w1"], params["b1"], stride=1, pad=k // 2)
    r = relu(a)
    p, pool_cache = max_pool_forward(r, kernel_size=2)
    flat = p.reshape(len(x), -1)
    logits = flat @ params["w2"] + params["b2"]
    return logits, (conv_cache, a, pool_cache, p.shape, flat, params)


def cnn_backward(dlogits, cache):
    """Backpropagate through linear, flatten, max-pool, ReLU and convolution.

    Parameters
    ----------
    dlogits : ndarray of shape (N, K)
    cache : tuple
        From :func:`cnn_forward`.

    Returns
    -------
    dx : ndarray of shape (N, C, H, W)
    grads : dict
        Same keys and shapes as ``params``.
    """
    conv_cache, a, pool_cache, p_shape, flat, params = cache
    grads = {"w2": flat.T @ dlogits, "b2": dlogits.sum(axis=0)}
    dp = (dlogits @ params["w2"].T).reshape(p_shape)
    dr = max_pool_backward(dp, pool_cache)
    da = dr * (a > 0)  # ReLU passes the gradient where its input was positive (0 at a == 0, as PyTorch)
    dx, grads["w1"], grads["b1"] = conv2d_backward(da, conv_cache)
    return dx, grads


def cnn_loss(x, y, params):
    """Mean cross-entropy of the network and the gradients of every parameter.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    y : ndarray of shape (N,), int
        Class indices.
    params : dict

    Returns
    -------
    loss : float
    grads : dict
    """
    logits, cache = cnn_forward(x, params)
    loss, ce_cache = cross_entropy_forward(logits, y)
    _, grads = cnn_backward(cross_entropy_backward(1.0, ce_cache), cache)
    return loss, grads


def receptive_field(layers):
    """Side of the input square that one output unit of a stack of layers can see.

    ``r = 1 + sum_l (k_l - 1) * prod_{m < l} s_m`` for layers with kernel sizes ``k_l`` and
    strides ``s_l`` (padding shifts the field but does not change its size).

    Parameters
    ----------
    layers : list of (int, int)
        ``(kernel_size, stride)`` of each conv or pooling layer, input first.

    Returns
    -------
    int
    """
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


def make_bars(n, size=8, rng=None):
    """Toy images: one 3-pixel bar, vertical (class 0) or horizontal (class 1), anywhere, in noise.

    Parameters
    ----------
    n : int
        Number of images.
    size : int
        Side of each image.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray of shape (n, 1, size, size)
    y : ndarray of shape (n,), int
    """
    x = 0.1 * rng.normal(size=(n, 1, size, size))
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        r, c = rng.integers(0, size - 2, size=2)
        if y[i] == 0:
            x[i, 0, r : r + 3, c] += 1.0
        else:
            x[i, 0, r, c : c + 3] += 1.0
    return x, y


def train_cnn(x, y, params, lr=0.5, steps=60):
    """Full-batch gradient descent on the cross-entropy.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    y : ndarray of shape (N,), int
    params : dict
        Initial parameters (not modified).
    lr : float
    steps : int

    Returns
    -------
    params : dict
        Trained parameters.
    losses : list of float
        Loss before each step.
    """
    params = {name: value.copy() for name, value in params.items()}
    losses = []
    for _ in range(steps):
        loss, grads = cnn_loss(x, y, params)
        if not np.isfinite(loss):
            raise ValueError("loss is not finite: lower the learning rate")
        losses.append(loss)
        for name in params:
            params[name] -= lr * grads[name]
    return params, losses


def accuracy(x, y, params):
    """Fraction of images whose largest logit is the true class.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    y : ndarray of shape (N,), int
    params : dict

    Returns
    -------
    float
    """
    return float(np.mean(cnn_forward(x, params)[0].argmax(axis=1) == y))


# ---------------------------------------------------------------- checks


def _problem(seed=0, N=2, C=2, F=3, H=6, W=4, K=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, C, H, W)), rng.integers(0, K, size=N), init_cnn(C, F, 3, H, W, K, rng)


def check_backward_matches_numerical_gradient():
    # tolerance: relative error 1e-6 (float64, centred difference, h = 1e-5). The random input
    # keeps pre-activations and pooling windows away from ReLU kinks and max ties.
    x, y, params = _problem()
    _, grads = cnn_loss(x, y, params)
    for name in params:

        def f(z, name=name):
            return cnn_loss(x, y, {**params, name: z})[0]

        assert_gradient_close(grads[name], numerical_gradient(f, params[name].copy()), tol=1e-6, what=name)
    logits, cache = cnn_forward(x, params)
    dlogits = np.random.default_rng(1).normal(size=logits.shape)
    dx, _ = cnn_backward(dlogits, cache)
    assert_gradient_close(dx, numerical_gradient_array(lambda z: cnn_forward(z, params)[0], x.copy(), dlogits), tol=1e-6)


def check_weight_sharing_makes_parameters_independent_of_image_size():
    # The conv layer's parameter count is F*C*k*k + F for any image; a dense layer producing the
    # same F x H x W output from a C x H x W input would need (C*H*W) * (F*H*W) weights.
    F, C, k = 8, 3, 3
    for H in (8, 32, 224):
        params = init_cnn(C, F, k, H, H, 10, np.random.default_rng(0))
        assert params["w1"].size + params["b1"].size == F * C * k * k + F == 224
    assert (3 * 32 * 32) * (8 * 32 * 32) == 25_165_824


def check_feature_maps_move_with_the_input():
    # Convolution + ReLU are translation equivariant: shifting the image shifts the feature maps.
    # Max-pooling then makes the response to a small shift partly invariant.
    rng = np.random.default_rng(2)
    params = init_cnn(1, 4, 3, 12, 12, 2, rng)
    x = np.zeros((1, 1, 12, 12))
    x[0, 0, 3:6, 4] = 1.0
    shifted = np.roll(x, (2, 2), axis=(2, 3))
    a, _ = conv2d_forward(x, params["w1"], params["b1"], pad=1)
    a_shift, _ = conv2d_forward(shifted, params["w1"], params["b1"], pad=1)
    assert_close(relu(a_shift), np.roll(relu(a), (2, 2), axis=(2, 3)), rtol=0, atol=1e-12, what="equivariance")
    p, _ = max_pool_forward(relu(a), 2)
    p_shift, _ = max_pool_forward(relu(a_shift), 2)
    # A 2-pixel shift is exactly one pooled cell.
    assert_close(p_shift, np.roll(p, (1, 1), axis=(2, 3)), rtol=0, atol=1e-12, what="pooled shift")


def check_receptive_field_formula_by_perturbing_one_pixel():
    # Brute force: which input pixels change the centre output of conv3 -> pool2 -> conv3?
    rng = np.random.default_rng(3)
    w1, w2 = rng.normal(size=(1, 1, 3, 3)), rng.normal(size=(1, 1, 3, 3))

    def net(x):
        a, _ = conv2d_forward(x, w1, np.zeros(1))
        p, _ = max_pool_forward(a + 10.0, 2, stride=1)  # stride-1 pooling, +10 so no ties at 0
        out, _ = conv2d_forward(p, w2, np.zeros(1))
        return out[0, 0, 4, 4]

    x = rng.normal(size=(1, 1, 16, 16))
    base, seen = net(x), np.zeros((16, 16), dtype=bool)
    for i in range(16):
        for j in range(16):
            z = x.copy()
            z[0, 0, i, j] += 100.0
            seen[i, j] = net(z) != base
    rows, cols = np.nonzero(seen)
    assert rows.max() - rows.min() + 1 == cols.max() - cols.min() + 1 == receptive_field([(3, 1), (2, 1), (3, 1)]) == 6
    assert receptive_field([(3, 1)] * 5) == 11  # five 3x3 convs see 11 x 11
    assert receptive_field([(3, 1), (2, 2)] * 3) == 22  # with pooling it grows geometrically


def check_training_learns_orientation_regardless_of_position():
    rng = np.random.default_rng(4)
    x, y = make_bars(64, rng=rng)
    x_test, y_test = make_bars(200, rng=rng)
    params, losses = train_cnn(x, y, init_cnn(1, 4, 3, 8, 8, 2, rng))
    assert losses[-1] < 0.5 * losses[0]
    assert accuracy(x_test, y_test, params) >= 0.9


def check_extreme_inputs_and_batch_of_one_are_finite():
    x, y, params = _problem(seed=5, N=1)
    for scale in (0.0, 1e6):
        logits, _ = cnn_forward(scale * x, params)
        loss, grads = cnn_loss(scale * x, y, params)
        assert logits.shape == (1, 3) and np.isfinite(loss)
        assert all(np.all(np.isfinite(g)) for g in grads.values())


def check_bad_learning_rate_raises_instead_of_returning_nan():
    rng = np.random.default_rng(6)
    x, y = make_bars(16, rng=rng)
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # the blow-up is the point of this check
            train_cnn(1e3 * x, y, init_cnn(1, 4, 3, 8, 8, 2, rng), lr=1e6, steps=20)
    except ValueError:
        return
    raise AssertionError("expected ValueError")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    x, y = make_bars(64, rng=rng)
    x_test, y_test = make_bars(200, rng=rng)
    params0 = init_cnn(1, 4, 3, 8, 8, 2, rng)
    n_conv = params0["w1"].size + params0["b1"].size
    n_lin = params0["w2"].size + params0["b2"].size
    print(f"parameters: conv {n_conv} (4 filters of 1x3x3 + 4 biases), linear {n_lin}")
    print(f"a dense layer with the conv layer's 8x8 -> 4x8x8 shape would need {64 * 256 + 256} parameters")
    print("test accuracy before training:", accuracy(x_test, y_test, params0))
    params, losses = train_cnn(x, y, params0)
    print("loss at steps 0, 20, 40, 59:", np.array(losses)[[0, 20, 40, 59]])
    print("test accuracy after training: ", accuracy(x_test, y_test, params))
    print("receptive field of 3x3 conv, 2x2 pool, 3x3 conv, 2x2 pool:", receptive_field([(3, 1), (2, 2), (3, 1), (2, 2)]))
