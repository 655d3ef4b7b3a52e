"""Early stopping: stop training when the validation loss stops improving, keep the best weights.

The stopping rule follows the ``EarlyStopping`` callbacks of Keras and PyTorch
Lightning (PyTorch itself has none): after every epoch, the validation loss counts
as an improvement only if it is below the best so far by more than ``min_delta``;
an improvement resets a counter, anything else increments it, and training stops
once the counter reaches ``patience``. The weights of the best epoch are kept and
returned, as Keras's ``keras.callbacks.EarlyStopping(restore_best_weights=True)``
does, also when the epoch budget runs out first. (Lightning's callback never saves
or restores weights; there a ``ModelCheckpoint`` callback keeps the best model.)
Epochs are counted from 1, as Keras prints them.
"""

import numpy as np

from snippets.epoch import run_epoch, train
from snippets.stochastic_gradient_descent import least_squares_loss_grad


def early_stopping_init():
    """State before the first epoch.

    Returns
    -------
    state : dict
        ``best`` (float, inf), ``best_epoch`` (int, 0), ``wait`` (int, 0),
        ``best_weights`` (None until the first improvement).
    """
    return {"best": np.inf, "best_epoch": 0, "wait": 0, "best_weights": None}


def early_stopping_update(state, epoch, val_loss, weights, patience=5, min_delta=0.0):
    """Record one epoch's validation loss and decide whether to stop.

    Parameters
    ----------
    state : dict
        From :func:`early_stopping_init` or a previous call; not modified.
    epoch : int
        Number of the epoch just finished (1, 2, ...).
    val_loss : float
    weights : ndarray of shape (D,)
        Weights at the end of this epoch (copied if they become the best).
    patience : int
        Epochs without improvement to tolerate before stopping.
    min_delta : float
        Smallest decrease that counts as an improvement.

    Returns
    -------
    state : dict
    stop : bool
    """
    if val_loss < state["best"] - min_delta:
        state = {"best": val_loss, "best_epoch": epoch, "wait": 0, "best_weights": np.array(weights, copy=True)}
    else:
        state = {**state, "wait": state["wait"] + 1}
    return state, state["wait"] >= patience


def fit_with_early_stopping(
    w0, X, y, X_val, y_val, lr, batch_size, max_epochs, rng, patience=5, min_delta=0.0, loss_grad=least_squares_loss_grad
):
    """Mini-batch SGD with early stopping on a validation set.

    Parameters
    ----------
    w0 : ndarray of shape (D,)
    X, y : ndarray of shape (N, D) and (N,)
        Training data.
    X_val, y_val : ndarray of shape (M, D) and (M,)
        Validation data, used only to decide when to stop.
    lr : float
    batch_size : int
    max_epochs : int
    rng : numpy.random.Generator
    patience : int
    min_delta : float
    loss_grad : callable
        ``loss_grad(w, X, y) -> (mean loss, gradient)``.

    Returns
    -------
    best_weights : ndarray of shape (D,)
    best_epoch : int
    stopped_epoch : int
        Last epoch trained (``max_epochs`` if patience never ran out).
    val_losses : ndarray of shape (stopped_epoch,)
    """
    state, w, val_losses = early_stopping_init(), w0, []
    for epoch in range(1, max_epochs + 1):
        w, _ = run_epoch(w, X, y, lr, batch_size, rng, loss_grad)
        val_losses.append(loss_grad(w, X_val, y_val)[0])
        state, stop = early_stopping_update(state, epoch, val_losses[-1], w, patience, min_delta)
        if stop:
            break
    return state["best_weights"], state["best_epoch"], epoch, np.array(val_losses)


