"""Train-test split: hold out part of the data, once, to estimate performance on new data.

``train_test_split_indices`` follows ``sklearn.model_selection.train_test_split``:

* sizes (``_validate_shuffle_split``): a float ``test_size`` gives ``ceil(test_size * n)`` test
  samples, a float ``train_size`` gives ``floor(train_size * n)`` training samples, an int is a
  count, a missing one is the complement, and with neither ``test_size=0.25``;
* ``shuffle=False``: the first ``n_train`` samples train, the next ``n_test`` test, and
  ``stratify`` must be None;
* ``shuffle=True``: like ``ShuffleSplit``, one permutation whose first ``n_test`` entries are the
  test set and the next ``n_train`` the training set;
* ``stratify=y``: like ``StratifiedShuffleSplit``, per-class counts from ``_approximate_mode``
  (training counts first, then test counts from what remains), each class's members permuted.

The random numbers come from a NumPy ``Generator``, so the indices differ from scikit-learn's for
the same seed; the sizes and per-class counts are the same (up to random tie-breaking).
"""

import math

import numpy as np


def split_sizes(n_samples, test_size=None, train_size=None):
    """Numbers of training and test samples, as scikit-learn computes them.

    Parameters
    ----------
    n_samples : int
    test_size, train_size : float in (0, 1), int, or None

    Returns
    -------
    n_train : int
    n_test : int
    """
    if test_size is None and train_size is None:
        test_size = 0.25
    for name, v in (("test_size", test_size), ("train_size", train_size)):
        if isinstance(v, float) and not 0.0 < v < 1.0:
            raise ValueError(f"{name}={v} should be in (0, 1)")
        if isinstance(v, int) and not 0 < v < n_samples:
            raise ValueError(f"{name}={v} should be in (0, {n_samples})")
    n_test = None if test_size is None else (math.ceil(test_size * n_samples) if isinstance(test_size, float) else test_size)
    n_train = None if train_size is None else (math.floor(train_size * n_samples) if isinstance(train_size, float) else train_size)
    n_train = n_samples - n_test if n_train is None else n_train
    n_test = n_samples - n_train if n_test is None else n_test
    if n_train + n_test > n_samples:
        raise ValueError(f"train_size + test_size = {n_train + n_test} > n_samples = {n_samples}")
    if n_train == 0 or n_test == 0:
        raise ValueError(f"with n_samples={n_samples} the resulting train or test set would be empty")
    return n_train, n_test


def approximate_mode(class_counts, n_draws, rng):
    """Per-class counts closest to proportional, like ``sklearn.utils.extmath._approximate_mode``.

    Floor each class's proportional share ``n_draws * count / total``, then give the leftover
    draws to the classes with the largest fractional remainders, breaking ties at random.

    Parameters
    ----------
    class_counts : ndarray of shape (C,)
        Members per class.
    n_draws : int
    rng : numpy.random.Generator
        Used only to break ties.

    Returns
    -------
    counts : ndarray of shape (C,)
        Integers summing to ``n_draws``, each within 1 of the proportional share.
    """
    class_counts = np.asarray(class_counts)
    continuous = n_draws * class_counts / class_counts.sum()
    floored = np.floor(continuous).astype(int)
    need = n_draws - int(floored.sum())
    remainder = continuous - floored
    for value in np.sort(np.unique(remainder))[::-1]:
        if need == 0:
            break
        (inds,) = np.nonzero(remainder == value)
        take = min(len(inds), need)
        floored[rng.choice(inds, size=take, replace=False)] += 1
        need -= take
    return floored


def train_test_split_indices(n_samples, test_size=None, train_size=None, rng=None, shuffle=True, stratify=None):
    """Indices of a single train/test split (``train_test_split(np.arange(n), ...)``).

    Parameters
    ----------
    n_samples : int
    test_size, train_size : float, int or None
        See :func:`split_sizes`.
    rng : numpy.random.Generator, optional
        Required when ``shuffle`` is true (scikit-learn's ``random_state``).
    shuffle : bool
    stratify : ndarray of shape (n_samples,), optional
        Class labels whose proportions both parts should keep.

    Returns
    -------
    train : ndarray of shape (n_train,)
    test : ndarray of shape (n_test,)
    """
    n_train, n_test = split_sizes(n_samples, test_size, train_size)
    if not shuffle:
        if stratify is not None:
            raise ValueError("stratified train/test split is not implemented for shuffle=False")
        return np.arange(n_train), np.arange(n_train, n_train + n_test)
    if stratify is None:
        perm = rng.permutation(n_samples)
        return perm[n_test : n_test + n_train], perm[:n_test]
    classes, y_idx = np.unique(stratify, return_inverse=True)
    counts = np.bincount(y_idx)
    if counts.min() < 2:
        raise ValueError("the least populated class in stratify has only 1 member; need at least 2")
    if n_train < len(classes) or n_test < len(classes):
        raise ValueError("train and test sets must each have at least one sample per class")
    n_i = approximate_mode(counts, n_train, rng)
    t_i = approximate_mode(counts - n_i, n_test, rng)
    train, test = [], []
    for c in range(len(classes)):
        members = rng.permutation(np.flatnonzero(y_idx == c))
        train.extend(members[: n_i[c]])
        test.extend(members[n_i[c] : n_i[c] + t_i[c]])
    return rng.permutation(np.array(train, dtype=int)), rng.permutation(np.array(test, dtype=int))


