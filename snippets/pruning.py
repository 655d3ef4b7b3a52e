"""Magnitude pruning: zero out the weights with the smallest absolute values, then fine-tune.

Masks follow ``torch.nn.utils.prune``:

* :func:`l1_unstructured_mask` is ``prune.l1_unstructured(module, "weight", amount)``: ``amount`` is a
  fraction in [0, 1] (the number pruned is ``round(amount * n)``) or an absolute count, and the
  entries with the smallest ``|w|`` get mask 0;
* :func:`global_unstructured_masks` is ``prune.global_unstructured(..., pruning_method=L1Unstructured)``:
  one threshold across several tensors;
* :func:`ln_structured_mask` is ``prune.ln_structured(module, "weight", amount, n, dim)``: whole rows
  (output units) with the smallest L_n norm are removed.

As in PyTorch, the layer keeps the dense original (``weight_orig``) and the ``weight_mask``; the weight
used is their product, so the gradient reaching ``weight_orig`` is the weight gradient times the mask
and pruned entries stay zero during fine-tuning. Networks come from :mod:`snippets.neural_network`.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.neural_network import init_mlp, mlp_backward, mlp_forward, mse_loss

__all__ = [
    "n_to_prune",
    "l1_unstructured_mask",
    "global_unstructured_masks",
    "ln_structured_mask",
    "masked_mlp_loss_and_grads",
    "train_masked",
    "sparsity",
]


def n_to_prune(amount, n):
    """How many of ``n`` entries ``amount`` means, like ``torch.nn.utils.prune._compute_nparams_toprune``.

    A float is a fraction, ``round(amount * n)`` with Python's round-half-to-even, as in PyTorch.

    Parameters
    ----------
    amount : float in [0, 1] or int >= 0
        Fraction (rounded to the nearest integer count) or absolute number.
    n : int

    Returns
    -------
    int
    """
    if isinstance(amount, (int, np.integer)) and not isinstance(amount, bool):
        if not 0 <= amount <= n:
            raise ValueError(f"cannot prune {amount} of {n} entries")
        return int(amount)
    if not 0.0 <= amount <= 1.0:
        raise ValueError("a fractional amount must be in [0, 1]")
    return int(round(amount * n))


def l1_unstructured_mask(w, amount):
    """Mask that zeroes the ``amount`` entries of ``w`` with the smallest absolute value.

    ``torch.nn.utils.prune.l1_unstructured(module, 'weight', amount).weight_mask``.

    Ties are broken by position (stable sort), so the result is deterministic.

    Parameters
    ----------
    w : ndarray of shape (out, in)
    amount : float or int

    Returns
    -------
    mask : ndarray of shape (out, in)
        1.0 for kept entries, 0.0 for pruned ones.
    """
    k = n_to_prune(amount, w.size)
    mask = np.ones(w.size)
    mask[np.argsort(np.abs(w).ravel(), kind="stable")[:k]] = 0.0
    return mask.reshape(w.shape)


def global_unstructured_masks(weights, amount):
    """One magnitude threshold across several tensors (layers compete for the surviving weights).

    ``torch.nn.utils.prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=amount)``.

    Parameters
    ----------
    weights : list of ndarray
    amount : float or int
        Fraction or number of all entries together.

    Returns
    -------
    masks : list of ndarray, shapes of ``weights``
    """
    flat = np.concatenate([w.ravel() for w in weights])
    mask = l1_unstructured_mask(flat, amount)
    out, start = [], 0
    for w in weights:
        out.append(mask[start : start + w.size].reshape(w.shape))
        start += w.size
    return out


def ln_structured_mask(w, amount, n=2, dim=0):
    """Remove whole slices along ``dim`` with the smallest L_n norm (structured pruning).

    ``torch.nn.utils.prune.ln_structured(module, 'weight', amount, n, dim).weight_mask``.

    Parameters
    ----------
    w : ndarray of shape (out, in)
    amount : float or int
        Fraction or number of slices.
    n : int or float
        Norm order.
    dim : int
        0 removes output units (rows, the layout of ``nn.Linear.weight``), 1 removes inputs.

    Returns
    -------
    mask : ndarray of shape (out, in)
    """
    other = tuple(a for a in range(w.ndim) if a != dim)
    norms = np.sum(np.abs(w) ** n, axis=other) ** (1.0 / n)
    keep = l1_unstructured_mask(norms, amount)  # smallest norms get 0
    shape = [1] * w.ndim
    shape[dim] = -1
    return np.broadcast_to(keep.reshape(shape), w.shape).copy()


def sparsity(masks):
    """Fraction of pruned entries over all masks.

    ``float(sum((m == 0).sum() for m in masks) / sum(m.numel() for m in masks))`` on the ``weight_mask`` buffers.

    Parameters
    ----------
    masks : list of ndarray

    Returns
    -------
    float
    """
    return float(sum((m == 0).sum() for m in masks) / sum(m.size for m in masks))


def masked_mlp_loss_and_grads(params, masks, X, Y):
    """MSE of the MLP whose weights are ``W_orig * mask``, and gradients for ``W_orig``.

    With ``torch.nn.utils.prune`` the gradient of ``weight_orig`` is the same masked gradient.

    Parameters
    ----------
    params : list of (W_orig, b)
        Dense weights, ``W`` of shape (n_in, n_out) as in :mod:`snippets.neural_network`.
    masks : list of ndarray
        One mask per weight matrix, same shapes.
    X : ndarray of shape (N, D)
    Y : ndarray of shape (N, K)

    Returns
    -------
    loss : float
    grads : list of (dW_orig, db)
        ``dW_orig = dW * mask``.
    """
    effective = [(W * m, b) for (W, b), m in zip(params, masks)]
    out, caches = mlp_forward(effective, X)
    loss, dout = mse_loss(out, Y)
    grads = mlp_backward(dout, caches)
    return loss, [(dW * m, db) for (dW, db), m in zip(grads, masks)]


def train_masked(params, masks, X, Y, lr=0.05, steps=500):
    """Gradient descent on :func:`masked_mlp_loss_and_grads` (masks fixed).

    Like ``torch.optim.SGD`` on a model pruned with ``torch.nn.utils.prune`` (masks fixed).

    Parameters
    ----------
    params : list of (W, b)
    masks : list of ndarray
    X : ndarray of shape (N, D)
    Y : ndarray of shape (N, K)
    lr : float
    steps : int

    Returns
    -------
    params : list of (W, b)
        With pruned entries set to exactly zero.
    losses : ndarray of shape (steps,)

    Raises
    ------
    ValueError
        If the loss becomes non-finite or exceeds 10 times its initial value.
    """
    losses = np.empty(steps)
    for t in range(steps):
        loss, grads = masked_mlp_loss_and_grads(params, masks, X, Y)
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"training diverged at step {t} (loss {loss}); lower lr (now {lr})")
        losses[t] = loss
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
    return [(W * m, b) for (W, b), m in zip(params, masks)], losses


def _setup(seed=0, hidden=64):
    """A teacher MLP [8, 4, 1] (targets scaled to unit variance) and a dense student [8, hidden, 1] fitted to it."""
    rng = np.random.default_rng(seed)
    teacher = init_mlp([8, 4, 1], rng)
    X, X_test = rng.normal(size=(200, 8)), rng.normal(size=(1000, 8))
    sd = mlp_forward(teacher, X)[0].std()
    Y, Y_test = mlp_forward(teacher, X)[0] / sd, mlp_forward(teacher, X_test)[0] / sd
    start = init_mlp([8, hidden, 1], rng)
    dense, _ = train_masked(start, [np.ones_like(W) for W, _ in start], X, Y, lr=0.05, steps=1000)
    return dense, X, Y, X_test, Y_test


def _experiment(sparsities=(0.0, 0.5, 0.8, 0.9, 0.95), seed=0):
    """Prune the hidden layer of the fitted student by magnitude, with and without 200 fine-tuning steps.

    The output layer (64 weights) is left dense, as first and last layers often are in practice.
    """
    dense, X, Y, X_test, Y_test = _setup(seed)
    err = lambda p: float(np.mean((mlp_forward(p, X_test)[0] - Y_test) ** 2) / np.var(Y_test))
    rows = []
    for s in sparsities:
        masks = [l1_unstructured_mask(dense[0][0], s), np.ones_like(dense[1][0])]
        pruned = [(W * m, b) for (W, b), m in zip(dense, masks)]
        tuned, _ = train_masked(pruned, masks, X, Y, lr=0.05, steps=200)
        rows.append((s, sparsity(masks[:1]), err(pruned), err(tuned)))
    return rows


# ---------------------------------------------------------------- checks


def check_l1_unstructured_prunes_the_smallest_magnitudes():
    w = np.array([[0.5, -0.1, 2.0], [-3.0, 0.05, -0.2]])
    assert_close(l1_unstructured_mask(w, 0.5), [[1, 0, 1], [1, 0, 0]], rtol=0, what="3 of 6")
    assert_close(l1_unstructured_mask(w, 2), [[1, 0, 1], [1, 0, 1]], rtol=0, what="absolute count 2")
    assert np.all(l1_unstructured_mask(w, 0.0) == 1) and np.all(l1_unstructured_mask(w, 1.0) == 0)
    rng = np.random.default_rng(0)
    w = rng.normal(size=(7, 9))
    m = l1_unstructured_mask(w, 0.3)
    assert (m == 0).sum() == round(0.3 * 63)
    assert np.abs(w[m == 0]).max() <= np.abs(w[m == 1]).min()
    for bad in (1.5, -0.1, 100):
        try:
            l1_unstructured_mask(w, bad)
        except ValueError:
            pass
        else:
            raise AssertionError(f"amount {bad} must be rejected")


def check_global_threshold_and_structured_rows():
    rng = np.random.default_rng(1)
    small, big = rng.normal(scale=0.01, size=(4, 4)), rng.uniform(0.5, 1.5, size=(4, 4)) * rng.choice([-1, 1], size=(4, 4))
    m_small, m_big = global_unstructured_masks([small, big], 0.5)
    assert m_small.sum() == 0 and m_big.sum() == 16  # the small layer loses everything first
    w = rng.normal(size=(5, 3))
    w[2] *= 0.01
    m = ln_structured_mask(w, 1, n=2, dim=0)
    assert np.all(m[2] == 0) and np.all(np.delete(m, 2, axis=0) == 1)


def check_masked_gradient_and_frozen_zeros():
    rng = np.random.default_rng(2)
    # Non-zero biases: a hidden unit whose inputs are all pruned would otherwise sit exactly on the
    # ReLU kink (z = b = 0), where the centred difference and the chosen derivative disagree.
    params = [(W, rng.normal(scale=0.5, size=b.shape)) for W, b in init_mlp([4, 6, 2], rng)]
    masks = [l1_unstructured_mask(W, 0.5) for W, _ in params]
    X, Y = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))
    _, grads = masked_mlp_loss_and_grads(params, masks, X, Y)
    for i, (W, b) in enumerate(params):
        fW = lambda v, i=i: masked_mlp_loss_and_grads([(v, p[1]) if j == i else p for j, p in enumerate(params)], masks, X, Y)[0]
        fb = lambda v, i=i: masked_mlp_loss_and_grads([(p[0], v) if j == i else p for j, p in enumerate(params)], masks, X, Y)[0]
        assert_gradient_close(grads[i][0], numerical_gradient(fW, W.copy()), tol=1e-6, what=f"dW_orig {i}")
        assert_gradient_close(grads[i][1], numerical_gradient(fb, b.copy()), tol=1e-6, what=f"db {i}")
    trained, _ = train_masked(params, masks, X, Y, lr=0.05, steps=50)
    assert all(np.all(W[m == 0] == 0) for (W, _), m in zip(trained, masks))


def check_fine_tuning_recovers_what_one_shot_pruning_loses():
    rows = dict((s, (err_pruned, err_tuned)) for s, _, err_pruned, err_tuned in _experiment((0.0, 0.9)))
    dense = rows[0.0][0]
    pruned, tuned = rows[0.9]
    assert dense < 0.05 and pruned > 10 * dense and tuned < 0.25 * pruned, (dense, pruned, tuned)


def check_global_pruning_removes_a_small_scale_layer_first():
    # One threshold for all layers: the output layer's weights are smaller (its init scale is
    # 1/sqrt(64) against sqrt(2/8) for the hidden layer), so at 80% global sparsity it is wiped out
    # and the network outputs a constant. Per-layer fractions avoid this.
    dense, *_ = _setup()
    m_hidden, m_out = global_unstructured_masks([W for W, _ in dense], 0.8)
    assert m_out.sum() == 0 and m_hidden.mean() > 0.2


def check_divergence_is_reported():
    rng = np.random.default_rng(3)
    params = init_mlp([4, 6, 1], rng)
    X, Y = 100.0 * rng.normal(size=(20, 4)), rng.normal(size=(20, 1))
    try:
        train_masked(params, [np.ones_like(W) for W, _ in params], X, Y, lr=1.0, steps=20)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("lr 1 on inputs of scale 100 must be reported")


def plot_sparsity_curve(rows):
    """Figure for the page: test error against sparsity, one-shot and after fine-tuning (needs matplotlib)."""
    import matplotlib.pyplot as plt

    s = [r[1] for r in rows]
    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    ax.plot(s, [r[2] for r in rows], "o-", label="pruned, no retraining")
    ax.plot(s, [r[3] for r in rows], "s-", label="pruned, then fine-tuned (200 steps)")
    ax.set_yscale("log")
    ax.set_xlabel("fraction of hidden-layer weights removed")
    ax.set_ylabel("test error (MSE / variance)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Test error of a pruned MLP against the fraction of hidden-layer weights removed (log "
        "scale): without retraining the error rises from 0.04 to above 1 by 90% sparsity; after "
        "fine-tuning it stays between 0.04 and 0.3 up to 95%."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    w = np.array([[0.5, -0.1, 2.0], [-3.0, 0.05, -0.2]])
    print("weight\n", w)
    print("l1_unstructured(amount=0.5) mask\n", l1_unstructured_mask(w, 0.5))
    print("ln_structured(amount=1, n=2, dim=0) mask (row norms", np.linalg.norm(w, axis=1), ")\n", ln_structured_mask(w, 1))
    rows = _experiment()
    print("MLP [8, 64, 1] fitted to a teacher [8, 4, 1]; magnitude pruning of its 512 hidden-layer weights:")
    print("  sparsity   test error, pruned only   after 200 fine-tuning steps")
    for s, actual, e_pruned, e_tuned in rows:
        print(f"  {actual:8.2f}   {e_pruned:23.4f}   {e_tuned:17.4f}")
    plot_sparsity_curve(rows)
