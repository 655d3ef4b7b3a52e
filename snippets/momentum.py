"""Momentum: accumulate past gradients into a velocity and step along it.

Two ways of writing the same method are in use:

* **PyTorch** (``torch.optim.SGD(momentum=mu, dampening=0)``), :func:`momentum_step`::

      buf = mu * buf + g            p = p - lr * buf                (heavy ball)
      buf = mu * buf + g            p = p - lr * (g + mu * buf)     (nesterov=True)

* **Classical** (Polyak 1964; Sutskever et al. 2013), :func:`classical_momentum_step`::

      v = mu * v - lr * grad(p)             p = p + v               (heavy ball)
      v = mu * v - lr * grad(p + mu * v)    p = p + v               (Nesterov)

With a constant learning rate they produce the same iterates (``v = -lr * buf``;
for Nesterov, PyTorch's ``p`` is the classical look-ahead point ``p + mu * v``).
They differ when ``lr`` changes: PyTorch multiplies the whole accumulated buffer
by the *new* ``lr`` at once, whereas the classical velocity keeps the step sizes
with which it was built. State is explicit: the buffer/velocity is passed in and
returned, starting from zeros (with ``dampening=0`` this equals PyTorch's
``buf = g`` on the first step).
"""

import numpy as np

from snippets.gradient_descent import gradient_descent


def momentum_step(param, grad, buf, lr, momentum=0.9, nesterov=False):
    """One update of ``torch.optim.SGD`` with momentum (``dampening=0``, ``weight_decay=0``).

    Parameters
    ----------
    param : ndarray of shape (D,)
    grad : ndarray of shape (D,)
        Gradient at ``param``.
    buf : ndarray of shape (D,)
        Momentum buffer (zeros before the first step).
    lr : float
    momentum : float
        ``mu`` in [0, 1).
    nesterov : bool

    Returns
    -------
    param : ndarray of shape (D,)
    buf : ndarray of shape (D,)
    """
    buf = momentum * buf + grad
    step = grad + momentum * buf if nesterov else buf
    return param - lr * step, buf


def classical_momentum_step(param, velocity, grad_fn, lr, momentum=0.9, nesterov=False):
    """One update in the classical (Polyak / Sutskever et al. 2013) form.

    Parameters
    ----------
    param : ndarray of shape (D,)
    velocity : ndarray of shape (D,)
        ``v`` (zeros before the first step); it already includes ``lr``.
    grad_fn : callable
        ``grad_fn(x)`` returns the gradient, ndarray of shape (D,). Nesterov
        evaluates it at the look-ahead point ``param + momentum * velocity``.
    lr : float
    momentum : float
    nesterov : bool

    Returns
    -------
    param : ndarray of shape (D,)
    velocity : ndarray of shape (D,)
    """
    at = param + momentum * velocity if nesterov else param
    velocity = momentum * velocity - lr * grad_fn(at)
    return param + velocity, velocity


def run_momentum(grad_fn, x0, lr, momentum, steps, nesterov=False):
    """Iterate :func:`momentum_step` (PyTorch form) on a deterministic gradient.

    Parameters
    ----------
    grad_fn : callable
        ``grad_fn(x)`` -> ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    lr : float or sequence of float
        Constant, or one value per step.
    momentum : float
    steps : int
    nesterov : bool

    Returns
    -------
    trajectory : ndarray of shape (steps + 1, D)
    """
    lrs = np.broadcast_to(np.asarray(lr, dtype=float), (steps,))
    x, buf, path = x0, np.zeros_like(x0), [x0]
    for t in range(steps):
        x, buf = momentum_step(x, grad_fn(x), buf, lrs[t], momentum, nesterov)
        path.append(x)
    return np.array(path)


def steps_to_tolerance(trajectory, tol=1e-6):
    """First step at which ``||x_t|| <= tol * ||x_0||`` (the minimiser is 0), or -1.

    Parameters
    ----------
    trajectory : ndarray of shape (T + 1, D)

    Returns
    -------
    t : int
    """
    norms = np.linalg.norm(trajectory, axis=1)
    hit = np.flatnonzero(norms <= tol * norms[0])
    return int(hit[0]) if hit.size else -1


