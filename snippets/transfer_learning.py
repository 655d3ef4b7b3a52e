"""Transfer learning: reuse features learned on a data-rich source task for a data-poor target task.

The experiment is a small synthetic version of "pretrain on ImageNet, then fit a new head": two
regression tasks are computed from the same hidden features ``relu(x @ A)`` of the input, the source
task with 400 examples and the target task with only 20. An MLP (from :mod:`snippets.neural_network`)
is pretrained on the source task; its hidden layer is then frozen and used as a feature extractor, and
only a new linear head is fitted on the target examples (a *linear probe*, ridge regression in closed
form, like ``sklearn.linear_model.Ridge`` with an unpenalised intercept). That is compared with
training the same network from scratch on the 20 target examples, and with a target task that shares
nothing with the source (no transfer to be had).
"""

import numpy as np
from termbook.checks import assert_close

from snippets.neural_network import init_mlp, mlp_backward, mlp_forward, mse_loss

__all__ = ["make_tasks", "train_mlp", "extract_features", "linear_probe", "with_new_head", "relative_mse"]


def make_tasks(rng, n_source=400, n_target=20, n_test=1000, D=20, k=4, n_source_outputs=8, related=True, noise=0.1, shift=0.0):
    """A source and a target regression task built on hidden features ``relu(x @ A)``.

    The hidden features are those of ``nn.Sequential(nn.Linear(D, k, bias=False), nn.ReLU())`` with a
    fixed random weight; each task is a linear read-out of them plus Gaussian noise.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_source, n_target, n_test : int
        Examples in the source training set, the target training set, and each test set.
    D, k : int
        Input dimension and number of shared hidden features.
    n_source_outputs : int
        Outputs of the source task (several outputs pin the features down better).
    related : bool
        If False, the target task uses features of a different, independent matrix ``B``.
    noise : float
        Standard deviation of the noise added to the targets.
    shift : float
        If positive (and ``related``), the target uses ``A + shift * N(0, 1/D)``: related features that
        the source did not quite learn.

    Returns
    -------
    tasks : dict
        ``source``: (X of shape (n_source, D), Y of shape (n_source, n_source_outputs)),
        ``source_test``, ``target``: (X of shape (n_target, D), y of shape (n_target, 1)), ``target_test``.
    """
    A = rng.normal(size=(D, k)) / np.sqrt(D)
    B = A if related else rng.normal(size=(D, k)) / np.sqrt(D)
    if related and shift > 0:
        B = A + shift * rng.normal(size=(D, k)) / np.sqrt(D)
    W_s = rng.normal(size=(k, n_source_outputs))
    w_t = rng.normal(size=(k, 1))

    def draw(n, M, W):
        X = rng.normal(size=(n, D))
        return X, np.maximum(X @ M, 0.0) @ W * 3.0 + noise * rng.normal(size=(n, W.shape[1]))

    return {
        "source": draw(n_source, A, W_s),
        "source_test": draw(n_test, A, W_s),
        "target": draw(n_target, B, w_t),
        "target_test": draw(n_test, B, w_t),
    }


