"""Stochastic gradient descent (SGD): step along the gradient of a random mini-batch.

``sgd_step`` is one update of ``torch.optim.SGD`` with ``momentum=0``:
``g = grad + weight_decay * param``; ``param - lr * g``. The loop ``sgd``
reshuffles the data every epoch and walks through it in mini-batches (as a
``DataLoader`` with ``shuffle=True`` does); ``lr`` may be a function of the
step count, which is how the Robbins-Monro step sizes are expressed.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient

from snippets.gradient_descent import gradient_descent
from snippets.mini_batch import minibatch_indices


def least_squares_loss_grad(w, X, y):
    """Mean squared error of a linear model and its gradient.

    ``loss = mean((X @ w - y) ** 2)``, the ``reduction='mean'`` convention of
    ``torch.nn.MSELoss`` (no factor 1/2).

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    loss : float
    grad : ndarray of shape (D,)
        ``2 / N * X.T @ (X @ w - y)``.
    """
    r = X @ w - y
    return float(np.mean(r**2)), 2.0 / len(y) * (X.T @ r)


def sgd_step(param, grad, lr, weight_decay=0.0):
    """One plain SGD update, as ``torch.optim.SGD`` without momentum.

    Parameters
    ----------
    param : ndarray of shape (D,)
    grad : ndarray of shape (D,)
        Mini-batch gradient.
    lr : float
        Learning rate (step size).
    weight_decay : float
        L2 penalty coefficient; PyTorch adds ``weight_decay * param`` to the gradient.

    Returns
    -------
    param : ndarray of shape (D,)
        A new array; the input is not modified.
    """
    return param - lr * (grad + weight_decay * param)


def sgd(w0, X, y, lr, batch_size, n_epochs, rng, loss_grad=least_squares_loss_grad):
    """Run mini-batch SGD, reshuffling every epoch.

    Parameters
    ----------
    w0 : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr : float or callable
        Constant step, or ``lr(t)`` for update number ``t = 0, 1, ...``.
    batch_size : int
        ``1`` is SGD in the original sense; ``N`` is full-batch gradient descent.
    n_epochs : int
    rng : numpy.random.Generator
    loss_grad : callable
        ``loss_grad(w, X_batch, y_batch) -> (loss, grad)``.

    Returns
    -------
    trajectory : ndarray of shape (T + 1, D)
        ``w0`` followed by the iterate after each of the ``T`` updates.
    """
    schedule = lr if callable(lr) else (lambda t: lr)
    w, path = w0, [w0]
    for _ in range(n_epochs):
        for idx in minibatch_indices(len(y), batch_size, rng):
            _, g = loss_grad(w, X[idx], y[idx])
            w = sgd_step(w, g, schedule(len(path) - 1))
            path.append(w)
    return np.array(path)


def make_regression(n=100, noise=0.5, seed=0):
    """Noisy linear data ``y = X @ [2, -1] + noise`` and its least-squares solution.

    Returns
    -------
    X : ndarray of shape (N, 2)
    y : ndarray of shape (N,)
    w_star : ndarray of shape (2,)
        Minimiser of the mean squared error on these ``N`` points.
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    y = X @ np.array([2.0, -1.0]) + noise * rng.normal(size=n)
    return X, y, np.linalg.lstsq(X, y, rcond=None)[0]


def sgd_over_batches(w0, X, y, lr, weight_decay, batches):
    """SGD on the mean squared error, over mini-batches given in order (no randomness inside).

    Parameters
    ----------
    w0 : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr : float
    weight_decay : float
        L2 coefficient, added to the gradient as in :func:`sgd_step`.
    batches : list of ndarray of int
        The index arrays of the mini-batches, in the order they are used (over all epochs).

    Returns
    -------
    path : ndarray of shape (len(batches) + 1, D)
        ``w0`` and the weights after each update.
    """
    w, path = w0, [w0]
    for idx in batches:
        w = sgd_step(w, least_squares_loss_grad(w, X[idx], y[idx])[1], lr, weight_decay)
        path.append(w)
    return np.array(path)


def equivalence_cases():
    """Inputs the PyTorch equivalent is checked on: mini-batches drawn as :func:`sgd` draws them.

    Batches of one (the demo's data), batches of 8 with a smaller last batch and weight decay, the
    full batch (gradient descent), and ``drop_last`` with a batch size that does not divide N.

    Returns
    -------
    list of dict
        Each with w0 (D,), X (N, D), y (N,), lr, weight_decay and batches (list of int arrays,
        every epoch's shuffled mini-batches one after the other).
    """
    rng = np.random.default_rng(16)
    X, y, _ = make_regression()
    cases = []
    for (X, y), batch_size, epochs, lr, weight_decay, drop_last in [
        ((X, y), 1, 2, 0.04, 0.0, False),
        (make_regression(n=50, seed=1)[:2], 8, 3, 0.05, 0.01, False),
        (make_regression(n=30, seed=2)[:2], 30, 5, 0.1, 0.0, False),
        (make_regression(n=7, seed=3)[:2], 3, 4, 0.1, 0.0, True),
    ]:
        batches = [idx for _ in range(epochs) for idx in minibatch_indices(len(y), batch_size, rng, drop_last=drop_last)]
        cases.append({"w0": rng.normal(size=X.shape[1]), "X": X, "y": y, "lr": lr, "weight_decay": weight_decay, "batches": batches})
    return cases


