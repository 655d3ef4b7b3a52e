"""ROC curve and the area under it (AUC).

Sweep a threshold t down through the scores, predict positive when
``score >= t``, and plot the true-positive rate TPR = TP / P against the
false-positive rate FPR = FP / N. The area under that curve equals the
probability that a random positive outscores a random negative, ties counting
one half (the Mann-Whitney U statistic divided by P * N).

Conventions follow ``sklearn.metrics.roc_curve`` / ``auc`` / ``roc_auc_score``
(scikit-learn >= 1.3): thresholds are the distinct scores in decreasing order,
preceded by ``+inf`` so the curve starts at (0, 0); ``drop_intermediate=True``
drops points that lie on a straight segment (they do not change the area).
"""

import numpy as np

from snippets.confusion_matrix import binary_counts


def roc_curve(y_true, scores, drop_intermediate=True):
    """False- and true-positive rates at every distinct threshold.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}, 1 = positive. Both classes must occur.
    scores : ndarray of shape (N,)
        Higher means "more likely positive" (probabilities, logits, margins).
    drop_intermediate : bool
        Drop thresholds whose point is collinear with its neighbours, as
        scikit-learn does by default. The area is unchanged.

    Returns
    -------
    fpr : ndarray of shape (T,)
        ``fpr[i]`` = fraction of negatives with ``score >= thresholds[i]``; increasing from 0 to 1.
    tpr : ndarray of shape (T,)
        Fraction of positives with ``score >= thresholds[i]``; increasing from 0 to 1.
    thresholds : ndarray of shape (T,)
        Strictly decreasing; ``thresholds[0] = inf`` (nothing predicted positive),
        then the distinct scores, the last being ``min(scores)`` (everything positive).
    """
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float64)
    pos = y_true == 1
    if pos.all() or not pos.any():
        raise ValueError("ROC needs both positive and negative samples")
    order = np.argsort(-scores, kind="stable")
    s, pos = scores[order], pos[order]
    # Last index of each run of equal scores: tied samples switch together.
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(pos)[last]
    fps = (last + 1) - tps
    thresholds = s[last]
    if drop_intermediate and tps.size > 2:
        # A point is kept where the second difference is non-zero (a corner).
        corner = np.r_[True, (np.diff(fps, 2) != 0) | (np.diff(tps, 2) != 0), True]
        tps, fps, thresholds = tps[corner], fps[corner], thresholds[corner]
    tps, fps = np.r_[0, tps], np.r_[0, fps]
    thresholds = np.r_[np.inf, thresholds]
    return fps / fps[-1], tps / tps[-1], thresholds


def auc(x, y):
    """Area under a curve by the trapezoidal rule (scikit-learn's ``auc``).

    Parameters
    ----------
    x : ndarray of shape (T,)
        Monotonic (non-decreasing or non-increasing) abscissae, e.g. FPR.
    y : ndarray of shape (T,)
        Ordinates, e.g. TPR.

    Returns
    -------
    area : float
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    dx = np.diff(x)
    if np.all(dx >= 0):
        sign = 1.0
    elif np.all(dx <= 0):
        sign = -1.0
    else:
        raise ValueError("x must be monotonic")
    return sign * float(np.sum(dx * (y[1:] + y[:-1]) / 2.0))


def roc_auc_score(y_true, scores):
    """Area under the ROC curve of binary scores.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    scores : ndarray of shape (N,)

    Returns
    -------
    auc : float
        1 = every positive outscores every negative, 0.5 = no better than chance.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return auc(fpr, tpr)


def pairwise_auc(y_true, scores):
    """AUC as a probability over (positive, negative) pairs.

    ``P(s_pos > s_neg) + 0.5 P(s_pos == s_neg)``, i.e. the Mann-Whitney U
    statistic of the positive scores divided by ``P * N``. O(P N) memory; for
    checking, not for large data.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    scores : ndarray of shape (N,)

    Returns
    -------
    auc : float
    """
    y_true = np.asarray(y_true)
    scores = np.asarray(scores, dtype=np.float64)
    sp, sn = scores[y_true == 1], scores[y_true == 0]
    diff = sp[:, None] - sn[None, :]
    return float(np.mean(diff > 0) + 0.5 * np.mean(diff == 0))


