"""RMSProp: divide each gradient coordinate by a running root-mean-square of its recent values.

``rmsprop_step`` follows ``torch.optim.RMSprop`` exactly (defaults ``lr=1e-2,
alpha=0.99, eps=1e-8``; ``alpha`` is the decay of the average of squared
gradients, *not* the learning rate; ``eps`` is added *after* the square root,
whereas TensorFlow adds it inside; no bias correction, unlike Adam;
``weight_decay`` is an L2 term added to the gradient; ``centered=True`` divides
by an estimate of the gradient's standard deviation instead of its root mean
square; ``momentum > 0`` accumulates the normalised step in a buffer). The
optimiser state is explicit: ``rmsprop_init`` creates it, ``rmsprop_step``
returns an updated copy.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def rmsprop_init(param):
    """Fresh RMSProp state for one parameter array (names as in PyTorch's optimiser state).

    Parameters
    ----------
    param : ndarray of shape (D,)

    Returns
    -------
    state : dict
        ``step`` (int, 0), ``square_avg`` (v, ndarray of shape (D,), zeros),
        ``grad_avg`` (used when centred, ndarray of shape (D,), zeros) and
        ``momentum_buffer`` (ndarray of shape (D,), zeros).
    """
    z = np.zeros_like(np.asarray(param, dtype=np.float64))
    return {"step": 0, "square_avg": z, "grad_avg": z.copy(), "momentum_buffer": z.copy()}


def rmsprop_step(param, grad, state, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    r"""One update of ``torch.optim.RMSprop``.

    .. math::
        v_t = \alpha v_{t-1} + (1-\alpha) g_t^2,\qquad
        \theta_t = \theta_{t-1} - \mathrm{lr}\, \frac{g_t}{\sqrt{v_t} + \epsilon}.

    Parameters
    ----------
    param : ndarray of shape (D,)
    grad : ndarray of shape (D,)
        Gradient at ``param``; must be finite, and ``grad**2`` too (else ``ValueError``).
    state : dict
        From :func:`rmsprop_init` or a previous call; not modified.
    lr : float
        Learning rate (PyTorch's ``lr``; Hinton's slides call it the step size).
    alpha : float
        Smoothing constant in [0, 1) of the moving average of ``g**2``
        (Keras calls it ``rho``, default 0.9 there).
    eps : float
        Added to ``sqrt(v)`` (after the square root), as in PyTorch.
    weight_decay : float
        L2 coefficient: the gradient becomes ``grad + weight_decay * param``.
    momentum : float
        If positive, ``buf = momentum * buf + g / (sqrt(v) + eps)`` and the step is ``lr * buf``.
    centered : bool
        If true, also average ``g`` and divide by ``sqrt(v - g_avg**2) + eps``.

    Returns
    -------
    param : ndarray of shape (D,)
    state : dict
    """
    if not (lr >= 0 and 0 <= alpha < 1 and eps >= 0):
        raise ValueError("need lr >= 0, 0 <= alpha < 1 and eps >= 0")
    g = np.asarray(grad, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        raise ValueError("gradient contains NaN or inf")
    g = g + weight_decay * param
    with np.errstate(over="ignore", invalid="ignore"):  # reported just below instead
        v = alpha * state["square_avg"] + (1.0 - alpha) * g * g
    if not np.all(np.isfinite(v)):
        raise ValueError("squared gradient overflows float64 (|g| above about 1e154): clip the gradients")
    g_avg = state["grad_avg"]
    denom_sq = v
    if centered:
        g_avg = alpha * g_avg + (1.0 - alpha) * g
        # v - g_avg^2 is a weighted variance, >= 0 in exact arithmetic; clip rounding below 0.
        denom_sq = np.maximum(v - g_avg * g_avg, 0.0)
    normalised = g / (np.sqrt(denom_sq) + eps)
    buf = state["momentum_buffer"]
    if momentum > 0:
        buf = momentum * buf + normalised
        new_param = param - lr * buf
    else:
        new_param = param - lr * normalised
    return new_param, {"step": state["step"] + 1, "square_avg": v, "grad_avg": g_avg, "momentum_buffer": buf}


def run_optimizer(step_fn, init_fn, grad_fn, x0, steps, **kwargs):
    """Iterate an optimiser written as ``(init_fn, step_fn)`` on a deterministic gradient.

    Parameters
    ----------
    step_fn : callable
        ``step_fn(param, grad, state, **kwargs) -> (param, state)``.
    init_fn : callable
        ``init_fn(param) -> state``.
    grad_fn : callable
        Maps ndarray of shape (D,) to the gradient, ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    steps : int

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    x = np.asarray(x0, dtype=np.float64)
    state, path = init_fn(x), [x]
    for _ in range(steps):
        x, state = step_fn(x, grad_fn(x), state, **kwargs)
        path.append(x)
    return np.array(path)


# An elongated bowl: curvature 1 along x0 and 100 along x1 (condition number 100).
H = np.array([1.0, 100.0])


def bowl(x):
    """``f(x) = 0.5 * (x0**2 + 100 * x1**2)`` for x of shape (2,) (or (..., 2))."""
    return 0.5 * np.sum(H * np.asarray(x) ** 2, axis=-1)


def bowl_grad(x):
    """Gradient of :func:`bowl`, ndarray of shape (2,)."""
    return H * x


# ---------------------------------------------------------------- checks


def check_bowl_gradient_matches_centred_differences():
    x = np.array([0.7, -0.3])
    assert_gradient_close(bowl_grad(x), numerical_gradient(bowl, x.copy()), tol=1e-8)


def check_matches_literal_pytorch_algorithm():
    # Independent transcription of the pseudo-code in the torch.optim.RMSprop docs,
    # with every option switched on.
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(15, 3))
    lr, a, eps, wd, mu = 0.05, 0.9, 1e-6, 0.01, 0.5
    theta, v, gave, b = np.array([1.0, -2.0, 0.5]), np.zeros(3), np.zeros(3), np.zeros(3)
    x, s = theta.copy(), rmsprop_init(theta)
    for g in grads:
        gt = g + wd * theta
        v = a * v + (1 - a) * gt**2
        gave = a * gave + (1 - a) * gt
        vt = v - gave**2
        b = mu * b + gt / (np.sqrt(vt) + eps)
        theta = theta - lr * b
        x, s = rmsprop_step(x, g, s, lr=lr, alpha=a, eps=eps, weight_decay=wd, momentum=mu, centered=True)
    assert_close(x, theta, rtol=1e-12, what="RMSprop(centered, momentum, weight_decay)")
    assert s["step"] == 15