# An ill-conditioned quadratic f(x) = 0.5 * x^T H x with curvatures L = 1 and mu = 0.01 (kappa = 100).
H = np.array([1.0, 0.01])
X0 = np.array([1.0, 1.0])


def quadratic_grad(x):
    """Gradient ``H * x`` of the demo quadratic.

    Parameters
    ----------
    x : ndarray of shape (2,)

    Returns
    -------
    grad : ndarray of shape (2,)
    """
    return H * x


def tuned_heavy_ball(L, mu):
    """Polyak's optimal heavy-ball parameters for curvatures in [mu, L].

    Returns
    -------
    lr, momentum, rate : float
        ``lr = 4 / (sqrt L + sqrt mu)^2``, ``momentum = ((sqrt k - 1)/(sqrt k + 1))^2``,
        asymptotic rate ``(sqrt k - 1)/(sqrt k + 1)`` with ``k = L / mu``.
    """
    sk = np.sqrt(L / mu)
    return 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2, ((sk - 1) / (sk + 1)) ** 2, (sk - 1) / (sk + 1)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Runs on quadratics ``f(x) = 0.5 * sum(h * x**2)``: the demo problem with Polyak's tuned heavy
    ball, Nesterov, a learning rate cut by 10 mid-run (where the PyTorch form and the classical
    form part ways), momentum 0 (plain gradient descent), and a single Nesterov step.

    Returns
    -------
    list of dict
        Each with x0 (D,), curvatures h (D,), lr (steps,) one learning rate per update, momentum
        (float), nesterov (bool) and steps (int).
    """
    rng = np.random.default_rng(15)
    lr, mu, _ = tuned_heavy_ball(1.0, 0.01)
    cases = [{"x0": X0.copy(), "h": H.copy(), "lr": np.full(100, lr), "momentum": mu, "nesterov": False}]
    cases.append({"x0": rng.normal(size=4), "h": rng.uniform(0.1, 2.0, size=4), "lr": np.full(50, 0.1), "momentum": 0.9, "nesterov": True})
    schedule = np.where(np.arange(40) < 20, 0.2, 0.02)
    cases.append({"x0": rng.normal(size=3), "h": rng.uniform(0.1, 5.0, size=3), "lr": schedule, "momentum": 0.9, "nesterov": False})
    cases.append({"x0": rng.normal(size=3), "h": rng.uniform(0.1, 5.0, size=3), "lr": np.full(10, 0.1), "momentum": 0.0, "nesterov": False})
    cases.append({"x0": np.array([2.0]), "h": np.array([3.0]), "lr": np.array([0.1]), "momentum": 0.5, "nesterov": True})
    for case in cases:
        case["steps"] = len(case["lr"])
    return cases


def momentum_on_quadratic(x0, h, lr, momentum, nesterov, steps):
    """Iterates of :func:`run_momentum` (the PyTorch form) on ``f(x) = 0.5 * sum(h * x**2)``.

    Parameters
    ----------
    x0 : ndarray of shape (D,)
    h : ndarray of shape (D,)
        Curvatures; the gradient is ``h * x``.
    lr : ndarray of shape (steps,)
        Learning rate of each update.
    momentum : float
    nesterov : bool
    steps : int

    Returns
    -------
    path : ndarray of shape (steps + 1, D)
    """
    return run_momentum(lambda x: h * x, x0, lr, momentum, steps, nesterov)


def check_pytorch_and_classical_forms_agree_at_constant_lr():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(3, 3))
    A = A @ A.T + np.eye(3)

    def grad(x):
        return A @ x

    for nesterov in (False, True):
        p = q = rng.normal(size=3)
        buf, v = np.zeros(3), np.zeros(3)
        for _ in range(30):
            p, buf = momentum_step(p, grad(p), buf, 0.05, 0.9, nesterov)
            q, v = classical_momentum_step(q, v, grad, 0.05, 0.9, nesterov)
            np.testing.assert_allclose(buf, -v / 0.05, rtol=1e-9, atol=1e-12)
            # heavy ball: same point; Nesterov: PyTorch tracks the look-ahead point q + mu v
            np.testing.assert_allclose(p, q + 0.9 * v if nesterov else q, rtol=1e-9, atol=1e-12)


def check_forms_differ_when_lr_changes():
    # Drop lr from 0.1 to 0.01: PyTorch rescales the old velocity at once, the classical form does not.
    grad = quadratic_grad
    p = q = X0
    buf, v = np.zeros(2), np.zeros(2)
    for lr in [0.1] * 5:
        p, buf = momentum_step(p, grad(p), buf, lr)
        q, v = classical_momentum_step(q, v, grad, lr)
    np.testing.assert_allclose(p, q)
    p1, _ = momentum_step(p, grad(p), buf, 0.01)
    q1, _ = classical_momentum_step(q, v, grad, 0.01)
    np.testing.assert_allclose(p1 - p, -0.01 * (0.9 * buf + grad(p)))
    np.testing.assert_allclose(q1 - q, 0.9 * v - 0.01 * grad(q))
    assert np.linalg.norm(q1 - q) > 5 * np.linalg.norm(p1 - p)


def check_momentum_beats_gradient_descent_on_ill_conditioned_quadratic():
    L, mu = 1.0, 0.01
    gd = steps_to_tolerance(gradient_descent(quadratic_grad, X0, 2.0 / (L + mu), 2000))
    lr, m, rate = tuned_heavy_ball(L, mu)
    hb = steps_to_tolerance(run_momentum(quadratic_grad, X0, lr, m, 2000))
    nag = steps_to_tolerance(run_momentum(quadratic_grad, X0, 1.0 / L, 0.9, 2000, nesterov=True))
    # GD's best rate is (k-1)/(k+1) = 0.980; tuned heavy ball's is (sqrt k - 1)/(sqrt k + 1) = 0.818.
    assert 0 < hb < gd / 5, (hb, gd)
    assert 0 < nag < gd / 3, (nag, gd)
    assert abs(rate - 9 / 11) < 1e-12


def check_momentum_averages_gradients():
    # With a constant gradient g, the step approaches lr * g / (1 - mu): 10x for mu = 0.9.
    g = np.array([1.0, -2.0])
    p, buf = np.zeros(2), np.zeros(2)
    for _ in range(200):
        p_new, buf = momentum_step(p, g, buf, 0.1, 0.9)
        step, p = p_new - p, p_new
    np.testing.assert_allclose(step, -0.1 * g / (1 - 0.9), rtol=1e-8)


if __name__ == "__main__":
    L, mu = 1.0, 0.01
    print(f"f(x) = 0.5*(x0^2 + 0.01*x1^2): condition number {L / mu:.0f}; steps until ||x|| <= 1e-6 ||x_0||")
    lr_hb, m_hb, rate_hb = tuned_heavy_ball(L, mu)
    runs = [
        ("gradient descent, lr=1", gradient_descent(quadratic_grad, X0, 1.0, 3000)),
        ("gradient descent, lr=2/(L+mu)", gradient_descent(quadratic_grad, X0, 2 / (L + mu), 3000)),
        ("momentum 0.9, lr=1", run_momentum(quadratic_grad, X0, 1.0, 0.9, 3000)),
        ("Nesterov 0.9, lr=1", run_momentum(quadratic_grad, X0, 1.0, 0.9, 3000, nesterov=True)),
        (f"heavy ball tuned (lr={lr_hb:.3f}, momentum={m_hb:.3f})", run_momentum(quadratic_grad, X0, lr_hb, m_hb, 3000)),
    ]
    for name, path in runs:
        print(f"  {name:48s} {steps_to_tolerance(path):5d}")
    print(f"rates per step: GD best {(L - mu) / (L + mu):.3f}, tuned heavy ball {rate_hb:.3f}")
