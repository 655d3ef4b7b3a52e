"""Random forest: many decorrelated decision trees, their class probabilities averaged.

Each tree is grown on a bootstrap sample of the training set, and at every node
only a random subset of ``max_features`` features is searched for the best
split. The forest's probability is the mean of the trees' leaf class fractions.

Conventions follow ``sklearn.ensemble.RandomForestClassifier``:
``n_estimators=100``, ``max_features="sqrt"`` (``floor(sqrt(D))``, at least 1),
``bootstrap=True`` (N draws with replacement), trees grown to purity
(``max_depth=None``), Gini criterion, and ``predict_proba`` = mean of the trees'
``predict_proba`` (soft voting, not a majority vote of hard labels); ``predict``
is its argmax. ``oob_score`` averages, for each sample, only the trees whose
bootstrap sample missed it. Like scikit-learn, if none of the drawn features
can split a node, the other features are searched too. The split search itself
is :func:`snippets.decision_tree.best_split`.
"""

import numpy as np

from snippets.decision_tree import _data, best_split, fit_tree, impurity, predict_tree


def max_features_sqrt(d):
    """scikit-learn's ``max_features="sqrt"``: ``max(1, floor(sqrt(d)))``.

    Parameters
    ----------
    d : int
        Number of features.

    Returns
    -------
    m : int
    """
    return max(1, int(np.sqrt(d)))


def fit_random_tree(X, y, num_classes, max_features, rng, max_depth=None, _depth=0):
    """Grow one tree, searching only ``max_features`` random features at each node.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer labels in ``[0, num_classes)``.
    num_classes : int
    max_features : int
        Features drawn (without replacement) per node; D gives a plain CART tree.
    rng : numpy.random.Generator
        Consumed in place: the only state, passed in explicitly.
    max_depth : int or None

    Returns
    -------
    node : dict
        Same format as :func:`snippets.decision_tree.fit_tree`.
    """
    counts = np.bincount(y, minlength=num_classes)
    node = {"counts": counts, "impurity": float(impurity(counts[None])[0]), "depth": _depth}
    if node["impurity"] == 0.0 or len(y) < 2 or _depth == max_depth:
        return node
    d = X.shape[1]
    feats = rng.choice(d, size=max_features, replace=False)
    split = best_split(X[:, feats], y, num_classes)
    if split is None:  # drawn features constant here: look at the rest, as scikit-learn does
        feats = np.arange(d)
        split = best_split(X, y, num_classes)
        if split is None:
            return node
    f, t, _ = split
    f = int(feats[f])
    go_left = X[:, f] <= t
    node.update(feature=f, threshold=t)
    node["left"] = fit_random_tree(X[go_left], y[go_left], num_classes, max_features, rng, max_depth, _depth + 1)
    node["right"] = fit_random_tree(X[~go_left], y[~go_left], num_classes, max_features, rng, max_depth, _depth + 1)
    return node


def tree_predict_proba(tree, X):
    """Class fractions of the leaf each row falls into (``DecisionTreeClassifier.predict_proba``).

    Rows are routed in bulk, one boolean mask per node, not one row at a time.

    Parameters
    ----------
    tree : dict
    X : ndarray of shape (M, D)

    Returns
    -------
    proba : ndarray of shape (M, K)
    """
    out = np.empty((X.shape[0], len(tree["counts"])))

    def route(node, rows):
        if "feature" not in node:
            out[rows] = node["counts"] / node["counts"].sum()
            return
        left = X[rows, node["feature"]] <= node["threshold"]
        route(node["left"], rows[left])
        route(node["right"], rows[~left])

    route(tree, np.arange(X.shape[0]))
    return out


def fit_forest(X, y, num_classes, n_estimators=100, max_features="sqrt", bootstrap=True, seed=0):
    """Fit a random forest.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_classes : int
    n_estimators : int
    max_features : "sqrt" or int
    bootstrap : bool
        False grows every tree on the full data (randomness only from features).
    seed : int
        scikit-learn's ``random_state``.

    Returns
    -------
    trees : list of dict
    in_bag : ndarray of shape (n_estimators, N)
        How many times each sample was drawn for each tree (0 = out of bag).
    """
    rng = np.random.default_rng(seed)
    n, d = X.shape
    m = max_features_sqrt(d) if max_features == "sqrt" else int(max_features)
    trees, in_bag = [], np.zeros((n_estimators, n), dtype=np.int64)
    for b in range(n_estimators):
        idx = rng.integers(0, n, size=n) if bootstrap else np.arange(n)
        in_bag[b] = np.bincount(idx, minlength=n)
        trees.append(fit_random_tree(X[idx], y[idx], num_classes, m, rng))
    return trees, in_bag


def forest_predict_proba(trees, X):
    """Mean of the trees' probabilities (soft voting).

    ``RandomForestClassifier.predict_proba``.

    Parameters
    ----------
    trees : list of dict
    X : ndarray of shape (M, D)

    Returns
    -------
    proba : ndarray of shape (M, K)
    """
    return np.mean([tree_predict_proba(t, X) for t in trees], axis=0)


def oob_proba(trees, in_bag, X):
    """Out-of-bag probabilities: for each training sample, average only the trees that never saw it.

    Parameters
    ----------
    trees : list of dict
    in_bag : ndarray of shape (B, N)
    X : ndarray of shape (N, D)
        The training inputs.

    Returns
    -------
    proba : ndarray of shape (N, K)
        NaN rows for samples that were in every bootstrap sample (scikit-learn warns then).
    """
    per_tree = np.stack([tree_predict_proba(t, X) for t in trees])  # (B, N, K)
    oob = (in_bag == 0)[:, :, None]
    with np.errstate(invalid="ignore"):
        return (per_tree * oob).sum(axis=0) / oob.sum(axis=0)


