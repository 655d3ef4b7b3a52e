"""Lasso regression: least squares plus an L1 penalty, solved by cyclic coordinate descent.

Conventions follow ``sklearn.linear_model.Lasso(alpha=1.0, fit_intercept=True)``:
minimise ``||y - X w - b||^2 / (2 n) + alpha ||w||_1`` -- note the ``1 / (2 n)``
on the squared error, unlike ``Ridge`` -- with the intercept unpenalised (X and y
are centred, ``b = mean(y) - mean(X) @ w``). The solver is scikit-learn's:
cyclic coordinate descent, each coordinate updated by soft-thresholding, warm
starts along a path, and stopping when the largest coordinate change is below
``tol * max|w|`` *and* the duality gap is below ``tol * ||y_c||^2 / n``
(``tol=1e-4``); a column of zeros keeps coefficient 0. ``alpha_max =
max|X_c^T y_c| / n`` is the smallest penalty giving all zeros, and
``lasso_path``/``LassoCV`` use ``n_alphas`` values log-spaced from ``alpha_max``
down to ``eps * alpha_max`` (``eps=1e-3``).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.cross_validation import k_fold_indices
from snippets.regularization import lasso_ista, make_sparse_regression, soft_threshold
from snippets.ridge_regression import loo_errors, ridge_fit


def duality_gap(Xc, yc, w, alpha):
    """Primal minus dual objective of the centred lasso (>= 0, and 0 exactly at the optimum).

    The stopping test of ``sklearn.linear_model.Lasso`` (reported as ``dual_gap_``, on
    scikit-learn's own scale).

    Dual point: the residual ``r`` scaled into the feasible set ``||X^T theta||_inf <= n alpha``.

    Parameters
    ----------
    Xc : ndarray of shape (N, D)
        Centred features.
    yc : ndarray of shape (N,)
        Centred targets.
    w : ndarray of shape (D,)
    alpha : float

    Returns
    -------
    gap : float
        On the scale of the ``1 / (2 n)`` objective.
    """
    n = len(yc)
    r = yc - Xc @ w
    corr = np.max(np.abs(Xc.T @ r), initial=0.0)
    s = 1.0 if corr <= n * alpha else n * alpha / corr
    primal = 0.5 * r @ r + n * alpha * np.sum(np.abs(w))
    dual = 0.5 * yc @ yc - 0.5 * (yc - s * r) @ (yc - s * r)
    return float((primal - dual) / n)


def alpha_max(X, y):
    """Smallest alpha for which the lasso solution is all zeros: ``max_j |x_j^T y| / n`` (centred).

    The largest value of the grid ``sklearn.linear_model.lasso_path`` builds (for centred data).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    alpha : float
    """
    return float(np.max(np.abs((X - X.mean(axis=0)).T @ (y - y.mean()))) / len(y))


def lasso_cd(X, y, alpha, w0=None, tol=1e-4, max_iter=1000, fit_intercept=True):
    """Lasso by cyclic coordinate descent (``Lasso(alpha, tol, max_iter).fit(X, y)``).

    Update of coordinate j with the partial residual ``r_j = r + x_j w_j``:
    ``w_j = S(x_j^T r_j, n alpha) / ||x_j||^2``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
        ``alpha > 0`` (use least squares for alpha = 0).
    w0 : ndarray of shape (D,) or None
        Warm start.
    tol : float
    max_iter : int
        Full sweeps over the coordinates.
    fit_intercept : bool

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    n_iter : int
        Sweeps used.
    """
    if not alpha > 0:
        raise ValueError("alpha must be positive")
    n, d = X.shape
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(d)
    y_mean = y.mean() if fit_intercept else 0.0
    Xc, yc = X - x_mean, y - y_mean
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=np.float64)
    col_sq = np.sum(Xc * Xc, axis=0)
    r = yc - Xc @ w
    for sweep in range(1, max_iter + 1):
        w_max = d_max = 0.0
        for j in range(d):
            if col_sq[j] == 0.0:
                continue
            old = w[j]
            rho = Xc[:, j] @ r + col_sq[j] * old
            w[j] = soft_threshold(rho, n * alpha) / col_sq[j]
            if w[j] != old:
                r -= Xc[:, j] * (w[j] - old)
            d_max = max(d_max, abs(w[j] - old))
            w_max = max(w_max, abs(w[j]))
        if w_max == 0.0 or d_max / w_max < tol:
            if duality_gap(Xc, yc, w, alpha) < tol * (yc @ yc) / n:
                break
    else:
        raise ValueError("coordinate descent did not converge; raise max_iter or alpha")
    w = w + 0.0  # turn -0.0 from soft-thresholding into 0.0
    return w, float(y_mean - x_mean @ w), sweep


def lasso_path(X, y, n_alphas=30, eps=1e-3):
    """Solutions for a decreasing grid of alphas, each warm-started from the previous one.

    Like ``sklearn.linear_model.lasso_path(X, y, eps=eps)`` with ``n_alphas`` grid values (passed as
    ``alphas=<int>`` in recent scikit-learn) on centred data, plus intercepts.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    n_alphas : int
    eps : float
        Smallest alpha is ``eps * alpha_max``.

    Returns
    -------
    alphas : ndarray of shape (A,)
        Decreasing, starting at ``alpha_max``.
    W : ndarray of shape (A, D)
    B : ndarray of shape (A,)
    """
    a_max = alpha_max(X, y)
    alphas = np.logspace(np.log10(a_max), np.log10(a_max * eps), n_alphas)
    W, B, w = [], [], None
    for a in alphas:
        w, b, _ = lasso_cd(X, y, a, w0=w)
        W.append(w.copy())
        B.append(b)
    return alphas, np.array(W), np.array(B)


def lasso_objective_forward(w, b, X, y, alpha):
    """``||y - X w - b||^2 / (2 n) + alpha ||w||_1``.

    The objective of ``sklearn.linear_model.Lasso``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    b : float
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float

    Returns
    -------
    loss : float
    cache : tuple
    """
    r = X @ w + b - y
    return float(r @ r / (2 * len(y)) + alpha * np.sum(np.abs(w))), (w, X, r, alpha)


def lasso_objective_backward(dout, cache):
    """Gradient where it exists (every ``w_j != 0``): ``X^T r / n + alpha sign(w)``; at 0 the sign term is 0.

    Gradient of the objective of ``sklearn.linear_model.Lasso`` where it is differentiable.

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
    """
    w, X, r, alpha = cache
    n = len(r)
    return dout * (X.T @ r / n + alpha * np.sign(w)), float(dout * r.sum() / n)


# ---------------------------------------------------------------- checks


def check_subgradient_optimality_conditions():
    X, y, _ = make_sparse_regression(1)
    a = 0.2
    w, b, _ = lasso_cd(X, y, a, tol=1e-10)
    corr = X.T @ (y - X @ w - b) / len(y)
    active = w != 0
    assert_close(corr[active], a * np.sign(w[active]), rtol=1e-6, what="active: x_j^T r / n = alpha sign(w_j)")
    assert np.all(np.abs(corr[~active]) <= a + 1e-9)  # inactive: correlation inside [-alpha, alpha]
    assert active.sum() < X.shape[1]


def check_alpha_max_is_where_the_first_feature_enters():
    X, y, _ = make_sparse_regression(2)
    a = alpha_max(X, y)
    assert np.all(lasso_cd(X, y, a)[0] == 0)
    assert np.all(lasso_cd(X, y, 2 * a)[0] == 0)
    assert np.count_nonzero(lasso_cd(X, y, 0.99 * a, tol=1e-10)[0]) == 1


def check_orthogonal_design_is_soft_thresholded_least_squares():
    rng = np.random.default_rng(3)
    n = 40
    Q, _ = np.linalg.qr(rng.normal(size=(n, 5)) - 0)
    Q -= Q.mean(axis=0)  # centre, then re-orthonormalise so x_j^T x_k = n delta_jk
    Q, _ = np.linalg.qr(Q)
    X = Q * np.sqrt(n)
    y = X @ np.array([2.0, -1.0, 0.3, 0.0, 0.05]) + 0.1 * rng.normal(size=n)
    w_ols = X.T @ (y - y.mean()) / n
    w, _, _ = lasso_cd(X, y, 0.25, tol=1e-12)
    assert_close(w, soft_threshold(w_ols, 0.25), rtol=1e-9, atol=1e-12)


def check_duality_gap_is_nonnegative_and_closes():
    X, y, _ = make_sparse_regression(4)
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    rng = np.random.default_rng(4)
    for _ in range(20):
        assert duality_gap(Xc, yc, rng.normal(size=X.shape[1]), 0.1) >= 0
    w, _, _ = lasso_cd(X, y, 0.1, tol=1e-10)
    assert duality_gap(Xc, yc, w, 0.1) < 1e-9


def check_agrees_with_proximal_gradient():
    X, y, _ = make_sparse_regression(5)
    w, _, _ = lasso_cd(X, y, 0.3, tol=1e-10, fit_intercept=False)
    assert_close(w, lasso_ista(X, y, 0.3, n_steps=5000), rtol=1e-6, atol=1e-8, what="CD vs ISTA")


def check_gradient_away_from_zero_matches_numerical():
    X, y, _ = make_sparse_regression(6, n=20)
    w = np.random.default_rng(6).normal(size=X.shape[1]) + 0.5  # no entry near 0, so differentiable
    assert np.min(np.abs(w)) > 1e-2
    dw, db = lasso_objective_backward(1.0, lasso_objective_forward(w, 0.3, X, y, 0.2)[1])
    assert_gradient_close(dw, numerical_gradient(lambda v: lasso_objective_forward(v, 0.3, X, y, 0.2)[0], w.copy()), tol=1e-7)
    assert_gradient_close(
        np.array([db]), numerical_gradient(lambda v: lasso_objective_forward(w, v[0], X, y, 0.2)[0], np.array([0.3])), tol=1e-7
    )


def check_extremes_duplicate_and_zero_columns():
    X, y, _ = make_sparse_regression(7)
    Xd = np.hstack([X[:, :1], X[:, :1], np.zeros((len(y), 1))])
    w, _, _ = lasso_cd(Xd, y, 0.1, tol=1e-10)
    assert np.count_nonzero(w[:2]) == 1  # of two identical columns the lasso keeps one
    assert w[2] == 0.0 and np.all(np.isfinite(w))  # a zero column is skipped, no division by zero
    try:
        lasso_cd(X, y, 0.0)
    except ValueError:
        pass
    else:
        raise AssertionError("alpha = 0 must raise")


def plot_lasso_path(alphas, W, cv_mse, best):
    """Figure: coefficient paths and cross-validated error against alpha (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for j in range(W.shape[1]):
        ax1.plot(alphas, W[:, j], linewidth=1.2 if np.any(W[:, j]) else 0.6)
    ax1.set_xscale("log")
    ax1.invert_xaxis()
    ax1.axvline(best, color="k", linestyle="--", linewidth=0.8)
    ax1.set_xlabel("alpha (decreasing)")
    ax1.set_title("lasso path")
    ax2.plot(alphas, cv_mse)
    ax2.set_xscale("log")
    ax2.invert_xaxis()
    ax2.axvline(best, color="k", linestyle="--", linewidth=0.8)
    ax2.set_xlabel("alpha (decreasing)")
    ax2.set_ylabel("5-fold CV MSE")
    fig.set_label(
        "Left: lasso coefficients as the penalty decreases from alpha_max. All start at exactly "
        "zero; the three true features enter first and grow large, the irrelevant ones enter late "
        "and stay small. Right: the cross-validated error drops steeply as the three true features "
        "enter, then flattens; the dashed line marks the chosen alpha"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y, w_true = make_sparse_regression(0, n=50, d=10, noise=1.0)
    Xt, yt, _ = make_sparse_regression(100, n=1000, d=10, noise=1.0)
    print("50 samples, 10 features, true w nonzero only for features 0, 1, 7:", w_true)
    alphas, W, B = lasso_path(X, y)
    print(f"alpha_max = max|X^T y| / n = {alphas[0]:.4f}")
    entered = []
    for W_row in W:
        entered += [int(j) for j in np.flatnonzero(W_row) if j not in entered]
    print("order in which features enter the path:", entered)
    cv = np.zeros(len(alphas))
    for tr, va in k_fold_indices(len(y), 5):
        w = None  # like LassoCV: one alpha grid (from the full data) for every fold, warm-started
        for i, a in enumerate(alphas):
            w, b, _ = lasso_cd(X[tr], y[tr], a, w0=w)
            cv[i] += np.mean((X[va] @ w + b - y[va]) ** 2) / 5
    best = alphas[np.argmin(cv)]
    w, b, sweeps = lasso_cd(X, y, best)
    print(f"5-fold CV picks alpha = {best:.4f}: w = {w}, {np.count_nonzero(w)} nonzero, {sweeps} sweeps")
    ridge_alphas = np.logspace(-3, 3, 61)
    ridge_best = ridge_alphas[np.argmin([np.mean(loo_errors(X, y, a) ** 2) for a in ridge_alphas])]
    for name, (wm, bm) in (
        ("lasso (CV alpha)", (w, b)),
        ("least squares", ridge_fit(X, y, 0.0)),
        (f"ridge (LOO alpha {ridge_best:.4f})", ridge_fit(X, y, ridge_best)),
    ):
        print(f"{name:28s}: test MSE {np.mean((Xt @ wm + bm - yt) ** 2):.4f}, |w - w_true| = {np.linalg.norm(wm - w_true):.4f}")
    plot_lasso_path(alphas, W, cv, best)
