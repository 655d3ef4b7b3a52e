"""Precision-recall curve and average precision (AP).

Sweep a threshold t through the scores, predict positive when ``score >= t``,
and record precision = TP / (TP + FP) against recall = TP / P. Average precision
summarises the curve as a step function:

    AP = sum_n (R_n - R_{n-1}) P_n

(precision at each threshold weighted by the recall gained there), NOT the
trapezoidal area, which interpolates linearly between points and is optimistic
in precision-recall space.

Conventions follow ``sklearn.metrics.precision_recall_curve`` (scikit-learn
>= 1.1.1, with the default ``drop_intermediate=False`` of recent versions) and
``average_precision_score``: thresholds are the distinct scores in
*increasing* order; ``precision`` and ``recall`` have one more entry than
``thresholds``, the last being precision 1 and recall 0 with no threshold;
recall is decreasing. Before 1.1.1 scikit-learn stopped the arrays at the
first threshold reaching full recall (fixed by scikit-learn PR #23214); the
extra points have zero recall gain, so AP is the same. Where scikit-learn warns
and sets recall to 1 for data with no positive sample, these functions raise
``ValueError``.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.confusion_matrix import binary_counts
from snippets.roc_curve import auc, roc_curve

__all__ = ["precision_recall_curve", "average_precision_score", "interpolated_precision"]


def precision_recall_curve(y_true, y_score):
    """Precision and recall at every distinct threshold, like ``sklearn.metrics.precision_recall_curve``.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}, 1 = positive. At least one positive is required.
    y_score : ndarray of shape (N,)
        Higher means "more likely positive" (probabilities, logits, margins).

    Returns
    -------
    precision : ndarray of shape (T + 1,)
        ``precision[i]`` is the precision of ``score >= thresholds[i]``; the last
        entry is 1 by convention (no prediction at all). ``precision[0]`` is the
        prevalence (everything predicted positive).
    recall : ndarray of shape (T + 1,)
        Decreasing from 1 to the final 0.
    thresholds : ndarray of shape (T,)
        The T distinct scores, increasing.
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.shape != y_score.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_score must be 1-D arrays of the same length")
    pos = y_true == 1
    if not pos.any():
        raise ValueError("no positive sample: recall is 0/0 at every threshold")
    order = np.argsort(-y_score, kind="stable")
    s, pos = y_score[order], pos[order]
    # Tied scores switch together: keep the last index of each run of equal scores.
    last = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    tps = np.cumsum(pos)[last].astype(np.float64)
    fps = (last + 1) - tps
    precision = tps / (tps + fps)  # tps + fps >= 1 at every threshold: no 0/0 here
    recall = tps / tps[-1]
    return np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], s[last][::-1]


def average_precision_score(y_true, y_score):
    """Average precision, the step-wise area under the PR curve (``sklearn.metrics.average_precision_score``).

    ``AP = sum_n (R_n - R_{n-1}) P_n`` over thresholds from high to low: not
    interpolated, not trapezoidal.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    y_score : ndarray of shape (N,)

    Returns
    -------
    ap : float
        In (0, 1]; a random ranking scores about the prevalence P / N.
    """
    precision, recall, _ = precision_recall_curve(y_true, y_score)
    # recall is decreasing, so -diff is the recall gained at each step.
    return float(max(0.0, -np.sum(np.diff(recall) * precision[:-1])))


def interpolated_precision(precision):
    """Interpolated precision ``p_interp(r) = max_{r' >= r} p(r')``, as in PASCAL VOC / COCO AP.

    The same monotone envelope that pycocotools' ``COCOeval.accumulate`` builds
    (``pr[i-1] = max(pr[i-1], pr[i])`` from high recall to low) before sampling
    it at 101 recall levels.

    Parameters
    ----------
    precision : ndarray of shape (T + 1,)
        Precision values ordered by decreasing recall, as returned by
        :func:`precision_recall_curve`.

    Returns
    -------
    p_interp : ndarray of shape (T + 1,)
        The monotone envelope: never below ``precision``, non-increasing in recall.
    """
    # Entries 0..i are exactly the points with recall >= recall[i].
    return np.maximum.accumulate(np.asarray(precision, dtype=np.float64))


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=120, prevalence=0.25, decimals=1):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prevalence).astype(int)
    s = np.round(rng.normal(size=n) + 1.5 * y, decimals)  # rounding makes ties on purpose
    return y, s


