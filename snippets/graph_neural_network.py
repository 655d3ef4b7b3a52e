"""Graph convolutional network (GCN) layers, as in ``torch_geometric.nn.GCNConv`` (Kipf & Welling).

One layer computes ``X' = D^{-1/2} (A + I) D^{-1/2} X W + b`` where ``D`` is the degree matrix of
``A + I``. Like PyTorch Geometric, the graph is an ``edge_index`` of shape (2, E) whose first row holds
source nodes and second row target nodes (messages flow source -> target), self-loops are added
(``add_self_loops=True``; PyG adds them only to nodes that lack one, and the graphs here have none), the degree of a node is counted over its *incoming* edges, a node of degree
0 gets ``deg^{-1/2} = 0`` rather than ``inf``, and the bias is added after aggregation. Weights are
stored as (in_features, out_features), so a layer is ``x @ W``; PyG's ``lin.weight`` is the transpose.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.softmax import log_softmax_backward, log_softmax_forward

__all__ = [
    "gcn_norm",
    "gcn_conv_forward",
    "gcn_conv_backward",
    "normalized_adjacency",
    "gcn_two_layer_loss",
    "train_gcn",
]


def gcn_norm(edge_index, num_nodes, add_self_loops=True):
    """Edge list with self-loops and the symmetric normalisation ``deg[src]^{-1/2} deg[dst]^{-1/2}``.

    Mirrors ``torch_geometric.nn.conv.gcn_conv.gcn_norm`` with unit edge weights.

    Parameters
    ----------
    edge_index : ndarray of int, shape (2, E)
        Row 0 source nodes, row 1 target nodes. An undirected graph lists each edge in both directions.
    num_nodes : int
    add_self_loops : bool

    Returns
    -------
    edge_index : ndarray of int, shape (2, E')
        ``E' = E + num_nodes`` with self-loops.
    norm : ndarray of shape (E',)
    """
    edge_index = np.asarray(edge_index, dtype=np.int64).reshape(2, -1)
    if add_self_loops:
        loops = np.arange(num_nodes)
        edge_index = np.concatenate([edge_index, np.stack([loops, loops])], axis=1)
    src, dst = edge_index
    deg = np.bincount(dst, minlength=num_nodes).astype(np.float64)
    with np.errstate(divide="ignore"):
        inv_sqrt = np.where(deg > 0, deg**-0.5, 0.0)
    return edge_index, inv_sqrt[src] * inv_sqrt[dst]


def gcn_conv_forward(x, edge_index, W, b, add_self_loops=True):
    """One GCN layer: transform with ``W``, aggregate normalised messages, add ``b``.

    ``torch_geometric.nn.GCNConv(F_in, F_out)(x, edge_index)`` with ``lin.weight = W.T``.

    ``out[i] = b + sum_{(j -> i)} norm_ji * (x[j] @ W)``.

    Parameters
    ----------
    x : ndarray of shape (N, F_in)
        Node features.
    edge_index : ndarray of int, shape (2, E)
    W : ndarray of shape (F_in, F_out)
    b : ndarray of shape (F_out,)
    add_self_loops : bool

    Returns
    -------
    out : ndarray of shape (N, F_out)
    cache : tuple
    """
    N = x.shape[0]
    ei, norm = gcn_norm(edge_index, N, add_self_loops)
    h = x @ W
    out = np.zeros((N, W.shape[1]))
    np.add.at(out, ei[1], norm[:, None] * h[ei[0]])
    return out + b, (x, W, ei, norm)


def gcn_conv_backward(dout, cache):
    """Backward pass of :func:`gcn_conv_forward`.

    What autograd computes for ``torch_geometric.nn.GCNConv``.

    The aggregation is a linear map ``S`` (sparse, ``S[i, j] = norm_ji``), so ``dh = S^T dout``:
    gradients flow back along the edges reversed.

    Parameters
    ----------
    dout : ndarray of shape (N, F_out)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, F_in)
    dW : ndarray of shape (F_in, F_out)
    db : ndarray of shape (F_out,)
    """
    x, W, ei, norm = cache
    dh = np.zeros((x.shape[0], W.shape[1]))
    np.add.at(dh, ei[0], norm[:, None] * dout[ei[1]])
    return dh @ W.T, x.T @ dh, dout.sum(axis=0)


def normalized_adjacency(A):
    """Dense ``D^{-1/2} (A + I) D^{-1/2}`` for a symmetric adjacency matrix.

    Dense form of ``torch_geometric.transforms.GCNNorm``.

    Parameters
    ----------
    A : ndarray of shape (N, N)
        Symmetric 0/1 adjacency matrix without self-loops.

    Returns
    -------
    A_hat : ndarray of shape (N, N)
    """
    A_tilde = A + np.eye(A.shape[0])
    d = A_tilde.sum(axis=1) ** -0.5
    return d[:, None] * A_tilde * d[None, :]


def gcn_two_layer_loss(params, x, edge_index, labels, mask):
    """Kipf & Welling's two-layer GCN with ReLU, cross-entropy on the labelled nodes, and gradients.

    ``logits = GCN2(relu(GCN1(x)))``; the loss is the mean negative log-softmax of the true class over
    the nodes where ``mask`` is True (``torch.nn.functional.cross_entropy`` on those rows).

    Parameters
    ----------
    params : dict
        ``W1`` (F, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).
    x : ndarray of shape (N, F)
    edge_index : ndarray of int, shape (2, E)
    labels : ndarray of int, shape (N,)
    mask : ndarray of bool, shape (N,)

    Returns
    -------
    loss : float
    grads : dict
        Same keys and shapes as ``params``.
    logits : ndarray of shape (N, C)
    """
    z1, c1 = gcn_conv_forward(x, edge_index, params["W1"], params["b1"])
    h1 = np.maximum(z1, 0.0)
    logits, c2 = gcn_conv_forward(h1, edge_index, params["W2"], params["b2"])
    logp, c3 = log_softmax_forward(logits)
    idx = np.flatnonzero(mask)
    loss = float(-np.mean(logp[idx, labels[idx]]))
    dlogp = np.zeros_like(logp)
    dlogp[idx, labels[idx]] = -1.0 / idx.size
    dlogits = log_softmax_backward(dlogp, c3)
    dh1, dW2, db2 = gcn_conv_backward(dlogits, c2)
    _, dW1, db1 = gcn_conv_backward(dh1 * (z1 > 0), c1)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}, logits


def train_gcn(x, edge_index, labels, mask, hidden, rng, lr=0.2, steps=200):
    """Full-batch gradient descent on :func:`gcn_two_layer_loss` (Glorot-uniform weights, zero biases).

    Full-batch training on the labelled nodes only, as in PyTorch Geometric's GCN example, with plain
    gradient descent instead of Adam; ``torch_geometric.nn.GCNConv`` also initialises its weight with Glorot.

    Parameters
    ----------
    x : ndarray of shape (N, F)
    edge_index : ndarray of int, shape (2, E)
    labels : ndarray of int, shape (N,)
    mask : ndarray of bool, shape (N,)
        Which nodes' labels the loss may see.
    hidden : int
    rng : numpy.random.Generator
    lr : float
    steps : int

    Returns
    -------
    params : dict
    losses : ndarray of shape (steps,)

    Raises
    ------
    ValueError
        If the loss becomes non-finite or rises above 10 times its initial value.
    """
    C = int(labels.max()) + 1
    glorot = lambda n_in, n_out: rng.uniform(-1, 1, size=(n_in, n_out)) * np.sqrt(6.0 / (n_in + n_out))
    params = {"W1": glorot(x.shape[1], hidden), "b1": np.zeros(hidden), "W2": glorot(hidden, C), "b2": np.zeros(C)}
    losses = np.empty(steps)
    for t in range(steps):
        loss, grads, _ = gcn_two_layer_loss(params, x, edge_index, labels, mask)
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"training diverged at step {t} (loss {loss}); lower lr (now {lr})")
        losses[t] = loss
        params = {k: params[k] - lr * grads[k] for k in params}
    return params, losses


def _undirected(edges):
    e = np.array(edges).T
    return np.concatenate([e, e[::-1]], axis=1)


def _two_cliques():
    """Two 4-cliques {0,1,2,3} and {4,5,6,7} joined by the edge 3-4."""
    edges = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    edges += [(i + 4, j + 4) for i, j in edges] + [(3, 4)]
    return _undirected(edges)


# ---------------------------------------------------------------- checks


def check_matches_dense_normalized_adjacency():
    rng = np.random.default_rng(0)
    ei = _two_cliques()
    A = np.zeros((8, 8))
    A[ei[0], ei[1]] = 1.0
    x, W, b = rng.normal(size=(8, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    out, _ = gcn_conv_forward(x, ei, W, b)
    assert_close(out, normalized_adjacency(A) @ x @ W + b, rtol=1e-12, what="sparse vs dense GCN")


def check_permutation_equivariance():
    # Relabelling the nodes relabels the output rows the same way: the layer ignores node order.
    rng = np.random.default_rng(1)
    ei, x = _two_cliques(), rng.normal(size=(8, 3))
    W, b = rng.normal(size=(3, 2)), rng.normal(size=2)
    perm = rng.permutation(8)
    inv = np.argsort(perm)  # old index -> new index
    out, _ = gcn_conv_forward(x, ei, W, b)
    out_p, _ = gcn_conv_forward(x[perm], inv[ei], W, b)
    assert_close(out_p, out[perm], rtol=1e-12, what="permuted output")


def check_spectrum_and_oversmoothing():
    # Eigenvalues of D^-1/2 (A+I) D^-1/2 lie in (-1, 1], with 1 once per connected component, so
    # repeated propagation drives every feature towards sqrt(degree): all nodes look alike.
    ei = _two_cliques()
    A = np.zeros((8, 8))
    A[ei[0], ei[1]] = 1.0
    A_hat = normalized_adjacency(A)
    lam = np.linalg.eigvalsh(A_hat)
    assert lam.min() > -1 and abs(lam.max() - 1) < 1e-12 and np.sum(np.abs(lam - 1) < 1e-9) == 1
    x = np.random.default_rng(2).normal(size=8)
    h = np.linalg.matrix_power(A_hat, 200) @ x
    s = np.sqrt(A.sum(axis=1) + 1)
    assert_close(h / np.linalg.norm(h), np.sign(h @ s) * s / np.linalg.norm(s), rtol=1e-6, what="oversmoothed")


def check_isolated_node_without_self_loops_gives_zeros_not_nan():
    ei = np.array([[0, 1], [1, 0]])  # node 2 has no edges
    out, _ = gcn_conv_forward(np.ones((3, 2)), ei, np.eye(2), np.zeros(2), add_self_loops=False)
    assert np.all(np.isfinite(out)) and np.all(out[2] == 0.0)
    out, _ = gcn_conv_forward(np.ones((3, 2)), ei, np.eye(2), np.zeros(2))  # with self-loops: keeps itself
    assert_close(out[2], [1.0, 1.0], rtol=1e-12)


def check_backward_gradient():
    rng = np.random.default_rng(3)
    ei = _undirected([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (4, 3)])
    x, W, b = rng.normal(size=(5, 3)), rng.normal(size=(3, 2)), rng.normal(size=2)
    out, cache = gcn_conv_forward(x, ei, W, b)
    dout = rng.normal(size=out.shape)
    dx, dW, db = gcn_conv_backward(dout, cache)
    assert_gradient_close(dx, numerical_gradient_array(lambda z: gcn_conv_forward(z, ei, W, b)[0], x, dout), tol=1e-7)
    assert_gradient_close(dW, numerical_gradient_array(lambda z: gcn_conv_forward(x, ei, z, b)[0], W, dout), tol=1e-7)
    assert_gradient_close(db, numerical_gradient_array(lambda z: gcn_conv_forward(x, ei, W, z)[0], b, dout), tol=1e-7)


def check_two_layer_loss_gradient():
    rng = np.random.default_rng(4)
    ei, x = _two_cliques(), rng.normal(size=(8, 3))
    labels, mask = np.array([0, 0, 0, 0, 1, 1, 1, 1]), np.array([1, 0, 1, 0, 0, 1, 0, 0], dtype=bool)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(size=4) * 0.1, "W2": rng.normal(size=(4, 2)), "b2": np.zeros(2)}
    _, grads, _ = gcn_two_layer_loss(params, x, ei, labels, mask)
    for k in params:
        f = lambda v, k=k: gcn_two_layer_loss({**params, k: v}, x, ei, labels, mask)[0]
        assert_gradient_close(grads[k], numerical_gradient(f, params[k].copy()), tol=1e-6, what=k)


def check_two_labels_classify_every_node():
    ei, x = _two_cliques(), np.eye(8)
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    mask = np.zeros(8, dtype=bool)
    mask[[0, 7]] = True
    params, losses = train_gcn(x, ei, labels, mask, hidden=4, rng=np.random.default_rng(5))
    assert losses[-1] < 0.05 * losses[0]
    _, _, logits = gcn_two_layer_loss(params, x, ei, labels, mask)
    assert np.all(logits.argmax(axis=1) == labels)


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    ei = _two_cliques()
    A = np.zeros((8, 8))
    A[ei[0], ei[1]] = 1.0
    print("two 4-cliques {0,1,2,3} and {4,5,6,7} joined by the edge 3-4; degrees", A.sum(axis=1).astype(int))
    print("normalised adjacency D^-1/2 (A + I) D^-1/2, rows 0 and 3:")
    print(normalized_adjacency(A)[[0, 3]])
    x = np.eye(8)
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    mask = np.zeros(8, dtype=bool)
    mask[[0, 7]] = True
    params, losses = train_gcn(x, ei, labels, mask, hidden=4, rng=np.random.default_rng(5))
    _, _, logits = gcn_two_layer_loss(params, x, ei, labels, mask)
    print(f"2-layer GCN, one-hot features, labels seen only for nodes 0 and 7: loss {losses[0]:.3f} -> {losses[-1]:.4f}")
    print("predicted classes of all 8 nodes:", logits.argmax(axis=1))
    h = np.arange(8.0)
    for k in (1, 2, 5, 50):
        print(f"feature 0..7 after {k:>2} propagations:", np.linalg.matrix_power(normalized_adjacency(A), k) @ h)
