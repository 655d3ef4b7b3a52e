"""R^2, the coefficient of determination: 1 - SS_res / SS_tot.

Mirrors ``sklearn.metrics.r2_score(y_true, y_pred, sample_weight=None,
multioutput="uniform_average", force_finite=True)``:

- argument order truth first; the score is NOT symmetric;
- ``SS_tot`` is taken around the (weighted) mean of ``y_true``, so predicting
  that mean scores 0 and anything worse is negative, without bound;
- a constant ``y_true`` makes ``SS_tot = 0``: with ``force_finite=True`` the
  score is 1.0 for perfect predictions and 0.0 otherwise; with
  ``force_finite=False`` it is NaN (0/0) or -inf, as the formula says;
- ``multioutput`` in {"raw_values", "uniform_average", "variance_weighted"} or
  an array of output weights.

scikit-learn returns NaN with a warning for fewer than two samples; this
snippet raises ``ValueError`` instead.
"""

import numpy as np
from termbook.checks import assert_close

__all__ = ["r2_score", "adjusted_r2"]


def r2_score(y_true, y_pred, sample_weight=None, multioutput="uniform_average", force_finite=True):
    """Coefficient of determination, like ``sklearn.metrics.r2_score``.

    Parameters
    ----------
    y_true : ndarray of shape (N,) or (N, D)
        Targets.
    y_pred : ndarray of shape (N,) or (N, D)
        Predictions, same shape.
    sample_weight : ndarray of shape (N,), optional
        Non-negative sample weights (used in both sums and in the mean).
    multioutput : {"raw_values", "uniform_average", "variance_weighted"} or ndarray of shape (D,)
        "variance_weighted" weights each output by its ``SS_tot``.
    force_finite : bool
        Replace the undefined constant-target cases by 1.0 (perfect) / 0.0.

    Returns
    -------
    score : float, or ndarray of shape (D,) for "raw_values"
        At most 1; 0 for predicting the mean; negative when worse than that.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2):
        raise ValueError("y_true and y_pred must have the same shape, (N,) or (N, D)")
    if y_true.shape[0] < 2:
        raise ValueError("R^2 needs at least two samples (SS_tot of one sample is 0)")
    yt = y_true.reshape(y_true.shape[0], -1)
    yp = y_pred.reshape(y_true.shape[0], -1)
    w = np.ones((yt.shape[0], 1)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)[:, None]
    ss_res = np.sum(w * (yt - yp) ** 2, axis=0)
    mean = np.sum(w * yt, axis=0) / np.sum(w)
    ss_tot = np.sum(w * (yt - mean) ** 2, axis=0)
    nonzero_den, nonzero_num = ss_tot != 0, ss_res != 0
    if force_finite:
        scores = np.ones(yt.shape[1])
        ok = nonzero_den & nonzero_num
        scores[ok] = 1.0 - ss_res[ok] / ss_tot[ok]
        scores[nonzero_num & ~nonzero_den] = 0.0
    else:
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 -> nan, x/0 -> inf, on purpose
            scores = 1.0 - ss_res / ss_tot
    if isinstance(multioutput, str):
        if multioutput == "raw_values":
            return scores
        if multioutput == "uniform_average":
            return float(np.mean(scores))
        if multioutput == "variance_weighted":
            if not nonzero_den.any():  # every output constant: all weights 0, so
                return float(np.mean(scores))  # fall back to uniform weights, as scikit-learn does
            return float(np.average(scores, weights=ss_tot))
        raise ValueError("unknown multioutput option")
    return float(np.average(scores, weights=multioutput))


def adjusted_r2(r2, n_samples, n_features):
    """Adjusted R^2 = 1 - (1 - R^2)(n - 1)/(n - p - 1) for a model with p features and an intercept.

    statsmodels reports it as ``OLSResults.rsquared_adj``; scikit-learn has no equivalent.

    Parameters
    ----------
    r2 : float
        In-sample R^2.
    n_samples : int
        n.
    n_features : int
        p, not counting the intercept.

    Returns
    -------
    float
        Lower than ``r2`` whenever p > 0 and R^2 < 1; penalises features that add little.
    """
    if n_samples - n_features - 1 <= 0:
        raise ValueError("adjusted R^2 needs n > p + 1")
    return 1.0 - (1.0 - r2) * (n_samples - 1) / (n_samples - n_features - 1)


# ----------------------------------------------------------------------------- checks


def check_scikit_learn_docstring_values():
    y, p = np.array([3.0, -0.5, 2.0, 7.0]), np.array([2.5, 0.0, 2.0, 8.0])
    assert_close(r2_score(y, p), 1 - 1.5 / 29.1875, rtol=1e-12)  # 0.9486...
    Y = np.array([[0.5, 1.0], [-1.0, 1.0], [7.0, -6.0]])
    P = np.array([[0.0, 2.0], [-1.0, 2.0], [8.0, -5.0]])
    raw = r2_score(Y, P, multioutput="raw_values")
    assert_close(raw, [0.9654, 0.9082], rtol=2e-4)
    assert_close(r2_score(Y, P, multioutput="variance_weighted"), 0.9383, rtol=2e-4)
    assert np.isclose(r2_score(Y, P), raw.mean())


def check_mean_scores_zero_worse_is_negative_and_not_symmetric():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    assert r2_score(y, np.full(4, y.mean())) == 0.0
    assert r2_score(y, y[::-1]) == -3.0  # SS_res 20, SS_tot 5
    assert r2_score(y, y + 100) < -1000  # unbounded below
    p = np.array([1.5, 1.5, 3.5, 3.5])
    assert not np.isclose(r2_score(y, p), r2_score(p, y))


def check_constant_target_zero_denominator():
    y = np.full(5, 2.0)
    assert r2_score(y, y) == 1.0 and r2_score(y, y + 0.1) == 0.0
    assert np.isnan(r2_score(y, y, force_finite=False))
    assert r2_score(y, y + 0.1, force_finite=False) == -np.inf
    # Mixed outputs: only the constant column gets the special value.
    Y = np.stack([y, np.arange(5.0)], axis=1)
    raw = r2_score(Y, Y + np.array([0.1, 0.0]), multioutput="raw_values")
    assert raw[0] == 0.0 and raw[1] == 1.0
    assert r2_score(np.stack([y, y], 1), np.stack([y, y], 1), multioutput="variance_weighted") == 1.0
    # All outputs constant: the variance weights are all 0, so the scores are averaged uniformly.
    assert r2_score(np.stack([y, y], 1), np.stack([y, y + 0.1], 1), multioutput="variance_weighted") == 0.5
    try:
        r2_score([1.0], [1.0])
    except ValueError:
        pass
    else:
        raise AssertionError("one sample must raise")


def check_least_squares_in_sample_equals_squared_correlation():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 3.0 + rng.normal(size=50)
    A = np.c_[np.ones(50), X]
    pred = A @ np.linalg.lstsq(A, y, rcond=None)[0]
    r2 = r2_score(y, pred)
    assert 0 <= r2 <= 1
    assert_close(r2, np.corrcoef(y, pred)[0, 1] ** 2, rtol=1e-10, what="R^2 = corr^2 for OLS with intercept")
    # Explained + residual sums of squares add up (true only for OLS with an intercept).
    assert_close(np.sum((pred - y.mean()) ** 2) + np.sum((y - pred) ** 2), np.sum((y - y.mean()) ** 2), rtol=1e-10)
    # A useless extra feature raises R^2 a little, but adjusted R^2 penalises it.
    A2 = np.c_[A, rng.normal(size=50)]
    r2_more = r2_score(y, A2 @ np.linalg.lstsq(A2, y, rcond=None)[0])
    assert r2_more >= r2 - 1e-12
    assert adjusted_r2(r2_more, 50, 4) < r2_more


def check_weights_match_repetition():
    y, p = np.array([1.0, 4.0, 2.0, 8.0]), np.array([1.5, 3.0, 2.5, 7.0])
    w = np.array([1, 2, 3, 1])
    rep = np.repeat(np.arange(4), w)
    assert np.isclose(r2_score(y, p, sample_weight=w.astype(float)), r2_score(y[rep], p[rep]))


if __name__ == "__main__":
    y = np.array([3.0, -0.5, 2.0, 7.0])
    p = np.array([2.5, 0.0, 2.0, 8.0])
    ss_res, ss_tot = np.sum((y - p) ** 2), np.sum((y - y.mean()) ** 2)
    print(f"SS_res = {ss_res:.4f}, SS_tot = {ss_tot:.4f}, R^2 = 1 - SS_res/SS_tot = {r2_score(y, p):.4f}")
    print(f"predict the mean {y.mean():.3f} everywhere: R^2 = {r2_score(y, np.full(4, y.mean())):.4f}")
    print(f"predictions reversed: R^2 = {r2_score(y, p[::-1]):.4f}  (worse than the mean)")
    print(f"arguments swapped: r2_score(p, y) = {r2_score(p, y):.4f}  (not symmetric)")
    c = np.full(4, 5.0)
    print(
        f"constant target, perfect / off by 0.1: {r2_score(c, c):.1f} / {r2_score(c, c + 0.1):.1f}; "
        f"force_finite=False: {r2_score(c, c, force_finite=False)} / {r2_score(c, c + 0.1, force_finite=False)}"
    )
    print(f"adjusted R^2 with n = 4, p = 1: {adjusted_r2(r2_score(y, p), 4, 1):.4f}")
