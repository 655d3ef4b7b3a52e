"""A CART classification tree: greedy binary splits that minimise impurity.

At each node, try every feature and every threshold halfway between two
consecutive distinct values, and keep the split ``x[f] <= t`` whose children
have the lowest size-weighted impurity (Gini by default, or entropy). Recurse
until a node is pure, ``max_depth`` is reached, or it cannot be split.

Conventions follow ``sklearn.tree.DecisionTreeClassifier``: ``criterion`` in
{"gini", "entropy"} (entropy in bits), ``max_depth=None`` grows until leaves
are pure, ``min_samples_split=2``, samples with ``x[f] <= threshold`` go left,
thresholds are midpoints, a split is made even if it does not lower the
impurity (``min_impurity_decrease=0``), and the prediction is the majority
class of the leaf (smallest label on ties). Unlike scikit-learn, which visits
features in a random order (``random_state``), equally good splits are broken
deterministically: lowest feature index, then lowest threshold.
"""

import numpy as np


def impurity(counts, criterion="gini"):
    """Gini impurity or entropy of class counts.

    Gini ``1 - sum_k p_k^2`` (probability that two draws with replacement
    disagree); entropy ``-sum_k p_k log2 p_k`` with ``0 log 0 = 0``.

    Parameters
    ----------
    counts : ndarray of shape (M, K)
        Class counts of M nodes (each row with a positive total).
    criterion : {"gini", "entropy"}

    Returns
    -------
    imp : ndarray of shape (M,)
    """
    counts = np.asarray(counts, dtype=np.float64)
    p = counts / counts.sum(axis=-1, keepdims=True)
    if criterion == "gini":
        return 1.0 - np.sum(p * p, axis=-1)
    if criterion == "entropy":
        return -np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=-1)
    raise ValueError("criterion must be 'gini' or 'entropy'")


def best_split(X, y, num_classes, criterion="gini"):
    """The split with the lowest weighted child impurity, or None if no split exists.

    For each feature the samples are sorted once and cumulative class counts
    give the left/right counts of every candidate threshold: O(D N log N).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer labels in ``[0, num_classes)``.
    num_classes : int
    criterion : {"gini", "entropy"}

    Returns
    -------
    split : tuple or None
        ``(feature, threshold, weighted_impurity)`` where weighted_impurity is
        ``(n_left imp_left + n_right imp_right) / N``; None if every feature is
        constant.
    """
    n, d = X.shape
    onehot = np.eye(num_classes)[y]
    total = onehot.sum(axis=0)
    n_left = np.arange(1, n)
    best = None
    for f in range(d):
        order = np.argsort(X[:, f], kind="stable")
        xs = X[order, f]
        left = np.cumsum(onehot[order], axis=0)[:-1]  # row i: first i + 1 samples go left
        right = total - left
        w = (n_left * impurity(left, criterion) + (n - n_left) * impurity(right, criterion)) / n
        w[xs[1:] == xs[:-1]] = np.inf  # cannot cut between equal values
        i = int(np.argmin(w))
        if np.isfinite(w[i]) and (best is None or w[i] < best[2]):
            t = xs[i] + (xs[i + 1] - xs[i]) / 2.0
            if t == xs[i + 1]:  # midpoint rounded up onto the right value
                t = xs[i]
            best = (f, float(t), float(w[i]))
    return best


def fit_tree(X, y, num_classes, max_depth=None, criterion="gini", min_samples_split=2, _depth=0):
    """Grow a classification tree recursively.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer labels in ``[0, num_classes)``.
    num_classes : int
    max_depth : int or None
        Maximum number of splits from root to leaf; None = until pure.
    criterion : {"gini", "entropy"}
    min_samples_split : int
        A node with fewer samples becomes a leaf.
    _depth : int
        Depth of this node; set by the recursion, leave at 0.

    Returns
    -------
    node : dict
        ``counts`` (ndarray of shape (K,)), ``impurity`` and ``depth`` for every
        node; internal nodes also ``feature``, ``threshold``, ``left``, ``right``.
    """
    counts = np.bincount(y, minlength=num_classes)
    node = {"counts": counts, "impurity": float(impurity(counts[None], criterion)[0]), "depth": _depth}
    if node["impurity"] == 0.0 or len(y) < min_samples_split or _depth == max_depth:
        return node
    split = best_split(X, y, num_classes, criterion)
    if split is None:  # identical feature vectors with different labels
        return node
    f, t, _ = split
    go_left = X[:, f] <= t
    node.update(feature=f, threshold=t)
    args = (num_classes, max_depth, criterion, min_samples_split, _depth + 1)
    node["left"] = fit_tree(X[go_left], y[go_left], *args)
    node["right"] = fit_tree(X[~go_left], y[~go_left], *args)
    return node


