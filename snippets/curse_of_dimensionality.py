"""The curse of dimensionality, in numbers: volume, neighbourhoods and distances in high dimension.

Closed forms (Hastie, Tibshirani and Friedman, section 2.5) checked against
Monte Carlo: the volume of the unit ball, the edge of the sub-cube holding a
given fraction of uniform data, the median distance from the origin to the
nearest of N uniform points in the unit ball, and the concentration of
Euclidean distances between Gaussian points, whose squared value is
``2 * chi^2_d`` (mean ``2d``, variance ``8d``). Distances in high dimension use
the expansion ``|a|^2 + |b|^2 - 2 a.b`` of ``sklearn.metrics.pairwise.euclidean_distances``
(O(N M) memory, clipped at 0), not the O(N M D) differences of
:mod:`snippets.k_nearest_neighbors`. Volumes are computed in log space, where
they would underflow.
"""

from math import lgamma, log, pi

import numpy as np
from termbook.checks import assert_close


def sq_dists(A, B):
    """Squared Euclidean distances via ``|a|^2 + |b|^2 - 2 a.b`` (``euclidean_distances(A, B, squared=True)``).

    Parameters
    ----------
    A : ndarray of shape (N, D)
    B : ndarray of shape (M, D)

    Returns
    -------
    d2 : ndarray of shape (N, M)
        Clipped at 0 (rounding can make the expansion slightly negative).
    """
    d2 = np.sum(A * A, axis=1)[:, None] + np.sum(B * B, axis=1)[None, :] - 2.0 * A @ B.T
    return np.maximum(d2, 0.0)


def log_ball_volume(d, r=1.0):
    """``log`` of the volume of a d-ball of radius r: ``pi^(d/2) r^d / Gamma(d/2 + 1)``.

    Closed form with ``math.lgamma`` (``scipy.special.gammaln``).

    Parameters
    ----------
    d : int
    r : float

    Returns
    -------
    log_v : float
    """
    return 0.5 * d * log(pi) + d * log(r) - lgamma(0.5 * d + 1)


def ball_to_cube_ratio(d):
    """Fraction of the cube [-1, 1]^d filled by the inscribed unit ball.

    Closed form; no library call.

    Parameters
    ----------
    d : int

    Returns
    -------
    ratio : float
        Underflows to 0.0 (not NaN) for very large d.
    """
    return float(np.exp(log_ball_volume(d) - d * log(2.0)))


def edge_for_fraction(r, d):
    """Edge length of a sub-cube of the unit cube holding a fraction r of uniform data: ``r^(1/d)``.

    Closed form (ESL section 2.5); no library call.

    Parameters
    ----------
    r : float
    d : int

    Returns
    -------
    edge : float
    """
    return r ** (1.0 / d)


def shell_fraction(eps, d):
    """Fraction of the unit ball's volume within ``eps`` of its surface: ``1 - (1 - eps)^d``.

    Closed form; no library call.

    Parameters
    ----------
    eps : float
    d : int

    Returns
    -------
    frac : float
    """
    return 1.0 - (1.0 - eps) ** d


def median_nn_distance(n, d):
    """Median distance from the centre to the nearest of n uniform points in the unit d-ball.

    Closed form; no library call.

    ``(1 - 0.5^(1/n))^(1/d)`` (ESL eq. 2.24).

    Parameters
    ----------
    n : int
    d : int

    Returns
    -------
    dist : float
    """
    return (1.0 - 0.5 ** (1.0 / n)) ** (1.0 / d)


def uniform_ball(n, d, rng):
    """n points uniform in the unit d-ball (Gaussian direction, radius ``U^(1/d)``).

    Parameters
    ----------
    n : int
    d : int
    rng : numpy.random.Generator

    Returns
    -------
    X : ndarray of shape (n, d)
    """
    g = rng.normal(size=(n, d))
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    return g * rng.random((n, 1)) ** (1.0 / d)


def relative_contrast(X, q):
    """``(max - min) / min`` of the distances from a query to the points: how distinct the nearest is.

    Distances as ``sklearn.metrics.pairwise.euclidean_distances``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    q : ndarray of shape (D,)

    Returns
    -------
    contrast : float
    """
    dist = np.sqrt(sq_dists(q[None], X)[0])
    return float((dist.max() - dist.min()) / dist.min())


def knn_regression_mse(d, n=200, k=5, seed=0):
    """Test MSE of k-NN regression when y depends on the first of d uniform features only.

    ``KNeighborsRegressor(n_neighbors=k)`` scored with ``sklearn.metrics.mean_squared_error``.

    Parameters
    ----------
    d : int
        Total features (d - 1 irrelevant).
    n : int
    k : int
    seed : int

    Returns
    -------
    mse : float
    """
    rng = np.random.default_rng(seed)
    X, Xt = rng.random((n, d)), rng.random((500, d))
    f = lambda Z: np.sin(2 * np.pi * Z[:, 0])
    y = f(X) + 0.1 * rng.normal(size=n)
    idx = np.argsort(sq_dists(Xt, X), axis=1, kind="stable")[:, :k]
    return float(np.mean((y[idx].mean(axis=1) - f(Xt)) ** 2))


