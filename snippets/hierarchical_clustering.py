"""Agglomerative hierarchical clustering: merge the two closest clusters until one is left.

The result is a linkage matrix in the format of ``scipy.cluster.hierarchy.linkage``:
``Z`` of shape (N - 1, 4), row ``i`` merging clusters ``Z[i, 0] < Z[i, 1]`` at
height ``Z[i, 2]`` into a new cluster numbered ``N + i`` with ``Z[i, 3]`` points
(original points are clusters 0..N-1). Distances between clusters are updated
with the Lance-Williams formula, as SciPy does, for ``method`` in
{"single", "complete", "average", "ward"} on Euclidean distances; SciPy's Ward
height is ``sqrt(2 * increase in within-cluster sum of squares)``. This is the
O(N^3) textbook algorithm (SciPy uses O(N^2) nearest-neighbour chains and
minimum spanning trees, which produce the same tree); ties merge the pair with
the smallest indices. :func:`fcluster_maxclust` mirrors
``fcluster(Z, k, criterion="maxclust")`` but numbers the clusters 1..k by first
appearance, which may differ from SciPy's numbering.
"""

import numpy as np

from snippets.k_nearest_neighbors import pairwise_sq_dists


def euclidean_distances(X):
    """Pairwise Euclidean distances (``scipy.spatial.distance.squareform(pdist(X))``).

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    D : ndarray of shape (N, N)
        Symmetric, zero diagonal.
    """
    D = np.sqrt(np.maximum(pairwise_sq_dists(X, X), 0.0))
    np.fill_diagonal(D, 0.0)
    return D


def lance_williams(d_ki, d_kj, d_ij, n_i, n_j, n_k, method):
    """Distance from cluster k to the union of clusters i and j.

    The update used inside ``scipy.cluster.hierarchy.linkage``.

    Parameters
    ----------
    d_ki, d_kj : ndarray of shape (M,)
        Distances from M other clusters to i and to j.
    d_ij : float
    n_i, n_j : int
    n_k : ndarray of shape (M,)
        Sizes of the other clusters.
    method : {"single", "complete", "average", "ward"}

    Returns
    -------
    d : ndarray of shape (M,)
    """
    if method == "single":
        return np.minimum(d_ki, d_kj)
    if method == "complete":
        return np.maximum(d_ki, d_kj)
    if method == "average":
        return (n_i * d_ki + n_j * d_kj) / (n_i + n_j)
    if method == "ward":
        t = n_i + n_j + n_k
        sq = ((n_i + n_k) * d_ki**2 + (n_j + n_k) * d_kj**2 - n_k * d_ij**2) / t
        return np.sqrt(np.maximum(sq, 0.0))
    raise ValueError("method must be 'single', 'complete', 'average' or 'ward'")


