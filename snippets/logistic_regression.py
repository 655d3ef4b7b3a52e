"""Logistic regression: a linear model of the log-odds, fitted by minimising log loss.

``P(y = 1 | x) = sigmoid(x . w + b)``. The mean log loss (binary cross-entropy)
of logits ``z = X w + b`` is written as ``mean(logaddexp(0, z) - y z)``, which
equals ``-mean(y log p + (1 - y) log(1 - p))`` but never takes the log of a
probability that rounded to 0 or 1. Its gradient is ``X^T (sigmoid(z) - y) / N``.

scikit-learn's ``LogisticRegression`` minimises ``C * sum(loss) + ||w||^2 / 2``
(L2 with C = 1.0 by default, intercept not penalised). Dividing by ``C N`` gives
``mean(loss) + l2 / 2 ||w||^2`` with ``l2 = 1 / (C N)``, the form used here;
``l2 = 0`` (no penalty) is the default here, unlike scikit-learn.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.activation_function import sigmoid


def predict_proba(X, w, b):
    """Probability of class 1, ``sigmoid(X w + b)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    p : ndarray of shape (N,)
        In (0, 1) mathematically; in float64 it rounds to exactly 1.0 once the
        logit exceeds about 37, which is why the loss is computed from logits.
    """
    return sigmoid(X @ w + b)


def log_loss_forward(X, y, w, b, l2=0.0):
    """Mean log loss of a logistic model plus an optional L2 penalty on ``w``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Labels in {0, 1}.
    w : ndarray of shape (D,)
    b : float
    l2 : float
        Penalty ``l2 / 2 * ||w||^2`` (the intercept is not penalised).

    Returns
    -------
    loss : float
        ``mean(log(1 + exp(z)) - y z) + l2 / 2 ||w||^2`` with ``z = X w + b``;
        ``np.logaddexp`` keeps it finite for any logit.
    cache : tuple
        ``(X, y, z, w, l2)``.
    """
    z = X @ w + b
    loss = np.mean(np.logaddexp(0.0, z) - y * z) + 0.5 * l2 * np.dot(w, w)
    return float(loss), (X, y, z, w, l2)


def log_loss_backward(dout, cache):
    """Gradient of :func:`log_loss_forward` with respect to ``w`` and ``b``.

    ``dL/dw = X^T (sigmoid(z) - y) / N + l2 w`` and ``dL/db = mean(sigmoid(z) - y)``.

    Parameters
    ----------
    dout : float
        Upstream gradient (1.0 for the loss itself).
    cache : tuple
        From :func:`log_loss_forward`.

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
    """
    X, y, z, w, l2 = cache
    g = (sigmoid(z) - y) / y.size
    return dout * (X.T @ g + l2 * w), dout * float(np.sum(g))


def fit_gradient_descent(X, y, l2=0.0, lr=None, num_iters=2000):
    """Full-batch gradient descent from zero.

    The log loss has Hessian ``A^T diag(p (1 - p)) A / N`` with ``A = [X, 1]``;
    since ``p (1 - p) <= 1/4`` its gradient is ``L``-Lipschitz with
    ``L = sigma_max(A)^2 / (4 N) + l2``, and the default step is ``1 / L``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    l2 : float
    lr : float or None
        ``None`` means ``1 / L``.
    num_iters : int

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    losses : ndarray of shape (num_iters,)
        Loss before each step.
    """
    if lr is None:
        A = np.hstack([X, np.ones((X.shape[0], 1))])
        lr = 1.0 / (np.linalg.norm(A, 2) ** 2 / (4.0 * X.shape[0]) + l2)
    w, b = np.zeros(X.shape[1]), 0.0
    losses = np.empty(num_iters)
    for t in range(num_iters):
        losses[t], cache = log_loss_forward(X, y, w, b, l2)
        dw, db = log_loss_backward(1.0, cache)
        w, b = w - lr * dw, b - lr * db
    return w, b, losses


def fit_newton(X, y, l2, num_iters=25):
    """Newton's method (iteratively reweighted least squares), a reference solver.

    Needs a positive-definite Hessian: ``l2 > 0`` or data that are not separable.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    l2 : float
    num_iters : int

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    """
    n, d = X.shape
    A = np.hstack([X, np.ones((n, 1))])
    penalty = l2 * np.diag(np.r_[np.ones(d), 0.0])
    theta = np.zeros(d + 1)
    for _ in range(num_iters):
        p = sigmoid(A @ theta)
        grad = A.T @ (p - y) / n + penalty @ theta
        hess = (A.T * (p * (1 - p))) @ A / n + penalty
        theta = theta - np.linalg.solve(hess, grad)
    return theta[:-1], float(theta[-1])


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's scikit-learn and PyTorch tabs).

    Several shapes and penalties; separable data (a finite minimum only because ``l2 > 0``);
    no penalty on data that are not separable (``l2 = 0``, scikit-learn's ``C = inf``); a batch
    of two; features on a large scale. ``w`` and ``b`` are a trial point for the loss and its
    gradient, one of them with logits near +-1000 where a naive ``log(sigmoid(z))`` fails.

    Returns
    -------
    list of dict with X (N, D), y (N,) in {0, 1}, l2 (float), w (D,) and b (float)
    """
    rng = np.random.default_rng(21)
    cases = []
    for seed, l2, separable in [(0, 0.01, False), (6, 0.05, True), (1, 0.0, False)]:
        X, y = _data(seed, separable=separable)
        cases.append({"X": X, "y": y, "l2": l2})
    for n, d, l2, scale in [(30, 5, 0.1, 1.0), (2, 1, 0.5, 1.0), (40, 3, 0.02, 50.0)]:
        X = scale * rng.normal(size=(n, d))
        y = (rng.random(n) < sigmoid(X @ rng.normal(size=d) / scale)).astype(np.float64)
        y[:2] = [0.0, 1.0]  # both classes present
        cases.append({"X": X, "y": y, "l2": l2})
    for case in cases:
        case["w"], case["b"] = rng.normal(size=case["X"].shape[1]), float(rng.normal())
    cases[-1]["w"] = cases[-1]["w"] * 20.0  # logits in the hundreds to about a thousand
    return cases


