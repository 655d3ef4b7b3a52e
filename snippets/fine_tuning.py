"""Fine-tuning: continue training a pretrained network on a new task, starting from its weights.

Reuses the synthetic source/target tasks and the MLP trainer of :mod:`snippets.transfer_learning`
(whose ``train_mlp`` takes a learning-rate multiplier per layer, 0 meaning frozen, like setting
``requires_grad=False`` or giving a parameter group ``lr=0`` in a ``torch.optim`` optimizer). Here the
target task depends on features that are *close to* but not the same as the source's, so adapting the
pretrained features pays off. The module adds the L2-SP penalty of Li, Grandvalet & Davoine (2018),
``0.5 * lam * ||theta - theta_pretrained||^2``, which pulls the weights towards their pretrained values
instead of towards zero, and measures catastrophic forgetting: how much the source task degrades.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.neural_network import init_mlp, mlp_backward, mlp_forward, mse_loss
from snippets.transfer_learning import extract_features, linear_probe, make_tasks, relative_mse, train_mlp, with_new_head

__all__ = ["fine_tune_loss_and_grads", "fine_tune", "count_trainable"]


def fine_tune_loss_and_grads(params, X, y, anchor=None, lam=0.0):
    """Mean squared error plus the L2-SP penalty towards ``anchor``, and the gradients.

    ``torch.nn.functional.mse_loss`` plus ``0.5 * lam * sum((p - p0)**2)`` over the anchored parameters.

    Parameters
    ----------
    params : list of (W, b)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, K)
    anchor : list of (W, b), optional
        Pretrained weights (same structure for the layers being pulled back; a layer whose anchor is
        ``None``, such as a new head, is not penalised).
    lam : float
        Penalty strength.

    Returns
    -------
    loss : float
    grads : list of (dW, db)
    """
    out, caches = mlp_forward(params, X)
    loss, dout = mse_loss(out, y)
    grads = mlp_backward(dout, caches)
    if anchor is not None and lam > 0:
        new = []
        for (W, b), (dW, db), a in zip(params, grads, anchor):
            if a is not None:
                loss += 0.5 * lam * (np.sum((W - a[0]) ** 2) + np.sum((b - a[1]) ** 2))
                dW, db = dW + lam * (W - a[0]), db + lam * (b - a[1])
            new.append((dW, db))
        grads = new
    return float(loss), grads


def fine_tune(params, X, y, lr=0.02, steps=1000, layer_lrs=None, anchor=None, lam=0.0):
    """Gradient descent on :func:`fine_tune_loss_and_grads` from pretrained ``params``.

    Like ``torch.optim.SGD`` with one parameter group per layer (``lr * layer_lrs[i]``).

    Parameters
    ----------
    params : list of (W, b)
        Pretrained body with a (new) head for the target task.
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, K)
    lr : float
    steps : int
    layer_lrs : sequence of float, optional
        Per-layer multipliers of ``lr`` (discriminative learning rates); 0 freezes a layer.
    anchor : list of (W, b) or None entries, optional
    lam : float

    Returns
    -------
    params : list of (W, b)
    losses : ndarray of shape (steps,)

    Raises
    ------
    ValueError
        If the loss becomes non-finite or exceeds 10 times its initial value.
    """
    mult = [1.0] * len(params) if layer_lrs is None else list(layer_lrs)
    losses = np.empty(steps)
    for t in range(steps):
        loss, grads = fine_tune_loss_and_grads(params, X, y, anchor, lam)
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"fine-tuning diverged at step {t} (loss {loss}); lower lr (now {lr})")
        losses[t] = loss
        params = [(W - lr * m * dW, b - lr * m * db) for (W, b), (dW, db), m in zip(params, grads, mult)]
    return params, losses


def count_trainable(params, layer_lrs=None):
    """Number of parameters that a given set of per-layer multipliers actually trains.

    ``sum(p.numel() for p in model.parameters() if p.requires_grad)``.

    Parameters
    ----------
    params : list of (W, b)
    layer_lrs : sequence of float, optional

    Returns
    -------
    int
    """
    mult = [1.0] * len(params) if layer_lrs is None else layer_lrs
    return int(sum(W.size + b.size for (W, b), m in zip(params, mult) if m != 0))


def _setup(seed=0, n_target=150, shift=0.3):
    rng = np.random.default_rng(seed)
    tasks = make_tasks(rng, n_target=n_target, shift=shift)
    X, Y = tasks["source"]
    pre = train_mlp(init_mlp([X.shape[1], 32, Y.shape[1]], rng), X, Y, lr=0.1, steps=400)[0]
    Xt, yt = tasks["target"]
    head = linear_probe(extract_features(pre, Xt), yt)  # start the new head from the probe's solution
    return rng, tasks, pre, with_new_head(pre, head)


# ---------------------------------------------------------------- checks


def check_loss_and_gradients_with_l2_sp():
    rng = np.random.default_rng(0)
    params = init_mlp([4, 5, 2], rng)
    anchor = [(W + 0.1 * rng.normal(size=W.shape), b + 0.1) for W, b in params[:-1]] + [None]
    X, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    loss, grads = fine_tune_loss_and_grads(params, X, y, anchor, lam=0.3)
    for i, (W, b) in enumerate(params):
        for j, v in enumerate((W, b)):

            def f(z, i=i, j=j):
                p = [list(pair) for pair in params]
                p[i][j] = z
                return fine_tune_loss_and_grads([tuple(q) for q in p], X, y, anchor, 0.3)[0]

            assert_gradient_close(grads[i][j], numerical_gradient(f, v.copy()), tol=1e-6, what=f"layer {i}, {'Wb'[j]}")
    # At the anchor the penalty vanishes.
    assert_close(
        fine_tune_loss_and_grads(params, X, y, [tuple(p) for p in params], 0.3)[0],
        fine_tune_loss_and_grads(params, X, y)[0],
        rtol=1e-12,
        what="penalty at the anchor",
    )


def check_frozen_body_gradient_descent_converges_to_the_linear_probe():
    # Training only the head with weight decay wd on the mean squared error is ridge regression with
    # l2 = wd / 2 on the frozen features: fine-tuning with a frozen body *is* a linear probe.
    rng = np.random.default_rng(1)
    params = init_mlp([5, 6, 1], rng)
    X, y = rng.normal(size=(40, 5)), rng.normal(size=(40, 1))
    trained, _ = train_mlp(params, X, y, lr=0.1, steps=4000, layer_lrs=[0.0, 1.0], weight_decay=0.02)
    W, b = linear_probe(extract_features(params, X), y, l2=0.01)
    assert_close(trained[1][0], W, rtol=1e-6, atol=1e-9, what="head weights")
    assert_close(trained[1][1], b, rtol=1e-6, atol=1e-9, what="head bias")
    assert np.array_equal(trained[0][0], params[0][0])


def check_fine_tuning_beats_probe_and_scratch_when_features_shift():
    rng, tasks, pre, start = _setup()
    Xt, yt = tasks["target"]
    tuned, _ = fine_tune(start, Xt, yt)
    scratch = train_mlp(init_mlp([20, 32, 1], rng), Xt, yt, lr=0.02, steps=1000, weight_decay=1e-3)[0]
    e_probe, e_tuned, e_scratch = (relative_mse(p, *tasks["target_test"]) for p in (start, tuned, scratch))
    assert e_tuned < 0.8 * e_probe and e_tuned < 0.5 * e_scratch, (e_probe, e_tuned, e_scratch)


def check_catastrophic_forgetting_and_l2_sp():
    # Fine-tuning moves the shared layer away from what the source task needs; anchoring it to the
    # pretrained weights forgets less.
    rng, tasks, pre, start = _setup()
    Xt, yt = tasks["target"]
    source_head = pre[-1]
    before = relative_mse(pre, *tasks["source_test"])
    free, _ = fine_tune(start, Xt, yt)
    anchored, _ = fine_tune(start, Xt, yt, anchor=[pre[0], None], lam=0.2)
    after_free = relative_mse(with_new_head(free, source_head), *tasks["source_test"])
    after_anchored = relative_mse(with_new_head(anchored, source_head), *tasks["source_test"])
    assert before < after_anchored < after_free, (before, after_anchored, after_free)


def check_divergence_is_reported():
    rng, tasks, pre, start = _setup()
    try:
        fine_tune(start, 100.0 * tasks["target"][0], tasks["target"][1], lr=1.0, steps=20)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("lr 1 on inputs of scale 100 must be reported")


if __name__ == "__main__":
    rng, tasks, pre, start = _setup()
    Xt, yt = tasks["target"]
    print("target: 150 examples; its hidden features are a shifted version of the source's")
    print(f"trainable parameters: head only {count_trainable(start, [0, 1])}, everything {count_trainable(start)}")
    scratch = train_mlp(init_mlp([20, 32, 1], rng), Xt, yt, lr=0.02, steps=1000, weight_decay=1e-3)[0]
    tuned, losses = fine_tune(start, Xt, yt)
    slow_body, _ = fine_tune(start, Xt, yt, layer_lrs=[0.1, 1.0])
    print("target test error (MSE / variance):")
    print(f"  from scratch                              {relative_mse(scratch, *tasks['target_test']):.4f}")
    print(f"  linear probe (frozen body)                {relative_mse(start, *tasks['target_test']):.4f}")
    print(f"  fine-tune all layers, lr 0.02, 1000 steps {relative_mse(tuned, *tasks['target_test']):.4f}")
    print(f"  same, body at lr x 0.1 (discriminative)   {relative_mse(slow_body, *tasks['target_test']):.4f}")
    source_head = pre[-1]
    anchored, _ = fine_tune(start, Xt, yt, anchor=[pre[0], None], lam=0.2)
    print("source test error with the original source head (forgetting):")
    print(f"  before fine-tuning  {relative_mse(pre, *tasks['source_test']):.4f}")
    print(
        f"  plain fine-tuning   {relative_mse(with_new_head(tuned, source_head), *tasks['source_test']):.4f}"
        f"   (target error {relative_mse(tuned, *tasks['target_test']):.4f})"
    )
    print(
        f"  body at lr x 0.1    {relative_mse(with_new_head(slow_body, source_head), *tasks['source_test']):.4f}"
        f"   (target error {relative_mse(slow_body, *tasks['target_test']):.4f})"
    )
    print(
        f"  with L2-SP, lam 0.2 {relative_mse(with_new_head(anchored, source_head), *tasks['source_test']):.4f}"
        f"   (target error {relative_mse(anchored, *tasks['target_test']):.4f})"
    )
