"""F1 score (and F-beta): the harmonic mean of precision and recall.

    F1 = 2 P R / (P + R) = 2 TP / (2 TP + FP + FN)
    F_beta = (1 + beta^2) TP / ((1 + beta^2) TP + beta^2 FN + FP)

Conventions follow ``sklearn.metrics.f1_score`` / ``fbeta_score``: the score is
computed from the counts (as scikit-learn does since 1.4.0), ``average`` in
{"binary", None, "macro", "micro", "weighted"}, "binary" (positive class 1)
by default. ``zero_division`` is used only when the denominator is 0, i.e. a
class that is neither present nor predicted; it is returned silently (scikit-
learn's default "warn" returns 0 with a warning). "macro" is the mean of the
per-class F1 values, not the F1 of macro precision and macro recall.
"""

import numpy as np

from snippets.confusion_matrix import confusion_matrix, per_class_counts
from snippets.precision_and_recall import AVERAGES, average_scores, precision_recall, safe_divide


def fbeta_from_confusion(cm, beta=1.0, average="binary", zero_division=0.0):
    """F-beta score from a confusion matrix (rows = truth, columns = prediction).

    Parameters
    ----------
    cm : ndarray of shape (K, K)
        Confusion matrix in scikit-learn's orientation.
    beta : float
        Weight of recall: recall counts ``beta`` times as much as precision
        (beta = 1 gives F1, beta = 2 favours recall, beta = 0.5 precision).
    average : {"binary", None, "macro", "micro", "weighted"}
        As in :func:`snippets.precision_and_recall.precision_recall_from_confusion`.
        "micro" pools TP, FP, FN first, so for single-label data it equals accuracy.
    zero_division : float
        Value when ``TP + FP + FN == 0`` for a class; ``np.nan`` drops such
        classes from the averages.

    Returns
    -------
    f : float, or ndarray of shape (K,) when ``average is None``
    """
    if average not in AVERAGES:
        raise ValueError(f"average must be one of {AVERAGES}")
    tp, fp, fn, _ = per_class_counts(cm)
    b2 = beta * beta
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    f = safe_divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)
    if average == "micro":
        return float(f)
    if average == "binary":
        if len(tp) != 2:
            raise ValueError("average='binary' needs two classes; choose another average")
        return float(f[1])
    return average_scores(f, tp + fn, average)


