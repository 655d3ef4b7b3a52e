"""Mini-batches: split a data set into small random groups and average the gradient over each.

The batching follows ``torch.utils.data.DataLoader``: with ``shuffle=True`` the
indices are permuted afresh every epoch, consecutive chunks of ``batch_size``
form the batches, and the last, smaller batch is kept unless ``drop_last=True``.
The loss over a batch is a mean (``reduction='mean'``), so its gradient is the
average of the per-example gradients.
"""

from itertools import combinations

import numpy as np


def num_batches(n, batch_size, drop_last=False):
    """Number of mini-batches in one pass over ``n`` examples.

    Same as ``len(DataLoader(...))``: ``ceil(n / batch_size)``, or
    ``floor(n / batch_size)`` when ``drop_last`` is true.

    Parameters
    ----------
    n : int
        Number of examples.
    batch_size : int
        Examples per batch.
    drop_last : bool
        Drop the final batch if it has fewer than ``batch_size`` examples.

    Returns
    -------
    count : int
    """
    return n // batch_size if drop_last else -(-n // batch_size)


def minibatch_indices(n, batch_size, rng=None, shuffle=True, drop_last=False):
    """Index arrays of the mini-batches for one epoch.

    Parameters
    ----------
    n : int
        Number of examples.
    batch_size : int
        Examples per batch.
    rng : numpy.random.Generator or None
        Source of the permutation; required when ``shuffle`` is true.
    shuffle : bool
        Permute the indices first (a new permutation on every call, i.e. every epoch).
    drop_last : bool
        Drop the final, incomplete batch.

    Returns
    -------
    batches : list of ndarray of shape (B_k,)
        Integer indices; every ``B_k == batch_size`` except possibly the last.
    """
    order = rng.permutation(n) if shuffle else np.arange(n)
    stop = num_batches(n, batch_size, drop_last) * batch_size
    return [order[i : min(i + batch_size, n)] for i in range(0, stop, batch_size)]


def minibatch_gradient(per_example_grads, idx):
    """Gradient of the mean loss over one mini-batch.

    Parameters
    ----------
    per_example_grads : ndarray of shape (N, D)
        Row ``i`` is the gradient of example ``i``'s loss.
    idx : ndarray of shape (B,)
        Indices of the batch.

    Returns
    -------
    grad : ndarray of shape (D,)
        ``per_example_grads[idx].mean(axis=0)``.
    """
    return per_example_grads[idx].mean(axis=0)


def minibatch_gradient_variance(per_example_grads, batch_size):
    """Exact variance (summed over coordinates) of the mini-batch gradient.

    For a batch drawn uniformly without replacement from ``N`` examples,
    ``Var = sigma^2 / B * (N - B) / (N - 1)``, where ``sigma^2`` is the
    (biased, ``ddof=0``) variance of the per-example gradients around the
    full-batch gradient. The factor ``(N - B) / (N - 1)`` is the finite-population
    correction: the variance falls like ``1/B`` and is zero at ``B = N``.

    Parameters
    ----------
    per_example_grads : ndarray of shape (N, D)
    batch_size : int

    Returns
    -------
    var : float
        ``E || g_batch - g_full ||^2``.
    """
    n = per_example_grads.shape[0]
    sigma2 = np.sum(per_example_grads.var(axis=0))
    return sigma2 / batch_size * (n - batch_size) / (n - 1)


def equivalence_cases():
    """Inputs the batching equivalents are checked on (see the term's PyTorch tab).

    A batch size that divides N and one that does not, with and without ``drop_last``, a batch
    size of one, and a batch size larger than N (one short batch, or none with ``drop_last``).

    Returns
    -------
    list of dict
        Each with n, batch_size (int) and drop_last (bool).
    """
    rows = [(12, 4, False), (10, 4, False), (10, 4, True), (7, 1, False), (5, 8, False), (5, 8, True), (100, 32, True)]
    return [{"n": n, "batch_size": b, "drop_last": d} for n, b, d in rows]


def sequential_batches(n, batch_size, drop_last):
    """The batches of :func:`minibatch_indices` without shuffling, laid end to end.

    Parameters
    ----------
    n, batch_size : int
    drop_last : bool

    Returns
    -------
    order : ndarray of int, of shape (M,)
        The indices in the order they are served (M = n, or less with ``drop_last``).
    sizes : ndarray of int, of shape (num_batches,)
    """
    batches = minibatch_indices(n, batch_size, shuffle=False, drop_last=drop_last)
    return np.concatenate(batches) if batches else np.empty(0, dtype=int), np.array([len(b) for b in batches], dtype=int)