def predict_tree(tree, X):
    """Majority class of the leaf each row falls into.

    Parameters
    ----------
    tree : dict
        From :func:`fit_tree`.
    X : ndarray of shape (M, D)

    Returns
    -------
    y_pred : ndarray of shape (M,)
    """
    return np.array([np.argmax(leaf_of(tree, x)["counts"]) for x in X], dtype=np.int64).reshape(X.shape[0])


def leaf_of(tree, x):
    """The leaf a sample falls into: left while ``x[feature] <= threshold``.

    Parameters
    ----------
    tree : dict
        From :func:`fit_tree`.
    x : ndarray of shape (D,)

    Returns
    -------
    leaf : dict
    """
    node = tree
    while "feature" in node:
        node = node["left"] if x[node["feature"]] <= node["threshold"] else node["right"]
    return node


def predict_proba_tree(tree, X):
    """Class fractions of the leaf each row falls into (``DecisionTreeClassifier.predict_proba``).

    Parameters
    ----------
    tree : dict
        From :func:`fit_tree`.
    X : ndarray of shape (M, D)

    Returns
    -------
    proba : ndarray of shape (M, K)
        Rows sum to 1.
    """
    counts = np.array([leaf_of(tree, x)["counts"] for x in X], dtype=np.float64).reshape(X.shape[0], -1)
    return counts / counts.sum(axis=1, keepdims=True)


def internal_nodes(tree):
    """All internal (split) nodes, depth first.

    Parameters
    ----------
    tree : dict

    Returns
    -------
    nodes : list of dict
    """
    if "feature" not in tree:
        return []
    return [tree] + internal_nodes(tree["left"]) + internal_nodes(tree["right"])


def tree_depth(tree):
    """Length of the longest root-to-leaf path.

    Parameters
    ----------
    tree : dict

    Returns
    -------
    depth : int
    """
    if "feature" not in tree:
        return 0
    return 1 + max(tree_depth(tree["left"]), tree_depth(tree["right"]))


