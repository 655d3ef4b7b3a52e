"""Regularization: L2 (ridge, weight decay) and L1 (lasso, soft-thresholding) penalties.

Conventions (stated because libraries differ by factors of 2 and n):

* Ridge follows ``sklearn.linear_model.Ridge(fit_intercept=False)``:
  minimise ``||y - X w||^2 + alpha ||w||^2`` (a sum, no 1/n, no 1/2).
* Lasso follows ``sklearn.linear_model.Lasso(fit_intercept=False)``:
  minimise ``||y - X w||^2 / (2 n) + alpha ||w||_1``.
* Weight decay follows ``torch.optim.SGD``/``Adam`` (``weight_decay`` adds ``wd * w`` to the
  gradient, i.e. the penalty ``wd / 2 * ||w||^2``) and ``torch.optim.AdamW`` (decoupled decay).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient, numerical_gradient_array

# ---------------------------------------------------------------- ridge (L2)


def ridge_closed_form(X, y, alpha):
    """Ridge solution ``w = (X^T X + alpha I)^{-1} X^T y`` (Hoerl & Kennard 1970).

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Design matrix (no intercept column is added, as with ``fit_intercept=False``).
    y : ndarray of shape (N,)
        Targets.
    alpha : float
        Penalty strength, ``alpha >= 0``; for ``alpha > 0`` the system is always solvable.

    Returns
    -------
    w : ndarray of shape (D,)
    """
    D = X.shape[1]
    return np.linalg.solve(X.T @ X + alpha * np.eye(D), X.T @ y)


def ridge_loss(w, X, y, alpha):
    """Ridge objective ``||y - X w||^2 + alpha ||w||^2``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float

    Returns
    -------
    float
    """
    r = X @ w - y
    return float(r @ r + alpha * (w @ w))


def ridge_gradient(w, X, y, alpha):
    """Gradient of :func:`ridge_loss`: ``2 X^T (X w - y) + 2 alpha w``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float

    Returns
    -------
    grad : ndarray of shape (D,)
    """
    return 2.0 * X.T @ (X @ w - y) + 2.0 * alpha * w


def ridge_gradient_descent(X, y, alpha, n_steps=2000, lr=None):
    """Minimise :func:`ridge_loss` by full-batch gradient descent from ``w = 0``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
    n_steps : int
    lr : float, optional
        Step size; default ``1 / L`` with ``L = 2 (lambda_max(X^T X) + alpha)`` the
        Lipschitz constant of the gradient, which guarantees convergence.

    Returns
    -------
    w : ndarray of shape (D,)
    """
    if lr is None:
        lr = 1.0 / (2.0 * (np.linalg.eigvalsh(X.T @ X)[-1] + alpha))
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = w - lr * ridge_gradient(w, X, y, alpha)
    return w


def l2_penalty_forward(w, weight_decay):
    """L2 penalty ``weight_decay / 2 * sum(w**2)``, the penalty behind PyTorch's ``weight_decay``.

    Parameters
    ----------
    w : ndarray of shape (D,) or any shape
    weight_decay : float

    Returns
    -------
    out : float
    cache : tuple
    """
    return 0.5 * weight_decay * float(np.sum(w * w)), (w, weight_decay)


def l2_penalty_backward(dout, cache):
    """Gradient of :func:`l2_penalty_forward`: ``dout * weight_decay * w``.

    Parameters
    ----------
    dout : float
        Upstream gradient (1.0 when the penalty is added to the loss).
    cache : tuple from :func:`l2_penalty_forward`

    Returns
    -------
    dw : ndarray, shape of ``w``
    """
    w, weight_decay = cache
    return dout * weight_decay * w


# ---------------------------------------------------------------- weight decay in optimisers


def sgd_step(w, grad, lr, weight_decay=0.0):
    """One step of ``torch.optim.SGD`` (no momentum): ``w - lr * (grad + weight_decay * w)``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    grad : ndarray of shape (D,)
        Gradient of the unregularised loss.
    lr, weight_decay : float

    Returns
    -------
    w_new : ndarray of shape (D,)
    """
    return w - lr * (grad + weight_decay * w)


def adam_step(w, grad, m, v, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled=False):
    """One step of ``torch.optim.Adam`` (``decoupled=False``) or ``torch.optim.AdamW`` (``True``).

    Adam with ``weight_decay`` adds ``weight_decay * w`` to the gradient *before* the adaptive
    scaling (an L2 penalty). AdamW shrinks the weights directly and applies Adam to the raw
    gradient; this is PyTorch's form, ``w <- w - lr * weight_decay * w``. (Loshchilov & Hutter's
    paper scales the decay by a schedule multiplier eta_t instead of the learning rate.)

    Parameters
    ----------
    w, grad, m, v : ndarray of shape (D,)
        Weights, loss gradient, first and second moment estimates.
    t : int
        Step number, starting at 1 (for bias correction).
    lr : float
    betas : tuple of float
    eps : float
        Added to ``sqrt(v_hat)``, as in PyTorch.
    weight_decay : float
    decoupled : bool

    Returns
    -------
    w_new, m_new, v_new : ndarray of shape (D,)
    """
    b1, b2 = betas
    if decoupled:
        w = w * (1.0 - lr * weight_decay)
    else:
        grad = grad + weight_decay * w
    m = b1 * m + (1.0 - b1) * grad
    v = b2 * v + (1.0 - b2) * grad * grad
    m_hat = m / (1.0 - b1**t)
    v_hat = v / (1.0 - b2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


# ---------------------------------------------------------------- lasso (L1)


def l1_penalty_forward(w, alpha):
    """L1 penalty ``alpha * sum(|w|)``.

    Parameters
    ----------
    w : ndarray of shape (D,) or any shape
    alpha : float

    Returns
    -------
    out : float
    cache : tuple
    """
    return alpha * float(np.sum(np.abs(w))), (w, alpha)


def l1_penalty_backward(dout, cache):
    """Subgradient ``dout * alpha * sign(w)`` of :func:`l1_penalty_forward`.

    At ``w == 0`` this returns 0, the choice PyTorch's autograd makes for ``abs``. The penalty is
    not differentiable there, which is why lasso is solved with a proximal step, not by
    following this subgradient.

    Parameters
    ----------
    dout : float
    cache : tuple from :func:`l1_penalty_forward`

    Returns
    -------
    dw : ndarray, shape of ``w``
    """
    w, alpha = cache
    return dout * alpha * np.sign(w)


def soft_threshold(z, t):
    """Proximal operator of ``t * |.|``: ``sign(z) * max(|z| - t, 0)``.

    ``argmin_x 0.5 * (x - z)**2 + t * |x|``, elementwise. Everything in ``[-t, t]`` maps to
    exactly 0, which is where the lasso's exact zeros come from.

    Parameters
    ----------
    z : ndarray of shape (D,)
    t : float, ``t >= 0``

    Returns
    -------
    ndarray of shape (D,)
    """
    return np.sign(z) * np.maximum(np.abs(z) - t, 0.0)


def lasso_ista(X, y, alpha, n_steps=3000):
    """Lasso by proximal gradient descent (ISTA): a gradient step on the squared error, then soft-thresholding.

    Minimises ``||y - X w||^2 / (2 N) + alpha ||w||_1`` (scikit-learn's ``Lasso`` objective)
    with step ``1 / L``, ``L = lambda_max(X^T X) / N``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
    n_steps : int

    Returns
    -------
    w : ndarray of shape (D,)
    """
    N = X.shape[0]
    lr = N / np.linalg.eigvalsh(X.T @ X)[-1]
    w = np.zeros(X.shape[1])
    for _ in range(n_steps):
        w = soft_threshold(w - lr * X.T @ (X @ w - y) / N, lr * alpha)
    return w


def make_sparse_regression(seed=0, n=60, d=8, noise=0.5):
    """Data whose true weights are sparse: only features 0, 1 and 7 matter.

    Returns
    -------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    w_true : ndarray of shape (d,)
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = np.zeros(d)
    w_true[[0, 1, 7]] = [3.0, -2.0, 1.5]
    return X, X @ w_true + noise * rng.normal(size=n), w_true


# ---------------------------------------------------------------- inputs for the library equivalents


def equivalence_cases():
    """Inputs the ridge and lasso equivalents are checked on (see the term's scikit-learn tabs).

    Several shapes and penalties: sparse true weights, more features than samples (ridge only
    has a unique solution there thanks to ``alpha``), a batch of two, and an ``alpha`` above
    ``max|X^T y| / N`` at which every lasso weight is exactly zero.

    Returns
    -------
    list of dict with X (N, D), y (N,) and alpha (float)
    """
    rng = np.random.default_rng(31)
    X, y, _ = make_sparse_regression(0)
    cases = [{"X": X, "y": y, "alpha": 0.3}, {"X": X, "y": y, "alpha": 30.0}]
    for n, d, alpha in [(20, 5, 0.05), (6, 12, 0.5), (2, 1, 0.1)]:
        X = rng.normal(size=(n, d))
        cases.append({"X": X, "y": X @ rng.normal(size=d) + 0.3 * rng.normal(size=n), "alpha": alpha})
    X, y, _ = make_sparse_regression(1, n=30)
    cases.append({"X": X, "y": y, "alpha": 1.1 * np.max(np.abs(X.T @ y)) / 30})
    return cases


def optimizer_cases():
    """Inputs the weight-decay equivalents (PyTorch optimisers) are checked on.

    A sequence of loss gradients applied to weights from several starting points, learning rates
    and decays, one of them with gradients of very different sizes per weight.

    Returns
    -------
    list of dict with w (D,), grads (T, D), lr (float) and weight_decay (float)
    """
    rng = np.random.default_rng(32)
    cases = []
    for d, t, lr, wd in [(4, 5, 0.1, 0.01), (3, 20, 1e-3, 0.1), (1, 1, 0.5, 0.3)]:
        cases.append({"w": rng.normal(size=d), "grads": rng.normal(size=(t, d)), "lr": lr, "weight_decay": wd})
    grads = rng.normal(size=(10, 2)) * np.array([100.0, 1e-3])
    cases.append({"w": np.ones(2), "grads": grads, "lr": 1e-2, "weight_decay": 0.1})
    return cases


def optimizer_steps(w, grads, lr, weight_decay):
    """Weights after applying ``grads`` one by one with SGD, Adam + L2 and AdamW (default betas, eps).

    Parameters
    ----------
    w : ndarray of shape (D,)
    grads : ndarray of shape (T, D)
        The loss gradient at each step (taken as given, not recomputed at the new weights).
    lr, weight_decay : float

    Returns
    -------
    w_sgd, w_adam, w_adamw : ndarray of shape (D,)
    """
    w_sgd = w.copy()
    adam = [w.copy(), np.zeros_like(w), np.zeros_like(w)]
    adamw = [w.copy(), np.zeros_like(w), np.zeros_like(w)]
    for t, g in enumerate(grads, start=1):
        w_sgd = sgd_step(w_sgd, g, lr, weight_decay)
        adam = adam_step(*adam[:1], g, *adam[1:], t, lr, weight_decay=weight_decay)
        adamw = adam_step(*adamw[:1], g, *adamw[1:], t, lr, weight_decay=weight_decay, decoupled=True)
    return w_sgd, adam[0], adamw[0]


# ---------------------------------------------------------------- checks


def check_ridge_closed_form_matches_gradient_descent():
    X, y, _ = make_sparse_regression(1)
    for alpha in (0.1, 5.0, 100.0):
        w_cf = ridge_closed_form(X, y, alpha)
        assert_close(ridge_gradient_descent(X, y, alpha), w_cf, rtol=1e-8, atol=1e-10, what="ridge GD")
        # The closed form is a stationary point of the objective.
        assert np.max(np.abs(ridge_gradient(w_cf, X, y, alpha))) < 1e-9


def check_ridge_shrinks_towards_zero():
    X, y, _ = make_sparse_regression(2)
    norms = [np.linalg.norm(ridge_closed_form(X, y, a)) for a in (0.0, 1.0, 10.0, 100.0, 1e4)]
    assert np.all(np.diff(norms) < 0), norms
    assert norms[-1] < 0.05 * norms[0]


def check_orthogonal_design_closed_forms():
    # With X^T X = N I: ridge = OLS / (1 + alpha / N), lasso = soft_threshold(OLS, alpha).
    rng = np.random.default_rng(3)
    N, D = 40, 5
    Q, _ = np.linalg.qr(rng.normal(size=(N, D)))
    X = np.sqrt(N) * Q
    y = X @ np.array([2.0, -0.3, 0.05, 1.0, 0.0]) + 0.1 * rng.normal(size=N)
    ols = X.T @ y / N
    assert_close(ridge_closed_form(X, y, 4.0), ols / (1.0 + 4.0 / N), rtol=1e-10, what="ridge")
    assert_close(lasso_ista(X, y, 0.2, n_steps=50), soft_threshold(ols, 0.2), rtol=1e-10, atol=1e-14, what="lasso")


def check_lasso_exact_zeros_and_optimality():
    X, y, w_true = make_sparse_regression(0)
    N, alpha = X.shape[0], 0.3
    w = lasso_ista(X, y, alpha)
    assert np.all(w[w_true == 0] == 0.0), w  # exact zeros, not merely small
    assert np.all(w[w_true != 0] != 0.0)
    # KKT conditions: c = X^T (y - X w) / N equals alpha * sign(w_j) where w_j != 0, |c_j| <= alpha where w_j == 0.
    c = X.T @ (y - X @ w) / N
    nz = w != 0
    assert_close(c[nz], alpha * np.sign(w[nz]), rtol=1e-8, what="KKT active")
    assert np.all(np.abs(c[~nz]) <= alpha + 1e-10)
    # Ridge shrinks but (almost surely) leaves no coefficient exactly at zero.
    assert np.all(ridge_closed_form(X, y, 10.0) != 0.0)


def check_soft_threshold_is_the_proximal_operator():
    t = 0.7
    grid = np.linspace(-4.0, 4.0, 80001)  # spacing 1e-4
    for z in (-2.5, -0.7, -0.3, 0.0, 0.5, 1.9):
        x_best = grid[np.argmin(0.5 * (grid - z) ** 2 + t * np.abs(grid))]
        assert abs(soft_threshold(np.array(z), t) - x_best) < 2e-4, z


def check_sgd_weight_decay_is_l2_penalty():
    # For plain SGD, weight decay and an L2 penalty of weight_decay / 2 * ||w||^2 are the same update.
    rng = np.random.default_rng(4)
    w, g = rng.normal(size=6), rng.normal(size=6)
    lr, wd = 0.1, 0.01
    _, cache = l2_penalty_forward(w, wd)
    via_penalty = w - lr * (g + l2_penalty_backward(1.0, cache))
    shrink_then_step = (1.0 - lr * wd) * w - lr * g
    assert_close(sgd_step(w, g, lr, wd), via_penalty, rtol=1e-14, what="SGD vs penalty")
    assert_close(sgd_step(w, g, lr, wd), shrink_then_step, rtol=1e-14, what="SGD vs shrink")


def check_adamw_decay_is_decoupled_and_differs_from_adam_l2():
    w = np.array([1.0, 1.0])
    g = np.array([0.5, 0.001])
    m = np.zeros(2)
    v = np.array([100.0, 1e-6])  # history: large gradients on weight 0, tiny ones on weight 1
    lr, wd, t = 1e-3, 0.1, 10
    plain, *_ = adam_step(w, g, m, v, t, lr)
    adamw, *_ = adam_step(w, g, m, v, t, lr, weight_decay=wd, decoupled=True)
    adam_l2, *_ = adam_step(w, g, m, v, t, lr, weight_decay=wd, decoupled=False)
    # AdamW: the decay is exactly lr * wd * w, whatever the gradient history.
    assert_close(adamw - plain, -lr * wd * w, rtol=1e-10, what="AdamW decay")
    # Adam + L2: the decay term is divided by sqrt(v_hat), so weights with large gradients decay far less.
    decay = plain - adam_l2
    assert decay[1] > 100.0 * decay[0] > 0.0, decay


def check_gradients_match_numerical():
    rng = np.random.default_rng(5)
    X, y = rng.normal(size=(7, 4)), rng.normal(size=7)
    w = rng.normal(size=4)
    num = numerical_gradient(lambda z: ridge_loss(z, X, y, 0.3), w.copy())
    assert_gradient_close(ridge_gradient(w, X, y, 0.3), num, tol=1e-8, what="ridge gradient")
    _, cache = l2_penalty_forward(w, 0.05)
    num = numerical_gradient_array(lambda z: l2_penalty_forward(z, 0.05)[0], w.copy(), np.array(1.7))
    assert_gradient_close(l2_penalty_backward(1.7, cache), num, tol=1e-8, what="L2 penalty")
    w_away = np.array([0.8, -1.3, 0.4, -0.6])  # |w| is differentiable away from 0
    _, cache = l1_penalty_forward(w_away, 0.2)
    num = numerical_gradient_array(lambda z: l1_penalty_forward(z, 0.2)[0], w_away.copy(), np.array(1.7))
    assert_gradient_close(l1_penalty_backward(1.7, cache), num, tol=1e-8, what="L1 penalty")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    X, y, w_true = make_sparse_regression(0)
    print("true weights      ", w_true)
    print("least squares     ", ridge_closed_form(X, y, 0.0))
    print("ridge, alpha=30   ", ridge_closed_form(X, y, 30.0))
    print("ridge by GD       ", ridge_gradient_descent(X, y, 30.0))
    print("lasso, alpha=0.3  ", lasso_ista(X, y, 0.3))
    w, g = np.array([1.0, -2.0]), np.array([0.3, 0.1])
    _, cache = l2_penalty_forward(w, 0.01)
    print("SGD weight decay  ", sgd_step(w, g, 0.1, 0.01), "= L2 step", w - 0.1 * (g + l2_penalty_backward(1.0, cache)))
    w, g, m, v = np.ones(2), np.array([0.5, 0.001]), np.zeros(2), np.array([100.0, 1e-6])
    plain = adam_step(w, g, m, v, 10)[0]
    print("decay per step, weight with large / tiny gradients (lr=1e-3, wd=0.1):")
    print("  Adam + L2       ", (plain - adam_step(w, g, m, v, 10, weight_decay=0.1)[0]) * 1e4, "x 1e-4")
    print("  AdamW           ", (plain - adam_step(w, g, m, v, 10, weight_decay=0.1, decoupled=True)[0]) * 1e4, "x 1e-4")
