"""Feature scaling: put every feature on a comparable scale, with statistics fitted on training data.

Conventions follow scikit-learn's scalers, as ``fit`` (return the statistics)
and ``transform`` (apply them) pairs of pure functions:

* ``sklearn.preprocessing.StandardScaler``: ``(x - mean) / std`` with the
  *biased* standard deviation (``np.std``, ``ddof=0``, dividing by n); a
  feature with zero variance gets scale 1, so it maps to 0 instead of NaN.
* ``MinMaxScaler(feature_range=(0, 1))``: ``(x - min) / (max - min)``; a
  constant feature gets range 1.
* ``RobustScaler(quantile_range=(25.0, 75.0))``: ``(x - median) / IQR``, with
  percentiles by linear interpolation (``np.percentile``'s default); a zero IQR
  gets scale 1.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.decision_tree import fit_tree, predict_tree
from snippets.gradient_descent import gradient_descent
from snippets.k_nearest_neighbors import knn_predict


def _safe_scale(s):
    # scikit-learn's _handle_zeros_in_scale: a (near-)zero scale becomes 1.
    s = np.asarray(s, dtype=np.float64).copy()
    s[s < 10 * np.finfo(np.float64).eps] = 1.0
    return s


def standard_fit(X):
    """``StandardScaler().fit(X)``: per-feature mean and biased standard deviation.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    mean : ndarray of shape (D,)
        ``mean_``.
    scale : ndarray of shape (D,)
        ``scale_`` = ``np.std(X, axis=0)`` (ddof=0), with zeros replaced by 1.
    """
    X = np.asarray(X, dtype=np.float64)
    return X.mean(axis=0), _safe_scale(X.std(axis=0))


def minmax_fit(X):
    """``MinMaxScaler().fit(X)`` expressed as an offset and a scale.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    offset : ndarray of shape (D,)
        ``data_min_``.
    scale : ndarray of shape (D,)
        ``data_max_ - data_min_``, with zeros replaced by 1.
    """
    X = np.asarray(X, dtype=np.float64)
    return X.min(axis=0), _safe_scale(X.max(axis=0) - X.min(axis=0))


def robust_fit(X, quantile_range=(25.0, 75.0)):
    """``RobustScaler().fit(X)``: median and interquartile range.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    quantile_range : tuple of float

    Returns
    -------
    center : ndarray of shape (D,)
        ``center_`` (the median).
    scale : ndarray of shape (D,)
        ``scale_`` (the IQR), with zeros replaced by 1.
    """
    X = np.asarray(X, dtype=np.float64)
    q_lo, q_hi = np.percentile(X, quantile_range, axis=0)
    return np.median(X, axis=0), _safe_scale(q_hi - q_lo)


def transform(X, offset, scale):
    """``(X - offset) / scale``: the ``transform`` of all three scalers.

    ``StandardScaler.transform``, ``MinMaxScaler.transform`` and ``RobustScaler.transform``.

    Parameters
    ----------
    X : ndarray of shape (M, D)
    offset : ndarray of shape (D,)
    scale : ndarray of shape (D,)

    Returns
    -------
    Z : ndarray of shape (M, D)
    """
    return (np.asarray(X, dtype=np.float64) - offset) / scale


def inverse_transform(Z, offset, scale):
    """``Z * scale + offset`` (``inverse_transform``).

    The scalers' ``inverse_transform``.

    Parameters
    ----------
    Z : ndarray of shape (M, D)
    offset : ndarray of shape (D,)
    scale : ndarray of shape (D,)

    Returns
    -------
    X : ndarray of shape (M, D)
    """
    return Z * scale + offset


def condition_number(X):
    """Condition number of ``A^T A`` for ``A = [X, 1]``: what limits gradient descent on least squares.

    Same as ``np.linalg.cond(A.T @ A)``, computed as ``(s_max / s_min)^2`` from the singular values of
    ``A``, which is accurate even when ``A^T A`` is nearly singular.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    kappa : float
        ``lambda_max / lambda_min``.
    """
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    sv = np.linalg.svd(A, compute_uv=False)
    return float((sv[0] / sv[-1]) ** 2)


def gd_least_squares_error(X, y, steps):
    """Relative distance to the least-squares solution after ``steps`` of gradient descent at lr = 1/L.

    Uses :func:`snippets.gradient_descent.gradient_descent` (``torch.optim.SGD`` without momentum,
    full batch).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    steps : int

    Returns
    -------
    rel_err : float
        ``||theta_steps - theta*|| / ||theta*||``, started from zero.
    """
    A = np.hstack([X, np.ones((X.shape[0], 1))])
    H = A.T @ A / len(y)
    theta_star, *_ = np.linalg.lstsq(A, y, rcond=None)
    path = gradient_descent(lambda t: H @ t - A.T @ y / len(y), np.zeros(A.shape[1]), 1.0 / np.linalg.eigvalsh(H)[-1], steps)
    return float(np.linalg.norm(path[-1] - theta_star) / np.linalg.norm(theta_star))


def make_people(seed=0, n=200):
    """Age in years and income in dollars; the label depends on both equally (in standard units).

    Hand-made data in the spirit of ``sklearn.datasets.make_classification``.

    Parameters
    ----------
    seed : int
    n : int

    Returns
    -------
    X : ndarray of shape (n, 2)
        Columns: age (about 20 to 70), income (mean 50,000, sd 15,000).
    y : ndarray of shape (n,)
        0/1 labels.
    """
    rng = np.random.default_rng(seed)
    age = rng.uniform(20, 70, size=n)
    income = rng.normal(50_000, 15_000, size=n)
    score = (age - 45) / 14.4 - (income - 50_000) / 15_000 + 0.3 * rng.normal(size=n)
    return np.stack([age, income], axis=1), (score > 0).astype(np.int64)


# ---------------------------------------------------------------- checks


def check_standard_scaler_uses_the_biased_std():
    X = np.random.default_rng(0).normal(3.0, 2.0, size=(10, 3))
    Z = transform(X, *standard_fit(X))
    assert_close(Z.mean(axis=0), np.zeros(3), rtol=0, atol=1e-12)
    assert_close(Z.std(axis=0), np.ones(3), rtol=1e-12, what="ddof=0 std is exactly 1")
    assert_close(Z.std(axis=0, ddof=1), np.full(3, np.sqrt(10 / 9)), rtol=1e-12, what="ddof=1 std is sqrt(n/(n-1))")


def check_round_trips_and_ranges():
    X = np.random.default_rng(1).normal(size=(20, 4)) * [1, 10, 100, 1000]
    for fit in (standard_fit, minmax_fit, robust_fit):
        stats = fit(X)
        assert_close(inverse_transform(transform(X, *stats), *stats), X, rtol=1e-12)
    Z = transform(X, *minmax_fit(X))
    assert np.allclose(Z.min(axis=0), 0) and np.allclose(Z.max(axis=0), 1)
    Zr = transform(X, *robust_fit(X))
    assert_close(np.median(Zr, axis=0), np.zeros(4), rtol=0, atol=1e-12)


def check_constant_feature_gives_zeros_not_nan():
    X = np.column_stack([np.full(5, 7.0), np.arange(5.0)])
    for fit in (standard_fit, minmax_fit, robust_fit):
        Z = transform(X, *fit(X))
        assert np.all(np.isfinite(Z)) and np.all(Z[:, 0] == 0.0)


def check_robust_scaler_shrugs_off_an_outlier():
    X = np.random.default_rng(2).normal(size=(50, 1))
    Xo = X.copy()
    Xo[0] = 1e4
    std_ratio = standard_fit(Xo)[1][0] / standard_fit(X)[1][0]
    iqr_ratio = robust_fit(Xo)[1][0] / robust_fit(X)[1][0]
    assert std_ratio > 100 and 0.9 < iqr_ratio < 1.2


def check_trees_do_not_care_knn_does():
    X, y = make_people(3, n=80)
    Xt, yt = make_people(4, n=200)
    stats = standard_fit(X)
    # A tree splits on thresholds, so a monotone rescaling of a feature changes nothing.
    assert np.array_equal(
        predict_tree(fit_tree(X, y, 2, max_depth=3), Xt),
        predict_tree(fit_tree(transform(X, *stats), y, 2, max_depth=3), transform(Xt, *stats)),
    )
    raw = np.mean(knn_predict(X, y, Xt, 5, 2) == yt)
    scaled = np.mean(knn_predict(transform(X, *stats), y, transform(Xt, *stats), 5, 2) == yt)
    assert scaled > raw + 0.1


def check_standardising_improves_conditioning():
    X, y = make_people(5)
    Z = transform(X, *standard_fit(X))
    assert condition_number(X) > 1e8 and condition_number(Z) < 10
    assert gd_least_squares_error(Z, y, 50) < 1e-6 < gd_least_squares_error(X, y, 50)


def plot_gd_paths(X, y, Z, steps=25):
    """Figure: gradient descent on least squares with raw and standardised features (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.8))
    for ax, F, title in ((axes[0], X, "features in units of 1 and 10"), (axes[1], Z, "standardised features")):
        A = F - F.mean(axis=0)  # centred, so the intercept drops out and the loss is 2-D
        H = A.T @ A / len(y)
        w_star = np.linalg.solve(H, A.T @ (y - y.mean()) / len(y))
        path = gradient_descent(lambda w: H @ w - A.T @ (y - y.mean()) / len(y), np.zeros(2), 1.0 / np.linalg.eigvalsh(H)[-1], steps)
        span = np.abs(path - w_star).max() * 1.2 + 1e-9
        g0, g1 = np.meshgrid(np.linspace(w_star[0] - span, w_star[0] + span, 150), np.linspace(w_star[1] - span, w_star[1] + span, 150))
        G = np.stack([g0 - w_star[0], g1 - w_star[1]], axis=-1)
        ax.contour(g0, g1, np.einsum("...i,ij,...j->...", G, H, G), levels=15, linewidths=0.6)
        ax.plot(path[:, 0], path[:, 1], "o-", color="crimson", markersize=2.5, linewidth=1)
        ax.plot(*w_star, "k*", markersize=9)
        ax.set_aspect("equal")
        ax.set_title(f"{title}: {steps} steps", fontsize=10)
    fig.set_label(
        "Loss contours of a two-feature least-squares fit, with the path of 25 gradient-descent "
        "steps from the origin. With one feature ten times the scale of the other, the contours are "
        "long thin ellipses and the path crawls along the valley, still far from the minimum (star). "
        "After standardising, the contours are nearly circles and the path reaches the minimum in a "
        "few steps"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = make_people(0)
    Xt, yt = make_people(1, n=1000)
    mean, std = standard_fit(X)
    print("training means", mean, " biased stds", std)
    print("first 3 rows raw:\n", X[:3], "\nstandardised:\n", transform(X[:3], mean, std))
    for name, fit in (("none", None), ("standard", standard_fit), ("min-max", minmax_fit), ("robust", robust_fit)):
        stats = fit(X) if fit else (np.zeros(2), np.ones(2))  # fitted on the training set only
        acc = np.mean(knn_predict(transform(X, *stats), y, transform(Xt, *stats), 5, 2) == yt)
        print(f"5-NN test accuracy, scaling {name:8s}: {acc:.4f}")
    Z = transform(X, mean, std)
    print(f"condition number of [X, 1]^T [X, 1]: raw {condition_number(X):.3e}, standardised {condition_number(Z):.4f}")
    for steps in (5, 10, 100):
        err = gd_least_squares_error(Z, y, steps)  # below ~1e-13 it is rounding error, different on every machine
        shown = f"{err:.2e}" if err > 1e-12 else "below 1e-12 (machine precision)"
        print(
            f"gradient descent on least squares, {steps:3d} steps: relative error raw "
            f"{gd_least_squares_error(X, y, steps):.4f}, standardised {shown}"
        )
    rng = np.random.default_rng(2)
    X2 = rng.normal(size=(100, 2)) * [1.0, 10.0]
    y2 = X2 @ [1.0, 0.1] + 0.1 * rng.normal(size=100)
    plot_gd_paths(X2, y2, transform(X2, *standard_fit(X2)))
