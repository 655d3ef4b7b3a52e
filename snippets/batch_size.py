"""Batch size: how many examples each gradient step averages over, and how it trades against steps.

Batches are drawn as ``torch.utils.data.DataLoader(dataset, batch_size=B, shuffle=True)`` draws
them (``snippets.mini_batch.minibatch_indices``: a fresh permutation each epoch, the last batch
possibly smaller), and the loss is a mean over the batch (``reduction='mean'``), so the learning
rate means the same thing at every ``B``. ``scaled_learning_rate`` is the linear scaling rule of
Goyal et al. (2017) (``lr = base_lr * B / base_B``) or the square-root rule; ``gradient_noise_scale``
is the "simple" noise scale ``B_simple = tr(Sigma) / |G|^2`` of McCandlish et al. (2018).
"""

import numpy as np

from snippets.linear_regression import design_matrix
from snippets.mini_batch import minibatch_indices


def scaled_learning_rate(base_lr, base_batch_size, batch_size, rule="linear"):
    """Learning rate for ``batch_size`` given one tuned at ``base_batch_size``.

    Parameters
    ----------
    base_lr : float
    base_batch_size, batch_size : int
    rule : {"linear", "sqrt"}
        ``"linear"``: ``base_lr * k`` with ``k = batch_size / base_batch_size`` (Goyal et al.,
        for SGD); ``"sqrt"``: ``base_lr * sqrt(k)`` (keeps the update's noise variance fixed;
        sometimes used with Adam).

    Returns
    -------
    float
    """
    k = batch_size / base_batch_size
    if rule == "linear":
        return base_lr * k
    if rule == "sqrt":
        return base_lr * np.sqrt(k)
    raise ValueError(f"unknown rule {rule!r}")


def per_example_grads(X, y, theta):
    """Gradients of ``(a_i . theta - y_i)^2`` for each example, ``a_i = [x_i, 1]``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    theta : ndarray of shape (D + 1,)
        Weights followed by the intercept.

    Returns
    -------
    grads : ndarray of shape (N, D + 1)
        Their mean is the gradient of the MSE (``snippets.linear_regression.mse_forward``).
    """
    A = design_matrix(X)
    return 2.0 * (A @ theta - y)[:, None] * A


def gradient_noise_scale(per_example):
    """``B_simple = tr(Sigma) / |G|^2``: the batch size at which gradient noise equals the signal.

    ``Sigma`` is the covariance of one example's gradient (``ddof=0``) and ``G`` the mean
    gradient. Sampling with replacement, ``E|g_B - G|^2 = tr(Sigma) / B``, which equals ``|G|^2``
    at ``B = B_simple``. Batches much smaller than it are dominated by noise (doubling ``B`` nearly
    halves the steps needed); batches much larger waste examples.

    Parameters
    ----------
    per_example : ndarray of shape (N, P)

    Returns
    -------
    float
        ``inf`` where the mean gradient is exactly zero (at a minimum of the full loss).
    """
    G = per_example.mean(axis=0)
    g2 = float(G @ G)
    trace = float(per_example.var(axis=0).sum())
    return np.inf if g2 == 0.0 else trace / g2


def sgd_steps_to_target(X, y, batch_size, lr, target, rng, max_steps=100_000):
    """Mini-batch SGD on the linear-regression MSE from zero; steps until the full loss < target.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    batch_size : int
    lr : float
    target : float
        Full-data MSE to reach.
    rng : numpy.random.Generator
        Shuffles the batches.
    max_steps : int

    Returns
    -------
    steps : int

    Raises
    ------
    ValueError
        If the loss becomes non-finite (the step is too large) or the target is not reached.
    """
    A = design_matrix(X)
    # The full MSE as a quadratic form, so checking it every step costs O(P^2), not O(N P).
    H, c, yy = A.T @ A / len(y), A.T @ y / len(y), y @ y / len(y)
    theta, steps = np.zeros(A.shape[1]), 0
    while steps < max_steps:
        for idx in minibatch_indices(len(y), batch_size, rng):
            r = A[idx] @ theta - y[idx]
            theta = theta - lr * (2.0 * r[:, None] * A[idx]).mean(axis=0)
            steps += 1
            loss = theta @ H @ theta - 2.0 * theta @ c + yy
            if not np.isfinite(loss) or loss > 1e12:
                raise ValueError(f"SGD diverged at step {steps} with lr={lr}: lower the learning rate")
            if loss < target:
                return steps
    raise ValueError(f"target {target} not reached in {max_steps} steps")