def fit(X, y, l2, w=None, b=None):
    """The penalised maximum-likelihood ``(w, b)`` of :func:`fit_newton`; ``w, b`` are unused.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    l2 : float
        Penalty ``l2 / 2 ||w||^2`` on the mean loss: scikit-learn's ``C = 1 / (l2 N)``.
    w, b : ignored
        The trial point of :func:`equivalence_cases`, used only by :func:`loss_and_gradients`.

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    """
    return fit_newton(X, y, l2)


def loss_and_gradients(X, y, l2, w, b):
    """Penalised mean log loss at ``(w, b)`` and its gradients (what autograd gives).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    l2 : float
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    loss : float
    dw : ndarray of shape (D,)
    db : float
    """
    loss, cache = log_loss_forward(X, y, w, b, l2)
    dw, db = log_loss_backward(1.0, cache)
    return loss, dw, db


# ----------------------------------------------------------------------------- checks


def _data(seed=0, n=100, separable=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2))
    logits = X @ np.array([2.0, -1.0]) + 0.5
    if separable:
        y = (logits > 0).astype(np.float64)
        X = X + 0.3 * np.outer(2 * y - 1, [2.0, -1.0]) / np.sqrt(5.0)  # open a margin
    else:
        y = (rng.random(n) < sigmoid(logits)).astype(np.float64)
    return X, y


def check_gradient_matches_numerical_gradient():
    X, y = _data()
    rng = np.random.default_rng(1)
    w, b, l2 = rng.normal(size=2), -0.3, 0.1
    dw, db = log_loss_backward(1.0, log_loss_forward(X, y, w, b, l2)[1])
    num_w = numerical_gradient(lambda v: log_loss_forward(X, y, v, b, l2)[0], w.copy())
    num_b = numerical_gradient(lambda v: log_loss_forward(X, y, w, v[0], l2)[0], np.array([b]))
    assert_gradient_close(dw, num_w, tol=1e-7, what="dL/dw")
    assert_gradient_close(np.array([db]), num_b, tol=1e-7, what="dL/db")


