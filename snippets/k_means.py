"""k-means clustering: Lloyd's algorithm with k-means++ seeding.

Minimise the inertia (within-cluster sum of squares)
``sum_i ||x_i - mu_{c(i)}||^2`` by alternating two steps, each of which can
only lower it: assign every point to its nearest centroid, then move every
centroid to the mean of its points.

Conventions follow ``sklearn.cluster.KMeans(init="k-means++", algorithm="lloyd")``
and its ``inertia_`` attribute, with three documented simplifications: one
initialisation (scikit-learn's ``n_init="auto"`` also runs one with k-means++);
the original k-means++ sampling (scikit-learn's "greedy" variant tries
``2 + log(k)`` candidates per centre and keeps the best); and stopping when the
assignments stop changing (scikit-learn stops when centroids move less than
``tol``). An empty cluster keeps its old centroid (scikit-learn relocates it
to a far-away point). Distance ties go to the lowest centroid index.
"""

import numpy as np

from snippets.k_nearest_neighbors import pairwise_sq_dists


def kmeans_plus_plus(X, k, seed):
    """k-means++ seeding (Arthur & Vassilvitskii, 2007).

    The first centre is a uniformly random data point; each next centre is a
    data point drawn with probability proportional to its squared distance to
    the nearest centre chosen so far.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    k : int
    seed : int
        Seed for ``np.random.default_rng`` (scikit-learn's ``random_state``).

    Returns
    -------
    centroids : ndarray of shape (k, D)
        Copies of k distinct data points (if X has at least k distinct points).
    """
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    chosen = [int(rng.integers(n))]
    d2 = pairwise_sq_dists(X, X[chosen]).min(axis=1)
    for _ in range(1, k):
        total = d2.sum()
        # Fewer than k distinct points: every D^2 is 0, fall back to uniform.
        i = int(rng.choice(n, p=d2 / total)) if total > 0 else int(rng.integers(n))
        chosen.append(i)
        d2 = np.minimum(d2, pairwise_sq_dists(X, X[i : i + 1])[:, 0])
    return X[chosen].copy()


def assign(X, centroids):
    """Nearest-centroid labels (assignment step).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    centroids : ndarray of shape (K, D)

    Returns
    -------
    labels : ndarray of shape (N,)
        Index of the nearest centroid (lowest index on ties).
    d2 : ndarray of shape (N,)
        Squared distance to it.
    """
    all_d2 = pairwise_sq_dists(X, centroids)
    labels = np.argmin(all_d2, axis=1)
    return labels, all_d2[np.arange(X.shape[0]), labels]


def update_centroids(X, labels, centroids):
    """Mean of each cluster (update step); an empty cluster keeps its centroid.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    labels : ndarray of shape (N,)
    centroids : ndarray of shape (K, D)
        Current centroids, used only for empty clusters.

    Returns
    -------
    new_centroids : ndarray of shape (K, D)
    """
    k = centroids.shape[0]
    counts = np.bincount(labels, minlength=k)
    sums = np.zeros_like(centroids)
    np.add.at(sums, labels, X)
    new = centroids.copy()
    nonempty = counts > 0
    new[nonempty] = sums[nonempty] / counts[nonempty, None]
    return new


def inertia(X, centroids, labels):
    """Within-cluster sum of squares (scikit-learn's ``inertia_``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    centroids : ndarray of shape (K, D)
    labels : ndarray of shape (N,)

    Returns
    -------
    value : float
    """
    diff = X - centroids[labels]
    return float(np.sum(diff * diff))


def lloyd(X, centroids, max_iter=100):
    """Lloyd's algorithm from given initial centroids.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    centroids : ndarray of shape (K, D)
        Initial centroids.
    max_iter : int

    Returns
    -------
    centroids : ndarray of shape (K, D)
    labels : ndarray of shape (N,)
        Nearest-centroid labels of the returned centroids.
    history : ndarray of shape (T,)
        Inertia after every half-step (assign, update, assign, ..., assign);
        non-increasing.
    """
    labels, history = None, []
    for _ in range(max_iter):
        new_labels, d2 = assign(X, centroids)
        history.append(float(d2.sum()))
        if labels is not None and np.array_equal(new_labels, labels):
            break  # converged: the update step would return the same centroids
        labels = new_labels
        centroids = update_centroids(X, labels, centroids)
        history.append(inertia(X, centroids, labels))
    else:
        labels, d2 = assign(X, centroids)
        history.append(float(d2.sum()))
    return centroids, labels, np.array(history)


