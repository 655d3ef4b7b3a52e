"""Ridge regression: least squares plus an L2 penalty on the coefficients, solved by SVD.

Conventions follow ``sklearn.linear_model.Ridge(alpha=1.0, fit_intercept=True)``:
minimise ``||y - X w - b||^2 + alpha ||w||^2`` (a plain sum: no 1/n, no 1/2),
with the intercept ``b`` not penalised. As scikit-learn does, X and y are
centred, the centred problem is solved, and ``b = mean(y) - mean(X) @ w``. The
solver is the SVD (scikit-learn's ``solver="svd"``), which gives the whole
path over alpha from one decomposition; ``alpha = 0`` gives the minimum-norm
least-squares solution. The leave-one-out error is the closed form that
``RidgeCV`` uses by default (efficient LOO), here with the intercept's
``1/n`` included in the hat matrix.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def ridge_svd(X, y, alphas, fit_intercept=True):
    """Ridge coefficients for several penalties from one SVD of the centred data.

    With ``Xc = U diag(d) V^T``: ``w(alpha) = V diag(d / (d^2 + alpha)) U^T yc``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alphas : ndarray of shape (A,)
        Penalties, each ``>= 0``.
    fit_intercept : bool

    Returns
    -------
    W : ndarray of shape (A, D)
        ``coef_`` for each alpha.
    b : ndarray of shape (A,)
        ``intercept_`` for each alpha (zeros if ``fit_intercept`` is False).
    """
    alphas = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    if np.any(alphas < 0):
        raise ValueError("alpha must be non-negative")
    x_mean = X.mean(axis=0) if fit_intercept else np.zeros(X.shape[1])
    y_mean = y.mean() if fit_intercept else 0.0
    U, d, Vt = np.linalg.svd(X - x_mean, full_matrices=False)
    uty = U.T @ (y - y_mean)
    tiny = d <= d.max(initial=0.0) * max(X.shape) * np.finfo(float).eps  # numerically zero directions
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(tiny, 0.0, d / (d**2 + alphas[:, None]))  # (A, r); alpha = 0 acts as a pseudo-inverse
    W = (f * uty) @ Vt
    return W, y_mean - W @ x_mean


def ridge_fit(X, y, alpha=1.0, fit_intercept=True):
    """One ridge fit (``Ridge(alpha).fit(X, y)``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
    fit_intercept : bool

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    """
    W, b = ridge_svd(X, y, [alpha], fit_intercept)
    return W[0], float(b[0])


def effective_dof(X, alpha, fit_intercept=True):
    """Effective degrees of freedom ``tr(H) = sum_j d_j^2 / (d_j^2 + alpha)`` (+1 for the intercept).

    No scikit-learn attribute; the trace of the hat matrix of ``Ridge(alpha)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    alpha : float
    fit_intercept : bool

    Returns
    -------
    df : float
        Between ``int(fit_intercept)`` (alpha -> inf) and rank + intercept (alpha = 0).
    """
    Xc = X - X.mean(axis=0) if fit_intercept else X
    d = np.linalg.svd(Xc, compute_uv=False)
    d = d[d > d.max(initial=0.0) * max(X.shape) * np.finfo(float).eps]
    return float(np.sum(d**2 / (d**2 + alpha)) + fit_intercept)


def hat_matrix(X, alpha):
    """``H`` with ``y_hat = H y`` for ridge with an unpenalised intercept.

    The matrix behind ``RidgeCV``'s efficient leave-one-out (``cv=None``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    alpha : float

    Returns
    -------
    H : ndarray of shape (N, N)
        ``11^T / n + Xc (Xc^T Xc + alpha I)^+ Xc^T``.
    """
    n, d = X.shape
    Xc = X - X.mean(axis=0)
    return np.full((n, n), 1.0 / n) + Xc @ np.linalg.pinv(Xc.T @ Xc + alpha * np.eye(d)) @ Xc.T


def loo_errors(X, y, alpha):
    """Leave-one-out residuals from one fit: ``(y_i - y_hat_i) / (1 - H_ii)``.

    What ``sklearn.linear_model.RidgeCV(alphas=[alpha])`` evaluates by default (``cv=None``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float

    Returns
    -------
    e : ndarray of shape (N,)
    """
    H = hat_matrix(X, alpha)
    return (y - H @ y) / (1.0 - np.diag(H))


def ridge_loss_forward(w, b, X, y, alpha):
    """Ridge objective ``||y - X w - b||^2 + alpha ||w||^2``.

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
    return float(r @ r + alpha * w @ w), (w, X, r, alpha)


def ridge_loss_backward(dout, cache):
    """Gradients ``2 X^T r + 2 alpha w`` and ``2 sum(r)`` (the intercept is not penalised).

    Gradient of the objective of ``sklearn.linear_model.Ridge``.

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
    return dout * (2.0 * X.T @ r + 2.0 * alpha * w), float(dout * 2.0 * r.sum())


def make_collinear(seed=0, n=30, noise=1.0, link=0.05):
    """Five features, the first two nearly identical; true coefficients (1, 1, 0.5, 0, -0.5).

    Hand-made data in the spirit of ``sklearn.datasets.make_regression``.

    Parameters
    ----------
    seed : int
    n : int
    noise : float
        Standard deviation of the noise on y.
    link : float
        ``x1 = x0 + link * N(0, 1)``: small means nearly collinear.

    Returns
    -------
    X : ndarray of shape (n, 5)
    y : ndarray of shape (n,)
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    X[:, 1] = X[:, 0] + link * rng.normal(size=n)
    y = X @ np.array([1.0, 1.0, 0.5, 0.0, -0.5]) + 3.0 + noise * rng.normal(size=n)
    return X, y


# ---------------------------------------------------------------- checks


def check_matches_normal_equations_with_unpenalised_intercept():
    X, y = make_collinear(1)
    w, b = ridge_fit(X, y, alpha=2.5)
    A = np.hstack([X, np.ones((len(y), 1))])
    P = np.diag([2.5] * 5 + [0.0])  # no penalty on the intercept column
    theta = np.linalg.solve(A.T @ A + P, A.T @ y)
    assert_close(np.append(w, b), theta, rtol=1e-10)


def check_ridge_is_least_squares_on_augmented_data():
    # ||y - Xw||^2 + a||w||^2 = ||[y; 0] - [X; sqrt(a) I] w||^2
    X, y = make_collinear(2)
    a = 4.0
    w, _ = ridge_fit(X, y, a, fit_intercept=False)
    Xa = np.vstack([X, np.sqrt(a) * np.eye(5)])
    w_ls, *_ = np.linalg.lstsq(Xa, np.concatenate([y, np.zeros(5)]), rcond=None)
    assert_close(w, w_ls, rtol=1e-10)


def check_shrinkage_path_and_degrees_of_freedom():
    X, y = make_collinear(3)
    alphas = np.logspace(-3, 4, 30)
    W, b = ridge_svd(X, y, alphas)
    norms = np.linalg.norm(W, axis=1)
    assert np.all(np.diff(norms) < 0)  # ||w(alpha)|| strictly decreases
    assert np.linalg.norm(ridge_fit(X, y, 1e12)[0]) < 1e-8  # alpha -> inf: w -> 0, b -> mean(y)
    assert_close(ridge_fit(X, y, 1e12)[1], y.mean(), rtol=1e-8)
    for a in (0.0, 1.0, 100.0):
        assert_close(effective_dof(X, a), np.trace(hat_matrix(X, a)), rtol=1e-8, what=f"df at alpha={a}")
    assert_close(effective_dof(X, 0.0), 6.0, rtol=1e-10)  # 5 features + intercept


def check_loo_shortcut_matches_refitting():
    X, y = make_collinear(4, n=15)
    a = 3.0
    brute = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        w, b = ridge_fit(X[keep], y[keep], a)
        brute.append(y[i] - (X[i] @ w + b))
    assert_close(loo_errors(X, y, a), np.array(brute), rtol=1e-8)


def check_gradient_matches_numerical_and_vanishes_at_the_solution():
    rng = np.random.default_rng(5)
    X, y = make_collinear(5, n=12)
    w, b = rng.normal(size=5), 0.7
    dw, db = ridge_loss_backward(1.0, ridge_loss_forward(w, b, X, y, 2.0)[1])
    assert_gradient_close(dw, numerical_gradient(lambda v: ridge_loss_forward(v, b, X, y, 2.0)[0], w.copy()), tol=1e-7)
    assert_gradient_close(np.array([db]), numerical_gradient(lambda v: ridge_loss_forward(w, v[0], X, y, 2.0)[0], np.array([b])), tol=1e-7)
    w_hat, b_hat = ridge_fit(X, y, 2.0)
    dw, db = ridge_loss_backward(1.0, ridge_loss_forward(w_hat, b_hat, X, y, 2.0)[1])
    assert np.max(np.abs(dw)) < 1e-9 and abs(db) < 1e-9


def check_extremes_more_features_than_samples_and_duplicates():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(4, 10))  # D > N: least squares is underdetermined, ridge is not
    y = rng.normal(size=4)
    w, b = ridge_fit(X, y, 1.0)
    assert np.all(np.isfinite(w))
    w0, b0 = ridge_fit(X, y, 0.0)  # alpha = 0: minimum-norm interpolant
    assert_close(X @ w0 + b0, y, rtol=1e-9)
    Xd = np.hstack([X[:, :1], X[:, :1]])  # two identical columns share the weight equally
    wd, _ = ridge_fit(Xd, y, 0.5)
    assert_close(wd[0], wd[1], rtol=1e-12)
    try:
        ridge_fit(X, y, -1.0)
    except ValueError:
        pass
    else:
        raise AssertionError("negative alpha must raise")


def plot_ridge_trace(alphas, W, loo):
    """Figure: coefficients and leave-one-out MSE against alpha (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    for j in range(W.shape[1]):
        ax1.plot(alphas, W[:, j], label=f"w{j}")
    ax1.set_xscale("log")
    ax1.axhline(0, color="k", linewidth=0.5)
    ax1.set_xlabel("alpha")
    ax1.set_title("ridge trace")
    ax1.legend(fontsize=7)
    ax2.plot(alphas, loo)
    ax2.set_xscale("log")
    ax2.set_xlabel("alpha")
    ax2.set_ylabel("leave-one-out MSE")
    fig.set_label(
        "Left: ridge coefficients against the penalty on a log scale. At small alpha the coefficients "
        "of the two nearly identical features are far apart (about 2.9 and -0.7); as alpha grows they "
        "meet near 1 around alpha = 1 to 10, and beyond that all coefficients shrink towards zero "
        "together. Right: the leave-one-out error is almost flat for small alpha, lowest near alpha = 4, "
        "and rises steeply beyond 10"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    w_true = np.array([1.0, 1.0, 0.5, 0.0, -0.5])
    X, y = make_collinear(5)
    Xt, yt = make_collinear(100, n=1000)  # same near-collinearity as the training data
    Xs, ys = make_collinear(101, n=1000, link=1.0)  # x1 no longer tracks x0
    print(f"30 samples; x1 is x0 plus small noise (corr {np.corrcoef(X[:, 0], X[:, 1])[0, 1]:.4f}); true w = (1, 1, 0.5, 0, -0.5), b = 3")
    alphas = np.logspace(-3, 3, 61)
    W, B = ridge_svd(X, y, alphas)
    loo = np.array([np.mean(loo_errors(X, y, a) ** 2) for a in alphas])
    best = alphas[np.argmin(loo)]
    for a in (0.0, 0.1, best, 100.0):
        w, b = ridge_fit(X, y, a)
        print(f"alpha={a:8.4f}: w = {w}, b = {b:.4f}, df = {effective_dof(X, a):.4f}")
        print(
            f"                 |w - w_true| = {np.linalg.norm(w - w_true):.4f}, test MSE "
            f"{np.mean((Xt @ w + b - yt) ** 2):.4f} (collinear), {np.mean((Xs @ w + b - ys) ** 2):.4f} (shifted)"
        )
    print(f"alpha chosen by leave-one-out (61 values from 1e-3 to 1e3): {best:.4f}")
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    print("singular values of centred X:", s, f" condition number {s[0] / s[-1]:.1f}")
    plot_ridge_trace(alphas, W, loo)
