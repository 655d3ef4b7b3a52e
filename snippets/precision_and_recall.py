"""Precision and recall from a confusion matrix, with scikit-learn's averaging.

precision_k = TP_k / (TP_k + FP_k)   (of the samples predicted k, the share that are k)
recall_k    = TP_k / (TP_k + FN_k)   (of the samples that are k, the share predicted k)

Conventions follow ``sklearn.metrics.precision_score`` / ``recall_score``:
``average`` in {"binary", None, "macro", "micro", "weighted"} with ``"binary"``
(positive class 1) the default, and a ``zero_division`` value for a ratio 0/0.
scikit-learn's default ``zero_division="warn"`` returns 0 and emits an
``UndefinedMetricWarning``; here the default is ``0.0`` returned silently
(the same number, no warning), and no NumPy warning is ever raised.
"""

import numpy as np

from snippets.confusion_matrix import confusion_matrix, per_class_counts

AVERAGES = ("binary", None, "macro", "micro", "weighted")


def safe_divide(num, den, zero_division=0.0):
    """Elementwise ``num / den`` with ``zero_division`` wherever ``den == 0``.

    Parameters
    ----------
    num : ndarray of shape (K,)
    den : ndarray of shape (K,)
        Non-negative counts.
    zero_division : float
        Value for 0/0 (scikit-learn accepts 0.0, 1.0 or ``np.nan``).

    Returns
    -------
    out : ndarray of shape (K,), float64
    """
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, zero_division, dtype=np.float64)
    # `where=` skips the zero denominators, so NumPy never sees 0/0.
    np.divide(num, den, out=out, where=den != 0)
    return out


def average_scores(values, support, average):
    """Combine per-class scores the way scikit-learn does (NaN entries are skipped).

    Parameters
    ----------
    values : ndarray of shape (K,)
        Per-class scores.
    support : ndarray of shape (K,)
        Number of true samples of each class (weights for ``"weighted"``).
    average : {None, "macro", "weighted"}

    Returns
    -------
    score : float, or ndarray of shape (K,) when ``average is None``
    """
    if average is None:
        return values
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if average == "macro":
        return float(np.mean(values[keep]))
    if average == "weighted":
        w = support[keep].astype(np.float64)
        return float(np.sum(values[keep] * w) / w.sum()) if w.sum() > 0 else 0.0
    raise ValueError(f"average must be one of {AVERAGES}")


def precision_recall_from_confusion(cm, average="binary", zero_division=0.0):
    """Precision and recall from a confusion matrix (rows = truth, columns = prediction).

    Parameters
    ----------
    cm : ndarray of shape (K, K)
        Confusion matrix in scikit-learn's orientation.
    average : {"binary", None, "macro", "micro", "weighted"}
        ``"binary"``: the scores of class 1 (needs K = 2; scikit-learn's default,
        ``pos_label=1``). ``None``: one score per class. ``"macro"``: unweighted
        mean over classes. ``"micro"``: pool TP, FP, FN over classes, then divide
        (for single-label data both equal accuracy). ``"weighted"``: mean weighted
        by each class's support (number of true samples).
    zero_division : float
        Returned for a 0/0 ratio: precision of a class never predicted, recall of
        a class never present. With ``np.nan`` such classes are left out of the
        macro/weighted averages (scikit-learn >= 1.3 behaves the same).

    Returns
    -------
    precision : float, or ndarray of shape (K,) when ``average is None``
    recall : float, or ndarray of shape (K,) when ``average is None``
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}")
    tp, fp, fn, _ = per_class_counts(cm)
    if average == "micro":
        return (
            float(safe_divide(tp.sum(), tp.sum() + fp.sum(), zero_division)),
            float(safe_divide(tp.sum(), tp.sum() + fn.sum(), zero_division)),
        )
    precision = safe_divide(tp, tp + fp, zero_division)
    recall = safe_divide(tp, tp + fn, zero_division)
    if average == "binary":
        if len(tp) != 2:
            raise ValueError("average='binary' needs two classes; choose another average")
        return float(precision[1]), float(recall[1])
    support = tp + fn
    return average_scores(precision, support, average), average_scores(recall, support, average)


def precision_recall(y_true, y_pred, num_classes, average="binary", zero_division=0.0):
    """Precision and recall of predicted labels; see :func:`precision_recall_from_confusion`.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True labels in ``[0, num_classes)``.
    y_pred : ndarray of shape (N,)
        Predicted labels in ``[0, num_classes)``.
    num_classes : int
        Number of classes K.
    average : {"binary", None, "macro", "micro", "weighted"}
    zero_division : float

    Returns
    -------
    precision, recall : float, or ndarrays of shape (K,) when ``average is None``
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    return precision_recall_from_confusion(cm, average, zero_division)