def make_problem(seed=0, n=2000, d=10, noise=0.5):
    """Least squares with feature scales from 1 down to 0.1 (condition number about 100).

    Returns
    -------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * np.logspace(0, -1, d)
    return X, X @ rng.normal(size=d) + noise * rng.normal(size=n)


def _setup():
    X, y = make_problem()
    A = design_matrix(X)
    theta_opt = np.linalg.lstsq(A, y, rcond=None)[0]
    floor = np.mean((A @ theta_opt - y) ** 2)
    lr_max = X.shape[0] / (2.0 * np.linalg.norm(A, 2) ** 2)  # 1 / L, L the largest Hessian eigenvalue
    return X, y, theta_opt, floor, lr_max


BATCHES = (1, 4, 16, 64, 256, 1024)


def steps_table(base_lr=0.004):
    """Steps to the target loss for each batch size in ``BATCHES``, learning rate scaled linearly.

    ``lr = base_lr * B`` (``scaled_learning_rate`` with base batch 1), capped at ``1 / L``.

    Returns
    -------
    rows : list of (int, float, int)
        ``(batch_size, lr, steps)``.
    lr_max : float
    """
    X, y, _, floor, lr_max = _setup()
    rows = []
    for b in BATCHES:
        lr = min(scaled_learning_rate(base_lr, 1, b), lr_max)
        rows.append((b, lr, sgd_steps_to_target(X, y, b, lr, 1.1 * floor, np.random.default_rng(1))))
    return rows, lr_max


# ---------------------------------------------------------------- checks


def check_k_small_steps_equal_one_big_step_to_first_order():
    # The linear scaling rule: k SGD steps of batch B at lr eta, versus one step of batch kB (the
    # same examples) at lr k*eta, differ by O(eta^2): halving eta divides the difference by ~4.
    X, y = make_problem(n=64)
    rng = np.random.default_rng(2)
    theta0 = rng.normal(size=X.shape[1] + 1)
    batches = np.array_split(rng.permutation(64), 4)  # k = 4 batches of 16
    diffs = []
    for eta in (0.02, 0.01, 0.005):
        small = theta0.copy()
        for idx in batches:
            small = small - eta * per_example_grads(X[idx], y[idx], small).mean(axis=0)
        big = theta0 - 4 * eta * per_example_grads(X, y, theta0).mean(axis=0)
        diffs.append(np.linalg.norm(small - big))
    ratios = np.array(diffs[:-1]) / np.array(diffs[1:])
    assert np.all((ratios > 3.5) & (ratios < 4.5)), ratios


def check_noise_equals_signal_at_the_noise_scale():
    X, y, theta_opt, _, _ = _setup()
    g = per_example_grads(X, y, np.zeros(X.shape[1] + 1))
    b = gradient_noise_scale(g)
    G = g.mean(axis=0)
    np.testing.assert_allclose(g.var(axis=0).sum() / b, G @ G, rtol=1e-12)  # with-replacement noise
    # Extreme input: at the least-squares solution the mean gradient vanishes, the scale is infinite.
    assert gradient_noise_scale(np.array([[1.0, -2.0], [-1.0, 2.0]])) == np.inf
    # The noise scale grows as training approaches the minimum (McCandlish et al.'s observation).
    near = per_example_grads(X, y, theta_opt + 0.05)
    assert gradient_noise_scale(near) > 10 * b


def check_steps_fall_like_one_over_b_then_plateau():
    rows, lr_max = steps_table()
    steps = {b: s for b, _, s in rows}
    assert abs(steps[16] * 16 / steps[1] - 1) < 0.05  # linear scaling: 16x the batch, 1/16 the steps
    assert abs(steps[64] * 64 / steps[1] - 1) < 0.10  # still close; second-order terms start to show
    assert rows[-1][1] == lr_max and steps[1024] >= 0.9 * steps[256]  # lr capped: no more speed-up


def check_divergence_raises_instead_of_returning_nan():
    X, y, _, floor, lr_max = _setup()
    try:
        sgd_steps_to_target(X, y, 256, 3 * lr_max, floor, np.random.default_rng(0))
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("expected ValueError")


def check_scaling_rules():
    assert scaled_learning_rate(0.1, 256, 8192) == 3.2  # Goyal et al.: 0.1 per 256 examples
    assert np.isclose(scaled_learning_rate(1e-3, 32, 128, "sqrt"), 2e-3)


def plot_steps(rows):
    """Figure for the page: steps to the target loss against batch size, with the ideal ``1/B`` line."""
    import matplotlib.pyplot as plt

    b = np.array([r[0] for r in rows])
    s = np.array([r[2] for r in rows])
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    ax.loglog(b, s, "o-", label="SGD steps to reach the target loss")
    ax.loglog(b, s[0] / b, "--", color="gray", label="perfect scaling: steps ~ 1/B")
    ax.set_xlabel("batch size B (learning rate scaled linearly, then capped)")
    ax.set_ylabel("steps")
    ax.legend()
    fig.set_label(
        "Log-log plot of the number of SGD steps needed against the batch size. The points follow the "
        "1/B line from batch size 1 to 64, then level off at about 37 steps from batch size 256 "
        "on, once the learning rate has reached its cap of 1/L."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    X, y, theta_opt, floor, lr_max = _setup()
    print(f"least squares, N = 2000, 11 coefficients; minimum MSE {floor:.4f}, target 1.1x that")
    print(
        f"gradient noise scale B_simple: {gradient_noise_scale(per_example_grads(X, y, np.zeros(11))):.1f}"
        f" at the start, {gradient_noise_scale(per_example_grads(X, y, theta_opt + 0.05)):.1f} near the minimum"
    )
    rows, lr_max = steps_table()
    print(f"lr = 0.004 * B, capped at 1/L = {lr_max:.3f} (half the full-batch stability limit 2/L)")
    print("     B       lr   steps   examples seen")
    for b, lr, s in rows:
        print(f"{b:6d}   {lr:6.3f}   {s:5d}   {b * s:13d}")
    plot_steps(rows)
