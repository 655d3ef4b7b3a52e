"""Epochs: one full pass of the training data, made of ceil(N / B) mini-batch updates.

``run_epoch`` reshuffles, then applies one SGD update per mini-batch (batching as
``torch.utils.data.DataLoader(shuffle=True)``, update as ``torch.optim.SGD``).
``train`` records a Keras-style history: ``loss`` is the mean of the mini-batch
losses seen during the epoch (weighted by batch size, as Keras reports it), and
``val_loss`` is measured on held-out data with the weights at the end of the epoch.
"""

import numpy as np

from snippets.mini_batch import minibatch_indices, num_batches
from snippets.stochastic_gradient_descent import least_squares_loss_grad, make_regression, sgd_step


def total_updates(n, batch_size, n_epochs, drop_last=False):
    """Number of parameter updates in ``n_epochs`` passes over ``n`` examples.

    Returns
    -------
    count : int
        ``n_epochs * ceil(n / batch_size)`` (``floor`` with ``drop_last``).
    """
    return n_epochs * num_batches(n, batch_size, drop_last)


def run_epoch(w, X, y, lr, batch_size, rng, loss_grad=least_squares_loss_grad, drop_last=False):
    """One epoch of mini-batch SGD.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr : float
    batch_size : int
    rng : numpy.random.Generator
        Draws this epoch's permutation.
    loss_grad : callable
        ``loss_grad(w, X_batch, y_batch) -> (mean loss, gradient)``.
    drop_last : bool

    Returns
    -------
    w : ndarray of shape (D,)
        Weights after the epoch's last update.
    running_loss : float
        Mean loss of the batches as they were visited, each measured before its update.
    """
    total, count = 0.0, 0
    for idx in minibatch_indices(len(y), batch_size, rng, drop_last=drop_last):
        loss, g = loss_grad(w, X[idx], y[idx])
        w = sgd_step(w, g, lr)
        total, count = total + loss * len(idx), count + len(idx)
    return w, total / count


def train(w0, X, y, lr, batch_size, n_epochs, rng, X_val=None, y_val=None, loss_grad=least_squares_loss_grad):
    """Train for ``n_epochs`` epochs and return the per-epoch history.

    Parameters
    ----------
    w0 : ndarray of shape (D,)
    X, y : ndarray of shape (N, D) and (N,)
        Training data.
    lr : float
    batch_size : int
    n_epochs : int
    rng : numpy.random.Generator
    X_val, y_val : ndarray of shape (M, D) and (M,), optional
        Validation data, evaluated after every epoch.
    loss_grad : callable

    Returns
    -------
    w : ndarray of shape (D,)
    history : dict
        ``loss``: list of float (running training loss per epoch); ``val_loss``:
        list of float (only if validation data are given); ``weights``: list of
        ndarray of shape (D,), the weights at the end of each epoch.
    """
    history = {"loss": [], "weights": []}
    if X_val is not None:
        history["val_loss"] = []
    w = w0
    for _ in range(n_epochs):
        w, running = run_epoch(w, X, y, lr, batch_size, rng, loss_grad)
        history["loss"].append(running)
        history["weights"].append(w)
        if X_val is not None:
            history["val_loss"].append(loss_grad(w, X_val, y_val)[0])
    return w, history


def check_update_count_and_each_example_once_per_epoch():
    X, y, _ = make_regression(n=23)
    visits = []

    def recording_loss_grad(w, Xb, yb):
        visits.append(Xb[:, 0].copy())
        return least_squares_loss_grad(w, Xb, yb)

    train(np.zeros(2), X, y, 0.05, 5, 3, np.random.default_rng(0), loss_grad=recording_loss_grad)
    assert len(visits) == total_updates(23, 5, 3) == 15
    for e in range(3):
        seen = np.concatenate(visits[5 * e : 5 * e + 5])
        np.testing.assert_array_equal(np.sort(seen), np.sort(X[:, 0]))


def check_running_loss_lags_end_of_epoch_loss():
    # While the loss is falling, the average over the epoch overstates the loss
    # of the weights at the end of that epoch.
    X, y, _ = make_regression(n=100)
    w, running = run_epoch(np.zeros(2), X, y, 0.05, 10, np.random.default_rng(0))
    assert running > 2.0 * least_squares_loss_grad(w, X, y)[0]


def check_training_is_reproducible_and_converges():
    X, y, w_star = make_regression(n=100)
    a = train(np.zeros(2), X, y, 0.05, 10, 30, np.random.default_rng(5))[0]
    b = train(np.zeros(2), X, y, 0.05, 10, 30, np.random.default_rng(5))[0]
    assert np.array_equal(a, b)
    assert np.linalg.norm(a - w_star) < 0.05


if __name__ == "__main__":
    X, y, _ = make_regression(n=100, seed=0)
    X_val, y_val, _ = make_regression(n=50, seed=3)
    print(f"N = 100, batch size 10 -> {total_updates(100, 10, 1)} updates per epoch")
    print(f"N = 100, batch size 32 -> {total_updates(100, 32, 1)} updates per epoch (last batch has 4)")
    w, hist = train(np.zeros(2), X, y, 0.05, 10, 6, np.random.default_rng(0), X_val, y_val)
    print("epoch   loss (running)   train loss at end   val_loss")
    for e in range(6):
        end = least_squares_loss_grad(hist["weights"][e], X, y)[0]
        print(f"{e + 1:5d}   {hist['loss'][e]:14.4f}   {end:17.4f}   {hist['val_loss'][e]:8.4f}")