def check_matches_scikit_learn_docstring_example():
    # From scikit-learn's documentation of precision_recall_curve / average_precision_score.
    p, r, t = precision_recall_curve(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    assert_close(p, [0.5, 2 / 3, 0.5, 1.0, 1.0], rtol=1e-12)
    assert_close(r, [1.0, 1.0, 0.5, 0.5, 0.0], rtol=1e-12)
    assert_close(t, [0.1, 0.35, 0.4, 0.8], rtol=1e-12)
    assert_close(average_precision_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 5 / 6, rtol=1e-12)


def check_points_agree_with_confusion_counts():
    y, s = _example(1)
    p, r, t = precision_recall_curve(y, s)
    for pi, ri, th in zip(p[:-1], r[:-1], t):
        tn, fp, fn, tp = binary_counts(y, (s >= th).astype(int))
        assert np.isclose(pi, tp / (tp + fp)) and np.isclose(ri, tp / (tp + fn))
    assert np.isclose(p[0], y.mean()) and r[0] == 1.0  # lowest threshold: everything positive
    assert np.all(np.diff(r) <= 0) and np.all(np.diff(t) > 0)


def check_ap_is_mean_precision_at_each_positive_without_ties():
    # With distinct scores, AP = (1/P) sum over positives of precision at that positive's rank.
    rng = np.random.default_rng(2)
    y = (rng.random(60) < 0.3).astype(int)
    s = rng.normal(size=60) + y
    ranked = y[np.argsort(-s)]
    prec_at_k = np.cumsum(ranked) / np.arange(1, 61)
    assert_close(average_precision_score(y, s), prec_at_k[ranked == 1].mean(), rtol=1e-12)


def check_trapezoid_differs_and_interpolation_is_upper_bound():
    # Constant scores: the points are (recall 1, prevalence) and the (0, 1) anchor.
    # A straight line between them claims precision that no threshold achieves.
    y = np.array([1, 0, 0, 0, 1, 0, 0, 0, 0, 0])
    p, r, _ = precision_recall_curve(y, np.zeros(10))
    assert np.isclose(average_precision_score(y, np.zeros(10)), 0.2)
    assert np.isclose(auc(r, p), (1 + 0.2) / 2)
    y, s = _example(3)
    p, r, _ = precision_recall_curve(y, s)
    ap = average_precision_score(y, s)
    p_int = interpolated_precision(p)
    assert np.all(p_int >= p) and np.all(np.diff(p_int) >= 0)
    assert -np.sum(np.diff(r) * p_int[:-1]) >= ap


def check_precision_follows_from_roc_and_prevalence():
    # Same thresholds, two views: precision = P tpr / (P tpr + N fpr).
    y, s = _example(4)
    fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
    p, r, t = precision_recall_curve(y, s)
    P, N = y.sum(), (1 - y).sum()
    assert np.array_equal(thr[1:][::-1], t)
    assert_close(p[:-1], (P * tpr[1:] / (P * tpr[1:] + N * fpr[1:]))[::-1], rtol=1e-12)
    assert_close(r[:-1], tpr[1:][::-1], rtol=1e-12)


def check_ranking_only_and_baselines():
    y, s = _example(5)
    ap = average_precision_score(y, s)
    assert np.isclose(average_precision_score(y, 1 / (1 + np.exp(-3 * s))), ap)  # monotone map
    assert average_precision_score(y, y.astype(float)) == 1.0  # perfect ranking
    # Constant scores: one threshold, precision = prevalence at recall 1.
    assert np.isclose(average_precision_score(y, np.zeros(y.size)), y.mean())
    # Random scores: AP near the prevalence, far below a useful model.
    rng = np.random.default_rng(6)
    yb = (rng.random(20000) < 0.1).astype(int)
    assert abs(average_precision_score(yb, rng.random(20000)) - 0.1) < 0.01


def check_single_positive_and_no_positive():
    assert average_precision_score([0, 1, 0], [0.2, 0.5, 0.9]) == 0.5  # found at rank 2
    try:
        precision_recall_curve([0, 0, 0], [0.1, 0.2, 0.3])
    except ValueError:
        return
    raise AssertionError("a curve without positives must raise")


def plot_pr_curve(y, s):
    """Step PR curve, its interpolated envelope, and the prevalence baseline."""
    import matplotlib.pyplot as plt

    p, r, _ = precision_recall_curve(y, s)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.step(r, p, where="post", label=f"PR curve (AP = {average_precision_score(y, s):.3f})")
    ax.plot(r, interpolated_precision(p), "--", lw=1, label="interpolated precision")
    ax.axhline(y.mean(), color="grey", ls=":", label=f"random classifier (prevalence {y.mean():.2f})")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.02), ylim=(0, 1.05))
    ax.legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Precision against recall for 300 scored examples, 32 of them positive: precision stays at 1 "
        "up to recall 0.5, then falls in steps to about 0.2 near full recall, well above the dotted "
        "line of a random classifier at the prevalence 0.11, which it reaches only at recall 1."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    y = np.array([1, 1, 0, 1, 0, 0, 1, 0, 0, 0])
    s = np.array([0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1])
    p, r, t = precision_recall_curve(y, s)
    print("thresholds:", t)
    print("precision: ", p)
    print("recall:    ", r)
    print(f"average precision (steps)  = {average_precision_score(y, s):.4f}")
    print(f"trapezoidal area           = {auc(r, p):.4f}  (not the same number)")
    print(f"prevalence (random AP)     = {y.mean():.4f}")
    c = np.zeros(10)
    pc, rc, _ = precision_recall_curve(y, c)
    print(f"constant scores: AP = {average_precision_score(y, c):.4f}, trapezoid = {auc(rc, pc):.4f}  (optimistic)")
    rng = np.random.default_rng(0)
    yy = (rng.random(300) < 0.1).astype(int)
    ss = rng.normal(size=300) + 2.0 * yy
    print(f"300 examples, {yy.sum()} positive (prevalence {yy.mean():.2f}): AP = {average_precision_score(yy, ss):.4f}")
    plot_pr_curve(yy, ss)
