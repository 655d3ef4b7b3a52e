"""Adagrad: divide each gradient coordinate by the root of the sum of all its past squares.

``adagrad_step`` follows ``torch.optim.Adagrad`` (defaults ``lr=1e-2,
lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10``; ``eps`` is
added *after* the square root; the learning rate at step t is
``lr / (1 + (t - 1) * lr_decay)``; ``weight_decay`` is an L2 term added to the
gradient). This is the diagonal version of Duchi, Hazan and Singer's algorithm,
which is what every deep-learning framework implements. The state (the running
sum ``state_sum``) is explicit: ``adagrad_init`` creates it and ``adagrad_step``
returns an updated copy.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.rmsprop import bowl, bowl_grad, rmsprop_init, rmsprop_step, run_optimizer


def adagrad_init(param, initial_accumulator_value=0.0):
    """Fresh Adagrad state (names as in PyTorch's optimiser state).

    Parameters
    ----------
    param : ndarray of shape (D,)
    initial_accumulator_value : float
        Starting value of every entry of the sum of squared gradients.

    Returns
    -------
    state : dict
        ``step`` (int, 0) and ``sum`` (ndarray of shape (D,), filled with
        ``initial_accumulator_value``).
    """
    if initial_accumulator_value < 0:
        raise ValueError("initial_accumulator_value must be >= 0")
    return {"step": 0, "sum": np.full(np.shape(param), float(initial_accumulator_value))}


def adagrad_step(param, grad, state, lr=1e-2, lr_decay=0.0, weight_decay=0.0, eps=1e-10):
    r"""One update of ``torch.optim.Adagrad``.

    .. math::
        \tilde\eta_t = \frac{\eta}{1 + (t-1)\,\mathrm{lr\_decay}},\qquad
        s_t = s_{t-1} + g_t^2,\qquad
        \theta_t = \theta_{t-1} - \tilde\eta_t\, \frac{g_t}{\sqrt{s_t} + \epsilon}.

    Parameters
    ----------
    param : ndarray of shape (D,)
    grad : ndarray of shape (D,)
        Gradient at ``param``; it and its square must be finite (else ``ValueError``).
    state : dict
        From :func:`adagrad_init` or a previous call; not modified.
    lr : float
    lr_decay : float
        Extra ``1/t`` decay of the learning rate (0 in the original algorithm).
    weight_decay : float
        L2 coefficient: the gradient becomes ``grad + weight_decay * param``.
    eps : float
        Added to ``sqrt(sum)``.

    Returns
    -------
    param : ndarray of shape (D,)
    state : dict
    """
    if not (lr >= 0 and lr_decay >= 0 and eps >= 0):
        raise ValueError("need lr >= 0, lr_decay >= 0 and eps >= 0")
    g = np.asarray(grad, dtype=np.float64) + weight_decay * param
    t = state["step"] + 1
    with np.errstate(over="ignore", invalid="ignore"):  # reported just below instead
        s = state["sum"] + g * g
    if not np.all(np.isfinite(s)):
        raise ValueError("gradient is NaN/inf or its square overflows float64: clip the gradients")
    clr = lr / (1.0 + (t - 1) * lr_decay)
    return param - clr * g / (np.sqrt(s) + eps), {"step": t, "sum": s}


def effective_lr(state, lr=1e-2, eps=1e-10):
    """Per-coordinate step size that the next update will use, ``lr / (sqrt(sum) + eps)``.

    Parameters
    ----------
    state : dict
        Adagrad state (``sum`` of shape (D,)), taken before the next gradient is added.
    lr : float
    eps : float

    Returns
    -------
    rate : ndarray of shape (D,)
    """
    return lr / (np.sqrt(state["sum"]) + eps)


def sparse_gradients(steps, every=10):
    """A frequent feature (gradient 1 at every step) and a rare one (gradient 1 every ``every`` steps).

    Returns
    -------
    grads : ndarray of shape (steps, 2)
    """
    g = np.zeros((steps, 2))
    g[:, 0] = 1.0
    g[every - 1 :: every, 1] = 1.0
    return g


# ---------------------------------------------------------------- checks


def check_matches_literal_pytorch_algorithm():
    # Independent transcription of the torch.optim.Adagrad pseudo-code with every option on.
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(12, 3))
    lr, lr_decay, wd, tau, eps = 0.1, 0.05, 0.01, 0.5, 1e-10
    theta, ssum = np.array([1.0, -1.0, 2.0]), np.full(3, tau)
    x, st = theta.copy(), adagrad_init(theta, initial_accumulator_value=tau)
    for t, g in enumerate(grads, start=1):
        gt = g + wd * theta
        ssum = ssum + gt**2
        theta = theta - lr / (1 + (t - 1) * lr_decay) * gt / (np.sqrt(ssum) + eps)
        x, st = adagrad_step(x, g, st, lr=lr, lr_decay=lr_decay, weight_decay=wd, eps=eps)
    assert_close(x, theta, rtol=1e-13, what="Adagrad(lr_decay, weight_decay, initial_accumulator_value)")


def check_constant_gradient_steps_shrink_like_one_over_sqrt_t():
    # sum_t = t g^2, so step t is lr / sqrt(t) and the distance after T steps is lr * sum_t t^-1/2 < 2 lr sqrt(T).
    x, st, steps = np.zeros(1), adagrad_init(np.zeros(1)), []
    for _ in range(400):
        new, st = adagrad_step(x, np.array([-3.0]), st, lr=0.1)
        steps.append(new[0] - x[0])
        x = new
    t = np.arange(1, 401)
    assert_close(steps, 0.1 / np.sqrt(t), rtol=1e-9, what="step t")
    assert 2 * 0.1 * (np.sqrt(401) - 1) < x[0] < 2 * 0.1 * np.sqrt(400)


def check_rare_feature_gets_larger_steps():
    # After 100 steps the rare coordinate has seen 10 unit gradients, the frequent one 100:
    # its effective learning rate is sqrt(10) times larger.
    x, st = np.zeros(2), adagrad_init(np.zeros(2))
    for g in sparse_gradients(100):
        x, st = adagrad_step(x, g, st, lr=1.0)
    rate = effective_lr(st, lr=1.0)
    assert_close(rate[1] / rate[0], np.sqrt(10), rtol=1e-9, what="rate ratio")
    assert_close(-x, [np.sum(1 / np.sqrt(np.arange(1, 101))), np.sum(1 / np.sqrt(np.arange(1, 11)))], rtol=1e-9, what="distance moved")


def check_effective_rate_never_increases():
    rng = np.random.default_rng(1)
    x, st, prev = np.zeros(4), adagrad_init(np.zeros(4)), np.full(4, np.inf)
    for g in rng.normal(size=(50, 4)) * rng.exponential(size=(50, 1)):
        x, st = adagrad_step(x, g, st)
        rate = effective_lr(st)
        assert np.all(rate <= prev)
        prev = rate


def check_invariant_to_gradient_scale():
    rng = np.random.default_rng(2)
    grads = rng.normal(size=(20, 3))
    x1 = x2 = np.ones(3)
    s1, s2 = adagrad_init(x1), adagrad_init(x2)
    for g in grads:
        x1, s1 = adagrad_step(x1, g, s1)
        x2, s2 = adagrad_step(x2, 1e-5 * g, s2)
    assert_close(x1, x2, rtol=1e-4, what="updates with gradients x 1e-5")  # eps=1e-10 matters slightly


def check_extreme_inputs():
    # A zero first gradient: 0 / (0 + eps) = 0, no step and no NaN.
    x, st = adagrad_step(np.ones(2), np.zeros(2), adagrad_init(np.ones(2)))
    assert np.array_equal(x, np.ones(2)) and np.all(st["sum"] == 0)
    # Batch of one coordinate with a huge (but squarable) gradient: still a step of exactly lr.
    x, _ = adagrad_step(np.zeros(1), np.array([1e150]), adagrad_init(np.zeros(1)), lr=0.5)
    assert_close(x, [-0.5], rtol=1e-12)
    for bad in (np.inf, 1e200):
        try:
            adagrad_step(np.zeros(1), np.array([bad]), adagrad_init(np.zeros(1)))
        except ValueError:
            pass
        else:
            raise AssertionError(f"gradient {bad} must raise")


def check_converges_on_elongated_bowl():
    path = run_optimizer(adagrad_step, adagrad_init, bowl_grad, np.array([1.0, 1.0]), 500, lr=0.5)
    assert bowl(path[-1]) < 1e-8


def plot_effective_rates(steps=1000, lr=0.1):
    """Figure: per-coordinate step size of Adagrad and RMSProp on sparse gradients (needs matplotlib)."""
    import matplotlib.pyplot as plt

    grads = sparse_gradients(steps)
    ada, ada_st = [], adagrad_init(np.zeros(2))
    rms, rms_st = [], rmsprop_init(np.zeros(2))
    x = y = np.zeros(2)
    for g in grads:
        x, ada_st = adagrad_step(x, g, ada_st, lr=lr)
        y, rms_st = rmsprop_step(y, g, rms_st, lr=lr)
        ada.append(effective_lr(ada_st, lr))
        rms.append(lr / (np.sqrt(rms_st["square_avg"]) + 1e-8))
    # From step 10 on: before the rare feature's first gradient its rate is lr / eps.
    ada, rms, t = np.array(ada)[9:], np.array(rms)[9:], np.arange(10, steps + 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(t, ada[:, 0], color="navy", label="Adagrad, frequent feature")
    ax.plot(t, ada[:, 1], color="navy", linestyle="--", label="Adagrad, rare feature (1 step in 10)")
    ax.plot(t, rms[:, 0], color="crimson", label="RMSProp (alpha=0.99), frequent feature")
    ax.plot(t, rms[:, 1], color="crimson", linestyle="--", label="RMSProp, rare feature")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("step size lr / sqrt(accumulator)")
    ax.legend(fontsize=8)
    ax.set_title(f"Per-coordinate learning rate, lr = {lr}")
    fig.set_label(
        "Step sizes against the step number, both axes logarithmic: Adagrad's fall along "
        "straight lines of slope -1/2 (like 1/sqrt(t)), the rare feature's staying about three "
        "times above the frequent one's; RMSProp's level off, near lr for the frequent feature "
        "and about three times higher for the rare one"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("constant gradient g = -3: Adagrad (lr=0.1) steps are lr/sqrt(t)")
    x, st = np.zeros(1), adagrad_init(np.zeros(1))
    for t in range(1, 10001):
        new, st = adagrad_step(x, np.array([-3.0]), st, lr=0.1)
        if t in (1, 4, 100, 10000):
            print(f"  step {t:5d}: size {new[0] - x[0]:.4f}, distance so far {new[0]:.2f}")
        x = new
    print("sparse gradients: feature 0 every step, feature 1 every 10th step; 100 steps, lr=1")
    x, st = np.zeros(2), adagrad_init(np.zeros(2))
    for g in sparse_gradients(100):
        x, st = adagrad_step(x, g, st, lr=1.0)
    print("  sum of squared gradients:", st["sum"])
    print("  effective learning rate: ", effective_lr(st, lr=1.0))
    print("  distance moved, Adagrad: ", -x, " (plain SGD with lr=1: [100. 10.])")
    plot_effective_rates()
