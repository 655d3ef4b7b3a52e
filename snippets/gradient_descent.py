r"""Gradient descent on a quadratic, where everything it does can be predicted exactly.

For $f(x) = \tfrac12 x^\top A x - b^\top x$ with $A$ symmetric positive definite, the
gradient is $Ax - b$, the minimiser is $x^* = A^{-1} b$, and one step with learning
rate $\eta$ maps the error $e = x - x^*$ to $(I - \eta A)\,e$. Along the eigenvector of
eigenvalue $\lambda_i$ the error is multiplied by $1 - \eta\lambda_i$ at every step, so
the iteration converges exactly when $0 < \eta < 2 / \lambda_{\max}$.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def gradient_descent(grad, x0, lr, steps):
    """Run ``steps`` iterations of ``x[k+1] = x[k] - lr * grad(x[k])``.

    This is full-batch gradient descent with a constant learning rate: the update
    of ``torch.optim.SGD(params, lr)`` with no momentum and no weight decay, applied
    to the exact gradient.

    Parameters
    ----------
    grad : callable
        Maps an array of shape (D,) to the gradient, an array of shape (D,).
    x0 : ndarray of shape (D,)
        Starting point (any shape works; ``grad`` must return the same shape).
        It is not modified.
    lr : float
        Learning rate (step size).
    steps : int
        Number of updates.

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
        ``trajectory[0]`` is ``x0`` and ``trajectory[k]`` the point after ``k`` steps.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    trajectory = np.empty((steps + 1, *x0.shape))
    trajectory[0] = x0
    for k in range(steps):
        trajectory[k + 1] = trajectory[k] - lr * grad(trajectory[k])
    return trajectory


def quadratic(x, A, b):
    r"""$f(x) = \tfrac12 x^\top A x - b^\top x$.

    Parameters
    ----------
    x : ndarray of shape (D,)
    A : ndarray of shape (D, D)
        Symmetric positive definite.
    b : ndarray of shape (D,)

    Returns
    -------
    value : float
    """
    return 0.5 * x @ A @ x - b @ x


def quadratic_grad(x, A, b):
    r"""Gradient of :func:`quadratic`, $\nabla f(x) = A x - b$ (for symmetric $A$).

    Parameters
    ----------
    x : ndarray of shape (D,)
    A : ndarray of shape (D, D)
    b : ndarray of shape (D,)

    Returns
    -------
    grad : ndarray of shape (D,)
    """
    return A @ x - b


def contraction_factor(A, lr):
    r"""Worst-case factor by which one step shrinks the error, $\max_i |1 - \eta\lambda_i|$.

    Parameters
    ----------
    A : ndarray of shape (D, D)
        Symmetric.
    lr : float

    Returns
    -------
    rho : float
        Below 1 the iteration converges; above 1 it diverges (from almost every start).
    """
    return float(np.max(np.abs(1.0 - lr * np.linalg.eigvalsh(A))))


