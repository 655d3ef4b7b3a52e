r"""Line search: choose how far to move along a descent direction p.

Along the ray $x + \alpha p$ the objective is the one-variable function
$\phi(\alpha) = f(x + \alpha p)$, with $\phi'(\alpha) = \nabla f(x + \alpha p)^\top p$ and
$\phi'(0) < 0$. The conditions used in practice, with $0 < c_1 < c_2 < 1$:

* Armijo (sufficient decrease): $\phi(\alpha) \le \phi(0) + c_1 \alpha \phi'(0)$ -- rules out steps that are too long;
* strong Wolfe curvature: $|\phi'(\alpha)| \le c_2 |\phi'(0)|$ -- rules out steps that are too short.

``backtracking`` tries $\alpha_0, \rho\alpha_0, \rho^2\alpha_0, \dots$ until Armijo holds.
``strong_wolfe`` is Nocedal & Wright's Algorithms 3.5 and 3.6 (bracketing, then "zoom"),
the same conditions and defaults (``c1=1e-4, c2=0.9``) as
``scipy.optimize.line_search(f, myfprime, xk, pk)``, which returns ``alpha`` (or ``None``
when it fails) plus evaluation counts; here failure raises ``ValueError`` instead, and the
zoom phase interpolates quadratically where SciPy uses cubic interpolation.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.newtons_method import rosen, rosen_der


def backtracking(f, x, p, g, alpha0=1.0, rho=0.5, c1=1e-4, max_iter=60):
    """Backtracking (Armijo) line search.

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    x, p, g : ndarray of shape (D,)
        Point, direction and gradient at ``x``; ``g @ p`` must be negative.
    alpha0 : float
        First trial step (1 for Newton and quasi-Newton directions).
    rho : float
        Shrink factor in (0, 1).
    c1 : float
        Sufficient-decrease constant.

    Returns
    -------
    alpha : float
    tried : list of float
        Every step length evaluated, in order (the last one is ``alpha``).
    """
    slope = float(g @ p)
    if not slope < 0:
        raise ValueError("p is not a descent direction (g @ p >= 0)")
    fx, alpha, tried = f(x), alpha0, []
    for _ in range(max_iter):
        tried.append(alpha)
        if f(x + alpha * p) <= fx + c1 * alpha * slope:
            return alpha, tried
        alpha *= rho
    raise ValueError("no sufficient decrease found: is the gradient correct?")


def strong_wolfe(f, grad, x, p, c1=1e-4, c2=0.9, alpha1=1.0, alpha_max=1e3, max_iter=50):
    """Line search for the strong Wolfe conditions (Nocedal & Wright, Algorithms 3.5 and 3.6).

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    grad : callable
        ndarray of shape (D,) -> ndarray of shape (D,).
    x, p : ndarray of shape (D,)
        Point and descent direction.
    c1, c2 : float
        ``0 < c1 < c2 < 1``; SciPy's defaults 1e-4 and 0.9 (use ``c2=0.1`` for nonlinear conjugate gradients).
    alpha1 : float
        First trial step.
    alpha_max : float
        Largest step allowed; reaching it means f is probably unbounded below along p.

    Returns
    -------
    alpha : float
    n_evals : int
        Number of (f, grad) evaluations.
    """
    phi0, dphi0 = f(x), float(grad(x) @ p)
    if not dphi0 < 0:
        raise ValueError("p is not a descent direction (grad @ p >= 0)")
    n = 0

    def phi(a):
        nonlocal n
        n += 1
        return f(x + a * p), float(grad(x + a * p) @ p)

    def zoom(lo, hi, phi_lo, dphi_lo, phi_hi):
        for _ in range(max_iter):
            # Minimiser of the quadratic through phi(lo), phi'(lo), phi(hi), safeguarded towards the middle.
            d = hi - lo
            denom = 2.0 * (phi_hi - phi_lo - dphi_lo * d)
            a = lo - dphi_lo * d * d / denom if denom > 0 else lo + 0.5 * d
            if not min(lo, hi) + 0.1 * abs(d) <= a <= max(lo, hi) - 0.1 * abs(d):
                a = lo + 0.5 * d
            phi_a, dphi_a = phi(a)
            if phi_a > phi0 + c1 * a * dphi0 or phi_a >= phi_lo:
                hi, phi_hi = a, phi_a
            else:
                if abs(dphi_a) <= -c2 * dphi0:
                    return a
                if dphi_a * (hi - lo) >= 0:
                    hi, phi_hi = lo, phi_lo
                lo, phi_lo, dphi_lo = a, phi_a, dphi_a
        raise ValueError("zoom did not converge")

    a_prev, phi_prev, dphi_prev, a = 0.0, phi0, dphi0, alpha1
    for i in range(max_iter):
        phi_a, dphi_a = phi(a)
        if phi_a > phi0 + c1 * a * dphi0 or (i > 0 and phi_a >= phi_prev):
            return zoom(a_prev, a, phi_prev, dphi_prev, phi_a), n
        if abs(dphi_a) <= -c2 * dphi0:
            return a, n
        if dphi_a >= 0:
            return zoom(a, a_prev, phi_a, dphi_a, phi_prev), n
        if a >= alpha_max:
            raise ValueError("reached alpha_max: f seems unbounded below along p")
        a_prev, phi_prev, dphi_prev, a = a, phi_a, dphi_a, min(2.0 * a, alpha_max)
    raise ValueError("strong Wolfe line search did not converge")


def exact_step_quadratic(A, g, p):
    r"""Exact minimiser of $\phi(\alpha)$ for $f(x) = \tfrac12 x^\top A x - b^\top x$: $\alpha^* = -g^\top p / p^\top A p$.

    Parameters
    ----------
    A : ndarray of shape (D, D)
        Symmetric positive definite.
    g, p : ndarray of shape (D,)
        Gradient at the current point and the direction.

    Returns
    -------
    alpha : float
    """
    return float(-(g @ p) / (p @ A @ p))


def steepest_descent_exact(A, b, x0, steps):
    """Steepest descent with exact line searches on a quadratic (the textbook zig-zag).

    Parameters
    ----------
    A : ndarray of shape (D, D)
    b, x0 : ndarray of shape (D,)
    steps : int

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    path = [np.asarray(x0, dtype=np.float64)]
    for _ in range(steps):
        g = A @ path[-1] - b
        if not np.any(g):
            break
        path.append(path[-1] - exact_step_quadratic(A, g, -g) * g)
    return np.array(path)


