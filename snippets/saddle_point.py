r"""Saddle points: critical points that are minima along some directions and maxima along others.

The running example is the double well $f(x, y) = x^4/4 - x^2/2 + y^2/2$: minima at
$(\pm 1, 0)$ with $f = -1/4$, and a saddle at the origin with Hessian $\operatorname{diag}(-1, 1)$.
Near the saddle gradient descent multiplies the $x$-coordinate by about $1 + \eta$ per step,
so a start at distance $\delta$ from the stable manifold ($x = 0$) spends about
$\log(1/\delta) / \log(1 + \eta)$ steps on a plateau before it escapes. Pure Newton jumps
*onto* the saddle; "saddle-free Newton" (Dauphin et al., 2014) divides by $|H|$ instead and
moves away. ``gradient_descent`` is ``torch.optim.SGD(lr=lr)`` on an exact gradient.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.hessian_matrix import classify_critical_point, numerical_hessian


def double_well(p):
    """``f(x, y) = x^4/4 - x^2/2 + y^2/2`` for p of shape (2,) (or (..., 2))."""
    p = np.asarray(p, dtype=np.float64)
    x, y = p[..., 0], p[..., 1]
    return x**4 / 4 - x**2 / 2 + y**2 / 2


def double_well_grad(p):
    """Gradient ``(x^3 - x, y)``, shape (2,)."""
    x, y = p
    return np.array([x**3 - x, y])


def double_well_hess(p):
    """Hessian ``diag(3x^2 - 1, 1)``, shape (2, 2)."""
    return np.diag([3 * p[0] ** 2 - 1, 1.0])


def gradient_descent(grad, x0, lr, steps):
    """``x[k+1] = x[k] - lr * grad(x[k])``.

    Parameters
    ----------
    grad : callable
        ndarray of shape (D,) -> ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    lr : float
    steps : int

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    path = [np.asarray(x0, dtype=np.float64)]
    for _ in range(steps):
        path.append(path[-1] - lr * grad(path[-1]))
    return np.array(path)


def escape_steps(trajectory, f, level):
    """First step at which ``f`` drops below ``level`` (None if never).

    Parameters
    ----------
    trajectory : ndarray of shape (K, D)
    f : callable
    level : float

    Returns
    -------
    step : int or None
    """
    below = np.flatnonzero(f(trajectory) < level)
    return int(below[0]) if below.size else None


def newton_step(g, H):
    """Pure Newton step ``-H^{-1} g``: attracted to any critical point, saddles included. Shape (D,)."""
    return np.linalg.solve(H, -g)


def saddle_free_newton_step(g, H, damping=1e-8):
    """Saddle-free Newton step ``-|H|^{-1} g`` with ``|H| = Q |Lambda| Q^T`` (Dauphin et al., 2014).

    Rescales each eigen-direction by ``1/|lambda|`` but keeps the sign of descent, so it moves
    *away* from a saddle along directions of negative curvature.

    Parameters
    ----------
    g : ndarray of shape (D,)
    H : ndarray of shape (D, D)
        Symmetric.
    damping : float
        Added to ``|lambda|`` so that zero curvature does not divide by zero.

    Returns
    -------
    p : ndarray of shape (D,)
    """
    lam, Q = np.linalg.eigh(H)
    return -Q @ ((Q.T @ g) / (np.abs(lam) + damping))


def fraction_of_minima(dim, samples=20000, seed=0):
    """Fraction of random symmetric Gaussian (GOE) matrices that are positive definite.

    A crude model of the Hessian at a random critical point: in high dimension nearly all are saddles.

    Parameters
    ----------
    dim : int
    samples : int
    seed : int

    Returns
    -------
    fraction : float
    """
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(samples, dim, dim))
    H = (A + np.swapaxes(A, 1, 2)) / 2
    return float(np.mean(np.linalg.eigvalsh(H)[:, 0] > 0))


# ---------------------------------------------------------------- checks


def check_derivatives_match_centred_differences():
    p = np.array([0.7, -0.4])
    assert_gradient_close(double_well_grad(p), numerical_gradient(double_well, p.copy()), tol=1e-8)
    assert_gradient_close(double_well_hess(p), numerical_hessian(double_well, p), tol=1e-6, what="Hessian")


def check_critical_points_are_classified():
    assert classify_critical_point(double_well_hess(np.zeros(2))) == "saddle"
    for x in (-1.0, 1.0):
        p = np.array([x, 0.0])
        assert np.all(double_well_grad(p) == 0) and classify_critical_point(double_well_hess(p)) == "minimum"
    assert classify_critical_point(np.diag([2.0, -2.0])) == "saddle"  # x^2 - y^2


def check_gradient_descent_stalls_on_the_stable_manifold():
    # Starting exactly on x = 0, the gradient never has an x-component: GD converges to the saddle.
    path = gradient_descent(double_well_grad, np.array([0.0, 1.0]), 0.1, 300)
    assert_close(path[-1], [0.0, 0.0], rtol=0, atol=1e-12, what="stuck at the saddle")
    # At the saddle itself the gradient is exactly zero: GD stays put, finite, forever.
    assert np.array_equal(gradient_descent(double_well_grad, np.zeros(2), 0.1, 10)[-1], np.zeros(2))


