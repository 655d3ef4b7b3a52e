"""Gradient accumulation: several micro-batches, one optimiser step, the gradient of a large batch.

The loop mirrors the PyTorch idiom (and ``transformers.Trainer`` with
``TrainingArguments(gradient_accumulation_steps=K)``)::

    for i, (xb, yb) in enumerate(loader):
        loss = criterion(model(xb), yb) / K      # criterion has reduction="mean"
        loss.backward()                          # adds into .grad
        if (i + 1) % K == 0:
            optimizer.step(); optimizer.zero_grad()

Dividing each micro-batch's *mean* loss by ``K`` reproduces the mean over the whole batch only when
the micro-batches are equally large; otherwise each must be weighted by its share of the examples
(``n_k / N``), which is what Hugging Face's ``num_items_in_batch`` does for token-level losses since
transformers PR #34191 (October 2024). The model here is linear regression with the MSE of
``snippets.linear_regression`` (``mse_forward`` / ``mse_backward``).
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient

from snippets.batch_normalization import batch_norm_forward
from snippets.linear_regression import mse_backward, mse_forward


def accumulate_gradients(X, y, w, b, micro_batches, weighting="count"):
    """Sum of micro-batch gradients, each scaled as the accumulation loop scales its loss.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    w : ndarray of shape (D,)
    b : float
    micro_batches : list of ndarray of shape (B_k,)
        Index arrays; together they form the (large) batch.
    weighting : {"count", "mean", "none"}
        ``"count"``: loss ``k`` scaled by ``B_k / sum(B_k)`` (exact for any sizes);
        ``"mean"``: by ``1 / K`` (the usual idiom; exact for equal sizes);
        ``"none"``: unscaled (a common bug: ``K`` times too large for equal sizes).

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
    loss : float
        The accumulated, scaled loss (what would be logged).
    """
    if not micro_batches or any(len(idx) == 0 for idx in micro_batches):
        raise ValueError("every micro-batch must hold at least one example")
    total = sum(len(idx) for idx in micro_batches)
    dw, db, loss = np.zeros_like(w, dtype=float), 0.0, 0.0
    for idx in micro_batches:
        scale = {"count": len(idx) / total, "mean": 1.0 / len(micro_batches), "none": 1.0}[weighting]
        l, cache = mse_forward(X[idx], y[idx], w, b)
        gw, gb = mse_backward(scale, cache)
        dw, db, loss = dw + gw, db + gb, loss + scale * l
    return dw, db, loss


def train(X, y, batch_size, accumulation_steps, lr, n_steps, rng):
    """SGD where each step's batch of ``batch_size`` is processed in ``accumulation_steps`` pieces.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    batch_size : int
        Effective (global) batch size; must be divisible by ``accumulation_steps``.
    accumulation_steps : int
        ``K``; the micro-batch size is ``batch_size // K``.
    lr : float
    n_steps : int
        Optimiser steps.
    rng : numpy.random.Generator
        Draws each step's batch (without replacement within a step).

    Returns
    -------
    w : ndarray of shape (D,)
    b : float

    Raises
    ------
    ValueError
        If the loss blows up (learning rate too large) instead of returning NaN.
    """
    if batch_size % accumulation_steps:
        raise ValueError("batch_size must be divisible by accumulation_steps")
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(n_steps):
        batch = rng.choice(len(y), size=batch_size, replace=False)
        dw, db, loss = accumulate_gradients(X, y, w, b, np.split(batch, accumulation_steps), "mean")
        if not np.isfinite(loss) or loss > 1e100:
            raise ValueError(f"training diverged (loss {loss:.3g}) with lr={lr}: lower the learning rate")
        w, b = w - lr * dw, b - lr * db
    return w, b


def make_data(seed=0, n=64, d=3):
    """A small linear-regression problem and the generator that made it.

    Returns
    -------
    X : ndarray of shape (n, 3)
    y : ndarray of shape (n,)
    rng : numpy.random.Generator
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.1 * rng.normal(size=n), rng


# ---------------------------------------------------------------- checks


def check_equal_micro_batches_give_the_full_batch_gradient():
    X, y, rng = make_data()
    w, b = rng.normal(size=3), 0.7
    idx = rng.permutation(32)
    full_w, full_b = mse_backward(1.0, mse_forward(X[idx], y[idx], w, b)[1])
    for k in (1, 2, 4, 8, 32):  # k = 32: micro-batches of one example
        dw, db, _ = accumulate_gradients(X, y, w, b, np.split(idx, k), "mean")
        np.testing.assert_allclose(dw, full_w, rtol=1e-12)
        np.testing.assert_allclose(db, full_b, rtol=1e-12)


def check_forgetting_to_divide_multiplies_the_gradient_by_k():
    X, y, rng = make_data()
    w, b = rng.normal(size=3), 0.0
    parts = np.split(np.arange(32), 4)
    dw_mean, _, _ = accumulate_gradients(X, y, w, b, parts, "mean")
    dw_none, _, _ = accumulate_gradients(X, y, w, b, parts, "none")
    np.testing.assert_allclose(dw_none, 4 * dw_mean, rtol=1e-12)