def _demo_line():
    # The steepest-descent direction (unit length) at the classic start of the Rosenbrock function.
    x = np.array([-1.2, 1.0])
    g = rosen_der(x)
    return x, -g / np.linalg.norm(g), g


# ---------------------------------------------------------------- checks


def check_phi_derivative_is_directional_derivative():
    # phi'(alpha) = grad(x + alpha p) . p, checked against a centred difference in alpha.
    x, p, _ = _demo_line()
    for a in (0.0, 0.1, 0.3):
        num = numerical_gradient(lambda t: rosen(x + t[0] * p), np.array([a]))
        assert_gradient_close(np.array([rosen_der(x + a * p) @ p]), num, tol=1e-7, what="phi'")


def check_backtracking_satisfies_armijo():
    x, p, g = _demo_line()
    alpha, tried = backtracking(rosen, x, p, g)
    assert tried == [1.0, 0.5, 0.25] and alpha == 0.25
    assert rosen(x + alpha * p) <= rosen(x) + 1e-4 * alpha * (g @ p)
    # ... and that the previous trial did not (backtracking returns the first acceptable step).
    assert rosen(x + 0.5 * p) > rosen(x) + 1e-4 * 0.5 * (g @ p)


def check_strong_wolfe_conditions_hold():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.normal(size=4)
        g = rosen_der(x)
        p = -g / np.linalg.norm(g) * rng.uniform(0.01, 2.0)
        for c2 in (0.9, 0.1):
            a, _ = strong_wolfe(rosen, rosen_der, x, p, c2=c2)
            assert rosen(x + a * p) <= rosen(x) + 1e-4 * a * (g @ p)
            assert abs(rosen_der(x + a * p) @ p) <= c2 * abs(g @ p)


def check_exact_step_zeroes_the_directional_derivative():
    rng = np.random.default_rng(1)
    M = rng.normal(size=(4, 4))
    A, b, x = M @ M.T + np.eye(4), rng.normal(size=4), rng.normal(size=4)
    g = A @ x - b
    p = -g + 0.3 * rng.normal(size=4)
    a = exact_step_quadratic(A, g, p)
    assert abs((A @ (x + a * p) - b) @ p) < 1e-12
    # A strong Wolfe search with a small c2 lands close to it.
    aw, _ = strong_wolfe(lambda z: 0.5 * z @ A @ z - b @ z, lambda z: A @ z - b, x, p, c2=0.01)
    assert abs(aw - a) < 0.05 * a


def check_exact_steepest_descent_zigzags_at_the_worst_case_rate():
    # Successive steps are orthogonal, and from x0 = (10, 1) on diag(1, 10) the error in f shrinks by
    # exactly ((kappa - 1) / (kappa + 1))^2 = (9/11)^2 per step: the classical worst-case bound.
    A = np.diag([1.0, 10.0])
    path = steepest_descent_exact(A, np.zeros(2), np.array([10.0, 1.0]), 10)
    steps = np.diff(path, axis=0)
    assert np.all(np.abs(np.sum(steps[1:] * steps[:-1], axis=1)) < 1e-9 * np.sum(steps[1:] ** 2, axis=1) ** 0.5)
    f = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
    assert_close(f[1:] / f[:-1], np.full(10, (9 / 11) ** 2), rtol=1e-9, what="rate")


def check_failures_raise():
    x, p, g = _demo_line()
    for call in (lambda: backtracking(rosen, x, -p, g), lambda: strong_wolfe(rosen, rosen_der, x, -p)):
        try:
            call()
        except ValueError:
            pass
        else:
            raise AssertionError("an ascent direction must raise")
    try:  # f(x) = -x0 is unbounded below along p = (1, 0)
        strong_wolfe(lambda z: -z[0], lambda z: np.array([-1.0, 0.0]), np.zeros(2), np.array([1.0, 0.0]))
    except ValueError:
        pass
    else:
        raise AssertionError("an unbounded function must raise")


