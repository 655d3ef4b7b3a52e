"""Cosine similarity: the cosine of the angle between two vectors, x.y / (|x| |y|).

``cosine_similarity_forward`` follows ``torch.nn.functional.cosine_similarity(x1, x2, dim=1,
eps=1e-8)``: each norm is clamped separately, ``x1.x2 / (max(|x1|, eps) * max(|x2|, eps))``, so a
zero vector has similarity 0 with everything instead of NaN. ``pairwise_cosine_similarity`` is
the all-pairs matrix of ``sklearn.metrics.pairwise.cosine_similarity(X, Y)``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array


def _norm(x, axis):
    """Euclidean norm along ``axis`` (kept), computed without overflow or underflow.

    Dividing by the largest magnitude first keeps the squares in range, so vectors with entries
    around 1e200 or 1e-200 get their exact norm instead of inf or 0.
    """
    m = np.max(np.abs(x), axis=axis, keepdims=True)
    m_safe = np.where(m > 0, m, 1.0)
    return m * np.sqrt(np.sum((x / m_safe) ** 2, axis=axis, keepdims=True))


def cosine_similarity_forward(x1, x2, axis=1, eps=1e-8):
    """Cosine similarity along ``axis``, with PyTorch's argument order, default axis and eps.

    Parameters
    ----------
    x1 : ndarray of shape (N, D)
        First batch of vectors (any shape works; ``axis`` indexes the vector components).
    x2 : ndarray of shape (N, D)
        Second batch, broadcastable against ``x1``.
    axis : int
        Axis holding the D components (``dim=1`` in PyTorch, the default there too).
    eps : float
        Lower bound applied to each norm separately, as in current PyTorch.

    Returns
    -------
    s : ndarray of shape (N,)
        ``sum(x1 * x2) / (max(|x1|, eps) * max(|x2|, eps))``, in [-1, 1].
    cache : tuple
        Values needed by :func:`cosine_similarity_backward`.
    """
    x1, x2 = np.broadcast_arrays(np.asarray(x1, dtype=np.float64), np.asarray(x2, dtype=np.float64))
    n1, n2 = _norm(x1, axis), _norm(x2, axis)
    c1, c2 = np.maximum(n1, eps), np.maximum(n2, eps)
    # Normalise before multiplying: x1 . x2 itself could overflow for huge entries.
    u1, u2 = x1 / c1, x2 / c2
    s = np.sum(u1 * u2, axis=axis)
    return s, (u1, u2, n1, n2, c1, c2, axis, eps)


def cosine_similarity_backward(ds, cache):
    """Gradients of the cosine similarity with respect to both inputs.

    With ``u = x / max(|x|, eps)`` the similarity is ``u1 . u2``; where ``|x| > eps``,
    ``d s / d x1 = (u2 - s u1) / |x1|``, the part of ``u2`` orthogonal to ``x1``: moving ``x1``
    along itself does not change the angle. Where the norm is clamped the clamp is a constant.

    Parameters
    ----------
    ds : ndarray of shape (N,)
        Upstream gradient of the similarities.
    cache : tuple
        From :func:`cosine_similarity_forward`.

    Returns
    -------
    dx1 : ndarray of shape (N, D)
    dx2 : ndarray of shape (N, D)
    """
    u1, u2, n1, n2, c1, c2, axis, eps = cache
    ds = np.expand_dims(ds, axis)
    s = np.sum(u1 * u2, axis=axis, keepdims=True)
    dx1 = ds * (u2 - np.where(n1 > eps, s * u1, 0.0)) / c1
    dx2 = ds * (u1 - np.where(n2 > eps, s * u2, 0.0)) / c2
    return dx1, dx2


def cosine_similarity(x1, x2, axis=1, eps=1e-8):
    """Cosine similarity without the cache; see :func:`cosine_similarity_forward`.

    Parameters
    ----------
    x1 : ndarray of shape (N, D)
    x2 : ndarray of shape (N, D)
    axis : int
    eps : float

    Returns
    -------
    s : ndarray of shape (N,)
    """
    return cosine_similarity_forward(x1, x2, axis, eps)[0]


def pairwise_cosine_similarity(X, Y=None, eps=1e-8):
    """All-pairs cosine similarity, like ``sklearn.metrics.pairwise.cosine_similarity(X, Y)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    Y : ndarray of shape (M, D), optional
        Defaults to ``X``.
    eps : float
        Norm clamp as in :func:`cosine_similarity_forward` (scikit-learn also returns 0 for a
        zero row).

    Returns
    -------
    S : ndarray of shape (N, M)
        ``S[i, j]`` is the cosine similarity of ``X[i]`` and ``Y[j]``.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = X if Y is None else np.asarray(Y, dtype=np.float64)
    U = X / np.maximum(_norm(X, 1), eps)
    V = Y / np.maximum(_norm(Y, 1), eps)
    return U @ V.T


