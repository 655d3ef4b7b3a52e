"""Weight decay: shrink every weight towards zero by a fixed fraction at each step.

Three forms, attributed precisely because they differ:

* ``sgd_step`` is ``torch.optim.SGD(lr, momentum, weight_decay)``: ``weight_decay * w`` is added
  to the gradient *before* momentum (dampening 0, the buffer starts as the first gradient). For
  SGD this coupled form and an L2 penalty ``weight_decay / 2 * ||w||^2`` are the same update.
* ``adamw_step`` is ``torch.optim.AdamW(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)``:
  first ``w <- w - lr * weight_decay * w``, then the Adam step on the raw gradient
  (``snippets.adam.adam_step`` with no L2 term). ``adam_step(..., weight_decay=wd)`` from
  ``snippets.adam`` is ``torch.optim.Adam``'s L2 form, which the adaptive scaling distorts.
* ``adamw_paper_step`` is Algorithm 2 of Loshchilov & Hutter (arXiv 2017, ICLR 2019):
  ``w <- w - eta_t * (alpha * m_hat / (sqrt(v_hat) + eps) + lambda * w)``, where ``alpha`` is the
  learning rate and ``eta_t`` a schedule multiplier; the decay is scaled by ``eta_t``, not by
  ``alpha``. PyTorch's form equals it with ``lr = alpha * eta_t`` and
  ``weight_decay = lambda / alpha``.
"""

import numpy as np

from snippets.adam import adam_init, adam_step
from snippets.regularization import ridge_closed_form


def sgd_step(w, grad, buf, lr, momentum=0.0, weight_decay=0.0):
    """One ``torch.optim.SGD`` step with coupled weight decay.

    Parameters
    ----------
    w, grad : ndarray of shape (D,)
    buf : ndarray of shape (D,) or None
        Momentum buffer; None before the first step.
    lr, momentum, weight_decay : float

    Returns
    -------
    w : ndarray of shape (D,)
    buf : ndarray of shape (D,) or None
    """
    d = grad + weight_decay * w
    if momentum:
        buf = d.copy() if buf is None else momentum * buf + d
        d = buf
    return w - lr * d, buf


def adamw_step(param, grad, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """One ``torch.optim.AdamW`` step: decoupled decay by ``lr * weight_decay``, then Adam.

    Parameters
    ----------
    param, grad : ndarray of shape (D,)
    state : dict
        From ``snippets.adam.adam_init``.
    lr : float
    betas : tuple of float
    eps : float
    weight_decay : float

    Returns
    -------
    param : ndarray of shape (D,)
    state : dict
    """
    decayed = param * (1.0 - lr * weight_decay)
    return adam_step(decayed, grad, state, lr=lr, betas=betas, eps=eps)


def adamw_paper_step(param, grad, state, alpha, eta_t, lam, betas=(0.9, 0.999), eps=1e-8):
    """One step of AdamW as written in Loshchilov & Hutter's Algorithm 2.

    ``theta_t = theta_{t-1} - eta_t * (alpha * m_hat_t / (sqrt(v_hat_t) + eps) + lam * theta_{t-1})``.

    Parameters
    ----------
    param, grad : ndarray of shape (D,)
    state : dict
        From ``snippets.adam.adam_init``.
    alpha : float
        Learning rate.
    eta_t : float
        Schedule multiplier at this step (1 for a constant schedule).
    lam : float
        Weight-decay factor, multiplied by ``eta_t`` only.
    betas : tuple of float
    eps : float

    Returns
    -------
    param : ndarray of shape (D,)
    state : dict
    """
    stepped, state = adam_step(param, grad, state, lr=alpha * eta_t, betas=betas, eps=eps)
    return stepped - eta_t * lam * param, state


def decay_half_life(lr, weight_decay):
    """Steps for pure decoupled decay, ``w <- (1 - lr * wd) w``, to halve a weight.

    Parameters
    ----------
    lr, weight_decay : float
        ``0 < lr * weight_decay < 1``.

    Returns
    -------
    float
        ``ln 2 / -ln(1 - lr * wd)``, about ``0.693 / (lr * wd)``.
    """
    f = lr * weight_decay
    if not 0.0 < f < 1.0:
        raise ValueError(f"need 0 < lr * weight_decay < 1, got {f}")
    return float(np.log(2.0) / -np.log1p(-f))


def noisy_gradients(n_steps, scales, seed=0):
    """Zero-mean gradient noise with a different scale per weight (no signal, only decay acts).

    Returns
    -------
    ndarray of shape (n_steps, D)
    """
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_steps, len(scales))) * np.asarray(scales)


