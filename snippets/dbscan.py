"""DBSCAN: clusters are dense regions connected through core points; the rest is noise.

A point is a *core point* if at least ``min_samples`` points (itself included)
lie within distance ``eps`` of it. Core points within ``eps`` of each other are
in the same cluster; a non-core point within ``eps`` of a core point joins that
core point's cluster (a *border point*); every other point is noise, label -1.

Conventions follow ``sklearn.cluster.DBSCAN(eps=0.5, min_samples=5)``: Euclidean
distance, neighbourhoods ``d <= eps`` that include the point itself, labels
0, 1, ... in order of the lowest-index core point of each cluster, noise -1,
and the same depth-first expansion as scikit-learn's ``dbscan_inner``, so a
border point within reach of two clusters goes to the one expanded first.
Neighbourhoods are listed in increasing index order. Brute-force O(N^2)
distances, fine for the small N here.
"""

import numpy as np

from snippets.hierarchical_clustering import euclidean_distances, fcluster_maxclust, linkage
from snippets.support_vector_machine import make_two_moons


def neighborhoods(X, eps):
    """Indices within ``eps`` of each point (``NearestNeighbors.radius_neighbors``), self included.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    eps : float

    Returns
    -------
    neigh : list of ndarray
        ``neigh[i]``: sorted indices j with ``||x_i - x_j|| <= eps``.
    """
    D = euclidean_distances(X)
    return [np.flatnonzero(row <= eps) for row in D]


def dbscan(X, eps=0.5, min_samples=5):
    """Cluster with DBSCAN, like ``sklearn.cluster.DBSCAN(eps, min_samples).fit(X)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    eps : float
        Neighbourhood radius, ``eps > 0``.
    min_samples : int
        Points (self included) needed in a neighbourhood to make a core point.

    Returns
    -------
    labels : ndarray of shape (N,)
        Cluster index, or -1 for noise (``labels_``).
    core_sample_indices : ndarray of shape (C,)
        Indices of the core points (``core_sample_indices_``).
    """
    if not eps > 0:
        raise ValueError("eps must be positive")
    neigh = neighborhoods(X, eps)
    is_core = np.array([len(nb) >= min_samples for nb in neigh])
    labels = np.full(X.shape[0], -1)
    label_num = 0
    for start in range(X.shape[0]):
        if labels[start] != -1 or not is_core[start]:
            continue
        stack, i = [], start
        while True:  # depth-first expansion, as in scikit-learn's dbscan_inner
            if labels[i] == -1:
                labels[i] = label_num
                if is_core[i]:
                    stack.extend(v for v in neigh[i] if labels[v] == -1)
            if not stack:
                break
            i = stack.pop()
        label_num += 1
    return labels, np.flatnonzero(is_core)


def k_distance(X, k):
    """Distance from each point to its k-th nearest neighbour, counting itself as the first.

    Same as ``NearestNeighbors(n_neighbors=k).fit(X).kneighbors(X)[0][:, -1]``.

    Sorted in decreasing order, this is the "k-distance plot" used to pick ``eps``
    for ``min_samples = k``: its knee separates dense points from noise.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    k : int

    Returns
    -------
    d : ndarray of shape (N,)
    """
    return np.sort(euclidean_distances(X), axis=1)[:, k - 1]


def make_moons_with_noise(seed=0):
    """Two interleaved half-moons (80 points) plus 10 uniform noise points.

    ``sklearn.datasets.make_moons``-like moons plus uniform noise.

    Parameters
    ----------
    seed : int

    Returns
    -------
    X : ndarray of shape (90, 2)
    y : ndarray of shape (90,)
        0 and 1 for the moons, -1 for the added noise.
    """
    Xm, ym = make_two_moons(seed, n=80, noise=0.07)
    noise = np.random.default_rng(seed + 1).uniform([-1.5, -1.0], [2.5, 1.5], size=(10, 2))
    return np.concatenate([Xm, noise]), np.concatenate([(ym > 0).astype(int), -np.ones(10, dtype=int)])


def _same_partition(a, b):
    pairs_a = a[:, None] == a[None, :]
    pairs_b = b[:, None] == b[None, :]
    return np.array_equal(pairs_a, pairs_b)


# ---------------------------------------------------------------- checks


def check_definitions_hold():
    X, _ = make_moons_with_noise(1)
    eps, m = 0.2, 4
    labels, core = dbscan(X, eps, m)
    D = euclidean_distances(X)
    is_core = np.zeros(len(X), dtype=bool)
    is_core[core] = True
    assert np.array_equal(is_core, (D <= eps).sum(axis=1) >= m)
    assert np.all(labels[is_core] >= 0)  # every core point is in a cluster
    close_cores = is_core[:, None] & is_core[None, :] & (D <= eps)
    assert np.all((labels[:, None] == labels[None, :])[close_cores])  # linked cores share a cluster
    for i in np.flatnonzero(~is_core):
        near_cores = np.flatnonzero(is_core & (D[i] <= eps))
        if labels[i] == -1:
            assert len(near_cores) == 0  # noise: no core point within reach
        else:
            assert labels[i] in labels[near_cores]  # border: joined a cluster of a core neighbour