def single_example_cases():
    """Inputs the scikit-learn equivalent is checked on: one example per update, w0 = 0.

    Returns
    -------
    list of dict
        Each with X (N, D), y (N,), lr, weight_decay and orders (E, N): the order in which each of
        E epochs visits the examples.
    """
    rng = np.random.default_rng(17)
    cases = []
    for n, epochs, lr, weight_decay, seed in [(100, 3, 0.04, 0.0, 0), (20, 5, 0.01, 0.0, 4), (40, 2, 0.05, 0.02, 5), (1, 4, 0.1, 0.0, 6)]:
        X, y, _ = make_regression(n=n, seed=seed)
        cases.append(
            {"X": X, "y": y, "lr": lr, "weight_decay": weight_decay, "orders": np.array([rng.permutation(n) for _ in range(epochs)])}
        )
    return cases


def sgd_epoch_ends(X, y, lr, weight_decay, orders):
    """Batch-size-one SGD from w = 0: the weights at the end of each epoch.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr, weight_decay : float
        As for :func:`sgd_step` (the loss is the mean squared error, without a factor 1/2).
    orders : ndarray of int, of shape (E, N)
        The order of the examples in each epoch.

    Returns
    -------
    ends : ndarray of shape (E, D)
    """
    batches = [order[i : i + 1] for order in orders for i in range(len(y))]
    return sgd_over_batches(np.zeros(X.shape[1]), X, y, lr, weight_decay, batches)[len(y) :: len(y)]


def check_loss_gradient_matches_numerical():
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(6, 3)), rng.normal(size=6), rng.normal(size=3)
    _, g = least_squares_loss_grad(w, X, y)
    assert_gradient_close(g, numerical_gradient(lambda v: least_squares_loss_grad(v, X, y)[0], w.copy()), tol=1e-8)


def check_stochastic_gradient_is_unbiased():
    # The average of the N single-example gradients is the full gradient.
    X, y, _ = make_regression(n=20)
    w = np.array([0.3, 0.7])
    singles = np.array([least_squares_loss_grad(w, X[i : i + 1], y[i : i + 1])[1] for i in range(20)])
    np.testing.assert_allclose(singles.mean(axis=0), least_squares_loss_grad(w, X, y)[1], rtol=1e-12)


def check_sgd_step_matches_pytorch_rule():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.5])
    np.testing.assert_allclose(sgd_step(p, g, lr=0.1, weight_decay=0.01), p - 0.1 * (g + 0.01 * p))
    assert np.array_equal(p, [1.0, -2.0]), "sgd_step must not modify its input"


def check_full_batch_sgd_is_gradient_descent():
    X, y, _ = make_regression(n=30)
    w0 = np.zeros(2)
    path = sgd(w0, X, y, lr=0.1, batch_size=30, n_epochs=25, rng=np.random.default_rng(0))
    gd = gradient_descent(lambda w: least_squares_loss_grad(w, X, y)[1], w0, 0.1, 25)
    np.testing.assert_allclose(path, gd, rtol=1e-12, atol=1e-12)


def check_decaying_steps_beat_the_constant_step_noise_floor():
    # With a constant step SGD hovers in a noise ball around the minimiser whose
    # size grows with lr (about linearly when sampling with replacement, faster
    # with per-epoch reshuffling as here); Robbins-Monro steps
    # (sum lr = inf, sum lr^2 < inf) shrink it towards zero.
    X, y, w_star = make_regression()
    w0 = np.zeros(2)

    def late_error(lr):
        path = sgd(w0, X, y, lr, batch_size=1, n_epochs=40, rng=np.random.default_rng(3))
        return np.mean(np.sum((path[-1000:] - w_star) ** 2, axis=1))

    big, small = late_error(0.04), late_error(0.01)
    decaying = late_error(lambda t: 0.04 / (1 + t / 200))
    assert big > 3.0 * small, (big, small)
    assert decaying < 0.1 * small, (decaying, small)


if __name__ == "__main__":
    X, y, w_star = make_regression()
    print(f"least-squares solution w* = [{w_star[0]:.4f}, {w_star[1]:.4f}]")
    w0 = np.zeros(2)
    runs = [
        ("0.04", 0.04),
        ("0.01", 0.01),
        ("0.04 / (1 + t/200)", lambda t: 0.04 / (1 + t / 200)),
    ]
    print("batch size 1, 40 epochs = 4000 updates")
    print("learning rate        mean ||w - w*||^2 over the last 1000 updates")
    for name, lr in runs:
        path = sgd(w0, X, y, lr, batch_size=1, n_epochs=40, rng=np.random.default_rng(3))
        err = np.mean(np.sum((path[-1000:] - w_star) ** 2, axis=1))
        print(f"{name:20s} {err:.2e}")
