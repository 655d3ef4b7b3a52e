"""Hyperparameters: settings chosen before training, which the training loss cannot choose.

Two kinds appear here. A *model* hyperparameter, the ridge penalty ``alpha`` of
``sklearn.linear_model.Ridge(alpha=..., fit_intercept=False)``, decides which weights the fit
prefers; an *optimisation* hyperparameter, the learning rate ``lr`` of gradient descent
(``torch.optim.SGD(params, lr=...)``), decides whether and how fast training reaches them. The
weights ``w`` are the *parameters*: they are what training computes from the data, given the
hyperparameters. ``validation_curve_ridge`` mirrors ``sklearn.model_selection.validation_curve``
(one row per hyperparameter value, one column per fold), but returns mean squared errors, not
scikit-learn's negated scores.
"""

import numpy as np

from snippets.cross_validation import k_fold_indices, make_data
from snippets.linear_regression import design_matrix, fit_gradient_descent
from snippets.regularization import ridge_closed_form


def ridge_degrees_of_freedom(X, alpha):
    r"""Effective number of parameters of ridge regression, ``trace(H)``.

    .. math:: \mathrm{df}(\alpha) = \operatorname{tr} X (X^\top X + \alpha I)^{-1} X^\top
              = \sum_j \frac{d_j^2}{d_j^2 + \alpha}

    with ``d_j`` the singular values of ``X`` (ESL, eq. 3.50). ``df(0)`` is the rank of ``X``
    and ``df`` falls to 0 as ``alpha`` grows: the hyperparameter sets the model's complexity.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    alpha : float
        ``alpha >= 0``.

    Returns
    -------
    float
    """
    d = np.linalg.svd(X, compute_uv=False)
    tol = d.max(initial=0.0) * max(X.shape) * np.finfo(float).eps  # numpy.linalg.matrix_rank's cut-off
    d2 = d[d > tol] ** 2
    return float(np.sum(d2 / (d2 + alpha)))


def validation_curve_ridge(X, y, alphas, k=5, rng=None):
    """Training and validation MSE of ridge for each ``alpha`` on each of ``k`` folds.

    Like ``sklearn.model_selection.validation_curve(Ridge(fit_intercept=False), X, y,
    param_name="alpha", param_range=alphas, cv=KFold(k), scoring="neg_mean_squared_error")``,
    without the minus sign: row ``i`` is ``alphas[i]``, column ``j`` is fold ``j``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alphas : sequence of float, length A
    k : int
        Number of folds (:func:`snippets.cross_validation.k_fold_indices`).
    rng : numpy.random.Generator, optional
        Shuffle before cutting folds.

    Returns
    -------
    train_mse : ndarray of shape (A, k)
        Error on the data each fit was trained on.
    val_mse : ndarray of shape (A, k)
        Error on the held-out fold.
    """
    folds = k_fold_indices(len(y), k, rng)
    train_mse, val_mse = np.empty((len(alphas), k)), np.empty((len(alphas), k))
    for i, alpha in enumerate(alphas):
        for j, (tr, va) in enumerate(folds):
            w = ridge_closed_form(X[tr], y[tr], alpha)
            train_mse[i, j] = np.mean((X[tr] @ w - y[tr]) ** 2)
            val_mse[i, j] = np.mean((X[va] @ w - y[va]) ** 2)
    return train_mse, val_mse


def critical_learning_rate(X):
    """Largest stable constant step for gradient descent on the linear-regression MSE.

    The loss ``mean((A theta - y)^2)`` with ``A = [X, 1]`` has Hessian ``2 A^T A / N``, whose
    largest eigenvalue is ``L = 2 sigma_max(A)^2 / N``. Gradient descent converges for
    ``lr < 2 / L`` and diverges (from a generic start) for ``lr > 2 / L``.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    float
        ``2 / L = N / sigma_max(A)^2``.
    """
    return X.shape[0] / np.linalg.norm(design_matrix(X), 2) ** 2


ALPHAS = (0.0, 1.0, 10.0, 30.0, 100.0, 1000.0)


def _lr_data(seed=3, n=30, d=2):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) + 1.0
    return X, X @ np.array([1.0, -2.0]) + 0.5 + 0.1 * rng.normal(size=n)


