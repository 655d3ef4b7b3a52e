"""k-nearest-neighbour classification by majority vote.

A query point gets the most common label among the ``k`` training points
closest to it in Euclidean distance. There is no training step: the "model" is
the training set.

Conventions follow ``sklearn.neighbors.KNeighborsClassifier(weights="uniform")``:
Euclidean distance, ``predict_proba`` = vote fractions, and a tie in the vote
goes to the smallest class label, because the winner is ``argmax`` of the vote
counts. Neighbours at equal distance are taken in training-set order (a stable
sort); scikit-learn documents only that such ties make the result depend on
the order of the training data.
"""

import numpy as np


def pairwise_sq_dists(A, B):
    """Squared Euclidean distances between every row of ``A`` and every row of ``B``.

    Computed from the differences, ``sum((a - b)^2)``, which is exact for equal
    points and never negative. The expansion ``|a|^2 + |b|^2 - 2 a.b`` used by
    scikit-learn's ``euclidean_distances`` is faster for large inputs but can
    give small negative values and blur exact ties. Memory is O(N M D).

    Parameters
    ----------
    A : ndarray of shape (N, D)
    B : ndarray of shape (M, D)

    Returns
    -------
    d2 : ndarray of shape (N, M)
        ``d2[i, j] = ||A[i] - B[j]||^2``.
    """
    diff = A[:, None, :] - B[None, :, :]
    return np.einsum("nmd,nmd->nm", diff, diff)


def kneighbors(X_train, X_query, k):
    """Indices of the ``k`` nearest training points of every query point.

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    X_query : ndarray of shape (M, D)
    k : int
        Number of neighbours, ``1 <= k <= N``.

    Returns
    -------
    idx : ndarray of shape (M, k)
        Neighbour indices, nearest first; equal distances keep training order.
    d2 : ndarray of shape (M, k)
        Their squared distances.
    """
    if not 1 <= k <= X_train.shape[0]:
        raise ValueError("need 1 <= k <= number of training points")
    d2 = pairwise_sq_dists(X_query, X_train)
    idx = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return idx, np.take_along_axis(d2, idx, axis=1)


def knn_predict_proba(X_train, y_train, X_query, k, num_classes):
    """Fraction of the ``k`` neighbours in each class (scikit-learn's ``predict_proba``).

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
        Integer labels in ``[0, num_classes)``.
    X_query : ndarray of shape (M, D)
    k : int
    num_classes : int

    Returns
    -------
    proba : ndarray of shape (M, num_classes)
        Rows sum to 1.
    """
    idx, _ = kneighbors(X_train, X_query, k)
    votes = np.zeros((X_query.shape[0], num_classes))
    np.add.at(votes, (np.arange(idx.shape[0])[:, None], y_train[idx]), 1.0)
    return votes / k


