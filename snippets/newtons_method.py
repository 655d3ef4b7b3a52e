r"""Newton's method for minimisation: step to the minimum of the local quadratic model.

At $x$ the second-order Taylor model $f(x) + g^\top p + \tfrac12 p^\top H p$ is minimised by
the Newton step $p = -H^{-1} g$, computed by solving $H p = -g$ (never by forming
$H^{-1}$). Near a minimum with positive definite Hessian the error is squared at every
step (quadratic convergence); far from it the pure step can go uphill, towards a saddle
or a maximum, or out of the domain, so practical versions add a line search and make
the Hessian positive definite first.

``newton_minimize`` is a line-search Newton method with the Hessian modification
"Cholesky with added multiple of the identity" (Nocedal & Wright, Algorithm 3.3) and
Armijo backtracking. SciPy's nearest relative is
``scipy.optimize.minimize(f, x0, jac=grad, hess=hess, method='Newton-CG')``, which solves
the Newton system inexactly by conjugate gradients and stops them at negative curvature.
``rosen``, ``rosen_der`` and ``rosen_hess`` mirror ``scipy.optimize.rosen``,
``rosen_der`` and ``rosen_hess``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def rosen(x):
    """Rosenbrock function ``sum(100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2)``, like ``scipy.optimize.rosen``.

    Parameters
    ----------
    x : ndarray of shape (D,)

    Returns
    -------
    value : float
        0 at the minimiser ``x = (1, ..., 1)``.
    """
    x = np.asarray(x, dtype=np.float64)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def rosen_der(x):
    """Gradient of :func:`rosen`, like ``scipy.optimize.rosen_der``.

    Parameters
    ----------
    x : ndarray of shape (D,)

    Returns
    -------
    grad : ndarray of shape (D,)
    """
    x = np.asarray(x, dtype=np.float64)
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * r - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * r
    return g


def rosen_hess(x):
    """Hessian of :func:`rosen`, like ``scipy.optimize.rosen_hess``.

    Parameters
    ----------
    x : ndarray of shape (D,)

    Returns
    -------
    H : ndarray of shape (D, D)
        Symmetric, tridiagonal.
    """
    x = np.asarray(x, dtype=np.float64)
    d = x.size
    H = np.zeros((d, d))
    i = np.arange(d - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def newton_direction(g, H, beta=1e-3):
    """Newton direction from a Hessian made positive definite if necessary.

    Solves ``(H + tau I) p = -g`` with the smallest ``tau`` in ``0, beta, 2 beta, 4 beta, ...``
    (after a first guess from the smallest diagonal entry) for which the Cholesky
    factorisation succeeds (Nocedal & Wright, Algorithm 3.3). With ``tau = 0`` this is
    the pure Newton step ``-H^{-1} g``, as ``torch.linalg.solve(H, -g)`` would give.

    Parameters
    ----------
    g : ndarray of shape (D,)
        Gradient.
    H : ndarray of shape (D, D)
        Symmetric Hessian.
    beta : float
        Smallest non-zero shift tried.

    Returns
    -------
    p : ndarray of shape (D,)
        A descent direction: ``g @ p < 0`` whenever ``g`` is non-zero.
    tau : float
        The shift used (0 when ``H`` was already positive definite).
    """
    d = g.size
    min_diag = float(np.min(np.diag(H)))
    tau = 0.0 if min_diag > 0 else beta - min_diag
    for _ in range(200):
        try:
            L = np.linalg.cholesky(H + tau * np.eye(d))
        except np.linalg.LinAlgError:
            tau = max(2.0 * tau, beta)
            continue
        p = -np.linalg.solve(L.T, np.linalg.solve(L, g))
        return p, tau
    raise ValueError("could not make the Hessian positive definite (non-finite entries?)")


def newton_minimize(f, grad, hess, x0, tol=1e-10, max_iter=100, line_search=True):
    """Minimise ``f`` by Newton's method with Hessian modification and Armijo backtracking.

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    grad : callable
        ndarray of shape (D,) -> ndarray of shape (D,).
    hess : callable
        ndarray of shape (D,) -> ndarray of shape (D, D).
    x0 : ndarray of shape (D,)
    tol : float
        Stop when ``||grad|| <= tol``.
    max_iter : int
    line_search : bool
        If False, take the pure step ``x - H^{-1} g`` (no modification, no backtracking).

    Returns
    -------
    trajectory : ndarray of shape (K + 1, D)
        Iterates, ``trajectory[0] = x0``.
    steps : ndarray of shape (K,)
        Step length alpha accepted at each iteration (1 is the full Newton step).
    """
    x = np.asarray(x0, dtype=np.float64)
    path, alphas = [x], []
    for _ in range(max_iter):
        g = grad(x)
        if not np.all(np.isfinite(g)):
            raise ValueError(f"non-finite gradient at x = {x}")
        if np.linalg.norm(g) <= tol:
            break
        H = hess(x)
        if line_search:
            p, _ = newton_direction(g, H)
            alpha, fx = 1.0, f(x)
            while f(x + alpha * p) > fx + 1e-4 * alpha * (g @ p):  # Armijo condition, c1 = 1e-4
                alpha *= 0.5
                if alpha < 1e-16:
                    raise ValueError("line search failed: no decrease along the Newton direction")
        else:
            p, alpha = np.linalg.solve(H, -g), 1.0
        x = x + alpha * p
        path.append(x)
        alphas.append(alpha)
    return np.array(path), np.array(alphas)


def gradient_descent_backtracking(f, grad, x0, tol=1e-6, max_iter=1000):
    """Gradient descent with the same Armijo backtracking, for comparison.

    Parameters
    ----------
    f, grad : callable
    x0 : ndarray of shape (D,)

    Returns
    -------
    trajectory : ndarray of shape (K + 1, D)
    """
    x, path = np.asarray(x0, dtype=np.float64), []
    path.append(x)
    for _ in range(max_iter):
        g = grad(x)
        if np.linalg.norm(g) <= tol:
            break
        alpha, fx = 1.0, f(x)
        while f(x - alpha * g) > fx - 1e-4 * alpha * (g @ g):
            alpha *= 0.5
        x = x - alpha * g
        path.append(x)
    return np.array(path)


# A 1-D example where everything is exact: f(x) = x - ln x on x > 0, minimum at x = 1.
# f'(x) = 1 - 1/x, f''(x) = 1/x^2, and the Newton step gives x+ = 2x - x^2, so the error
# e = 1 - x satisfies e+ = e^2 exactly: quadratic convergence, for 0 < x0 < 2 only.
def newton_1d_x_minus_log(x0, steps):
    """Pure Newton iterates on ``f(x) = x - ln(x)``.

    Parameters
    ----------
    x0 : float
    steps : int

    Returns
    -------
    xs : ndarray of shape (steps + 1,)
    """
    xs = [float(x0)]
    for _ in range(steps):
        x = xs[-1]
        if x <= 0:
            raise ValueError(f"iterate {x} left the domain x > 0 of ln(x)")
        xs.append(x - (1.0 - 1.0 / x) / (1.0 / x**2))
    return np.array(xs)


# ---------------------------------------------------------------- checks


def check_rosenbrock_derivatives_match_centred_differences():
    x = np.array([-1.2, 1.0, 0.5, 2.0])
    assert_gradient_close(rosen_der(x), numerical_gradient(rosen, x.copy()), tol=1e-7)
    H_num = np.stack([numerical_gradient(lambda z: rosen_der(z)[i], x.copy()) for i in range(4)])
    assert_gradient_close(rosen_hess(x), H_num, tol=1e-7, what="Hessian")
    assert rosen(np.ones(4)) == 0 and np.all(rosen_der(np.ones(4)) == 0)


def check_quadratic_is_solved_in_one_step():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T + 0.1 * np.eye(5), rng.normal(size=5)
    path, alphas = newton_minimize(lambda x: 0.5 * x @ A @ x - b @ x, lambda x: A @ x - b, lambda x: A, rng.normal(size=5))
    assert_close(path[1], np.linalg.solve(A, b), rtol=1e-10, what="one Newton step")
    assert alphas[0] == 1.0 and len(path) == 2


def check_error_is_squared_each_step():
    xs = newton_1d_x_minus_log(0.5, 5)
    e = 1.0 - xs
    assert_close(e[1:], e[:-1] ** 2, rtol=1e-12, what="e_{k+1} = e_k^2")


def check_pure_newton_leaves_the_domain_from_far_away():
    # From x0 = 2.5, x1 = 2*2.5 - 2.5^2 = -1.25 < 0: ln is undefined, and the method says so.
    try:
        newton_1d_x_minus_log(2.5, 3)
    except ValueError:
        pass
    else:
        raise AssertionError("must raise when the iterate leaves x > 0")


def check_affine_invariance():
    # Newton's iterates for f(Ax) are A^{-1} times those for f: a change of coordinates changes nothing.
    A = np.array([[2.0, 1.0], [0.5, 3.0]])
    x0 = np.array([-1.2, 1.0])
    p1, _ = newton_minimize(rosen, rosen_der, rosen_hess, x0, line_search=False, max_iter=5)
    p2, _ = newton_minimize(
        lambda y: rosen(A @ y),
        lambda y: A.T @ rosen_der(A @ y),
        lambda y: A.T @ rosen_hess(A @ y) @ A,
        np.linalg.solve(A, x0),
        line_search=False,
        max_iter=5,
    )
    assert_close(p2 @ A.T, p1, rtol=1e-8, atol=1e-10, what="A y_k = x_k")


def check_pure_newton_is_attracted_to_a_saddle():
    # f(x, y) = x^2 - y^2: the pure Newton step from anywhere lands exactly on the saddle (0, 0),
    # where f is not minimal; the modified Hessian turns the step downhill instead.
    H = np.diag([2.0, -2.0])
    x = np.array([0.3, 0.2])
    g = H @ x
    assert_close(x + np.linalg.solve(H, -g), [0.0, 0.0], rtol=0, atol=1e-15, what="pure step")
    p, tau = newton_direction(g, H)
    assert tau > 2 and g @ p < 0


def check_converges_on_rosenbrock_and_beats_gradient_descent():
    path, alphas = newton_minimize(rosen, rosen_der, rosen_hess, np.array([-1.2, 1.0]))
    assert_close(path[-1], [1.0, 1.0], rtol=1e-9, what="minimiser")
    assert len(path) - 1 < 30 and np.all(alphas[-4:] == 1.0)  # full steps near the end
    # After 1000 iterations (45 times as many) gradient descent is still far less accurate.
    gd = gradient_descent_backtracking(rosen, rosen_der, np.array([-1.2, 1.0]), max_iter=1000)
    assert len(gd) == 1001 and rosen(gd[-1]) > 1e-4 > 1e-20 > rosen(path[-2])


def check_extreme_inputs():
    # A zero gradient stops at once; a singular Hessian is shifted, not inverted.
    path, _ = newton_minimize(rosen, rosen_der, rosen_hess, np.ones(3))
    assert len(path) == 1
    p, tau = newton_direction(np.array([1.0, 0.0]), np.zeros((2, 2)))
    assert tau > 0 and np.all(np.isfinite(p))


def plot_paths(newton, gd):
    """Figure: damped Newton and gradient descent paths, arrays of shape (K, 2), on the Rosenbrock valley."""
    import matplotlib.pyplot as plt

    a, b = np.meshgrid(np.linspace(-1.6, 1.6, 300), np.linspace(-0.6, 1.6, 300))
    z = 100 * (b - a**2) ** 2 + (1 - a) ** 2
    fig, ax = plt.subplots(figsize=(7, 5))
    ax.contour(a, b, z, levels=np.geomspace(0.05, 800, 18), linewidths=0.6, cmap="viridis")
    ax.plot(
        gd[:, 0], gd[:, 1], "-", color="crimson", linewidth=0.8, label=f"gradient descent + backtracking (first {len(gd) - 1} iterations)"
    )
    ax.plot(newton[:, 0], newton[:, 1], "o-", color="navy", markersize=4, label=f"Newton + backtracking ({len(newton) - 1} iterations)")
    ax.plot(1, 1, "k*", markersize=12)
    ax.set_xlabel("x0")
    ax.set_ylabel("x1")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Rosenbrock function from (-1.2, 1)")
    fig.set_label(
        "Contours of the banana-shaped Rosenbrock valley: Newton's method reaches the minimum "
        "at (1, 1) in 22 steps that follow the curve of the valley, while gradient descent "
        "with the same line search takes a thousand small steps and still stops short of it"
    )
    return fig


if __name__ == "__main__":
    print("f(x) = x - ln x, Newton step x <- 2x - x^2; error e = 1 - x:")
    xs = newton_1d_x_minus_log(0.5, 5)
    print("  " + "  ".join(f"{e:.3e}" for e in 1 - xs), " (each is the square of the one before)")
    try:
        newton_1d_x_minus_log(2.5, 3)
    except ValueError as err:
        print("  from x0 = 2.5:", err)
    x0 = np.array([-1.2, 1.0])
    path, alphas = newton_minimize(rosen, rosen_der, rosen_hess, x0)
    print(f"Rosenbrock from {x0}: Newton with backtracking, {len(path) - 1} iterations")
    for k in range(len(path)):
        if k >= len(path) - 6:
            step = f"step {alphas[k - 1]:.3g}" if k else ""
            print(f"  k={k:2d}  f = {rosen(path[k]):.3e}  |grad| = {np.linalg.norm(rosen_der(path[k])):.3e}  {step}")
    gd = gradient_descent_backtracking(rosen, rosen_der, x0, max_iter=1000)
    print(f"gradient descent with the same line search: f = {rosen(gd[22]):.3e} after 22 iterations, {rosen(gd[-1]):.3e} after 1000")
    plot_paths(path, gd)