# ----------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Labels the scikit-learn equivalent is checked on (see the term's scikit-learn tab).

    Every ``average``; a positive class that is never predicted (precision 0/0) and one that is
    never present (recall 0/0); a class that is present but never predicted in a multi-class
    problem, with ``zero_division`` 0, 1 and NaN (NaN leaves it out of the macro and weighted
    means); a class that never occurs at all; a single sample.

    Returns
    -------
    list of dict with y_true (N,), y_pred (N,), num_classes, average and zero_division
    """
    rng = np.random.default_rng(81)
    cases = []
    for n, k, average in [(20, 2, "binary"), (60, 3, "macro"), (60, 3, "weighted"), (40, 4, "micro"), (30, 5, None)]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.uniform(size=n) < 0.6, y_true, rng.integers(0, k, size=n))
        cases.append({"y_true": y_true, "y_pred": y_pred, "num_classes": k, "average": average, "zero_division": 0.0})
    cases.append(
        {
            "y_true": np.array([1, 0, 1, 0]),
            "y_pred": np.zeros(4, dtype=np.int64),
            "num_classes": 2,
            "average": "binary",
            "zero_division": 1.0,
        }
    )
    cases.append(
        {
            "y_true": np.zeros(4, dtype=np.int64),
            "y_pred": np.array([1, 0, 1, 0]),
            "num_classes": 2,
            "average": "binary",
            "zero_division": 1.0,
        }
    )
    y_true, y_pred = np.array([0, 0, 1, 1, 2, 2, 0, 1]), np.array([0, 1, 1, 1, 0, 0, 0, 3])  # 2 never predicted, 3 never true
    for average, zero_division in [("macro", 0.0), ("macro", 1.0), ("macro", np.nan), ("weighted", np.nan), (None, np.nan)]:
        cases.append({"y_true": y_true, "y_pred": y_pred, "num_classes": 5, "average": average, "zero_division": zero_division})
    cases.append({"y_true": np.array([2]), "y_pred": np.array([2]), "num_classes": 3, "average": "macro", "zero_division": 0.0})
    return cases


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=300, k=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
    return y_true, y_pred, k


def check_hand_computed_binary_example():
    # TP = 3, FP = 1, FN = 2: precision 3/4, recall 3/5.
    y_true = np.array([1, 1, 1, 1, 1, 0, 0, 0])
    y_pred = np.array([1, 1, 1, 0, 0, 1, 0, 0])
    p, r = precision_recall(y_true, y_pred, 2)
    assert (p, r) == (0.75, 0.6)


def check_per_class_matches_definition():
    y_true, y_pred, k = _example()
    p, r = precision_recall(y_true, y_pred, k, average=None)
    for c in range(k):
        predicted_c, actual_c = y_pred == c, y_true == c
        assert np.isclose(p[c], np.mean(y_true[predicted_c] == c))
        assert np.isclose(r[c], np.mean(y_pred[actual_c] == c))


def check_micro_precision_and_recall_equal_accuracy():
    # Each wrong prediction is one FP (for the predicted class) and one FN (for the true one).
    y_true, y_pred, k = _example(1)
    p, r = precision_recall(y_true, y_pred, k, average="micro")
    acc = np.mean(y_true == y_pred)
    assert np.isclose(p, acc) and np.isclose(r, acc)


def check_weighted_recall_equals_accuracy():
    # sum_k (n_k / N) * TP_k / n_k = sum_k TP_k / N.
    y_true, y_pred, k = _example(2)
    _, r = precision_recall(y_true, y_pred, k, average="weighted")
    assert np.isclose(r, np.mean(y_true == y_pred))


def check_swapping_truth_and_prediction_swaps_precision_and_recall():
    y_true, y_pred, k = _example(3)
    p, r = precision_recall(y_true, y_pred, k, average=None)
    p_swap, r_swap = precision_recall(y_pred, y_true, k, average=None)
    assert np.allclose(p, r_swap) and np.allclose(r, p_swap)


def check_zero_division_is_silent_and_documented():
    import warnings

    # Class 2 is never predicted (precision 0/0) and never present (recall 0/0).
    y_true = np.array([0, 0, 1, 1])
    y_pred = np.array([0, 1, 1, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p0, r0 = precision_recall(y_true, y_pred, 3, average=None)
        p1, r1 = precision_recall(y_true, y_pred, 3, average=None, zero_division=1.0)
        pn, _ = precision_recall(y_true, y_pred, 3, average="macro", zero_division=np.nan)
        pm, _ = precision_recall(y_true, y_pred, 3, average="macro")
    assert p0[2] == 0.0 and r0[2] == 0.0 and p1[2] == 1.0 and r1[2] == 1.0
    # NaN leaves class 2 out of the macro mean; 0.0 drags the mean down.
    assert np.isclose(pn, (1.0 + 2 / 3) / 2) and np.isclose(pm, (1.0 + 2 / 3 + 0.0) / 3)


def check_predicting_everything_positive_gives_recall_one():
    y_true = np.array([0, 1, 0, 0, 1, 0, 0, 0, 0, 0])
    p, r = precision_recall(y_true, np.ones_like(y_true), 2)
    assert r == 1.0 and np.isclose(p, np.mean(y_true))  # precision falls to the base rate


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    # A screening test on 20 people, 5 of whom have the condition (class 1).
    y_true = np.array([1] * 5 + [0] * 15)
    y_pred = np.array([1, 1, 1, 1, 0] + [1, 1] + [0] * 13)
    cm = confusion_matrix(y_true, y_pred, 2)
    print("confusion matrix (rows = truth):")
    print(cm)
    p, r = precision_recall(y_true, y_pred, 2)
    print(f"precision = TP/(TP+FP) = 4/6 = {p:.4f}")
    print(f"recall    = TP/(TP+FN) = 4/5 = {r:.4f}")
    p, r = precision_recall(y_true, y_pred, 2, average=None)
    print("per class precision:", p, " recall:", r)
    p, r = precision_recall(y_true, y_pred, 2, average="macro")
    print(f"macro: precision {p:.4f}, recall {r:.4f}")
    p, r = precision_recall(y_true, y_pred, 2, average="micro")
    print(f"micro: precision {p:.4f}, recall {r:.4f}  (= accuracy {np.mean(y_true == y_pred):.4f})")
    p, r = precision_recall(y_true, np.ones_like(y_true), 2)
    print(f"flag everyone: precision {p:.4f} (the base rate), recall {r:.4f}")
