"""Confusion matrix: counts of (true class, predicted class) pairs.

Convention (scikit-learn's ``sklearn.metrics.confusion_matrix``): rows are the
true class, columns are the predicted class, so ``C[i, j]`` is the number of
samples of true class ``i`` that were predicted as class ``j``. For two classes
``C.ravel()`` is ``(tn, fp, fn, tp)``.
"""

import numpy as np


def confusion_matrix(y_true, y_pred, num_classes):
    """Count how often each true class is predicted as each class.

    Follows scikit-learn: ``C[i, j]`` counts samples whose true label is ``i``
    and predicted label is ``j`` (rows = truth, columns = prediction). Labels
    are the integers ``0 .. num_classes - 1``; giving ``num_classes`` makes
    classes that never occur appear as zero rows/columns (scikit-learn's
    ``labels=range(num_classes)``).

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True labels, integers in ``[0, num_classes)``.
    y_pred : ndarray of shape (N,)
        Predicted labels, integers in ``[0, num_classes)``.
    num_classes : int
        Number of classes K.

    Returns
    -------
    cm : ndarray of shape (K, K), int64
        The confusion matrix; ``cm.sum() == N``.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D arrays of the same length")
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= num_classes):
            raise ValueError(f"{name} has labels outside [0, {num_classes})")
    # Encode each (true, pred) pair as one integer and count them all at once.
    flat = np.bincount(y_true * num_classes + y_pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes)


def per_class_counts(cm):
    """One-vs-rest counts for every class of a confusion matrix.

    Parameters
    ----------
    cm : ndarray of shape (K, K)
        Confusion matrix with rows = true class, columns = predicted class.

    Returns
    -------
    tp : ndarray of shape (K,)
        ``cm[k, k]``: class k predicted as k.
    fp : ndarray of shape (K,)
        Column sum minus diagonal: other classes predicted as k.
    fn : ndarray of shape (K,)
        Row sum minus diagonal: class k predicted as something else.
    tn : ndarray of shape (K,)
        Everything else: ``N - tp - fp - fn``.
    """
    cm = np.asarray(cm)
    tp = np.diag(cm)
    fp = cm.sum(axis=0) - tp
    fn = cm.sum(axis=1) - tp
    tn = cm.sum() - tp - fp - fn
    return tp, fp, fn, tn


def binary_counts(y_true, y_pred):
    """``(tn, fp, fn, tp)`` for labels in {0, 1}, class 1 being positive.

    The order is that of ``sklearn.metrics.confusion_matrix(y_true, y_pred).ravel()``.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True labels in {0, 1}.
    y_pred : ndarray of shape (N,)
        Predicted labels in {0, 1} (or booleans).

    Returns
    -------
    tn, fp, fn, tp : int
    """
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, 2).ravel()
    return int(tn), int(fp), int(fn), int(tp)


def accuracy(cm):
    """Fraction of correct predictions: trace over total.

    Parameters
    ----------
    cm : ndarray of shape (K, K)
        Confusion matrix.

    Returns
    -------
    acc : float
    """
    cm = np.asarray(cm)
    return float(np.trace(cm) / cm.sum())


# ----------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Labels the scikit-learn equivalents are checked on (see the term's scikit-learn tab).

    Two to six classes, a class that never occurs (a zero row and column), a class that is
    present but never predicted, all predictions right, and a single sample.

    Returns
    -------
    list of dict with y_true (N,), y_pred (N,), integers, and num_classes
    """
    rng = np.random.default_rng(91)
    cases = []
    for n, k in [(20, 2), (60, 3), (100, 6), (15, 4)]:
        y_true = rng.integers(0, k, size=n)
        cases.append(
            {"y_true": y_true, "y_pred": np.where(rng.uniform(size=n) < 0.6, y_true, rng.integers(0, k, size=n)), "num_classes": k}
        )
    cases.append({"y_true": np.array([0, 0, 1, 1, 3, 3]), "y_pred": np.array([0, 1, 1, 0, 0, 1]), "num_classes": 4})
    cases.append({"y_true": np.array([2, 0, 1, 2]), "y_pred": np.array([2, 0, 1, 2]), "num_classes": 3})
    cases.append({"y_true": np.array([1]), "y_pred": np.array([0]), "num_classes": 2})
    return cases