def kmeans(X, k, seed=0, max_iter=100):
    """k-means with k-means++ seeding followed by Lloyd's algorithm.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    k : int
    seed : int
    max_iter : int

    Returns
    -------
    centroids : ndarray of shape (k, D)
    labels : ndarray of shape (N,)
    history : ndarray of shape (T,)
        Inertia after every half-step; ``history[-1]`` is the final inertia.
    """
    return lloyd(X, kmeans_plus_plus(X, k, seed), max_iter)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's scikit-learn and SciPy tabs).

    Lloyd's algorithm is deterministic once the initial centroids are fixed, so every case
    carries them (``init``, shape (K, D)): k-means++ seeds on blobs, a poor start that needs
    several iterations, more dimensions, k = 1, a batch of two with k = 2 (inertia 0) and
    far-off data. No cluster empties on the way (see :func:`empty_cluster_cases`).

    Returns
    -------
    list of dict with X (N, D) and init (K, D)
    """
    rng = np.random.default_rng(51)
    X, _ = _blobs(0, spread=0.9)
    cases = [{"X": X, "init": kmeans_plus_plus(X, 3, seed=0)}, {"X": X, "init": X[:3].copy()}]
    X = rng.normal(size=(60, 4)) + np.repeat(rng.normal(scale=3.0, size=(4, 4)), 15, axis=0)
    cases.append({"X": X, "init": kmeans_plus_plus(X, 4, seed=1)})
    cases.append({"X": X, "init": X[:1].copy()})
    X = rng.normal(size=(2, 3))
    cases.append({"X": X, "init": X[::-1].copy()})
    X = rng.normal(size=(40, 2)) * [1.0, 0.1] + [1e3, -5e2]
    cases.append({"X": X, "init": kmeans_plus_plus(X, 5, seed=2)})
    return cases


def empty_cluster_cases():
    """:func:`equivalence_cases` plus a start whose third centroid is far from every point.

    That centroid gets no points in the first assignment; the snippet (like SciPy's
    ``kmeans2``) keeps it where it is, scikit-learn moves it to a far-away data point.

    Returns
    -------
    list of dict with X (N, D) and init (K, D)
    """
    X, _ = _blobs(0, spread=0.9)
    return [*equivalence_cases(), {"X": X, "init": np.array([[0.0, 0.0], [4.0, 0.0], [50.0, 50.0]])}]


def lloyd_result(X, init):
    """Final centroids, labels and inertia of :func:`lloyd` from ``init``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    init : ndarray of shape (K, D)

    Returns
    -------
    centroids : ndarray of shape (K, D)
    labels : ndarray of shape (N,)
    inertia : float
    """
    centroids, labels, history = lloyd(X, init)
    return centroids, labels, history[-1]


# ----------------------------------------------------------------------------- checks


def _blobs(seed=0, n_per=30, spread=0.6):
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [4.0, 0.0], [2.0, 3.5]])
    X = np.vstack([c + spread * rng.normal(size=(n_per, 2)) for c in centres])
    return X, np.repeat(np.arange(3), n_per)


def check_inertia_never_increases():
    X, _ = _blobs(0, spread=1.5)  # overlapping clusters: several iterations
    for seed in range(5):
        # Random data points as a poor start, so Lloyd has work to do.
        start = X[np.random.default_rng(seed).choice(X.shape[0], 4, replace=False)]
        _, _, history = lloyd(X, start)
        assert history.size > 3
        assert np.all(np.diff(history) <= 1e-12 * history[0])


def check_converged_state_is_a_fixed_point():
    X, _ = _blobs(1, spread=1.2)
    centroids, labels, history = kmeans(X, 3, seed=2)
    nearest = np.argmin(pairwise_sq_dists(X, centroids), axis=1)
    assert np.array_equal(labels, nearest)  # every point is at its nearest centroid
    for j in range(3):  # every centroid is the mean of its points
        assert np.allclose(centroids[j], X[labels == j].mean(axis=0))
    assert np.isclose(history[-1], inertia(X, centroids, labels))


def check_recovers_well_separated_clusters():
    X, y = _blobs(2)
    _, labels, _ = kmeans(X, 3, seed=0)
    table = np.zeros((3, 3), dtype=int)
    np.add.at(table, (y, labels), 1)
    # A permutation of the true labels: each true cluster maps to one found cluster.
    assert np.array_equal(np.sort(table, axis=1)[:, :2], np.zeros((3, 2))) and set(table.argmax(1)) == {0, 1, 2}


def check_kmeans_plus_plus_is_seeded_and_picks_data_points():
    X, _ = _blobs(3)
    c1, c2 = kmeans_plus_plus(X, 3, seed=5), kmeans_plus_plus(X, 3, seed=5)
    assert np.array_equal(c1, c2)
    assert all(np.any(np.all(X == c, axis=1)) for c in c1)
    assert len({tuple(c) for c in c1}) == 3  # a chosen point has D^2 = 0: never drawn again


def check_update_step_minimises_within_cluster_squares():
    # For fixed labels the mean is the best centre: moving it raises the inertia.
    X, y = _blobs(4, spread=1.0)
    centroids = update_centroids(X, y, np.zeros((3, 2)))
    base = inertia(X, centroids, y)
    rng = np.random.default_rng(0)
    for _ in range(10):
        assert inertia(X, centroids + 0.01 * rng.normal(size=centroids.shape), y) > base


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _blobs(0, spread=0.9)
    init = kmeans_plus_plus(X, 3, seed=0)
    print("k-means++ seeds (data points):", init.round(2).tolist())
    centroids, labels, history = lloyd(X, init)
    print("inertia after each half-step (assign, update, ...):")
    print(history)
    print("final centroids (true centres (0, 0), (4, 0), (2, 3.5)):")
    print(centroids)
    print("cluster sizes:", np.bincount(labels, minlength=3))
    inertias = [kmeans(X, k, seed=0)[2][-1] for k in (1, 2, 3, 4, 5)]
    print("final inertia for k = 1..5:", np.array(inertias), "(the elbow is at k = 3)")