def check_min_samples_one_is_single_linkage_cut_at_eps():
    # Every point is core, so clusters are the connected components of the eps-graph,
    # which is exactly single linkage cut at height eps.
    X = np.random.default_rng(2).normal(size=(25, 2))
    eps = 0.45
    labels, _ = dbscan(X, eps, min_samples=1)
    Z = linkage(X, "single")
    k = int(np.sum(Z[:, 2] > eps)) + 1
    assert _same_partition(labels, fcluster_maxclust(Z, k))


def check_core_clusters_do_not_depend_on_data_order():
    X, _ = make_moons_with_noise(3)
    labels, core = dbscan(X, 0.2, 4)
    perm = np.random.default_rng(3).permutation(len(X))
    labels_p, core_p = dbscan(X[perm], 0.2, 4)
    inv = np.argsort(perm)
    assert np.array_equal(np.sort(perm[core_p]), core)
    # The partition of the core points is the same; only border points may switch.
    assert _same_partition(labels[core], labels_p[inv][core])
    assert np.array_equal(labels == -1, labels_p[inv] == -1)  # noise is order-independent too


def check_extremes():
    X = np.zeros((6, 2))  # all points identical: one cluster
    assert dbscan(X, 0.1, 5)[0].tolist() == [0] * 6
    Xr = np.random.default_rng(4).normal(size=(8, 2)) * 100
    labels, core = dbscan(Xr, 1e-3, 2)  # tiny eps: nothing is dense
    assert np.all(labels == -1) and len(core) == 0
    try:
        dbscan(Xr, 0.0, 2)
    except ValueError:
        pass
    else:
        raise AssertionError("eps = 0 must raise")


def plot_dbscan(X, labels, core, kdist, eps):
    """Figure: clusters, border and noise points; and the sorted k-distance curve (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.7))
    is_core = np.zeros(len(X), dtype=bool)
    is_core[core] = True
    colors = np.array(["tab:blue", "tab:orange", "tab:green", "tab:purple"])
    for lab in np.unique(labels):
        pts = labels == lab
        if lab == -1:
            ax1.scatter(X[pts, 0], X[pts, 1], marker="x", color="k", s=25, label="noise")
            continue
        c = colors[lab % len(colors)]
        ax1.scatter(X[pts & is_core, 0], X[pts & is_core, 1], color=c, s=18)
        ax1.scatter(X[pts & ~is_core, 0], X[pts & ~is_core, 1], facecolors="none", edgecolors=c, s=30)
    ax1.set_title(f"DBSCAN, eps = {eps}, min_samples = 4")
    ax1.legend(fontsize=8, loc="upper right")
    ax2.plot(np.sort(kdist)[::-1])
    ax2.axhline(eps, color="crimson", linestyle="--", linewidth=1)
    ax2.set_xlabel("points, sorted")
    ax2.set_ylabel("distance to 4th neighbour")
    fig.set_label(
        "Left: DBSCAN finds the two half-moons as two clusters and marks seven isolated points as "
        "noise (crosses); core points are filled dots, border points (none at this eps) would be open "
        "circles. Right: the sorted distance to the 4th neighbour stays below 0.3 for most points and "
        "shoots up for a few isolated ones; the dashed line at eps = 0.3 crosses the curve at its knee"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, truth = make_moons_with_noise(0)
    print("90 points: two half-moons of 40 + 10 uniform noise points; min_samples = 4")
    for eps in (0.1, 0.2, 0.3, 0.8):
        labels, core = dbscan(X, eps, 4)
        n_clusters = labels.max() + 1
        print(
            f"eps={eps:<4}: {n_clusters} clusters, {len(core)} core points, "
            f"{np.sum((labels >= 0) & ~np.isin(np.arange(90), core))} border, {np.sum(labels == -1)} noise"
        )
    labels, core = dbscan(X, 0.3, 4)
    moons = truth >= 0
    print(
        "eps=0.3: moon 0 ->",
        np.unique(labels[truth == 0]),
        " moon 1 ->",
        np.unique(labels[truth == 1]),
        " added noise points ->",
        labels[~moons],
    )
    kd = k_distance(X, 4)
    print(f"distance to 4th neighbour: median {np.median(kd):.4f}, 90th percentile {np.percentile(kd, 90):.4f}, max {kd.max():.4f}")
    plot_dbscan(X, labels, core, kd, 0.3)
