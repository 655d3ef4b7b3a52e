r"""L-BFGS: a quasi-Newton method that builds its curvature model from the last m steps.

BFGS keeps an approximation $H_k$ of the *inverse* Hessian and updates it after each step
$s = x_{k+1} - x_k$, $y = \nabla f_{k+1} - \nabla f_k$ so that the secant equation
$H_{k+1} y = s$ holds:
$H_{k+1} = (I - \rho s y^\top) H_k (I - \rho y s^\top) + \rho s s^\top$, $\rho = 1/(y^\top s)$.
L-BFGS never forms $H_k$: it keeps only the last ``m`` pairs $(s, y)$ and computes $H_k g$
with the two-loop recursion in O(mD) time and memory, starting from
$H_k^0 = \gamma I$, $\gamma = s^\top y / y^\top y$ of the newest pair.

Conventions: ``scipy.optimize.minimize(f, x0, jac=grad, method='L-BFGS-B')`` keeps
``maxcor=10`` pairs and uses a line search satisfying the strong Wolfe conditions;
``torch.optim.LBFGS(params, lr=1, max_iter=20, history_size=100, line_search_fn=None)``
is the PyTorch version (its default takes fixed steps of ``lr``; pass
``line_search_fn='strong_wolfe'`` for a line search). Here ``m`` is the memory and the line search is a bisection
search for the weak Wolfe conditions (Lewis & Overton), which guarantees ``s @ y > 0`` so that
every direction is a descent direction; a pair with ``s @ y <= 0`` would be skipped.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.newtons_method import gradient_descent_backtracking, newton_minimize, rosen, rosen_der, rosen_hess


def two_loop_recursion(g, s_list, y_list):
    """Approximate ``H^{-1} g`` from stored pairs, without forming any matrix (Nocedal & Wright, Alg. 7.4).

    Parameters
    ----------
    g : ndarray of shape (D,)
        Current gradient.
    s_list, y_list : list of ndarray of shape (D,)
        The last m steps and gradient differences, oldest first; every ``s @ y`` must be positive.

    Returns
    -------
    r : ndarray of shape (D,)
        ``H_k g``; the search direction is ``-r``. With no pairs stored, ``r = g``.
    """
    q = np.array(g, dtype=np.float64)
    rhos = [1.0 / (y @ s) for s, y in zip(s_list, y_list)]
    alphas = []
    for s, y, rho in reversed(list(zip(s_list, y_list, rhos))):
        a = rho * (s @ q)
        q -= a * y
        alphas.append(a)
    gamma = (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1]) if s_list else 1.0
    r = gamma * q
    for (s, y, rho), a in zip(zip(s_list, y_list, rhos), reversed(alphas)):
        b = rho * (y @ r)
        r += s * (a - b)
    return r


def bfgs_inverse_hessian(s_list, y_list, dim):
    """The matrix that :func:`two_loop_recursion` applies implicitly, built by explicit BFGS updates.

    Parameters
    ----------
    s_list, y_list : list of ndarray of shape (D,)
    dim : int
        D.

    Returns
    -------
    H : ndarray of shape (D, D)
        Symmetric positive definite when every ``s @ y > 0``.
    """
    gamma = (s_list[-1] @ y_list[-1]) / (y_list[-1] @ y_list[-1]) if s_list else 1.0
    H, I = gamma * np.eye(dim), np.eye(dim)
    for s, y in zip(s_list, y_list):
        rho = 1.0 / (y @ s)
        H = (I - rho * np.outer(s, y)) @ H @ (I - rho * np.outer(y, s)) + rho * np.outer(s, s)
    return H


def wolfe_line_search(f, grad, x, p, c1=1e-4, c2=0.9, max_iter=60):
    """Step length satisfying the weak Wolfe conditions, by bisection/doubling (Lewis & Overton).

    Sufficient decrease ``f(x + a p) <= f(x) + c1 a g.p`` and curvature ``grad(x + a p).p >= c2 g.p``.

    Parameters
    ----------
    f, grad : callable
    x, p : ndarray of shape (D,)
        Point and descent direction (``grad(x) @ p < 0``).
    c1, c2 : float
        ``0 < c1 < c2 < 1``; 1e-4 and 0.9 are the usual values for quasi-Newton methods.

    Returns
    -------
    alpha : float
    """
    fx, slope = f(x), grad(x) @ p
    if not slope < 0:
        raise ValueError("p is not a descent direction")
    lo, hi, a = 0.0, np.inf, 1.0
    for _ in range(max_iter):
        if f(x + a * p) > fx + c1 * a * slope:
            hi = a
        elif grad(x + a * p) @ p < c2 * slope:
            lo = a
        else:
            return a
        a = 2.0 * lo if hi == np.inf else 0.5 * (lo + hi)
    raise ValueError("Wolfe line search failed (is f bounded below along p?)")


def lbfgs_minimize(f, grad, x0, m=10, tol=1e-8, max_iter=500):
    """Minimise ``f`` with L-BFGS (memory ``m``) and a weak Wolfe line search.

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    grad : callable
        ndarray of shape (D,) -> ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    m : int
        Number of stored pairs (``maxcor`` in SciPy, ``history_size`` in PyTorch).
    tol : float
        Stop when ``||grad|| <= tol``.
    max_iter : int

    Returns
    -------
    trajectory : ndarray of shape (K + 1, D)
    n_evals : int
        Function plus gradient evaluations used by the line searches.
    """
    x = np.asarray(x0, dtype=np.float64)
    g = grad(x)
    s_list, y_list, path, evals = [], [], [x], 0

    def counted(fn):
        def wrapped(z):
            nonlocal evals
            evals += 1
            return fn(z)

        return wrapped

    fc, gc = counted(f), counted(grad)
    for _ in range(max_iter):
        if not np.all(np.isfinite(g)):
            raise ValueError(f"non-finite gradient at x = {x}")
        if np.linalg.norm(g) <= tol:
            break
        p = -two_loop_recursion(g, s_list, y_list)
        alpha = wolfe_line_search(fc, gc, x, p)
        x_new = x + alpha * p
        g_new = grad(x_new)
        s, y = x_new - x, g_new - g
        if s @ y > 1e-12 * np.linalg.norm(s) * np.linalg.norm(y):  # curvature condition; else skip the pair
            s_list.append(s)
            y_list.append(y)
            if len(s_list) > m:
                s_list.pop(0)
                y_list.pop(0)
        x, g = x_new, g_new
        path.append(x)
    return np.array(path), evals


# ---------------------------------------------------------------- checks


def _random_pairs(rng, dim, k):
    A = rng.normal(size=(dim, dim))
    A = A @ A.T + dim * np.eye(dim)  # y = A s for an SPD A gives s @ y > 0
    s_list = [rng.normal(size=dim) for _ in range(k)]
    return s_list, [A @ s for s in s_list]


def check_two_loop_equals_explicit_bfgs_matrix():
    rng = np.random.default_rng(0)
    s_list, y_list = _random_pairs(rng, 6, 4)
    g = rng.normal(size=6)
    H = bfgs_inverse_hessian(s_list, y_list, 6)
    assert_close(two_loop_recursion(g, s_list, y_list), H @ g, rtol=1e-10, what="two-loop vs matrix")
    assert_close(H, H.T, rtol=1e-12, what="symmetric")
    assert np.min(np.linalg.eigvalsh(H)) > 0, "positive definite"


def check_secant_equation_holds_for_newest_pair():
    rng = np.random.default_rng(1)
    s_list, y_list = _random_pairs(rng, 5, 3)
    assert_close(two_loop_recursion(y_list[-1], s_list, y_list), s_list[-1], rtol=1e-10, what="H y = s")


def check_quadratic_terminates_in_d_steps_and_recovers_inverse_hessian():
    # On a D-dimensional convex quadratic, BFGS (memory >= D) with exact line searches reaches the
    # minimiser in at most D iterations, and the D stored pairs reproduce A^{-1} exactly.
    rng = np.random.default_rng(4)
    M = rng.normal(size=(5, 5))
    A, b = M @ M.T + np.eye(5), rng.normal(size=5)
    x, g, s_list, y_list = np.zeros(5), -b, [], []
    for _ in range(5):
        p = -two_loop_recursion(g, s_list, y_list)
        alpha = -(g @ p) / (p @ A @ p)  # exact minimiser along p
        x_new = x + alpha * p
        g_new = A @ x_new - b
        s_list.append(x_new - x)
        y_list.append(g_new - g)
        x, g = x_new, g_new
    assert np.linalg.norm(g) < 1e-10
    assert_close(bfgs_inverse_hessian(s_list, y_list, 5), np.linalg.inv(A), rtol=1e-8, atol=1e-12, what="H_5 = A^-1")


def check_rosenbrock_gradient_and_convergence():
    x = np.array([-1.2, 1.0, 0.3])
    assert_gradient_close(rosen_der(x), numerical_gradient(rosen, x.copy()), tol=1e-7)
    path, _ = lbfgs_minimize(rosen, rosen_der, np.array([-1.2, 1.0]), m=5)
    assert_close(path[-1], [1.0, 1.0], rtol=1e-7, what="minimiser")
    assert len(path) - 1 < 60


def check_directions_are_descent_and_wolfe_holds():
    rng = np.random.default_rng(3)
    x = rng.normal(size=10)
    path, _ = lbfgs_minimize(rosen, rosen_der, x, m=3, max_iter=15)
    for a, b in zip(path[:-1], path[1:]):
        assert rosen(b) < rosen(a)  # every accepted step decreases f


def check_high_dimensional_beats_gradient_descent():
    x0 = np.full(20, -1.0)
    x0[::2] = -1.2
    path, _ = lbfgs_minimize(rosen, rosen_der, x0, m=10)
    gd = gradient_descent_backtracking(rosen, rosen_der, x0, max_iter=len(path) - 1)
    assert rosen(path[-1]) < 1e-12 < 1.0 < rosen(gd[-1])


def check_extreme_inputs():
    path, evals = lbfgs_minimize(rosen, rosen_der, np.ones(4))  # already optimal
    assert len(path) == 1 and evals == 0
    assert np.array_equal(two_loop_recursion(np.array([1.0, -2.0]), [], []), [1.0, -2.0])
    try:
        wolfe_line_search(rosen, rosen_der, np.zeros(2), rosen_der(np.zeros(2)))  # uphill direction
    except ValueError:
        pass
    else:
        raise AssertionError("an ascent direction must raise")


def convergence_histories(D=20, max_iter=200):
    """f after each iteration for GD, L-BFGS with m = 1, 3, 10, and Newton on D-dimensional Rosenbrock."""
    x0 = np.full(D, -1.0)
    x0[::2] = -1.2
    runs = {"gradient descent": gradient_descent_backtracking(rosen, rosen_der, x0, max_iter=max_iter)}
    for m in (1, 3, 10):
        runs[f"L-BFGS, m = {m}"] = lbfgs_minimize(rosen, rosen_der, x0, m=m, max_iter=max_iter)[0]
    runs["Newton (full Hessian)"] = newton_minimize(rosen, rosen_der, rosen_hess, x0, max_iter=max_iter)[0]
    return {name: np.array([rosen(x) for x in path]) for name, path in runs.items()}


def plot_convergence(histories):
    """Figure: f against iteration on a log scale for each method (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, fs), c in zip(histories.items(), ("crimson", "orange", "teal", "navy", "black")):
        ax.semilogy(np.maximum(fs, 1e-20), label=name, color=c)
    ax.set_xlabel("iteration")
    ax.set_ylabel("f(x) (minimum 0)")
    ax.set_ylim(1e-20, 1e4)
    ax.set_xlim(0, 200)
    ax.legend(fontsize=8)
    ax.set_title("20-dimensional Rosenbrock function")
    fig.set_label(
        "Loss on a log scale against iteration on a 20-dimensional Rosenbrock function: gradient "
        "descent barely moves; L-BFGS with memory 1, 3 and 10 falls to about 1e-20, sooner with "
        "more memory; Newton's method with the full Hessian is fastest"
    )
    return fig


if __name__ == "__main__":
    x0 = np.array([-1.2, 1.0])
    for m in (1, 5):
        path, evals = lbfgs_minimize(rosen, rosen_der, x0, m=m)
        print(
            f"2-D Rosenbrock from (-1.2, 1), L-BFGS m={m}: {len(path) - 1} iterations, "
            f"{evals} line-search evaluations, x = [{path[-1, 0]:.10f}, {path[-1, 1]:.10f}]"
        )
    hist = convergence_histories()
    print("20-D Rosenbrock from (-1.2, -1, -1.2, -1, ...): iterations to f < 1e-10, and the final f")
    for name, fs in hist.items():
        hit = np.flatnonzero(fs < 1e-10)
        it = f"{hit[0]:4d}" if hit.size else "  --"
        print(f"  {name:22s} {it}   f = {fs[-1]:.2e}")
    print("curvature model for D = 10^7 parameters: L-BFGS m=10 stores 2*10*D = 2e8 numbers, a full Hessian D^2 = 1e14")
    plot_convergence(hist)
