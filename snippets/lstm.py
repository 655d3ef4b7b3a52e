"""Long short-term memory (LSTM): a recurrent cell with a gated, additively updated memory c_t.

    i, f, o = sigmoid(.), g = tanh(.)      all four from  x_t W_x + h_{t-1} W_h + b
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Conventions follow ``torch.nn.LSTM(batch_first=True)``: inputs (N, T, D), outputs (N, T, H), and
the four gate blocks stacked in the order input, forget, cell candidate, output (i, f, g, o).
PyTorch stores the transposed weights (``weight_ih_l0`` is (4H, D)) and two biases; their sum is
the single ``b`` of shape (4H,) here.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.activation_function import sigmoid, tanh
from snippets.recurrent_neural_network import init_rnn_params, rnn_backward, rnn_forward


def lstm_step_forward(x_t, h_prev, c_prev, W_x, W_h, b):
    """One LSTM time step.

    Parameters
    ----------
    x_t : ndarray of shape (N, D)
    h_prev : ndarray of shape (N, H)
    c_prev : ndarray of shape (N, H)
        Cell state from the previous step.
    W_x : ndarray of shape (D, 4H)
        Column blocks in gate order i, f, g, o.
    W_h : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)

    Returns
    -------
    h : ndarray of shape (N, H)
    c : ndarray of shape (N, H)
    cache : tuple
    """
    a = x_t @ W_x + h_prev @ W_h + b
    i, f, g, o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(i), sigmoid(f), tanh(g), sigmoid(o)
    c = f * c_prev + i * g
    tc = tanh(c)
    h = o * tc
    return h, c, (x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tc)


def lstm_step_backward(dh, dc, cache):
    """Backward pass of one step.

    Parameters
    ----------
    dh : ndarray of shape (N, H)
        Gradient with respect to this step's ``h``.
    dc : ndarray of shape (N, H)
        Gradient with respect to this step's ``c`` arriving from the next step.

    Returns
    -------
    dx_t : ndarray of shape (N, D)
    dh_prev : ndarray of shape (N, H)
    dc_prev : ndarray of shape (N, H)
        ``dc_total * f``: through the cell path the gradient is only scaled by the forget gate.
    dW_x : ndarray of shape (D, 4H)
    dW_h : ndarray of shape (H, 4H)
    db : ndarray of shape (4H,)
    """
    x_t, h_prev, c_prev, W_x, W_h, i, f, g, o, tc = cache
    dc = dc + dh * o * (1.0 - tc**2)
    da = np.concatenate(
        [
            dc * g * i * (1.0 - i),  # input gate
            dc * c_prev * f * (1.0 - f),  # forget gate
            dc * i * (1.0 - g**2),  # cell candidate
            dh * tc * o * (1.0 - o),
        ],
        axis=1,
    )  # output gate
    return da @ W_x.T, da @ W_h.T, dc * f, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_forward(x, h0, c0, W_x, W_h, b):
    """Run the LSTM over a batch of sequences.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0 : ndarray of shape (N, H)
    c0 : ndarray of shape (N, H)
    W_x : ndarray of shape (D, 4H)
    W_h : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)

    Returns
    -------
    h : ndarray of shape (N, T, H)
        Hidden state after every step (PyTorch's ``output``; ``h[:, -1]`` is ``h_n``).
    cache : dict
        ``cache["c"]``, of shape (N, T, H), holds the cell states (``c[:, -1]`` is ``c_n``);
        ``cache["steps"]`` the per-step caches.
    """
    N, T, _ = x.shape
    H = W_h.shape[0]
    h, c = np.empty((N, T, H)), np.empty((N, T, H))
    steps, h_t, c_t = [], h0, c0
    for t in range(T):
        h_t, c_t, step = lstm_step_forward(x[:, t], h_t, c_t, W_x, W_h, b)
        h[:, t], c[:, t] = h_t, c_t
        steps.append(step)
    return h, {"c": c, "steps": steps}


def lstm_backward(dh, cache, dc_n=None):
    """Backpropagation through time for the LSTM.

    Parameters
    ----------
    dh : ndarray of shape (N, T, H)
        Gradient with respect to every hidden state.
    cache : dict
        From :func:`lstm_forward`.
    dc_n : ndarray of shape (N, H), optional
        Gradient with respect to the final cell state ``c_n`` (zero if omitted).

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    dh0 : ndarray of shape (N, H)
    dc0 : ndarray of shape (N, H)
    dW_x : ndarray of shape (D, 4H)
    dW_h : ndarray of shape (H, 4H)
    db : ndarray of shape (4H,)
    """
    steps = cache["steps"]
    x0, _, _, W_x, W_h = steps[0][:5]
    N, T, H = dh.shape
    dx = np.empty((N, T, x0.shape[1]))
    dW_x, dW_h, db = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros(4 * H)
    dh_next = np.zeros((N, H))
    dc_next = np.zeros((N, H)) if dc_n is None else dc_n
    for t in reversed(range(T)):
        dx[:, t], dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, steps[t])
        dW_x += dWx_t
        dW_h += dWh_t
        db += db_t
    return dx, dh_next, dc_next, dW_x, dW_h, db


def init_lstm_params(D, H, rng, forget_bias=1.0):
    """Uniform(-1/sqrt(H), 1/sqrt(H)) weights as in PyTorch, plus a constant on the forget-gate bias.

    PyTorch initialises the forget-gate bias like every other bias (about 0, so f is about 0.5);
    Keras adds 1 by default (``unit_forget_bias=True``), as recommended by Jozefowicz et al.
    (2015): a positive bias makes the cell remember by default at the start of training.

    Parameters
    ----------
    D : int
        Input size.
    H : int
        Hidden size.
    rng : numpy.random.Generator
    forget_bias : float
        Added to the forget block ``b[H:2H]``.

    Returns
    -------
    W_x : ndarray of shape (D, 4H)
    W_h : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)
    """
    k = 1.0 / np.sqrt(H)
    W_x, W_h = rng.uniform(-k, k, size=(D, 4 * H)), rng.uniform(-k, k, size=(H, 4 * H))
    b = rng.uniform(-k, k, size=4 * H) + rng.uniform(-k, k, size=4 * H)
    b[H : 2 * H] += forget_bias
    return W_x, W_h, b


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Several batch sizes, lengths and widths; a batch of one, a single step, a hidden size of one,
    a forget-gate bias of 3 (a nearly open forget gate) and inputs large enough to saturate the
    gates.

    Returns
    -------
    list of dict
        Each with x (N, T, D), h0 (N, H), c0 (N, H), W_x (D, 4H), W_h (H, 4H), b (4H,) and the
        upstream gradients dh (N, T, H) for every hidden state and dc_n (N, H) for the final cell
        state.
    """
    rng = np.random.default_rng(12)
    cases = []
    shapes = [(2, 4, 3, 5, 1.0, 0.0), (5, 7, 2, 3, 1.0, 1.0), (1, 1, 4, 2, 1.0, 0.0), (3, 6, 1, 1, 1.0, 3.0), (2, 5, 3, 4, 8.0, 0.0)]
    for n, t, d, h, scale, forget_bias in shapes:
        W_x, W_h, b = init_lstm_params(d, h, rng, forget_bias=forget_bias)
        cases.append(
            {
                "x": scale * rng.normal(size=(n, t, d)),
                "h0": rng.normal(size=(n, h)),
                "c0": rng.normal(size=(n, h)),
                "W_x": W_x,
                "W_h": W_h,
                "b": b,
                "dh": rng.normal(size=(n, t, h)),
                "dc_n": rng.normal(size=(n, h)),
            }
        )
    return cases


