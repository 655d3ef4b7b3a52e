r"""Exploding gradients: backpropagating through many multiplications by a large matrix.

A recurrent network without inputs, ``h_t = act(h_{t-1} @ W)``, unrolled for ``T``
steps is a ``T``-layer stack whose layers all share ``W``; the forward and backward
passes are those of ``snippets.vanishing_gradient`` with ``weights = [W] * T``,
and the gradient for the shared ``W`` is the *sum* of the per-step gradients
(backpropagation through time). For the linear recurrence

.. math::
    \frac{\partial L}{\partial h_0} = \frac{\partial L}{\partial h_T}\,(W^\top)^T,

so with ``W = s Q`` (``Q`` orthogonal) the gradient norm is exactly ``s**T`` times
the top one: it explodes for ``s > 1`` and vanishes for ``s < 1``. With an activation
whose derivative is at most ``gamma`` (1 for tanh) a largest singular value of ``W``
below ``1 / gamma`` rules explosion out; above it, explosion becomes possible, not
certain (Pascanu, Mikolov & Bengio, 2013).
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient

from snippets.gradient_clipping import clip_grad_norm
from snippets.vanishing_gradient import random_orthogonal, stack_backward, stack_forward


def rnn_forward(h0, W, T, activation="linear"):
    """Run ``h_t = act(h_{t-1} @ W)`` for ``T`` steps.

    Parameters
    ----------
    h0 : ndarray of shape (N, H)
    W : ndarray of shape (H, H)
    T : int
    activation : str
        ``"linear"``, ``"tanh"``, ``"sigmoid"`` or ``"relu"``.

    Returns
    -------
    hT : ndarray of shape (N, H)
    cache : tuple
    """
    return stack_forward(h0, [W] * T, activation)


def rnn_backward(dhT, cache):
    """Backpropagation through time for :func:`rnn_forward`.

    Parameters
    ----------
    dhT : ndarray of shape (N, H)
        Gradient of the loss with respect to ``h_T``.
    cache : tuple

    Returns
    -------
    dh0 : ndarray of shape (N, H)
    dW : ndarray of shape (H, H)
        Sum over the ``T`` steps of the per-step gradients (the weight is shared).
    deltas : list of ndarray of shape (N, H)
        Gradient with respect to ``h_0, ..., h_T``.
    """
    dh0, dWs, deltas = stack_backward(dhT, cache)
    return dh0, np.sum(dWs, axis=0), deltas


def check_bptt_gradient_matches_centred_differences():
    rng = np.random.default_rng(0)
    h0, dhT = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    W = 1.2 * rng.normal(size=(4, 4)) / 2.0
    for activation in ("linear", "tanh"):
        _, cache = rnn_forward(h0, W, 6, activation)
        _, dW, _ = rnn_backward(dhT, cache)
        num = numerical_gradient(lambda w: np.sum(rnn_forward(h0, w, 6, activation)[0] * dhT), W)
        assert_gradient_close(dW, num, tol=1e-7, what=f"dW {activation}")


def check_linear_recurrence_scales_gradient_by_s_to_the_T():
    rng = np.random.default_rng(1)
    Q = random_orthogonal(8, rng)
    h0, dhT = rng.normal(size=(2, 8)), rng.normal(size=(2, 8))
    for s in (0.9, 1.0, 1.1):
        _, cache = rnn_forward(h0, s * Q, 50)
        dh0, _, _ = rnn_backward(dhT, cache)
        np.testing.assert_allclose(np.linalg.norm(dh0), s**50 * np.linalg.norm(dhT), rtol=1e-10)
    assert 1.1**50 > 100 and 0.9**50 < 0.01


def check_small_spectral_norm_rules_out_explosion_for_tanh():
    # tanh' <= 1, so ||delta_{t-1}|| <= ||W||_2 ||delta_t||: with ||W||_2 = 0.95 nothing can grow.
    rng = np.random.default_rng(2)
    W = 0.95 * random_orthogonal(8, rng)
    h0, dhT = rng.normal(size=(4, 8)), rng.normal(size=(4, 8))
    _, cache = rnn_forward(h0, W, 40, "tanh")
    norms = np.array([np.linalg.norm(d) for d in rnn_backward(dhT, cache)[2]])
    assert np.all(norms[:-1] <= 0.95 * norms[1:] * (1 + 1e-12))


def check_deep_linear_network_with_large_weights_explodes():
    # W_l ~ N(0, s^2 / n): E||x W||^2 = s^2 ||x||^2, so each layer multiplies the
    # gradient norm by about s. For s = 1.5 and 20 layers: about 1.5**20 = 3.3e3.
    rng = np.random.default_rng(3)
    n, depth, s = 128, 20, 1.5
    weights = [s * rng.normal(size=(n, n)) / np.sqrt(n) for _ in range(depth)]
    x, dout = rng.normal(size=(16, n)), rng.normal(size=(16, n))
    _, cache = stack_forward(x, weights, "linear")
    dx, _, _ = stack_backward(dout, cache)
    factor = (np.linalg.norm(dx) / np.linalg.norm(dout)) ** (1 / depth)
    assert abs(factor / s - 1) < 0.1, factor


def check_clipping_tames_the_exploded_gradient():
    rng = np.random.default_rng(4)
    W = 1.1 * random_orthogonal(8, rng)
    _, cache = rnn_forward(rng.normal(size=(2, 8)), W, 60)
    dh0, dW, _ = rnn_backward(rng.normal(size=(2, 8)), cache)
    (c_dW, c_dh0), total = clip_grad_norm([dW, dh0], max_norm=1.0)
    assert total > 100 and np.linalg.norm(np.concatenate([c_dW.ravel(), c_dh0.ravel()])) <= 1.0
    np.testing.assert_allclose(c_dW / np.linalg.norm(c_dW), dW / np.linalg.norm(dW), rtol=1e-10)


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    Q = random_orthogonal(16, rng)
    h0, dhT = rng.normal(size=(4, 16)), rng.normal(size=(4, 16))
    print("||dL/dh_0|| / ||dL/dh_T|| for h_t = act(h_{t-1} W), W = s * orthogonal, 16 units")
    print("                      T =" + "".join(f"{T:10d}" for T in (10, 25, 50, 100)))
    for act, s in (("linear", 0.9), ("linear", 1.0), ("linear", 1.1), ("tanh", 1.1), ("tanh", 3.0)):
        ratios = []
        for T in (10, 25, 50, 100):
            _, cache = rnn_forward(h0, s * Q, T, act)
            ratios.append(np.linalg.norm(rnn_backward(dhT, cache)[0]) / np.linalg.norm(dhT))
        print(f"  {act:6s} s = {s:3.1f}         " + "".join(f"{r:10.2e}" for r in ratios))
    _, cache = rnn_forward(h0, 1.1 * Q, 100)
    dh0, dW, _ = rnn_backward(dhT, cache)
    clipped, total = clip_grad_norm([dW], max_norm=5.0)
    print(f"linear, s = 1.1, T = 100: ||dW|| = {total:.3e}; clipped to max_norm 5: {np.linalg.norm(clipped[0]):.4f}")