def _ill_conditioned_problem():
    # A = Q diag(1, 10) Q^T: eigenvalue 1 along (1, -1), 10 along (1, 1). The condition
    # number is 10 and lr must stay below 2 / 10 = 0.2. (Here A = [[5.5, 4.5], [4.5, 5.5]].)
    Q = np.array([[1.0, 1.0], [-1.0, 1.0]]) / np.sqrt(2.0)
    A = Q @ np.diag([1.0, 10.0]) @ Q.T
    b = np.array([1.0, 0.0])
    x0 = np.array([2.0, -1.0])  # the error x0 - x* has a component along both eigenvectors
    return A, b, x0, Q


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    The demo's ill-conditioned quadratic with a converging and a diverging rate (above
    2 / lambda_max), a random 5-dimensional one, a singular A (a flat direction), one dimension,
    and zero steps.

    Returns
    -------
    list of dict
        Each with A (D, D) symmetric, b (D,), x0 (D,), lr (float) and steps (int).
    """
    rng = np.random.default_rng(18)
    A, b, x0, _ = _ill_conditioned_problem()
    M = rng.normal(size=(5, 5))
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    return [
        {"A": A, "b": b, "x0": x0, "lr": 0.17, "steps": 12},
        {"A": A, "b": b, "x0": x0, "lr": 0.205, "steps": 40},
        {"A": M @ M.T / 5 + 0.1 * np.eye(5), "b": rng.normal(size=5), "x0": rng.normal(size=5), "lr": 0.1, "steps": 60},
        {"A": Q @ np.diag([0.0, 1.0, 4.0]) @ Q.T, "b": np.zeros(3), "x0": rng.normal(size=3), "lr": 0.3, "steps": 25},
        {"A": np.array([[3.0]]), "b": np.array([1.5]), "x0": np.array([-2.0]), "lr": 0.5, "steps": 5},
        {"A": A, "b": b, "x0": x0, "lr": 0.1, "steps": 0},
    ]


def gd_on_quadratic(A, b, x0, lr, steps):
    """:func:`gradient_descent` on :func:`quadratic`: the trajectory from ``x0``.

    Parameters
    ----------
    A : ndarray of shape (D, D)
        Symmetric.
    b : ndarray of shape (D,)
    x0 : ndarray of shape (D,)
    lr : float
    steps : int

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    return gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps)


# ----------------------------------------------------------------------------- checks


def check_quadratic_grad_matches_numerical_gradient():
    """The analytic gradient A x - b agrees with a centred difference (rel. error < 1e-8)."""
    rng = np.random.default_rng(0)
    M = rng.normal(size=(4, 4))
    A, b, x = M @ M.T + np.eye(4), rng.normal(size=4), rng.normal(size=4)
    numeric = numerical_gradient(lambda z: quadratic(z, A, b), x)
    assert_gradient_close(quadratic_grad(x, A, b), numeric, tol=1e-8)


def check_trajectory_shape_and_start():
    """Shape (steps + 1, *x0.shape), first row x0, x0 untouched, update rule as documented."""
    A, b, x0, _ = _ill_conditioned_problem()
    x0_copy = x0.copy()
    traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr=0.1, steps=7)
    assert traj.shape == (8, 2)
    assert np.array_equal(traj[0], x0) and np.array_equal(x0, x0_copy)
    assert_close(traj[1], x0 - 0.1 * (A @ x0 - b), rtol=1e-15, what="first step")
    matrix_start = np.ones((2, 3))
    assert gradient_descent(lambda x: 2 * x, matrix_start, 0.1, 4).shape == (5, 2, 3)
    assert gradient_descent(lambda x: 2 * x, x0, 0.1, 0).shape == (1, 2)


def check_converges_to_closed_form_minimiser():
    """Below lr = 2 / lambda_max the iterates reach A^{-1} b (error shrinks by <= rho per step)."""
    A, b, x0, _ = _ill_conditioned_problem()
    x_star = np.linalg.solve(A, b)
    for lr in (0.05, 2 / 11, 0.19):
        traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps=400)
        assert_close(traj[-1], x_star, rtol=0.0, atol=1e-8, what=f"lr={lr}")
        assert quadratic(traj[-1], A, b) <= quadratic(x0, A, b)


def check_diverges_above_two_over_lambda_max():
    """Above lr = 2 / lambda_max the error grows geometrically, and f increases."""
    A, b, x0, _ = _ill_conditioned_problem()
    x_star = np.linalg.solve(A, b)
    lr = 0.21  # 1 - 0.21 * 10 = -1.1: the error along the top eigenvector flips sign and grows
    traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps=100)
    errors = np.linalg.norm(traj - x_star, axis=1)
    assert errors[-1] > 1e3 * errors[0]
    assert quadratic(traj[-1], A, b) > quadratic(x0, A, b)
    assert contraction_factor(A, lr) > 1.0 > contraction_factor(A, 0.19)


