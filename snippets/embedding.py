"""Embedding layer: a learned table with one dense vector per discrete item, read by index.

``embedding_forward`` follows ``torch.nn.functional.embedding(input, weight, padding_idx=None)``:
integer indices of any shape select rows of a (V, D) weight matrix, an out-of-range index raises
``IndexError``, and the row ``padding_idx`` receives no gradient. The lookup is exactly
``one_hot(indices) @ weight``, computed without building the one-hot matrix.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import softmax
from snippets.cosine_similarity import pairwise_cosine_similarity
from snippets.one_hot_encoding import one_hot


def embedding_forward(indices, weight, padding_idx=None):
    """Look up the embedding of every index.

    Parameters
    ----------
    indices : ndarray of integers, of shape (N, T) or any shape S
        Item ids in ``[0, V)``.
    weight : ndarray of shape (V, D)
        The embedding table, one row per item.
    padding_idx : int, optional
        A row (e.g. the padding token) that is looked up normally but never updated.

    Returns
    -------
    out : ndarray of shape (N, T, D) or S + (D,)
        ``out[n, t] = weight[indices[n, t]]``.
    cache : tuple
        For :func:`embedding_backward`.
    """
    indices = np.asarray(indices)
    if not np.issubdtype(indices.dtype, np.integer):
        raise TypeError(f"embedding indices must be integers, got dtype {indices.dtype}")
    V = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= V):
        raise IndexError(f"index out of range: ids must lie in [0, {V})")  # NumPy would wrap -1
    return weight[indices], (indices, weight.shape, padding_idx)


def embedding_backward(dout, cache):
    """Gradient of the loss with respect to the embedding table.

    Each occurrence of an id adds its upstream gradient to that id's row, so an id used k
    times receives the sum of k gradients; rows of ids not in the batch get exactly zero
    (PyTorch can return this as a sparse gradient with ``sparse=True``).

    Parameters
    ----------
    dout : ndarray of shape (N, T, D)
        Upstream gradient, shaped like the forward output.
    cache : tuple
        From :func:`embedding_forward`.

    Returns
    -------
    dweight : ndarray of shape (V, D)
        Equal to ``one_hot(indices).T @ dout`` (flattened over N, T).
    """
    indices, shape, padding_idx = cache
    dweight = np.zeros(shape)
    np.add.at(dweight, indices.reshape(-1), dout.reshape(-1, shape[1]))  # += would drop repeats
    if padding_idx is not None:
        dweight[padding_idx] = 0.0
    return dweight


def nearest_neighbors(weight, query, k=3):
    """The k rows most similar to row ``query`` by cosine similarity, excluding itself.

    Parameters
    ----------
    weight : ndarray of shape (V, D)
    query : int
    k : int

    Returns
    -------
    ids : ndarray of int, of shape (k,)
        Most similar first.
    sims : ndarray of shape (k,)
    """
    s = pairwise_cosine_similarity(weight[[query]], weight)[0]
    s[query] = -np.inf
    ids = np.argsort(-s, kind="stable")[:k]
    return ids, s[ids]


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's PyTorch tab).

    Index arrays of several shapes (a batch of sequences, a flat list, three axes, a single id),
    ids repeated within a batch (their gradients add up), rows never looked up (zero gradient),
    and a padding row that is looked up but gets no gradient.

    Returns
    -------
    list of dict with int64 indices of any shape S, a table weight (V, D), padding_idx (int or None)
    and an upstream gradient dout of shape S + (D,)
    """
    rng = np.random.default_rng(41)
    specs = [  # index shape, V, D, padding_idx
        ((2, 5), 10, 3, None),
        ((12,), 4, 2, None),  # 12 ids from 4 rows: many repeats
        ((2, 3, 4), 30, 5, 0),
        ((), 6, 4, None),  # a single id
        ((3, 6), 8, 3, 7),
    ]
    cases = []
    for shape, V, D, padding_idx in specs:
        indices = rng.integers(0, V, size=shape).astype(np.int64)
        if padding_idx is not None:
            indices.reshape(-1)[::3] = padding_idx  # padded positions
        cases.append(
            {
                "indices": indices,
                "weight": rng.normal(size=(V, D)),
                "padding_idx": padding_idx,
                "dout": rng.normal(size=(*shape, D)),
            }
        )
    return cases


def forward_and_gradient(indices, weight, padding_idx, dout):
    """Looked-up vectors and the gradient reaching the table for upstream ``dout``.

    What autograd computes for ``out = F.embedding(indices, weight, padding_idx); out.backward(dout)``.

    Parameters
    ----------
    indices : ndarray of int, of shape S
    weight : ndarray of shape (V, D)
    padding_idx : int or None
    dout : ndarray of shape S + (D,)

    Returns
    -------
    out : ndarray of shape S + (D,)
    dweight : ndarray of shape (V, D)
    """
    out, cache = embedding_forward(indices, weight, padding_idx)
    return out, embedding_backward(dout, cache)


VOCAB = ["cat", "dog", "horse", "apple", "pear", "plum", "runs", "sleeps", "ripe", "sweet"]