def make_overfitting_problem(seed=1):
    """30 noisy linear features and only 32 training examples: SGD first fits, then overfits.

    Returns
    -------
    splits : tuple of ndarray
        ``X, y`` (32 training examples), ``X_val, y_val`` (100), ``X_test, y_test`` (1000);
        ``X*`` of shape (n, 30), ``y*`` of shape (n,). Noise variance 1.
    """
    rng = np.random.default_rng(seed)
    d = 30
    w_true = 2.0 * rng.normal(size=d) / np.sqrt(d)
    out = []
    for n in (32, 100, 1000):
        X = rng.normal(size=(n, d))
        out += [X, X @ w_true + rng.normal(size=n)]
    return tuple(out)


def check_stops_patience_epochs_after_the_best():
    # Best at epoch 3; epochs 4, 5, 6 do not improve, so training stops after epoch 6
    # and never sees the later, lower loss of epoch 7.
    state = early_stopping_init()
    for epoch, v in enumerate([1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.69, 0.9], start=1):
        state, stop = early_stopping_update(state, epoch, v, np.array([epoch]), patience=3)
        if stop:
            break
    assert epoch == 6 and state["best_epoch"] == 3 and state["best"] == 0.7
    np.testing.assert_array_equal(state["best_weights"], [3])


def check_min_delta_ignores_tiny_improvements():
    losses = [1.0, 0.9, 0.895, 0.894, 0.893, 0.5]
    for min_delta, first_stop in ((0.01, 5), (0.0, None)):
        state, stopped = early_stopping_init(), None
        for epoch, v in enumerate(losses, start=1):
            state, stop = early_stopping_update(state, epoch, v, np.zeros(1), patience=3, min_delta=min_delta)
            if stop and stopped is None:
                stopped = epoch
        assert stopped == first_stop, (min_delta, stopped)


def check_returns_epoch_and_weights_of_minimum_validation_loss():
    X, y, Xv, yv, _, _ = make_overfitting_problem()
    w, best, stopped, val = fit_with_early_stopping(np.zeros(30), X, y, Xv, yv, 0.02, 8, 60, np.random.default_rng(0), patience=60)
    assert stopped == 60 and best == int(np.argmin(val)) + 1
    np.testing.assert_allclose(least_squares_loss_grad(w, Xv, yv)[0], val.min(), rtol=1e-12)


def check_early_stopped_weights_generalise_better():
    # Judged on a separate test set, since the validation set was used to choose the epoch.
    X, y, Xv, yv, Xt, yt = make_overfitting_problem()
    w_es, _, _, _ = fit_with_early_stopping(np.zeros(30), X, y, Xv, yv, 0.02, 8, 200, np.random.default_rng(0))
    w_all, _ = train(np.zeros(30), X, y, 0.02, 8, 200, np.random.default_rng(0))
    test = lambda w: least_squares_loss_grad(w, Xt, yt)[0]
    assert test(w_es) < 0.7 * test(w_all), (test(w_es), test(w_all))


if __name__ == "__main__":
    X, y, Xv, yv, Xt, yt = make_overfitting_problem()
    w_es, best, stopped, val = fit_with_early_stopping(np.zeros(30), X, y, Xv, yv, 0.02, 8, 200, np.random.default_rng(0), patience=10)
    print("30 features, 32 training examples, SGD lr=0.02, batch 8, patience=10")
    print("validation loss by epoch:", " ".join(f"{v:.2f}" for v in val[::2]), "(every 2nd epoch)")
    print(f"best epoch {best} (val {val[best - 1]:.3f}), stopped after epoch {stopped}")
    w_all, _ = train(np.zeros(30), X, y, 0.02, 8, 200, np.random.default_rng(0))
    loss = lambda w, A, b: least_squares_loss_grad(w, A, b)[0]
    print("                        train    val     test")
    print(f"early-stopped weights  {loss(w_es, X, y):6.3f}  {loss(w_es, Xv, yv):6.3f}  {loss(w_es, Xt, yt):6.3f}")
    print(f"after all 200 epochs   {loss(w_all, X, y):6.3f}  {loss(w_all, Xv, yv):6.3f}  {loss(w_all, Xt, yt):6.3f}")
    print("(the noise variance, 1, is the lowest test loss any model could reach)")
