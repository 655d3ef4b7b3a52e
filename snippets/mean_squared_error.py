"""Mean squared error: the average squared difference between predictions and targets.

Follows PyTorch's ``torch.nn.functional.mse_loss(input, target, reduction="mean")``:
the mean is over *all* elements (for outputs of shape (N, D) that is N * D, not
N). scikit-learn's ``mean_squared_error(y_true, y_pred)`` takes the arguments
the other way round; the value is the same because the loss is symmetric.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

__all__ = ["mse_loss", "mse_forward", "mse_backward", "rmse", "gaussian_nll"]


def mse_loss(input, target, reduction="mean"):
    """``mean((input - target) ** 2)``, like ``torch.nn.functional.mse_loss``.

    Parameters
    ----------
    input : ndarray of shape (N, D)
        Predictions (any shape).
    target : ndarray of shape (N, D)
        Targets, same shape as ``input``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` averages over every element.

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    """
    return mse_forward(input, target, reduction)[0]


def mse_forward(input, target, reduction="mean"):
    """Forward pass of :func:`mse_loss`, keeping what the backward pass needs.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)
    reduction : {"mean", "sum", "none"}

    Returns
    -------
    loss : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple of (ndarray of shape (N, D), str)
        The residual ``input - target`` and the reduction.
    """
    input = np.asarray(input, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if input.shape != target.shape:
        # PyTorch only warns here, then broadcasts; a silent (N, 1) - (N,) -> (N, N) is a classic bug.
        raise ValueError(f"input {input.shape} and target {target.shape} differ in shape")
    r = input - target
    sq = r**2
    loss = {"mean": lambda: sq.mean(), "sum": lambda: sq.sum(), "none": lambda: sq}[reduction]()
    return loss, (r, reduction)


def mse_backward(dout, cache):
    """Gradient with respect to ``input``: ``2 (input - target) / n_elements`` for ``"mean"``.

    Parameters
    ----------
    dout : float, or ndarray of shape (N, D) if ``reduction="none"``
    cache : tuple
        From :func:`mse_forward`.

    Returns
    -------
    dinput : ndarray of shape (N, D)
        The gradient with respect to ``target`` is its negative.
    """
    r, reduction = cache
    scale = 1.0 / r.size if reduction == "mean" else 1.0
    return 2.0 * r * scale * dout


def rmse(input, target):
    """Root mean squared error, in the units of the target.

    Parameters
    ----------
    input : ndarray of shape (N, D)
    target : ndarray of shape (N, D)

    Returns
    -------
    float
    """
    return float(np.sqrt(mse_loss(input, target)))


def gaussian_nll(input, target, sigma=1.0):
    """Mean negative log-likelihood of ``target`` under N(input, sigma^2).

    ``0.5 log(2 pi sigma^2) + (target - input)^2 / (2 sigma^2)``, averaged: an
    affine function of the MSE, so both have the same minimiser.

    Parameters
    ----------
    input : ndarray of shape (N,)
        Predicted means.
    target : ndarray of shape (N,)
    sigma : float
        Fixed noise standard deviation.

    Returns
    -------
    float
    """
    r = np.asarray(target, dtype=np.float64) - np.asarray(input, dtype=np.float64)
    return float(np.mean(0.5 * np.log(2 * np.pi * sigma**2) + r**2 / (2 * sigma**2)))


# ---------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Predictions and targets the library equivalents are checked on.

    One and several outputs (the mean is over every element), a single element, a perfect
    prediction (loss 0), and values around 1e6 with small residuals (no cancellation: the
    residual is taken before squaring).

    Returns
    -------
    list of dict with input and target, both ndarray of shape (N,) or (N, D)
    """
    rng = np.random.default_rng(51)
    cases = []
    for shape in [(8,), (16, 3), (1,), (5, 1), (4, 7)]:
        target = rng.normal(scale=3.0, size=shape)
        cases.append({"input": target + rng.normal(size=shape), "target": target})
    y = rng.normal(size=(6, 2))
    cases.append({"input": y.copy(), "target": y})
    y = 1e6 + rng.normal(size=10)
    cases.append({"input": y + rng.normal(scale=1e-3, size=10), "target": y})
    return cases


def loss_and_gradient(input, target):
    """Mean squared error over all elements and its gradient with respect to ``input``.

    Parameters
    ----------
    input : ndarray of shape (N,) or (N, D)
    target : ndarray of the same shape as ``input``

    Returns
    -------
    loss : float
    dinput : ndarray of the same shape as ``input``
    """
    loss, cache = mse_forward(input, target)
    return loss, mse_backward(1.0, cache)


# ---------------------------------------------------------------- checks


def check_known_value_and_symmetry():
    # The example from scikit-learn's documentation of mean_squared_error.
    y_true, y_pred = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    assert_close(mse_loss(y_pred, y_true), 0.375, rtol=1e-15)
    assert mse_loss(y_pred, y_true) == mse_loss(y_true, y_pred)
    assert_close(rmse(y_pred, y_true), np.sqrt(0.375), rtol=1e-15)


def check_mean_is_over_all_elements():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert_close(mse_loss(a, b), mse_loss(a, b, "sum") / 12, rtol=1e-12, what="divides by N * D")
    assert mse_loss(a, b, "none").shape == (4, 3)
    assert mse_loss(a, a) == 0.0


def check_gradient():
    # tolerance: relative error 1e-7 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    for reduction, dout in (("mean", 1.0), ("sum", 0.5), ("none", rng.normal(size=(3, 2)))):
        _, cache = mse_forward(x, t, reduction)
        dx = mse_backward(dout, cache)
        num = numerical_gradient(lambda v: float(np.sum(mse_loss(v, t, reduction) * dout)), x)
        assert_gradient_close(dx, num, tol=1e-7, what=f"MSE gradient, reduction={reduction}")
    assert_close(mse_backward(1.0, mse_forward(x, t)[1]), 2 * (x - t) / 6, rtol=1e-15)


def check_best_constant_is_the_mean_and_bias_variance_split():
    # For a constant prediction c: MSE(c) = (mean(y) - c)^2 + var(y), minimised at c = mean(y).
    y = np.random.default_rng(2).normal(loc=5.0, scale=2.0, size=50)
    for c in (0.0, 4.0, y.mean()):
        assert_close(mse_loss(np.full(50, c), y), (y.mean() - c) ** 2 + y.var(), rtol=1e-12)
    cs = np.linspace(3.0, 7.0, 4001)
    best = cs[np.argmin([mse_loss(np.full(50, c), y) for c in cs])]
    assert abs(best - y.mean()) <= 1e-3


def check_same_minimiser_as_gaussian_likelihood():
    # NLL = 0.5 log(2 pi sigma^2) + MSE / (2 sigma^2): maximising a Gaussian likelihood is least squares.
    rng = np.random.default_rng(3)
    mu, y, sigma = rng.normal(size=20), rng.normal(size=20), 1.7
    expected = 0.5 * np.log(2 * np.pi * sigma**2) + mse_loss(mu, y) / (2 * sigma**2)
    assert_close(gaussian_nll(mu, y, sigma), expected, rtol=1e-12)


def check_shape_mismatch_is_an_error():
    try:
        mse_loss(np.zeros((4, 1)), np.zeros(4))
    except ValueError:
        return
    raise AssertionError("(4, 1) vs (4,) must not broadcast to (4, 4)")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    y_true = np.array([3.0, -0.5, 2.0, 7.0])
    y_pred = np.array([2.5, 0.0, 2.0, 8.0])
    print("targets      ", y_true)
    print("predictions  ", y_pred)
    print("squared error", mse_loss(y_pred, y_true, "none"))
    print(f"MSE = {mse_loss(y_pred, y_true):.4f}   RMSE = {rmse(y_pred, y_true):.4f}")
    _, cache = mse_forward(y_pred, y_true)
    print("dMSE/dpred = 2 (pred - y) / N:", mse_backward(1.0, cache))
    y_out = y_pred.copy()
    y_out[3] = 17.0
    print(
        f"one prediction off by 10 instead of 1: MSE = {mse_loss(y_out, y_true):.4f}  (x{mse_loss(y_out, y_true) / mse_loss(y_pred, y_true):.0f})"
    )
    y = np.array([1.0, 2.0, 3.0, 4.0, 100.0])
    print(f"best constant for y = {y}: c = mean = {y.mean():.1f}, MSE = {mse_loss(np.full(5, y.mean()), y):.1f} = var(y)")