# ---------------------------------------------------------------- checks


def check_ball_volume_matches_monte_carlo_and_recurrence():
    rng = np.random.default_rng(0)
    for d in (2, 3, 5):
        inside = np.mean(np.sum(rng.uniform(-1, 1, size=(200_000, d)) ** 2, axis=1) <= 1)
        assert abs(inside - ball_to_cube_ratio(d)) < 0.005
    assert_close(np.exp(log_ball_volume(2)), pi, rtol=1e-12)
    for d in range(3, 12):  # V_d = 2 pi / d * V_{d-2}
        assert_close(np.exp(log_ball_volume(d)), 2 * pi / d * np.exp(log_ball_volume(d - 2)), rtol=1e-12)


def check_median_nearest_neighbour_distance_formula():
    rng = np.random.default_rng(1)
    n, d = 50, 5
    nearest = [np.min(np.linalg.norm(uniform_ball(n, d, rng), axis=1)) for _ in range(2000)]
    assert abs(np.median(nearest) - median_nn_distance(n, d)) < 0.02


def check_squared_gaussian_distances_are_twice_chi_square():
    rng = np.random.default_rng(2)
    d = 50
    sq = np.sum((rng.normal(size=(20_000, d)) - rng.normal(size=(20_000, d))) ** 2, axis=1)
    assert abs(sq.mean() / (2 * d) - 1) < 0.01 and abs(sq.var() / (8 * d) - 1) < 0.05


def check_edges_shells_and_extremes():
    for d in (1, 3, 10, 100):
        assert_close(edge_for_fraction(0.1, d) ** d, 0.1, rtol=1e-12)
    assert shell_fraction(0.01, 1000) > 0.9999
    assert ball_to_cube_ratio(2000) == 0.0 and np.isfinite(log_ball_volume(2000))  # no overflow, no nan
    assert median_nn_distance(10**6, 1) < 1e-6 < median_nn_distance(10**6, 100)


def check_expanded_distances_match_differences():
    rng = np.random.default_rng(3)
    A, B = rng.random((6, 40)), rng.random((4, 40))
    diff = A[:, None, :] - B[None]
    assert_close(sq_dists(A, B), np.sum(diff**2, axis=-1), rtol=1e-10)
    assert np.all(sq_dists(A, A) >= 0)


def check_irrelevant_dimensions_hurt_nearest_neighbours():
    assert knn_regression_mse(1) < knn_regression_mse(5) < knn_regression_mse(20)


def plot_distance_concentration(dims=(2, 10, 100, 1000), n=300, seed=0):
    """Figure: histograms of pairwise distances, divided by their mean, as dimension grows (needs matplotlib)."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    iu = np.triu_indices(n, 1)
    for d in dims:
        X = rng.random((n, d))
        dist = np.sqrt(sq_dists(X, X)[iu])
        ax.hist(dist / dist.mean(), bins=60, range=(0, 2), histtype="step", density=True, label=f"d = {d}")
    ax.set_xlabel("pairwise distance / mean pairwise distance")
    ax.legend(fontsize=8)
    fig.set_label(
        "Histograms of the distances between 300 uniform random points, each divided by the mean "
        "distance. In 2 dimensions they spread from near 0 to about 2; in 10 dimensions they bunch "
        "around 1; in 100 and 1000 dimensions nearly all distances are within a few percent of the "
        "mean, so the nearest and farthest points are almost equally far"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    print("   d  ball/cube   edge for 10%  shell 1%  median NN dist (N=500)  max/min contrast  5-NN MSE")
    for d in (1, 2, 3, 10, 100):
        X = rng.random((500, d))
        contrast = relative_contrast(X, rng.random(d))
        print(
            f"{d:4d}  {ball_to_cube_ratio(d):9.4g}  {edge_for_fraction(0.1, d):12.4f}  {shell_fraction(0.01, d):8.4f}"
            f"  {median_nn_distance(500, d):22.4f}  {contrast:16.4f}  {knn_regression_mse(d):8.4f}"
        )
    print(f"d = 1000: ball/cube = {ball_to_cube_ratio(1000)} (log = {log_ball_volume(1000) - 1000 * log(2):.1f})")
    d = 1000
    print(
        f"Gaussian points, d = {d}: |x - y|^2 has mean 2d = {2 * d}, sd sqrt(8d) = {np.sqrt(8 * d):.4f}, "
        f"relative sd {np.sqrt(8 * d) / (2 * d):.4f}"
    )
    plot_distance_concentration()