# ---------------------------------------------------------------- checks


def check_training_error_cannot_choose_alpha():
    # The ridge weights minimise ||y - Xw||^2 + alpha ||w||^2; raising alpha can only raise the
    # first term. So the training error is smallest at alpha = 0, always: a hyperparameter that
    # controls complexity must be chosen on data the fit did not see.
    X, y, _ = make_data(0)
    train, _ = validation_curve_ridge(X, y, ALPHAS)
    assert np.all(np.diff(train, axis=0) >= -1e-12), train
    full = [np.mean((X @ ridge_closed_form(X, y, a) - y) ** 2) for a in ALPHAS]
    assert np.all(np.diff(full) >= -1e-12)


def check_validation_picks_an_interior_alpha():
    X, y, _ = make_data(0)
    _, val = validation_curve_ridge(X, y, ALPHAS, rng=np.random.default_rng(0))
    best = int(np.argmin(val.mean(axis=1)))
    assert 0 < best < len(ALPHAS) - 1, val.mean(axis=1)


def check_degrees_of_freedom_is_trace_of_hat_matrix():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(12, 5))
    for alpha in (0.0, 0.5, 3.0, 1e6):
        H = X @ np.linalg.solve(X.T @ X + alpha * np.eye(5), X.T)
        np.testing.assert_allclose(ridge_degrees_of_freedom(X, alpha), np.trace(H), rtol=1e-9, atol=1e-12)
    assert abs(ridge_degrees_of_freedom(X, 0.0) - 5.0) < 1e-12  # full column rank: df = D
    # More features than samples: df(0) is the rank, N, not D.
    Xw = rng.normal(size=(4, 9))
    assert abs(ridge_degrees_of_freedom(Xw, 0.0) - 4.0) < 1e-9
    assert ridge_degrees_of_freedom(np.zeros((3, 2)), 1.0) == 0.0  # extreme input: an all-zero design


def check_huge_alpha_gives_zero_weights_without_overflow():
    X, y, _ = make_data(0)
    w = ridge_closed_form(X, y, 1e300)
    assert np.all(np.isfinite(w)) and np.max(np.abs(w)) < 1e-290


def check_learning_rate_threshold_is_two_over_l():
    # Below 2/L the loss falls to the least-squares minimum; just above it, it grows.
    X, y = _lr_data()
    lr_c = critical_learning_rate(X)
    _, _, ok = fit_gradient_descent(X, y, lr=0.95 * lr_c, num_iters=2000)
    _, _, bad = fit_gradient_descent(X, y, lr=1.05 * lr_c, num_iters=200)
    assert ok[-1] < 0.02 and np.all(np.isfinite(bad)) and bad[-1] > 100 * bad[0], (ok[-1], bad[0], bad[-1])


if __name__ == "__main__":
    X, y, _ = make_data(0)
    train, val = validation_curve_ridge(X, y, ALPHAS, rng=np.random.default_rng(0))
    print("ridge on 40 samples, 15 features; the weights are parameters, alpha is the hyperparameter")
    print("   alpha   df(alpha)   train MSE   5-fold validation MSE")
    for a, tr, va in zip(ALPHAS, train.mean(axis=1), val.mean(axis=1)):
        print(f"{a:8.0f}   {ridge_degrees_of_freedom(X, a):9.2f}   {tr:9.3f}   {va:21.3f}")
    print(f"training MSE is lowest at alpha = 0; validation MSE at alpha = {ALPHAS[int(np.argmin(val.mean(axis=1)))]:g}")
    Xl, yl = _lr_data()
    lr_c = critical_learning_rate(Xl)
    print(f"gradient descent on a 30-point regression: critical learning rate 2/L = {lr_c:.4f}")
    for frac in (0.1, 0.5, 0.95, 1.05):
        _, _, losses = fit_gradient_descent(Xl, yl, lr=frac * lr_c, num_iters=101)  # losses[t]: after t steps
        print(f"  lr = {frac:4.2f} * 2/L: loss {losses[0]:.3f} -> {losses[100]:.3g} after 100 steps")
