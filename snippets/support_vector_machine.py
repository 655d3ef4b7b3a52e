"""Support vector machine: soft-margin classification solved in the dual by SMO.

The C-SVM (Cortes & Vapnik, 1995) with labels ``y_i`` in {-1, +1} and a kernel
``K`` solves the dual problem

    min_a  1/2 a^T Q a - sum(a),   Q_ij = y_i y_j K(x_i, x_j),
    s.t.   0 <= a_i <= C,  sum_i y_i a_i = 0,

and predicts with ``f(x) = sum_i a_i y_i K(x_i, x) + b``. Only the points with
``a_i > 0`` (the support vectors) enter ``f``.

Conventions follow ``sklearn.svm.SVC`` (which wraps libsvm): ``C=1.0``,
``kernel="rbf"`` with ``K(x, z) = exp(-gamma ||x - z||^2)`` and
``gamma="scale" = 1 / (n_features * X.var())``, stopping tolerance ``tol=1e-3``
on the maximal KKT violation, ``dual_coef_ = a_i y_i`` of the support vectors,
``intercept_ = b`` (libsvm's ``-rho``), and ``decision_function`` = ``f``. The
solver is libsvm's SMO with the maximal-violating-pair working set (libsvm
itself uses a second-order choice and shrinking, which change the path, not
the solution). Multi-class (one-vs-one) and probability outputs are left out.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.k_nearest_neighbors import pairwise_sq_dists


def linear_kernel(A, B):
    """``K(a, b) = a . b``, like ``sklearn.metrics.pairwise.linear_kernel``.

    Parameters
    ----------
    A : ndarray of shape (N, D)
    B : ndarray of shape (M, D)

    Returns
    -------
    K : ndarray of shape (N, M)
    """
    return np.asarray(A, dtype=np.float64) @ np.asarray(B, dtype=np.float64).T


def rbf_kernel(A, B, gamma):
    """``K(a, b) = exp(-gamma ||a - b||^2)``, like ``sklearn.metrics.pairwise.rbf_kernel``.

    Parameters
    ----------
    A : ndarray of shape (N, D)
    B : ndarray of shape (M, D)
    gamma : float
        Inverse squared length scale, ``gamma > 0``.

    Returns
    -------
    K : ndarray of shape (N, M)
        Values in (0, 1]; exactly 1 on identical points.
    """
    return np.exp(-gamma * np.maximum(pairwise_sq_dists(A, B), 0.0))


def gamma_scale(X):
    """scikit-learn's default ``gamma="scale"``: ``1 / (n_features * X.var())``.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    gamma : float
        ``X.var()`` is the biased variance of all entries together; 1.0 if it is 0.
    """
    v = float(np.var(X))
    return 1.0 / (X.shape[1] * v) if v > 0 else 1.0


def _violation_sets(a, y, C):
    up = ((y > 0) & (a < C)) | ((y < 0) & (a > 0))
    low = ((y < 0) & (a < C)) | ((y > 0) & (a > 0))
    return up, low


def svc_fit_smo(K, y, C=1.0, tol=1e-3, max_iter=100_000):
    """Solve the C-SVM dual by sequential minimal optimisation (SMO).

    Each step picks the maximal violating pair ``(i, j)`` of the KKT conditions
    and solves the two-variable subproblem exactly (moving ``a_i`` and ``a_j``
    so that ``sum y a`` stays 0), as libsvm does. Stops when the violation
    ``max_{up} -y G - min_{low} -y G`` drops below ``tol`` (libsvm's ``eps``).

    Parameters
    ----------
    K : ndarray of shape (N, N)
        Kernel (Gram) matrix of the training points.
    y : ndarray of shape (N,)
        Labels in {-1, +1}; both must occur.
    C : float
        Box constraint, ``C > 0``; large C = hard margin.
    tol : float
    max_iter : int

    Returns
    -------
    alpha : ndarray of shape (N,)
        Dual variables in [0, C].
    b : float
        Intercept (scikit-learn's ``intercept_``).
    n_iter : int
    """
    y = np.asarray(y, dtype=np.float64)
    if not (np.any(y > 0) and np.any(y < 0)) or not np.all(np.abs(y) == 1):
        raise ValueError("y must contain both labels -1 and +1 and nothing else")
    if not C > 0:
        raise ValueError("C must be positive")
    n = len(y)
    Q = (y[:, None] * y[None, :]) * K
    a = np.zeros(n)
    G = -np.ones(n)  # gradient Q a - 1 at a = 0
    for it in range(max_iter):
        up, low = _violation_sets(a, y, C)
        score = -y * G
        i = int(np.argmax(np.where(up, score, -np.inf)))
        j = int(np.argmin(np.where(low, score, np.inf)))
        if score[i] - score[j] < tol:
            break
        # Direction a_i += y_i t, a_j -= y_j t keeps sum(y a) fixed; exact line search.
        curvature = max(K[i, i] + K[j, j] - 2.0 * K[i, j], 1e-12)
        t = (score[i] - score[j]) / curvature
        t = min(t, C - a[i] if y[i] > 0 else a[i], a[j] if y[j] > 0 else C - a[j])
        a[i] += y[i] * t
        a[j] -= y[j] * t
        G += t * (y[i] * Q[:, i] - y[j] * Q[:, j])
    else:
        raise ValueError("SMO did not converge; scale the features or lower C")
    a = np.clip(a, 0.0, C)
    free = (a > 1e-8 * C) & (a < C * (1 - 1e-8))
    score = -y * G
    if np.any(free):
        b = float(np.mean(score[free]))  # on the margin: y_i f(x_i) = 1
    else:
        up, low = _violation_sets(a, y, C)
        b = float((score[up].max() + score[low].min()) / 2.0)
    return a, b, it


def decision_function(K_query, alpha, y, b):
    """``f(x) = sum_i a_i y_i K(x_i, x) + b``, like ``SVC.decision_function``.

    Parameters
    ----------
    K_query : ndarray of shape (M, N)
        Kernel between M query points and the N training points.
    alpha : ndarray of shape (N,)
    y : ndarray of shape (N,)
        Labels in {-1, +1}.
    b : float

    Returns
    -------
    f : ndarray of shape (M,)
        Signed score; the predicted label is ``sign(f)``, and ``|f| = 1`` on the margin.
    """
    return K_query @ (alpha * y) + b


def hinge_loss_forward(w, b, X, y, C):
    """Primal soft-margin objective ``1/2 ||w||^2 + C sum max(0, 1 - y (X w + b))``.

    This is what ``sklearn.svm.LinearSVC(loss="hinge")`` minimises (it also
    penalises the intercept, SVC does not; here b is not penalised).

    Parameters
    ----------
    w : ndarray of shape (D,)
    b : float
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Labels in {-1, +1}.
    C : float

    Returns
    -------
    loss : float
    cache : tuple
    """
    margins = y * (X @ w + b)
    loss = 0.5 * w @ w + C * np.sum(np.maximum(0.0, 1.0 - margins))
    return float(loss), (w, X, y, C, margins)


def hinge_loss_backward(dout, cache):
    """(Sub)gradient of :func:`hinge_loss_forward`; at a kink (margin exactly 1) it takes 0.

    ``sklearn.linear_model.SGDClassifier(loss="hinge")`` takes ``-y`` at a margin of exactly 1
    instead; both are valid subgradients.

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
    """
    w, X, y, C, margins = cache
    active = (margins < 1.0).astype(np.float64)  # points inside the margin or misclassified
    dw = w - C * (active * y) @ X
    db = -C * np.sum(active * y)
    return dout * dw, float(dout * db)


def make_two_moons(seed=0, n=40, noise=0.15):
    """Two interleaving half circles, labels -1/+1 (like ``sklearn.datasets.make_moons``).

    Parameters
    ----------
    seed : int
    n : int
        Total number of points (split evenly).
    noise : float

    Returns
    -------
    X : ndarray of shape (n, 2)
    y : ndarray of shape (n,)
    """
    rng = np.random.default_rng(seed)
    m = n // 2
    t = np.linspace(0, np.pi, m)
    upper = np.stack([np.cos(t), np.sin(t)], axis=1)
    lower = np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1)
    X = np.concatenate([upper, lower]) + rng.normal(scale=noise, size=(2 * m, 2))
    return X, np.concatenate([-np.ones(m), np.ones(m)])


# ---------------------------------------------------------------- checks


def _blobs(seed=0, n=30):
    rng = np.random.default_rng(seed)
    X = np.concatenate([rng.normal(size=(n // 2, 2)) + 1.5, rng.normal(size=(n // 2, 2)) - 1.5])
    return X, np.concatenate([np.ones(n // 2), -np.ones(n // 2)])


def check_two_point_closed_form():
    # x = (+-1, 0): the widest separating street is x_0 = 0, w = (1, 0), a = 1/2 each, margin 2/||w|| = 2.
    X = np.array([[1.0, 0.0], [-1.0, 0.0]])
    y = np.array([1.0, -1.0])
    a, b, _ = svc_fit_smo(linear_kernel(X, X), y, C=100.0, tol=1e-10)
    w = (a * y) @ X
    assert_close(a, [0.5, 0.5], rtol=1e-9, what="alpha")
    assert_close(w, [1.0, 0.0], rtol=1e-9, atol=1e-12, what="w")
    assert abs(b) < 1e-9


def check_kkt_conditions_hold():
    X, y = make_two_moons(1)
    C = 1.0
    K = rbf_kernel(X, X, gamma_scale(X))
    a, b, _ = svc_fit_smo(K, y, C=C, tol=1e-6)
    m = y * decision_function(K, a, y, b)
    assert np.all(a >= 0) and np.all(a <= C) and abs(a @ y) < 1e-10
    tol = 1e-5
    assert np.all(m[a < 1e-8] >= 1 - tol)  # non-support vectors are outside the margin
    free = (a > 1e-8) & (a < C - 1e-8)
    assert free.any() and np.allclose(m[free], 1.0, atol=tol)  # free support vectors lie on it
    assert np.all(m[a > C - 1e-8] <= 1 + tol)  # bounded ones are inside or misclassified


def check_no_duality_gap_for_the_linear_kernel():
    X, y = _blobs(2)
    C = 0.5
    K = linear_kernel(X, X)
    a, b, _ = svc_fit_smo(K, y, C=C, tol=1e-9)
    w = (a * y) @ X
    primal, _ = hinge_loss_forward(w, b, X, y, C)
    dual = a.sum() - 0.5 * (a * y) @ K @ (a * y)
    assert_close(primal, dual, rtol=1e-6, what="primal vs dual objective")


def check_only_support_vectors_matter():
    X, y = make_two_moons(2)
    g = gamma_scale(X)
    a, b, _ = svc_fit_smo(rbf_kernel(X, X, g), y, tol=1e-8)
    sv = a > 1e-8
    assert sv.sum() < len(y)
    a2, b2, _ = svc_fit_smo(rbf_kernel(X[sv], X[sv], g), y[sv], tol=1e-8)
    grid = np.random.default_rng(0).uniform(-1.5, 2.5, size=(50, 2))
    f1 = decision_function(rbf_kernel(grid, X, g), a, y, b)
    f2 = decision_function(rbf_kernel(grid, X[sv], g), a2, y[sv], b2)
    assert_close(f1, f2, rtol=1e-5, atol=1e-5, what="refit on support vectors only")


def check_hinge_gradient_matches_numerical():
    rng = np.random.default_rng(3)
    X, y = _blobs(3, n=10)
    w, b = rng.normal(size=2), 0.3
    dw, db = hinge_loss_backward(1.0, hinge_loss_forward(w, b, X, y, 2.0)[1])
    margins = y * (X @ w + b)
    assert np.min(np.abs(margins - 1)) > 1e-3  # away from the kinks the loss is differentiable
    num_w = numerical_gradient(lambda v: hinge_loss_forward(v, b, X, y, 2.0)[0], w.copy())
    num_b = numerical_gradient(lambda v: hinge_loss_forward(w, v[0], X, y, 2.0)[0], np.array([b]))
    assert_gradient_close(dw, num_w, tol=1e-7)
    assert_gradient_close(np.array([db]), num_b, tol=1e-7)


def check_extremes_tiny_c_duplicates_and_one_class():
    X, y = _blobs(4, n=10)
    a, _, _ = svc_fit_smo(linear_kernel(X, X), y, C=1e-6)
    assert np.allclose(a, 1e-6)  # tiny C: every point is a bounded support vector
    Xd = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])  # a duplicated point with both labels
    a, b, _ = svc_fit_smo(linear_kernel(Xd, Xd), np.array([1.0, -1.0, 1.0]), C=1.0)
    assert np.all(np.isfinite(a)) and np.isfinite(b)
    try:
        svc_fit_smo(linear_kernel(X, X), np.ones(10))
    except ValueError:
        pass
    else:
        raise AssertionError("a single class must raise")


def plot_boundaries(X, y, fits):
    """Figure: decision function contours, margins and support vectors (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(fits), figsize=(4.2 * len(fits), 3.8))
    g1, g2 = np.meshgrid(np.linspace(-1.6, 2.6, 150), np.linspace(-1.2, 1.7, 120))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1)
    for ax, (title, kernel, a, b) in zip(np.atleast_1d(axes), fits):
        f = decision_function(kernel(grid, X), a, y, b).reshape(g1.shape)
        ax.contourf(g1, g2, f, levels=[-1e9, 0, 1e9], colors=["#cfe0f5", "#f8d5cc"])
        ax.contour(g1, g2, f, levels=[-1, 0, 1], colors="k", linestyles=["--", "-", "--"], linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=np.where(y > 0, "firebrick", "steelblue"), s=14)
        sv = a > 1e-8
        ax.scatter(X[sv, 0], X[sv, 1], s=70, facecolors="none", edgecolors="k", linewidths=0.8)
        ax.set_title(title)
    fig.set_label(
        "Two interleaved half-moons. The linear SVM draws a straight boundary that misclassifies "
        "the tips of both moons; the RBF SVM's curved boundary follows the moons. Dashed lines are "
        "the margins f = +-1, and circled points are the support vectors"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = make_two_moons(0)
    g = gamma_scale(X)
    print(f"40 points, two moons; gamma='scale' = 1/(2 * X.var()) = {g:.4f}")
    fits = []
    for name, kernel in (("linear", linear_kernel), ("rbf", lambda A, B: rbf_kernel(A, B, g))):
        a, b, n_iter = svc_fit_smo(kernel(X, X), y, C=1.0)
        acc = np.mean(np.sign(decision_function(kernel(X, X), a, y, b)) == y)
        on_margin = np.sum((a > 1e-8) & (a < 1 - 1e-8))
        print(
            f"{name:6s} C=1: {np.sum(a > 1e-8)} support vectors ({on_margin} on the margin, "
            f"{np.sum(a >= 1 - 1e-8)} at a=C), train acc {acc:.3f}, b = {b:.4f}, {n_iter} SMO steps"
        )
        fits.append((f"{name} kernel", kernel, a, b))
    a_lin = fits[0][2]
    w = (a_lin * y) @ X
    print(f"linear: w = sum a_i y_i x_i = {w}, margin width 2/||w|| = {2 / np.linalg.norm(w):.4f}")
    for C in (0.1, 10.0, 100.0):
        a, b, _ = svc_fit_smo(rbf_kernel(X, X, g), y, C=C)
        acc = np.mean(np.sign(decision_function(rbf_kernel(X, X, g), a, y, b)) == y)
        print(f"rbf    C={C:<5}: {np.sum(a > 1e-8)} support vectors, train acc {acc:.3f}")
    plot_boundaries(X, y, fits)
