"""t-SNE: embed points in 2-D so that neighbours stay neighbours.

High-dimensional similarities ``p_ij`` come from Gaussians whose widths are set
per point to reach a target *perplexity*; low-dimensional similarities ``q_ij``
come from a Student-t kernel ``(1 + ||y_i - y_j||^2)^-1``; the embedding
minimises ``KL(P || Q)`` by gradient descent with momentum and per-coordinate gains.

Conventions follow ``sklearn.manifold.TSNE(method="exact")``: squared Euclidean
input distances; a binary search on the Gaussian precision per point until the
entropy of row i of P equals ``log(perplexity)`` (natural log); ``P = (P + P^T)
/ sum``; ``early_exaggeration=12`` for the first 250 iterations with momentum
0.5, then momentum 0.8; ``learning_rate="auto" = max(N / 12 / 4, 50)``; gains
+0.2 / x0.8 with ``min_gain=0.01``; ``init="pca"`` scaled so the first
coordinate has standard deviation 1e-4; probabilities floored at machine
epsilon. Two simplifications: a fixed number of iterations (no
``min_grad_norm`` or ``n_iter_without_progress`` stopping), and exact O(N^2)
gradients (scikit-learn's default is the Barnes-Hut approximation).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.k_nearest_neighbors import pairwise_sq_dists
from snippets.principal_component_analysis import pca_fit, pca_transform

EPS = np.finfo(np.float64).eps


def conditional_probabilities(D2, perplexity, tol=1e-5, max_steps=100):
    """Rows ``p_{j|i}`` with the Gaussian precision of each row found by binary search.

    scikit-learn's ``sklearn.manifold._utils._binary_search_perplexity``.

    Parameters
    ----------
    D2 : ndarray of shape (N, N)
        Squared distances.
    perplexity : float
        Target ``exp(entropy)`` of every row, ``1 < perplexity < N``.
    tol : float
        Tolerance on the entropy (nats).
    max_steps : int

    Returns
    -------
    P : ndarray of shape (N, N)
        Row-stochastic, zero diagonal.
    beta : ndarray of shape (N,)
        Precisions ``1 / (2 sigma_i^2)``.
    """
    n = D2.shape[0]
    if not 1 < perplexity < n:
        raise ValueError(f"perplexity must be in (1, N) = (1, {n})")
    target = np.log(perplexity)
    P = np.zeros((n, n))
    betas = np.ones(n)
    for i in range(n):
        d = np.delete(D2[i], i)
        d = d - d.min()  # shifting a row leaves p_{j|i} unchanged and avoids underflow
        lo, hi, beta = 0.0, np.inf, 1.0
        for _ in range(max_steps):
            p = np.exp(-d * beta)
            s = p.sum()
            p /= s
            entropy = np.log(s) + beta * np.sum(d * p)
            if abs(entropy - target) < tol:
                break
            if entropy > target:  # too flat: raise the precision
                lo = beta
                beta = beta * 2 if hi == np.inf else (beta + hi) / 2
            else:
                hi = beta
                beta = (beta + lo) / 2
        P[i, np.arange(n) != i] = p
        betas[i] = beta
    return P, betas


def joint_probabilities(X, perplexity=30.0):
    """Symmetric ``P`` of t-SNE: ``(p_{j|i} + p_{i|j}) / (2N)``.

    scikit-learn's ``sklearn.manifold._t_sne._joint_probabilities`` (returned there in condensed form).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    perplexity : float

    Returns
    -------
    P : ndarray of shape (N, N)
        Symmetric, sums to 1, zero diagonal, off-diagonal entries at least machine epsilon.
    """
    Pc, _ = conditional_probabilities(np.maximum(pairwise_sq_dists(X, X), 0.0), perplexity)
    P = Pc + Pc.T
    P = np.maximum(P / P.sum(), EPS)
    np.fill_diagonal(P, 0.0)
    return P


def kl_forward(Y, P):
    """t-SNE cost ``KL(P || Q)`` with Student-t similarities in the embedding.

    The cost of scikit-learn's ``sklearn.manifold._t_sne._kl_divergence`` (``method="exact"``).

    Parameters
    ----------
    Y : ndarray of shape (N, 2)
        Embedding.
    P : ndarray of shape (N, N)
        Joint input probabilities.

    Returns
    -------
    kl : float
    cache : tuple
    """
    W = 1.0 / (1.0 + np.maximum(pairwise_sq_dists(Y, Y), 0.0))
    np.fill_diagonal(W, 0.0)
    Q = np.maximum(W / W.sum(), EPS)
    off = ~np.eye(len(Y), dtype=bool)
    kl = float(np.sum(P[off] * np.log(np.maximum(P[off], EPS) / Q[off])))
    return kl, (Y, P, Q, W)


def kl_backward(dout, cache):
    """Gradient ``dC/dy_i = 4 sum_j (p_ij - q_ij) (y_i - y_j) / (1 + ||y_i - y_j||^2)``.

    The gradient of scikit-learn's ``sklearn.manifold._t_sne._kl_divergence``.

    Parameters
    ----------
    dout : float
    cache : tuple

    Returns
    -------
    dY : ndarray of shape (N, 2)
    """
    Y, P, Q, W = cache
    M = (P - Q) * W
    np.fill_diagonal(M, 0.0)
    return dout * 4.0 * (M.sum(axis=1, keepdims=True) * Y - M @ Y)


def tsne(X, perplexity=30.0, max_iter=1000, early_exaggeration=12.0, seed=0, history_every=50):
    """Embed X in 2-D, like ``TSNE(perplexity, max_iter, init="pca", method="exact")``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    perplexity : float
    max_iter : int
        Total iterations, at least 250 (the exaggeration phase).
    early_exaggeration : float
    seed : int
        Unused with PCA initialisation; kept for the signature of ``random_state``.
    history_every : int

    Returns
    -------
    Y : ndarray of shape (N, 2)
    history : list of (int, float)
        ``(iteration, KL)`` every ``history_every`` iterations, KL with the true P.
    """
    if max_iter < 250:
        raise ValueError("max_iter must be at least 250")
    n = X.shape[0]
    P = joint_probabilities(X, perplexity)
    mean, comps, *_ = pca_fit(X, 2)
    Y = pca_transform(X, mean, comps)
    Y = Y / np.std(Y[:, 0]) * 1e-4
    lr = max(n / early_exaggeration / 4.0, 50.0)
    history = []
    for start, stop, exag, momentum in ((0, 250, early_exaggeration, 0.5), (250, max_iter, 1.0, 0.8)):
        update, gains = np.zeros_like(Y), np.ones_like(Y)
        for it in range(start, stop):
            _, cache = kl_forward(Y, P * exag)
            grad = kl_backward(1.0, cache)
            inc = update * grad < 0.0
            gains = np.where(inc, gains + 0.2, gains * 0.8)
            gains = np.maximum(gains, 0.01)
            update = momentum * update - lr * gains * grad
            Y = Y + update
            if (it + 1) % history_every == 0:
                history.append((it + 1, kl_forward(Y, P)[0]))
    if not np.all(np.isfinite(Y)):
        raise ValueError("t-SNE diverged; lower the learning rate")
    return Y, history


def make_clusters(seed=0, n_per=40, d=10, gap=6.0):
    """Three Gaussian clusters in 10-D; two of them close together, one far away.

    ``sklearn.datasets.make_blobs``-like data with chosen centres.

    Parameters
    ----------
    seed : int
    n_per : int
    d : int
    gap : float
        Distance between the centres of clusters 0 and 1 (cluster 2 is 20 away).

    Returns
    -------
    X : ndarray of shape (3 * n_per, d)
    y : ndarray of shape (3 * n_per,)
    """
    rng = np.random.default_rng(seed)
    centres = np.zeros((3, d))
    centres[1, 0] = gap  # near cluster 0
    centres[2, 1] = 20.0  # far from both
    X = np.concatenate([c + rng.normal(size=(n_per, d)) for c in centres])
    return X, np.repeat(np.arange(3), n_per)


def nn_accuracy(Z, y):
    """Fraction of points whose nearest other point has the same label.

    The leave-one-out accuracy of ``KNeighborsClassifier(n_neighbors=1)``.

    Parameters
    ----------
    Z : ndarray of shape (N, K)
    y : ndarray of shape (N,)

    Returns
    -------
    acc : float
    """
    D = pairwise_sq_dists(Z, Z)
    np.fill_diagonal(D, np.inf)
    return float(np.mean(y[np.argmin(D, axis=1)] == y))


# ---------------------------------------------------------------- checks


def check_binary_search_hits_the_perplexity():
    X, _ = make_clusters(1, n_per=15)
    Pc, beta = conditional_probabilities(pairwise_sq_dists(X, X), 10.0)
    H = -np.sum(np.where(Pc > 0, Pc * np.log(np.where(Pc > 0, Pc, 1.0)), 0.0), axis=1)
    assert_close(np.exp(H), np.full(len(X), 10.0), rtol=1e-4, what="perplexity of each row")
    assert_close(Pc.sum(axis=1), np.ones(len(X)), rtol=1e-12)
    assert np.all(beta > 0)


def check_joint_probabilities_are_a_symmetric_distribution():
    X, _ = make_clusters(2, n_per=10)
    P = joint_probabilities(X, 8.0)
    assert_close(P, P.T, rtol=0, atol=1e-18)
    assert_close(P.sum(), 1.0, rtol=1e-12)
    assert np.all(np.diag(P) == 0) and np.all(P[~np.eye(30, dtype=bool)] >= EPS)


def check_kl_gradient_matches_numerical():
    # tolerance: relative error 1e-6 (float64, centred difference, h = 1e-5)
    rng = np.random.default_rng(3)
    X, _ = make_clusters(3, n_per=5)
    P = joint_probabilities(X, 5.0)
    Y = rng.normal(size=(15, 2))
    dY = kl_backward(1.0, kl_forward(Y, P)[1])
    assert_gradient_close(dY, numerical_gradient(lambda y: kl_forward(y, P)[0], Y.copy()), tol=1e-6)
    assert_close(dY.sum(axis=0), np.zeros(2), rtol=0, atol=1e-12, what="forces sum to zero")


def check_cost_is_invariant_to_rigid_motions():
    rng = np.random.default_rng(4)
    X, _ = make_clusters(4, n_per=5)
    P = joint_probabilities(X, 5.0)
    Y = rng.normal(size=(15, 2))
    c, s = np.cos(0.7), np.sin(0.7)
    moved = Y @ np.array([[c, -s], [s, c]]) + [3.0, -2.0]
    assert_close(kl_forward(moved, P)[0], kl_forward(Y, P)[0], rtol=1e-10)
    assert kl_forward(Y, P)[0] > 0


def check_embedding_keeps_clusters_apart():
    X, y = make_clusters(5, n_per=20)
    Y, hist = tsne(X, perplexity=10.0, max_iter=300, history_every=25)
    assert nn_accuracy(Y, y) == 1.0
    assert hist[-1][1] < hist[len(hist) // 2][1]  # KL still falling in the last phase


def check_extremes():
    X = np.zeros((6, 3))  # all points identical: every row of P is uniform, no nan
    P = joint_probabilities(X, 3.0)
    assert np.all(np.isfinite(P)) and np.allclose(P[~np.eye(6, dtype=bool)], 1 / 30)
    try:
        joint_probabilities(X, 6.0)
    except ValueError:
        pass
    else:
        raise AssertionError("perplexity >= N must raise")


def plot_embedding(Y, y, Z_pca):
    """Figure: PCA projection next to the t-SNE embedding (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8.8, 3.8))
    for ax, Z, title in ((axes[0], Z_pca, "PCA, 2 components"), (axes[1], Y, "t-SNE, perplexity 20")):
        for k, c in enumerate(("tab:blue", "tab:orange", "tab:green")):
            ax.scatter(Z[y == k, 0], Z[y == k, 1], s=10, color=c, label=f"cluster {k}")
        ax.set_title(title)
    axes[0].legend(fontsize=8)
    fig.set_label(
        "Three Gaussian clusters in 10 dimensions, 30 points each. Left, PCA: the far cluster lies "
        "well to the right of the two near ones. Right, t-SNE: three compact, well-separated islands; "
        "the far cluster is still the farthest, but relatively closer than in the data (its centre about 2.7 "
        "times as far as the near pair's, against 3.3 in 10-D), so the gaps between clusters are not "
        "to scale"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = make_clusters(0, n_per=30)
    _, beta = conditional_probabilities(pairwise_sq_dists(X, X), 20.0)
    sigma = np.sqrt(1.0 / (2 * beta))
    print(f"90 points in 10-D, perplexity 20: Gaussian widths sigma_i from {sigma.min():.4f} to {sigma.max():.4f}")
    print(f"learning_rate='auto' = max(90 / 12 / 4, 50) = {max(90 / 12 / 4, 50.0)}")
    # The optimisation is chaotic (momentum, sign-based gains, a step of 50 for only 90 points): a change in the
    # last bit of the input moves these numbers by several per cent, so they are printed with few digits.
    Y, hist = tsne(X, perplexity=20.0, max_iter=500, history_every=10)
    kl_exag = np.mean([kl for it, kl in hist if 50 <= it <= 250])
    print(f"iterations 50-250 (P exaggerated x12): mean KL(P||Q) = {kl_exag:.1f}")
    print(f"iteration 500: KL(P||Q) = {dict(hist)[500]:.2f}")
    mean, comps, *_ = pca_fit(X, 2)
    Z = pca_transform(X, mean, comps)
    print(f"nearest-neighbour label agreement: 10-D {nn_accuracy(X, y):.2f}, PCA {nn_accuracy(Z, y):.2f}, t-SNE {nn_accuracy(Y, y):.2f}")
    for name, W in (("10-D ", X), ("t-SNE", Y)):
        c = np.array([W[y == k].mean(axis=0) for k in range(3)])
        d01, d02 = np.linalg.norm(c[0] - c[1]), np.linalg.norm(c[0] - c[2])
        print(f"{name}: centre distance 0-2 / 0-1 = {d02 / d01:.1f}")
    plot_embedding(Y, y, Z)
