"""Mean absolute error (MAE, L1 loss): the average absolute difference.

Two conventions, same number for a single output:

- ``mean_absolute_error(y_true, y_pred, sample_weight=None,
  multioutput="uniform_average")`` mirrors ``sklearn.metrics.mean_absolute_error``:
  truth first; for targets of shape (N, D) it averages over the N samples per
  output, then combines the D outputs ("raw_values" returns all D, an array
  gives output weights).
- ``l1_forward / l1_backward`` mirror ``torch.nn.L1Loss`` /
  ``torch.nn.functional.l1_loss(input, target, reduction="mean")``: prediction
  first, mean over *all* elements. The derivative of ``|r|`` at ``r = 0`` does
  not exist; like PyTorch (``sign(0) = 0``) the backward pass returns 0 there.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.mean_squared_error import mse_loss, rmse

__all__ = ["mean_absolute_error", "l1_forward", "l1_backward", "weighted_median"]


def mean_absolute_error(y_true, y_pred, sample_weight=None, multioutput="uniform_average"):
    """MAE like ``sklearn.metrics.mean_absolute_error``.

    Parameters
    ----------
    y_true : ndarray of shape (N,) or (N, D)
        Targets.
    y_pred : ndarray of shape (N,) or (N, D)
        Predictions, same shape.
    sample_weight : ndarray of shape (N,), optional
        Non-negative weights of the samples.
    multioutput : {"raw_values", "uniform_average"} or ndarray of shape (D,)
        How to combine the per-output errors.

    Returns
    -------
    loss : float, or ndarray of shape (D,) for "raw_values"
        In the units of the target; 0 only for perfect predictions.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2) or y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred must be non-empty arrays of the same shape (N,) or (N, D)")
    err = np.abs(y_pred - y_true).reshape(y_true.shape[0], -1)
    per_output = np.average(err, axis=0, weights=sample_weight)
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return per_output
        if multioutput == "uniform_average":
            return float(per_output.mean())
        raise ValueError("multioutput must be 'raw_values', 'uniform_average' or an array of weights")
    return float(np.average(per_output, weights=multioutput))


def l1_forward(input, target, reduction="mean"):
    """L1 loss, like ``torch.nn.functional.l1_loss(input, target, reduction)``.

    Parameters
    ----------
    input : ndarray of shape (N, D)
        Predictions (any shape).
    target : ndarray of shape (N, D)
        Targets, same shape.
    reduction : {"mean", "sum", "none"}
        "mean" averages over every element (N * D of them).

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, D), str)
        The residual ``input - target`` and the reduction.
    """
    input = np.asarray(input, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if input.shape != target.shape:
        raise ValueError(f"input {input.shape} and target {target.shape} differ in shape")
    r = input - target
    a = np.abs(r)
    loss = {"mean": lambda: float(a.mean()), "sum": lambda: float(a.sum()), "none": lambda: a}[reduction]()
    return loss, (r, reduction)


def l1_backward(dout, cache):
    """Gradient with respect to ``input``: ``sign(input - target) / n_elements`` for "mean".

    Parameters
    ----------
    dout : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple
        From :func:`l1_forward`.

    Returns
    -------
    dinput : ndarray of shape (N, D)
        0 where ``input == target`` (PyTorch's subgradient choice).
    """
    r, reduction = cache
    scale = 1.0 / r.size if reduction == "mean" else 1.0
    return np.sign(r) * scale * dout


def weighted_median(y, w=None):
    """A minimiser of ``sum_i w_i |y_i - c|``: the (weighted) median.

    Parameters
    ----------
    y : ndarray of shape (N,)
    w : ndarray of shape (N,), optional
        Positive weights; default all ones.

    Returns
    -------
    c : float
        The smallest ``y_(k)`` whose cumulative weight reaches half the total
        (for equal weights and even N this is the lower middle value, where
        ``np.median`` returns the mean of the two middle values; both minimise).
        When that half is reached exactly, every c between ``y_(k)`` and the
        next value is an equally good minimiser (the L1 optimum is not unique).
    """
    y = np.asarray(y, dtype=np.float64)
    w = np.ones_like(y) if w is None else np.asarray(w, dtype=np.float64)
    order = np.argsort(y)
    cw = np.cumsum(w[order])
    return float(y[order][np.searchsorted(cw, 0.5 * cw[-1])])


# ----------------------------------------------------------------------------- checks


def check_known_value_and_both_conventions_agree():
    y, p = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    assert mean_absolute_error(y, p) == 0.5  # (0.5 + 0.5 + 0 + 1) / 4
    assert l1_forward(p, y)[0] == 0.5 and mean_absolute_error(p, y) == 0.5  # symmetric


def check_multioutput_and_weights():
    # scikit-learn's documented two-output example: raw [0.5, 1.0], uniform 0.75, weighted [0.3, 0.7] -> 0.85.
    y = np.array([[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]])
    p = np.array([[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]])
    assert_close(mean_absolute_error(y, p, multioutput="raw_values"), [0.5, 1.0], rtol=1e-12)
    assert np.isclose(mean_absolute_error(y, p), 0.75)
    assert np.isclose(mean_absolute_error(y, p, multioutput=np.array([0.3, 0.7])), 0.85)
    # With equal-size outputs, sklearn's uniform average equals torch's mean over all elements.
    assert np.isclose(mean_absolute_error(y, p), l1_forward(p, y)[0])
    # Integer weight k is the same as repeating the sample k times.
    w = np.array([1.0, 3.0, 2.0])
    rep = np.repeat(np.arange(3), w.astype(int))
    assert np.isclose(mean_absolute_error(y, p, sample_weight=w), mean_absolute_error(y[rep], p[rep]))


def check_best_constant_is_the_median_with_flat_ties():
    y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    grid = np.linspace(0, 110, 11001)
    mae = np.abs(y[None, :] - grid[:, None]).mean(axis=1)
    assert np.isclose(grid[np.argmin(mae)], np.median(y)) and weighted_median(y) == 3.0
    # Even N: every c between the two middle values is optimal (a flat bottom, a tie).
    y4 = np.array([1.0, 2.0, 4.0, 9.0])
    costs = [np.abs(y4 - c).mean() for c in (2.0, 2.5, 3.7, 4.0)]
    assert np.allclose(costs, costs[0]) and np.abs(y4 - 1.9).mean() > costs[0]
    rng = np.random.default_rng(0)
    v, w = rng.normal(size=31), rng.random(31) + 0.1
    c = weighted_median(v, w)
    assert all(np.sum(w * np.abs(v - c)) <= np.sum(w * np.abs(v - d)) + 1e-12 for d in v)


def check_mae_rmse_bounds_and_outlier_sensitivity():
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=40), rng.normal(size=40)
    mae, r = mean_absolute_error(y, p), rmse(p, y)
    assert mae <= r <= np.sqrt(40) * mae  # equality: all errors equal / a single nonzero error
    one = np.zeros(40)
    one[0] = 5.0
    assert np.isclose(rmse(one, np.zeros(40)), np.sqrt(40) * mean_absolute_error(np.zeros(40), one))
    # Making one error 10x bigger multiplies its MAE share by 10, its MSE share by 100.
    y, p = np.zeros(4), np.array([1.0, 1.0, 1.0, 1.0])
    p_out = np.array([1.0, 1.0, 1.0, 10.0])
    assert np.isclose(mean_absolute_error(y, p_out) / mean_absolute_error(y, p), 13 / 4)
    assert np.isclose(mse_loss(p_out, y) / mse_loss(p, y), 103 / 4)


