r"""Vanishing gradients: in a deep stack of sigmoid layers the gradient shrinks layer by layer.

The stack is ``h_l = act(z_l)``, ``z_l = h_{l-1} @ W_l`` (no biases), with ``W_l``
of shape (n_in, n_out). Going one layer down, backpropagation multiplies the
gradient by the activation's derivative and by ``W_l^T``:

.. math::
    \delta_{l-1} = (\delta_l \odot \mathrm{act}'(z_l))\, W_l^\top, \qquad
    \|\delta_{l-1}\| \le \max|\mathrm{act}'| \cdot \|W_l\|_2 \cdot \|\delta_l\|.

For the sigmoid, ``max sigma' = sigma'(0) = 1/4``; with weights of spectral norm at
most 1 the gradient reaching layer ``l`` below the top is at most ``4**-l`` times
the top one (``0.25**10 ~ 1e-6``). For tanh the bound is 1 per layer, for ReLU
the derivative is 0 or 1: neither has the built-in factor 1/4.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.activation_function import relu, relu_grad, sigmoid, sigmoid_grad, tanh, tanh_grad

ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "linear": (lambda z: z, np.ones_like),
}


def stack_forward(x, weights, activation="sigmoid"):
    """Forward pass through ``L`` layers ``h_l = act(h_{l-1} @ W_l)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    weights : list of ndarray of shape (D, D)
        ``W_1, ..., W_L`` (any chain of compatible shapes works).
    activation : str
        ``"sigmoid"``, ``"tanh"``, ``"relu"`` or ``"linear"``.

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
        ``(layers, activation)`` with ``layers`` a list of ``(h_in, W, z)``.
    """
    act, _ = ACTIVATIONS[activation]
    h, layers = x, []
    for W in weights:
        z = h @ W
        layers.append((h, W, z))
        h = act(z)
    return h, (layers, activation)


def stack_backward(dout, cache):
    """Backward pass through :func:`stack_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Gradient of the loss with respect to the output.
    cache : tuple
        From :func:`stack_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
        Gradient with respect to the input.
    dWs : list of ndarray of shape (D, D)
        Gradient with respect to each ``W_l``.
    deltas : list of ndarray of shape (N, D)
        ``deltas[l]`` is the gradient with respect to ``h_l`` (``deltas[0]`` is ``dx``,
        ``deltas[L]`` is ``dout``).
    """
    layers, activation = cache
    _, act_grad = ACTIVATIONS[activation]
    delta, deltas, dWs = dout, [dout], []
    for h_in, W, z in reversed(layers):
        dz = delta * act_grad(z)
        dWs.append(h_in.T @ dz)
        delta = dz @ W.T
        deltas.append(delta)
    return delta, dWs[::-1], deltas[::-1]


def gradient_norms(x, weights, activation, dout):
    """Norm of the gradient with respect to each layer's output, bottom (input) to top.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    weights : list of ndarray of shape (D, D)
    activation : str
    dout : ndarray of shape (N, D)

    Returns
    -------
    norms : ndarray of shape (L + 1,)
        Frobenius norms of ``deltas[0], ..., deltas[L]``.
    """
    _, cache = stack_forward(x, weights, activation)
    return np.array([np.linalg.norm(d) for d in stack_backward(dout, cache)[2]])


def random_orthogonal(n, rng):
    """A random orthogonal matrix (all singular values 1).

    Returns
    -------
    Q : ndarray of shape (n, n)
    """
    q, r = np.linalg.qr(rng.normal(size=(n, n)))
    return q * np.sign(np.diag(r))


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    The demo's four stacks (sigmoid with orthogonal and with N(0, 1/n) weights, tanh, ReLU with
    He weights), a linear stack, a 20-layer sigmoid stack whose bottom gradients are about 1e-12
    of the top ones, and a batch of one.

    Returns
    -------
    list of dict
        Each with x (N, D), weights (L, D, D), activation (str) and an upstream gradient
        dout (N, D).
    """
    rng = np.random.default_rng(21)
    cases = []
    for activation, init, n, depth, batch in [
        ("sigmoid", "orthogonal", 16, 10, 8),
        ("sigmoid", "normal", 16, 10, 8),
        ("tanh", "orthogonal", 12, 10, 4),
        ("relu", "he", 16, 10, 8),
        ("linear", "orthogonal", 8, 6, 3),
        ("sigmoid", "orthogonal", 8, 20, 5),
        ("sigmoid", "normal", 6, 4, 1),
    ]:
        if init == "orthogonal":
            weights = np.array([random_orthogonal(n, rng) for _ in range(depth)])
        else:
            weights = rng.normal(size=(depth, n, n)) * np.sqrt((2.0 if init == "he" else 1.0) / n)
        cases.append({"x": rng.normal(size=(batch, n)), "weights": weights, "activation": activation, "dout": rng.normal(size=(batch, n))})
    return cases


