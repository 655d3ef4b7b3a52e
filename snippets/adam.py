"""Adam: per-coordinate steps from bias-corrected moving averages of the gradient and its square.

``adam_step`` is Algorithm 1 of Kingma & Ba (2015) and matches ``torch.optim.Adam``
(defaults ``lr=1e-3, betas=(0.9, 0.999), eps=1e-8``; ``eps`` is added *after* the
square root; ``weight_decay`` is an L2 term added to the gradient, which is what
``torch.optim.Adam`` does, not the decoupled decay of AdamW). The optimiser state
is explicit: ``adam_init`` creates it, ``adam_step`` returns an updated copy.
"""

import numpy as np


def adam_init(param):
    """Fresh Adam state for one parameter array (names as in PyTorch's optimiser state).

    Parameters
    ----------
    param : ndarray of shape (D,)

    Returns
    -------
    state : dict
        ``step`` (int, 0), ``exp_avg`` (first moment m, ndarray of shape (D,), zeros),
        ``exp_avg_sq`` (second moment v, ndarray of shape (D,), zeros).
    """
    return {"step": 0, "exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param)}


def adam_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    r"""One Adam update.

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,\\
        \hat m_t = m_t / (1-\beta_1^t),\quad \hat v_t = v_t / (1-\beta_2^t),\quad
        \theta_t = \theta_{t-1} - \mathrm{lr}\, \hat m_t / (\sqrt{\hat v_t} + \epsilon).

    Parameters
    ----------
    param : ndarray of shape (D,)
    grad : ndarray of shape (D,)
    state : dict
        From :func:`adam_init` or a previous call; not modified.
    lr : float
    betas : tuple of float
        ``(beta1, beta2)``, decay rates of the two moving averages.
    eps : float
        Added to ``sqrt(v_hat)`` in the denominator.
    weight_decay : float
        L2 coefficient, added to the gradient as ``grad + weight_decay * param``.

    Returns
    -------
    param : ndarray of shape (D,)
    state : dict

    Notes
    -----
    ``g * g`` is finite in float64 for ``|g| < 1e154``; PyTorch, in float32, is
    limited to ``|g| < 1.8e19``. Gradients that large call for gradient clipping.
    """
    beta1, beta2 = betas
    g = grad + weight_decay * param
    t = state["step"] + 1
    m = beta1 * state["exp_avg"] + (1.0 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1.0 - beta2) * g * g
    m_hat = m / (1.0 - beta1**t)
    v_hat = v / (1.0 - beta2**t)
    new_param = param - lr * m_hat / (np.sqrt(v_hat) + eps)
    return new_param, {"step": t, "exp_avg": m, "exp_avg_sq": v}


def minimise(grad_fn, x0, steps, **adam_kwargs):
    """Run ``steps`` Adam updates on a deterministic gradient.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(x)`` returns ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    steps : int

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    x, state, path = x0, adam_init(x0), [x0]
    for _ in range(steps):
        x, state = adam_step(x, grad_fn(x), state, **adam_kwargs)
        path.append(x)
    return np.array(path)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Runs of Adam on quadratics ``f(x) = 0.5 * sum(h * x**2)``: the demo's badly scaled problem,
    non-default betas and eps, a coordinate with zero gradient and one whose gradient is far below
    ``eps``, L2 weight decay, and a single step with a gradient of 1e9.

    Returns
    -------
    list of dict
        Each with x0 (D,), curvatures h (D,), steps (int) and Adam's lr, betas, eps, weight_decay.
    """
    rng = np.random.default_rng(14)
    defaults = {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0}
    return [
        {**defaults, "x0": np.array([1.0, 1.0]), "h": np.array([1000.0, 0.001]), "steps": 200, "lr": 0.01},
        {
            **defaults,
            "x0": rng.normal(size=5),
            "h": rng.uniform(0.1, 10.0, size=5),
            "steps": 50,
            "lr": 0.05,
            "betas": (0.8, 0.99),
            "eps": 1e-6,
        },
        {**defaults, "x0": np.array([1.0, 1.0, 1.0]), "h": np.array([0.0, 1e-12, 1.0]), "steps": 30},
        {**defaults, "x0": rng.normal(size=4), "h": rng.uniform(0.1, 2.0, size=4), "steps": 40, "lr": 0.02, "weight_decay": 0.1},
        {**defaults, "x0": np.array([1e3]), "h": np.array([1e6]), "steps": 1},
    ]


def adam_on_quadratic(x0, h, steps, lr, betas, eps, weight_decay):
    """Adam's iterates on ``f(x) = 0.5 * sum(h * x**2)``, whose gradient is ``h * x``.

    Parameters
    ----------
    x0 : ndarray of shape (D,)
    h : ndarray of shape (D,)
        Curvature of each coordinate (0 gives a zero gradient).
    steps : int
    lr, betas, eps, weight_decay
        As for :func:`adam_step`.

    Returns
    -------
    path : ndarray of shape (steps + 1, D)
        ``x0`` and the parameters after each update.
    """
    return minimise(lambda x: h * x, x0, steps, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def check_first_step_has_magnitude_lr():
    # m_hat_1 = g and v_hat_1 = g^2, so the first step is lr * g / (|g| + eps):
    # lr in every coordinate, whatever the gradient's scale (up to eps).
    p = np.zeros(4)
    g = np.array([1e-3, -2.0, 50.0, -1e4])
    new, state = adam_step(p, g, adam_init(p))
    np.testing.assert_allclose(new, -1e-3 * g / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(np.abs(new), 1e-3, rtol=1e-5)
    assert state["step"] == 1 and np.array_equal(p, np.zeros(4))


def check_bias_correction_matters_early():
    # Without it the first step would be lr * (1 - beta1) / sqrt(1 - beta2) ~ 3.16 lr.
    g = np.array([0.5])
    _, s = adam_step(np.zeros(1), g, adam_init(np.zeros(1)))
    uncorrected = 1e-3 * s["exp_avg"] / (np.sqrt(s["exp_avg_sq"]) + 1e-8)
    np.testing.assert_allclose(uncorrected, 1e-3 * 0.1 / np.sqrt(0.001), rtol=1e-6)


def check_invariant_to_gradient_scale():
    # Multiplying every gradient by c > 0 leaves the updates unchanged (up to eps).
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(20, 3))
    x1 = x2 = np.zeros(3)
    s1, s2 = adam_init(x1), adam_init(x2)
    for g in grads:
        x1, s1 = adam_step(x1, g, s1)
        x2, s2 = adam_step(x2, 1000.0 * g, s2)
    np.testing.assert_allclose(x1, x2, rtol=1e-6)


def check_matches_reference_loop():
    # An independent, literal transcription of Kingma & Ba's Algorithm 1 with non-default settings.
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(10, 2))
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-6
    theta, m, v = np.array([1.0, -1.0]), np.zeros(2), np.zeros(2)
    x, state = theta.copy(), adam_init(theta)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        theta = theta - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        x, state = adam_step(x, g, state, lr=lr, betas=(b1, b2), eps=eps)
    np.testing.assert_allclose(x, theta, rtol=1e-13)


def check_converges_on_badly_scaled_quadratic():
    # f(x) = 0.5 * (1000 x0^2 + 0.001 x1^2): curvatures 10^6 apart. Adam still moves
    # both coordinates at a rate ~lr and reaches the minimum; plain gradient descent
    # with any stable step (< 2/1000) would need ~10^6 steps for x1.
    h = np.array([1000.0, 0.001])
    path = minimise(lambda x: h * x, np.array([1.0, 1.0]), 3000, lr=0.01)
    assert np.max(np.abs(path[-1])) < 0.05, path[-1]


if __name__ == "__main__":
    np.set_printoptions(precision=5, suppress=True)
    h = np.array([1000.0, 0.001])  # f(x) = 0.5 * sum(h * x**2)
    x0 = np.array([1.0, 1.0])
    print("f(x) = 0.5*(1000*x0^2 + 0.001*x1^2); start x = [1, 1], where the gradient is [1000, 0.001]")
    path = minimise(lambda x: h * x, x0, 3000, lr=0.01)
    print("Adam, lr=0.01, first three steps (each ~lr per coordinate):")
    print(np.diff(path[:4], axis=0))
    for t in (100, 1000, 3000):
        print(f"after {t:4d} steps x = [{path[t, 0]:.2e}, {path[t, 1]:.2e}]")
    gd = x0.copy()
    for _ in range(3000):
        gd = gd - 0.0019 * h * gd  # largest stable step is 2/1000
    print(f"gradient descent, lr=0.0019, after 3000 steps x = [{gd[0]:.2e}, {gd[1]:.2e}]")
