"""Gini impurity: the chance that two labels drawn from a node disagree.

``G(p) = 1 - sum_k p_k^2 = sum_k p_k (1 - p_k)``, the default split criterion of
``sklearn.tree.DecisionTreeClassifier(criterion="gini")``. A split is scored by
the size-weighted impurity of its children, and scikit-learn's
``feature_importances_`` (mean decrease in impurity) adds up, per feature,
``N_t / N * (G_t - N_L / N_t * G_L - N_R / N_t * G_R)`` over the nodes t that
split on it, then normalises the sum to 1. Trees come from
:mod:`snippets.decision_tree`. (The Gini *coefficient* of inequality in
economics is a different quantity.)
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.decision_tree import _data, best_split, fit_tree, impurity, internal_nodes


def gini(p, axis=-1):
    """Gini impurity of probability vectors.

    The node impurity of ``sklearn.tree.DecisionTreeClassifier(criterion="gini")`` (``tree_.impurity``).

    Parameters
    ----------
    p : ndarray of shape (M, K)
        Class proportions, each row summing to 1.
    axis : int

    Returns
    -------
    g : ndarray of shape (M,)
        In ``[0, 1 - 1/K]``.
    """
    p = np.asarray(p, dtype=np.float64)
    return 1.0 - np.sum(p * p, axis=axis)


def gini_from_counts(counts):
    """Gini impurity of class counts (``sklearn``'s node ``impurity``).

    Parameters
    ----------
    counts : ndarray of shape (M, K)
        Non-negative; every row must have a positive total.

    Returns
    -------
    g : ndarray of shape (M,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum(axis=-1, keepdims=True)
    if np.any(total <= 0):
        raise ValueError("every node needs at least one sample")
    return gini(counts / total)


def gini_forward(p):
    """``G(p)`` row by row, keeping what the backward pass needs.

    Same values as :func:`gini` (scikit-learn's ``criterion="gini"``).

    Parameters
    ----------
    p : ndarray of shape (M, K)

    Returns
    -------
    g : ndarray of shape (M,)
    cache : ndarray of shape (M, K)
    """
    return gini(p), np.asarray(p, dtype=np.float64)


def gini_backward(dout, cache):
    """``dG/dp_k = -2 p_k`` (treating the p_k as free variables).

    No library call; the gradient of scikit-learn's ``criterion="gini"`` impurity.

    Parameters
    ----------
    dout : ndarray of shape (M,)
    cache : ndarray of shape (M, K)

    Returns
    -------
    dp : ndarray of shape (M, K)
    """
    return -2.0 * cache * dout[:, None]


def split_gini(left_counts, right_counts):
    """Size-weighted Gini of two children, ``(n_L G_L + n_R G_R) / (n_L + n_R)``.

    What ``DecisionTreeClassifier(criterion="gini")`` minimises over candidate splits.

    Parameters
    ----------
    left_counts : ndarray of shape (K,)
    right_counts : ndarray of shape (K,)

    Returns
    -------
    weighted : float
    """
    nl, nr = np.sum(left_counts), np.sum(right_counts)
    g = gini_from_counts(np.stack([left_counts, right_counts]))
    return float((nl * g[0] + nr * g[1]) / (nl + nr))


def misclassification(p):
    """Misclassification impurity ``1 - max_k p_k``.

    Not a scikit-learn criterion; for comparison only.

    Parameters
    ----------
    p : ndarray of shape (M, K)

    Returns
    -------
    e : ndarray of shape (M,)
    """
    return 1.0 - np.max(p, axis=-1)


def entropy_nats(p):
    """Shannon entropy in nats, ``-sum p log p`` with ``0 log 0 = 0``.

    Same as ``scipy.stats.entropy(p)`` (natural log).

    Parameters
    ----------
    p : ndarray of shape (M, K)

    Returns
    -------
    h : ndarray of shape (M,)
    """
    p = np.asarray(p, dtype=np.float64)
    return 0.0 - np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0), axis=-1)  # 0.0 - x: no -0.0


def feature_importances(tree, num_features):
    """Mean decrease in Gini impurity per feature (``feature_importances_``).

    Parameters
    ----------
    tree : dict
        From :func:`snippets.decision_tree.fit_tree` with ``criterion="gini"``.
    num_features : int

    Returns
    -------
    importances : ndarray of shape (D,)
        Non-negative, summing to 1 (all zeros for a tree with no split).
    """
    n_total = tree["counts"].sum()
    imp = np.zeros(num_features)
    for node in internal_nodes(tree):
        n = node["counts"].sum()
        nl, nr = node["left"]["counts"].sum(), node["right"]["counts"].sum()
        decrease = node["impurity"] - (nl * node["left"]["impurity"] + nr * node["right"]["impurity"]) / n
        imp[node["feature"]] += n / n_total * decrease
    total = imp.sum()
    return imp / total if total > 0 else imp


# ---------------------------------------------------------------- checks


def check_gini_is_the_probability_that_two_draws_disagree():
    rng = np.random.default_rng(0)
    p = np.array([0.5, 0.3, 0.2])
    a, b = rng.choice(3, size=(2, 200_000), p=p)
    assert abs(np.mean(a != b) - gini(p)) < 0.005
    assert_close(gini(p), np.sum(p * (1 - p)), rtol=1e-12)


