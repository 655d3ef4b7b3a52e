"""Learning-rate warm-up: start with a small learning rate and raise it to its peak over the first steps.

The schedules are multipliers of the peak learning rate, as functions of the
number ``t`` of optimiser steps already taken (``t = 0`` for the first step),
with the conventions of Hugging Face ``transformers``:
``get_constant_schedule_with_warmup`` (``t / W`` during warm-up, so the very
first step has learning rate 0), ``get_linear_schedule_with_warmup`` and
``get_cosine_schedule_with_warmup``. ``torch.optim.lr_scheduler.LinearLR``
(see :mod:`snippets.learning_rate`) instead starts at ``start_factor`` (default
1/3) and never at 0. ``noam_lr`` is the original transformer schedule
(Vaswani et al., 2017, eq. 3), which counts steps from 1.
"""

import math

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def linear_warmup(t, warmup_steps):
    """Warm-up factor, then constant: ``transformers.get_constant_schedule_with_warmup``.

    Parameters
    ----------
    t : int
        Steps taken so far (0 for the first step).
    warmup_steps : int

    Returns
    -------
    factor : float
        ``t / warmup_steps`` for ``t < warmup_steps``, else 1.
    """
    if t < warmup_steps:
        return t / max(1, warmup_steps)
    return 1.0


def linear_schedule_with_warmup(t, warmup_steps, total_steps):
    """Linear warm-up from 0 to 1, then linear decay to 0: ``transformers.get_linear_schedule_with_warmup``.

    Parameters
    ----------
    t : int
    warmup_steps, total_steps : int

    Returns
    -------
    factor : float
        Never negative (0 from ``total_steps`` on).
    """
    if t < warmup_steps:
        return t / max(1, warmup_steps)
    return max(0.0, (total_steps - t) / max(1, total_steps - warmup_steps))


def cosine_schedule_with_warmup(t, warmup_steps, total_steps, num_cycles=0.5):
    """Linear warm-up, then a cosine from 1 to 0: ``transformers.get_cosine_schedule_with_warmup``.

    Parameters
    ----------
    t : int
    warmup_steps, total_steps : int
    num_cycles : float
        0.5 (the default) is half a cosine period, from 1 down to 0.

    Returns
    -------
    factor : float
    """
    if t < warmup_steps:
        return t / max(1, warmup_steps)
    progress = (t - warmup_steps) / max(1, total_steps - warmup_steps)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * num_cycles * 2.0 * progress)))


def noam_lr(step, d_model, warmup_steps=4000):
    """Learning rate of "Attention Is All You Need", ``d_model**-0.5 * min(step**-0.5, step * warmup**-1.5)``.

    Linear increase for ``step <= warmup_steps``, then decay like ``1/sqrt(step)``.

    Parameters
    ----------
    step : int
        Step number, starting at 1 (step 0 would divide by zero).
    d_model : int
        Model width (512 in the base transformer).
    warmup_steps : int
        4000 in the paper.

    Returns
    -------
    lr : float
        The learning rate itself (not a factor); the peak is
        ``(d_model * warmup_steps) ** -0.5`` at ``step = warmup_steps``.
    """
    if step < 1:
        raise ValueError("noam_lr counts steps from 1")
    return d_model**-0.5 * min(step**-0.5, step * warmup_steps**-1.5)


# A loss whose curvature is high far from the minimum and low near it:
# f(x) = x^4/4 + x^2/2, f'(x) = x^3 + x, f''(x) = 3x^2 + 1 (28 at x = 3, 1 at x = 0).
def quartic(x):
    """``f(x) = x**4 / 4 + x**2 / 2`` for x of shape (D,), summed over coordinates."""
    return float(np.sum(x**4 / 4 + x**2 / 2))


def quartic_grad(x):
    """Gradient of :func:`quartic`, ``x**3 + x``, shape (D,)."""
    return x**3 + x


def quartic_curvature(x):
    """Diagonal of the Hessian of :func:`quartic`, ``3 x**2 + 1``, shape (D,)."""
    return 3 * x**2 + 1


