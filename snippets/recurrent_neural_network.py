"""A vanilla (Elman) recurrent neural network and backpropagation through time.

    h_t = tanh(x_t W_xh + h_{t-1} W_hh + b)

Conventions follow ``torch.nn.RNN(nonlinearity="tanh", batch_first=True)``: inputs are (N, T, D)
and the outputs are the hidden states of every step, (N, T, H). PyTorch stores the transposed
weights (``weight_ih_l0`` is (H, D)) and two biases ``b_ih + b_hh``; their sum is the single ``b``
here. The same three parameters are used at every time step.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import tanh


def rnn_step_forward(x_t, h_prev, W_xh, W_hh, b):
    """One time step.

    Parameters
    ----------
    x_t : ndarray of shape (N, D)
        Inputs at this step.
    h_prev : ndarray of shape (N, H)
        Hidden state from the previous step.
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b : ndarray of shape (H,)

    Returns
    -------
    h : ndarray of shape (N, H)
    cache : tuple
    """
    h = tanh(x_t @ W_xh + h_prev @ W_hh + b)
    return h, (x_t, h_prev, W_xh, W_hh, h)


def rnn_step_backward(dh, cache):
    """Backward pass of one step; ``tanh'(a) = 1 - tanh(a)^2`` is read off the output.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient of the loss with respect to this step's output ``h``.
    cache : tuple
        From :func:`rnn_step_forward`.

    Returns
    -------
    dx_t : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    dW_xh : ndarray of shape (D, H)
    dW_hh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
    """
    x_t, h_prev, W_xh, W_hh, h = cache
    da = dh * (1.0 - h**2)
    return da @ W_xh.T, da @ W_hh.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_forward(x, h0, W_xh, W_hh, b):
    """Run the recurrence over a whole batch of sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
        Input sequences, batch first.
    h0 : ndarray of shape (N, H)
        Initial hidden state (PyTorch's default is zeros).
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b : ndarray of shape (H,)

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Hidden state after every step; ``h[:, -1]`` is PyTorch's ``h_n``.
    cache : list
        One step cache per time step.
    """
    N, T, _ = x.shape
    h = np.empty((N, T, W_hh.shape[0]))
    caches, h_t = [], h0
    for t in range(T):
        h_t, c = rnn_step_forward(x[:, t], h_t, W_xh, W_hh, b)
        h[:, t] = h_t
        caches.append(c)
    return h, caches


def rnn_backward(dh, cache):
    """Backpropagation through time (BPTT).

    Walks the sequence backwards. The gradient reaching step t is the loss's direct gradient
    ``dh[:, t]`` plus what flows back from step t + 1 through ``W_hh``; gradients of the shared
    weights are summed over all steps.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient of the loss with respect to every hidden state (zeros where the loss does not
        read that step, e.g. everywhere but ``t = T-1`` for a sequence classifier).
    cache : list
        From :func:`rnn_forward`.

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dW_xh : ndarray of shape (D, H)
    dW_hh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
    """
    x0, _, W_xh, W_hh, _ = cache[0]
    N, T, H = dh.shape
    dx = np.empty((N, T, x0.shape[1]))
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H)
    dh_next = np.zeros((N, H))
    for t in reversed(range(T)):
        dx[:, t], dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, cache[t])
        dW_xh += dWx_t
        dW_hh += dWh_t
        db += db_t
    return dx, dh_next, dW_xh, dW_hh, db


def init_rnn_params(D, H, rng):
    """PyTorch's default initialisation: every weight and bias uniform in [-1/sqrt(H), 1/sqrt(H)].

    Parameters
    ----------
    D : int
        Input size.
    H : int
        Hidden size.
    rng : numpy.random.Generator

    Returns
    -------
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b : ndarray of shape (H,)
        The sum of PyTorch's two biases, so uniform on the sum of two intervals.
    """
    k = 1.0 / np.sqrt(H)
    return (rng.uniform(-k, k, size=(D, H)), rng.uniform(-k, k, size=(H, H)), rng.uniform(-k, k, size=H) + rng.uniform(-k, k, size=H))


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Several batch sizes, lengths and widths; a batch of one, a single step, a hidden size of one,
    and inputs large enough to saturate tanh (where ``1 - h^2`` underflows towards 0).

    Returns
    -------
    list of dict
        Each with x (N, T, D), h0 (N, H), W_xh (D, H), W_hh (H, H), b (H,) and an upstream
        gradient dh (N, T, H) for the hidden states.
    """
    rng = np.random.default_rng(11)
    cases = []
    for n, t, d, h, scale in [(2, 4, 3, 5, 1.0), (5, 7, 2, 3, 1.0), (1, 1, 4, 2, 1.0), (3, 6, 1, 1, 1.0), (2, 5, 3, 4, 8.0)]:
        W_xh, W_hh, b = init_rnn_params(d, h, rng)
        x = scale * rng.normal(size=(n, t, d))
        cases.append({"x": x, "h0": rng.normal(size=(n, h)), "W_xh": W_xh, "W_hh": W_hh, "b": b, "dh": rng.normal(size=(n, t, h))})
    return cases


def forward_and_gradients(x, h0, W_xh, W_hh, b, dh):
    """Hidden states, and the BPTT gradients for upstream ``dh``: what autograd gives for ``rnn``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
    W_xh : ndarray of shape (D, H)
    W_hh : ndarray of shape (H, H)
    b : ndarray of shape (H,)
    dh : ndarray of shape (N, T, H)
        Gradient of the loss with respect to every hidden state.

    Returns
    -------
    h : ndarray of shape (N, T, H)
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dW_xh : ndarray of shape (D, H)
    dW_hh : ndarray of shape (H, H)
    db : ndarray of shape (H,)
        Equal to the gradient of each of PyTorch's two biases.
    """
    h, cache = rnn_forward(x, h0, W_xh, W_hh, b)
    return (h, *rnn_backward(dh, cache))


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=2, T=4, D=3, H=5):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), *init_rnn_params(D, H, rng), rng.normal(size=(N, T, H)))


