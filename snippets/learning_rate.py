"""The learning rate: how far each update moves, its stability limit, and schedules that change it.

On a quadratic with Hessian eigenvalues in ``[mu, L]`` gradient descent converges
iff ``0 < lr < 2 / L``; ``2 / (L + mu)`` gives the fastest worst-case rate.
The schedules are the closed forms of PyTorch's ``torch.optim.lr_scheduler``
classes, as functions of the number of scheduler steps ``t`` taken so far
(``t = 0`` before the first ``scheduler.step()``): ``StepLR``, ``ExponentialLR``,
``CosineAnnealingLR`` (without restarts) and ``LinearLR`` (used for warm-up).
"""

import math

import numpy as np

from snippets.gradient_descent import gradient_descent
from snippets.stochastic_gradient_descent import make_regression, sgd


def max_stable_lr(hessian):
    """Largest constant learning rate for which gradient descent converges on a quadratic.

    Parameters
    ----------
    hessian : ndarray of shape (D, D)
        Symmetric positive definite.

    Returns
    -------
    lr : float
        ``2 / lambda_max``; any smaller positive lr converges, any larger one diverges.
    """
    return 2.0 / np.linalg.eigvalsh(hessian)[-1]


def best_constant_lr(hessian):
    """Constant learning rate with the smallest worst-case contraction, ``2 / (lambda_min + lambda_max)``.

    Parameters
    ----------
    hessian : ndarray of shape (D, D)

    Returns
    -------
    lr : float
    rate : float
        ``(kappa - 1) / (kappa + 1)`` with ``kappa = lambda_max / lambda_min``.
    """
    lam = np.linalg.eigvalsh(hessian)
    return 2.0 / (lam[0] + lam[-1]), (lam[-1] - lam[0]) / (lam[-1] + lam[0])


