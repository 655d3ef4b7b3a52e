"""Accuracy: the fraction of predictions that are correct, and its balanced variant.

Conventions follow scikit-learn:

- ``accuracy_score(y_true, y_pred, normalize=True, sample_weight=None)`` like
  ``sklearn.metrics.accuracy_score``; for 2-D (multilabel) input it is *subset*
  accuracy, a row counting as correct only if every label matches.
- ``balanced_accuracy_score(y_true, y_pred, adjusted=False)`` like
  ``sklearn.metrics.balanced_accuracy_score``: the mean recall over the classes
  that occur in ``y_true``; a class that is only predicted (never true) has no
  recall and is left out (scikit-learn warns about it; here it is silent).

For an empty input these functions raise ``ValueError`` (an accuracy of
nothing is not a number) rather than returning ``nan``.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.confusion_matrix import confusion_matrix

__all__ = ["accuracy_score", "balanced_accuracy_score", "accuracy_standard_error"]


def accuracy_score(y_true, y_pred, normalize=True, sample_weight=None):
    """Fraction (or number) of samples whose prediction equals the truth.

    Mirrors ``sklearn.metrics.accuracy_score``: same argument order and
    defaults; labels may be any comparable values (ints, strings).

    Parameters
    ----------
    y_true : ndarray of shape (N,) or (N, L)
        True labels; a 2-D array is multilabel indicator data.
    y_pred : ndarray of shape (N,) or (N, L)
        Predicted labels, same shape as ``y_true``.
    normalize : bool
        True: the (weighted) fraction correct. False: the (weighted) count correct.
    sample_weight : ndarray of shape (N,), optional
        Non-negative weight of each sample.

    Returns
    -------
    score : float
        In [0, 1] when ``normalize``; for (N, L) input a sample is correct only
        if all L labels match (subset accuracy, the strictest multilabel score).
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim not in (1, 2):
        raise ValueError("y_true and y_pred must have the same shape, (N,) or (N, L)")
    if y_true.shape[0] == 0:
        raise ValueError("accuracy of an empty set is undefined")
    correct = y_true == y_pred
    if correct.ndim == 2:
        correct = correct.all(axis=1)
    w = np.ones(correct.shape[0]) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if w.shape != correct.shape or np.any(w < 0):
        raise ValueError("sample_weight must be non-negative with shape (N,)")
    hits = float(np.sum(w * correct))
    if not normalize:
        return hits
    if w.sum() == 0:
        raise ValueError("sample weights sum to zero")
    return hits / float(w.sum())


