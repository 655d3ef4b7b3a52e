"""One-hot encoding: a category index k becomes the k-th standard basis vector.

``one_hot`` follows ``torch.nn.functional.one_hot(tensor, num_classes=-1)``: integer input of any
shape, an int64 output with one extra trailing axis, ``num_classes=-1`` meaning "max index + 1",
and an error for an index outside ``[0, num_classes)``. ``categories_and_indices`` and
``indices_of`` do what scikit-learn's ``OneHotEncoder`` does before that: sort the distinct
categories and map each value to its position, refusing unknown values
(``handle_unknown="error"``, the default).
"""

import numpy as np
from termbook.checks import assert_close


def one_hot(indices, num_classes=-1):
    """One-hot encode integer class indices, like ``torch.nn.functional.one_hot``.

    Parameters
    ----------
    indices : ndarray of integers, of shape (N,) or any shape S
        Class indices in ``[0, num_classes)``.
    num_classes : int
        Number of classes C. ``-1`` (PyTorch's default) infers ``C = indices.max() + 1``, which
        silently gives a narrower matrix if the largest class is absent; pass C explicitly.

    Returns
    -------
    encoded : ndarray of int64, of shape (N, C) or S + (C,)
        ``encoded[..., c] == 1`` exactly where ``indices == c``, otherwise 0.

    Raises
    ------
    TypeError
        If ``indices`` is not an integer array (PyTorch requires an integer tensor too).
    ValueError
        If an index is negative or ``>= num_classes``, or if ``num_classes=-1`` with empty input.
    """
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"one_hot needs integer indices, got dtype {indices.dtype}")
    if num_classes == -1:
        if indices.size == 0:
            raise ValueError("cannot infer num_classes from an empty array")
        num_classes = int(indices.max()) + 1
    if num_classes < 1:
        raise ValueError(f"num_classes must be positive or -1, got {num_classes}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_classes):
        raise ValueError(f"class indices must lie in [0, {num_classes}), got [{indices.min()}, {indices.max()}]")
    return (indices[..., None] == np.arange(num_classes)).astype(np.int64)


def categories_and_indices(values):
    """Sorted distinct categories and the index of each value, as ``OneHotEncoder.fit`` sorts them.

    Parameters
    ----------
    values : array_like of shape (N,)
        Category labels (strings or numbers).

    Returns
    -------
    categories : ndarray of shape (C,)
        The distinct labels in sorted order (scikit-learn's ``categories_[j]``).
    indices : ndarray of int64, of shape (N,)
        ``categories[indices] == values``.
    """
    categories, indices = np.unique(np.asarray(values), return_inverse=True)
    return categories, indices.astype(np.int64).reshape(-1)


def indices_of(values, categories):
    """Map labels to positions in a fixed, sorted category list; unknown labels raise.

    Parameters
    ----------
    values : array_like of shape (N,)
        Labels to encode, e.g. a test set.
    categories : ndarray of shape (C,)
        Sorted category list learned on the training set.

    Returns
    -------
    indices : ndarray of int64, of shape (N,)

    Raises
    ------
    ValueError
        For a label not in ``categories`` (scikit-learn's ``handle_unknown="error"``).
    """
    values = np.asarray(values)
    pos = np.searchsorted(categories, values)
    pos_clipped = np.minimum(pos, len(categories) - 1)
    unknown = categories[pos_clipped] != values
    if np.any(unknown):
        raise ValueError(f"unknown categories: {sorted(set(values[unknown].tolist()))}")
    return pos.astype(np.int64)


# ---------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Class indices the PyTorch equivalent is checked on (see the term's PyTorch tab).

    A vector and a 2-D batch of indices, the inferred width (``num_classes=-1``) with the largest
    class present and absent (the result is narrower), a single index, and one class.

    Returns
    -------
    list of dict with indices (int64, any shape) and num_classes (int, or -1 to infer)
    """
    rng = np.random.default_rng(121)
    return [
        {"indices": rng.integers(0, 5, size=12), "num_classes": 5},
        {"indices": rng.integers(0, 4, size=(3, 6)), "num_classes": 4},
        {"indices": np.array([0, 2, 1, 2]), "num_classes": -1},
        {"indices": np.array([0, 2, 1, 2]), "num_classes": 6},
        {"indices": np.array([3]), "num_classes": -1},
        {"indices": np.zeros(4, dtype=np.int64), "num_classes": 1},
    ]


def encoder_cases():
    """Training and test columns the scikit-learn ``OneHotEncoder`` is checked on.

    Strings (sorted alphabetically, not in order of appearance), integers (sorted by value),
    a test set missing some categories (their columns stay zero), and a single category.

    Returns
    -------
    list of dict with train (N,) and test (M,), arrays of labels
    """
    colours = np.array(["red", "green", "blue", "green", "red"])
    return [
        {"train": colours, "test": colours},
        {"train": colours, "test": np.array(["blue", "blue"])},
        {"train": np.array([10, 3, 7, 3, 10, 42]), "test": np.array([42, 3, 7])},
        {"train": np.array(["b", "a", "c", "a"]), "test": np.array(["c"])},
        {"train": np.array(["only", "only"]), "test": np.array(["only"])},
    ]


def fit_then_encode(train, test):
    """One-hot encode ``test`` with the categories learned on ``train`` (sorted), as float64.

    ``OneHotEncoder(sparse_output=False).fit(train).transform(test)`` for one feature, built
    from :func:`categories_and_indices`, :func:`indices_of` and :func:`one_hot`.

    Parameters
    ----------
    train : ndarray of shape (N,)
    test : ndarray of shape (M,)

    Returns
    -------
    encoded : ndarray of shape (M, C), float64
    """
    categories, _ = categories_and_indices(train)
    return one_hot(indices_of(test, categories), len(categories)).astype(np.float64)


# ---------------------------------------------------------------------------- checks


def check_each_row_has_a_single_one_and_argmax_decodes():
    y = np.array([2, 0, 1, 2, 4])
    Y = one_hot(y, num_classes=5)
    assert Y.shape == (5, 5) and Y.dtype == np.int64
    assert np.all(Y.sum(axis=1) == 1) and set(np.unique(Y)) <= {0, 1}
    assert np.array_equal(Y.argmax(axis=1), y)


def check_any_input_shape_gets_a_trailing_class_axis():
    y = np.array([[0, 2, 1], [1, 1, 0]])
    Y = one_hot(y, num_classes=3)
    assert Y.shape == (2, 3, 3)
    assert np.array_equal(Y.argmax(axis=-1), y)


def check_num_classes_minus_one_infers_max_plus_one():
    assert one_hot(np.array([0, 3])).shape == (2, 4)
    # The largest class happens to be absent: inference gives too few columns.
    assert one_hot(np.array([0, 1]), num_classes=4).shape == (2, 4)
    assert one_hot(np.array([0, 1])).shape == (2, 2)


def check_out_of_range_and_non_integer_inputs_raise():
    for bad in (np.array([0, 3]), np.array([-1, 0])):
        try:
            one_hot(bad, num_classes=3)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{bad} should be rejected")
    try:
        one_hot(np.array([0.0, 1.0]), num_classes=2)
    except TypeError:
        pass
    else:
        raise AssertionError("float indices should be rejected")


def check_codes_are_orthonormal_and_equidistant():
    # Gram matrix = identity, so every pair of distinct categories is sqrt(2) apart:
    # the encoding imposes no order and no notion of "closer" categories.
    Y = one_hot(np.arange(4), num_classes=4).astype(np.float64)
    assert_close(Y @ Y.T, np.eye(4), what="gram matrix")
    d = np.linalg.norm(Y[:, None, :] - Y[None, :, :], axis=-1)
    assert_close(d[~np.eye(4, dtype=bool)], np.full(12, np.sqrt(2)), what="pairwise distances")


def check_matrix_product_selects_rows():
    # one_hot(y) @ W == W[y]: a linear layer on one-hot input is a table lookup (an embedding).
    rng = np.random.default_rng(0)
    W = rng.normal(size=(5, 3))
    y = np.array([4, 0, 4, 2])
    assert_close(one_hot(y, 5) @ W, W[y], what="one_hot @ W")


def check_cross_entropy_with_one_hot_target_picks_one_log_probability():
    logp = np.log(np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]]))
    y = np.array([0, 2])
    loss = -(one_hot(y, 3) * logp).sum(axis=1)
    assert_close(loss, -logp[np.arange(2), y], what="cross-entropy")


def check_category_mapping_is_sorted_and_rejects_unknowns():
    cats, idx = categories_and_indices(["red", "green", "blue", "green"])
    assert cats.tolist() == ["blue", "green", "red"] and idx.tolist() == [2, 1, 0, 1]
    assert indices_of(["red", "blue"], cats).tolist() == [2, 0]
    for unseen in (["purple"], ["zzz"]):
        try:
            indices_of(unseen, cats)
        except ValueError:
            pass
        else:
            raise AssertionError(f"{unseen} should be rejected")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    colours = ["red", "green", "blue", "green"]
    cats, idx = categories_and_indices(colours)
    print("categories (sorted):", cats.tolist())
    print("indices:            ", idx.tolist())
    Y = one_hot(idx, num_classes=len(cats))
    print("one-hot matrix, one row per value:")
    print(Y)
    print("distance red-green:", f"{np.linalg.norm(Y[0] - Y[1]):.4f}", " distance red-blue:", f"{np.linalg.norm(Y[0] - Y[2]):.4f}")
    W = np.array([[0.1, 0.2], [1.0, -1.0], [5.0, 0.0]])
    print("one_hot @ W == W[indices]:", np.array_equal(Y @ W, W[idx]))
    try:
        indices_of(["purple"], cats)
    except ValueError as err:
        print("unknown category ->", err)