def stack_gradients(x, weights, activation, dout):
    """Output, per-layer gradient norms and weight gradients of the stack, for upstream ``dout``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    weights : ndarray of shape (L, D, D)
    activation : str
    dout : ndarray of shape (N, D)

    Returns
    -------
    out : ndarray of shape (N, D)
    norms : ndarray of shape (L + 1,)
        :func:`gradient_norms`: the norm of dL/dh_l for the input h_0 up to the output h_L.
    dW : ndarray of shape (L, D, D)
        The gradient with respect to each ``W_l``.
    """
    out, cache = stack_forward(x, weights, activation)
    _, dWs, _ = stack_backward(dout, cache)
    return out, gradient_norms(x, weights, activation, dout), np.array(dWs)


def check_backward_matches_centred_differences():
    rng = np.random.default_rng(0)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    weights = [rng.normal(size=(5, 5)) / np.sqrt(5) for _ in range(3)]
    for activation in ("sigmoid", "tanh", "linear"):
        _, cache = stack_forward(x, weights, activation)
        dx, dWs, _ = stack_backward(dout, cache)
        f = lambda v: stack_forward(v, weights, activation)[0]
        assert_gradient_close(dx, numerical_gradient_array(f, x.copy(), dout), tol=1e-7, what=f"dx {activation}")
        for i, W in enumerate(weights):
            g = numerical_gradient(lambda _: np.sum(stack_forward(x, weights, activation)[0] * dout), W)
            assert_gradient_close(dWs[i], g, tol=1e-7, what=f"dW[{i}] {activation}")


def check_sigmoid_factor_is_at_most_one_quarter_per_layer():
    # Orthogonal weights (spectral norm 1): every layer shrinks the gradient by <= 1/4,
    # so 10 layers shrink it by <= 0.25**10 = 9.5e-7.
    rng = np.random.default_rng(1)
    x, dout = rng.normal(size=(16, 32)), rng.normal(size=(16, 32))
    weights = [random_orthogonal(32, rng) for _ in range(10)]
    norms = gradient_norms(x, weights, "sigmoid", dout)
    assert np.all(norms[:-1] <= 0.25 * norms[1:])
    assert norms[0] <= 0.25**10 * norms[-1]
    # With general weights the per-layer bound is 0.25 * ||W_l||_2.
    weights = [3.0 * rng.normal(size=(32, 32)) / np.sqrt(32) for _ in range(10)]
    norms = gradient_norms(x, weights, "sigmoid", dout)
    for l, W in enumerate(weights):
        assert norms[l] <= 0.25 * np.linalg.norm(W, 2) * norms[l + 1]


def check_shrinkage_is_geometric_for_sigmoid_not_for_relu():
    # Xavier-scaled sigmoid stack: the log of the gradient norm falls roughly linearly
    # with depth. He-initialised ReLU stack of the same depth: no systematic decay.
    rng = np.random.default_rng(2)
    n, depth = 64, 20
    x, dout = rng.normal(size=(32, n)), rng.normal(size=(32, n))
    sig = gradient_norms(x, [rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)], "sigmoid", dout)
    factor = (sig[0] / sig[-1]) ** (1 / depth)
    assert factor < 0.3, factor
    rel = gradient_norms(x, [rng.normal(size=(n, n)) * np.sqrt(2 / n) for _ in range(depth)], "relu", dout)
    assert 0.1 < rel[0] / rel[-1] < 10, rel[0] / rel[-1]


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    n, depth = 64, 10
    x, dout = rng.normal(size=(32, n)), rng.normal(size=(32, n))
    print(f"{depth} layers of width {n}: norm of dL/dh_l relative to dL/dh_10 (h_0 = input, h_10 = output)")
    print("                          " + "".join(f"{'h_' + str(l):>9s}" for l in (10, 8, 6, 4, 2, 0)))
    runs = [
        ("sigmoid, orthogonal W", "sigmoid", [random_orthogonal(n, rng) for _ in range(depth)]),
        ("sigmoid, W ~ N(0, 1/n)", "sigmoid", [rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)]),
        ("tanh, orthogonal W", "tanh", [random_orthogonal(n, rng) for _ in range(depth)]),
        ("ReLU, W ~ N(0, 2/n) (He)", "relu", [rng.normal(size=(n, n)) * np.sqrt(2 / n) for _ in range(depth)]),
    ]
    for name, act, weights in runs:
        norms = gradient_norms(x, weights, act, dout)
        print(f"{name:26s}" + "".join(f"{v:9.1e}" for v in norms[[10, 8, 6, 4, 2, 0]] / norms[-1]))
    print(f"bound for sigmoid with ||W||_2 <= 1: 0.25 per layer, 0.25**10 = {0.25**10:.1e}")
