"""Matthews correlation coefficient (MCC): the correlation between true and predicted labels.

Binary (Matthews, 1975)::

    MCC = (TP TN - FP FN) / sqrt((TP + FP)(TP + FN)(TN + FP)(TN + FN))

Multi-class (Gorodkin, 2004), from the confusion matrix C with row sums t
(true counts), column sums p (predicted counts), trace c and total s::

    MCC = (c s - t.p) / sqrt((s^2 - p.p)(s^2 - t.t))

Mirrors ``sklearn.metrics.matthews_corrcoef(y_true, y_pred, sample_weight=None)``,
which uses the multi-class formula for every K and returns 0.0 when the
denominator is zero (all true labels, or all predictions, in one class), where
the formula itself is 0/0. Products are formed in float64: with integer counts
of a few million, ``s^2 * s^2``-sized intermediate values overflow int64.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.confusion_matrix import binary_counts, confusion_matrix
from snippets.f1_score import f1_score

__all__ = ["matthews_corrcoef", "mcc_from_confusion", "mcc_binary"]


def mcc_from_confusion(cm):
    """MCC of a K x K confusion matrix (rows = truth), Gorodkin's R_K.

    The computation inside ``sklearn.metrics.matthews_corrcoef``, including
    its 0.0 for a zero denominator.

    Parameters
    ----------
    cm : ndarray of shape (K, K)
        Counts or weighted counts.

    Returns
    -------
    mcc : float
        In [-1, 1]; 0.0 when a marginal is concentrated in one class (0/0).
    """
    C = np.asarray(cm, dtype=np.float64)
    t, p = C.sum(axis=1), C.sum(axis=0)
    c, s = np.trace(C), C.sum()
    cov_tp = c * s - t @ p
    cov_pp = s * s - p @ p
    cov_tt = s * s - t @ t
    if cov_pp * cov_tt == 0:
        return 0.0
    return float(cov_tp / np.sqrt(cov_tt * cov_pp))


def mcc_binary(tp, tn, fp, fn):
    """Matthews' original two-class formula (``sklearn.metrics.matthews_corrcoef`` for K = 2).

    Parameters
    ----------
    tp, tn, fp, fn : float
        Confusion counts.

    Returns
    -------
    mcc : float
        0.0 if any of the four marginal sums is zero (scikit-learn's convention).
    """
    tp, tn, fp, fn = (float(v) for v in (tp, tn, fp, fn))
    den = (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)
    return 0.0 if den == 0 else float((tp * tn - fp * fn) / np.sqrt(den))


def matthews_corrcoef(y_true, y_pred, num_classes=None, sample_weight=None):
    """MCC of predicted labels, like ``sklearn.metrics.matthews_corrcoef``.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True class indices.
    y_pred : ndarray of shape (N,)
        Predicted class indices.
    num_classes : int, optional
        K; default ``max(y_true, y_pred) + 1``.
    sample_weight : ndarray of shape (N,), optional

    Returns
    -------
    mcc : float
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.size == 0:
        raise ValueError("MCC of an empty set is undefined")
    k = int(max(y_true.max(), y_pred.max())) + 1 if num_classes is None else num_classes
    if sample_weight is None:
        cm = confusion_matrix(y_true, y_pred, k)
    else:
        cm = np.zeros((k, k))
        np.add.at(cm, (y_true, y_pred), np.asarray(sample_weight, dtype=np.float64))
    return mcc_from_confusion(cm)


# ----------------------------------------------------------------------------- checks


def check_binary_formula_equals_multiclass_formula_and_phi():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    yp = np.where(rng.random(200) < 0.7, y, 1 - y)
    tn, fp, fn, tp = binary_counts(y, yp)
    m = matthews_corrcoef(y, yp)
    assert_close(m, mcc_binary(tp, tn, fp, fn), rtol=1e-12)
    assert_close(m, np.corrcoef(y, yp)[0, 1], rtol=1e-12, what="phi coefficient = Pearson r of 0/1 labels")


def check_multiclass_is_correlation_of_one_hot_matrices():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 4, 300)
    yp = np.where(rng.random(300) < 0.5, y, rng.integers(0, 4, 300))
    X, Y = np.eye(4)[y], np.eye(4)[yp]
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    expected = np.sum(Xc * Yc) / np.sqrt(np.sum(Xc * Xc) * np.sum(Yc * Yc))
    assert_close(matthews_corrcoef(y, yp), expected, rtol=1e-12)