def tree_to_text(tree, names=None, indent=""):
    """Text rendering in the spirit of ``sklearn.tree.export_text``.

    Parameters
    ----------
    tree : dict
    names : list of str or None
        Feature names.

    Returns
    -------
    text : str
    """
    if "feature" not in tree:
        return f"{indent}class {int(np.argmax(tree['counts']))}  counts {tree['counts'].tolist()}\n"
    name = names[tree["feature"]] if names else f"x{tree['feature']}"
    return (
        f"{indent}{name} <= {tree['threshold']:.3f}  (impurity {tree['impurity']:.3f})\n"
        + tree_to_text(tree["left"], names, indent + "|   ")
        + f"{indent}{name} >  {tree['threshold']:.3f}\n"
        + tree_to_text(tree["right"], names, indent + "|   ")
    )


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's scikit-learn tab).

    Depth-limited trees (1, 2, 3) and a fully grown one, Gini and entropy, two and three classes,
    a feature with repeated values (thresholds between distinct values only) and a constant
    feature. Values are representable in float32, the precision scikit-learn splits in, and the
    data are chosen so that no two splits of a node are equally good (a tie is broken by feature
    order in the snippet and by a random feature order in scikit-learn).

    Returns
    -------
    list of dict with X (N, D), y (N,), num_classes (int), max_depth (int or None),
    criterion (str) and X_query (M, D)
    """
    rng = np.random.default_rng(71)

    def f32(a):
        return a.astype(np.float32).astype(np.float64)

    X, y = _data(0)
    query = f32(rng.uniform(-1, 1, size=(50, 2)))
    cases = [{"X": f32(X), "y": y, "num_classes": 2, "max_depth": d, "criterion": "gini", "X_query": query} for d in (1, 2)]
    cases.append({**cases[1], "criterion": "entropy"})
    X = f32(rng.normal(size=(200, 4)))
    X[:, 1] = rng.integers(0, 5, size=200)  # repeated values
    X[:, 3] = 1.5  # constant: never split on
    y = np.digitize(X[:, 0] + 0.4 * X[:, 1] + 0.5 * rng.normal(size=200), [0.3, 1.5])
    query = f32(rng.normal(size=(40, 4)))
    cases.append({"X": X, "y": y, "num_classes": 3, "max_depth": 3, "criterion": "gini", "X_query": query})
    X = f32(rng.uniform(-1, 1, size=(12, 2)))
    cases.append(
        {
            "X": X,
            "y": (X[:, 0] > X[:, 1]).astype(np.int64),
            "num_classes": 2,
            "max_depth": None,
            "criterion": "gini",
            "X_query": query[:, :2],
        }
    )
    return cases


def tree_arrays(tree):
    """The tree as scikit-learn's ``tree_`` arrays: nodes in depth-first order, left child first.

    Parameters
    ----------
    tree : dict
        From :func:`fit_tree`.

    Returns
    -------
    feature : ndarray of shape (n_nodes,)
        Split feature, -2 at a leaf.
    threshold : ndarray of shape (n_nodes,)
        Split threshold, -2.0 at a leaf.
    impurity : ndarray of shape (n_nodes,)
    n_node_samples : ndarray of shape (n_nodes,)
    """
    rows = []

    def visit(node):
        leaf = "feature" not in node
        rows.append((-2 if leaf else node["feature"], -2.0 if leaf else node["threshold"], node["impurity"], node["counts"].sum()))
        if not leaf:
            visit(node["left"])
            visit(node["right"])

    visit(tree)
    feature, threshold, imp, n = zip(*rows)
    return np.array(feature), np.array(threshold), np.array(imp), np.array(n)


def fit_and_predict(X, y, num_classes, max_depth, criterion, X_query):
    """The fitted tree's arrays (:func:`tree_arrays`) and its predictions on ``X_query``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    num_classes : int
    max_depth : int or None
    criterion : {"gini", "entropy"}
    X_query : ndarray of shape (M, D)

    Returns
    -------
    feature, threshold, impurity, n_node_samples : ndarray of shape (n_nodes,)
    proba : ndarray of shape (M, num_classes)
    pred : ndarray of shape (M,)
    """
    tree = fit_tree(X, y, num_classes, max_depth=max_depth, criterion=criterion)
    return (*tree_arrays(tree), predict_proba_tree(tree, X_query), predict_tree(tree, X_query))


# ----------------------------------------------------------------------------- checks


def _data(seed=0, n=60):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > -0.2) & (X[:, 1] > 0.1 * X[:, 0])).astype(np.int64)
    flip = rng.random(n) < 0.1  # label noise, so deep trees overfit
    return X, np.where(flip, 1 - y, y)


def check_every_split_does_not_raise_weighted_impurity():
    # Gini and entropy are concave in the class proportions, so a split never
    # increases the weighted impurity; on these data every split strictly lowers it.
    X, y = _data()
    for criterion in ("gini", "entropy"):
        tree = fit_tree(X, y, 2, criterion=criterion)
        for node in internal_nodes(tree):
            l, r = node["left"], node["right"]
            nl, nr = l["counts"].sum(), r["counts"].sum()
            children = (nl * l["impurity"] + nr * r["impurity"]) / (nl + nr)
            assert children < node["impurity"] - 1e-12


def check_unlimited_depth_fits_distinct_points_perfectly():
    X, y = _data(1)
    for criterion in ("gini", "entropy"):
        assert np.array_equal(predict_tree(fit_tree(X, y, 2, criterion=criterion), X), y)
    # XOR: no single split lowers the Gini, yet a zero-gain first split lets the tree finish.
    Xx = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    yx = np.array([0, 1, 1, 0])
    assert best_split(Xx, yx, 2)[2] == impurity(np.array([[2, 2]]))[0]
    assert np.array_equal(predict_tree(fit_tree(Xx, yx, 2), Xx), yx)


def check_max_depth_is_respected():
    X, y = _data(2)
    for depth in (0, 1, 2, 3):
        tree = fit_tree(X, y, 2, max_depth=depth)
        assert tree_depth(tree) <= depth
    assert tree_depth(fit_tree(X, y, 2)) > 3


def check_vectorised_search_matches_brute_force():
    X, y = _data(3, n=25)
    f, t, w = best_split(X, y, 2)
    best = np.inf
    for g in range(X.shape[1]):
        values = np.unique(X[:, g])
        for t2 in (values[1:] + values[:-1]) / 2:
            left = X[:, g] <= t2
            cl, cr = np.bincount(y[left], minlength=2), np.bincount(y[~left], minlength=2)
            best = min(best, (left.sum() * impurity(cl[None])[0] + (~left).sum() * impurity(cr[None])[0]) / len(y))
    assert np.isclose(w, best, rtol=1e-12)


def check_impurity_extremes():
    assert impurity(np.array([[5, 0, 0]]))[0] == 0.0
    assert np.isclose(impurity(np.array([[2, 2, 2]]))[0], 1 - 1 / 3)
    assert np.isclose(impurity(np.array([[2, 2, 2, 2]]), "entropy")[0], 2.0)  # log2(4) bits
    assert impurity(np.array([[0, 7]]), "entropy")[0] == 0.0


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _data(0)
    Xt, yt = _data(10, n=400)
    print(tree_to_text(fit_tree(X, y, 2, max_depth=2)), end="")
    for depth in (1, 2, 3, None):
        tree = fit_tree(X, y, 2, max_depth=depth)
        train = np.mean(predict_tree(tree, X) == y)
        test = np.mean(predict_tree(tree, Xt) == yt)
        print(f"max_depth={str(depth):4s} depth {tree_depth(tree)}: train acc {train:.4f}, test acc {test:.4f}")