def linkage(X, method="single"):
    """Agglomerative clustering, like ``scipy.cluster.hierarchy.linkage(X, method)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Observations (N >= 2).
    method : {"single", "complete", "average", "ward"}

    Returns
    -------
    Z : ndarray of shape (N - 1, 4)
        ``[cluster_a, cluster_b, height, size]`` per merge, in merge order.
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    if n < 2:
        raise ValueError("need at least two observations")
    D = euclidean_distances(X)
    np.fill_diagonal(D, np.inf)
    ids = np.arange(n)  # cluster number held in each row/column of D
    sizes = np.ones(n)
    active = np.ones(n, dtype=bool)
    Z = np.zeros((n - 1, 4))
    for step in range(n - 1):
        masked = np.where(active[:, None] & active[None, :], D, np.inf)
        i, j = np.unravel_index(np.argmin(masked), D.shape)  # row-major: smallest (i, j) on ties
        i, j = min(i, j), max(i, j)
        d_ij = D[i, j]
        a, b = sorted((ids[i], ids[j]))
        Z[step] = (a, b, d_ij, sizes[i] + sizes[j])
        others = active.copy()
        others[[i, j]] = False
        k = np.flatnonzero(others)
        new = lance_williams(D[k, i], D[k, j], d_ij, sizes[i], sizes[j], sizes[k], method)
        D[i, k] = D[k, i] = new  # the union lives in row/column i
        active[j] = False
        sizes[i] += sizes[j]
        ids[i] = n + step
    return Z


def members(Z, n):
    """The observations in every cluster of the tree.

    What ``scipy.cluster.hierarchy.to_tree(Z)`` gives node by node with ``pre_order()``.

    Parameters
    ----------
    Z : ndarray of shape (N - 1, 4)
    n : int

    Returns
    -------
    clusters : list of ndarray
        ``clusters[c]`` for c in 0..2N-2 (0..N-1 are the single points).
    """
    clusters = [np.array([i]) for i in range(n)]
    for a, b, _, _ in Z:
        clusters.append(np.concatenate([clusters[int(a)], clusters[int(b)]]))
    return clusters


def fcluster_maxclust(Z, k):
    """Flat clustering into k clusters by undoing the last k - 1 merges.

    ``scipy.cluster.hierarchy.fcluster(Z, k, criterion="maxclust")`` up to the numbering of the clusters.

    Parameters
    ----------
    Z : ndarray of shape (N - 1, 4)
    k : int
        ``1 <= k <= N``.

    Returns
    -------
    labels : ndarray of shape (N,)
        In 1..k, numbered by first appearance.
    """
    n = Z.shape[0] + 1
    if not 1 <= k <= n:
        raise ValueError("need 1 <= k <= N")
    clusters = members(Z, n)
    alive = set(range(n))
    for step in range(n - k):
        a, b = int(Z[step, 0]), int(Z[step, 1])
        alive -= {a, b}
        alive.add(n + step)
    raw = np.empty(n, dtype=np.int64)
    for c in alive:
        raw[clusters[c]] = c
    _, first = np.unique(raw, return_index=True)
    order = {raw[i]: r + 1 for r, i in enumerate(sorted(first))}
    return np.array([order[c] for c in raw])


def cophenetic(Z, n):
    """Cophenetic distances: the height at which two points first share a cluster (``cophenet``).

    Parameters
    ----------
    Z : ndarray of shape (N - 1, 4)
    n : int

    Returns
    -------
    C : ndarray of shape (N, N)
    """
    clusters = members(Z, n)
    C = np.zeros((n, n))
    for step, (a, b, h, _) in enumerate(Z):
        A, B = clusters[int(a)], clusters[int(b)]
        C[np.ix_(A, B)] = h
        C[np.ix_(B, A)] = h
    return C


def dendrogram_order(Z, n):
    """Leaf order of the dendrogram (left child first), like ``dendrogram(Z)["leaves"]``.

    Parameters
    ----------
    Z : ndarray of shape (N - 1, 4)
    n : int

    Returns
    -------
    leaves : list of int
    """

    def walk(c):
        if c < n:
            return [c]
        a, b = int(Z[c - n, 0]), int(Z[c - n, 1])
        return walk(a) + walk(b)

    return walk(2 * n - 2)


def make_blobs_with_bridge(seed=0):
    """Two round blobs joined by a thin line of points, plus a small third blob.

    Hand-made data in the spirit of ``sklearn.datasets.make_blobs``.

    Parameters
    ----------
    seed : int

    Returns
    -------
    X : ndarray of shape (30, 2)
    y : ndarray of shape (30,)
        0, 1 for the big blobs (10 points each), 2 for the bridge (7), 3 for the small blob (3).
    """
    rng = np.random.default_rng(seed)
    a = rng.normal(scale=0.35, size=(10, 2)) + [0.0, 0.0]
    b = rng.normal(scale=0.35, size=(10, 2)) + [4.0, 0.0]
    bridge = np.stack([np.linspace(0.7, 3.3, 7), 0.05 * rng.normal(size=7)], axis=1)
    c = rng.normal(scale=0.25, size=(3, 2)) + [2.0, 3.0]
    y = np.repeat([0, 1, 2, 3], [10, 10, 7, 3])
    return np.concatenate([a, b, bridge, c]), y


# ---------------------------------------------------------------- checks


def _mst_weights(D):
    n = len(D)
    in_tree = np.zeros(n, dtype=bool)
    in_tree[0] = True
    best = D[0].copy()
    weights = []
    for _ in range(n - 1):
        cand = np.where(in_tree, np.inf, best)
        j = int(np.argmin(cand))
        weights.append(cand[j])
        in_tree[j] = True
        best = np.minimum(best, D[j])
    return np.sort(weights)


def check_single_linkage_heights_are_the_minimum_spanning_tree():
    X = np.random.default_rng(0).normal(size=(15, 2))
    Z = linkage(X, "single")
    assert np.allclose(np.sort(Z[:, 2]), _mst_weights(euclidean_distances(X)))


def check_heights_match_brute_force_definitions():
    X = np.random.default_rng(1).normal(size=(12, 3))
    D = euclidean_distances(X)
    for method, f in (("complete", np.max), ("average", np.mean)):
        Z = linkage(X, method)
        cl = members(Z, 12)
        for a, b, h, _ in Z:
            assert np.isclose(h, f(D[np.ix_(cl[int(a)], cl[int(b)])]))


def check_ward_height_is_the_increase_in_within_cluster_sum_of_squares():
    X = np.random.default_rng(2).normal(size=(12, 2))
    Z = linkage(X, "ward")
    cl = members(Z, 12)

    def ess(idx):
        return np.sum((X[idx] - X[idx].mean(axis=0)) ** 2)

    for a, b, h, _ in Z:
        A, B = cl[int(a)], cl[int(b)]
        increase = ess(np.concatenate([A, B])) - ess(A) - ess(B)
        assert np.isclose(h, np.sqrt(2 * increase))


def check_tree_is_well_formed_and_ultrametric():
    X = np.random.default_rng(3).normal(size=(10, 2))
    for method in ("single", "complete", "average", "ward"):
        Z = linkage(X, method)
        assert np.all(np.diff(Z[:, 2]) >= -1e-12)  # these four methods never produce inversions
        assert Z[-1, 3] == 10 and np.all(Z[:, 0] < Z[:, 1])
        C = cophenetic(Z, 10)
        # Ultrametric: C[i, k] <= max(C[i, j], C[j, k]) for all triples.
        assert np.all(C[:, None, :] <= np.maximum(C[:, :, None], C[None, :, :]) + 1e-12)
        assert sorted(dendrogram_order(Z, 10)) == list(range(10))


def check_flat_clusters_and_extremes():
    X = np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])  # a duplicate point merges at height 0
    Z = linkage(X, "ward")
    assert Z[0, 2] == 0.0 and np.all(np.isfinite(Z))
    assert fcluster_maxclust(Z, 2).tolist() == [1, 1, 2]
    assert fcluster_maxclust(Z, 1).tolist() == [1, 1, 1]
    assert fcluster_maxclust(Z, 3).tolist() == [1, 2, 3]
    assert linkage(np.array([[1.0], [3.0]]), "single").tolist() == [[0.0, 1.0, 2.0, 2.0]]


def plot_dendrograms(X, Zs):
    """Figure: dendrograms drawn from linkage matrices (needs matplotlib)."""
    import matplotlib.pyplot as plt

    n = X.shape[0]
    fig, axes = plt.subplots(1, len(Zs), figsize=(4.6 * len(Zs), 3.6))
    for ax, (title, Z) in zip(np.atleast_1d(axes), Zs):
        order = dendrogram_order(Z, n)
        x = {leaf: i for i, leaf in enumerate(order)}
        y = {leaf: 0.0 for leaf in range(n)}
        for step, (a, b, h, _) in enumerate(Z):
            a, b = int(a), int(b)
            ax.plot([x[a], x[a], x[b], x[b]], [y[a], h, h, y[b]], color="k", linewidth=0.8)
            x[n + step], y[n + step] = (x[a] + x[b]) / 2, h
        ax.set_xticks(range(n))
        ax.set_xticklabels(order, fontsize=6)
        ax.set_title(title)
        ax.set_ylabel("merge height")
    fig.set_label(
        "Dendrograms of 30 points. Single linkage: one tall stem joins the small, distant blob, while "
        "both big blobs and the bridge between them merge below height 0.5, so no cut separates the "
        "big blobs. Ward: three long stems at the top, so a cut into three clusters is clear-cut"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, truth = make_blobs_with_bridge()
    print("two blobs of 10 points joined by a 7-point bridge, plus a blob of 3 (30 points)")
    Zs = []
    for method in ("single", "complete", "average", "ward"):
        Z = linkage(X, method)
        labels = fcluster_maxclust(Z, 3)
        sizes = np.bincount(labels)[1:]
        print(f"{method:8s}: last 3 merge heights {Z[-3:, 2]}, 3 clusters of sizes {sorted(sizes.tolist())}")
        Zs.append((f"{method} linkage", Z))
    Z = linkage(X, "ward")
    print("ward, first 3 merges [a, b, height, size]:")
    print(Z[:3])
    labels = fcluster_maxclust(Z, 3)
    print(
        "ward, 3 clusters: big blob A ->",
        np.unique(labels[truth == 0]),
        " big blob B ->",
        np.unique(labels[truth == 1]),
        " small blob ->",
        np.unique(labels[truth == 3]),
    )
    plot_dendrograms(X, [Zs[0], Zs[3]])
