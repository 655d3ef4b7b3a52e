"""Teacher forcing: train a sequence model on the true previous outputs, not on its own.

Two pieces mirror library code. ``shift_tokens_right`` is
``transformers.models.bart.modeling_bart.shift_tokens_right(input_ids, pad_token_id,
decoder_start_token_id)``: the decoder's inputs are the labels moved one place right, with the
start token in front and label padding ``-100`` replaced by ``pad_token_id``. And the
teacher-forced forward pass takes the whole shifted sequence at once, as a decoder
(``torch.nn.RNN``, a Transformer decoder with a causal mask) is called in training, while
``free_running_forward`` feeds each prediction back in, as ``model.generate`` does at inference.

The sequence model is the smallest one that shows the difference, a linear autoregression
``x_hat_t = a * x_{t-1} + b`` on real-valued sequences of shape (N, T), trained with the mean
squared error. Both forward functions come with backward functions (the free-running one is
backpropagation through time) and centred-difference checks.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient


def shift_tokens_right(labels, pad_token_id, decoder_start_token_id):
    """Decoder inputs for teacher forcing, as Hugging Face's BART/T5-style ``shift_tokens_right``.

    Parameters
    ----------
    labels : ndarray of shape (N, T), int
        Target token ids; ``-100`` marks positions the loss ignores.
    pad_token_id : int
    decoder_start_token_id : int

    Returns
    -------
    decoder_input_ids : ndarray of shape (N, T), int
        ``[start, labels[:, 0], ..., labels[:, T-2]]`` with ``-100`` replaced by ``pad_token_id``.
    """
    labels = np.asarray(labels)
    out = np.empty_like(labels)
    out[:, 1:] = labels[:, :-1]
    out[:, 0] = decoder_start_token_id
    out[out == -100] = pad_token_id
    return out


def teacher_forced_forward(a, b, x):
    """Mean squared one-step error when every input is the *true* previous value.

    All ``T - 1`` predictions ``a * x[:, :-1] + b`` are computed at once: nothing waits for an
    earlier prediction, which is why teacher-forced training parallelises over time.

    Parameters
    ----------
    a, b : float
    x : ndarray of shape (N, T)

    Returns
    -------
    loss : float
        ``mean((a x_{t-1} + b - x_t)^2)`` over ``N (T - 1)`` terms.
    cache : tuple
    """
    pred = a * x[:, :-1] + b
    r = pred - x[:, 1:]
    return float(np.mean(r * r)), (x, r)


def teacher_forced_backward(dout, cache):
    """Gradient of :func:`teacher_forced_forward` with respect to ``(a, b)``.

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    da, db : float
    """
    x, r = cache
    g = dout * 2.0 * r / r.size
    return float(np.sum(g * x[:, :-1])), float(np.sum(g))


def free_running_forward(a, b, x):
    """Mean squared error of a rollout that feeds each prediction back as the next input.

    ``y_0 = x_0`` and ``y_t = a y_{t-1} + b``: after the first value the model never sees the data
    again, so errors compound.

    Parameters
    ----------
    a, b : float
    x : ndarray of shape (N, T)

    Returns
    -------
    loss : float
        ``mean((y_t - x_t)^2)`` over ``t = 1 .. T-1``.
    cache : tuple
        ``(a, x, y)`` with the rollout ``y`` of shape (N, T).

    Raises
    ------
    ValueError
        If the rollout overflows (``|a| > 1`` over a long horizon).
    """
    y = np.empty_like(x, dtype=float)
    y[:, 0] = x[:, 0]
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, x.shape[1]):
            y[:, t] = a * y[:, t - 1] + b
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the free-running rollout overflowed (a = {a}); use a shorter horizon")
    r = y[:, 1:] - x[:, 1:]
    return float(np.mean(r * r)), (a, x, y)


def free_running_backward(dout, cache):
    """Backpropagation through time for :func:`free_running_forward`.

    ``dL/dy_t = 2 (y_t - x_t) / M + a dL/dy_{t+1}`` from the last step backwards (``M`` terms in
    the mean), then ``da = sum_t dL/dy_t * y_{t-1}`` and ``db = sum_t dL/dy_t``.

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    da, db : float
    """
    a, x, y = cache
    n, T = x.shape
    m = n * (T - 1)
    da, db, carry = 0.0, 0.0, np.zeros(n)
    for t in range(T - 1, 0, -1):
        dy = dout * 2.0 * (y[:, t] - x[:, t]) / m + a * carry
        da += float(np.sum(dy * y[:, t - 1]))
        db += float(np.sum(dy))
        carry = dy
    return da, db


def fit_teacher_forced(x):
    """Minimise the teacher-forced loss: least squares of ``x_t`` on ``[x_{t-1}, 1]``.

    Parameters
    ----------
    x : ndarray of shape (N, T)

    Returns
    -------
    a, b : float
    """
    prev, nxt = x[:, :-1].ravel(), x[:, 1:].ravel()
    A = np.column_stack([prev, np.ones_like(prev)])
    (a, b), *_ = np.linalg.lstsq(A, nxt, rcond=None)
    return float(a), float(b)


def inverse_sigmoid_decay(i, k):
    """Probability of feeding the true token at training step ``i`` in scheduled sampling.

    ``k / (k + exp(i / k))`` (Bengio et al., 2015), ``k >= 1``: near 1 early, decaying to 0.

    Parameters
    ----------
    i : int or ndarray
    k : float

    Returns
    -------
    float or ndarray
    """
    # k / (k + e^(i/k)) = sigmoid(ln k - i/k), written with tanh so a huge i gives 0, not an overflow.
    z = np.log(k) - np.asarray(i, dtype=float) / k
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def simulate_ar1(n, T, a=0.9, b=1.0, sigma=0.3, seed=0, x0=None):
    """Sequences from ``x_t = a x_{t-1} + b + sigma * noise``.

    Returns
    -------
    x : ndarray of shape (n, T)
    """
    rng = np.random.default_rng(seed)
    x = np.empty((n, T))
    x[:, 0] = b / (1 - a) if x0 is None else x0
    for t in range(1, T):
        x[:, t] = a * x[:, t - 1] + b + sigma * rng.normal(size=n)
    return x


def horizon_rmse(a, b, x, horizons):
    """RMSE of the free-running forecast ``k`` steps after the first value, for each ``k``.

    Parameters
    ----------
    a, b : float
    x : ndarray of shape (N, T)
    horizons : sequence of int, each in ``1 .. T-1``

    Returns
    -------
    ndarray of shape (len(horizons),)
    """
    _, (_, _, y) = free_running_forward(a, b, x)
    return np.array([np.sqrt(np.mean((y[:, k] - x[:, k]) ** 2)) for k in horizons])


# ---------------------------------------------------------------- checks


def check_shift_tokens_right_matches_hugging_face():
    labels = np.array([[5, 6, 7, 8], [9, 4, -100, -100]])
    out = shift_tokens_right(labels, pad_token_id=1, decoder_start_token_id=2)
    assert out.tolist() == [[2, 5, 6, 7], [2, 9, 4, 1]]
    assert labels[1, 2] == -100  # the labels are not modified
    # Position t of the decoder input is the label of position t - 1: the model at step t sees
    # exactly the true tokens before t.
    assert np.array_equal(out[0, 1:], labels[0, :-1])


def check_teacher_forced_gradient():
    x = simulate_ar1(3, 12, seed=1)
    loss, cache = teacher_forced_forward(0.7, 0.4, x)
    grad = np.array(teacher_forced_backward(1.0, cache))
    num = numerical_gradient(lambda p: teacher_forced_forward(p[0], p[1], x)[0], np.array([0.7, 0.4]))
    assert_gradient_close(grad, num, tol=1e-7)


def check_free_running_gradient_is_backprop_through_time():
    x = simulate_ar1(3, 12, seed=2)
    loss, cache = free_running_forward(0.7, 0.4, x)
    grad = np.array(free_running_backward(1.0, cache))
    num = numerical_gradient(lambda p: free_running_forward(p[0], p[1], x)[0], np.array([0.7, 0.4]))
    assert_gradient_close(grad, num, tol=1e-7)


def check_teacher_forced_fit_is_least_squares():
    x = simulate_ar1(20, 50, seed=3)
    a, b = fit_teacher_forced(x)
    da, db = teacher_forced_backward(1.0, teacher_forced_forward(a, b, x)[1])
    assert abs(da) < 1e-9 and abs(db) < 1e-9  # the teacher-forced loss is at its minimum
    assert abs(a - 0.9) < 0.02 and abs(b / (1 - a) - 10.0) < 0.3


def check_errors_compound_without_the_teacher():
    # With the true model, the one-step (teacher-forced) error has variance sigma^2 at every step,
    # while a k-step free-running forecast has variance sigma^2 (1 - a^(2k)) / (1 - a^2).
    a, s = 0.9, 0.3
    x = simulate_ar1(20000, 16, a=a, sigma=s, seed=4)
    tf_loss, _ = teacher_forced_forward(a, 1.0, x)
    assert abs(tf_loss / s**2 - 1) < 0.02
    ks = np.array([1, 2, 5, 10, 15])
    exact = np.sqrt(s**2 * (1 - a ** (2 * ks)) / (1 - a**2))
    np.testing.assert_allclose(horizon_rmse(a, 1.0, x, ks), exact, rtol=0.03)


def check_rollout_overflow_raises():
    x = np.zeros((1, 4000))
    x[0, 0] = 1.0
    try:
        free_running_forward(1.5, 0.0, x)
    except ValueError:
        return
    raise AssertionError("expected ValueError")


def check_scheduled_sampling_schedule():
    p = inverse_sigmoid_decay(np.arange(0, 5000, 10), k=200.0)
    assert p[0] > 0.99 and p[-1] < 1e-3 and np.all(np.diff(p) < 0)
    i = np.array([0.0, 150.0, 1000.0])
    np.testing.assert_allclose(inverse_sigmoid_decay(i, 200.0), 200.0 / (200.0 + np.exp(i / 200.0)), rtol=1e-12)
    with np.errstate(all="raise"):  # extreme step count: no overflow, the probability is just 0
        assert inverse_sigmoid_decay(1e9, 10.0) == 0.0


def plot_rollout(x_test, a, b):
    """Figure for the page: one sequence, its teacher-forced one-step predictions and a free-running rollout."""
    import matplotlib.pyplot as plt

    _, (_, _, y) = free_running_forward(a, b, x_test[:1])
    t = np.arange(x_test.shape[1])
    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    ax.plot(t, x_test[0], "k.-", lw=1, label="observed sequence")
    ax.plot(t[1:], a * x_test[0, :-1] + b, "C0o", ms=4, label="teacher-forced: one step from the truth")
    ax.plot(t, y[0], "C1-", lw=2, label="free-running: fed its own outputs")
    ax.set_xlabel("t")
    ax.legend(fontsize=8)
    fig.set_label(
        "A noisy sequence starting well below its long-run level of 10. The teacher-forced "
        "predictions, each made from the true previous value, stay close to every observed point; "
        "the free-running rollout from the first value is a smooth curve that rises towards 10 and "
        "ignores the ups and downs of the data."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    labels = np.array([[5, 6, 7, 8], [9, 4, -100, -100]])
    print("labels                ", labels.tolist())
    print("decoder inputs (start=2, pad=1)", shift_tokens_right(labels, 1, 2).tolist())
    train = simulate_ar1(50, 40, seed=0)
    a, b = fit_teacher_forced(train)
    print(f"AR(1) data x_t = 0.9 x_(t-1) + 1 + 0.3 noise; teacher-forced fit: a = {a:.4f}, b = {b:.4f}")
    test = simulate_ar1(2000, 21, seed=1)
    print(f"one-step (teacher-forced) RMSE on test sequences: {np.sqrt(teacher_forced_forward(a, b, test)[0]):.3f}")
    ks = [1, 2, 5, 10, 20]
    print("free-running RMSE k steps after the start:", dict(zip(ks, np.round(horizon_rmse(a, b, test, ks), 3).tolist())))
    print(f"theory for the true model: sigma * sqrt((1 - a^2k)/(1 - a^2)) -> {0.3 / np.sqrt(1 - 0.81):.3f} as k grows")
    print(
        "scheduled sampling, P(feed the true token) at steps 0, 1000, 2000 (k = 200):",
        np.round(inverse_sigmoid_decay([0, 1000, 2000], 200.0), 3).tolist(),
    )
    plot_rollout(simulate_ar1(1, 30, seed=5, x0=4.0), a, b)