def check_range_symmetry_and_class_swap():
    y = np.array([0, 0, 1, 1, 1, 0, 1, 0])
    yp = np.array([0, 1, 1, 1, 0, 0, 1, 0])
    assert matthews_corrcoef(y, y) == 1.0 and matthews_corrcoef(y, 1 - y) == -1.0
    assert np.isclose(matthews_corrcoef(y, yp), matthews_corrcoef(yp, y))  # symmetric in its arguments
    assert np.isclose(matthews_corrcoef(y, yp), matthews_corrcoef(1 - y, 1 - yp))  # no favoured class


def check_zero_denominator_returns_zero():
    y = np.array([0, 1, 1, 0, 1])
    assert matthews_corrcoef(y, np.ones(5, int)) == 0.0  # constant prediction
    assert matthews_corrcoef(np.ones(5, int), y) == 0.0  # a single true class
    assert matthews_corrcoef(np.array([2, 2]), np.array([2, 2])) == 0.0  # even when perfectly right
    assert mcc_binary(10, 0, 0, 0) == 0.0


def check_imbalanced_example_where_f1_looks_good():
    # 95 positives, 5 negatives; the classifier calls almost everything positive.
    tp, fn, fp, tn = 90, 5, 4, 1
    y = np.r_[np.ones(95, int), np.zeros(5, int)]
    yp = np.r_[np.ones(90, int), np.zeros(5, int), np.ones(4, int), np.zeros(1, int)]
    assert np.isclose(f1_score(y, yp, 2), 2 * tp / (2 * tp + fp + fn))  # 0.952
    assert np.isclose(matthews_corrcoef(y, yp), (tp * tn - fp * fn) / np.sqrt(94 * 95 * 5 * 6))  # 0.135
    assert matthews_corrcoef(y, yp) < 0.2 < 0.9 < f1_score(y, yp, 2)
    # Calling the other class "positive" changes F1 completely, but not MCC.
    assert f1_score(1 - y, 1 - yp, 2) < 0.2
    assert np.isclose(matthews_corrcoef(1 - y, 1 - yp), matthews_corrcoef(y, yp))


def check_large_counts_do_not_overflow_and_weights_match_repetition():
    cm = np.array([[4_000_000, 1_000_000], [2_000_000, 3_000_000]], dtype=np.int64)
    tp, fn, fp, tn = 3e6, 2e6, 1e6, 4e6
    assert_close(mcc_from_confusion(cm), mcc_binary(tp, tn, fp, fn), rtol=1e-12)
    assert_close(mcc_from_confusion(cm), mcc_from_confusion(cm / 1e6), rtol=1e-12)  # scale-free
    y, yp = np.array([0, 1, 1, 2, 2, 0]), np.array([0, 1, 2, 2, 0, 0])
    w = np.array([1, 3, 2, 1, 2, 1])
    rep = np.repeat(np.arange(6), w)
    assert np.isclose(matthews_corrcoef(y, yp, sample_weight=w.astype(float)), matthews_corrcoef(y[rep], yp[rep]))


if __name__ == "__main__":
    y = np.r_[np.ones(95, int), np.zeros(5, int)]
    yp = np.r_[np.ones(90, int), np.zeros(5, int), np.ones(4, int), np.zeros(1, int)]
    tn, fp, fn, tp = binary_counts(y, yp)
    print(f"TP={tp} FN={fn} FP={fp} TN={tn}")
    print(f"accuracy {np.mean(y == yp):.3f}  F1 {f1_score(y, yp, 2):.3f}  MCC {matthews_corrcoef(y, yp):.3f}")
    print(f"same with the class labels swapped: F1 {f1_score(1 - y, 1 - yp, 2):.3f}  MCC {matthews_corrcoef(1 - y, 1 - yp):.3f}")
    print(f"predict 'positive' for everyone: MCC {matthews_corrcoef(y, np.ones(100, int)):.1f} (0/0, returned as 0)")
    y3 = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    p3 = np.array([0, 0, 1, 1, 1, 2, 2, 2, 0])
    print("3-class confusion matrix:", confusion_matrix(y3, p3, 3).tolist(), f"MCC {matthews_corrcoef(y3, p3):.4f}")
