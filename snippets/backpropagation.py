"""Backpropagation: the chain rule applied from the loss backwards, reusing the forward pass.

Two demonstrations:

* a four-node graph ``loss = (w * x + b - y) ** 2`` written out node by node
  (:func:`tiny_forward`, :func:`tiny_backward`), the same numbers as the worked
  example of the glossary entry;
* a multilayer perceptron (``snippets.neural_network``) trained with a mean squared
  error (``torch.nn.MSELoss()``, ``reduction="mean"``): :func:`loss_and_grads`
  computes every parameter gradient with one forward and one backward pass.

Every gradient is checked against centred differences.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient

from snippets.neural_network import init_mlp, mlp_backward, mlp_forward


def tiny_forward(w, b, x, y):
    """Forward pass of ``loss = (w * x + b - y) ** 2``, keeping every intermediate value.

    Parameters
    ----------
    w, b, x, y : float

    Returns
    -------
    loss : float
    cache : tuple
        ``(x, u, r)`` with ``u = w * x``, ``z = u + b``, ``r = z - y``.
    """
    u = w * x
    z = u + b
    r = z - y
    return r * r, (x, u, r)


def tiny_backward(cache):
    """Backward pass of :func:`tiny_forward`: adjoints from the loss down to ``w`` and ``b``.

    Parameters
    ----------
    cache : tuple
        From :func:`tiny_forward`.

    Returns
    -------
    dw, db : float
        ``d loss / d w`` and ``d loss / d b``.
    """
    x, _, r = cache
    dr = 2.0 * r  # d(r^2)/dr
    dz = dr * 1.0  # r = z - y
    db = dz * 1.0  # z = u + b
    du = dz * 1.0
    dw = du * x  # u = w * x
    return dw, db


def mse_loss(pred, target):
    """Mean squared error over all elements, as ``torch.nn.MSELoss()``, and its gradient.

    Parameters
    ----------
    pred : ndarray of shape (N, K)
    target : ndarray of shape (N, K)

    Returns
    -------
    loss : float
    dpred : ndarray of shape (N, K)
    """
    diff = pred - target
    return float(np.mean(diff**2)), 2.0 * diff / diff.size


def loss_and_grads(params, x, y):
    """Loss of an MLP and its gradient with respect to every parameter, by backpropagation.

    Parameters
    ----------
    params : list of (W, b)
        ``W`` of shape (n_in, n_out), ``b`` of shape (n_out,).
    x : ndarray of shape (N, D)
    y : ndarray of shape (N, K)

    Returns
    -------
    loss : float
    grads : list of (dW, db)
        Same shapes as ``params``.
    """
    out, caches = mlp_forward(params, x)
    loss, dout = mse_loss(out, y)
    return loss, mlp_backward(dout, caches)


def equivalence_cases():
    """Inputs the PyTorch equivalent of the tiny graph is checked on.

    The worked example of the page, a residual of exactly 0 (no gradient), negative and large
    values.

    Returns
    -------
    list of dict with the floats w, b, x, y
    """
    values = [(1.5, -0.5, 2.0, 1.0), (2.0, 1.0, 3.0, 7.0), (-0.3, 4.0, -2.5, 0.25), (1e3, -2e3, 0.5, 1e-3)]
    return [dict(zip("wbxy", v)) for v in values]


def tiny_loss_and_grads(w, b, x, y):
    """Loss of the tiny graph and its gradients with respect to ``w`` and ``b``.

    Parameters
    ----------
    w, b, x, y : float

    Returns
    -------
    loss, dw, db : float
    """
    loss, cache = tiny_forward(w, b, x, y)
    return (loss, *tiny_backward(cache))


def mlp_equivalence_cases():
    """Inputs the PyTorch equivalent of the MLP's gradients is checked on.

    Networks with two hidden layers of several widths, a batch of one, and a zero input row with
    zero first-layer biases (pre-activations exactly 0, where ReLU's derivative is a convention).

    Returns
    -------
    list of dict with x (N, D), y (N, K), weights W1, W2, W3 of shape (n_in, n_out) and biases
    b1, b2, b3 of shape (n_out,)
    """
    rng = np.random.default_rng(29)
    cases = []
    for sizes, n in [([3, 5, 4, 2], 6), ([4, 3, 3, 1], 1), ([2, 8, 8, 3], 32), ([3, 4, 4, 2], 5)]:
        params = [(W, 0.1 * rng.normal(size=b.shape)) for W, b in init_mlp(sizes, rng)]
        case = {"x": rng.normal(size=(n, sizes[0])), "y": rng.normal(size=(n, sizes[-1]))}
        for i, (W, b) in enumerate(params, start=1):
            case[f"W{i}"], case[f"b{i}"] = W, b
        cases.append(case)
    cases[-1]["x"][0] = 0.0
    cases[-1]["b1"][:] = 0.0
    return cases


def mlp_loss_and_grads(x, y, W1, b1, W2, b2, W3, b3):
    """Mean squared error of a two-hidden-layer MLP and its gradient for every parameter.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    y : ndarray of shape (N, K)
    W1, W2, W3 : ndarray of shape (n_in, n_out)
    b1, b2, b3 : ndarray of shape (n_out,)

    Returns
    -------
    loss : float
    dW1, db1, dW2, db2, dW3, db3 : ndarray
        Same shapes as the parameters.
    """
    loss, grads = loss_and_grads([(W1, b1), (W2, b2), (W3, b3)], x, y)
    return (loss, *(g for pair in grads for g in pair))


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = init_mlp([3, 5, 4, 2], rng)
    params = [(W, 0.1 * rng.normal(size=b.shape)) for W, b in params]
    return params, rng.normal(size=(6, 3)), rng.normal(size=(6, 2))


def check_tiny_graph_gradients():
    w, b, x, y = 1.5, -0.5, 2.0, 1.0
    dw, db = tiny_backward(tiny_forward(w, b, x, y)[1])
    assert (dw, db) == (6.0, 3.0)  # r = 1.5, dr = 3, dw = 3 * x
    num = numerical_gradient(lambda p: tiny_forward(p[0], p[1], x, y)[0], np.array([w, b]))
    assert_gradient_close(np.array([dw, db]), num, tol=1e-8)


def check_mlp_gradients_match_centred_differences():
    # Every dW and db against centred differences of the loss; relative error < 1e-6
    # (float64, h = 1e-5; no pre-activation lies within h of the ReLU kink here).
    params, x, y = _problem()
    _, caches = mlp_forward(params, x)
    assert min(np.min(np.abs(z)) for _, _, z in caches[:-1]) > 1e-3
    _, grads = loss_and_grads(params, x, y)
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
        for p, g, name in ((W, dW, "dW"), (b, db, "db")):
            num = numerical_gradient(lambda _: loss_and_grads(params, x, y)[0], p)
            assert_gradient_close(g, num, tol=1e-6, what=f"{name}[{i}]")


def check_backward_is_linear_in_the_upstream_gradient():
    # Backprop computes a vector-Jacobian product: linear in the vector it is given.
    params, x, _ = _problem(1)
    rng = np.random.default_rng(2)
    _, caches = mlp_forward(params, x)
    d1, d2 = rng.normal(size=(6, 2)), rng.normal(size=(6, 2))
    g1, g2, g12 = (mlp_backward(d, caches) for d in (d1, d2, 2.0 * d1 - 3.0 * d2))
    for (a1, c1), (a2, c2), (a12, c12) in zip(g1, g2, g12):
        np.testing.assert_allclose(a12, 2.0 * a1 - 3.0 * a2, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c12, 2.0 * c1 - 3.0 * c2, rtol=1e-10, atol=1e-12)


def check_gradient_predicts_the_first_order_change():
    # L(theta - eps * g) = L(theta) - eps * ||g||^2 + O(eps^2).
    params, x, y = _problem(3)
    loss, grads = loss_and_grads(params, x, y)
    g2 = sum(np.sum(dW**2) + np.sum(db**2) for dW, db in grads)
    eps = 1e-6
    moved = [(W - eps * dW, b - eps * db) for (W, b), (dW, db) in zip(params, grads)]
    slope = (loss_and_grads(moved, x, y)[0] - loss) / eps
    np.testing.assert_allclose(slope, -g2, rtol=1e-4)


if __name__ == "__main__":
    loss, cache = tiny_forward(1.5, -0.5, 2.0, 1.0)
    x, u, r = cache
    print(f"forward : u = w*x = {u:.1f}, z = u + b = {u - 0.5:.1f}, r = z - y = {r:.1f}, loss = r^2 = {loss:.2f}")
    dw, db = tiny_backward(cache)
    print(f"backward: dL/dr = 2r = {2 * r:.1f}, dL/dz = dL/db = {db:.1f}, dL/dw = dL/dz * x = {dw:.1f}")
    params, x, y = _problem()
    loss, grads = loss_and_grads(params, x, y)
    n_params = sum(W.size + b.size for W, b in params)
    print(f"MLP 3-5-4-2: {n_params} parameters, loss {loss:.4f}")
    for i, ((W, b), (dW, db)) in enumerate(zip(params, grads)):
        num = numerical_gradient(lambda _: loss_and_grads(params, x, y)[0], W)
        err = np.max(np.abs(dW - num)) / np.max(np.abs(num))
        print(f"  layer {i + 1}: |dW| max {np.max(np.abs(dW)):.4f}, backprop vs centred differences: {err:.1e}")
    print(f"cost: backprop = 1 forward + 1 backward pass; centred differences = {2 * n_params} forward passes")
