"""Linear regression by least squares: closed form and gradient descent.

Model ``y_hat = X w + b``; loss the mean squared error
``L(w, b) = mean((X w + b - y)^2)`` (scikit-learn's ``mean_squared_error``:
mean over samples, no factor 1/2). The minimiser solves the normal equations
``A^T A theta = A^T y`` with ``A = [X, 1]`` and ``theta = (w, b)``.
``fit_lstsq`` mirrors ``sklearn.linear_model.LinearRegression(fit_intercept=True)``
(which returns ``coef_`` = w and ``intercept_`` = b).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def design_matrix(X):
    """Append a column of ones so the intercept is one more weight.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    A : ndarray of shape (N, D + 1)
    """
    return np.hstack([X, np.ones((X.shape[0], 1))])


def fit_lstsq(X, y):
    """Least-squares fit with intercept, as ``sklearn.linear_model.LinearRegression`` does it.

    scikit-learn centres the data, solves ``min ||Xc w - yc||`` on the centred
    ``Xc = X - mean(X)``, ``yc = y - mean(y)`` with SciPy's SVD-based ``lstsq``, and
    sets ``intercept_ = mean(y) - mean(X) @ coef_``. The intercept is therefore not
    part of the norm: when ``X`` has deficient rank (a duplicated or constant
    column) the returned ``w`` is the minimum-norm solution *of the centred
    problem*. A constant column is all zeros once centred, so it gets weight 0.
    (Running ``lstsq`` on ``[X, 1]`` instead would minimise the norm of ``(w, b)``
    together: same predictions, different ``coef_`` and ``intercept_``.)

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Features.
    y : ndarray of shape (N,)
        Targets.

    Returns
    -------
    w : ndarray of shape (D,)
        Coefficients (scikit-learn's ``coef_``).
    b : float
        Intercept (``intercept_``).
    """
    x_mean, y_mean = X.mean(axis=0), y.mean()
    w, *_ = np.linalg.lstsq(X - x_mean, y - y_mean, rcond=None)
    return w, float(y_mean - x_mean @ w)


def fit_normal_equations(X, y):
    """Closed form ``theta = (A^T A)^{-1} A^T y`` (solved, not inverted).

    Squares the condition number of ``A``, so prefer :func:`fit_lstsq`; here
    it is the textbook formula to check against.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    """
    A = design_matrix(X)
    theta = np.linalg.solve(A.T @ A, A.T @ y)
    return theta[:-1], float(theta[-1])


def predict(X, w, b):
    """Predictions ``X w + b``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    y_hat : ndarray of shape (N,)
    """
    return X @ w + b


def mse_forward(X, y, w, b):
    """Mean squared error of the linear model.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    loss : float
        ``mean((X w + b - y)^2)``.
    cache : tuple
        ``(X, residual)`` with residual of shape (N,).
    """
    r = predict(X, w, b) - y
    return float(np.mean(r * r)), (X, r)


def mse_backward(dout, cache):
    """Gradient of :func:`mse_forward` with respect to ``w`` and ``b``.

    ``dL/dw = (2/N) X^T r`` and ``dL/db = (2/N) sum(r)`` with ``r = X w + b - y``.

    Parameters
    ----------
    dout : float
        Upstream gradient (1.0 for the loss itself).
    cache : tuple
        From :func:`mse_forward`.

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
    """
    X, r = cache
    g = dout * 2.0 * r / r.size
    return X.T @ g, float(np.sum(g))


def fit_gradient_descent(X, y, lr=None, num_iters=500):
    """Full-batch gradient descent on the MSE, starting from zero.

    The MSE is convex with an ``L``-Lipschitz gradient,
    ``L = 2 * sigma_max(A)^2 / N``; the default step ``1 / L`` makes the loss
    decrease monotonically and converge to the least-squares solution at a rate
    set by the condition number of ``A^T A``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    lr : float or None
        Step size; ``None`` means ``1 / L``.
    num_iters : int

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    losses : ndarray of shape (num_iters,)
        Loss before each step.
    """
    if lr is None:
        lr = X.shape[0] / (2.0 * np.linalg.norm(design_matrix(X), 2) ** 2)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = np.empty(num_iters)
    for t in range(num_iters):
        losses[t], cache = mse_forward(X, y, w, b)
        dw, db = mse_backward(1.0, cache)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's scikit-learn and PyTorch tabs).

    Several shapes; one sample per feature plus one (N = D + 1); more features than samples
    (N < D: infinitely many exact fits, the minimum-norm one is returned); a duplicated column and
    a constant column (deficient rank, where the convention for the intercept decides ``coef_``);
    a batch of two. ``w`` and ``b`` are a trial point at which the loss and its gradient are taken.

    Returns
    -------
    list of dict with X (N, D), y (N,), w (D,) and b (float)
    """
    rng = np.random.default_rng(11)
    cases = []
    for n, d in [(50, 3), (12, 1), (6, 5), (5, 8), (2, 1)]:
        X = rng.normal(rng.normal(size=d) * 3, rng.uniform(0.5, 2.0, size=d), size=(n, d))
        cases.append({"X": X, "y": X @ rng.normal(size=d) + rng.normal() + 0.3 * rng.normal(size=n)})
    X = rng.normal(size=(30, 2))
    cases.append({"X": np.hstack([X, X[:, :1]]), "y": X @ [2.0, -1.0] + 1.0 + 0.1 * rng.normal(size=30)})
    cases.append({"X": np.hstack([X, np.full((30, 1), 5.0)]), "y": X @ [2.0, -1.0] + 1.0 + 0.1 * rng.normal(size=30)})
    for case in cases:
        case["w"], case["b"] = rng.normal(size=case["X"].shape[1]), float(rng.normal())
    return cases


def fit(X, y, w=None, b=None):
    """The fitted ``(coef_, intercept_)`` of :func:`fit_lstsq`; the trial point ``w, b`` is unused.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    w, b : ignored
        The trial point of :func:`equivalence_cases`, used only by :func:`loss_and_gradients`.

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    """
    return fit_lstsq(X, y)


def loss_and_gradients(X, y, w, b):
    """The MSE at ``(w, b)`` and its gradients, what autograd gives for ``mse_loss(...).backward()``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    loss : float
    dw : ndarray of shape (D,)
    db : float
    """
    loss, cache = mse_forward(X, y, w, b)
    dw, db = mse_backward(1.0, cache)
    return loss, dw, db


# ----------------------------------------------------------------------------- checks


def _data(seed=0, n=50, d=3, noise=0.3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = np.arange(1, d + 1) * np.array([1.0, -1.0, 0.5])[:d]
    y = X @ w_true + 2.0 + noise * rng.normal(size=n)
    return X, y


def check_lstsq_agrees_with_normal_equations():
    X, y = _data()
    w1, b1 = fit_lstsq(X, y)
    w2, b2 = fit_normal_equations(X, y)
    assert_close(np.r_[w1, b1], np.r_[w2, b2], rtol=1e-10, atol=1e-12, what="lstsq vs normal equations")


def check_residuals_are_orthogonal_to_the_columns():
    # A^T (y - A theta) = 0 is the normal equations; with an intercept the residuals sum to 0.
    X, y = _data(1)
    w, b = fit_lstsq(X, y)
    r = y - predict(X, w, b)
    A = design_matrix(X)
    assert np.max(np.abs(A.T @ r)) < 1e-10 * np.linalg.norm(A) * np.linalg.norm(y)
    assert abs(r.sum()) < 1e-10 * np.abs(y).sum()


def check_mse_gradient_matches_numerical_gradient():
    X, y = _data(2)
    rng = np.random.default_rng(3)
    w, b = rng.normal(size=X.shape[1]), 0.7
    dw, db = mse_backward(1.0, mse_forward(X, y, w, b)[1])
    num_w = numerical_gradient(lambda v: mse_forward(X, y, v, b)[0], w.copy())
    num_b = numerical_gradient(lambda v: mse_forward(X, y, w, v[0])[0], np.array([b]))
    assert_gradient_close(dw, num_w, tol=1e-7, what="dL/dw")
    assert_gradient_close(np.array([db]), num_b, tol=1e-7, what="dL/db")


def check_gradient_vanishes_at_least_squares_solution():
    X, y = _data(4)
    w, b = fit_lstsq(X, y)
    dw, db = mse_backward(1.0, mse_forward(X, y, w, b)[1])
    assert np.max(np.abs(np.r_[dw, db])) < 1e-12


def check_gradient_descent_converges_to_lstsq():
    X, y = _data(5)
    w_gd, b_gd, losses = fit_gradient_descent(X, y, num_iters=500)
    w_ls, b_ls = fit_lstsq(X, y)
    assert np.all(np.diff(losses) <= 1e-15)  # step 1/L: monotone decrease
    assert_close(np.r_[w_gd, b_gd], np.r_[w_ls, b_ls], rtol=1e-8, atol=1e-10, what="GD vs lstsq")


def check_rank_deficient_gives_minimum_norm_solution():
    # Duplicate a column: infinitely many minimisers; lstsq picks the shortest,
    # which splits the weight equally between the copies.
    X, y = _data(6, d=2)
    X2 = np.hstack([X, X[:, :1]])
    w, b = fit_lstsq(X2, y)
    w_ref, b_ref = fit_lstsq(X, y)
    assert np.isclose(w[0], w[2]) and np.isclose(w[0] + w[2], w_ref[0]) and np.isclose(b, b_ref)


def check_constant_feature_is_not_penalised_like_scikit_learn():
    # A constant column duplicates the intercept. scikit-learn centres the data, so the
    # constant column gets weight 0 and the intercept carries the whole offset; a
    # min-norm solve on [X, 1] would instead share the offset between the two.
    X, y = _data(7, d=2)
    Xc = np.hstack([X, np.full((X.shape[0], 1), 5.0)])
    w, b = fit_lstsq(Xc, y)
    w_ref, b_ref = fit_lstsq(X, y)
    assert_close(w, np.r_[w_ref, 0.0], rtol=1e-10, atol=1e-12, what="constant column gets 0")
    assert_close(b, b_ref, rtol=1e-10, what="intercept unchanged")
    # The joint min-norm solution predicts the same values but has other coefficients.
    theta, *_ = np.linalg.lstsq(design_matrix(Xc), y, rcond=None)
    assert_close(design_matrix(Xc) @ theta, predict(Xc, w, b), rtol=1e-10, what="same predictions")
    assert abs(theta[-1] - b) > 0.1 and abs(theta[2]) > 0.01


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = X @ np.array([3.0, -2.0]) + 1.0 + 0.5 * rng.normal(size=40)
    print("true w = [ 3. -2.], b = 1.0, noise sd 0.5")
    w, b = fit_lstsq(X, y)
    print(f"lstsq:            w = {w}, b = {b:.4f}")
    w, b = fit_normal_equations(X, y)
    print(f"normal equations: w = {w}, b = {b:.4f}")
    w_gd, b_gd, losses = fit_gradient_descent(X, y, num_iters=200)
    print(f"gradient descent: w = {w_gd}, b = {b_gd:.4f}")
    print("MSE at steps 0, 1, 2, 5, 199:", losses[[0, 1, 2, 5, 199]])
    r = y - predict(X, w, b)
    print("A^T residual (orthogonality):", design_matrix(X).T @ r)
    print(f"training MSE {np.mean(r**2):.4f}; expected (N - 3) / N * 0.25 = {37 / 40 * 0.25:.4f}")