def check_unequal_micro_batches_need_count_weighting():
    # 30 examples in micro-batches of 8, 8, 8, 6: the mean of the four means over-weights the six.
    X, y, rng = make_data()
    w, b = rng.normal(size=3), 0.0
    idx = np.arange(30)
    parts = [idx[:8], idx[8:16], idx[16:24], idx[24:]]
    full_w, _ = mse_backward(1.0, mse_forward(X[idx], y[idx], w, b)[1])
    dw_count, _, _ = accumulate_gradients(X, y, w, b, parts, "count")
    dw_mean, _, _ = accumulate_gradients(X, y, w, b, parts, "mean")
    np.testing.assert_allclose(dw_count, full_w, rtol=1e-12)
    assert np.linalg.norm(dw_mean - full_w) > 1e-3 * np.linalg.norm(full_w)


def check_accumulated_gradient_matches_numerical_gradient():
    X, y, rng = make_data()
    w, b = rng.normal(size=3), -0.4
    idx = np.arange(30)
    parts = [idx[:8], idx[8:16], idx[16:24], idx[24:]]
    dw, db, _ = accumulate_gradients(X, y, w, b, parts, "count")
    num = numerical_gradient(lambda t: mse_forward(X[idx], y[idx], t[:3], t[3])[0], np.append(w, b))
    assert_gradient_close(np.append(dw, db), num, tol=1e-7)


def check_training_trajectory_is_the_same():
    # Same seeds, same batches: K = 4 micro-batches of 8 train exactly like batches of 32.
    X, y, _ = make_data()
    w1, b1 = train(X, y, 32, 1, 0.1, 50, np.random.default_rng(5))
    w4, b4 = train(X, y, 32, 4, 0.1, 50, np.random.default_rng(5))
    np.testing.assert_allclose(w4, w1, rtol=1e-12, atol=1e-14)
    assert abs(b4 - b1) < 1e-12


def check_empty_micro_batch_raises():
    X, y, _ = make_data()
    try:
        accumulate_gradients(X, y, np.zeros(3), 0.0, [np.arange(4), np.arange(0)])
    except ValueError:
        return
    raise AssertionError("expected ValueError")


def check_divergence_raises():
    X, y, _ = make_data()
    try:
        train(X, y, 32, 4, 5.0, 500, np.random.default_rng(0))
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("expected ValueError")


def check_batch_statistics_break_the_equivalence():
    # Batch normalization computes its mean and variance per micro-batch, so accumulating
    # d(loss)/d(gamma) over micro-batches is NOT the gradient of the full batch.
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(16, 2)) * [1.0, 3.0] + [0.0, 5.0], rng.normal(size=(16, 2))
    gamma, beta = np.ones(2), np.zeros(2)

    def dgamma(rows):
        out, _ = batch_norm_forward(x[rows], gamma, beta)
        return np.sum(dout[rows] * (out - beta) / gamma, axis=0)  # x_hat = (out - beta) / gamma

    full = dgamma(np.arange(16))
    accumulated = dgamma(np.arange(8)) + dgamma(np.arange(8, 16))
    assert np.linalg.norm(accumulated - full) > 0.05 * np.linalg.norm(full)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y, rng = make_data()
    w, b = np.array([0.5, 0.5, 0.5]), 0.0
    idx = np.arange(32)
    full_w, full_b = mse_backward(1.0, mse_forward(X[idx], y[idx], w, b)[1])
    print("linear regression, one batch of 32 at w = [0.5, 0.5, 0.5], b = 0")
    print("full batch of 32:           dw =", full_w, f"db = {full_b:.4f}")
    dw, db, _ = accumulate_gradients(X, y, w, b, np.split(idx, 4), "mean")
    print("4 micro-batches of 8, /4:   dw =", dw, f"db = {db:.4f}")
    dw, db, _ = accumulate_gradients(X, y, w, b, np.split(idx, 4), "none")
    print("4 micro-batches, no /4:     dw =", dw, f"db = {db:.4f}")
    parts = [idx[:8], idx[8:16], idx[16:24], idx[24:30]]
    full30 = mse_backward(1.0, mse_forward(X[:30], y[:30], w, b)[1])[0]
    print("30 examples as 8+8+8+6:     full dw =", full30)
    print("  weighted by count:             dw =", accumulate_gradients(X, y, w, b, parts, "count")[0])
    print("  mean of the four means:        dw =", accumulate_gradients(X, y, w, b, parts, "mean")[0])
    w1, b1 = train(X, y, 32, 1, 0.1, 50, np.random.default_rng(5))
    w4, b4 = train(X, y, 32, 4, 0.1, 50, np.random.default_rng(5))
    print(f"50 SGD steps, batch 32 vs 4 x 8 accumulated: max |difference| = {max(np.max(np.abs(w1 - w4)), abs(b1 - b4)):.1e}")