def acceptable_intervals(alphas, mask):
    """Maximal runs of True in ``mask`` as (start, end) pairs of ``alphas`` (arrays of shape (K,))."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(alphas[s]), float(alphas[e])) for s, e in zip(starts, ends)]


def plot_line_search(x, p, g, tried, alpha_wolfe):
    """Figure: phi(alpha) with the Armijo line and acceptable steps; exact-line-search zig-zag (needs matplotlib)."""
    import matplotlib.pyplot as plt

    a = np.linspace(0, 1.05, 600)
    phi = np.array([rosen(x + t * p) for t in a])
    dphi = np.array([rosen_der(x + t * p) @ p for t in a])
    armijo = phi <= phi[0] + 1e-4 * a * (g @ p)
    wolfe = armijo & (np.abs(dphi) <= 0.9 * abs(g @ p))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    ax1.plot(a, phi, color="black", label="phi(alpha) = f(x + alpha p)")
    ax1.plot(a, phi[0] + 1e-4 * a * (g @ p), "--", color="gray", label="Armijo line, c1 = 1e-4")
    ax1.plot(a, phi[0] + a * (g @ p), ":", color="gray", label="tangent phi(0) + alpha phi'(0)")
    for lo, hi in acceptable_intervals(a, wolfe):
        ax1.axvspan(lo, hi, color="green", alpha=0.15, label="strong Wolfe acceptable (c2 = 0.9)")
    ax1.plot(tried, [rosen(x + t * p) for t in tried], "o", color="crimson", label="backtracking trials 1, 1/2, 1/4")
    ax1.plot([alpha_wolfe], [rosen(x + alpha_wolfe * p)], "s", color="navy", label="strong Wolfe search result")
    ax1.set_ylim(0, 2 * phi[0])
    ax1.set_xlabel("alpha")
    ax1.legend(fontsize=7)
    ax1.set_title("Rosenbrock from (-1.2, 1) along -grad/|grad|", fontsize=9)
    A = np.diag([1.0, 10.0])
    path = steepest_descent_exact(A, np.zeros(2), np.array([10.0, 1.0]), 12)
    u, v = np.meshgrid(np.linspace(-2, 11, 200), np.linspace(-2.5, 2.5, 200))
    ax2.contour(u, v, 0.5 * (u**2 + 10 * v**2), levels=15, linewidths=0.6, cmap="viridis")
    ax2.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=3)
    ax2.set_aspect("equal")
    ax2.set_title("steepest descent with exact line search: right-angle zig-zag", fontsize=9)
    fig.set_label(
        "Left: the loss along a search direction, dipping to a minimum near alpha = 0.18 and rising "
        "again; the Armijo line rules out long steps, the curvature condition rules out very short "
        "ones, leaving a shaded band of acceptable steps; backtracking tries 1 and 1/2 (too long) and "
        "accepts 1/4. Right: on an elongated quadratic, steepest descent with exact line searches "
        "zig-zags with every step at a right angle to the previous one"
    )
    return fig


if __name__ == "__main__":
    x, p, g = _demo_line()
    print(f"Rosenbrock at x = {x}, p = -grad/|grad|: phi(0) = {rosen(x):.3f}, phi'(0) = {g @ p:.2f}")
    a = np.linspace(0, 1.05, 2101)
    phi = np.array([rosen(x + t * p) for t in a])
    dphi = np.array([rosen_der(x + t * p) @ p for t in a])
    armijo = phi <= phi[0] + 1e-4 * a * (g @ p)
    print("  Armijo holds for alpha in", [(round(lo, 3), round(hi, 3)) for lo, hi in acceptable_intervals(a, armijo)])
    wolfe = armijo & (np.abs(dphi) <= 0.9 * abs(g @ p))
    print("  strong Wolfe (c2=0.9) for ", [(round(lo, 3), round(hi, 3)) for lo, hi in acceptable_intervals(a, wolfe)])
    print(f"  exact minimiser along the line: alpha = {a[np.argmin(phi)]:.3f}, phi = {phi.min():.3f}")
    alpha, tried = backtracking(rosen, x, p, g)
    print(f"  backtracking tries {tried} -> alpha = {alpha}, phi = {rosen(x + alpha * p):.3f}")
    aw, n = strong_wolfe(rosen, rosen_der, x, p)
    print(f"  strong Wolfe search: alpha = {aw:.4f} after {n} evaluations, phi = {rosen(x + aw * p):.3f}")
    A = np.diag([1.0, 10.0])
    path = steepest_descent_exact(A, np.zeros(2), np.array([10.0, 1.0]), 4)
    f = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
    print("steepest descent with exact steps on (x0^2 + 10 x1^2)/2 from (10, 1):")
    print("  iterates:", [f"({u:.3f}, {v:.3f})" for u, v in path])
    print(f"  f ratio per step: {f[1] / f[0]:.4f} = ((10 - 1)/(10 + 1))^2 = {(9 / 11) ** 2:.4f}")
    plot_line_search(x, p, g, tried, aw)