def check_gradient_and_zero_residual():
    # tolerance: relative error 1e-7 (centred differences are exact for |r| away from the kink at 0)
    rng = np.random.default_rng(2)
    x, t = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, cache = l1_forward(x, t)
    dx = l1_backward(1.0, cache)
    assert_gradient_close(dx, numerical_gradient(lambda z: l1_forward(z, t)[0], x.copy()), tol=1e-7)
    # At r = 0 the subgradient interval is [-1, 1] / n; PyTorch and this snippet pick 0.
    _, cache = l1_forward(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    assert np.array_equal(l1_backward(1.0, cache), [0.0, 0.5])
    # Huge values stay finite; a batch of one works.
    assert l1_forward(np.array([1e300]), np.array([-1e300]))[0] == 2e300
    assert mean_absolute_error([2.0], [5.0]) == 3.0


def check_shape_errors():
    for bad in (lambda: mean_absolute_error([], []), lambda: l1_forward(np.zeros((3, 1)), np.zeros(3))):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("expected ValueError")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    y = np.array([3.0, -0.5, 2.0, 7.0])
    p = np.array([2.5, 0.0, 2.0, 8.0])
    print("targets       ", y)
    print("predictions   ", p)
    print("absolute error", np.abs(p - y))
    print(f"MAE = {mean_absolute_error(y, p):.4f}   RMSE = {rmse(p, y):.4f}")
    _, cache = l1_forward(p, y)
    print("dMAE/dpred = sign(pred - y) / N:", l1_backward(1.0, cache))
    p_out = p.copy()
    p_out[3] = 17.0  # off by 10 instead of 1
    print(
        f"one prediction off by 10 instead of 1: MAE = {mean_absolute_error(y, p_out):.4f} "
        f"(x{mean_absolute_error(y, p_out) / mean_absolute_error(y, p):.1f}), "
        f"MSE x{mse_loss(p_out, y) / mse_loss(p, y):.0f}"
    )
    yc = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    print(f"best constant for y = {yc}: c = median = {weighted_median(yc):.1f}, MAE = {np.abs(yc - 3.0).mean():.1f}")