# ----------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Labels and scores the scikit-learn equivalent is checked on (see the term's scikit-learn tab).

    Continuous scores with and without ``drop_intermediate``, scores with many ties (rounded,
    and integer-valued), a perfect ranking (AUC 1), a reversed one (AUC 0), every score equal
    (AUC 0.5: one step from (0, 0) to (1, 1)), and the smallest problem, one sample per class.

    Returns
    -------
    list of dict with y_true (N,) in {0, 1}, scores (N,) and drop_intermediate (bool)
    """
    rng = np.random.default_rng(101)
    cases = []
    for n, drop in [(30, True), (30, False), (200, True)]:
        y = rng.permutation(np.resize([0, 1, 1], n))
        cases.append({"y_true": y, "scores": rng.normal(size=n) + y, "drop_intermediate": drop})
    y = rng.integers(0, 2, size=60)
    y[:2] = [0, 1]
    cases.append({"y_true": y, "scores": np.round(rng.uniform(size=60) + 0.3 * y, 1), "drop_intermediate": True})
    cases.append({"y_true": y, "scores": rng.integers(0, 4, size=60).astype(np.float64) + y, "drop_intermediate": False})
    y = np.array([0, 0, 0, 1, 1])
    cases.append({"y_true": y, "scores": np.array([0.1, 0.2, 0.3, 0.8, 0.9]), "drop_intermediate": True})
    cases.append({"y_true": y, "scores": np.array([0.9, 0.8, 0.7, 0.2, 0.1]), "drop_intermediate": False})
    cases.append({"y_true": y, "scores": np.full(5, 0.5), "drop_intermediate": True})
    cases.append({"y_true": np.array([1, 0]), "scores": np.array([0.3, 0.7]), "drop_intermediate": True})
    return cases


def curve_and_area(y_true, scores, drop_intermediate):
    """The ROC curve and the area under it, as ``roc_curve`` and ``roc_auc_score`` return them.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
    scores : ndarray of shape (N,)
    drop_intermediate : bool

    Returns
    -------
    fpr, tpr, thresholds : ndarray of shape (T,)
    area : float
    """
    fpr, tpr, thresholds = roc_curve(y_true, scores, drop_intermediate)
    return fpr, tpr, thresholds, roc_auc_score(y_true, scores)


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=80, tie_decimals=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(int)
    # Positives score higher on average; rounding creates ties on purpose.
    s = np.round(rng.normal(size=n) + 1.2 * y, tie_decimals)
    return y, s


def check_auc_equals_mann_whitney_probability_with_ties():
    for seed in range(5):
        y, s = _example(seed)
        assert np.isclose(roc_auc_score(y, s), pairwise_auc(y, s), rtol=0, atol=1e-12)


def check_curve_shape_and_thresholds():
    y, s = _example(1)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    assert fpr[0] == tpr[0] == 0.0 and fpr[-1] == tpr[-1] == 1.0
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert thr[0] == np.inf and np.all(np.diff(thr) < 0) and thr[-1] == s.min()
    assert np.array_equal(thr[1:], np.unique(s)[::-1])


def check_points_agree_with_confusion_counts():
    # Each ROC point is one confusion matrix: predict positive iff score >= threshold.
    y, s = _example(2)
    fpr, tpr, thr = roc_curve(y, s)
    for f, t, th in zip(fpr, tpr, thr):
        tn, fp, fn, tp = binary_counts(y, (s >= th).astype(int))
        assert np.isclose(f, fp / (fp + tn)) and np.isclose(t, tp / (tp + fn))


def check_dropping_collinear_points_keeps_the_area():
    y, s = _example(3, tie_decimals=2)
    full = roc_curve(y, s, drop_intermediate=False)
    slim = roc_curve(y, s, drop_intermediate=True)
    assert slim[0].size <= full[0].size
    assert np.isclose(auc(*full[:2]), auc(*slim[:2]))


def check_auc_depends_only_on_ranking():
    y, s = _example(4)
    a = roc_auc_score(y, s)
    assert np.isclose(roc_auc_score(y, np.exp(s) * 3.0 - 7.0), a)  # monotone map: same AUC
    assert np.isclose(roc_auc_score(y, -s), 1.0 - a)  # reversed ranking
    assert roc_auc_score(y, y.astype(float)) == 1.0  # perfect separation
    assert roc_auc_score(y, np.zeros(y.size)) == 0.5  # constant scores: the diagonal


def check_auc_handles_decreasing_x():
    x, yv = np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0])
    assert np.isclose(auc(x, yv), auc(x[::-1], yv[::-1])) and np.isclose(auc(x, yv), 0.65)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    y = np.array([0, 0, 1, 0, 1, 1, 0, 1])
    s = np.array([0.1, 0.3, 0.35, 0.4, 0.6, 0.7, 0.8, 0.9])
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    print("thresholds:", thr)
    print("FPR:       ", fpr)
    print("TPR:       ", tpr)
    print(f"AUC (trapezoids)            = {auc(fpr, tpr):.4f}")
    print(f"P(s_pos > s_neg) over pairs = {pairwise_auc(y, s):.4f}")
    print(f"AUC of reversed scores      = {roc_auc_score(y, -s):.4f}")
    print(f"AUC after squaring scores   = {roc_auc_score(y, s**2):.4f}  (only the order matters)")
    fpr, tpr, thr = roc_curve(y, s)  # scikit-learn's default drops collinear points
    print("drop_intermediate=True keeps", thr.size, "of 9 points; FPR:", fpr, "TPR:", tpr)
