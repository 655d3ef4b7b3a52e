"""Top-k accuracy: a prediction counts as correct if the true class is among the k highest scores.

Mirrors ``sklearn.metrics.top_k_accuracy_score(y_true, y_score, k=2,
normalize=True, sample_weight=None)`` (note the default k = 2), for classes
0 .. C-1:

- ties: scikit-learn sorts with a stable ascending argsort and reverses it, so
  among equal scores the class with the *highest index* is ranked first. The
  result can therefore depend on the order of the classes. (``torch.topk``
  makes no promise about ties at all; ``np.argmax`` picks the *lowest* index.)
  ``top_k_accuracy_tie_aware`` gives the expected value under random
  tie-breaking instead.
- binary 1-D scores: with k = 1 a sample is predicted positive when its score
  is *strictly* above 0.5 (scores in [0, 1]) or 0 (other scores); with k >= 2
  every sample is a hit.
- k >= C always gives 1 (scikit-learn warns that this is meaningless).
"""

import numpy as np
from termbook.checks import assert_close

from snippets.accuracy import accuracy_score

__all__ = ["top_k_accuracy_score", "top_k_accuracy_tie_aware"]


def top_k_accuracy_score(y_true, y_score, k=2, normalize=True, sample_weight=None):
    """Fraction (or weighted count) of samples whose true class is among the top k scores.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        True class indices in ``[0, C)``.
    y_score : ndarray of shape (N, C), or of shape (N,) for binary problems
        Scores (probabilities, logits); higher means more likely.
    k : int
        Number of guesses allowed.
    normalize : bool
        Fraction (True) or count (False) of hits.
    sample_weight : ndarray of shape (N,), optional

    Returns
    -------
    score : float
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    if y_true.ndim != 1 or y_score.shape[0] != y_true.shape[0] or y_true.size == 0:
        raise ValueError("y_true must have shape (N,) with N > 0 and match y_score")
    if k < 1:
        raise ValueError("k must be at least 1")
    if y_score.ndim == 1:  # binary: one score per sample for class 1
        if k == 1:
            threshold = 0.5 if (y_score.min() >= 0 and y_score.max() <= 1) else 0.0
            hits = (y_score > threshold).astype(np.int64) == y_true
        else:
            hits = np.ones(y_true.shape, dtype=bool)
    else:
        # Stable ascending sort, reversed: among ties the highest class index comes first.
        ranked = np.argsort(y_score, axis=1, kind="mergesort")[:, ::-1]
        hits = (ranked[:, :k] == y_true[:, None]).any(axis=1)
    if normalize:
        return float(np.average(hits, weights=sample_weight))
    return float(np.sum(hits) if sample_weight is None else np.dot(hits, sample_weight))


def top_k_accuracy_tie_aware(y_true, y_score, k=2):
    """Expected top-k accuracy when ties are broken uniformly at random.

    No scikit-learn equivalent: ``top_k_accuracy_score`` breaks ties by class index.

    For each sample let g be the number of classes scored strictly higher than
    the true class and e the number scored equal to it (the true class
    included). The hit probability is 1 if ``g + e <= k``, 0 if ``g >= k``, and
    ``(k - g) / e`` otherwise.

    Parameters
    ----------
    y_true : ndarray of shape (N,)
    y_score : ndarray of shape (N, C)
    k : int

    Returns
    -------
    score : float
        Between the pessimistic and the optimistic tie-breaking results.
    """
    y_true = np.asarray(y_true)
    y_score = np.asarray(y_score, dtype=np.float64)
    s_true = y_score[np.arange(y_true.size), y_true][:, None]
    g = np.sum(y_score > s_true, axis=1)
    e = np.sum(y_score == s_true, axis=1)
    p = np.clip((k - g) / e, 0.0, 1.0)
    return float(np.mean(p))


# ----------------------------------------------------------------------------- checks


def check_scikit_learn_docstring_example():
    y = np.array([0, 1, 2, 2])
    s = np.array([[0.5, 0.2, 0.2], [0.3, 0.4, 0.2], [0.2, 0.4, 0.3], [0.7, 0.2, 0.1]])
    assert top_k_accuracy_score(y, s, k=2) == 0.75
    assert top_k_accuracy_score(y, s, k=2, normalize=False) == 3.0


def check_top_1_is_accuracy_without_ties_and_monotone_in_k():
    rng = np.random.default_rng(0)
    y, s = rng.integers(0, 10, 200), rng.normal(size=(200, 10))
    assert top_k_accuracy_score(y, s, k=1) == accuracy_score(y, s.argmax(axis=1))
    vals = [top_k_accuracy_score(y, s, k=k) for k in range(1, 11)]
    assert all(a <= b for a, b in zip(vals, vals[1:])) and vals[-1] == 1.0
    # Random scores: top-k accuracy is about k / C.
    y, s = rng.integers(0, 10, 20000), rng.normal(size=(20000, 10))
    assert abs(top_k_accuracy_score(y, s, k=3) - 0.3) < 0.015


def check_ties_go_to_the_highest_index():
    # All scores equal: the ranking is C-1, C-2, ..., 0.
    s = np.zeros((3, 4))
    assert top_k_accuracy_score(np.array([3, 3, 3]), s, k=1) == 1.0
    assert top_k_accuracy_score(np.array([0, 0, 0]), s, k=3) == 0.0
    # np.argmax breaks the same tie the other way, so "top-1" and accuracy of argmax differ here.
    assert accuracy_score(np.array([0, 0, 0]), s.argmax(axis=1)) == 1.0
    # Expected value under random tie-breaking: k / C for a fully tied row.
    assert np.isclose(top_k_accuracy_tie_aware(np.array([0, 3]), s[:2], k=3), 0.75)


def check_tie_aware_is_the_average_over_class_orders():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 5, 300)
    s = rng.integers(0, 3, size=(300, 5)).astype(float)  # coarse scores: many ties
    vals = []
    for _ in range(400):
        perm = rng.permutation(5)  # relabel the classes, which reshuffles tie-breaking
        inv = np.argsort(perm)
        vals.append(top_k_accuracy_score(inv[y], s[:, perm], k=2))
    assert_close(np.mean(vals), top_k_accuracy_tie_aware(y, s, k=2), rtol=0.02)
    assert min(vals) <= top_k_accuracy_tie_aware(y, s, k=2) <= max(vals)


def check_binary_branch_and_weights():
    y = np.array([0, 1, 1, 0, 1])
    p = np.array([0.2, 0.5, 0.9, 0.6, 0.7])  # 0.5 is not > 0.5: predicted negative
    assert top_k_accuracy_score(y, p, k=1) == 3 / 5
    assert top_k_accuracy_score(y, np.array([-2.0, 0.0, 3.0, 1.0, 0.5]), k=1) == 3 / 5  # logits: threshold 0
    assert top_k_accuracy_score(y, p, k=2) == 1.0
    w = np.array([1.0, 2.0, 1.0, 1.0, 1.0])
    assert top_k_accuracy_score(y, p, k=1, sample_weight=w) == 3 / 6
    for bad in (lambda: top_k_accuracy_score(y, p, k=0), lambda: top_k_accuracy_score([], np.zeros((0, 3)))):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError("expected ValueError")


if __name__ == "__main__":
    np.set_printoptions(precision=2, suppress=True)
    classes = ["cat", "lynx", "dog", "wolf", "fox"]
    scores = np.array(
        [
            [0.40, 0.35, 0.10, 0.05, 0.10],  # cat, predicted cat
            [0.45, 0.30, 0.05, 0.05, 0.15],  # lynx, second guess
            [0.05, 0.05, 0.30, 0.40, 0.20],  # dog, second guess
            [0.10, 0.05, 0.25, 0.20, 0.40],  # wolf, third guess
            [0.20, 0.20, 0.20, 0.20, 0.20],  # fox, all tied
        ]
    )
    y = np.array([0, 1, 2, 3, 4])
    for k in (1, 2, 3):
        print(f"top-{k} accuracy: {top_k_accuracy_score(y, scores, k=k):.2f}   tie-aware: {top_k_accuracy_tie_aware(y, scores, k=k):.2f}")
    print("ranking of the tied row (sklearn order):", [classes[i] for i in np.argsort(scores[4], kind="mergesort")[::-1]])