def gd_with_schedule(grad, x0, lrs, blowup=1e6):
    """Gradient descent ``x[t+1] = x[t] - lrs[t] * grad(x[t])`` that stops, and says so, if it diverges.

    Plain ``torch.optim.SGD(lr=peak)`` stepped together with a ``LambdaLR`` scheduler.

    Parameters
    ----------
    grad : callable
        Maps ndarray of shape (D,) to ndarray of shape (D,).
    x0 : ndarray of shape (D,)
    lrs : sequence of float
        Learning rate at each step, length T.
    blowup : float
        A coordinate larger than this in absolute value counts as divergence.

    Returns
    -------
    trajectory : ndarray of shape (T' + 1, D)
        The iterates up to the end, or up to the first one that blew up (then T' < T).
    diverged : bool
    """
    x = np.asarray(x0, dtype=np.float64)
    path = [x]
    for lr in lrs:
        x = x - lr * grad(x)
        path.append(x)
        if not np.all(np.abs(x) < blowup):  # also catches inf and NaN
            return np.array(path), True
    return np.array(path), False


def steps_to_tolerance(trajectory, tol=1e-6):
    """First step at which every coordinate is within ``tol`` of 0, or None.

    Parameters
    ----------
    trajectory : ndarray of shape (T + 1, D)

    Returns
    -------
    step : int or None
    """
    hits = np.flatnonzero(np.all(np.abs(trajectory) < tol, axis=1))
    return int(hits[0]) if hits.size else None


PEAK, X0, T = 1.5, np.array([2.5]), 300


def run_warmup(warmup_steps, peak=PEAK, x0=X0, steps=T):
    """The demo's experiment: GD on :func:`quartic` with ``peak * linear_warmup``.

    Returns
    -------
    trajectory : ndarray of shape (T' + 1, 1)
    diverged : bool
    """
    lrs = [peak * linear_warmup(t, warmup_steps) for t in range(steps)]
    return gd_with_schedule(quartic_grad, x0, lrs)


# ---------------------------------------------------------------- checks


def check_quartic_derivatives_match_centred_differences():
    x = np.array([0.7, -1.3, 2.0])
    assert_gradient_close(quartic_grad(x), numerical_gradient(quartic, x.copy()), tol=1e-8)
    # The curvature is the derivative of each gradient coordinate.
    for i in range(3):
        num = numerical_gradient(lambda z: quartic_grad(z)[i], x.copy())
        assert_gradient_close(quartic_curvature(x)[i], num[i], tol=1e-8, what="f''")