def forward_and_gradients(x, h0, c0, W_x, W_h, b, dh, dc_n):
    """Hidden states, final cell state, and the BPTT gradients: what autograd gives for ``lstm``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    h0, c0 : ndarray of shape (N, H)
    W_x : ndarray of shape (D, 4H)
    W_h : ndarray of shape (H, 4H)
    b : ndarray of shape (4H,)
    dh : ndarray of shape (N, T, H)
        Gradient of the loss with respect to every hidden state.
    dc_n : ndarray of shape (N, H)
        Gradient of the loss with respect to the final cell state.

    Returns
    -------
    h : ndarray of shape (N, T, H)
    c_n : ndarray of shape (N, H)
    dx : ndarray of shape (N, T, D)
    dh0, dc0 : ndarray of shape (N, H)
    dW_x : ndarray of shape (D, 4H)
    dW_h : ndarray of shape (H, 4H)
    db : ndarray of shape (4H,)
        Equal to the gradient of each of PyTorch's two biases.
    """
    h, cache = lstm_forward(x, h0, c0, W_x, W_h, b)
    return (h, cache["c"][:, -1], *lstm_backward(dh, cache, dc_n))


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=2, T=4, D=3, H=3):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(N, T, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H)), *init_lstm_params(D, H, rng))


def check_matches_the_equations_with_pytorch_gate_order():
    x, h0, c0, W_x, W_h, b = _problem(0, T=1)
    H = 3
    a = x[:, 0] @ W_x + h0 @ W_h + b
    s = lambda z: 1 / (1 + np.exp(-z))
    i, f, g, o = s(a[:, :H]), s(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), s(a[:, 3 * H :])
    h, cache = lstm_forward(x, h0, c0, W_x, W_h, b)
    assert_close(cache["c"][:, 0], f * c0 + i * g, rtol=1e-12, what="c_1")
    assert_close(h[:, 0], o * np.tanh(f * c0 + i * g), rtol=1e-12, what="h_1")