def f1_score(y_true, y_pred, num_classes, average="binary", zero_division=0.0):
    """F1 score of predicted labels (scikit-learn's ``f1_score``).

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
    f1 : float, or ndarray of shape (K,) when ``average is None``
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    return fbeta_from_confusion(cm, 1.0, average, zero_division)


def fbeta_score(y_true, y_pred, num_classes, beta, average="binary", zero_division=0.0):
    """F-beta score of predicted labels (scikit-learn's ``fbeta_score``).

    Parameters
    ----------
    y_true : ndarray of shape (N,)
    y_pred : ndarray of shape (N,)
    num_classes : int
    beta : float
    average : {"binary", None, "macro", "micro", "weighted"}
    zero_division : float

    Returns
    -------
    f : float, or ndarray of shape (K,) when ``average is None``
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    return fbeta_from_confusion(cm, beta, average, zero_division)


# ----------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Labels the scikit-learn equivalent is checked on (see the term's scikit-learn tab).

    Every ``average``; binary data, with a positive class that is never predicted (F1 = 0) and
    with no positives at all (TP + FP + FN = 0, so ``zero_division`` decides); a class that is
    neither present nor predicted, with ``zero_division`` 0 (it pulls the macro mean down) and
    NaN (it is left out); a single sample.

    Returns
    -------
    list of dict with y_true (N,), y_pred (N,), num_classes, average, beta and zero_division
    """
    rng = np.random.default_rng(71)
    cases = []
    for n, k, average, beta in [
        (20, 2, "binary", 2.0),
        (50, 3, "macro", 0.5),
        (50, 3, "weighted", 1.0),
        (50, 4, "micro", 2.0),
        (30, 5, None, 0.5),
    ]:
        y_true = rng.integers(0, k, size=n)
        y_pred = np.where(rng.uniform(size=n) < 0.6, y_true, rng.integers(0, k, size=n))
        cases.append({"y_true": y_true, "y_pred": y_pred, "num_classes": k, "average": average, "beta": beta, "zero_division": 0.0})
    y_true = np.array([1, 1, 0, 0, 0, 1])
    cases.append(
        {"y_true": y_true, "y_pred": np.zeros(6, dtype=np.int64), "num_classes": 2, "average": "binary", "beta": 1.0, "zero_division": 0.0}
    )
    cases.append(
        {
            "y_true": np.zeros(5, dtype=np.int64),
            "y_pred": np.zeros(5, dtype=np.int64),
            "num_classes": 2,
            "average": "binary",
            "beta": 1.0,
            "zero_division": 1.0,
        }
    )
    y_true, y_pred = np.array([0, 0, 1, 1, 2, 2, 0]), np.array([0, 1, 1, 1, 2, 0, 0])  # class 3 never occurs
    for average, zero_division in [("macro", 0.0), ("macro", np.nan), (None, np.nan), ("weighted", 0.0)]:
        cases.append(
            {"y_true": y_true, "y_pred": y_pred, "num_classes": 4, "average": average, "beta": 2.0, "zero_division": zero_division}
        )
    cases.append(
        {"y_true": np.array([2]), "y_pred": np.array([1]), "num_classes": 3, "average": "macro", "beta": 1.0, "zero_division": 0.0}
    )
    return cases


def f1_and_fbeta(y_true, y_pred, num_classes, average, beta, zero_division):
    """F1 and F-beta of the same labels, as scikit-learn's ``f1_score`` and ``fbeta_score`` give them.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (N,)
    num_classes : int
    average : {"binary", None, "macro", "micro", "weighted"}
    beta : float
    zero_division : float

    Returns
    -------
    f1, fbeta : float, or ndarray of shape (K,) when ``average is None``
    """
    f1 = f1_score(y_true, y_pred, num_classes, average, zero_division)
    return f1, fbeta_score(y_true, y_pred, num_classes, beta, average, zero_division)


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=300, k=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
    return y_true, y_pred, k


def check_f1_is_harmonic_mean_of_precision_and_recall():
    y_true, y_pred, k = _example()
    p, r = precision_recall(y_true, y_pred, k, average=None)
    f = f1_score(y_true, y_pred, k, average=None)
    assert np.allclose(f, 2 * p * r / (p + r))
    assert np.allclose(1 / f, (1 / p + 1 / r) / 2)


def check_f1_lies_between_min_and_arithmetic_mean():
    # Harmonic mean <= arithmetic mean, and it is pulled towards the smaller value.
    y_true, y_pred, k = _example(1)
    p, r = precision_recall(y_true, y_pred, k, average=None)
    f = f1_score(y_true, y_pred, k, average=None)
    assert np.all(np.minimum(p, r) <= f + 1e-12) and np.all(f <= (p + r) / 2 + 1e-12)


def check_micro_f1_equals_accuracy():
    y_true, y_pred, k = _example(2)
    assert np.isclose(f1_score(y_true, y_pred, k, average="micro"), np.mean(y_true == y_pred))


def check_macro_is_mean_of_per_class_not_f1_of_means():
    y_true, y_pred, k = _example(3)
    per_class = f1_score(y_true, y_pred, k, average=None)
    assert np.isclose(f1_score(y_true, y_pred, k, average="macro"), per_class.mean())
    # A skewed binary case where the two definitions differ.
    y_true = np.array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    y_pred = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 0])
    p, r = precision_recall(y_true, y_pred, 2, average="macro")
    assert not np.isclose(f1_score(y_true, y_pred, 2, average="macro"), 2 * p * r / (p + r))


def check_fbeta_limits():
    y_true, y_pred, k = _example(4)
    p, r = precision_recall(y_true, y_pred, k, average=None)
    assert np.allclose(fbeta_score(y_true, y_pred, k, 1.0, average=None), f1_score(y_true, y_pred, k, average=None))
    # beta -> infinity weights only recall, beta -> 0 only precision.
    assert np.allclose(fbeta_score(y_true, y_pred, k, 1e4, average=None), r, atol=1e-6)
    assert np.allclose(fbeta_score(y_true, y_pred, k, 1e-4, average=None), p, atol=1e-6)


def check_zero_tp_gives_zero_without_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # No true positive: P = R = 0 and F1 = 0/(0 + FP + FN) = 0, well defined.
        assert f1_score(np.array([1, 0, 0]), np.array([0, 1, 0]), 2) == 0.0
        # Class 2 neither present nor predicted: 0/0, replaced by zero_division.
        f = f1_score(np.array([0, 1]), np.array([0, 1]), 3, average=None, zero_division=1.0)
    assert np.array_equal(f, [1.0, 1.0, 1.0])


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    for p, r in [(0.5, 0.5), (0.9, 0.1), (1.0, 0.0)]:
        print(f"P={p:.1f} R={r:.1f}: arithmetic mean {(p + r) / 2:.4f}, F1 {2 * p * r / (p + r):.4f}")
    # Imbalanced three-class problem: class 2 is rare and badly predicted.
    y_true = np.array([0] * 10 + [1] * 6 + [2] * 4)
    y_pred = np.array([0] * 9 + [1] + [1] * 5 + [0] + [2, 0, 0, 1])
    print("confusion matrix:")
    print(confusion_matrix(y_true, y_pred, 3))
    print("per-class F1:", f1_score(y_true, y_pred, 3, average=None))
    print(f"macro F1    {f1_score(y_true, y_pred, 3, average='macro'):.4f}  (every class counts equally)")
    print(f"weighted F1 {f1_score(y_true, y_pred, 3, average='weighted'):.4f}  (weighted by support)")
    print(f"micro F1    {f1_score(y_true, y_pred, 3, average='micro'):.4f}  = accuracy {np.mean(y_true == y_pred):.4f}")