def matrix_and_per_class(y_true, y_pred, num_classes):
    """The confusion matrix and every class's one-vs-rest 2 x 2 matrix ``[[tn, fp], [fn, tp]]``.

    The second is the layout of ``sklearn.metrics.multilabel_confusion_matrix``, built from
    :func:`per_class_counts`.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (N,)
    num_classes : int

    Returns
    -------
    cm : ndarray of shape (K, K)
    per_class : ndarray of shape (K, 2, 2)
    """
    cm = confusion_matrix(y_true, y_pred, num_classes)
    tp, fp, fn, tn = per_class_counts(cm)
    return cm, np.stack([tn, fp, fn, tp], axis=1).reshape(num_classes, 2, 2)


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=200, k=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=n)
    # A noisy classifier: right 70% of the time, otherwise a random label.
    y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, k, size=n))
    return y_true, y_pred, k


def check_matches_explicit_loop():
    y_true, y_pred, k = _example()
    expected = np.zeros((k, k), dtype=np.int64)
    for t, p in zip(y_true, y_pred):
        expected[t, p] += 1
    assert np.array_equal(confusion_matrix(y_true, y_pred, k), expected)


def check_margins_are_class_counts():
    # Rows = truth, columns = prediction: the margins are the two label histograms.
    y_true, y_pred, k = _example(1)
    cm = confusion_matrix(y_true, y_pred, k)
    assert cm.sum() == y_true.size
    assert np.array_equal(cm.sum(axis=1), np.bincount(y_true, minlength=k))
    assert np.array_equal(cm.sum(axis=0), np.bincount(y_pred, minlength=k))
    assert accuracy(cm) == np.mean(y_true == y_pred)


def check_swapping_arguments_transposes():
    y_true, y_pred, k = _example(2)
    assert np.array_equal(confusion_matrix(y_pred, y_true, k), confusion_matrix(y_true, y_pred, k).T)


def check_binary_ravel_order_is_tn_fp_fn_tp():
    y_true = np.array([0, 0, 0, 1, 1, 1, 1])
    y_pred = np.array([0, 1, 1, 0, 1, 1, 1])
    assert binary_counts(y_true, y_pred) == (1, 2, 1, 3)
    tp, fp, fn, tn = per_class_counts(confusion_matrix(y_true, y_pred, 2))
    assert (tn[1], fp[1], fn[1], tp[1]) == (1, 2, 1, 3)
    # Seen from class 0 the roles swap: its false positives are class 1's false negatives.
    assert (tp[0], fp[0], fn[0]) == (1, 1, 2)


def check_one_vs_rest_counts_partition_the_data():
    y_true, y_pred, k = _example(3)
    tp, fp, fn, tn = per_class_counts(confusion_matrix(y_true, y_pred, k))
    assert np.all(tp + fp + fn + tn == y_true.size)
    # Single-label data: every error is one class's FP and another's FN.
    assert fp.sum() == fn.sum() == np.sum(y_true != y_pred)


def check_unseen_class_gives_zero_row_and_column():
    cm = confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 3)
    assert cm.shape == (3, 3) and cm[2].sum() == 0 and cm[:, 2].sum() == 0


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    # Three classes: 0 = cat, 1 = dog, 2 = fox.
    y_true = np.array([0, 0, 0, 0, 1, 1, 1, 2, 2, 2])
    y_pred = np.array([0, 0, 1, 0, 1, 1, 0, 2, 1, 2])
    cm = confusion_matrix(y_true, y_pred, 3)
    print("rows = true class, columns = predicted class")
    print(cm)
    print("row sums (true counts):     ", cm.sum(axis=1))
    print("column sums (predicted):    ", cm.sum(axis=0))
    tp, fp, fn, tn = per_class_counts(cm)
    print("per class TP:", tp, " FP:", fp, " FN:", fn, " TN:", tn)
    print(f"accuracy = trace / total = {np.trace(cm)} / {cm.sum()} = {accuracy(cm):.4f}")
    print("binary (tn, fp, fn, tp):", binary_counts(np.array([0, 0, 1, 1, 1]), np.array([0, 1, 1, 1, 0])))
