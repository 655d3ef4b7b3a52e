"""Gated recurrent unit (GRU): a recurrent cell whose update gate interpolates old and new state.

    r = sigmoid(x W_xr + b_xr + h W_hr + b_hr)          reset gate
    z = sigmoid(x W_xz + b_xz + h W_hz + b_hz)          update gate
    n = tanh(x W_xn + b_xn + r * (h W_hn + b_hn))       candidate state
    h' = (1 - z) * n + z * h

Conventions follow ``torch.nn.GRU(batch_first=True)``: inputs (N, T, D), outputs (N, T, H), the
three gate blocks stacked in the order reset, update, new (r, z, n), and the reset gate applied
*after* the recurrent matrix product, to ``h W_hn + b_hn`` (the cuDNN form). Because of that
the two biases cannot be merged for the n block, so both are kept: ``b_x`` is PyTorch's
``bias_ih_l0`` and ``b_h`` its ``bias_hh_l0``. Weights are stored as (in, 3H), the transpose of
``weight_ih_l0`` (3H, D) and ``weight_hh_l0`` (3H, H). The published version of Cho et al. (2014,
arXiv v3) applies the reset gate *before* the product, ``(r * h) W_hn``; :func:`gru_step_cho`
computes that variant (``tf.keras.layers.GRU(reset_after=False)``).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import sigmoid, tanh
from snippets.recurrent_neural_network import init_rnn_params, rnn_backward, rnn_forward


def gru_step_forward(x_t, h_prev, W_x, W_h, b_x, b_h):
    """One GRU step with PyTorch's equations and gate order (r, z, n).

    Parameters
    ----------
    x_t : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    W_x : ndarray of shape (D, 3H)
        Input weights, blocks ``[W_xr | W_xz | W_xn]``.
    W_h : ndarray of shape (H, 3H)
        Recurrent weights, blocks ``[W_hr | W_hz | W_hn]``.
    b_x : ndarray of shape (3H,)
        Input bias (``bias_ih_l0``).
    b_h : ndarray of shape (3H,)
        Recurrent bias (``bias_hh_l0``); its n block is multiplied by the reset gate.

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : tuple
    """
    H = h_prev.shape[1]
    gx = x_t @ W_x + b_x
    gh = h_prev @ W_h + b_h
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H : 2 * H] + gh[:, H : 2 * H])
    n = tanh(gx[:, 2 * H :] + r * gh[:, 2 * H :])
    h = (1.0 - z) * n + z * h_prev
    return h, (x_t, h_prev, W_x, W_h, r, z, n, gh[:, 2 * H :])


def gru_step_backward(dh, cache):
    """Backward pass of :func:`gru_step_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient with respect to this step's output.
    cache : tuple

    Returns
    -------
    dx_t : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    dW_x : ndarray of shape (D, 3H)
    dW_h : ndarray of shape (H, 3H)
    db_x : ndarray of shape (3H,)
    db_h : ndarray of shape (3H,)
    """
    x_t, h_prev, W_x, W_h, r, z, n, ghn = cache
    dn = dh * (1.0 - z)
    dz = dh * (h_prev - n)
    da_n = dn * (1.0 - n**2)
    da_r = da_n * ghn * r * (1.0 - r)
    da_z = dz * z * (1.0 - z)
    dgx = np.concatenate([da_r, da_z, da_n], axis=1)
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)
    dh_prev = dh * z + dgh @ W_h.T
    return dgx @ W_x.T, dh_prev, x_t.T @ dgx, h_prev.T @ dgh, dgx.sum(axis=0), dgh.sum(axis=0)


def gru_forward(x, h0, W_x, W_h, b_x, b_h):
    """Run the GRU over whole sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
    W_x, W_h, b_x, b_h : ndarray
        As in :func:`gru_step_forward`.

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Every hidden state; ``h[:, -1]`` is PyTorch's ``h_n``.
    cache : list
        One step cache per time step.
    """
    N, T, _ = x.shape
    h = np.empty((N, T, h0.shape[1]))
    caches, h_t = [], h0
    for t in range(T):
        h_t, c = gru_step_forward(x[:, t], h_t, W_x, W_h, b_x, b_h)
        h[:, t] = h_t
        caches.append(c)
    return h, caches


def gru_backward(dh, cache):
    """Backpropagation through time for :func:`gru_forward`.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss with respect to every hidden state.
    cache : list

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dW_x : ndarray of shape (D, 3H)
    dW_h : ndarray of shape (H, 3H)
    db_x : ndarray of shape (3H,)
    db_h : ndarray of shape (3H,)
    """
    x0, _, W_x, W_h = cache[0][:4]
    N, T, H = dh.shape
    dx = np.empty((N, T, x0.shape[1]))
    grads = [np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(3 * H), np.zeros(3 * H)]
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, *g = gru_step_backward(dh[:, t] + dh_next, cache[t])
        for acc, g_t in zip(grads, g):
            acc += g_t
    return (dx, dh_next, *grads)


def gru_step_cho(x_t, h_prev, W_x, W_h, b_x, b_h):
    """The GRU as published by Cho et al. (2014, arXiv v3): reset gate *before* the recurrent product.

    ``n = tanh(x W_xn + b_xn + (r * h) W_hn + b_hn)``; everything else as in
    :func:`gru_step_forward`. This is ``tf.keras.layers.GRU(reset_after=False)``.

    Parameters
    ----------
    x_t : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    W_x, W_h, b_x, b_h : ndarray
        As in :func:`gru_step_forward`.

    Returns
    -------
    h : ndarray of shape (N, H)
    """
    H = h_prev.shape[1]
    gx = x_t @ W_x + b_x
    gh = h_prev @ W_h[:, : 2 * H] + b_h[: 2 * H]
    r = sigmoid(gx[:, :H] + gh[:, :H])
    z = sigmoid(gx[:, H : 2 * H] + gh[:, H:])
    n = tanh(gx[:, 2 * H :] + (r * h_prev) @ W_h[:, 2 * H :] + b_h[2 * H :])
    return (1.0 - z) * n + z * h_prev


def init_gru_params(D, H, rng, update_bias=0.0):
    """PyTorch's default initialisation, every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)].

    Parameters
    ----------
    D : int
        Input size.
    H : int
        Hidden size.
    rng : numpy.random.Generator
    update_bias : float
        Added to the z block of ``b_x``; a positive value makes the cell keep its state by default.

    Returns
    -------
    W_x : ndarray of shape (D, 3H)
    W_h : ndarray of shape (H, 3H)
    b_x : ndarray of shape (3H,)
    b_h : ndarray of shape (3H,)
    """
    k = 1.0 / np.sqrt(H)
    W_x, W_h = rng.uniform(-k, k, size=(D, 3 * H)), rng.uniform(-k, k, size=(H, 3 * H))
    b_x, b_h = rng.uniform(-k, k, size=3 * H), rng.uniform(-k, k, size=3 * H)
    b_x[H : 2 * H] += update_bias
    return W_x, W_h, b_x, b_h


def gru_num_parameters(D, H):
    """Parameter count of one GRU layer, ``3 (D H + H H + 2 H)``, as ``torch.nn.GRU`` reports.

    Parameters
    ----------
    D, H : int

    Returns
    -------
    int
    """
    return 3 * (D * H + H * H + 2 * H)


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=2, T=4, D=3, H=4):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), *init_gru_params(D, H, rng), rng.normal(size=(N, T, H)))


def check_matches_the_pytorch_equations_with_gate_order_r_z_n():
    x, h0, W_x, W_h, b_x, b_h, _ = _problem(0, T=1)
    H = h0.shape[1]
    blk = lambda a, i: a[..., i * H : (i + 1) * H]
    x0 = x[:, 0]
    r = 1 / (1 + np.exp(-(x0 @ blk(W_x, 0) + blk(b_x, 0) + h0 @ blk(W_h, 0) + blk(b_h, 0))))
    z = 1 / (1 + np.exp(-(x0 @ blk(W_x, 1) + blk(b_x, 1) + h0 @ blk(W_h, 1) + blk(b_h, 1))))
    n = np.tanh(x0 @ blk(W_x, 2) + blk(b_x, 2) + r * (h0 @ blk(W_h, 2) + blk(b_h, 2)))
    h, _ = gru_forward(x, h0, W_x, W_h, b_x, b_h)
    assert_close(h[:, 0], (1 - z) * n + z * h0, rtol=1e-12)


def check_reset_before_or_after_the_product_are_different_models():
    # In (r * h) W_hn (Cho et al.) r scales the inputs of the matrix product; in r * (h W_hn + b_hn)
    # (PyTorch, cuDNN) it scales its outputs and the bias. They differ in general and coincide
    # when W_hn is diagonal and b_hn = 0.
    x, h0, W_x, W_h, b_x, b_h, _ = _problem(1, T=1)
    H = h0.shape[1]
    a = gru_step_forward(x[:, 0], h0, W_x, W_h, b_x, b_h)[0]
    b = gru_step_cho(x[:, 0], h0, W_x, W_h, b_x, b_h)
    assert not np.allclose(a, b)
    W_h2, b_h2 = W_h.copy(), b_h.copy()
    W_h2[:, 2 * H :] = np.diag(np.diag(W_h[:, 2 * H :]))
    b_h2[2 * H :] = 0.0
    assert_close(gru_step_forward(x[:, 0], h0, W_x, W_h2, b_x, b_h2)[0], gru_step_cho(x[:, 0], h0, W_x, W_h2, b_x, b_h2), rtol=1e-12)


def check_closed_update_gate_copies_the_state_and_its_gradient():
    # z -> 1 (a large update bias): h_t = h_{t-1}, and d h_T / d h_0 is the identity.
    x, h0, W_x, W_h, b_x, b_h, _ = _problem(2, T=30)
    b_x = b_x.copy()
    H = h0.shape[1]
    b_x[H : 2 * H] = 40.0
    h, cache = gru_forward(x, h0, W_x, W_h, b_x, b_h)
    assert_close(h[:, -1], h0, rtol=1e-12, atol=1e-12, what="state after 30 steps")
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    assert_close(gru_backward(dh, cache)[1], np.ones_like(h0), rtol=1e-12, what="d h_T / d h_0")


def check_closed_reset_gate_makes_the_candidate_ignore_the_past():
    x, h0, W_x, W_h, b_x, b_h, _ = _problem(3, T=1)
    H = h0.shape[1]
    b_x = b_x.copy()
    b_x[:H] = -60.0  # r = 0
    b_x[H : 2 * H] = -60.0  # z = 0: h' = n
    out1 = gru_step_forward(x[:, 0], h0, W_x, W_h, b_x, b_h)[0]
    out2 = gru_step_forward(x[:, 0], -h0, W_x, W_h, b_x, b_h)[0]
    assert_close(out1, out2, rtol=0, atol=1e-12, what="candidate with r = 0")
    assert_close(out1, np.tanh(x[:, 0] @ W_x[:, 2 * H :] + b_x[2 * H :]), rtol=1e-12)


def check_state_stays_in_minus_one_one_even_for_huge_inputs():
    x, h0, W_x, W_h, b_x, b_h, _ = _problem(4, T=20)
    h0 = np.tanh(h0)
    h, _ = gru_forward(1e6 * x, h0, W_x, W_h, b_x, b_h)
    # h' is a convex combination of n in (-1, 1) and h_prev in (-1, 1).
    assert np.all(np.isfinite(h)) and np.all(np.abs(h) <= 1.0)


def check_bptt_matches_numerical_gradient():
    # Centred differences in float64 for x, h0 and all six parameter arrays; relative error < 1e-7.
    x, h0, W_x, W_h, b_x, b_h, dh = _problem(5)
    grads = gru_backward(dh, gru_forward(x, h0, W_x, W_h, b_x, b_h)[1])
    f = lambda _: gru_forward(x, h0, W_x, W_h, b_x, b_h)[0]
    for name, arr, g in zip(["x", "h0", "W_x", "W_h", "b_x", "b_h"], [x, h0, W_x, W_h, b_x, b_h], grads):
        assert_gradient_close(g, numerical_gradient_array(f, arr, dh), tol=1e-7, what=name)


def check_parameter_count_is_three_quarters_of_an_lstm():
    D, H = 32, 64
    W_x, W_h, b_x, b_h = init_gru_params(D, H, np.random.default_rng(0))
    assert W_x.size + W_h.size + b_x.size + b_h.size == gru_num_parameters(D, H) == 18_816
    lstm = 4 * (D * H + H * H + 2 * H)  # torch.nn.LSTM, also with two bias vectors
    assert 4 * gru_num_parameters(D, H) == 3 * lstm


def _grad_to_start(T, update_bias, seed=6, D=3, H=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1, T, D))
    W_x, W_h, b_x, b_h = init_gru_params(D, H, np.random.default_rng(1), update_bias=update_bias)
    h, cache = gru_forward(x, np.zeros((1, H)), W_x, W_h, b_x, b_h)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    return np.abs(gru_backward(dh, cache)[1]).mean()


def check_update_bias_keeps_the_gradient_alive_over_long_spans():
    assert _grad_to_start(50, 3.0) > 100 * _grad_to_start(50, 0.0)


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    D, H = 3, 4
    rng = np.random.default_rng(0)
    W_x, W_h, b_x, b_h = init_gru_params(D, H, rng)
    x = rng.normal(size=(1, 5, D))
    h, cache = gru_forward(x, np.zeros((1, H)), W_x, W_h, b_x, b_h)
    print("mean reset gate r per step: ", np.array([c[4].mean() for c in cache]))
    print("mean update gate z per step:", np.array([c[5].mean() for c in cache]))
    print("h_T:", h[0, -1])
    print(
        f"parameters for D={D}, H={H}: GRU {gru_num_parameters(D, H)}, "
        f"LSTM {4 * (D * H + H * H + 2 * H)}, vanilla RNN {D * H + H * H + 2 * H}"
    )
    print("|d h_T / d h_0| over T = 50 steps:")
    for ub in (0.0, 1.0, 3.0):
        print(f"  GRU, update-gate bias {ub:.0f}: {_grad_to_start(50, ub):.2e}")
    W_xh, W_hh, b_rnn = init_rnn_params(D, H, np.random.default_rng(1))
    xr = np.random.default_rng(6).normal(size=(1, 50, D))
    hr, rcache = rnn_forward(xr, np.zeros((1, H)), W_xh, W_hh, b_rnn)
    dh = np.zeros_like(hr)
    dh[:, -1] = 1.0
    print(f"  vanilla RNN of the same size:  {np.abs(rnn_backward(dh, rcache)[1]).mean():.2e}")
