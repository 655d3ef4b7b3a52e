"""Brier score: the mean squared error of probability forecasts.

Binary form (Brier 1950 as used today, and ``sklearn.metrics.brier_score_loss``)::

    BS = (1/N) sum_i (p_i - y_i)^2,   p_i = predicted P(y_i = 1), y_i in {0, 1}

Multi-class form: ``(1/N) sum_i sum_k (p_ik - t_ik)^2`` with one-hot targets t,
in [0, 2]. scikit-learn >= 1.7 accepts (N, C) probabilities with
``scale_by_half="auto"``, which halves the sum only when C = 2 so that the
two-column binary case equals the one-column score in [0, 1]; this snippet
follows that convention. Brier's 1950 paper summed over all classes (range
[0, 2]) for any C.

Also here: the Brier skill score against climatology, Murphy's (1973)
decomposition BS = reliability - resolution + uncertainty, and the gradient
of the score with respect to the probabilities (for use as a training loss).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

__all__ = [
    "brier_score_loss",
    "brier_forward",
    "brier_backward",
    "brier_skill_score",
    "murphy_decomposition",
]


def _one_hot(y, c):
    y = np.asarray(y)
    if y.ndim != 1 or np.any(y < 0) or np.any(y >= c):
        raise ValueError(f"class indices must have shape (N,) and lie in [0, {c})")
    return np.eye(c)[y]


def brier_forward(y_proba, y_true, scale_by_half="auto"):
    """Brier score and the cache for its gradient.

    Parameters
    ----------
    y_proba : ndarray of shape (N,) or (N, C)
        Probability of class 1 (binary, 1-D), or class probabilities (rows sum to one).
    y_true : ndarray of shape (N,)
        Labels in {0, 1} (1-D ``y_proba``) or class indices in ``[0, C)``.
    scale_by_half : {"auto", True, False}
        Halve the class sum. "auto": halve only when there are two classes
        (always for 1-D input), as scikit-learn does.

    Returns
    -------
    score : float
    cache : tuple of (ndarray of shape (N, C'), ndarray of shape (N, C'), float)
        Probabilities and targets as 2-D arrays (C' = 1 for 1-D input), and the scale.
    """
    p = np.asarray(y_proba, dtype=np.float64)
    if p.ndim not in (1, 2) or p.shape[0] != np.shape(y_true)[0] or p.shape[0] == 0:
        raise ValueError("y_proba must have shape (N,) or (N, C) with N = len(y_true) > 0")
    if p.min() < 0 or p.max() > 1:
        raise ValueError("probabilities must lie in [0, 1]")
    if p.ndim == 1:
        t = np.asarray(y_true, dtype=np.float64)
        if not np.all((t == 0) | (t == 1)):
            raise ValueError("binary y_true must be 0 or 1")
        p, t, scale = p[:, None], t[:, None], 1.0  # one column already is the halved two-class sum
    else:
        t = _one_hot(y_true, p.shape[1])
        halve = (p.shape[1] == 2) if scale_by_half == "auto" else bool(scale_by_half)
        scale = 0.5 if halve else 1.0
    score = scale * float(np.mean(np.sum((p - t) ** 2, axis=1)))
    return score, (p, t, scale)


def brier_score_loss(y_true, y_proba, scale_by_half="auto"):
    """Brier score, like ``sklearn.metrics.brier_score_loss(y_true, y_proba)`` (note the argument order).

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}, or class indices for 2-D ``y_proba``.
    y_proba : ndarray of shape (N,) or (N, C)
        Predicted probabilities.
    scale_by_half : {"auto", True, False}

    Returns
    -------
    score : float
        0 for certain, correct forecasts; 0.25 for a constant 0.5 on binary data.
    """
    return brier_forward(y_proba, y_true, scale_by_half)[0]


def brier_backward(dout, cache):
    """Gradient of the Brier score with respect to the probabilities.

    ``d BS / d p = 2 * scale * (p - t) / N``.

    Parameters
    ----------
    dout : float
        Upstream gradient of the scalar score.
    cache : tuple
        From :func:`brier_forward`.

    Returns
    -------
    dp : ndarray of shape (N,) or (N, C)
        Same shape as the ``y_proba`` given to the forward pass.
    """
    p, t, scale = cache
    dp = dout * 2.0 * scale * (p - t) / p.shape[0]
    return dp[:, 0] if p.shape[1] == 1 and t.shape[1] == 1 else dp


def brier_skill_score(y_true, y_proba, reference=None):
    """``BSS = 1 - BS / BS_ref``; the reference defaults to climatology (always the base rate).

    scikit-learn has no skill score; this is the usual meteorological
    definition (a skill score relative to a reference forecast), with
    ``brier_score_loss`` for both scores.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    y_proba : ndarray of shape (N,)
        Forecast probabilities of class 1.
    reference : ndarray of shape (N,), optional
        Reference forecasts; default ``mean(y_true)`` everywhere, whose Brier
        score is ``ybar (1 - ybar)``.

    Returns
    -------
    bss : float
        1 = perfect, 0 = no better than the reference, negative = worse.
    """
    y = np.asarray(y_true, dtype=np.float64)
    ref = np.full(y.shape, y.mean()) if reference is None else np.asarray(reference, dtype=np.float64)
    bs_ref = brier_score_loss(y, ref)
    if bs_ref == 0:
        raise ValueError("the reference forecast is perfect (all outcomes equal): skill is undefined")
    return 1.0 - brier_score_loss(y, y_proba) / bs_ref


def murphy_decomposition(y_true, y_proba):
    """Murphy's (1973) partition ``BS = reliability - resolution + uncertainty``.

    Forecasts are grouped by their distinct values, which makes the identity
    exact. (With continuous forecasts grouped into bins, two small within-bin
    terms appear and the identity is only approximate.)

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    y_proba : ndarray of shape (N,)
        Forecast probabilities of class 1.

    Returns
    -------
    reliability : float
        ``sum_k (n_k/N) (f_k - o_k)^2``: squared calibration gap (lower is better).
    resolution : float
        ``sum_k (n_k/N) (o_k - ybar)^2``: how far group frequencies move from the base rate (higher is better).
    uncertainty : float
        ``ybar (1 - ybar)``: the score of climatology; a property of the data, not the forecaster.
    """
    y = np.asarray(y_true, dtype=np.float64)
    f = np.asarray(y_proba, dtype=np.float64)
    values, group = np.unique(f, return_inverse=True)
    n_k = np.bincount(group).astype(np.float64)
    o_k = np.bincount(group, weights=y) / n_k
    w, ybar = n_k / y.size, y.mean()
    return (float(np.sum(w * (values - o_k) ** 2)), float(np.sum(w * (o_k - ybar) ** 2)), float(ybar * (1 - ybar)))


# ----------------------------------------------------------------------------- checks


def check_scikit_learn_docstring_example_and_symmetry():
    y, p = np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.8, 0.3])
    assert_close(brier_score_loss(y, p), (0.01 + 0.01 + 0.04 + 0.09) / 4, rtol=1e-12)
    # Swapping the roles of the classes (pos_label=0 with 1 - p) gives the same score.
    assert_close(brier_score_loss(1 - y, 1 - p), brier_score_loss(y, p), rtol=1e-12)


def check_binary_equals_two_column_halved_and_multiclass_range():
    rng = np.random.default_rng(0)
    y, p = rng.integers(0, 2, 50), rng.random(50)
    two = np.stack([1 - p, p], axis=1)
    assert_close(brier_score_loss(y, two), brier_score_loss(y, p), rtol=1e-12)
    assert_close(brier_score_loss(y, two, scale_by_half=False), 2 * brier_score_loss(y, p), rtol=1e-12)
    # Three classes, certain and wrong: the maximum, 2 (no halving with C = 3).
    assert brier_score_loss(np.array([0, 1]), np.eye(3)[[1, 2]]) == 2.0
    assert brier_score_loss(np.array([0, 1]), np.eye(3)[[0, 1]]) == 0.0


def check_strictly_proper():
    # Expected score under true probability q is q (1-p)^2 + (1-q) p^2, minimised only at p = q.
    grid = np.linspace(0, 1, 1001)
    for q in (0.0, 0.13, 0.5, 0.8):
        expected = q * (1 - grid) ** 2 + (1 - q) * grid**2
        assert abs(grid[np.argmin(expected)] - q) < 1e-3
    # Hedging towards 0.5 or exaggerating towards 0/1 both cost, on average.
    rng = np.random.default_rng(1)
    q = rng.random(200000)
    y = (rng.random(q.size) < q).astype(float)
    honest = brier_score_loss(y, q)
    assert honest < brier_score_loss(y, 0.5 + 0.8 * (q - 0.5))
    assert honest < brier_score_loss(y, np.clip(0.5 + 1.3 * (q - 0.5), 0, 1))


def check_murphy_decomposition_is_exact_for_discrete_forecasts():
    rng = np.random.default_rng(2)
    f = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9], size=500)
    y = (rng.random(500) < np.clip(f + 0.1, 0, 1)).astype(int)  # under-forecasting by 0.1
    rel, res, unc = murphy_decomposition(y, f)
    assert_close(rel - res + unc, brier_score_loss(y, f), rtol=1e-12, what="REL - RES + UNC")
    # Climatology has no resolution and perfect reliability: its score is the uncertainty.
    rel0, res0, unc0 = murphy_decomposition(y, np.full(500, y.mean()))
    assert rel0 < 1e-30 and res0 == 0.0 and np.isclose(brier_score_loss(y, np.full(500, y.mean())), unc0)


def check_skill_score_reference_points():
    y = np.array([0, 0, 1, 0, 1, 0, 0, 0])
    assert brier_skill_score(y, y.astype(float)) == 1.0
    assert np.isclose(brier_skill_score(y, np.full(8, y.mean())), 0.0)
    assert brier_skill_score(y, 1.0 - y) < 0
    try:
        brier_skill_score(np.zeros(4), np.full(4, 0.2))  # outcome never occurs: BS_ref = 0
    except ValueError:
        pass
    else:
        raise AssertionError("expected ValueError")


def check_gradient_and_extreme_inputs():
    # tolerance: relative error 1e-7 (the score is quadratic: centred differences are exact up to rounding)
    rng = np.random.default_rng(3)
    probs = rng.dirichlet(np.ones(4), size=6)
    y = rng.integers(0, 4, 6)
    _, cache = brier_forward(probs, y)
    dp = brier_backward(1.0, cache)
    num = numerical_gradient_array(lambda q: np.array(brier_forward(q, y)[0]), probs.copy(), np.array(1.0))
    assert_gradient_close(dp, num, tol=1e-7)
    p1 = rng.random(5)
    y1 = rng.integers(0, 2, 5)
    _, cache = brier_forward(p1, y1)
    assert_close(brier_backward(1.0, cache), 2 * (p1 - y1) / 5, rtol=1e-12)
    # Probabilities exactly 0 and 1 are fine (unlike log loss); a batch of one works.
    assert brier_score_loss(np.array([1]), np.array([0.0])) == 1.0
    assert brier_score_loss(np.array([1, 0]), np.array([1.0, 0.0])) == 0.0


if __name__ == "__main__":
    y = np.array([0, 1, 1, 0])
    p = np.array([0.1, 0.9, 0.8, 0.3])
    print(f"Brier score of {p} for outcomes {y}: {brier_score_loss(y, p):.4f}")
    print(f"always 0.5: {brier_score_loss(y, np.full(4, 0.5)):.4f}   certain and wrong: {brier_score_loss(y, 1.0 - y):.4f}")
    probs = np.array([[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.2, 0.2, 0.6]])
    print(f"three classes {brier_score_loss(np.array([0, 2, 2]), probs):.4f}  (sum over classes, range [0, 2])")
    # Twenty rain forecasts issued at three levels.
    f = np.array([0.1] * 8 + [0.5] * 6 + [0.9] * 6)
    rain = np.array([0] * 7 + [1] + [0, 1, 1, 0, 1, 0] + [1] * 4 + [0] * 2)
    rel, res, unc = murphy_decomposition(rain, f)
    print(f"rain forecasts: BS {brier_score_loss(rain, f):.4f} = REL {rel:.4f} - RES {res:.4f} + UNC {unc:.4f}")
    print(f"Brier skill score against climatology ({rain.mean():.2f}): {brier_skill_score(rain, f):.4f}")