def run(optimizer, grads, w0, lr, wd):
    """Trajectory of ``|w|`` under ``optimizer`` in {"adam_l2", "adamw"}.

    Parameters
    ----------
    optimizer : str
    grads : ndarray of shape (T, D)
    w0 : ndarray of shape (D,)
    lr, wd : float

    Returns
    -------
    ndarray of shape (T + 1, D)
    """
    w, state, path = w0.copy(), adam_init(w0), [np.abs(w0)]
    for g in grads:
        if optimizer == "adamw":
            w, state = adamw_step(w, g, state, lr=lr, weight_decay=wd)
        else:
            w, state = adam_step(w, g, state, lr=lr, weight_decay=wd)
        path.append(np.abs(w))
    return np.array(path)


# ---------------------------------------------------------------- checks


def check_sgd_weight_decay_equals_l2_penalty_even_with_momentum():
    # torch.optim.SGD adds wd * w to the gradient before the momentum buffer, so its trajectory is
    # exactly gradient descent with momentum on loss + wd / 2 * ||w||^2.
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(20, 4))
    w1 = w2 = np.ones(4)
    b1 = b2 = None
    for g in grads:
        w1, b1 = sgd_step(w1, g, b1, 0.1, momentum=0.9, weight_decay=0.05)
        w2, b2 = sgd_step(w2, g + 0.05 * w2, b2, 0.1, momentum=0.9)  # penalty gradient added by hand
    np.testing.assert_allclose(w1, w2, rtol=1e-13)
    # Without momentum it is also the shrink-then-step form: (1 - lr wd) w - lr g.
    w = rng.normal(size=4)
    np.testing.assert_allclose(sgd_step(w, grads[0], None, 0.1, weight_decay=0.05)[0], (1 - 0.1 * 0.05) * w - 0.1 * grads[0], rtol=1e-13)


def check_gradient_descent_with_weight_decay_is_ridge():
    # Fixed point of w <- w - lr * ((2/N) X^T (X w - y) + wd w): (X^T X + (N wd / 2) I) w = X^T y,
    # the ridge solution with alpha = N * wd / 2.
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(40, 5)), rng.normal(size=40)
    wd, lr, w, buf = 0.3, 0.05, np.zeros(5), None
    for _ in range(3000):
        w, buf = sgd_step(w, 2.0 / 40 * X.T @ (X @ w - y), buf, lr, weight_decay=wd)
    np.testing.assert_allclose(w, ridge_closed_form(X, y, 40 * wd / 2), rtol=1e-9)


def check_pytorch_adamw_equals_the_paper_with_reparameterised_decay():
    # With a cosine schedule eta_t, torch's AdamW(lr = alpha * eta_t, weight_decay = lam / alpha)
    # takes exactly the paper's steps.
    rng = np.random.default_rng(2)
    grads = rng.normal(size=(30, 3))
    alpha, lam = 1e-2, 1e-3
    eta = 0.5 * (1 + np.cos(np.pi * np.arange(30) / 30))
    p1 = p2 = np.array([1.0, -2.0, 0.5])
    s1, s2 = adam_init(p1), adam_init(p2)
    for g, e in zip(grads, eta):
        p1, s1 = adamw_paper_step(p1, g, s1, alpha, e, lam)
        p2, s2 = adamw_step(p2, g, s2, lr=alpha * e, weight_decay=lam / alpha)
    np.testing.assert_allclose(p1, p2, rtol=1e-12)
    # The naive translation weight_decay = lam multiplies the decay by alpha: 100x too weak here.
    w = np.array([1.0])
    paper, _ = adamw_paper_step(w, np.zeros(1), adam_init(w), alpha, 1.0, lam)
    naive, _ = adamw_step(w, np.zeros(1), adam_init(w), lr=alpha, weight_decay=lam)
    np.testing.assert_allclose((1 - paper) / (1 - naive), 1 / alpha, rtol=1e-9)