def step_lr(t, base_lr, step_size, gamma=0.1):
    """``StepLR``: multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Parameters
    ----------
    t : int
        Scheduler steps taken so far (epochs, if ``scheduler.step()`` is called once per epoch).
    base_lr : float
    step_size : int
    gamma : float

    Returns
    -------
    lr : float
        ``base_lr * gamma ** (t // step_size)``.
    """
    return base_lr * gamma ** (t // step_size)


def exponential_lr(t, base_lr, gamma):
    """``ExponentialLR``: multiply the learning rate by ``gamma`` at every step.

    Parameters
    ----------
    t : int
    base_lr : float
    gamma : float

    Returns
    -------
    lr : float
        ``base_lr * gamma ** t``.
    """
    return base_lr * gamma**t


def cosine_annealing_lr(t, base_lr, T_max, eta_min=0.0):
    """``CosineAnnealingLR`` in closed form (no restarts), for ``0 <= t <= T_max``.

    Parameters
    ----------
    t : int
    base_lr : float
        Learning rate at ``t = 0``.
    T_max : int
        Steps to reach ``eta_min``.
    eta_min : float

    Returns
    -------
    lr : float
        ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``.
    """
    return eta_min + (base_lr - eta_min) * (1.0 + math.cos(math.pi * t / T_max)) / 2.0


def linear_lr(t, base_lr, start_factor=1.0 / 3.0, end_factor=1.0, total_iters=5):
    """``LinearLR``: the factor moves linearly from ``start_factor`` to ``end_factor`` over ``total_iters`` steps.

    With ``start_factor < 1`` and ``end_factor = 1`` this is a linear warm-up. The
    defaults are PyTorch's.

    Parameters
    ----------
    t : int
    base_lr : float
    start_factor, end_factor : float
    total_iters : int

    Returns
    -------
    lr : float
        ``base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)``.
    """
    frac = min(t, total_iters) / total_iters
    return base_lr * (start_factor + (end_factor - start_factor) * frac)


def warmup_cosine_lr(t, base_lr, warmup, total, eta_min=0.0):
    """Linear warm-up from ``base_lr / warmup`` to ``base_lr`` over ``warmup`` steps, then cosine decay.

    The usual recipe for transformers (``LinearLR`` then ``CosineAnnealingLR``,
    chained with ``SequentialLR``).

    Parameters
    ----------
    t : int
    base_lr : float
        Peak learning rate, reached at ``t = warmup``.
    warmup : int
    total : int
        The cosine reaches ``eta_min`` at ``t = total``.
    eta_min : float

    Returns
    -------
    lr : float
    """
    if t < warmup:
        return linear_lr(t, base_lr, 1.0 / warmup, 1.0, warmup)
    return cosine_annealing_lr(t - warmup, base_lr, total - warmup, eta_min)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Typical settings (0.1 for 100 epochs, drops at 30), a short run with a floor ``eta_min``, an
    Adam-sized rate, and the shortest run a warm-up then cosine schedule allows (warm-up of one
    step).

    Returns
    -------
    list of dict
        Each with base_lr, steps (the schedule is read at t = 0 .. steps; the cosine reaches
        eta_min at t = steps), step_size and step_gamma (StepLR), exp_gamma (ExponentialLR), eta_min
        and warmup.
    """
    keys = ("base_lr", "steps", "step_size", "step_gamma", "exp_gamma", "eta_min", "warmup")
    rows = [
        (0.1, 100, 30, 0.1, 0.95, 0.0, 10),
        (1.0, 20, 7, 0.5, 0.8, 0.01, 3),
        (3e-4, 50, 10, 0.3, 0.99, 1e-5, 5),
        (0.5, 2, 1, 0.1, 0.5, 0.0, 1),
    ]
    return [dict(zip(keys, row)) for row in rows]


def schedule_values(base_lr, steps, step_size, step_gamma, exp_gamma, eta_min, warmup):
    """The learning rate of each schedule at t = 0, 1, ..., steps.

    Parameters
    ----------
    base_lr : float
    steps : int
    step_size : int
    step_gamma, exp_gamma, eta_min : float
    warmup : int
        Warm-up steps of :func:`warmup_cosine_lr` (which reaches ``eta_min`` at ``steps``).

    Returns
    -------
    step, exponential, cosine, linear, warmup_cosine : ndarray of shape (steps + 1,)
        :func:`step_lr`, :func:`exponential_lr`, :func:`cosine_annealing_lr` with ``T_max = steps``,
        :func:`linear_lr` with its (PyTorch's) defaults, and :func:`warmup_cosine_lr`.
    """
    t = range(steps + 1)
    return (
        np.array([step_lr(i, base_lr, step_size, step_gamma) for i in t]),
        np.array([exponential_lr(i, base_lr, exp_gamma) for i in t]),
        np.array([cosine_annealing_lr(i, base_lr, steps, eta_min) for i in t]),
        np.array([linear_lr(i, base_lr) for i in t]),
        np.array([warmup_cosine_lr(i, base_lr, warmup, steps, eta_min) for i in t]),
    )


# f(x) = 0.5 x^T A x with eigenvalues 1 and 10: stable iff lr < 0.2.
A = np.diag([1.0, 10.0])
X0 = np.array([1.0, 1.0])


def _final_error(lr, steps=60):
    return float(np.linalg.norm(gradient_descent(lambda x: A @ x, X0, lr, steps)[-1]))


def check_stability_threshold_is_two_over_lambda_max():
    lr_max = max_stable_lr(A)
    assert math.isclose(lr_max, 0.2)
    assert _final_error(0.99 * lr_max, 2000) < 1e-3 < 1e3 < _final_error(1.01 * lr_max, 2000)
    # Below the threshold the loss falls at every step; above it, it rises.
    for lr, sign in ((0.99 * lr_max, -1), (1.01 * lr_max, 1)):
        path = gradient_descent(lambda x: A @ x, X0, lr, 50)
        f = 0.5 * np.einsum("ti,ij,tj->t", path, A, path)
        assert np.all(sign * np.diff(f) > 0)


def check_best_constant_lr_minimises_the_rate():
    lr_best, rate = best_constant_lr(A)
    assert math.isclose(lr_best, 2 / 11) and math.isclose(rate, 9 / 11)
    errors = {lr: _final_error(lr) for lr in (0.5 * lr_best, 0.9 * lr_best, lr_best, 1.05 * lr_best)}
    assert min(errors, key=errors.get) == lr_best


def check_schedules_match_pytorch_closed_forms():
    assert [step_lr(t, 0.1, 30) for t in (0, 29, 30, 60)] == [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1**2]
    assert math.isclose(exponential_lr(3, 1.0, 0.5), 0.125)
    assert cosine_annealing_lr(0, 0.1, 100) == 0.1
    assert math.isclose(cosine_annealing_lr(50, 0.1, 100, 0.01), 0.055)
    assert math.isclose(cosine_annealing_lr(100, 0.1, 100, 0.01), 0.01)
    assert [round(linear_lr(t, 0.3), 12) for t in (0, 5, 9)] == [0.1, 0.3, 0.3]
    lrs = [warmup_cosine_lr(t, 1.0, 10, 110) for t in range(110)]
    assert np.all(np.diff(lrs[:11]) > 0) and np.all(np.diff(lrs[10:]) < 0) and lrs[10] == 1.0


def check_decay_beats_constant_lr_under_gradient_noise():
    # Same peak lr, same data order: annealing to 0 ends much closer to the minimiser.
    X, y, w_star = make_regression()
    total = 40 * 100  # 40 epochs, batch size 1
    const = sgd(np.zeros(2), X, y, 0.04, 1, 40, np.random.default_rng(0))
    cos = sgd(np.zeros(2), X, y, lambda t: cosine_annealing_lr(t, 0.04, total), 1, 40, np.random.default_rng(0))
    assert np.linalg.norm(cos[-1] - w_star) < 0.2 * np.linalg.norm(const[-1] - w_star)


if __name__ == "__main__":
    print("gradient descent on f(x) = (x0^2 + 10 x1^2)/2 from (1, 1); limit 2/lambda_max = 0.2")
    for lr in (0.01, 0.1, 2 / 11, 0.199, 0.201):
        print(f"  lr = {lr:.4f}: |x| after 60 steps = {_final_error(lr):.3e}")
    print("  (0.01 and 0.199 are equally slow: |1 - lr*lambda| = 0.99, along x0 for one, x1 for the other)")
    print("schedules, base lr 0.1, 100 steps:   t =   0      25      50      75      99")
    rows = [
        ("StepLR(step_size=30)", lambda t: step_lr(t, 0.1, 30)),
        ("CosineAnnealingLR(T_max=100)", lambda t: cosine_annealing_lr(t, 0.1, 100)),
        ("warm-up 10 steps, then cosine", lambda t: warmup_cosine_lr(t, 0.1, 10, 100)),
    ]
    for name, f in rows:
        print(f"  {name:35s}" + "".join(f"{f(t):8.4f}" for t in (0, 25, 50, 75, 99)))
    X, y, w_star = make_regression()
    const = sgd(np.zeros(2), X, y, 0.04, 1, 40, np.random.default_rng(0))
    cos = sgd(np.zeros(2), X, y, lambda t: cosine_annealing_lr(t, 0.04, 4000), 1, 40, np.random.default_rng(0))
    print("SGD (batch 1, 4000 steps), distance of the last iterate to the minimiser:")
    print(f"  constant lr 0.04: {np.linalg.norm(const[-1] - w_star):.2e}   cosine from 0.04 to 0: {np.linalg.norm(cos[-1] - w_star):.2e}")