def train_toy_embeddings(D=3, steps=300, lr=0.5, seed=0):
    """Learn embeddings on a toy corpus by predicting a word's neighbour (skip-gram, full softmax).

    Animals only ever appear next to "runs"/"sleeps" and fruit next to "ripe"/"sweet". No
    feature says which words are animals; the table learns it from co-occurrence alone.

    Parameters
    ----------
    D : int
        Embedding size.
    steps : int
        Full-batch gradient-descent steps.
    lr : float
    seed : int

    Returns
    -------
    E_before : ndarray of shape (V, D)
        The random initial table.
    E : ndarray of shape (V, D)
        The trained input embeddings.
    """
    ids = {w: i for i, w in enumerate(VOCAB)}
    pairs = [(a, c) for a in ("cat", "dog", "horse") for c in ("runs", "sleeps")]
    pairs += [(f, c) for f in ("apple", "pear", "plum") for c in ("ripe", "sweet")]
    pairs += [(c, w) for w, c in pairs]  # the window is symmetric
    centre = np.array([ids[w] for w, _ in pairs])
    context = np.array([ids[c] for _, c in pairs])
    rng = np.random.default_rng(seed)
    E = rng.normal(scale=0.1, size=(len(VOCAB), D))  # input embeddings
    C = rng.normal(scale=0.1, size=(len(VOCAB), D))  # output (context) embeddings
    E_before = E.copy()
    for _ in range(steps):
        e, cache = embedding_forward(centre, E)
        p = softmax(e @ C.T)  # (P, V): predicted context distribution
        dlogits = (p - one_hot(context, len(VOCAB))) / len(pairs)  # cross-entropy gradient
        E -= lr * embedding_backward(dlogits @ C, cache)
        C -= lr * dlogits.T @ e
    return E_before, E


# ---------------------------------------------------------------------------- checks


def check_lookup_equals_one_hot_matrix_product():
    rng = np.random.default_rng(0)
    W, idx = rng.normal(size=(6, 4)), np.array([[5, 0, 2], [2, 2, 1]])
    out, _ = embedding_forward(idx, W)
    assert out.shape == (2, 3, 4)
    assert_close(out, one_hot(idx, 6) @ W, rtol=1e-12, what="one_hot @ W")


def check_backward_accumulates_repeated_ids():
    rng = np.random.default_rng(1)
    W, idx, dout = rng.normal(size=(6, 4)), np.array([[5, 0, 2], [2, 2, 1]]), rng.normal(size=(2, 3, 4))
    dW = embedding_backward(dout, embedding_forward(idx, W)[1])
    assert_close(dW, one_hot(idx, 6).reshape(-1, 6).T @ dout.reshape(-1, 4), rtol=1e-12, what="one_hot.T @ dout")
    assert_close(dW[2], dout[0, 2] + dout[1, 0] + dout[1, 1], rtol=1e-12, what="row 2 (used 3 times)")
    assert np.all(dW[[3, 4]] == 0.0)  # unused rows: exactly zero, a sparse gradient


def check_backward_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7.
    rng = np.random.default_rng(2)
    W, idx, dout = rng.normal(size=(5, 3)), np.array([[4, 1], [1, 1]]), rng.normal(size=(2, 2, 3))
    dW = embedding_backward(dout, embedding_forward(idx, W)[1])
    num = numerical_gradient_array(lambda z: embedding_forward(idx, z)[0], W, dout)
    assert_gradient_close(dW, num, tol=1e-7)


def check_padding_row_is_never_updated():
    rng = np.random.default_rng(3)
    W, idx, dout = rng.normal(size=(5, 3)), np.array([[0, 3, 0]]), rng.normal(size=(1, 3, 3))
    dW = embedding_backward(dout, embedding_forward(idx, W, padding_idx=0)[1])
    assert np.all(dW[0] == 0.0) and np.any(dW[3] != 0.0)


def check_out_of_range_ids_raise():
    W = np.zeros((4, 2))
    for bad in (np.array([4]), np.array([-1])):
        try:
            embedding_forward(bad, W)
        except IndexError:
            pass
        else:
            raise AssertionError(f"{bad} should be rejected")


def check_trained_embeddings_group_words_by_context():
    E_before, E = train_toy_embeddings()
    S, S0 = pairwise_cosine_similarity(E), pairwise_cosine_similarity(E_before)
    animals, fruit = [0, 1, 2], [3, 4, 5]
    within = S[np.ix_(animals, animals)].min(), S[np.ix_(fruit, fruit)].min()
    across = S[np.ix_(animals, fruit)].max()
    assert min(within) > 0.9 and across < 0.0, (within, across)
    assert S0[np.ix_(animals, animals)].min() < 0.0  # the random table had no such structure
    for w in animals:
        assert set(nearest_neighbors(E, w, k=2)[0]) == set(animals) - {w}


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    W = np.arange(12, dtype=np.float64).reshape(4, 3)
    idx = np.array([[3, 0, 3]])
    print("lookup of ids", idx.tolist(), "in a 4 x 3 table ->", embedding_forward(idx, W)[0].tolist())
    print("same as one_hot(ids) @ W:", np.array_equal(embedding_forward(idx, W)[0], one_hot(idx, 4) @ W))
    print(
        "gradient rows for dout = 1:", embedding_backward(np.ones((1, 3, 3)), embedding_forward(idx, W)[1])[:, 0], "(row 3 was used twice)"
    )
    E_before, E = train_toy_embeddings()
    for name, table in (("random init", E_before), ("after training", E)):
        S = pairwise_cosine_similarity(table)
        print(f"{name:>14}: cos(cat, horse) = {S[0, 2]: .4f}   cos(dog, plum) = {S[1, 5]: .4f}   cos(apple, sweet) = {S[3, 9]: .4f}")
    for w, k in (("cat", 2), ("pear", 2), ("ripe", 1)):
        ids, sims = nearest_neighbors(E, VOCAB.index(w), k)
        print(f"nearest to {w!r}: " + ", ".join(f"{VOCAB[i]} ({s:.3f})" for i, s in zip(ids, sims)))