def shuffled_batch_structure(n, batch_size, drop_last):
    """What one shuffled epoch of :func:`minibatch_indices` has whatever the permutation.

    Parameters
    ----------
    n, batch_size : int
    drop_last : bool

    Returns
    -------
    count : int
        :func:`num_batches`.
    sizes : ndarray of int, of shape (count,)
    distinct : int
        How many different examples the epoch serves (each at most once).
    """
    batches = minibatch_indices(n, batch_size, np.random.default_rng(0), shuffle=True, drop_last=drop_last)
    served = np.concatenate(batches) if batches else np.empty(0, dtype=int)
    return num_batches(n, batch_size, drop_last), np.array([len(b) for b in batches], dtype=int), len(np.unique(served))


def mean_loss_gradient_cases():
    """Inputs the mean-loss gradient equivalent is checked on: least squares, several batches.

    Returns
    -------
    list of dict
        Each with X (N, D), y (N,), w (D,) and idx (B,) the indices of one batch (B = 1 up to N).
    """
    rng = np.random.default_rng(23)
    cases = []
    for n, d, b in [(8, 2, 4), (20, 3, 1), (20, 3, 20), (50, 5, 16)]:
        X = rng.normal(size=(n, d))
        cases.append({"X": X, "y": rng.normal(size=n), "w": rng.normal(size=d), "idx": rng.permutation(n)[:b]})
    return cases


def batch_mean_gradient(X, y, w, idx):
    """:func:`minibatch_gradient` for the loss ``0.5 * (x_i . w - y_i)^2`` of each example.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    w : ndarray of shape (D,)
    idx : ndarray of int, of shape (B,)

    Returns
    -------
    grad : ndarray of shape (D,)
        The average over the batch of the per-example gradients ``(x_i . w - y_i) x_i``.
    """
    per_example_grads = (X @ w - y)[:, None] * X
    return minibatch_gradient(per_example_grads, idx)


def _toy_per_example_grads(n=8, d=2, seed=0):
    # Per-example gradients of a least-squares loss 0.5 * (x_i . w - y_i)^2 at w = 0.
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X @ np.array([1.0, -2.0][:d]) + 0.5 * rng.normal(size=n)
    w = np.zeros(d)
    return (X @ w - y)[:, None] * X


def check_batches_partition_the_data():
    rng = np.random.default_rng(1)
    for n, b, drop in [(10, 3, False), (10, 3, True), (12, 4, False), (5, 8, False)]:
        batches = minibatch_indices(n, b, rng, drop_last=drop)
        assert len(batches) == num_batches(n, b, drop)
        seen = np.concatenate(batches)
        assert len(np.unique(seen)) == len(seen), "an example appeared twice in one epoch"
        expected = (n // b) * b if drop else n
        assert len(seen) == expected
        assert all(len(ix) == b for ix in batches[:-1])


def check_new_permutation_every_epoch():
    rng = np.random.default_rng(2)
    first = np.concatenate(minibatch_indices(20, 5, rng))
    second = np.concatenate(minibatch_indices(20, 5, rng))
    assert not np.array_equal(first, second)
    assert np.array_equal(np.sort(first), np.sort(second))
    assert np.array_equal(np.concatenate(minibatch_indices(7, 3, shuffle=False)), np.arange(7))


def check_minibatch_gradient_is_unbiased():
    # Averaging over all C(N, B) possible batches gives exactly the full-batch gradient.
    g = _toy_per_example_grads()
    n = g.shape[0]
    for b in (1, 2, 4, 8):
        batch_grads = np.array([minibatch_gradient(g, np.array(c)) for c in combinations(range(n), b)])
        np.testing.assert_allclose(batch_grads.mean(axis=0), g.mean(axis=0), rtol=1e-12, atol=1e-12)


def check_variance_matches_closed_form():
    # Exact enumeration of every batch versus sigma^2 / B * (N - B) / (N - 1).
    g = _toy_per_example_grads()
    n, full = g.shape[0], g.mean(axis=0)
    for b in (1, 2, 3, 4, 8):
        batch_grads = np.array([minibatch_gradient(g, np.array(c)) for c in combinations(range(n), b)])
        exact = np.mean(np.sum((batch_grads - full) ** 2, axis=1))
        np.testing.assert_allclose(minibatch_gradient_variance(g, b), exact, rtol=1e-10, atol=1e-14)


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    print("batches of 4 from 10 examples:", [ix.tolist() for ix in minibatch_indices(10, 4, rng)])
    print("next epoch, new order:        ", [ix.tolist() for ix in minibatch_indices(10, 4, rng)])
    print("drop_last=True keeps", num_batches(10, 4, drop_last=True), "batches")
    g = _toy_per_example_grads()
    print("full-batch gradient (N=8):", g.mean(axis=0))
    print("  B   E||g_B - g||^2   B * variance")
    for b in (1, 2, 4, 8):
        var = minibatch_gradient_variance(g, b)
        print(f"{b:3d}   {var:14.4f}   {b * var:12.4f}")