# ---------------------------------------------------------------- checks


def check_one_tree_without_randomness_is_a_cart_tree():
    X, y = _data(0)
    trees, _ = fit_forest(X, y, 2, n_estimators=1, max_features=2, bootstrap=False)
    Xt, _ = _data(5, n=200)
    assert np.array_equal(forest_predict_proba(trees, Xt).argmax(1), predict_tree(fit_tree(X, y, 2), Xt))


def check_probabilities_are_averages_and_sum_to_one():
    X, y = _data(1)
    trees, _ = fit_forest(X, y, 2, n_estimators=7, seed=1)
    p = forest_predict_proba(trees, X[:10])
    assert np.allclose(p.sum(axis=1), 1.0)
    # 7 fully grown trees on bootstrap samples: each leaf is pure, so p is a multiple of 1/7.
    assert np.allclose(p * 7, np.round(p * 7))


def check_averaging_never_hurts_the_brier_score():
    # Squared error is convex, so the forest's Brier score is at most the mean of its trees' (Jensen).
    X, y = _data(2)
    Xt, yt = _data(12, n=300)
    trees, _ = fit_forest(X, y, 2, n_estimators=25, seed=2)
    onehot = np.eye(2)[yt]
    per_tree = [np.mean(np.sum((tree_predict_proba(t, Xt) - onehot) ** 2, axis=1)) for t in trees]
    forest = np.mean(np.sum((forest_predict_proba(trees, Xt) - onehot) ** 2, axis=1))
    assert forest <= np.mean(per_tree) + 1e-12
    assert forest < 0.8 * np.mean(per_tree)  # and here by a wide margin: the trees disagree


def check_out_of_bag_fraction_is_about_one_over_e():
    # P(sample missed by N draws with replacement) = (1 - 1/N)^N -> 1/e = 0.368.
    X, y = _data(3, n=200)
    _, in_bag = fit_forest(X, y, 2, n_estimators=50, seed=3)
    assert abs(np.mean(in_bag == 0) - (1 - 1 / 200) ** 200) < 0.01
    assert np.all(in_bag.sum(axis=1) == 200)


def check_extremes_one_class_and_constant_features():
    X = np.zeros((5, 3))  # nothing to split on
    trees, _ = fit_forest(X, np.array([0, 1, 0, 1, 1]), 2, n_estimators=3)
    assert all("feature" not in t for t in trees)
    trees, _ = fit_forest(np.random.default_rng(0).normal(size=(6, 2)), np.zeros(6, dtype=int), 2, n_estimators=3)
    assert np.allclose(forest_predict_proba(trees, np.ones((2, 2))), [[1.0, 0.0], [1.0, 0.0]])


def plot_boundaries(X, y, tree, trees):
    """Figure: a single tree's boundary next to a forest's probability map (needs matplotlib)."""
    import matplotlib.pyplot as plt

    g1, g2 = np.meshgrid(np.linspace(-1, 1, 80), np.linspace(-1, 1, 80))
    grid = np.stack([g1.ravel(), g2.ravel()], axis=1)
    fig, axes = plt.subplots(1, 2, figsize=(8.4, 3.9))
    panels = [
        ("one fully grown tree", tree_predict_proba(tree, grid)[:, 1]),
        (f"forest of {len(trees)} trees", forest_predict_proba(trees, grid)[:, 1]),
    ]
    for ax, (title, p) in zip(axes, panels):
        ax.contourf(g1, g2, p.reshape(g1.shape), levels=np.linspace(0, 1, 11), cmap="RdBu_r")
        ax.contour(g1, g2, p.reshape(g1.shape), levels=[0.5], colors="k", linewidths=1)
        ax.scatter(X[:, 0], X[:, 1], c=np.where(y == 1, "firebrick", "steelblue"), s=12, edgecolors="w", linewidths=0.4)
        ax.set_title(title)
    fig.set_label(
        "Left: a single unpruned tree splits the square into hard-edged boxes, including small boxes "
        "around individual noisy points. Right: the forest's averaged probability shades in graded steps "
        "from blue to red, and its 0.5 boundary roughly follows the bent class border, with a few small "
        "islands left around noisy points"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _data(0)  # 60 points, bent boundary, 10% flipped labels (as on the decision-tree page)
    Xt, yt = _data(10, n=400)
    tree = fit_tree(X, y, 2)
    print(f"single unpruned tree:            test acc {np.mean(predict_tree(tree, Xt) == yt):.4f}")
    trees, in_bag = fit_forest(X, y, 2, n_estimators=100, seed=0)
    for b in (1, 10, 100):
        acc = np.mean(forest_predict_proba(trees[:b], Xt).argmax(1) == yt)
        print(f"random forest, {b:3d} trees:         test acc {acc:.4f}")
    single = [np.mean(tree_predict_proba(t, Xt).argmax(1) == yt) for t in trees]
    print(f"its trees one by one: mean test acc {np.mean(single):.4f} (min {min(single):.4f}, max {max(single):.4f})")
    p_oob = oob_proba(trees, in_bag, X)
    print(f"out-of-bag fraction {np.mean(in_bag == 0):.4f} (1/e = {np.exp(-1):.4f}); OOB accuracy {np.mean(p_oob.argmax(1) == y):.4f}")
    plot_boundaries(X, y, tree, trees)
