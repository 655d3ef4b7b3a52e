"""Class imbalance: class weights, weighted cross-entropy, resampling and prior correction.

- ``compute_class_weight`` mirrors ``sklearn.utils.class_weight.compute_class_weight(
  "balanced", classes=..., y=...)``: ``w_k = N / (K * n_k)``, so every class
  carries the same total weight N / K. A class listed in ``classes`` but absent
  from ``y`` has n_k = 0; scikit-learn raises, and so does this function.
- ``weighted_cross_entropy_forward/backward`` mirror
  ``torch.nn.functional.cross_entropy(logits, target, weight=w)``: with
  ``reduction="mean"`` PyTorch divides by the *sum of the weights of the
  targets*, ``sum_i w[y_i]``, not by N.
- ``random_oversample`` returns indices like imbalanced-learn's
  ``RandomOverSampler``: every class resampled with replacement up to the size
  of the largest.
- ``adjust_to_prior`` re-weights predicted probabilities from the class prior a
  model was trained under to the prior it is deployed under (Saerens et al.,
  2002): ``p'_k  proportional to  p_k * pi_new_k / pi_train_k``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.accuracy import accuracy_score, balanced_accuracy_score
from snippets.softmax import log_softmax, softmax

__all__ = [
    "compute_class_weight",
    "weighted_cross_entropy_forward",
    "weighted_cross_entropy_backward",
    "random_oversample",
    "adjust_to_prior",
]


def compute_class_weight(y, num_classes):
    """ "Balanced" class weights ``N / (K * n_k)``.

    Parameters
    ----------
    y : ndarray of shape (N,)
        Class indices in ``[0, K)``.
    num_classes : int
        K; every class must occur at least once.

    Returns
    -------
    weights : ndarray of shape (K,)
        Inverse class frequencies, scaled so that ``sum_k w_k n_k = N``.
    """
    counts = np.bincount(np.asarray(y), minlength=num_classes)
    if np.any(counts == 0):
        raise ValueError(f"classes {np.flatnonzero(counts == 0).tolist()} do not occur in y: weight N/0")
    return counts.sum() / (num_classes * counts.astype(np.float64))


def weighted_cross_entropy_forward(logits, y, weight=None, reduction="mean"):
    """Class-weighted softmax cross-entropy, PyTorch's ``F.cross_entropy(..., weight=weight)``.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
    y : ndarray of shape (N,)
        Class indices.
    weight : ndarray of shape (C,), optional
        Weight of each class; default all ones.
    reduction : {"mean", "sum"}
        "mean" divides by ``sum_i weight[y_i]`` (PyTorch), not by N.

    Returns
    -------
    loss : float
    cache : tuple
        Probabilities, labels, per-sample weights and normaliser.
    """
    logits = np.asarray(logits, dtype=np.float64)
    y = np.asarray(y)
    weight = np.ones(logits.shape[1]) if weight is None else np.asarray(weight, dtype=np.float64)
    w = weight[y]
    nll = -log_softmax(logits)[np.arange(y.size), y]
    norm = w.sum() if reduction == "mean" else 1.0
    if norm == 0:
        raise ValueError("the targets' weights sum to zero: the mean is 0/0")
    return float(np.sum(w * nll) / norm), (softmax(logits), y, w, norm)


def weighted_cross_entropy_backward(dout, cache):
    """Gradient with respect to the logits: ``w_i (softmax(z_i) - onehot(y_i)) / norm``.

    Parameters
    ----------
    dout : float
    cache : tuple
        From :func:`weighted_cross_entropy_forward`.

    Returns
    -------
    dlogits : ndarray of shape (N, C)
    """
    p, y, w, norm = cache
    g = p.copy()
    g[np.arange(y.size), y] -= 1.0
    return dout * w[:, None] * g / norm


def random_oversample(y, rng):
    """Indices that resample every class, with replacement, to the size of the largest class.

    Parameters
    ----------
    y : ndarray of shape (N,)
        Class indices.
    rng : numpy.random.Generator

    Returns
    -------
    idx : ndarray of shape (K * max_k n_k,)
        All original indices, plus random duplicates of the smaller classes.
    """
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    target = counts.max()
    parts = []
    for c, n in zip(classes, counts):
        members = np.flatnonzero(y == c)
        parts.append(np.concatenate([members, rng.choice(members, size=target - n, replace=True)]))
    return np.concatenate(parts)


def adjust_to_prior(probs, train_prior, new_prior):
    """Move probabilities from the training class prior to another prior.

    The known-prior correction of Saerens et al. (2002); scikit-learn has no
    equivalent (their EM procedure also estimates an unknown new prior).

    Parameters
    ----------
    probs : ndarray of shape (N, C)
        Predicted probabilities under the training prior.
    train_prior : ndarray of shape (C,)
        Class frequencies the model was fitted to (after any weighting or resampling).
    new_prior : ndarray of shape (C,)
        Class frequencies where the model is used.

    Returns
    -------
    adjusted : ndarray of shape (N, C)
        ``probs * new/train``, renormalised; argmax changes only near the boundary.
    """
    r = np.asarray(probs, dtype=np.float64) * (np.asarray(new_prior) / np.asarray(train_prior))
    return r / r.sum(axis=1, keepdims=True)


def _fit_linear_softmax(X, y, weight=None, lr=0.5, num_iters=400):
    """Full-batch gradient descent on a linear softmax model (for the demo and checks)."""
    Xb = np.c_[X, np.ones(len(X))]
    W = np.zeros((Xb.shape[1], int(y.max()) + 1))
    for _ in range(num_iters):
        _, cache = weighted_cross_entropy_forward(Xb @ W, y, weight)
        W -= lr * Xb.T @ weighted_cross_entropy_backward(1.0, cache)
    return W


def _imbalanced_data(seed=0, n_major=950, n_minor=50):
    rng = np.random.default_rng(seed)
    X = np.r_[rng.normal(0.0, 1.0, size=(n_major, 2)), rng.normal(1.5, 1.0, size=(n_minor, 2))]
    y = np.r_[np.zeros(n_major, int), np.ones(n_minor, int)]
    return X, y


# ----------------------------------------------------------------------------- checks


def check_balanced_weights_equalise_class_totals():
    y = np.array([0] * 90 + [1] * 9 + [2] * 1)
    w = compute_class_weight(y, 3)
    assert_close(w, [100 / 270, 100 / 27, 100 / 3], rtol=1e-12)
    assert_close(w * np.bincount(y), np.full(3, 100 / 3), rtol=1e-12)
    try:
        compute_class_weight(np.array([0, 0, 1]), 3)  # class 2 is empty
    except ValueError:
        pass
    else:
        raise AssertionError("an empty class must raise")


def check_weighted_mean_divides_by_target_weights_and_gradient():
    # tolerance: relative error 1e-7 (float64, centred differences)
    rng = np.random.default_rng(0)
    z, y = rng.normal(size=(6, 3)), np.array([0, 0, 0, 1, 2, 2])
    w = np.array([0.2, 3.0, 1.5])
    loss, cache = weighted_cross_entropy_forward(z, y, w)
    nll = -log_softmax(z)[np.arange(6), y]
    assert_close(loss, np.sum(w[y] * nll) / w[y].sum(), rtol=1e-12)
    assert_close(weighted_cross_entropy_forward(z, y)[0], nll.mean(), rtol=1e-12)  # no weights: plain mean
    dz = weighted_cross_entropy_backward(1.0, cache)
    assert_gradient_close(dz, numerical_gradient(lambda q: weighted_cross_entropy_forward(q, y, w)[0], z.copy()), tol=1e-7)


def check_integer_weights_equal_duplicating_samples():
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(7, 2)), np.array([0, 0, 0, 0, 0, 1, 1])
    w = np.array([1.0, 3.0])
    rep = np.repeat(np.arange(7), w[y].astype(int))
    assert np.isclose(weighted_cross_entropy_forward(z, y, w, "sum")[0], weighted_cross_entropy_forward(z[rep], y[rep], None, "sum")[0])
    assert np.isclose(weighted_cross_entropy_forward(z, y, w)[0], weighted_cross_entropy_forward(z[rep], y[rep])[0])


def check_oversampling_balances_and_keeps_every_sample():
    y = np.array([0] * 20 + [1] * 3 + [2] * 7)
    idx = random_oversample(y, np.random.default_rng(2))
    assert np.array_equal(np.bincount(y[idx]), [20, 20, 20])
    assert set(range(30)) <= set(idx.tolist())


def check_intercept_only_model_and_prior_correction():
    # With no features the fitted probability is the (weighted) class frequency:
    # the base rate 0.05 unweighted, exactly 0.5 with balanced weights.
    y = np.r_[np.zeros(95, int), np.ones(5, int)]
    X = np.zeros((100, 0))
    for weight, expected in ((None, 0.05), (compute_class_weight(y, 2), 0.5)):
        W = _fit_linear_softmax(X, y, weight, lr=1.0, num_iters=3000)
        assert np.isclose(softmax(W[-1])[1], expected, atol=1e-6)
    # Undoing the balanced prior recovers the base rate exactly.
    assert_close(adjust_to_prior(np.array([[0.5, 0.5]]), [0.5, 0.5], [0.95, 0.05]), [[0.95, 0.05]], rtol=1e-12)


def check_weighting_trades_accuracy_for_minority_recall():
    X, y = _imbalanced_data(3)
    plain = (np.c_[X, np.ones(len(X))] @ _fit_linear_softmax(X, y)).argmax(1)
    weighted = (np.c_[X, np.ones(len(X))] @ _fit_linear_softmax(X, y, compute_class_weight(y, 2))).argmax(1)
    recall = lambda pred: np.mean(pred[y == 1] == 1)
    assert accuracy_score(y, plain) >= 0.95 - 0.01 and recall(weighted) > recall(plain) + 0.3
    assert balanced_accuracy_score(y, weighted) > balanced_accuracy_score(y, plain)
    assert accuracy_score(y, weighted) < accuracy_score(y, plain)


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    X, y = _imbalanced_data(0)
    print(f"class counts {np.bincount(y)}, imbalance ratio {np.bincount(y).max() / np.bincount(y).min():.0f}:1")
    w = compute_class_weight(y, 2)
    print("balanced class weights N / (K n_k):", w)
    Xb = np.c_[X, np.ones(len(X))]
    for name, weight in (("unweighted", None), ("class-weighted", w)):
        pred = (Xb @ _fit_linear_softmax(X, y, weight)).argmax(1)
        print(
            f"{name:15s} accuracy {accuracy_score(y, pred):.3f}  balanced accuracy "
            f"{balanced_accuracy_score(y, pred):.3f}  minority recall {np.mean(pred[y == 1] == 1):.2f}"
        )
    print(
        f"always predict the majority: accuracy {accuracy_score(y, np.zeros_like(y)):.3f}, "
        f"balanced accuracy {balanced_accuracy_score(y, np.zeros_like(y)):.3f}"
    )
    p = softmax(Xb[:3] @ _fit_linear_softmax(X, y, w))
    print(
        "weighted model's P(minority) for 3 points:", p[:, 1], "-> at the true prior:", adjust_to_prior(p, [0.5, 0.5], [0.95, 0.05])[:, 1]
    )