def check_matches_the_recurrence_written_out():
    x, h0, W_xh, W_hh, b, _ = _problem(0, T=3)
    h, _ = rnn_forward(x, h0, W_xh, W_hh, b)
    h1 = np.tanh(x[:, 0] @ W_xh + h0 @ W_hh + b)
    h2 = np.tanh(x[:, 1] @ W_xh + h1 @ W_hh + b)
    h3 = np.tanh(x[:, 2] @ W_xh + h2 @ W_hh + b)
    assert_close(h, np.stack([h1, h2, h3], axis=1), rtol=1e-12)


def check_hidden_states_are_bounded_and_causal():
    x, h0, W_xh, W_hh, b, _ = _problem(1, T=6)
    h, _ = rnn_forward(100 * x, h0, W_xh, W_hh, b)  # tanh keeps every state in (-1, 1)
    assert np.all(np.abs(h) <= 1.0)
    x2 = x.copy()
    x2[:, 4] += 1.0
    h_a, h_b = rnn_forward(x, h0, W_xh, W_hh, b)[0], rnn_forward(x2, h0, W_xh, W_hh, b)[0]
    assert_close(h_b[:, :4], h_a[:, :4], rtol=1e-12, what="states before the change")
    assert not np.allclose(h_b[:, 4:], h_a[:, 4:])


def check_same_parameters_handle_any_length():
    # Weight sharing: a prefix of a longer sequence gives the same states as the prefix alone.
    x, h0, W_xh, W_hh, b, _ = _problem(2, T=7)
    assert_close(rnn_forward(x[:, :3], h0, W_xh, W_hh, b)[0], rnn_forward(x, h0, W_xh, W_hh, b)[0][:, :3], rtol=1e-12)


def check_bptt_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7, for inputs, h0 and all weights.
    x, h0, W_xh, W_hh, b, dh = _problem(3)
    dx, dh0, dW_xh, dW_hh, db = rnn_backward(dh, rnn_forward(x, h0, W_xh, W_hh, b)[1])
    f = lambda: rnn_forward(x, h0, W_xh, W_hh, b)[0]
    for name, arr, grad in [("x", x, dx), ("h0", h0, dh0), ("W_xh", W_xh, dW_xh), ("W_hh", W_hh, dW_hh), ("b", b, db)]:
        assert_gradient_close(grad, numerical_gradient_array(lambda _: f(), arr, dh), tol=1e-7, what=name)


def check_gradient_through_time_is_bounded_by_the_weight_norm():
    # d h_T / d h_0 is a product of T Jacobians diag(1 - h_t^2) W_hh^T, each of norm at most
    # ||W_hh||_2 because |tanh'| <= 1: gradients reaching far back shrink at least geometrically
    # when ||W_hh||_2 < 1 (vanishing gradients).
    rng = np.random.default_rng(4)
    H, T = 4, 12
    W_xh, W_hh, b = rng.normal(size=(2, H)), rng.normal(size=(H, H)), np.zeros(H)
    W_hh *= 0.9 / np.linalg.norm(W_hh, 2)
    # H copies of one sequence, so that row i of the batch can ask for d h_T[i] / d h_0.
    x, h0 = np.repeat(rng.normal(size=(1, T, 2)), H, axis=0), np.repeat(rng.normal(size=(1, H)), H, axis=0)
    _, cache = rnn_forward(x, h0, W_xh, W_hh, b)
    dh = np.zeros((H, T, H))
    dh[np.arange(H), -1, np.arange(H)] = 1.0
    jac = rnn_backward(dh, cache)[1]  # (H, H) Jacobian d h_T / d h_0
    assert 0 < np.linalg.norm(jac, 2) <= 0.9**T


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    D, H = 3, 4
    W_xh, W_hh, b = init_rnn_params(D, H, rng)
    print("parameters:", W_xh.size + W_hh.size + b.size, "for sequences of any length")
    x = rng.normal(size=(1, 5, D))
    h, _ = rnn_forward(x, np.zeros((1, H)), W_xh, W_hh, b)
    print("hidden states h_1..h_5 of one sequence:")
    print(h[0])
    print("how much the last state depends on the first input, |d h_T / d x_1| (loss = sum of h_T):")
    for T in (5, 10, 20, 40):
        x = rng.normal(size=(1, T, D))
        h, cache = rnn_forward(x, np.zeros((1, H)), W_xh, W_hh, b)
        dh = np.zeros_like(h)
        dh[:, -1] = 1.0
        dx = rnn_backward(dh, cache)[0]
        print(f"  T = {T:2d}: {np.linalg.norm(dx[0, 0]):.2e}   (vs last input: {np.linalg.norm(dx[0, -1]):.2e})")
