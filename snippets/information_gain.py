"""Information gain: how much knowing an attribute lowers the entropy of the label.

``IG(Y; A) = H(Y) - sum_v |S_v| / |S| H(Y | A = v)``, in bits, as used by ID3
and by ``sklearn.tree.DecisionTreeClassifier(criterion="entropy")`` (whose node
entropy is in base 2: a threshold split is a two-valued attribute). It is the
mutual information between the attribute and the label: scikit-learn's
``sklearn.metrics.mutual_info_score(a, y)`` gives the same number in *nats*
(natural log), i.e. ``IG * ln 2``. The *gain ratio* of C4.5 divides by the
split information ``H(A)`` to stop attributes with many values from winning
by default. Empty attribute values are ignored (they hold no samples).
"""

import numpy as np
from termbook.checks import assert_close

from snippets.decision_tree import _data, best_split

PLAY_TENNIS = {  # Quinlan (1986) / Mitchell (1997, table 3.2): 14 days, play tennis or not
    "outlook": [
        "sunny",
        "sunny",
        "overcast",
        "rain",
        "rain",
        "rain",
        "overcast",
        "sunny",
        "sunny",
        "rain",
        "sunny",
        "overcast",
        "overcast",
        "rain",
    ],
    "temperature": ["hot", "hot", "hot", "mild", "cool", "cool", "cool", "mild", "cool", "mild", "mild", "mild", "hot", "mild"],
    "humidity": [
        "high",
        "high",
        "high",
        "high",
        "normal",
        "normal",
        "normal",
        "high",
        "normal",
        "normal",
        "normal",
        "high",
        "normal",
        "high",
    ],
    "wind": ["weak", "strong", "weak", "weak", "weak", "strong", "strong", "weak", "weak", "weak", "strong", "strong", "weak", "strong"],
    "play": ["no", "no", "yes", "yes", "yes", "no", "yes", "no", "yes", "yes", "yes", "yes", "yes", "no"],
}


def entropy_bits(counts):
    """Shannon entropy in bits of class counts, with ``0 log 0 = 0``.

    Same as ``scipy.stats.entropy(counts, base=2)``.

    Parameters
    ----------
    counts : ndarray of shape (K,)
        Non-negative, positive total.

    Returns
    -------
    h : float
    """
    counts = np.asarray(counts, dtype=np.float64)
    p = counts[counts > 0] / counts.sum()
    return float(0.0 - np.sum(p * np.log2(p)))


def contingency(a, y):
    """Counts of each (attribute value, label) pair, like ``sklearn.metrics.cluster.contingency_matrix``.

    Parameters
    ----------
    a : ndarray of shape (N,)
        Attribute values (any hashable labels).
    y : ndarray of shape (N,)
        Class labels.

    Returns
    -------
    table : ndarray of shape (V, K)
        Rows: sorted distinct values of ``a``; columns: sorted distinct labels.
    """
    _, ai = np.unique(a, return_inverse=True)
    _, yi = np.unique(y, return_inverse=True)
    table = np.zeros((ai.max() + 1, yi.max() + 1))
    np.add.at(table, (ai, yi), 1)
    return table


def information_gain(a, y):
    """``H(Y) - H(Y | A)`` in bits for a multiway split on the values of ``a`` (ID3).

    Equals ``sklearn.metrics.mutual_info_score(a, y) / ln 2``.

    Parameters
    ----------
    a : ndarray of shape (N,)
    y : ndarray of shape (N,)

    Returns
    -------
    gain : float
        In ``[0, min(H(Y), H(A))]``.
    """
    table = contingency(a, y)
    n = table.sum()
    h_cond = sum(row.sum() / n * entropy_bits(row) for row in table if row.sum() > 0)
    return entropy_bits(table.sum(axis=0)) - h_cond


def split_information(a):
    """Entropy in bits of the attribute's own distribution (C4.5's ``SplitInfo``).

    Same as ``scipy.stats.entropy(np.unique(a, return_counts=True)[1], base=2)``.

    Parameters
    ----------
    a : ndarray of shape (N,)

    Returns
    -------
    h : float
    """
    _, counts = np.unique(a, return_counts=True)
    return entropy_bits(counts)


def gain_ratio(a, y):
    """C4.5's gain ratio ``IG / SplitInfo``; 0 for an attribute with a single value.

    C4.5's criterion; scikit-learn has no equivalent.

    Parameters
    ----------
    a : ndarray of shape (N,)
    y : ndarray of shape (N,)

    Returns
    -------
    ratio : float
    """
    s = split_information(a)
    return information_gain(a, y) / s if s > 0 else 0.0


def mutual_info_nats(a, y):
    """Mutual information in nats from the contingency table (``sklearn.metrics.mutual_info_score``).

    ``sum_{v,k} p(v, k) log(p(v, k) / (p(v) p(k)))``.

    Parameters
    ----------
    a : ndarray of shape (N,)
    y : ndarray of shape (N,)

    Returns
    -------
    mi : float
    """
    P = contingency(a, y)
    P /= P.sum()
    outer = P.sum(axis=1, keepdims=True) * P.sum(axis=0, keepdims=True)
    nz = P > 0
    return float(np.sum(P[nz] * np.log(P[nz] / outer[nz])))


def threshold_gain(x, y, t):
    """Information gain of the binary split ``x <= t`` (what a tree with ``criterion="entropy"`` maximises).

    What ``DecisionTreeClassifier(criterion="entropy")`` maximises over thresholds.

    Parameters
    ----------
    x : ndarray of shape (N,)
    y : ndarray of shape (N,)
    t : float

    Returns
    -------
    gain : float
    """
    return information_gain(x <= t, y)


