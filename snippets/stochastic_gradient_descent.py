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