def check_first_step_is_lr_over_sqrt_one_minus_alpha():
    # No bias correction: v_1 = (1 - alpha) g^2, so the first step is lr / sqrt(1 - alpha)
    # in every coordinate, 10 * lr for alpha = 0.99, whatever the gradient's size.
    g = np.array([1e-3, -4.0, 250.0])
    new, _ = rmsprop_step(np.zeros(3), g, rmsprop_init(np.zeros(3)), lr=0.01, alpha=0.99)
    assert_close(np.abs(new), np.full(3, 0.01 / np.sqrt(0.01)), rtol=1e-4, what="first step")
    assert np.all(np.sign(new) == -np.sign(g))


def check_constant_gradient_step_tends_to_lr():
    # With a constant gradient v_t -> g^2, so each step tends to lr * sign(g).
    p, s = np.zeros(2), rmsprop_init(np.zeros(2))
    g = np.array([3.0, -0.02])
    for _ in range(2000):
        new, s = rmsprop_step(p, g, s, lr=1e-3)
        step, p = new - p, new
    assert_close(step, -1e-3 * np.sign(g), rtol=1e-6, what="steady-state step")


def check_invariant_to_gradient_scale():
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(30, 4))
    x1 = x2 = np.zeros(4)
    s1, s2 = rmsprop_init(x1), rmsprop_init(x2)
    for g in grads:
        x1, s1 = rmsprop_step(x1, g, s1)
        x2, s2 = rmsprop_step(x2, 1e4 * g, s2)
    assert_close(x1, x2, rtol=1e-6, what="updates with gradients x 1e4")


def check_centred_denominator_is_a_variance():
    # v - g_avg^2 >= 0: by Cauchy-Schwarz the weighted mean square dominates the squared weighted mean.
    rng = np.random.default_rng(2)
    s, x = rmsprop_init(np.zeros(5)), np.zeros(5)
    for g in rng.normal(loc=3.0, size=(50, 5)):
        x, s = rmsprop_step(x, g, s, centered=True)
        assert np.all(s["square_avg"] - s["grad_avg"] ** 2 >= -1e-12)