# ---------------------------------------------------------------- checks


def _tennis():
    return {k: np.array(v) for k, v in PLAY_TENNIS.items()}


def check_textbook_values():
    d = _tennis()
    gains = {k: information_gain(d[k], d["play"]) for k in ("outlook", "humidity", "wind", "temperature")}
    assert_close(entropy_bits([9, 5]), 0.9403, rtol=0, atol=5e-5, what="H(play)")
    for k, v in {"outlook": 0.2467, "humidity": 0.1518, "wind": 0.0481, "temperature": 0.0292}.items():
        assert_close(gains[k], v, rtol=0, atol=5e-5, what=k)


def check_gain_is_mutual_information():
    rng = np.random.default_rng(0)
    a, y = rng.integers(0, 4, size=200), rng.integers(0, 3, size=200)
    y = np.where(rng.random(200) < 0.5, a % 3, y)  # make them dependent
    assert_close(information_gain(a, y), mutual_info_nats(a, y) / np.log(2), rtol=1e-12, what="bits vs nats")
    assert_close(information_gain(a, y), information_gain(y, a), rtol=1e-12, what="symmetric")
    hy, ha = entropy_bits(np.bincount(y)), entropy_bits(np.bincount(a))
    assert 0 <= information_gain(a, y) <= min(hy, ha) + 1e-12


def check_independent_attribute_has_zero_gain():
    a = np.repeat([0, 1], 12)
    y = np.tile([0, 0, 1, 2, 2, 2], 4)  # same label mix within each value of a
    assert abs(information_gain(a, y)) < 1e-12


def check_gain_ratio_shrinks_an_identifiers_lead():
    d = _tennis()
    day = np.arange(14)  # unique per row: every child is pure
    assert_close(information_gain(day, d["play"]), entropy_bits([9, 5]), rtol=1e-12, what="IG(day) = H(play)")
    ig_edge = information_gain(day, d["play"]) / information_gain(d["outlook"], d["play"])
    gr_edge = gain_ratio(day, d["play"]) / gain_ratio(d["outlook"], d["play"])
    assert gr_edge < ig_edge / 2  # the split information cuts the identifier's lead by more than half
    # With more rows an identifier's split information log2(N) grows and its gain ratio vanishes.
    rng = np.random.default_rng(1)
    a = rng.integers(0, 2, size=1000)
    y = np.where(rng.random(1000) < 0.8, a, 1 - a)  # a real attribute, right 80% of the time
    assert gain_ratio(np.arange(1000), y) < gain_ratio(a, y) < information_gain(np.arange(1000), y)


def check_tree_entropy_criterion_maximises_threshold_gain():
    X, y = _data(1, n=40)
    f, t, w = best_split(X, y, 2, "entropy")
    h = entropy_bits(np.bincount(y))
    assert_close(threshold_gain(X[:, f], y, t), h - w, rtol=1e-12, what="IG = H(parent) - weighted child entropy")
    for g in range(X.shape[1]):  # brute force over every midpoint threshold
        v = np.unique(X[:, g])
        assert all(threshold_gain(X[:, g], y, s) <= h - w + 1e-12 for s in (v[1:] + v[:-1]) / 2)


def check_extremes():
    y = np.array([1, 1, 1, 1])
    assert information_gain(np.array([0, 1, 0, 1]), y) == 0.0  # a pure node has nothing to gain
    assert gain_ratio(np.zeros(4), np.array([0, 1, 0, 1])) == 0.0  # single-valued attribute: no nan
    assert entropy_bits([0, 5, 0]) == 0.0


def plot_gains(names, gains, ratios):
    """Figure: information gain and gain ratio of each attribute (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.4))
    x = np.arange(len(names))
    ax.bar(x - 0.2, gains, width=0.4, label="information gain (bits)")
    ax.bar(x + 0.2, ratios, width=0.4, label="gain ratio")
    ax.set_xticks(x)
    ax.set_xticklabels(names)
    ax.legend(fontsize=8)
    fig.set_label(
        "Bar chart for the play-tennis data. By information gain the day identifier towers over "
        "every real attribute, nearly four times outlook's gain; by gain ratio its lead shrinks to "
        "about one and a half times. Among the real attributes outlook is best under both measures, "
        "then humidity, wind and temperature"
    )
    return fig


if __name__ == "__main__":
    d = _tennis()
    y = d["play"]
    print(f"play tennis: 9 yes, 5 no, H(play) = {entropy_bits([9, 5]):.4f} bits")
    names, gains, ratios = [], [], []
    for name in ("outlook", "humidity", "wind", "temperature", "day"):
        a = np.arange(14) if name == "day" else d[name]
        names.append(name)
        gains.append(information_gain(a, y))
        ratios.append(gain_ratio(a, y))
        print(
            f"{name:12s} IG {gains[-1]:.4f} bits  split info {split_information(a):.4f}  gain ratio {ratios[-1]:.4f}"
            f"  mutual_info_score {mutual_info_nats(a, y):.4f} nats"
        )
    sunny = d["outlook"] == "sunny"
    for name in ("humidity", "temperature", "wind"):
        print(f"within outlook = sunny: IG({name}) = {information_gain(d[name][sunny], y[sunny]):.4f}")
    plot_gains(names, gains, ratios)