def check_bounds_and_ordering_of_impurities():
    P = np.random.default_rng(1).dirichlet(np.ones(4), size=500)
    g, e, h = gini(P), misclassification(P), entropy_nats(P)
    assert np.all(g >= 0) and np.all(g <= 1 - 1 / 4 + 1e-12)
    assert_close(gini(np.full(4, 0.25)), 0.75, rtol=1e-12, what="maximum at the uniform distribution")
    assert gini(np.array([0.0, 1.0, 0.0])) == 0.0
    # misclassification <= Gini <= 2 * misclassification, and Gini <= entropy (nats), since -log p >= 1 - p.
    assert np.all(e <= g + 1e-12) and np.all(g <= 2 * e + 1e-12) and np.all(g <= h + 1e-12)


def check_a_split_never_raises_weighted_gini():
    # G is concave, so the weighted mean of the children's G is at most the parent's (Jensen).
    rng = np.random.default_rng(2)
    for _ in range(200):
        left, right = rng.integers(0, 20, size=(2, 3))
        if left.sum() == 0 or right.sum() == 0:
            continue
        assert split_gini(left, right) <= gini_from_counts((left + right)[None])[0] + 1e-12


def check_gini_backward_gradient():
    rng = np.random.default_rng(3)
    p, dout = rng.random((4, 3)), rng.normal(size=4)
    dp = gini_backward(dout, gini_forward(p)[1])
    assert_gradient_close(dp, numerical_gradient_array(lambda q: gini_forward(q)[0], p, dout), tol=1e-7)


def check_agrees_with_the_tree_split_search():
    X, y = _data(4, n=40)
    f, t, w = best_split(X, y, 2, "gini")
    left = X[:, f] <= t
    assert_close(split_gini(np.bincount(y[left], minlength=2), np.bincount(y[~left], minlength=2)), w, rtol=1e-12)
    assert_close(gini_from_counts(np.array([[3, 5]]))[0], impurity(np.array([[3, 5]]))[0], rtol=1e-12)


def check_importances_sum_to_one_and_ignore_noise():
    X, y = _data(5, n=200)
    X = np.hstack([X, np.random.default_rng(5).normal(size=(200, 1))])  # feature 2 is pure noise
    imp = feature_importances(fit_tree(X, y, 2, max_depth=2), 3)
    assert_close(imp.sum(), 1.0, rtol=1e-12)
    assert imp[2] < 0.1 < min(imp[0], imp[1])
    assert np.all(feature_importances(fit_tree(X, np.zeros(200, dtype=int), 2), 3) == 0)  # no split
    try:
        gini_from_counts(np.array([[0, 0]]))
    except ValueError:
        pass
    else:
        raise AssertionError("an empty node must raise")


def plot_impurities():
    """Figure: Gini, entropy and misclassification for two classes (needs matplotlib)."""
    import matplotlib.pyplot as plt

    p = np.linspace(0, 1, 201)
    P = np.stack([p, 1 - p], axis=1)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(p, gini(P), label="Gini  2p(1 - p)")
    ax.plot(p, entropy_nats(P) / (2 * np.log(2)), label="entropy, scaled to 0.5 at p = 0.5")
    ax.plot(p, misclassification(P), label="misclassification  min(p, 1 - p)")
    ax.set_xlabel("proportion of class 1 in the node")
    ax.set_ylabel("impurity")
    ax.legend(fontsize=8)
    fig.set_label(
        "Three impurity measures for a two-class node against the proportion of class 1. All are 0 "
        "for a pure node and peak at 0.5; Gini and scaled entropy are smooth, strictly concave arches, "
        "with entropy slightly fuller, while misclassification is a tent of two straight lines"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    for p in ([1.0, 0.0], [0.9, 0.1], [0.5, 0.5], [0.5, 0.3, 0.2], [0.25, 0.25, 0.25, 0.25]):
        P = np.array(p)
        print(f"p = {str(p):25s} Gini {gini(P):.4f}  entropy {entropy_nats(P):.4f} nats  misclassification {misclassification(P):.4f}")
    parent = np.array([400, 400])
    splits = {"A": ([300, 100], [100, 300]), "B": ([200, 400], [200, 0])}
    print(f"parent (400, 400): Gini {gini_from_counts(parent[None])[0]:.4f}")
    for name, (l, r) in splits.items():
        l, r = np.array(l), np.array(r)
        mis = (np.sum(l) * misclassification(l / l.sum()) + np.sum(r) * misclassification(r / r.sum())) / 800
        print(
            f"split {name} {tuple(l.tolist())} | {tuple(r.tolist())}: weighted misclassification {mis:.4f}, "
            f"weighted Gini {split_gini(l, r):.4f}"
        )
    X, y = _data(0, n=300)
    X = np.hstack([X, np.random.default_rng(0).normal(size=(300, 1))])
    tree = fit_tree(X, y, 2, max_depth=3)
    print("feature_importances_ of a depth-3 tree (x0, x1, pure noise x2):", feature_importances(tree, 3))
    plot_impurities()