def check_open_forget_gate_and_closed_input_gate_keep_the_memory():
    # Saturate f -> 1 and i -> 0 through the biases (blocks 2 and 1): the cell state is carried
    # unchanged however long the sequence, whatever the inputs.
    x, h0, c0, W_x, W_h, b = _problem(1, T=20)
    b = b.copy()
    b[0:3], b[3:6] = -40.0, 40.0
    _, cache = lstm_forward(x, h0, c0, W_x, W_h, b)
    assert_close(cache["c"][:, -1], c0, rtol=1e-12, what="c_T")


def check_hidden_state_is_bounded_but_cell_state_is_not():
    x, h0, c0, W_x, W_h, b = _problem(2, T=30)
    c0 = np.zeros_like(c0)
    b = b.copy()
    b[:9] = 40.0  # i = f = 1, g = 1: the cell counts up by one every step
    h, cache = lstm_forward(x, np.zeros_like(h0), c0, W_x, W_h, b)
    assert np.all(np.abs(h) <= 1.0)
    assert np.all(np.abs(cache["c"]) <= np.arange(1, 31)[None, :, None])
    assert cache["c"].max() > 29.0


def check_cell_path_gradient_is_the_product_of_forget_gates():
    # With W_h = 0 the only route from c_0 to c_T is the cell path, so d c_T / d c_0 is
    # diagonal with entries prod_t f_t: no weight matrix and no tanh' in between.
    x, h0, c0, W_x, W_h, b = _problem(3, T=10)
    W_h = np.zeros_like(W_h)
    h, cache = lstm_forward(x, h0, c0, W_x, W_h, b)
    f = np.stack([step[6] for step in cache["steps"]], axis=1)  # (N, T, H)
    dc0 = lstm_backward(np.zeros_like(h), cache, dc_n=np.ones_like(c0))[2]
    assert_close(dc0, np.prod(f, axis=1), rtol=1e-12, what="dc_0")


def check_bptt_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7, including the gradient that
    # enters through the final cell state.
    x, h0, c0, W_x, W_h, b = _problem(4)
    rng = np.random.default_rng(5)
    dh, dc_n = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 3))
    grads = lstm_backward(dh, lstm_forward(x, h0, c0, W_x, W_h, b)[1], dc_n)

    def loss(_):
        h, cache = lstm_forward(x, h0, c0, W_x, W_h, b)
        return np.sum(h * dh) + np.sum(cache["c"][:, -1] * dc_n)

    for name, arr, grad in zip(["x", "h0", "c0", "W_x", "W_h", "b"], [x, h0, c0, W_x, W_h, b], grads):
        assert_gradient_close(grad, numerical_gradient(loss, arr), tol=1e-7, what=name)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    D, H = 3, 4
    W_x, W_h, b = init_lstm_params(D, H, rng, forget_bias=1.0)
    print("parameters:", W_x.size + W_h.size + b.size, "(4x a vanilla RNN of the same size: one block per gate)")
    x = rng.normal(size=(1, 6, D))
    h, cache = lstm_forward(x, np.zeros((1, H)), np.zeros((1, H)), W_x, W_h, b)
    print("mean forget gate per step:", np.array([s[6].mean() for s in cache["steps"]]))
    print("|d c_T / d c_0| through the cell path only (W_h = 0), for forget-gate bias 0, 1, 3:")
    for fb in (0.0, 1.0, 3.0):
        W_x, W_h, b = init_lstm_params(D, H, np.random.default_rng(1), forget_bias=fb)
        x = np.random.default_rng(2).normal(size=(1, 50, D))
        h, cache = lstm_forward(x, np.zeros((1, H)), np.zeros((1, H)), W_x, np.zeros_like(W_h), b)
        dc0 = lstm_backward(np.zeros_like(h), cache, dc_n=np.ones((1, H)))[2]
        print(f"  bias {fb:.0f}: T = 50 -> {np.abs(dc0).mean():.2e}")
    W_xh, W_hh, b_rnn = init_rnn_params(D, H, np.random.default_rng(1))
    h, rcache = rnn_forward(x, np.zeros((1, H)), W_xh, W_hh, b_rnn)
    dh = np.zeros_like(h)
    dh[:, -1] = 1.0
    print(f"vanilla RNN of the same size, |d h_T / d h_0|, T = 50 -> {np.abs(rnn_backward(dh, rcache)[1]).mean():.2e}")
