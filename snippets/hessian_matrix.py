r"""The Hessian: the matrix of second derivatives of a scalar function, and what it tells an optimiser.

$H_{ij} = \partial^2 f / \partial x_i \partial x_j$. It is symmetric for twice continuously
differentiable $f$, gives the second-order Taylor model
$f(x + d) \approx f(x) + g^\top d + \tfrac12 d^\top H d$, and its eigenvalues are the
curvatures along its eigenvectors: all positive at a strict local minimum, mixed signs
at a saddle point. Large models never form it; they use Hessian-vector products.

Conventions: ``numerical_hessian`` returns the same (D, D) array as
``torch.autograd.functional.hessian(f, x)`` for x of shape (D,); ``hvp`` computes what
``torch.autograd.functional.hvp(f, x, v)[1]`` (or ``torch.func.jvp`` of ``torch.func.grad``,
Pearlmutter's trick) computes exactly, here by a centred difference of gradients.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.newtons_method import rosen, rosen_der, rosen_hess


def numerical_hessian(f, x, h=1e-4):
    """Hessian of a scalar function by centred differences of function values.

    ``H[i, j] ~ (f(x+h e_i+h e_j) - f(x+h e_i-h e_j) - f(x-h e_i+h e_j) + f(x-h e_i-h e_j)) / (4 h^2)``.

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    x : ndarray of shape (D,)
    h : float
        Step; the error is O(h^2) plus rounding of order eps * |f| / h^2.

    Returns
    -------
    H : ndarray of shape (D, D)
        Symmetric by construction.
    """
    x = np.asarray(x, dtype=np.float64)
    d = x.size
    E = h * np.eye(d)
    H = np.empty((d, d))
    for i in range(d):
        for j in range(i, d):
            H[i, j] = H[j, i] = (f(x + E[i] + E[j]) - f(x + E[i] - E[j]) - f(x - E[i] + E[j]) + f(x - E[i] - E[j])) / (4 * h * h)
    return H


def hvp(grad, x, v, eps=1e-5):
    """Hessian-vector product ``H(x) v`` from two gradient evaluations, without forming H.

    ``(grad(x + eps v) - grad(x - eps v)) / (2 eps)``; autodiff frameworks compute it exactly
    at the cost of about two gradients (``torch.autograd.functional.hvp``).

    Parameters
    ----------
    grad : callable
        ndarray of shape (D,) -> ndarray of shape (D,).
    x, v : ndarray of shape (D,)

    Returns
    -------
    Hv : ndarray of shape (D,)
    """
    scale = max(1.0, float(np.linalg.norm(v)))
    e = eps / scale
    return (grad(x + e * v) - grad(x - e * v)) / (2 * e)


def top_eigenvalue(hvp_fn, dim, iters=200, seed=0):
    """Largest-magnitude Hessian eigenvalue by power iteration on Hessian-vector products.

    The "sharpness" of a loss; gradient descent is stable only for ``lr < 2 / lambda_max``.

    Parameters
    ----------
    hvp_fn : callable
        ndarray of shape (D,) -> ndarray of shape (D,), ``v -> H v``.
    dim : int
    iters : int
    seed : int

    Returns
    -------
    lam : float
        Rayleigh quotient ``v.Hv`` of the final unit vector.
    v : ndarray of shape (D,)
    """
    v = np.random.default_rng(seed).normal(size=dim)
    v /= np.linalg.norm(v)
    for _ in range(iters):
        w = hvp_fn(v)
        norm = np.linalg.norm(w)
        if norm == 0:
            return 0.0, v
        v = w / norm
    return float(v @ hvp_fn(v)), v


def classify_critical_point(H, tol=1e-8):
    """Second-derivative test at a point where the gradient vanishes.

    Parameters
    ----------
    H : ndarray of shape (D, D)
        Symmetric Hessian.
    tol : float
        Eigenvalues with ``|lambda| <= tol * max|lambda|`` count as zero.

    Returns
    -------
    kind : str
        ``"minimum"``, ``"maximum"``, ``"saddle"`` or ``"degenerate"`` (test inconclusive).
    """
    lam = np.linalg.eigvalsh(H)
    scale = max(1.0, float(np.max(np.abs(lam))))
    if np.any(lam > tol * scale) and np.any(lam < -tol * scale):
        return "saddle"
    if np.any(np.abs(lam) <= tol * scale):
        return "degenerate"
    return "minimum" if lam[0] > 0 else "maximum"


def _sigmoid(z):
    # Stable for any z: exp is only ever taken of a non-positive number.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def logistic_loss(w, X, y):
    """Mean binary cross-entropy of logistic regression without intercept (stable for large logits).

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Labels in {0, 1}.

    Returns
    -------
    loss : float
    """
    z = X @ w
    return float(np.mean(np.logaddexp(0.0, z) - y * z))


def logistic_grad(w, X, y):
    """Gradient ``X^T (sigmoid(Xw) - y) / N``, shape (D,)."""
    return X.T @ (_sigmoid(X @ w) - y) / X.shape[0]


def logistic_hessian(w, X):
    """Hessian ``X^T diag(p (1 - p)) X / N`` with ``p = sigmoid(Xw)``: positive semi-definite, independent of y.

    Parameters
    ----------
    w : ndarray of shape (D,)
    X : ndarray of shape (N, D)

    Returns
    -------
    H : ndarray of shape (D, D)
    """
    p = _sigmoid(X @ w)
    return (X * (p * (1 - p))[:, None]).T @ X / X.shape[0]


def _data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X @ np.array([1.5, -1.0, 0.5]) + 0.5 * rng.normal(size=40) > 0).astype(float)
    return X, y


# ---------------------------------------------------------------- checks


def check_closed_form_matches_finite_differences():
    X, y = _data()
    w = np.array([0.3, -0.2, 0.1])
    assert_gradient_close(logistic_grad(w, X, y), numerical_gradient(lambda v: logistic_loss(v, X, y), w.copy()), tol=1e-8)
    H = logistic_hessian(w, X)
    assert_gradient_close(H, numerical_hessian(lambda v: logistic_loss(v, X, y), w), tol=1e-6, what="Hessian")
    x = np.array([-0.7, 0.4, 1.1])
    assert_gradient_close(rosen_hess(x), numerical_hessian(rosen, x, h=1e-4), tol=1e-6, what="Rosenbrock Hessian")


def check_symmetric_and_psd_for_convex_loss():
    X, _ = _data()
    H = logistic_hessian(np.array([2.0, -1.0, 0.5]), X)
    assert_close(H, H.T, rtol=1e-14, what="symmetry")
    assert np.linalg.eigvalsh(H)[0] > 0


def check_hvp_matches_matrix_product():
    X, y = _data()
    rng = np.random.default_rng(1)
    w, v = rng.normal(size=3), rng.normal(size=3)
    assert_close(hvp(lambda u: logistic_grad(u, X, y), w, v), logistic_hessian(w, X) @ v, rtol=1e-7, what="Hv")


def check_taylor_error_is_third_order():
    # The quadratic model's error shrinks ~8x when the displacement halves.
    x = np.array([-0.5, 0.8])
    g, H = rosen_der(x), rosen_hess(x)
    d = np.array([0.03, -0.02])
    errs = [abs(rosen(x + t * d) - (rosen(x) + t * g @ d + 0.5 * t * t * d @ H @ d)) for t in (1.0, 0.5, 0.25)]
    assert 6 < errs[0] / errs[1] < 10 and 6 < errs[1] / errs[2] < 10


def check_second_derivative_test():
    assert classify_critical_point(np.diag([2.0, 3.0])) == "minimum"
    assert classify_critical_point(np.diag([2.0, -2.0])) == "saddle"
    assert classify_critical_point(-np.eye(3)) == "maximum"
    assert classify_critical_point(np.diag([1.0, 0.0])) == "degenerate"  # x^2 + y^4 and x^2 - y^4 look alike
    assert classify_critical_point(rosen_hess(np.ones(2))) == "minimum"


def check_power_iteration_finds_sharpness():
    H = rosen_hess(np.ones(2))
    lam, v = top_eigenvalue(lambda u: hvp(rosen_der, np.ones(2), u), 2)
    assert_close(lam, np.linalg.eigvalsh(H)[-1], rtol=1e-6, what="lambda_max")
    assert_close(np.abs(v), np.abs(np.linalg.eigh(H)[1][:, -1]), rtol=1e-5, what="eigenvector")


def check_extreme_logits_give_finite_vanishing_curvature():
    # Very confident predictions: p(1-p) underflows gracefully to 0 and the loss surface is flat there.
    X, y = _data()
    w = 1e4 * np.array([1.5, -1.0, 0.5])
    H = logistic_hessian(w, X)
    assert np.all(np.isfinite(H)) and np.isfinite(logistic_loss(w, X, y))
    assert np.linalg.eigvalsh(H)[-1] < 1e-6 * np.linalg.eigvalsh(logistic_hessian(np.zeros(3), X))[-1]


def plot_quadratic_forms():
    """Figure: contours of 0.5 d^T H d for three Hessians, with their eigenvectors (needs matplotlib)."""
    import matplotlib.pyplot as plt

    R = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]])  # rotate so axes are not trivial
    cases = [
        ("minimum: eigenvalues 1 and 4", R @ np.diag([1.0, 4.0]) @ R.T),
        ("saddle: eigenvalues 1 and -2", R @ np.diag([1.0, -2.0]) @ R.T),
        ("degenerate: eigenvalues 1 and 0", R @ np.diag([1.0, 0.0]) @ R.T),
    ]
    u, v = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-2, 2, 200))
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    for ax, (title, H) in zip(axes, cases):
        q = 0.5 * (H[0, 0] * u * u + 2 * H[0, 1] * u * v + H[1, 1] * v * v)
        cs = ax.contourf(u, v, q, levels=20, cmap="RdBu_r")
        ax.contour(u, v, q, levels=[0.0], colors="black", linewidths=0.8)
        lam, Q = np.linalg.eigh(H)
        for k in range(2):
            ax.annotate("", xy=1.5 * Q[:, k], xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=2, color="black"))
            ax.text(*(1.6 * Q[:, k]), f"{lam[k]:g}", fontsize=10)
        ax.set_aspect("equal")
        ax.set_title(title, fontsize=10)
        fig.colorbar(cs, ax=ax, shrink=0.7)
    fig.set_label(
        "Three panels of the quadratic model around a critical point, coloured from low (blue) to high "
        "(red), with arrows along the Hessian's eigenvectors labelled by their eigenvalues: a bowl "
        "rising in every direction (minimum); a saddle rising along one eigenvector and falling along "
        "the other; a trough that is flat along the eigenvector with eigenvalue 0"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.ones(2)
    H = rosen_hess(x)
    lam = np.linalg.eigvalsh(H)
    print("Rosenbrock at its minimum (1, 1): Hessian")
    print(H)
    print(f"eigenvalues {lam}, condition number {lam[-1] / lam[0]:.0f}: {classify_critical_point(H)}")
    lam_pi, _ = top_eigenvalue(lambda u: hvp(rosen_der, x, u), 2)
    print(f"power iteration on Hessian-vector products: lambda_max = {lam_pi:.2f}; GD stable for lr < {2 / lam_pi:.5f}")
    print("saddle f = x^2 - y^2 at 0:", classify_critical_point(np.diag([2.0, -2.0])))
    X, y = _data()
    for w in (np.zeros(3), np.array([1.5, -1.0, 0.5]), 1e4 * np.array([1.5, -1.0, 0.5])):
        print(f"logistic regression, |w| = {np.linalg.norm(w):8.2f}: Hessian eigenvalues {np.linalg.eigvalsh(logistic_hessian(w, X))}")
    plot_quadratic_forms()