def check_schedules_match_transformers_closed_forms():
    assert [linear_warmup(t, 4) for t in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert [linear_schedule_with_warmup(t, 2, 6) for t in (0, 1, 2, 4, 6, 9)] == [0, 0.5, 1, 0.5, 0, 0]
    assert cosine_schedule_with_warmup(10, 10, 110) == 1.0
    assert math.isclose(cosine_schedule_with_warmup(60, 10, 110), 0.5)
    assert math.isclose(cosine_schedule_with_warmup(110, 10, 110), 0.0, abs_tol=1e-15)
    # Zero warm-up steps: the schedules start at their peak instead of dividing by zero.
    assert linear_warmup(0, 0) == 1.0 and linear_schedule_with_warmup(0, 0, 10) == 1.0


def check_noam_peak_and_shape():
    d, w = 512, 4000
    lrs = np.array([noam_lr(s, d, w) for s in range(1, 20001)])
    assert int(np.argmax(lrs)) + 1 == w
    assert_close(lrs.max(), (d * w) ** -0.5, rtol=1e-12, what="peak")
    assert_close(lrs[:w], np.arange(1, w + 1) * d**-0.5 * w**-1.5, rtol=1e-12, what="linear part")
    assert_close(lrs[w - 1 :], d**-0.5 / np.sqrt(np.arange(w, 20001)), rtol=1e-12, what="1/sqrt part")


def check_warmup_makes_a_large_peak_lr_stable():
    # Without warm-up the first step meets curvature f''(2.5) = 19.75, and 1.5 * 19.75 >> 2: divergence.
    _, diverged = run_warmup(0)
    assert diverged
    for w in (20, 50):
        path, diverged = run_warmup(w)
        assert not diverged and steps_to_tolerance(path) is not None
        # Along the successful path lr_t * f''(x_t) stays below the stability limit 2.
        lrs = np.array([PEAK * linear_warmup(t, w) for t in range(len(path) - 1)])
        assert np.max(lrs * quartic_curvature(path[:-1, 0])) < 2


def check_warmup_is_faster_than_a_small_safe_lr():
    # The largest constant lr that is stable at the start is 2 / f''(x0) ~ 0.1; it is slow near 0,
    # where the error only shrinks by |1 - lr| per step.
    safe = 1.9 / quartic_curvature(X0)[0]
    slow, diverged = gd_with_schedule(quartic_grad, X0, [safe] * T)
    fast, _ = run_warmup(20)
    assert not diverged and steps_to_tolerance(fast) < steps_to_tolerance(slow) / 3


def check_divergence_is_reported_not_returned_as_nan():
    path, diverged = gd_with_schedule(quartic_grad, np.array([10.0]), [5.0] * 50)
    assert diverged and np.all(np.isfinite(path[:-1])) and len(path) < 51
    try:
        noam_lr(0, 512)
    except ValueError:
        pass
    else:
        raise AssertionError("step 0 must raise")


def plot_schedules_and_runs():
    """Figure: three warm-up schedules, and GD on the quartic with and without warm-up (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    t = np.arange(1000)
    ax1.plot(t, [linear_schedule_with_warmup(s, 100, 1000) for s in t], label="linear warm-up, linear decay")
    ax1.plot(t, [cosine_schedule_with_warmup(s, 100, 1000) for s in t], label="linear warm-up, cosine decay")
    noam = np.array([noam_lr(s + 1, 512, 100) for s in t])
    ax1.plot(t, noam / noam.max(), label="Noam (transformer), scaled to peak 1")
    ax1.axvline(100, color="gray", linewidth=0.8, linestyle=":")
    ax1.set_xlabel("step (warm-up = 100 steps)")
    ax1.set_ylabel("learning rate / peak")
    ax1.legend(fontsize=8)
    for w, c in ((0, "crimson"), (5, "darkorange"), (20, "navy"), (50, "teal")):
        path, diverged = run_warmup(w)
        label = f"warm-up {w} steps" + (" (diverges)" if diverged else "")
        ax2.semilogy(np.abs(path[:, 0]) + 1e-300, color=c, label=label)
    safe = 1.9 / quartic_curvature(X0)[0]
    slow, _ = gd_with_schedule(quartic_grad, X0, [safe] * 120)
    ax2.semilogy(np.abs(slow[:, 0]), color="gray", linestyle="--", label=f"constant lr {safe:.3f}, no warm-up")
    ax2.set_ylim(1e-12, 1e6)
    ax2.set_xlim(0, 120)
    ax2.set_xlabel("step")
    ax2.set_ylabel("|x| (distance to the minimum)")
    ax2.set_title("GD on x^4/4 + x^2/2 from x = 2.5, peak lr 1.5", fontsize=10)
    ax2.legend(fontsize=8)
    fig.set_label(
        "Left: learning rate against step for three schedules, each rising linearly for 100 "
        "steps and then decaying. Right: distance to the minimum on a log scale; without "
        "warm-up or with 5 warm-up steps it shoots up and diverges within a few steps, with 20 "
        "or 50 steps it falls quickly to 1e-12, and a small constant learning rate falls slowly"
    )
    return fig


if __name__ == "__main__":
    print("f(x) = x^4/4 + x^2/2 from x = 2.5: curvature f'' = 3x^2 + 1 is 19.75 there, 1 at the minimum")
    print(f"gradient descent with peak lr {PEAK} (stable near the minimum, since {PEAK} * 1 < 2):")
    for w in (0, 5, 10, 20, 50):
        path, diverged = run_warmup(w)
        if diverged:
            print(f"  warm-up {w:2d} steps: diverges at step {len(path) - 1} (|x| = {abs(path[-1, 0]):.1e})")
        else:
            print(f"  warm-up {w:2d} steps: |x| < 1e-6 after {steps_to_tolerance(path)} steps")
    safe = 1.9 / quartic_curvature(X0)[0]
    slow, _ = gd_with_schedule(quartic_grad, X0, [safe] * T)
    print(f"  constant lr {safe:.4f} (= 1.9 / f''(2.5)), no warm-up: |x| < 1e-6 after {steps_to_tolerance(slow)} steps")
    print("schedules with warm-up 4 of 10 steps, t = 0..10:")
    print("  linear:", [round(linear_schedule_with_warmup(t, 4, 10), 3) for t in range(11)])
    print("  cosine:", [round(cosine_schedule_with_warmup(t, 4, 10), 3) for t in range(11)])
    print(f"Noam, d_model=512, warm-up 4000: peak {noam_lr(4000, 512):.2e} at step 4000, {noam_lr(16000, 512):.2e} at 16000")
    plot_schedules_and_runs()