def check_escape_time_grows_like_log_one_over_delta():
    lr = 0.1
    steps = [escape_steps(gradient_descent(double_well_grad, np.array([d, 1.0]), lr, 1000), double_well, -0.2) for d in (1e-2, 1e-4, 1e-8)]
    # Each factor 1e-2 closer to the stable manifold costs about log(100)/log(1.1) = 48 more steps.
    extra = np.diff(steps)
    assert np.all(np.abs(extra / np.array([1, 2]) - np.log(100) / np.log(1 + lr)) < 3), steps


def check_pure_newton_goes_to_the_saddle_saddle_free_newton_escapes():
    p = np.array([0.2, 0.05])
    g, H = double_well_grad(p), double_well_hess(p)
    to_saddle = p + newton_step(g, H)
    assert np.linalg.norm(to_saddle) < np.linalg.norm(p) and double_well(to_saddle) > double_well(p)
    q = p + saddle_free_newton_step(g, H)
    assert abs(q[0]) > abs(p[0]) and double_well(q) < double_well(p)


def check_saddles_dominate_in_high_dimension():
    fr = [fraction_of_minima(d) for d in (1, 2, 4, 8)]
    assert abs(fr[0] - 0.5) < 0.02
    assert fr[0] > fr[1] > fr[2] > fr[3] and fr[3] < 1e-3


def plot_saddle(deltas=(1e-2, 1e-4, 1e-8), lr=0.1, steps=450):
    """Figure: the double-well surface with a GD path, and loss curves with plateaus (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(11, 4.5))
    ax1 = fig.add_subplot(1, 2, 1, projection="3d")
    u, v = np.meshgrid(np.linspace(-1.6, 1.6, 60), np.linspace(-1.2, 1.2, 60))
    z = double_well(np.stack([u, v], axis=-1))
    ax1.plot_surface(u, v, z, cmap="viridis", alpha=0.7, linewidth=0)
    path = gradient_descent(double_well_grad, np.array([1e-2, 1.0]), lr, steps)
    ax1.plot(path[:, 0], path[:, 1], double_well(path) + 0.02, "o-", color="crimson", markersize=1.5, lw=1)
    ax1.scatter([0], [0], [0.02], color="black", s=30)
    ax1.set_xlabel("x")
    ax1.set_ylabel("y")
    ax1.set_title("f = x^4/4 - x^2/2 + y^2/2: saddle at 0, minima at (+-1, 0)", fontsize=9)
    ax2 = fig.add_subplot(1, 2, 2)
    for d in deltas:
        p = gradient_descent(double_well_grad, np.array([d, 1.0]), lr, steps)
        ax2.plot(double_well(p), label=f"start (x, y) = ({d:g}, 1)")
    ax2.axhline(0.0, color="gray", lw=0.8, linestyle=":")
    ax2.set_xlabel("step")
    ax2.set_ylabel("f")
    ax2.legend(fontsize=8)
    ax2.set_title(f"gradient descent, lr = {lr}: plateaus at the saddle value 0", fontsize=9)
    fig.set_label(
        "Left: a 3-D surface shaped like a saddle between two valleys, with a gradient-descent path that "
        "slides down to the saddle point in the middle and then turns off into one valley. Right: the "
        "loss against step for three starts closer and closer to the saddle's ridge line; each curve "
        "drops to 0, stays flat on a plateau that gets longer the closer the start, then falls to -0.25"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print(
        "f = x^4/4 - x^2/2 + y^2/2; Hessian at the origin:",
        np.diag(double_well_hess(np.zeros(2))),
        "->",
        classify_critical_point(double_well_hess(np.zeros(2))),
    )
    lr = 0.1
    for d in (1e-2, 1e-4, 1e-8, 0.0):
        path = gradient_descent(double_well_grad, np.array([d, 1.0]), lr, 1000)
        k = escape_steps(path, double_well, -0.2)
        where = f"reaches f < -0.2 after {k} steps" if k is not None else f"never escapes, ends at {path[-1]}"
        print(f"GD lr={lr} from ({d:g}, 1): {where}")
    print(f"  predicted extra steps per factor 100 closer: log(100)/log(1.1) = {np.log(100) / np.log(1.1):.1f}")
    p = np.array([0.2, 0.05])
    g, H = double_well_grad(p), double_well_hess(p)
    print(f"from {p} (f = {double_well(p):.4f}):")
    q = p + newton_step(g, H)
    print(f"  Newton step lands at {q}, f = {double_well(q):.4f} (towards the saddle, f went up)")
    q = p + saddle_free_newton_step(g, H)
    print(f"  saddle-free Newton step lands at {q}, f = {double_well(q):.4f}")
    print("fraction of random symmetric D x D matrices that are positive definite:")
    print("  " + ", ".join(f"D={d}: {fraction_of_minima(d):.4f}" for d in (1, 2, 4, 8)))
    plot_saddle()