def train_mlp(params, X, Y, lr=0.05, steps=1000, layer_lrs=None, weight_decay=0.0):
    """Full-batch gradient descent on the mean squared error, with a learning rate per layer.

    Like ``torch.optim.SGD`` with one parameter group per layer (``lr * layer_lrs[i]``), ``weight_decay``
    on the weight matrices only (biases in groups with ``weight_decay=0``).

    Parameters
    ----------
    params : list of (W, b)
        Starting point (random or pretrained).
    X : ndarray of shape (N, D)
    Y : ndarray of shape (N, K)
    lr : float
        Base learning rate.
    steps : int
    layer_lrs : sequence of float, optional
        Multiplier of ``lr`` for each layer; 0 freezes a layer (``requires_grad=False`` in PyTorch).
    weight_decay : float
        L2 penalty ``0.5 * weight_decay * ||W||^2`` on every trainable weight matrix.

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
        out, caches = mlp_forward(params, X)
        loss, dout = mse_loss(out, Y)
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"training diverged at step {t} (loss {loss}); lower lr (now {lr})")
        losses[t] = loss
        grads = mlp_backward(dout, caches)
        params = [(W - lr * m * (dW + weight_decay * W), b - lr * m * db) for (W, b), (dW, db), m in zip(params, grads, mult)]
    return params, losses


def extract_features(params, X):
    """Activations of the last hidden layer: the network without its head.

    Like a torchvision model with its ``fc`` replaced by ``torch.nn.Identity()``.

    Parameters
    ----------
    params : list of (W, b)
    X : ndarray of shape (N, D)

    Returns
    -------
    features : ndarray of shape (N, H)
    """
    h = X
    for W, b in params[:-1]:
        h = np.maximum(h @ W + b, 0.0)
    return h


def linear_probe(features, y, l2=1e-3):
    """Ridge regression of ``y`` on frozen features with an unpenalised intercept, in closed form.

    ``w = (F_c^T F_c + l2 N I)^{-1} F_c^T y_c`` on centred ``F`` and ``y``; ``b = mean(y) - mean(F) w``.
    With ``l2 = alpha / N`` this is ``sklearn.linear_model.Ridge(alpha)``.

    Parameters
    ----------
    features : ndarray of shape (N, H)
    y : ndarray of shape (N, K)
    l2 : float

    Returns
    -------
    head : tuple
        ``(W, b)`` with ``W`` of shape (H, K) and ``b`` of shape (K,).
    """
    mu_f, mu_y = features.mean(axis=0), y.mean(axis=0)
    Fc, yc = features - mu_f, y - mu_y
    W = np.linalg.solve(Fc.T @ Fc + l2 * len(y) * np.eye(Fc.shape[1]), Fc.T @ yc)
    return W, mu_y - mu_f @ W


def with_new_head(params, head):
    """The pretrained body with its last layer replaced.

    Like assigning ``model.fc = torch.nn.Linear(...)`` in torchvision transfer-learning recipes.

    Parameters
    ----------
    params : list of (W, b)
    head : tuple (W, b)

    Returns
    -------
    list of (W, b)
    """
    return list(params[:-1]) + [head]


def relative_mse(params, X, y):
    """Test MSE divided by the variance of ``y`` (0 is perfect, 1 is "predict the mean").

    Equals ``1 - sklearn.metrics.r2_score(y, pred)`` for a single output.

    Parameters
    ----------
    params : list of (W, b)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N, K)

    Returns
    -------
    float
    """
    return float(np.mean((mlp_forward(params, X)[0] - y) ** 2) / np.var(y))


def _pretrain(tasks, rng, hidden=32):
    X, Y = tasks["source"]
    params = init_mlp([X.shape[1], hidden, Y.shape[1]], rng)
    return train_mlp(params, X, Y, lr=0.1, steps=400)[0]


def _scratch(tasks, rng, hidden=32):
    X, y = tasks["target"]
    params = init_mlp([X.shape[1], hidden, 1], rng)
    return train_mlp(params, X, y, lr=0.02, steps=1000, weight_decay=1e-3)[0]


# ---------------------------------------------------------------- checks


def check_linear_probe_is_ridge_and_least_squares_in_the_limit():
    rng = np.random.default_rng(0)
    F, y = rng.normal(size=(30, 5)), rng.normal(size=(30, 1))
    W, b = linear_probe(F, y, l2=0.0)
    X1 = np.hstack([F, np.ones((30, 1))])
    coef = np.linalg.lstsq(X1, y, rcond=None)[0]
    assert_close(W, coef[:5], rtol=1e-9, what="probe weights")
    assert_close(b, coef[5], rtol=1e-9, what="probe intercept")
    # A larger penalty shrinks the weights.
    assert np.linalg.norm(linear_probe(F, y, l2=1.0)[0]) < np.linalg.norm(W)


def check_pretraining_learns_the_source_task():
    rng = np.random.default_rng(1)
    tasks = make_tasks(rng)
    params = _pretrain(tasks, rng)
    assert relative_mse(params, *tasks["source_test"]) < 0.05


def check_frozen_features_beat_training_from_scratch_on_a_related_task():
    rng = np.random.default_rng(2)
    tasks = make_tasks(rng)
    pre = _pretrain(tasks, rng)
    probe = with_new_head(pre, linear_probe(extract_features(pre, tasks["target"][0]), tasks["target"][1]))
    scratch = _scratch(tasks, rng)
    err_probe, err_scratch = relative_mse(probe, *tasks["target_test"]), relative_mse(scratch, *tasks["target_test"])
    assert err_probe < 0.1 and err_probe < 0.25 * err_scratch, (err_probe, err_scratch)


def check_no_transfer_to_an_unrelated_task():
    # Same procedure, but the target depends on different hidden features: the frozen features are no
    # better than training from scratch (here both are poor).
    rng = np.random.default_rng(2)
    tasks = make_tasks(rng, related=False)
    pre = _pretrain(tasks, rng)
    probe = with_new_head(pre, linear_probe(extract_features(pre, tasks["target"][0]), tasks["target"][1]))
    err_probe = relative_mse(probe, *tasks["target_test"])
    assert err_probe > 0.3, err_probe


def check_frozen_layers_do_not_move_and_divergence_is_reported():
    rng = np.random.default_rng(3)
    tasks = make_tasks(rng, n_source=50)
    X, Y = tasks["source"]
    params = init_mlp([20, 8, 8], rng)
    trained, _ = train_mlp(params, X, Y, steps=20, layer_lrs=[0.0, 1.0])
    assert np.array_equal(trained[0][0], params[0][0]) and not np.array_equal(trained[1][0], params[1][0])
    try:
        train_mlp(params, 100.0 * X, Y, lr=1.0, steps=20)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("lr 1 on inputs of scale 100 must be reported")


if __name__ == "__main__":
    rng = np.random.default_rng(2)
    tasks = make_tasks(rng)
    print("source task: 400 examples, 8 outputs; target task: 20 examples, 1 output; same hidden features")
    pre = _pretrain(tasks, rng)
    print(f"pretrained MLP [20, 32, 8], source test error (MSE / variance): {relative_mse(pre, *tasks['source_test']):.4f}")
    Xt, yt = tasks["target"]
    ridge_raw = linear_probe(Xt, yt, l2=1e-3)
    raw_err = np.mean((tasks["target_test"][0] @ ridge_raw[0] + ridge_raw[1] - tasks["target_test"][1]) ** 2) / np.var(
        tasks["target_test"][1]
    )
    scratch = _scratch(tasks, rng)
    probe = with_new_head(pre, linear_probe(extract_features(pre, Xt), yt))
    print("target test error (MSE / variance), 20 training examples:")
    print(f"  linear regression on the raw inputs       {raw_err:.4f}")
    print(f"  MLP [20, 32, 1] trained from scratch       {relative_mse(scratch, *tasks['target_test']):.4f}")
    print(f"  pretrained features, new linear head only  {relative_mse(probe, *tasks['target_test']):.4f}")
    rng = np.random.default_rng(2)
    unrelated = make_tasks(rng, related=False)
    pre_u = _pretrain(unrelated, rng)
    probe_u = with_new_head(pre_u, linear_probe(extract_features(pre_u, unrelated["target"][0]), unrelated["target"][1]))
    print(f"  ... same, but target uses other features  {relative_mse(probe_u, *unrelated['target_test']):.4f}  (nothing to transfer)")
