"""Loss functions: per-example penalties whose average over the data is what training minimises.

Regression losses follow PyTorch: ``l1_loss`` is ``torch.nn.functional.l1_loss``,
``huber_loss`` is ``torch.nn.functional.huber_loss`` (``delta=1.0``), all with
``reduction="mean"`` over every element. The binary classification losses are
written as functions of the margin ``m = y * f(x)`` with labels ``y`` in {-1, +1}.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.cross_entropy import binary_cross_entropy_with_logits
from snippets.mean_squared_error import mse_loss

__all__ = [
    "l1_loss",
    "l1_forward",
    "l1_backward",
    "huber_loss",
    "huber_forward",
    "huber_backward",
    "zero_one_loss",
    "hinge_loss",
    "logistic_loss",
    "best_constant",
]


def _reduce(x, reduction):
    return {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction](x)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error ``mean(|input - target|)``, like ``torch.nn.functional.l1_loss``.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    """
    return l1_forward(input, target, reduction)[0]


def l1_forward(input, target, reduction="mean"):
    """Forward pass of :func:`l1_loss`.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, D), str)
        Residual and reduction.
    """
    r = np.asarray(input, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return _reduce(np.abs(r), reduction), (r, reduction)


def l1_backward(dout, cache):
    """(Sub)gradient ``sign(input - target)``, scaled by the reduction; 0 at a tie, as in PyTorch.

    Parameters
    ----------
    dout : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple
        From :func:`l1_forward`.

    Returns
    -------
    dinput : ndarray of shape (N, D)
    """
    r, reduction = cache
    scale = 1.0 / r.size if reduction == "mean" else 1.0
    return np.sign(r) * scale * dout


def huber_loss(input, target, delta=1.0, reduction="mean"):
    """Huber loss, like ``torch.nn.functional.huber_loss``.

    ``0.5 r^2`` for ``|r| <= delta``, ``delta (|r| - 0.5 delta)`` beyond: squared
    near zero, linear in the tails. PyTorch's ``smooth_l1_loss(beta)`` equals
    ``huber_loss(delta=beta) / beta``.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)
    delta : float
        Where the quadratic part turns linear (positive).
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    """
    return huber_forward(input, target, delta, reduction)[0]


def huber_forward(input, target, delta=1.0, reduction="mean"):
    """Forward pass of :func:`huber_loss`.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)
    delta : float
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, D), float, str)
    """
    r = np.asarray(input, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    a = np.abs(r)
    per_elem = np.where(a <= delta, 0.5 * r**2, delta * (a - 0.5 * delta))
    return _reduce(per_elem, reduction), (r, delta, reduction)


def huber_backward(dout, cache):
    """Gradient ``clip(input - target, -delta, delta)``, scaled by the reduction.

    Parameters
    ----------
    dout : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple
        From :func:`huber_forward`.

    Returns
    -------
    dinput : ndarray of shape (N, D)
    """
    r, delta, reduction = cache
    scale = 1.0 / r.size if reduction == "mean" else 1.0
    return np.clip(r, -delta, delta) * scale * dout


def zero_one_loss(margin):
    """0-1 loss of a binary classifier: 1 where the margin ``y f(x)`` is <= 0, else 0.

    Parameters
    ----------
    margin : ndarray of shape (N,)

    Returns
    -------
    loss : ndarray of shape (N,)
    """
    return (np.asarray(margin, dtype=np.float64) <= 0).astype(np.float64)


def hinge_loss(margin):
    """Hinge loss ``max(0, 1 - m)`` of a support vector machine.

    Parameters
    ----------
    margin : ndarray of shape (N,)

    Returns
    -------
    loss : ndarray of shape (N,)
    """
    return np.maximum(0.0, 1.0 - np.asarray(margin, dtype=np.float64))


def logistic_loss(margin, base=None):
    """Logistic loss ``log(1 + exp(-m))``, computed as ``logaddexp(0, -m)`` (no overflow).

    Parameters
    ----------
    margin : ndarray of shape (N,)
    base : float or None
        None for nats; 2 for bits, which makes it an upper bound on the 0-1 loss.

    Returns
    -------
    loss : ndarray of shape (N,)
    """
    loss = np.logaddexp(0.0, -np.asarray(margin, dtype=np.float64))
    return loss / np.log(base) if base is not None else loss


def best_constant(loss, y, grid):
    """The constant prediction ``c`` from ``grid`` with the lowest mean loss on ``y``.

    Parameters
    ----------
    loss : callable
        ``loss(input, target)`` returning a scalar mean loss.
    y : ndarray of shape (N,)
    grid : ndarray of shape (G,)
        Candidate constants.

    Returns
    -------
    float
    """
    return float(grid[np.argmin([loss(np.full_like(y, c), y) for c in grid])])


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Predictions and targets the PyTorch regression losses are checked on.

    Several shapes and ``delta`` values, residuals exactly 0 (the L1 subgradient there is 0) and
    exactly ``+-delta`` (where the Huber loss turns from quadratic to linear), and large outliers.

    Returns
    -------
    list of dict with input and target (ndarray of shape (N,) or (N, D)) and delta (float)
    """
    rng = np.random.default_rng(61)
    cases = []
    for shape, delta in [((8,), 1.0), ((16, 3), 0.5), ((1,), 2.0), ((5, 4), 1.0)]:
        target = rng.normal(scale=2.0, size=shape)
        cases.append({"input": target + rng.normal(scale=1.5, size=shape), "target": target, "delta": delta})
    target = np.array([0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    cases.append({"input": np.array([0.5, 1.5, -0.5, 0.5, 100.5, -99.5]), "target": target, "delta": 1.0})
    return cases


def regression_losses_and_gradients(input, target, delta):
    """Mean L1 and Huber losses and their gradients with respect to ``input``.

    Parameters
    ----------
    input : ndarray of shape (N,) or (N, D)
    target : ndarray of the same shape as ``input``
    delta : float

    Returns
    -------
    l1 : float
    dl1 : ndarray of the same shape as ``input``
    huber : float
    dhuber : ndarray of the same shape as ``input``
    """
    l1, l1_cache = l1_forward(input, target)
    huber, huber_cache = huber_forward(input, target, delta)
    return l1, l1_backward(1.0, l1_cache), huber, huber_backward(1.0, huber_cache)


def margin_cases():
    """Labels in {-1, +1} and real-valued scores ``f(x)`` for the margin-based losses.

    Several sizes, margins exactly 0 and exactly 1 (the hinge's kink), both classes in every
    case, and scores of +-700 (a confident mistake costs about 700 nats).

    Returns
    -------
    list of dict with y (N,), int in {-1, +1}, and scores (N,), float
    """
    rng = np.random.default_rng(62)
    cases = []
    for n in (8, 40, 2):
        y = rng.permutation(np.resize([-1, 1], n))
        cases.append({"y": y, "scores": rng.normal(scale=2.0, size=n)})
    cases.append({"y": np.array([1, -1, 1, -1, 1, -1]), "scores": np.array([0.0, 0.0, 1.0, -1.0, 700.0, 700.0])})
    return cases


def mean_hinge_loss(y, scores):
    """Mean hinge loss ``mean(max(0, 1 - y f(x)))`` of labels and scores.

    Parameters
    ----------
    y : ndarray of shape (N,)
        Labels in {-1, +1}.
    scores : ndarray of shape (N,)

    Returns
    -------
    float
    """
    return float(np.mean(hinge_loss(y * scores)))


def mean_logistic_loss(y, scores):
    """Mean logistic loss ``mean(log(1 + exp(-y f(x))))`` of labels and scores, in nats.

    Parameters
    ----------
    y : ndarray of shape (N,)
        Labels in {-1, +1}.
    scores : ndarray of shape (N,)

    Returns
    -------
    float
    """
    return float(np.mean(logistic_loss(y * scores)))


# ---------------------------------------------------------------- checks


def check_mean_minimises_squared_median_minimises_absolute():
    y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    grid = np.linspace(0.0, 30.0, 3001)
    assert abs(best_constant(mse_loss, y, grid) - np.mean(y)) < 1e-9
    assert abs(best_constant(l1_loss, y, grid) - np.median(y)) < 1e-9
    # Huber interpolates: the median for small delta, the mean as delta grows past the residuals.
    c_huber = [best_constant(lambda a, b, d=d: huber_loss(a, b, delta=d), y, grid) for d in (1.0, 5.0, 10.0, 200.0)]
    assert_close(c_huber, [3.0, 3.75, 5.0, 22.0], rtol=0, atol=1e-9, what="Huber's best constant")


def check_huber_limits_and_smooth_l1_relation():
    r = np.linspace(-5.0, 5.0, 41)
    z = np.zeros_like(r)
    assert_close(huber_loss(r, z, delta=100.0, reduction="none"), 0.5 * r**2, rtol=1e-12, what="large delta")
    small = huber_loss(r, z, delta=1e-6, reduction="none") / 1e-6
    assert_close(small, np.abs(r), rtol=1e-5, what="small delta: delta * |r|")
    beta = 0.5
    smooth_l1 = np.where(np.abs(r) < beta, 0.5 * r**2 / beta, np.abs(r) - 0.5 * beta)
    assert_close(huber_loss(r, z, delta=beta, reduction="none") / beta, smooth_l1, rtol=1e-12)


def check_l1_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5); no residual near the kink at 0
    rng = np.random.default_rng(0)
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert np.min(np.abs(x - t)) > 1e-3
    for reduction in ("mean", "sum"):
        _, cache = l1_forward(x, t, reduction)
        num = numerical_gradient(lambda v: l1_loss(v, t, reduction), x)
        assert_gradient_close(l1_backward(1.0, cache), num, tol=1e-7, what=f"L1, reduction={reduction}")


def check_huber_gradient():
    rng = np.random.default_rng(1)
    x, t = rng.normal(scale=2.0, size=(3, 4)), rng.normal(size=(3, 4))
    assert np.min(np.abs(np.abs(x - t) - 1.0)) > 1e-3, "keep away from the switch at |r| = delta"
    for reduction in ("mean", "sum"):
        _, cache = huber_forward(x, t, 1.0, reduction)
        num = numerical_gradient(lambda v: huber_loss(v, t, 1.0, reduction), x)
        assert_gradient_close(huber_backward(1.0, cache), num, tol=1e-7, what=f"Huber, reduction={reduction}")


def check_surrogates_bound_the_zero_one_loss():
    m = np.linspace(-4.0, 4.0, 801)
    assert np.all(hinge_loss(m) >= zero_one_loss(m))
    assert np.all(logistic_loss(m, base=2) >= zero_one_loss(m))
    assert_close(logistic_loss(np.array([0.0]), base=2), [1.0], rtol=1e-12, what="log2(2) at m = 0")
    assert np.all(np.isfinite(logistic_loss(np.array([-1000.0, 1000.0]))))


def check_logistic_loss_is_binary_cross_entropy():
    # Labels y in {-1, +1} and margin y f  <->  targets (y + 1) / 2 in {0, 1} and logit f.
    rng = np.random.default_rng(2)
    f, y = rng.normal(scale=3.0, size=8), rng.choice([-1.0, 1.0], size=8)
    assert_close(logistic_loss(y * f), binary_cross_entropy_with_logits(f, (y + 1) / 2, "none"), rtol=1e-12)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    grid = np.linspace(0.0, 30.0, 3001)
    print("data y =", y)
    print(f"best constant under squared loss (MSE): {best_constant(mse_loss, y, grid):6.2f}  = mean")
    print(f"best constant under absolute loss (L1): {best_constant(l1_loss, y, grid):6.2f}  = median")
    for d in (1.0, 5.0, 10.0):
        c = best_constant(lambda a, b: huber_loss(a, b, delta=d), y, grid)
        print(f"best constant under Huber, delta = {d:4.1f}: {c:6.2f}")
    m = np.array([-2.0, -0.5, 0.0, 0.5, 1.0, 2.0])
    print("margin y*f(x)     ", m)
    print("0-1 loss          ", zero_one_loss(m))
    print("hinge loss        ", hinge_loss(m))
    print("logistic (bits)   ", logistic_loss(m, base=2))