def knn_predict(X_train, y_train, X_query, k, num_classes):
    """Majority vote of the ``k`` nearest neighbours.

    Tie-break: among classes with the same number of votes the smallest label
    wins (``argmax`` returns the first maximum), as in scikit-learn with
    uniform weights. For two classes an odd ``k`` avoids ties altogether.

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
    X_query : ndarray of shape (M, D)
    k : int
    num_classes : int

    Returns
    -------
    y_pred : ndarray of shape (M,)
    """
    return np.argmax(knn_predict_proba(X_train, y_train, X_query, k, num_classes), axis=1)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's scikit-learn and SciPy tabs).

    Several sizes, dimensions and k (1, even and odd, k = N); queries that are training points
    (distance 0 to themselves); vote ties between classes (k = 4 with two classes, and k = N on a
    balanced set). No two training points are at the same distance from a query, so the
    neighbours' order is unique.

    Returns
    -------
    list of dict with X_train (N, D), y_train (N,), X_query (M, D), k (int), num_classes (int)
    """
    rng = np.random.default_rng(61)
    X, y = _blobs(0)
    perm = rng.permutation(y.size)
    cases = [{"X_train": X[perm[:30]], "y_train": y[perm[:30]], "X_query": X[perm[30:]], "k": 5, "num_classes": 3}]
    cases.append({**cases[0], "k": 1})
    cases.append({**cases[0], "X_query": X[perm[:30]], "k": 1})  # each point is its own neighbour
    X = rng.normal(size=(40, 6))
    y = (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(np.int64)
    cases.append({"X_train": X, "y_train": y, "X_query": rng.normal(size=(25, 6)), "k": 4, "num_classes": 2})
    X = rng.normal(size=(6, 2))
    cases.append({"X_train": X, "y_train": np.array([0, 1, 2, 0, 1, 2]), "X_query": rng.normal(size=(3, 2)), "k": 6, "num_classes": 3})
    return cases


def knn_everything(X_train, y_train, X_query, k, num_classes):
    """Neighbours (with Euclidean, not squared, distances), vote fractions and predictions.

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
    X_query : ndarray of shape (M, D)
    k, num_classes : int

    Returns
    -------
    dist : ndarray of shape (M, k)
        Euclidean distances to the neighbours, nearest first.
    idx : ndarray of shape (M, k)
    proba : ndarray of shape (M, num_classes)
    pred : ndarray of shape (M,)
    """
    idx, d2 = kneighbors(X_train, X_query, k)
    proba = knn_predict_proba(X_train, y_train, X_query, k, num_classes)
    return np.sqrt(d2), idx, proba, knn_predict(X_train, y_train, X_query, k, num_classes)


def nearest(X_train, X_query, k, y_train=None, num_classes=None):
    """Euclidean distances and indices of the ``k`` nearest training points (labels unused).

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    X_query : ndarray of shape (M, D)
    k : int
    y_train, num_classes : ignored

    Returns
    -------
    dist, idx : ndarray of shape (M, k)
    """
    idx, d2 = kneighbors(X_train, X_query, k)
    return np.sqrt(d2), idx


# ----------------------------------------------------------------------------- checks


def _blobs(seed=0, n_per=15):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [2.5, 0.0], [1.2, 2.0]])
    X = np.vstack([c + 0.8 * rng.normal(size=(n_per, 2)) for c in centres])
    y = np.repeat(np.arange(3), n_per)
    return X, y


def check_distances_match_explicit_formula():
    rng = np.random.default_rng(0)
    A, B = rng.normal(size=(5, 3)), rng.normal(size=(4, 3))
    d2 = pairwise_sq_dists(A, B)
    expected = np.array([[np.sum((a - b) ** 2) for b in B] for a in A])
    assert np.allclose(d2, expected, rtol=1e-14, atol=0)
    d_self = pairwise_sq_dists(A, A)
    assert np.all(np.diag(d_self) == 0) and np.array_equal(d_self, d_self.T) and np.all(d_self >= 0)


def check_k1_has_zero_training_error():
    # Each distinct training point is its own nearest neighbour (distance 0).
    X, y = _blobs(1)
    assert np.array_equal(knn_predict(X, y, X, 1, 3), y)


def check_vote_tie_goes_to_smallest_label():
    X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([2, 2, 1, 1])
    # k = 4: two votes each for classes 1 and 2 -> class 1.
    assert knn_predict(X, y, np.array([[0.0]]), 4, 3)[0] == 1
    # Equal distances: the earlier training point is the nearer one.
    idx, _ = kneighbors(X, np.array([[0.0]]), 2)
    assert idx.tolist() == [[1, 2]]


def check_k_equals_n_predicts_majority_class():
    X, y = _blobs(2)
    y = y.copy()
    y[:5] = 2  # class 2 now has the most points
    assert np.all(knn_predict(X, y, X, X.shape[0], 3) == 2)


def check_probabilities_are_vote_fractions():
    X, y = _blobs(3)
    rng = np.random.default_rng(4)
    Q = rng.normal(size=(6, 2))
    proba = knn_predict_proba(X, y, Q, 5, 3)
    assert np.allclose(proba.sum(axis=1), 1.0) and np.allclose(proba * 5, np.round(proba * 5))
    idx, d2 = kneighbors(X, Q, 5)
    assert np.all(np.diff(d2, axis=1) >= 0)
    assert np.array_equal(np.argmax(proba, axis=1), knn_predict(X, y, Q, 5, 3))


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _blobs(0)
    rng = np.random.default_rng(7)
    perm = rng.permutation(y.size)
    train, test = perm[:30], perm[30:]
    q = np.array([[1.3, 0.6]])
    idx, d2 = kneighbors(X[train], q, 5)
    print("query", q[0], "-> 5 nearest labels", y[train][idx[0]], "distances", np.sqrt(d2[0]))
    print("vote fractions:", knn_predict_proba(X[train], y[train], q, 5, 3)[0])
    print("prediction:", knn_predict(X[train], y[train], q, 5, 3)[0], "(a 2-2 tie goes to the smaller label)")
    for k in (1, 3, 7, 15, 30):
        tr = np.mean(knn_predict(X[train], y[train], X[train], k, 3) == y[train])
        te = np.mean(knn_predict(X[train], y[train], X[test], k, 3) == y[test])
        print(f"k={k:2d}: train accuracy {tr:.4f}, test accuracy {te:.4f}")