def check_adamw_decay_is_independent_of_gradient_scale():
    # Zero-gradient directions aside, AdamW's decay is the same relative shrink for every weight;
    # Adam + L2 divides the decay by sqrt(v_hat), so weights with large gradients barely decay.
    grads = noisy_gradients(3000, [10.0, 0.01])
    adamw = run("adamw", grads, np.ones(2), 1e-3, 1.0)
    adam_l2 = run("adam_l2", grads, np.ones(2), 1e-3, 1.0)
    assert np.all(adamw[-1] < 0.2)  # (1 - 1e-3)^3000 = 0.05, plus a little noise-driven wander
    assert adam_l2[-1, 0] > 0.6 and adam_l2[-1, 1] < 0.05


def check_half_life():
    assert abs(decay_half_life(1e-3, 0.1) / (np.log(2) / 1e-4) - 1) < 1e-4  # ~0.693 / (lr wd)
    w = 1.0
    for _ in range(round(decay_half_life(0.01, 0.5))):
        w *= 1 - 0.01 * 0.5
    assert abs(w - 0.5) < 0.01
    try:
        decay_half_life(1.0, 2.0)
    except ValueError:
        return
    raise AssertionError("lr * wd >= 1 must raise")


def plot_decay(adamw, adam_l2):
    """Figure for the page: ``|w|`` over the steps for Adam + L2 and AdamW, two gradient scales."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.6))
    t = np.arange(len(adamw))
    ax.plot(t, adam_l2[:, 0], "C0--", label="Adam + L2, large gradients")
    ax.plot(t, adam_l2[:, 1], "C1--", label="Adam + L2, tiny gradients")
    ax.plot(t, adamw[:, 0], "C0-", label="AdamW, large gradients")
    ax.plot(t, adamw[:, 1], "C1-", label="AdamW, tiny gradients")
    ax.set_xlabel("step")
    ax.set_ylabel("|w|")
    ax.legend(fontsize=8)
    fig.set_label(
        "Weight magnitude over 3000 steps of pure-noise gradients, starting at 1. Under AdamW both "
        "weights decay along nearly the same exponential curve. Under Adam with an L2 term the weight "
        "with tiny gradients shrinks faster than under AdamW and is near zero by step 2000, while the "
        "weight with large gradients hardly shrinks (about 0.76 after 3000 steps)."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    grads = noisy_gradients(3000, [10.0, 0.01])
    adamw = run("adamw", grads, np.ones(2), 1e-3, 1.0)
    adam_l2 = run("adam_l2", grads, np.ones(2), 1e-3, 1.0)
    print("two weights start at 1; gradients are pure noise with sd 10 and 0.01; lr = 1e-3, decay 1.0")
    for t in (0, 500, 1000, 3000):
        print(f"step {t:4d}: AdamW |w| = [{adamw[t, 0]:.3f}, {adamw[t, 1]:.3f}]   Adam+L2 |w| = [{adam_l2[t, 0]:.3f}, {adam_l2[t, 1]:.3f}]")
    print(f"pure decay (1 - lr*wd)^3000 = {(1 - 1e-3) ** 3000:.3f}; half-life {decay_half_life(1e-3, 1.0):.0f} steps")
    alpha, lam = 1e-2, 1e-3
    print(f"paper AdamW with alpha = {alpha}, lambda = {lam} == torch AdamW(lr = {alpha} * eta_t, weight_decay = {lam / alpha:g})")
    plot_decay(adamw, adam_l2)