def balanced_accuracy_score(y_true, y_pred, adjusted=False):
    """Mean of the per-class recalls (sensitivity averaged over classes).

    Mirrors ``sklearn.metrics.balanced_accuracy_score``. Classes are those of
    ``y_true`` and ``y_pred`` together; the average runs over the classes present
    in ``y_true`` only. With ``adjusted=True`` the score is rescaled so that
    chance (any constant or random prediction) scores 0 and perfection 1:
    ``(score - 1/K) / (1 - 1/K)`` with K the number of true classes, as in
    scikit-learn. Can then be negative.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True labels.
    y_pred : ndarray of shape (N,)
        Predicted labels.
    adjusted : bool
        Rescale for chance.

    Returns
    -------
    score : float
        Equals plain accuracy when every class has the same number of samples.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError("y_true and y_pred must be 1-D arrays of the same length")
    if y_true.size == 0:
        raise ValueError("balanced accuracy of an empty set is undefined")
    labels, codes = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    t, p = codes[: y_true.size], codes[y_true.size :]
    cm = confusion_matrix(t, p, len(labels))
    support = cm.sum(axis=1)
    present = support > 0  # a class never true has recall 0/0: skip it
    recall = np.diag(cm)[present] / support[present]
    score = float(np.mean(recall))
    if adjusted:
        chance = 1.0 / present.sum()
        if chance == 1.0:
            raise ValueError("adjusted balanced accuracy needs at least two true classes")
        score = (score - chance) / (1.0 - chance)
    return score


def accuracy_standard_error(acc, n):
    """Binomial standard error of an accuracy measured on ``n`` independent samples.

    ``sqrt(acc (1 - acc) / n)``: how much the measured accuracy would vary
    between test sets of the same size (the normal-approximation interval is
    ``acc +- 1.96 * se``, the half-width of statsmodels'
    ``proportion_confint(count, n, method="normal")``; use ``method="wilson"``
    when ``n`` is small or ``acc`` is near 0 or 1).

    Parameters
    ----------
    acc : float
        Measured accuracy in [0, 1].
    n : int
        Number of test samples.

    Returns
    -------
    se : float
    """
    if n <= 0:
        raise ValueError("n must be positive")
    return float(np.sqrt(acc * (1.0 - acc) / n))


# ----------------------------------------------------------------------------- checks


def _example(seed=0, n=300, k=4):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, k, size=n)
    y_pred = np.where(rng.random(n) < 0.6, y_true, rng.integers(0, k, size=n))
    return y_true, y_pred, k


def check_matches_trace_of_confusion_matrix():
    y_true, y_pred, k = _example()
    cm = confusion_matrix(y_true, y_pred, k)
    assert accuracy_score(y_true, y_pred) == np.trace(cm) / cm.sum()
    assert accuracy_score(y_true, y_pred, normalize=False) == np.trace(cm)


def check_sample_weight_counts_duplicates():
    # Weight 2 on a sample is the same as listing it twice.
    y_true, y_pred = np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2])
    w = np.array([2.0, 1.0, 3.0, 1.0])
    rep = np.repeat(np.arange(4), w.astype(int))
    assert_close(accuracy_score(y_true, y_pred, sample_weight=w), accuracy_score(y_true[rep], y_pred[rep]))
    assert accuracy_score(y_true, y_pred, normalize=False, sample_weight=w) == 4.0


def check_multilabel_is_subset_accuracy():
    y_true = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    y_pred = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]])
    # Only the first row matches exactly, although 7 of 9 labels are right.
    assert accuracy_score(y_true, y_pred) == 1 / 3
    assert accuracy_score(y_true.ravel(), y_pred.ravel()) == 7 / 9


def check_majority_baseline_on_imbalanced_data():
    # 95 negatives, 5 positives; always predicting the majority class.
    y_true = np.r_[np.zeros(95, int), np.ones(5, int)]
    y_pred = np.zeros(100, int)
    assert accuracy_score(y_true, y_pred) == 0.95
    assert balanced_accuracy_score(y_true, y_pred) == 0.5
    assert balanced_accuracy_score(y_true, y_pred, adjusted=True) == 0.0


def check_balanced_accuracy_is_macro_recall_and_equals_accuracy_when_balanced():
    from snippets.precision_and_recall import precision_recall

    y_true, y_pred, k = _example(1)
    _, macro_recall = precision_recall(y_true, y_pred, k, average="macro")
    assert_close(balanced_accuracy_score(y_true, y_pred), macro_recall, rtol=1e-12)
    balanced = np.repeat(np.arange(k), 25)
    pred = np.random.default_rng(2).permutation(balanced)
    assert_close(balanced_accuracy_score(balanced, pred), accuracy_score(balanced, pred), rtol=1e-12)


def check_class_only_predicted_is_ignored_and_strings_work():
    # "fox" is predicted but never true: it has no recall, so it is not averaged.
    y_true = np.array(["cat", "cat", "dog", "dog"])
    y_pred = np.array(["cat", "fox", "dog", "dog"])
    assert balanced_accuracy_score(y_true, y_pred) == (0.5 + 1.0) / 2
    assert accuracy_score(y_true, y_pred) == 0.75


def check_edge_cases_raise_clearly():
    for bad in (
        lambda: accuracy_score([], []),
        lambda: balanced_accuracy_score([], []),
        lambda: accuracy_score([0, 1], [0]),
        lambda: balanced_accuracy_score([1, 1], [1, 0], adjusted=True),
    ):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("expected ValueError")
    # A batch of one is fine: 0 or 1.
    assert accuracy_score([3], [3]) == 1.0 and accuracy_score([3], [2]) == 0.0


def check_standard_error_matches_simulation():
    rng = np.random.default_rng(3)
    n, p = 200, 0.8
    accs = rng.binomial(n, p, size=20000) / n
    assert_close(accs.std(), accuracy_standard_error(p, n), rtol=0.03, what="binomial standard error")


if __name__ == "__main__":
    y_true = np.array([0] * 95 + [1] * 5)
    always_zero = np.zeros(100, dtype=int)
    print("100 transactions, 5 fraudulent")
    print(
        f"predict 'not fraud' always: accuracy {accuracy_score(y_true, always_zero):.2f}, "
        f"balanced accuracy {balanced_accuracy_score(y_true, always_zero):.2f}"
    )
    model = always_zero.copy()
    model[[0, 1, 2, 3, 4, 5, 95, 96, 97, 98]] = 1  # catches 4 of 5 frauds, 6 false alarms
    print(
        f"a real detector:            accuracy {accuracy_score(y_true, model):.2f}, "
        f"balanced accuracy {balanced_accuracy_score(y_true, model):.4f}"
    )
    print(f"correct predictions (normalize=False): {accuracy_score(y_true, model, normalize=False):.0f}")
    se = accuracy_standard_error(0.93, 100)
    print(f"standard error of 0.93 on 100 samples: {se:.4f}  (95% interval about +-{1.96 * se:.3f})")
    yt = np.array([[1, 0, 1], [0, 1, 0], [1, 1, 0]])
    yp = np.array([[1, 0, 1], [0, 1, 1], [1, 0, 0]])
    print(f"multilabel subset accuracy: {accuracy_score(yt, yp):.4f}  (per-label: {accuracy_score(yt.ravel(), yp.ravel()):.4f})")