def check_stable_loss_matches_naive_formula_and_survives_huge_logits():
    X, y = _data(2)
    w, b = np.array([0.7, -0.4]), 0.2
    p = predict_proba(X, w, b)
    naive = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert_close(log_loss_forward(X, y, w, b)[0], naive, rtol=1e-12)
    # Logits of +-1000: log(sigmoid) would be log(0) = -inf; logaddexp is exact.
    Xb, yb = np.array([[1.0], [-1.0]]), np.array([0.0, 1.0])
    loss, _ = log_loss_forward(Xb, yb, np.array([1000.0]), 0.0)
    assert loss == 1000.0


def check_loss_is_convex():
    X, y = _data(3)
    rng = np.random.default_rng(4)
    # Hessian A^T diag(p(1-p)) A / N is positive semi-definite at any point ...
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    p = predict_proba(X, rng.normal(size=2), 0.1)
    assert np.linalg.eigvalsh((A.T * (p * (1 - p))) @ A / X.shape[0]).min() >= 0
    # ... so the loss lies below every chord.
    for _ in range(20):
        t1, t2, lam = rng.normal(size=3) * 3, rng.normal(size=3) * 3, rng.random()
        f = lambda th: log_loss_forward(X, y, th[:2], th[2])[0]
        assert f(lam * t1 + (1 - lam) * t2) <= lam * f(t1) + (1 - lam) * f(t2) + 1e-12


def check_gradient_descent_reaches_the_unique_minimum():
    X, y = _data(5)
    w_gd, b_gd, losses = fit_gradient_descent(X, y, l2=0.01, num_iters=3000)
    w_nt, b_nt = fit_newton(X, y, l2=0.01)
    assert np.all(np.diff(losses) <= 1e-15)
    assert_close(np.r_[w_gd, b_gd], np.r_[w_nt, b_nt], rtol=1e-6, atol=1e-8, what="GD vs Newton")
    # Zero gradient in b means the mean predicted probability equals the base rate.
    assert np.isclose(predict_proba(X, w_nt, b_nt).mean(), y.mean(), rtol=0, atol=1e-12)


def check_separable_data_drive_the_weights_to_infinity():
    # No finite minimiser: the loss keeps falling towards 0 while ||w|| grows (about log t).
    X, y = _data(6, separable=True)
    w_a, b_a, losses_a = fit_gradient_descent(X, y, num_iters=200)
    w_b, b_b, losses_b = fit_gradient_descent(X, y, num_iters=2000)
    assert np.all(((X @ w_b + b_b) > 0) == (y == 1))  # a separating hyperplane
    assert losses_b[-1] < losses_a[-1] < losses_b[0] and np.all(np.diff(losses_b) < 0)
    assert np.linalg.norm(w_b) > 1.5 * np.linalg.norm(w_a)
    # The direction settles down (towards the max-margin one) while the norm grows.
    cos = w_a @ w_b / np.linalg.norm(w_a) / np.linalg.norm(w_b)
    assert cos > 0.99


def check_probabilities_are_strictly_between_zero_and_one():
    X, y = _data(7)
    w, b, _ = fit_gradient_descent(X, y, num_iters=500)
    p = predict_proba(X, w, b)
    assert np.all((p > 0) & (p < 1))


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _data(0)
    print("data: 100 points, P(y=1|x) = sigmoid(2 x1 - x2 + 0.5)")
    w, b, losses = fit_gradient_descent(X, y, num_iters=300)
    print(f"gradient descent: w = {w}, b = {b:.4f}")
    print("log loss at steps 0, 1, 10, 299:", losses[[0, 1, 10, 299]])
    w_nt, b_nt = fit_newton(X, y, l2=0.0)
    print(f"Newton / IRLS:    w = {w_nt}, b = {b_nt:.4f}")
    p = predict_proba(X, w, b)
    print(f"mean predicted p = {p.mean():.4f}, fraction of ones = {y.mean():.4f}")
    print(f"training accuracy at threshold 0.5: {np.mean((p >= 0.5) == (y == 1)):.4f}")
    Xs, ys = _data(6, separable=True)
    for t in (100, 1000, 10000):
        ws, bs, ls = fit_gradient_descent(Xs, ys, num_iters=t)
        print(f"separable data, {t:5d} steps: loss {ls[-1]:.5f}, ||w|| = {np.linalg.norm(ws):.3f} (no minimum)")