def check_extreme_inputs():
    # Zero gradient: no step and no division by zero. Huge gradients: still a step of lr / sqrt(1 - alpha).
    new, _ = rmsprop_step(np.ones(2), np.zeros(2), rmsprop_init(np.ones(2)))
    assert np.array_equal(new, np.ones(2))
    new, _ = rmsprop_step(np.zeros(1), np.array([1e150]), rmsprop_init(np.zeros(1)), lr=0.01)
    assert np.isfinite(new).all() and abs(new[0] + 0.1) < 1e-9
    for bad in (np.nan, 1e200):  # NaN, and a gradient whose square overflows, must not pass silently
        try:
            rmsprop_step(np.zeros(1), np.array([bad]), rmsprop_init(np.zeros(1)))
        except ValueError:
            pass
        else:
            raise AssertionError(f"gradient {bad} must raise")


def check_beats_gradient_descent_on_elongated_bowl():
    x0 = np.array([1.0, 1.0])
    rms = run_optimizer(rmsprop_step, rmsprop_init, bowl_grad, x0, 200, lr=0.01)
    gd = x0.copy()
    for _ in range(200):
        gd = gd - 0.019 * bowl_grad(gd)  # largest stable step is 2/100
    assert bowl(rms[-1]) < 1e-3 * bowl(gd)


def plot_paths(x0=(-1.0, 0.6), steps=60):
    """Figure: gradient descent and RMSProp on the contours of the elongated bowl (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x0 = np.asarray(x0)
    gd = [x0]
    for _ in range(steps):
        gd.append(gd[-1] - 0.019 * bowl_grad(gd[-1]))
    paths = {
        "gradient descent, lr=0.019": np.array(gd),
        "RMSProp, lr=0.05": run_optimizer(rmsprop_step, rmsprop_init, bowl_grad, x0, steps, lr=0.05),
    }
    g0, g1 = np.meshgrid(np.linspace(-1.2, 0.4, 200), np.linspace(-0.8, 0.8, 200))
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contour(g0, g1, bowl(np.stack([g0, g1], axis=-1)), levels=np.geomspace(1e-3, 40, 15), linewidths=0.6, cmap="viridis")
    for (name, p), c in zip(paths.items(), ("crimson", "navy")):
        ax.plot(p[:, 0], p[:, 1], "o-", color=c, markersize=2.5, linewidth=1, label=name)
    ax.plot(0, 0, "k*", markersize=10)
    ax.set_xlabel("x0 (curvature 1)")
    ax.set_ylabel("x1 (curvature 100)")
    ax.legend(loc="lower right")
    ax.set_title(f"{steps} steps on f = (x0^2 + 100 x1^2) / 2")
    fig.set_label(
        "Paths on the contours of an elongated bowl: gradient descent zig-zags across the "
        "steep direction and crawls along the shallow one; RMSProp moves at a similar speed "
        "in both directions and reaches the minimum"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x0 = np.array([1.0, 1.0])
    print("f(x) = (x0^2 + 100 x1^2)/2 from x = [1, 1], where the gradient is", bowl_grad(x0))
    p1, s1 = rmsprop_step(x0, bowl_grad(x0), rmsprop_init(x0), lr=0.01, alpha=0.99)
    print("RMSProp (lr=0.01, alpha=0.99), first step:", p1 - x0, "= -lr/sqrt(1 - alpha) in both coordinates")
    rms = run_optimizer(rmsprop_step, rmsprop_init, bowl_grad, x0, 200, lr=0.01)
    gd = [x0]
    for _ in range(200):
        gd.append(gd[-1] - 0.019 * bowl_grad(gd[-1]))  # largest stable lr is 2/100
    print("step   RMSProp (lr=0.01) x     f(x)       gradient descent (lr=0.019) x   f(x)")
    for t in (10, 50, 100, 200):
        r, g = rms[t], gd[t]
        print(f"{t:4d}   [{r[0]:.2e}, {r[1]:.2e}]  {bowl(r):.2e}   [{g[0]:.2e}, {g[1]:.2e}]        {bowl(g):.2e}")
    plot_paths()
