"""Gradient boosting: fit small regression trees, one after another, to the negative gradient.

Start from the constant that minimises the loss, then repeat: compute the
pseudo-residuals ``r_i = -dL(y_i, F(x_i))/dF``, fit a shallow regression tree
to them, set each leaf to the value that best lowers the loss in that leaf,
and add the tree scaled by ``learning_rate``.

Conventions follow ``sklearn.ensemble.GradientBoostingRegressor``:
``n_estimators=100``, ``learning_rate=0.1``, ``max_depth=3``, ``subsample=1.0``;
``loss="squared_error"`` is ``(y - F)^2 / 2`` (init: the mean, pseudo-residual
``y - F``, leaf value: the residual mean) and ``loss="absolute_error"`` is
``|y - F|`` (init: the median, pseudo-residual ``sign(y - F)``, leaf value: the
median of ``y - F`` in the leaf). Trees split on squared error; scikit-learn's
default ``criterion="friedman_mse"`` picks the same splits with unit weights,
because the decrease in squared error of a split is
``n_L n_R / n (mean_L - mean_R)^2``, which is Friedman's improvement score
(since scikit-learn 1.9 the ``criterion`` parameter is deprecated and has no
effect). Ties between splits go to the lowest threshold.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient


def regression_stump_split(x, r):
    """Best threshold on one feature by squared-error decrease, via cumulative sums.

    The split search of ``sklearn.tree.DecisionTreeRegressor(criterion="squared_error")`` on one feature.

    Parameters
    ----------
    x : ndarray of shape (N,)
    r : ndarray of shape (N,)
        Targets (pseudo-residuals).

    Returns
    -------
    gain : float
        Decrease in the sum of squared errors, ``n_L n_R / n (mean_L - mean_R)^2``;
        ``-inf`` if ``x`` is constant.
    threshold : float
        Midpoint between two consecutive distinct values.
    """
    order = np.argsort(x, kind="stable")
    xs, rs = x[order], r[order]
    n = len(r)
    n_left = np.arange(1, n)
    s_left = np.cumsum(rs)[:-1]
    mean_l = s_left / n_left
    mean_r = (rs.sum() - s_left) / (n - n_left)
    gain = n_left * (n - n_left) / n * (mean_l - mean_r) ** 2
    gain[xs[1:] == xs[:-1]] = -np.inf
    i = int(np.argmax(gain)) if n > 1 else 0
    if n < 2 or not np.isfinite(gain[i]):
        return -np.inf, 0.0
    return float(gain[i]), float(xs[i] + (xs[i + 1] - xs[i]) / 2.0)


def fit_regression_tree(X, r, max_depth=3, min_samples_split=2, _depth=0):
    """Least-squares regression tree (``sklearn.tree.DecisionTreeRegressor``), leaves = means.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    r : ndarray of shape (N,)
    max_depth : int
    min_samples_split : int

    Returns
    -------
    node : dict
        ``rows``: indices (into X) of the samples in the node, ``value``: their
        mean; internal nodes also ``feature``, ``threshold``, ``left``, ``right``.
    """
    return _grow(X, r, np.arange(len(r)), max_depth, min_samples_split, _depth)


def _grow(X, r, rows, max_depth, min_samples_split, depth):
    node = {"rows": rows, "value": float(np.mean(r[rows]))}
    if depth == max_depth or len(rows) < min_samples_split:
        return node
    best = (0.0, None, None)
    for f in range(X.shape[1]):
        gain, t = regression_stump_split(X[rows, f], r[rows])
        if gain > best[0] + 1e-12:
            best = (gain, f, t)
    if best[1] is None:  # no split lowers the error (constant residuals or features)
        return node
    _, f, t = best
    left = X[rows, f] <= t
    node.update(feature=f, threshold=t)
    node["left"] = _grow(X, r, rows[left], max_depth, min_samples_split, depth + 1)
    node["right"] = _grow(X, r, rows[~left], max_depth, min_samples_split, depth + 1)
    return node


def leaves(tree):
    """All leaves of a tree, left to right.

    The nodes with ``tree_.children_left == -1`` in a scikit-learn tree.

    Parameters
    ----------
    tree : dict

    Returns
    -------
    nodes : list of dict
    """
    return [tree] if "feature" not in tree else leaves(tree["left"]) + leaves(tree["right"])


def predict_regression_tree(tree, X):
    """Leaf value for each row.

    ``sklearn.tree.DecisionTreeRegressor.predict``.

    Parameters
    ----------
    tree : dict
    X : ndarray of shape (M, D)

    Returns
    -------
    pred : ndarray of shape (M,)
    """
    out = np.empty(X.shape[0])

    def route(node, idx):
        if "feature" not in node:
            out[idx] = node["value"]
            return
        go = X[idx, node["feature"]] <= node["threshold"]
        route(node["left"], idx[go])
        route(node["right"], idx[~go])

    route(tree, np.arange(X.shape[0]))
    return out


def loss_value(y, F, loss="squared_error"):
    """Mean loss: ``(y - F)^2 / 2`` or ``|y - F|``.

    scikit-learn's ``loss="squared_error"`` (a half squared error internally) and ``loss="absolute_error"``.

    Parameters
    ----------
    y : ndarray of shape (N,)
    F : ndarray of shape (N,)
        Current model output.
    loss : {"squared_error", "absolute_error"}

    Returns
    -------
    value : float
    """
    if loss == "squared_error":
        return float(np.mean(0.5 * (y - F) ** 2))
    if loss == "absolute_error":
        return float(np.mean(np.abs(y - F)))
    raise ValueError("loss must be 'squared_error' or 'absolute_error'")


def negative_gradient(y, F, loss="squared_error"):
    """Pseudo-residuals ``-dL(y_i, F_i)/dF_i`` (per sample, not divided by N).

    What ``GradientBoostingRegressor`` fits each tree to (its loss's ``gradient`` with the sign flipped).

    Parameters
    ----------
    y : ndarray of shape (N,)
    F : ndarray of shape (N,)
    loss : {"squared_error", "absolute_error"}

    Returns
    -------
    r : ndarray of shape (N,)
        ``y - F`` or ``sign(y - F)``.
    """
    if loss == "squared_error":
        return y - F
    if loss == "absolute_error":
        return np.sign(y - F)
    raise ValueError("loss must be 'squared_error' or 'absolute_error'")


def fit_gradient_boosting(X, y, n_estimators=100, learning_rate=0.1, max_depth=3, loss="squared_error"):
    """Fit a gradient-boosted ensemble of regression trees.

    ``GradientBoostingRegressor(n_estimators, learning_rate, max_depth, loss).fit(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    n_estimators : int
    learning_rate : float
        Shrinkage ``nu``, ``0 < nu <= 1``.
    max_depth : int
    loss : {"squared_error", "absolute_error"}

    Returns
    -------
    init : float
        The constant start ``F_0`` (mean or median of y).
    trees : list of dict
        Leaf ``value`` already set to the loss-minimising step, not yet scaled by ``nu``.
    """
    if not 0 < learning_rate <= 1:
        raise ValueError("learning_rate must be in (0, 1]")
    y = np.asarray(y, dtype=np.float64)
    init = float(np.mean(y)) if loss == "squared_error" else float(np.median(y))
    F = np.full(len(y), init)
    trees = []
    for _ in range(n_estimators):
        r = negative_gradient(y, F, loss)
        tree = fit_regression_tree(X, r, max_depth)
        if loss == "absolute_error":  # line search per leaf: the median of the residuals y - F
            for leaf in leaves(tree):
                leaf["value"] = float(np.median(y[leaf["rows"]] - F[leaf["rows"]]))
        F = F + learning_rate * predict_regression_tree(tree, X)
        trees.append(tree)
    return init, trees


def staged_predict(init, trees, learning_rate, X):
    """Predictions after 0, 1, ..., M trees (``GradientBoostingRegressor.staged_predict`` plus stage 0).

    Parameters
    ----------
    init : float
    trees : list of dict
    learning_rate : float
    X : ndarray of shape (N, D)

    Returns
    -------
    F : ndarray of shape (M + 1, N)
    """
    steps = [np.full(X.shape[0], init)] + [learning_rate * predict_regression_tree(t, X) for t in trees]
    return np.cumsum(steps, axis=0)


def make_wave(seed=0, n=80, noise=0.3):
    """Noisy ``sin(2x) + x/2`` on [-3, 3].

    A small 1-D regression set, in the spirit of ``sklearn.datasets.make_regression``.

    Parameters
    ----------
    seed : int
    n : int
    noise : float

    Returns
    -------
    X : ndarray of shape (n, 1)
    y : ndarray of shape (n,)
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, size=n)
    return x[:, None], np.sin(2 * x) + 0.5 * x + noise * rng.normal(size=n)


# ---------------------------------------------------------------- checks


def check_pseudo_residuals_are_negative_gradients():
    rng = np.random.default_rng(0)
    y, F = rng.normal(size=6), rng.normal(size=6)
    for loss in ("squared_error", "absolute_error"):
        # loss_value is a mean, so N * its gradient is the per-sample gradient.
        num = numerical_gradient(lambda f: len(y) * loss_value(y, f, loss), F.copy())
        assert_gradient_close(-negative_gradient(y, F, loss), num, tol=1e-7, what=loss)


def check_each_stage_lowers_squared_error_by_a_known_amount():
    # Leaf means are the orthogonal projection of r onto piecewise constants, so
    # ||r - nu h||^2 = ||r||^2 - (2 nu - nu^2) ||h||^2: the loss drops at every stage.
    X, y = make_wave(1, n=50)
    nu = 0.3
    init, trees = fit_gradient_boosting(X, y, n_estimators=10, learning_rate=nu)
    F = staged_predict(init, trees, nu, X)
    for m, tree in enumerate(trees):
        h = predict_regression_tree(tree, X)
        drop = np.sum((y - F[m]) ** 2) - np.sum((y - F[m + 1]) ** 2)
        assert_close(drop, (2 * nu - nu**2) * h @ h, rtol=1e-9, what=f"stage {m + 1}")
        assert drop > 0


def check_one_full_step_is_one_tree_on_centred_targets():
    X, y = make_wave(2, n=40)
    init, trees = fit_gradient_boosting(X, y, n_estimators=1, learning_rate=1.0, max_depth=2)
    tree = fit_regression_tree(X, y, max_depth=2)  # a tree on y itself: same splits, leaves shifted by the mean
    assert_close(staged_predict(init, trees, 1.0, X)[-1], predict_regression_tree(tree, X), rtol=1e-12)


def check_init_minimises_the_loss():
    y = np.array([0.0, 1.0, 2.0, 10.0])
    for loss, init in (("squared_error", 3.25), ("absolute_error", 1.5)):
        assert fit_gradient_boosting(np.zeros((4, 1)), y, n_estimators=0, loss=loss)[0] == init
        for c in (init - 0.1, init + 0.1):
            assert loss_value(y, np.full(4, c), loss) >= loss_value(y, np.full(4, init), loss)


def check_absolute_error_resists_an_outlier():
    X, y = make_wave(3, n=60)
    y_bad = y.copy()
    y_bad[0] += 100.0
    preds = {}
    for loss in ("squared_error", "absolute_error"):
        init, trees = fit_gradient_boosting(X, y_bad, n_estimators=50, loss=loss)
        preds[loss] = staged_predict(init, trees, 0.1, X)[-1]
    clean_err = {k: np.median(np.abs(v - y)[1:]) for k, v in preds.items()}
    assert clean_err["absolute_error"] < clean_err["squared_error"]


def check_extremes_constant_target_and_bad_rate():
    X = np.random.default_rng(4).normal(size=(10, 2))
    init, trees = fit_gradient_boosting(X, np.full(10, 7.0), n_estimators=3)
    assert np.all(staged_predict(init, trees, 0.1, X) == 7.0) and all("feature" not in t for t in trees)
    try:
        fit_gradient_boosting(X, np.ones(10), learning_rate=0.0)
    except ValueError:
        pass
    else:
        raise AssertionError("learning_rate = 0 must raise")


def plot_boosting(X, y, F_grid, grid, train_curve, test_curve, stages):
    """Figure: the fit after a few stages, and training/test error per stage (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.6))
    ax1.scatter(X[:, 0], y, s=10, color="k")
    for m in stages:
        ax1.plot(grid[:, 0], F_grid[m], label=f"{m} trees")
    ax1.legend(fontsize=8)
    ax1.set_title("fit (learning_rate = 0.1, depth 3)")
    ax2.plot(train_curve, label="training")
    ax2.plot(test_curve, label="test")
    ax2.set_xlabel("number of trees")
    ax2.set_ylabel("mean squared error")
    ax2.legend(fontsize=8)
    fig.set_label(
        "Left: with 1 tree the fit is nearly flat, with 10 it follows the wave coarsely, with 100 "
        "closely, as a staircase. Right: training error keeps falling with more trees while test "
        "error falls, bottoms out and then creeps up"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = make_wave(0)
    Xt, yt = make_wave(1, n=500)
    M, nu = 500, 0.1
    init, trees = fit_gradient_boosting(X, y, n_estimators=M, learning_rate=nu)
    F_train, F_test = staged_predict(init, trees, nu, X), staged_predict(init, trees, nu, Xt)
    train_mse = np.mean((F_train - y) ** 2, axis=1)
    test_mse = np.mean((F_test - yt) ** 2, axis=1)
    print(f"F_0 = mean(y) = {init:.4f}; first pseudo-residuals y - F_0: {y[:4] - init}")
    for m in (0, 1, 10, 100, 500):
        print(f"{m:3d} trees (lr 0.1): train MSE {train_mse[m]:.4f}, test MSE {test_mse[m]:.4f}")
    best = int(np.argmin(test_mse))
    print(f"best test MSE {test_mse[best]:.4f} at {best} trees (noise variance 0.09)")
    init1, trees1 = fit_gradient_boosting(X, y, n_estimators=50, learning_rate=1.0)
    F1 = staged_predict(init1, trees1, 1.0, Xt)
    print(f"lr 1.0: test MSE {np.mean((F1[10] - yt) ** 2):.4f} at 10 trees, {np.mean((F1[50] - yt) ** 2):.4f} at 50")
    grid = np.linspace(-3, 3, 300)[:, None]
    plot_boosting(X, y, staged_predict(init, trees, nu, grid), grid, train_mse, test_mse, (1, 10, 100))