def prob_no_positive_in_test(n, n_pos, n_test):
    """Chance that a random (unstratified) test set of ``n_test`` has no positive, hypergeometric.

    ``C(n - n_pos, n_test) / C(n, n_test)`` (``scipy.stats.hypergeom(n, n_pos, n_test).pmf(0)``).

    Parameters
    ----------
    n, n_pos, n_test : int

    Returns
    -------
    float
    """
    return math.comb(n - n_pos, n_test) / math.comb(n, n_test)


def _labels(n=40, n_pos=4):
    y = np.zeros(n, dtype=int)
    y[:n_pos] = 1
    return y


# ---------------------------------------------------------------- checks


def check_sizes_follow_scikit_learn():
    assert split_sizes(10) == (7, 3)  # default test_size 0.25: ceil(2.5) = 3 for the test set
    assert split_sizes(5, test_size=0.33) == (3, 2)  # the docstring example of train_test_split
    assert split_sizes(10, train_size=0.55) == (5, 5)  # floor for a float train_size
    assert split_sizes(10, test_size=4) == (6, 4)
    assert split_sizes(10, test_size=0.2, train_size=0.5) == (5, 2)  # both given: 3 samples unused
    for bad in (dict(test_size=1.0), dict(test_size=0, train_size=None), dict(test_size=0.7, train_size=0.5)):
        try:
            split_sizes(10, **bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def check_no_shuffle_is_contiguous():
    train, test = train_test_split_indices(5, shuffle=False)
    assert train.tolist() == [0, 1, 2] and test.tolist() == [3, 4]  # scikit-learn's example
    try:
        train_test_split_indices(5, shuffle=False, stratify=np.array([0, 0, 1, 1, 1]))
    except ValueError:
        pass
    else:
        raise AssertionError("stratify with shuffle=False must raise")


def check_split_is_a_partition():
    rng = np.random.default_rng(0)
    for strat in (None, _labels()):
        train, test = train_test_split_indices(40, 0.25, rng=rng, stratify=strat)
        assert len(train) == 30 and len(test) == 10
        assert np.intersect1d(train, test).size == 0
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(40))


def check_approximate_mode_examples_and_bounds():
    rng = np.random.default_rng(0)
    assert approximate_mode(np.array([4, 2]), 3, rng).tolist() == [2, 1]
    assert approximate_mode(np.array([5, 2]), 4, rng).tolist() == [3, 1]
    counts = np.array([2, 2, 2, 1])
    for seed in range(20):
        m = approximate_mode(counts, 2, np.random.default_rng(seed))
        assert m.sum() == 2 and np.all(np.abs(m - 2 * counts / counts.sum()) < 1)


def check_stratified_test_set_keeps_the_class_ratio():
    # 4 positives in 40; a test set of 10 gets exactly 1 positive every time.
    y = _labels()
    for seed in range(50):
        train, test = train_test_split_indices(40, 0.25, rng=np.random.default_rng(seed), stratify=y)
        assert y[test].sum() == 1 and y[train].sum() == 3


def check_random_split_misses_the_minority_class_as_often_as_predicted():
    y = _labels()
    misses = np.mean([y[train_test_split_indices(40, 0.25, rng=np.random.default_rng(s))[1]].sum() == 0 for s in range(4000)])
    exact = prob_no_positive_in_test(40, 4, 10)
    assert abs(exact - 27 * 28 * 29 * 30 / (37 * 38 * 39 * 40)) < 1e-15
    assert abs(misses - exact) < 4 * math.sqrt(exact * (1 - exact) / 4000), (misses, exact)


def check_singleton_class_cannot_be_stratified():
    y = np.array([0, 0, 0, 0, 1])
    try:
        train_test_split_indices(5, 0.4, rng=np.random.default_rng(0), stratify=y)
    except ValueError:
        return
    raise AssertionError("a class with one member must raise")


def plot_positives_in_test(counts_random, counts_strat):
    """Figure for the page: how many positives land in the test set, random versus stratified splits."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    k = np.arange(5)
    ax.bar(k - 0.2, np.bincount(counts_random, minlength=5)[:5] / len(counts_random), 0.4, label="random split")
    ax.bar(k + 0.2, np.bincount(counts_strat, minlength=5)[:5] / len(counts_strat), 0.4, label="stratified split")
    ax.set_xlabel("positives in the 10-sample test set (4 of 40 overall)")
    ax.set_ylabel("fraction of splits")
    ax.legend()
    fig.set_label(
        "Bar chart of how many of the 4 positive examples land in a 10-sample test set. Random "
        "splits put 0 positives in the test set about 30% of the time and 1 to 3 otherwise; "
        "stratified splits always put exactly 1."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    train, test = train_test_split_indices(8, 0.25, rng=np.random.default_rng(0))
    print(f"8 samples, test_size=0.25: train {sorted(train.tolist())}, test {sorted(test.tolist())}")
    print(f"shuffle=False on 10 samples, test_size=0.25 -> sizes {split_sizes(10)}: test = last 3")
    y = _labels()
    rnd = np.array([y[train_test_split_indices(40, 0.25, rng=np.random.default_rng(s))[1]].sum() for s in range(1000)])
    strat = np.array([y[train_test_split_indices(40, 0.25, rng=np.random.default_rng(s), stratify=y)[1]].sum() for s in range(1000)])
    print("40 samples, 4 positive; test set of 10, over 1000 random seeds:")
    print(f"  random split:     no positive in test in {np.mean(rnd == 0):.3f} of splits (exact {prob_no_positive_in_test(40, 4, 10):.4f})")
    print(f"  stratified split: positives in test always {sorted(set(strat.tolist()))}")
    print(f"accuracy on 10 test samples has standard error up to sqrt(0.25/10) = {math.sqrt(0.025):.3f}")
    plot_positives_in_test(rnd, strat)