def cosine_distance(x1, x2, axis=1, eps=1e-8):
    """``1 - cosine_similarity``, in [0, 2], as in ``scipy.spatial.distance.cosine``.

    Not a metric: it violates the triangle inequality (the angle itself, ``arccos(s)``, is one).

    Parameters
    ----------
    x1 : ndarray of shape (N, D)
    x2 : ndarray of shape (N, D)
    axis : int
    eps : float

    Returns
    -------
    d : ndarray of shape (N,)
    """
    return 1.0 - cosine_similarity(x1, x2, axis, eps)


# ---------------------------------------------------------------------------- library equivalents


def equivalence_cases():
    """Pairs of vectors the PyTorch equivalent is checked on, with an upstream gradient.

    Several shapes, rows on very different scales, parallel, opposite and orthogonal pairs,
    one component (similarity +-1), and a zero vector (similarity 0 through the ``eps`` clamp).

    Returns
    -------
    list of dict with x1 (N, D), x2 (N, D) and ds (N,)
    """
    rng = np.random.default_rng(111)
    cases = []
    for n, d in [(5, 3), (16, 8), (1, 4), (6, 1)]:
        scale = 10.0 ** rng.uniform(-3, 3, size=(n, 1))
        cases.append({"x1": rng.normal(size=(n, d)) * scale, "x2": rng.normal(size=(n, d)), "ds": rng.normal(size=n)})
    x1 = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]])
    x2 = np.array([[2.0, 4.0, 6.0], [-1.0, -2.0, -3.0], [-2.0, 1.0, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    cases.append({"x1": x1, "x2": x2, "ds": np.array([1.0, -1.0, 0.5, 1.0, 2.0])})
    return cases


def similarity_and_gradients(x1, x2, ds):
    """Row-wise cosine similarity and the gradients reaching both inputs for upstream ``ds``.

    Parameters
    ----------
    x1, x2 : ndarray of shape (N, D)
    ds : ndarray of shape (N,)

    Returns
    -------
    s : ndarray of shape (N,)
    dx1, dx2 : ndarray of shape (N, D)
    """
    s, cache = cosine_similarity_forward(x1, x2)
    dx1, dx2 = cosine_similarity_backward(ds, cache)
    return s, dx1, dx2


def pairwise_cases():
    """Matrices the scikit-learn and SciPy equivalents are checked on.

    Several sizes, rows on different scales, a row equal to another up to a factor (similarity
    1), a row and its negative (-1), ``Y`` omitted (every pair within ``X``), and all-zero rows
    (similarity 0 with everything, an all-zero pair included).

    Returns
    -------
    list of dict with X (N, D) and Y (M, D) or None
    """
    rng = np.random.default_rng(112)
    cases = []
    for n, m, d in [(4, 3, 5), (10, 12, 2), (1, 6, 3)]:
        cases.append({"X": rng.normal(size=(n, d)) * 10.0 ** rng.uniform(-3, 3, size=(n, 1)), "Y": rng.normal(size=(m, d))})
    X = rng.normal(size=(5, 4))
    X[1], X[2] = 7.0 * X[0], -X[0]
    cases.append({"X": X, "Y": None})
    X, Y = rng.normal(size=(4, 3)), rng.normal(size=(5, 3))
    X[2], Y[0] = 0.0, 0.0
    cases.append({"X": X, "Y": Y})
    return cases


def distance_cases():
    """The cases of :func:`pairwise_cases` without a zero row, for SciPy (it gives NaN there).

    Returns
    -------
    list of dict with X (N, D) and Y (M, D) or None
    """
    return [c for c in pairwise_cases() if all(np.any(m != 0, axis=1).all() for m in (c["X"], c["Y"]) if m is not None)]


def pairwise_cosine_distance(X, Y=None):
    """All-pairs cosine distance ``1 - S``, like ``scipy.spatial.distance.cdist(X, Y, "cosine")``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    Y : ndarray of shape (M, D), optional
        Defaults to ``X``.

    Returns
    -------
    D : ndarray of shape (N, M)
    """
    return 1.0 - pairwise_cosine_similarity(X, Y)


# ---------------------------------------------------------------------------- checks


def check_matches_the_textbook_formula():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    expected = np.sum(a * b, 1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert_close(cosine_similarity(a, b), expected, rtol=1e-12)
    assert_close(cosine_similarity(a.T, b.T, axis=0), expected, rtol=1e-12, what="axis=0")


def check_range_and_extreme_values():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    s = cosine_similarity(a, b)
    assert np.all(s >= -1 - 1e-12) and np.all(s <= 1 + 1e-12)
    assert_close(cosine_similarity(a, a), np.ones(200), rtol=1e-12, what="s(x, x)")
    assert_close(cosine_similarity(a, -a), -np.ones(200), rtol=1e-12, what="s(x, -x)")
    e = np.eye(3)
    assert_close(cosine_similarity(e[[0]], e[[1]]), [0.0], atol=1e-15, what="orthogonal")


def check_scale_invariance():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    s = cosine_similarity(a, b)
    assert_close(cosine_similarity(7.5 * a, 0.01 * b), s, rtol=1e-12, what="positive scaling")
    assert_close(cosine_similarity(-3.0 * a, b), -s, rtol=1e-12, what="negative scaling")


def check_equals_dot_product_of_unit_vectors_and_links_to_euclidean_distance():
    # For unit vectors |u - v|^2 = 2 - 2 cos(u, v): ranking by cosine = ranking by distance.
    rng = np.random.default_rng(3)
    u, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    s = cosine_similarity(u, v)
    assert_close(s, np.sum(u * v, 1), rtol=1e-12, what="unit dot product")
    assert_close(np.sum((u - v) ** 2, 1), 2 - 2 * s, rtol=1e-12, what="squared distance")


def check_zero_vector_gives_zero_not_nan():
    s = cosine_similarity(np.zeros((1, 3)), np.array([[1.0, 2.0, 3.0]]))
    assert np.isfinite(s).all() and s[0] == 0.0
    assert pairwise_cosine_similarity(np.zeros((2, 3))).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def check_huge_and_tiny_entries_do_not_overflow():
    # The naive a.b / (|a||b|) overflows to inf/inf = NaN at 1e200 and underflows to 0/0 at 1e-200.
    a, b = np.array([[3.0, 4.0]]), np.array([[4.0, 3.0]])
    assert_close(cosine_similarity(1e200 * a, 1e200 * b), [0.96], rtol=1e-12, what="scale 1e200")
    assert_close(cosine_similarity(1e-200 * a, 1e-200 * b, eps=0.0), [0.96], rtol=1e-12, what="scale 1e-200")
    # With the default eps, a norm below 1e-8 is replaced by 1e-8, shrinking s towards 0:
    # |1e-10 a| = 5e-10, so s = 0.96 * 5e-10 / 1e-8 = 0.048.
    assert_close(cosine_similarity(1e-10 * a, b), [0.048], rtol=1e-12, what="clamped norm")


def check_pairwise_matrix_matches_elementwise():
    rng = np.random.default_rng(4)
    X, Y = rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    S = pairwise_cosine_similarity(X, Y)
    assert S.shape == (3, 5)
    for i in range(3):
        assert_close(S[i], cosine_similarity(np.repeat(X[[i]], 5, 0), Y), rtol=1e-12)
    assert_close(np.diag(pairwise_cosine_similarity(X)), np.ones(3), rtol=1e-12, what="diagonal")


def check_cosine_distance_is_not_a_metric():
    # Three unit vectors at 0, 60 and 120 degrees: d(a, c) = 1.5 > d(a, b) + d(b, c) = 1.0.
    ang = np.deg2rad([0.0, 60.0, 120.0])
    a, b, c = (np.array([[np.cos(t), np.sin(t)]]) for t in ang)
    d_ac, d_ab, d_bc = (cosine_distance(p, q)[0] for p, q in ((a, c), (a, b), (b, c)))
    assert_close([d_ac, d_ab, d_bc], [1.5, 0.5, 0.5], rtol=1e-12)
    assert d_ac > d_ab + d_bc


def check_backward_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7.
    rng = np.random.default_rng(5)
    a, b, ds = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), rng.normal(size=4)
    s, cache = cosine_similarity_forward(a, b)
    da, db = cosine_similarity_backward(ds, cache)
    assert_gradient_close(da, numerical_gradient_array(lambda z: cosine_similarity(z, b), a, ds), tol=1e-7)
    assert_gradient_close(db, numerical_gradient_array(lambda z: cosine_similarity(a, z), b, ds), tol=1e-7)


def check_gradient_is_orthogonal_to_the_input():
    # Scale invariance means d s / d x1 has no component along x1 (Euler's theorem, degree 0).
    rng = np.random.default_rng(6)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    da, db = cosine_similarity_backward(np.ones(4), cosine_similarity_forward(a, b)[1])
    assert_close(np.sum(da * a, 1), np.zeros(4), atol=1e-12, what="da . a")
    assert_close(np.sum(db * b, 1), np.zeros(4), atol=1e-12, what="db . b")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    a = np.array([[1.0, 2.0, 3.0]])
    for name, b in [
        ("same direction, 10x longer", 10 * a),
        ("slightly rotated", np.array([[1.0, 2.0, 2.5]])),
        ("orthogonal", np.array([[-2.0, 1.0, 0.0]])),
        ("opposite", -a),
        ("zero vector", np.zeros((1, 3))),
    ]:
        print(f"cos({a[0]}, {name:>26}) = {cosine_similarity(a, b)[0]: .4f}")
    docs = np.array([[3.0, 0.0, 1.0], [30.0, 0.0, 10.0], [0.0, 2.0, 2.0]])
    print("term counts: doc0, doc1 = 10 x doc0, doc2 = other topic")
    print("pairwise cosine:\n", pairwise_cosine_similarity(docs))
    print("pairwise Euclidean distance:\n", np.linalg.norm(docs[:, None] - docs[None], axis=-1))
