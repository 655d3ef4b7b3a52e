"""A multilayer perceptron (fully connected feed-forward network) in NumPy.

The network alternates affine maps and ReLU nonlinearities and ends with an affine
map (no nonlinearity on the output, as in ``torch.nn.Sequential(Linear, ReLU, ...,
Linear)``)::

    h_0 = x,    h_l = relu(h_{l-1} @ W_l + b_l)  for l < L,    out = h_{L-1} @ W_L + b_L

Weights are stored as ``W`` of shape (n_in, n_out), so a layer is ``x @ W + b``.
PyTorch's ``nn.Linear`` stores the transpose, shape (n_out, n_in), and computes
``x @ W.T + b``; the two layouts describe the same function.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def init_mlp(layer_sizes, rng):
    """Random parameters for a multilayer perceptron.

    Every layer that feeds a ReLU gets He (Kaiming) initialisation,
    ``W ~ Normal(0, 2 / n_in)``, which keeps the mean square of the
    pre-activations roughly constant from layer to layer (He et al., 2015); it is
    ``torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")``.
    The last, linear layer uses ``Normal(0, 1 / n_in)`` (the ReLU gain of 2 does
    not apply to it). Biases start at zero. Note that PyTorch's ``nn.Linear``
    default is a different, uniform initialisation.

    Parameters
    ----------
    layer_sizes : sequence of int
        ``[n_input, n_hidden_1, ..., n_output]``; at least two entries.
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.

    Returns
    -------
    params : list of (W, b)
        One pair per layer: ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,).
    """
    sizes = [int(n) for n in layer_sizes]
    if len(sizes) < 2:
        raise ValueError("layer_sizes needs at least an input and an output size")
    params = []
    n_layers = len(sizes) - 1
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        gain = 1.0 if i == n_layers - 1 else 2.0
        W = rng.normal(0.0, np.sqrt(gain / n_in), size=(n_in, n_out))
        b = np.zeros(n_out)
        params.append((W, b))
    return params


def mlp_forward(params, x):
    """Forward pass: ReLU on every hidden layer, linear output.

    Parameters
    ----------
    params : list of (W, b)
        As returned by :func:`init_mlp`; ``W`` of shape (n_in, n_out), ``b`` of
        shape (n_out,).
    x : ndarray of shape (N, D)
        A batch of N inputs with D = ``params[0][0].shape[0]`` features.

    Returns
    -------
    out : ndarray of shape (N, K)
        Outputs (e.g. regression values or logits), K = ``params[-1][0].shape[1]``.
    caches : list of tuple
        Per layer ``(h_in, W, z)``: the layer's input of shape (N, n_in), its
        weights, and its pre-activation ``z = h_in @ W + b`` of shape (N, n_out).
    """
    h = x
    caches = []
    for i, (W, b) in enumerate(params):
        z = h @ W + b
        caches.append((h, W, z))
        h = z if i == len(params) - 1 else np.maximum(z, 0.0)
    return h, caches


def mlp_backward(dout, caches):
    """Backward pass (backpropagation) through :func:`mlp_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, K)
        Gradient of the loss with respect to ``out``.
    caches : list of tuple
        The ``caches`` returned by :func:`mlp_forward`.

    Returns
    -------
    grads : list of (dW, db)
        Same structure as ``params``: ``dW`` of shape (n_in, n_out) and ``db`` of
        shape (n_out,) for every layer.
    """
    grads = [None] * len(caches)
    dz = dout
    for i in range(len(caches) - 1, -1, -1):
        h_in, W, _ = caches[i]
        grads[i] = (h_in.T @ dz, dz.sum(axis=0))
        if i > 0:
            # the input of layer i is relu(z) of layer i - 1; ReLU passes the
            # gradient where z > 0 (PyTorch's convention: derivative 0 at z = 0)
            dz = (dz @ W.T) * (caches[i - 1][2] > 0)
    return grads


def mse_loss(pred, target):
    """Mean squared error over all elements and its gradient.

    Same reduction as ``torch.nn.MSELoss()`` (``reduction="mean"``).

    Parameters
    ----------
    pred : ndarray of shape (N, K)
    target : ndarray of shape (N, K)

    Returns
    -------
    loss : float
    dpred : ndarray of shape (N, K)
        Gradient of ``loss`` with respect to ``pred``.
    """
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def sgd_step(params, grads, lr):
    """One step of plain gradient descent; returns new parameters.

    Parameters
    ----------
    params, grads : list of (W, b)
        Parameters and their gradients, matching shapes.
    lr : float
        Learning rate.

    Returns
    -------
    params : list of (W, b)
        ``W - lr * dW`` and ``b - lr * db`` for every layer (inputs untouched).
    """
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Networks with two hidden layers of several widths, a batch of one, an input row of zeros with
    zero biases (pre-activations exactly 0, ReLU's kink) and a unit that is dead for every input.

    Returns
    -------
    list of dict with x (N, D), the weights W1, W2, W3 of shape (n_in, n_out), the biases b1, b2, b3
    of shape (n_out,), and an upstream gradient dout (N, K)
    """
    rng = np.random.default_rng(23)
    cases = []
    for sizes, n in [([3, 5, 4, 2], 6), ([4, 3, 3, 1], 1), ([2, 8, 8, 3], 16), ([3, 4, 4, 2], 5)]:
        params = [(W, 0.1 * rng.normal(size=b.shape)) for W, b in init_mlp(sizes, rng)]
        x = rng.normal(size=(n, sizes[0]))
        case = {"x": x, "dout": rng.normal(size=(n, sizes[-1]))}
        for i, (W, b) in enumerate(params, start=1):
            case[f"W{i}"], case[f"b{i}"] = W, b
        cases.append(case)
    last = cases[-1]
    last["x"][0] = 0.0
    last["b1"][:] = 0.0  # row 0: every first-layer pre-activation is exactly 0
    last["b2"][1] = -50.0  # unit 1 of layer 2 never fires
    return cases


def forward_and_gradients(x, W1, b1, W2, b2, W3, b3, dout):
    """Output of a two-hidden-layer MLP and the gradients reaching its parameters for ``dout``.

    What autograd computes for ``out = model(x); out.backward(dout)`` with ``model`` an
    ``nn.Sequential(Linear, ReLU, Linear, ReLU, Linear)`` holding these weights (transposed).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    W1, W2, W3 : ndarray of shape (n_in, n_out)
    b1, b2, b3 : ndarray of shape (n_out,)
    dout : ndarray of shape (N, K)

    Returns
    -------
    out : ndarray of shape (N, K)
    dW1, db1, dW2, db2, dW3, db3 : ndarray
        Same shapes as the parameters.
    """
    out, caches = mlp_forward([(W1, b1), (W2, b2), (W3, b3)], x)
    grads = mlp_backward(dout, caches)
    return (out, *(g for pair in grads for g in pair))


# ----------------------------------------------------------------------------- checks


def check_shapes():
    rng = np.random.default_rng(0)
    sizes = [5, 7, 3, 2]
    params = init_mlp(sizes, rng)
    assert [(W.shape, b.shape) for W, b in params] == [((5, 7), (7,)), ((7, 3), (3,)), ((3, 2), (2,))]
    out, caches = mlp_forward(params, rng.normal(size=(4, 5)))
    assert out.shape == (4, 2) and len(caches) == 3
    grads = mlp_backward(np.ones_like(out), caches)
    for (W, b), (dW, db) in zip(params, grads):
        assert dW.shape == W.shape and db.shape == b.shape


def check_single_layer_is_affine():
    # With no hidden layer the network is exactly the affine map x @ W + b.
    rng = np.random.default_rng(1)
    params = init_mlp([4, 3], rng)
    W, _ = params[0]
    b = rng.normal(size=3)
    params = [(W, b)]
    x = rng.normal(size=(6, 4))
    out, _ = mlp_forward(params, x)
    assert_close(out, x @ W + b, rtol=1e-12, atol=1e-12, what="one-layer network")


def check_gradients_match_centred_differences():
    # Every dW and db of a 3-layer network against centred differences of the
    # scalar sum(out * dout); relative error below 1e-6 (float64, h = 1e-5).
    rng = np.random.default_rng(2)
    params = init_mlp([3, 6, 5, 2], rng)
    params = [(W, rng.normal(scale=0.1, size=b.shape)) for W, b in params]
    x = rng.normal(size=(8, 3))
    dout = rng.normal(size=(8, 2))
    _, caches = mlp_forward(params, x)
    grads = mlp_backward(dout, caches)

    def f(_):
        # numerical_gradient perturbs the parameter array in place
        return float(np.sum(mlp_forward(params, x)[0] * dout))

    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
        assert_gradient_close(dW, numerical_gradient(f, W), tol=1e-6, what=f"dW[{i}]")
        assert_gradient_close(db, numerical_gradient(f, b), tol=1e-6, what=f"db[{i}]")


def check_mse_gradient():
    rng = np.random.default_rng(3)
    pred, target = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    _, dpred = mse_loss(pred, target)
    num = numerical_gradient(lambda p: mse_loss(p, target)[0], pred)
    assert_gradient_close(dpred, num, tol=1e-7, what="d mse / d pred")


def check_he_init_keeps_activation_scale():
    # Through 10 ReLU layers of width 256 the mean square of the pre-activations
    # stays within a factor of 4 of the first layer's (it drifts only by finite-
    # width noise). With variance 1/n_in instead of 2/n_in it halves at every
    # layer: a factor 2**-9 = 0.002 by layer 10.
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 256))
    he = init_mlp([256] * 11 + [1], rng)
    half = [(W / np.sqrt(2.0), b) for W, b in he]
    for params, lo, hi in ((he, 0.25, 4.0), (half, 0.0, 0.01)):
        _, caches = mlp_forward(params, x)
        ms = np.array([np.mean(z**2) for _, _, z in caches[:-1]])
        assert lo < ms[-1] / ms[0] < hi, ms / ms[0]


def check_gradient_step_lowers_loss():
    # A small step against the gradient must lower the loss (first-order descent).
    rng = np.random.default_rng(5)
    params = init_mlp([2, 8, 1], rng)
    x, y = rng.normal(size=(16, 2)), rng.normal(size=(16, 1))
    out, caches = mlp_forward(params, x)
    loss, dout = mse_loss(out, y)
    new = sgd_step(params, mlp_backward(dout, caches), lr=1e-3)
    assert mse_loss(mlp_forward(new, x)[0], y)[0] < loss


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    # Toy regression: learn y = sin(3x) on [-1, 1] from 64 points.
    x = np.linspace(-1.0, 1.0, 64).reshape(-1, 1)
    y = np.sin(3.0 * x)
    params = init_mlp([1, 16, 16, 1], rng)
    print("layer shapes:", [W.shape for W, _ in params])
    print(f"variance of y (loss of predicting the mean): {np.var(y):.4f}")
    for step in range(2001):
        out, caches = mlp_forward(params, x)
        loss, dout = mse_loss(out, y)
        if step in (0, 100, 250, 500, 1000, 2000):
            print(f"step {step:4d}  mse {loss:.5f}")
        params = sgd_step(params, mlp_backward(dout, caches), lr=0.1)
    probe = np.array([[-0.5], [0.0], [0.5]])
    print("x          :", probe.ravel())
    print("sin(3x)    :", np.sin(3.0 * probe).ravel())
    print("network(x) :", mlp_forward(params, probe)[0].ravel())