def check_error_contracts_by_one_minus_lr_lambda():
    """In the eigenbasis of A each error component is multiplied by exactly 1 - lr * lambda_i,
    so the per-step factor of the error norm tends to max_i |1 - lr * lambda_i| (also above 1)."""
    A, b, x0, _ = _ill_conditioned_problem()
    x_star = np.linalg.solve(A, b)
    eigvals, Q = np.linalg.eigh(A)
    steps = 100  # enough for the slower component to dominate, few enough to stay above rounding
    for lr in (0.05, 0.15, 0.195, 0.21):
        traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps)
        coords = (traj - x_star) @ Q  # error components along each eigenvector
        predicted = coords[0] * (1.0 - lr * eigvals) ** np.arange(steps + 1)[:, None]
        # Rounding errors are relative to the largest iterate (it grows when lr is too large).
        atol = 1e-12 * np.max(np.abs(coords))
        assert_close(coords, predicted, rtol=1e-9, atol=atol, what=f"closed form, lr={lr}")
        errors = np.linalg.norm(traj - x_star, axis=1)
        rate = errors[steps] / errors[steps - 1]
        assert_close(rate, contraction_factor(A, lr), rtol=1e-6, what=f"rate, lr={lr}")


def plot_paths(A, b, x0, learning_rates=(0.17, 0.205), steps=12):
    """Figure for the page: gradient-descent paths on the contours of f (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x_star = np.linalg.solve(A, b)
    fig, axes = plt.subplots(1, len(learning_rates), figsize=(9, 3.8))
    for ax, lr in zip(np.atleast_1d(axes), learning_rates):
        traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps)
        span = np.abs(traj - x_star).max() * 1.15 + 1e-9
        g1, g2 = np.meshgrid(np.linspace(x_star[0] - span, x_star[0] + span, 200), np.linspace(x_star[1] - span, x_star[1] + span, 200))
        grid = np.stack([g1, g2], axis=-1)
        f = 0.5 * np.einsum("...i,ij,...j->...", grid, A, grid) - grid @ b
        ax.contour(g1, g2, f, levels=20, linewidths=0.6, cmap="viridis")
        ax.plot(traj[:, 0], traj[:, 1], "o-", color="crimson", markersize=3, linewidth=1)
        ax.plot(*x_star, "k*", markersize=10)
        verdict = "converges" if contraction_factor(A, lr) < 1 else "diverges"
        ax.set_title(f"lr = {lr} ({verdict})")
        ax.set_aspect("equal")
    fig.set_label(
        "Gradient-descent paths on the contours of an ill-conditioned quadratic: with lr below "
        "2/lambda_max the path zig-zags into the minimum (star); just above it, it zig-zags outwards"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    A, b, x0, Q = _ill_conditioned_problem()
    x_star = np.linalg.solve(A, b)
    lam = np.array([1.0, 10.0])  # eigenvalues of A, for the columns of Q
    print(f"f(x) = x'Ax/2 - b'x, eigenvalues of A: {lam}, minimiser A^-1 b = {x_star}")
    print(f"stable iff lr < 2/lambda_max = {2 / lam[-1]:.3f}; best lr = 2/(min+max) = {2 / lam.sum():.4f}")
    for lr in (0.02, 0.10, 2 / 11, 0.19, 0.21):
        traj = gradient_descent(lambda x: quadratic_grad(x, A, b), x0, lr, steps=50)
        err = np.linalg.norm(traj[-1] - x_star)
        print(f"lr={lr:.4f}  rho=max|1-lr*lambda|={contraction_factor(A, lr):.4f}  |x_50 - x*| = {err:.3e}")
    coords = (gradient_descent(lambda x: quadratic_grad(x, A, b), x0, 0.21, steps=6) - x_star) @ Q
    print("lr=0.21: error along the steep direction   (x -1.1 per step):", coords[:, 1])
    print("         error along the shallow direction (x 0.79 per step):", coords[:, 0])

    plot_paths(A, b, x0)
