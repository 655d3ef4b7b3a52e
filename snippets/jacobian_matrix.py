r"""The Jacobian: the matrix of first derivatives of a vector-valued function.

For $f: \mathbb{R}^N \to \mathbb{R}^M$, $J_{ij} = \partial f_i / \partial x_j$ has shape (M, N): one row
per output, one column per input. It is the best linear approximation
$f(x + d) \approx f(x) + J d$; the chain rule multiplies Jacobians; $|\det J|$ is the local
factor by which a square map changes volumes. Automatic differentiation never forms it but
computes products with it: ``jvp`` (forward mode, $J v$) and ``vjp`` (reverse mode, $u^\top J$).

Conventions follow ``torch.autograd.functional.jacobian(f, x)``, which returns shape
``f(x).shape + x.shape`` ((M, N) here), and ``torch.func.jvp`` / ``torch.func.vjp``
(``jax.jacfwd`` / ``jax.jacrev`` build the same matrix column by column or row by row).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.softmax import softmax, softmax_jacobian


def numerical_jacobian(f, x, h=1e-6):
    """Jacobian by centred differences, one column per input coordinate.

    Parameters
    ----------
    f : callable
        ndarray of shape (N,) -> ndarray of shape (M,).
    x : ndarray of shape (N,)
    h : float

    Returns
    -------
    J : ndarray of shape (M, N)
    """
    x = np.asarray(x, dtype=np.float64)
    cols = [(np.asarray(f(x + h * e)) - np.asarray(f(x - h * e))) / (2 * h) for e in np.eye(x.size)]
    return np.stack(cols, axis=1)


def polar_to_cartesian(u):
    """``(r, theta) -> (r cos theta, r sin theta)`` for u of shape (2,), returns shape (2,)."""
    r, t = u
    return np.array([r * np.cos(t), r * np.sin(t)])


def polar_jacobian(u):
    """Jacobian of :func:`polar_to_cartesian`, ``[[cos t, -r sin t], [sin t, r cos t]]``; its determinant is r.

    Parameters
    ----------
    u : ndarray of shape (2,)

    Returns
    -------
    J : ndarray of shape (2, 2)
    """
    r, t = u
    return np.array([[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])


def dense_tanh_forward(x, W, b):
    """``h = tanh(W x + b)`` for one example, like ``torch.tanh(torch.nn.functional.linear(x, W, b))``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    W : ndarray of shape (M, N)
        PyTorch layout: (out_features, in_features).
    b : ndarray of shape (M,)

    Returns
    -------
    h : ndarray of shape (M,)
    cache : tuple
        ``(h, W)``.
    """
    h = np.tanh(W @ x + b)
    return h, (h, W)


def dense_tanh_jacobian(cache):
    """Jacobian of :func:`dense_tanh_forward` with respect to x, ``diag(1 - h^2) W``, shape (M, N)."""
    h, W = cache
    return (1.0 - h**2)[:, None] * W


def dense_tanh_vjp(u, cache):
    """Vector-Jacobian product ``u^T J`` (what a backward pass computes), shape (N,), without forming J.

    Parameters
    ----------
    u : ndarray of shape (M,)
        Upstream gradient with respect to h.
    cache : tuple
        From :func:`dense_tanh_forward`.

    Returns
    -------
    dx : ndarray of shape (N,)
    """
    h, W = cache
    return W.T @ ((1.0 - h**2) * u)


def dense_tanh_jvp(v, cache):
    """Jacobian-vector product ``J v`` (what forward-mode differentiation computes), shape (M,).

    Parameters
    ----------
    v : ndarray of shape (N,)
        Tangent (direction) in input space.
    cache : tuple

    Returns
    -------
    dh : ndarray of shape (M,)
    """
    h, W = cache
    return (1.0 - h**2) * (W @ v)


def polygon_area(pts):
    """Shoelace area of a closed polygon given by vertices of shape (K, 2)."""
    x, y = pts[:, 0], pts[:, 1]
    return 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _layer(seed, m, n):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(m, n)) / np.sqrt(n), 0.1 * rng.normal(size=m)


# ---------------------------------------------------------------- checks


def check_analytic_jacobians_match_finite_differences():
    u = np.array([1.3, 0.7])
    assert_gradient_close(polar_jacobian(u), numerical_jacobian(polar_to_cartesian, u), tol=1e-8, what="polar")
    W, b = _layer(0, 4, 3)
    x = np.random.default_rng(1).normal(size=3)
    _, cache = dense_tanh_forward(x, W, b)
    J_num = numerical_jacobian(lambda z: dense_tanh_forward(z, W, b)[0], x)
    assert_gradient_close(dense_tanh_jacobian(cache), J_num, tol=1e-8, what="dense tanh")
    z = np.array([2.0, 1.0, 0.1])
    J_soft = softmax_jacobian(softmax(z))
    assert_gradient_close(J_soft, numerical_jacobian(softmax, z), tol=1e-8, what="softmax")
    # Adding a constant to every logit changes nothing, so J @ 1 = 0: every row sums to zero.
    assert np.all(np.abs(J_soft.sum(axis=1)) < 1e-15)


def check_vjp_and_jvp_are_products_with_j():
    # The backward function is checked against a centred-difference gradient of sum(h * u).
    W, b = _layer(2, 5, 3)
    rng = np.random.default_rng(3)
    x, u, v = rng.normal(size=3), rng.normal(size=5), rng.normal(size=3)
    _, cache = dense_tanh_forward(x, W, b)
    J = dense_tanh_jacobian(cache)
    dx = dense_tanh_vjp(u, cache)
    assert_gradient_close(dx, numerical_gradient(lambda z: dense_tanh_forward(z, W, b)[0] @ u, x.copy()), tol=1e-8)
    assert_close(dx, u @ J, rtol=1e-12, what="vjp")
    assert_close(dense_tanh_jvp(v, cache), J @ v, rtol=1e-12, what="jvp")


def check_chain_rule_multiplies_jacobians():
    W1, b1 = _layer(4, 4, 3)
    W2, b2 = _layer(5, 2, 4)
    x = np.random.default_rng(6).normal(size=3)
    h1, c1 = dense_tanh_forward(x, W1, b1)
    _, c2 = dense_tanh_forward(h1, W2, b2)
    J_num = numerical_jacobian(lambda z: dense_tanh_forward(dense_tanh_forward(z, W1, b1)[0], W2, b2)[0], x)
    assert_gradient_close(dense_tanh_jacobian(c2) @ dense_tanh_jacobian(c1), J_num, tol=1e-8, what="J2 J1")


def check_determinant_is_local_area_factor():
    # A small square of side s around (r, theta) maps to a region of area ~ |det J| s^2 = r s^2.
    u, s = np.array([1.5, 0.4]), 1e-3
    t = np.linspace(0, 1, 50, endpoint=False)
    square = (
        np.concatenate([np.stack([t, 0 * t], 1), np.stack([1 + 0 * t, t], 1), np.stack([1 - t, 1 + 0 * t], 1), np.stack([0 * t, 1 - t], 1)])
        * s
        + u
    )
    image = np.array([polar_to_cartesian(p) for p in square])
    assert_close(polygon_area(image) / s**2, abs(np.linalg.det(polar_jacobian(u))), rtol=1e-3, what="area ratio")
    assert_close(np.linalg.det(polar_jacobian(u)), 1.5, rtol=1e-12, what="det = r")


def check_jacobian_of_gradient_is_symmetric_hessian():
    A = np.array([[3.0, 1.0], [1.0, 2.0]])
    grad = lambda x: A @ x + np.array([np.sin(x[0]), x[1] ** 3])  # gradient of 0.5 x'Ax - cos x0 + x1^4/4
    J = numerical_jacobian(grad, np.array([0.3, -0.5]))
    assert_close(J, J.T, rtol=0, atol=1e-8, what="symmetry")


def check_saturated_tanh_has_vanishing_jacobian():
    # Huge pre-activations: tanh saturates, 1 - h^2 underflows to 0 and so does every derivative (finite, not NaN).
    W, b = _layer(7, 3, 3)
    _, cache = dense_tanh_forward(np.full(3, 1e6), 100 * W, b)
    J = dense_tanh_jacobian(cache)
    assert np.all(np.isfinite(J)) and np.max(np.abs(J)) < 1e-10


def plot_linearisation(u0=np.array([1.0, 0.6]), s=0.35):
    """Figure: a polar grid mapped to the plane, a square's exact image and its Jacobian image (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.5))
    for r in np.linspace(0.4, 1.6, 7):
        line = np.stack([np.full(100, r), np.linspace(0, np.pi / 2, 100)], 1)
        ax1.plot(line[:, 0], line[:, 1], color="lightgray", lw=0.8)
        img = np.array([polar_to_cartesian(p) for p in line])
        ax2.plot(img[:, 0], img[:, 1], color="lightgray", lw=0.8)
    for t in np.linspace(0, np.pi / 2, 7):
        line = np.stack([np.linspace(0.4, 1.6, 100), np.full(100, t)], 1)
        ax1.plot(line[:, 0], line[:, 1], color="lightgray", lw=0.8)
        img = np.array([polar_to_cartesian(p) for p in line])
        ax2.plot(img[:, 0], img[:, 1], color="lightgray", lw=0.8)
    k = np.linspace(0, 1, 40)
    square = (
        np.concatenate([np.stack([k, 0 * k], 1), np.stack([1 + 0 * k, k], 1), np.stack([1 - k, 1 + 0 * k], 1), np.stack([0 * k, 1 - k], 1)])
        * s
        - s / 2
        + u0
    )
    exact = np.array([polar_to_cartesian(p) for p in square])
    J = polar_jacobian(u0)
    linear = polar_to_cartesian(u0) + (square - u0) @ J.T
    ax1.fill(square[:, 0], square[:, 1], color="navy", alpha=0.3)
    ax1.set_xlabel("r")
    ax1.set_ylabel("theta")
    ax1.set_title("input: a square in (r, theta)", fontsize=10)
    ax2.fill(exact[:, 0], exact[:, 1], color="navy", alpha=0.3, label="exact image f(square)")
    ax2.plot(linear[:, 0], linear[:, 1], "--", color="crimson", label="f(u0) + J (u - u0): a parallelogram")
    ax2.set_aspect("equal")
    ax2.set_xlabel("x = r cos theta")
    ax2.set_ylabel("y = r sin theta")
    ax2.legend(fontsize=8, loc="upper right")
    ax2.set_title(f"output: area scaled by det J = r = {u0[0]:g}", fontsize=10)
    fig.set_label(
        "Left: a shaded square in polar coordinates (r, theta). Right: its image under the map to x, y "
        "is a curved patch of an annulus; the dashed parallelogram given by the Jacobian at the "
        "square's centre nearly coincides with it"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    u = np.array([1.5, 0.4])
    print("polar -> cartesian at (r, theta) = (1.5, 0.4): J =")
    print(polar_jacobian(u))
    print(
        f"det J = {np.linalg.det(polar_jacobian(u)):.4f} (= r); finite differences agree to "
        f"{np.max(np.abs(polar_jacobian(u) - numerical_jacobian(polar_to_cartesian, u))):.1e}"
    )
    W, b = _layer(0, 4, 3)
    x = np.array([0.5, -1.0, 2.0])
    h, cache = dense_tanh_forward(x, W, b)
    J = dense_tanh_jacobian(cache)
    print("layer h = tanh(W x + b), W of shape (4, 3): J = diag(1 - h^2) W has shape", J.shape)
    print(J)
    u_up = np.array([1.0, 0.0, -1.0, 0.5])
    print("vjp u^T J for u =", u_up, "->", dense_tanh_vjp(u_up, cache), " (one backward pass)")
    print("full J needs 3 JVPs (forward mode, one per input) or 4 VJPs (reverse mode, one per output)")
    print("softmax Jacobian at (2, 1, 0.1): rows sum to", softmax_jacobian(softmax(np.array([2.0, 1.0, 0.1]))).sum(axis=1))
    plot_linearisation()
