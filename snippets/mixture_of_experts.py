"""A sparse mixture-of-experts (MoE) layer with top-k routing, forward and backward.

Each token ``x`` (a row of shape (D,)) is scored by a linear router, ``logits = x @ W_g`` (one logit
per expert). The ``k`` best experts are kept and their gates are the softmax of their logits,

    y = sum_{e in topk(x)} g_e(x) * expert_e(x),    g(x) = softmax(logits restricted to topk(x)),

which equals "softmax over all experts, keep the top k, renormalise". This is the routing of
Mixtral's sparse MoE block (``MixtralSparseMoeBlock`` in Hugging Face transformers: softmax, ``topk``,
divide by the sum of the kept weights) and, with ``k = 1`` and no renormalisation, of the Switch
Transformer. Each expert is a two-layer ReLU MLP, ``relu(x @ W1[e] + b1[e]) @ W2[e] + b2[e]``; only
the chosen experts run on a token. :func:`load_balancing_loss` is the Switch Transformer's auxiliary
loss ``E * sum_e f_e P_e``. The top-k choice itself is piecewise constant, so gradients flow through
the kept gates and the experts, not through which experts were chosen.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.softmax import softmax

__all__ = [
    "top_k_gates",
    "init_moe",
    "moe_forward",
    "moe_backward",
    "load_balancing_loss",
    "moe_param_counts",
]


def top_k_gates(logits, k):
    """Sparse gate matrix: softmax over each row's ``k`` largest logits, zero elsewhere.

    Ties are broken towards the lower expert index (stable sort), as ``torch.topk`` usually does.

    Parameters
    ----------
    logits : ndarray of shape (N, E)
    k : int
        Experts per token, ``1 <= k <= E``.

    Returns
    -------
    gates : ndarray of shape (N, E)
        Non-negative, each row sums to one, exactly ``k`` non-zeros per row (fewer only on underflow).
    topk : ndarray of int, shape (N, k)
        Chosen expert indices, best first.
    """
    N, E = logits.shape
    if not 1 <= k <= E:
        raise ValueError(f"k must be in [1, {E}], got {k}")
    topk = np.argsort(-logits, axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(logits, topk, axis=1)
    gates = np.zeros_like(logits, dtype=np.float64)
    np.put_along_axis(gates, topk, softmax(chosen, axis=-1), axis=1)
    return gates, topk


def init_moe(D, H, E, rng):
    """Random router and expert weights (He-scaled experts, small router).

    The parameters of transformers' ``MixtralSparseMoeBlock``: a router ``nn.Linear(D, E, bias=False)``
    and ``E`` expert MLPs (two-layer ReLU MLPs with biases here; Mixtral's experts are SwiGLU).

    Parameters
    ----------
    D, H, E : int
        Model width, expert hidden width, number of experts.
    rng : numpy.random.Generator

    Returns
    -------
    params : dict
        ``W_g`` (D, E), ``W1`` (E, D, H), ``b1`` (E, H), ``W2`` (E, H, D), ``b2`` (E, D).
    """
    return {
        "W_g": rng.normal(0, 1 / np.sqrt(D), size=(D, E)),
        "W1": rng.normal(0, np.sqrt(2 / D), size=(E, D, H)),
        "b1": np.zeros((E, H)),
        "W2": rng.normal(0, np.sqrt(1 / H), size=(E, H, D)),
        "b2": np.zeros((E, D)),
    }


def moe_forward(params, x, k):
    """Route every token to its top-``k`` experts and mix their outputs by the gates.

    The computation of transformers' ``MixtralSparseMoeBlock.forward`` (with ReLU MLP experts).

    Parameters
    ----------
    params : dict
        As returned by :func:`init_moe`.
    x : ndarray of shape (N, D)
        Tokens (flatten batch and sequence axes first).
    k : int

    Returns
    -------
    y : ndarray of shape (N, D)
    cache : dict
        Router logits, gates, top-k indices and per-expert activations for :func:`moe_backward`.
    """
    logits = x @ params["W_g"]
    gates, topk = top_k_gates(logits, k)
    y = np.zeros_like(x, dtype=np.float64)
    per_expert = {}
    for e in range(params["W1"].shape[0]):
        idx = np.flatnonzero(np.any(topk == e, axis=1))  # tokens dispatched to expert e
        if idx.size == 0:
            continue
        z = x[idx] @ params["W1"][e] + params["b1"][e]
        h = np.maximum(z, 0.0)
        out = h @ params["W2"][e] + params["b2"][e]
        y[idx] += gates[idx, e, None] * out
        per_expert[e] = (idx, z, h, out)
    return y, {"x": x, "logits": logits, "gates": gates, "topk": topk, "per_expert": per_expert, "params": params}


def moe_backward(dy, cache):
    """Backward pass of :func:`moe_forward` (the top-k choice is held fixed).

    What autograd computes for the sparse MoE block (``torch.topk`` indices carry no gradient).

    Parameters
    ----------
    dy : ndarray of shape (N, D)
    cache : dict

    Returns
    -------
    grads : dict
        ``x`` (N, D) and every parameter, same shapes as ``params``.
    """
    p, x, gates = cache["params"], cache["x"], cache["gates"]
    grads = {name: np.zeros_like(v) for name, v in p.items()}
    dx = np.zeros_like(x, dtype=np.float64)
    dgates = np.zeros_like(gates)
    for e, (idx, z, h, out) in cache["per_expert"].items():
        g = gates[idx, e, None]
        dgates[idx, e] = np.sum(dy[idx] * out, axis=1)
        dout = g * dy[idx]
        grads["W2"][e] = h.T @ dout
        grads["b2"][e] = dout.sum(axis=0)
        dz = (dout @ p["W2"][e].T) * (z > 0)
        grads["W1"][e] = x[idx].T @ dz
        grads["b1"][e] = dz.sum(axis=0)
        dx[idx] += dz @ p["W1"][e].T
    # Softmax over the kept logits: dlogit_j = g_j (dg_j - sum_i g_i dg_i) for j in topk, 0 elsewhere.
    mask = gates > 0
    dlogits = gates * (dgates - np.sum(gates * dgates, axis=1, keepdims=True)) * mask
    grads["W_g"] = x.T @ dlogits
    grads["x"] = dx + dlogits @ p["W_g"].T
    return grads


def load_balancing_loss(logits, k=1):
    """Switch Transformer auxiliary loss ``E * sum_e f_e P_e``.

    transformers' ``load_balancing_loss_func`` (Mixtral, Qwen-MoE; without the coefficient
    ``router_aux_loss_coef``) divided by ``k``: transformers counts each of the ``k`` routing slots as a
    distribution of its own, so its value is ``k`` times this one (``k``, not 1, for uniform routing).
    With ``k = 1`` the two agree.

    ``f_e`` is the fraction of routing assignments that go to expert ``e`` (top-``k`` choices, counted
    over all N k assignments) and ``P_e`` the mean router probability ``softmax(logits)[:, e]``. It is 1
    when routing is perfectly uniform. Since ``f_e <= 1/k``, it is at most ``E / k``, reached when every
    token picks the same ``k`` experts with all the probability on them (``E`` for top-1). Only ``P``
    carries a gradient; ``f`` is a count.

    Parameters
    ----------
    logits : ndarray of shape (N, E)
    k : int

    Returns
    -------
    float
    """
    N, E = logits.shape
    _, topk = top_k_gates(logits, k)
    f = np.bincount(topk.ravel(), minlength=E) / (N * k)
    P = softmax(logits, axis=-1).mean(axis=0)
    return float(E * np.sum(f * P))


def moe_param_counts(D, H, E, k):
    """Total parameters and parameters used per token.

    What ``sum(p.numel() for p in model.parameters())`` reports, in total and for the active experts.

    Parameters
    ----------
    D, H, E, k : int

    Returns
    -------
    total, active : int
        ``D E + E (2 D H + H + D)`` and ``D E + k (2 D H + H + D)``.
    """
    expert = 2 * D * H + H + D
    return D * E + E * expert, D * E + k * expert


# ---------------------------------------------------------------- checks


def _dense_mixture(params, x):
    """Every expert on every token, mixed by the full softmax of the router."""
    g = softmax(x @ params["W_g"], axis=-1)
    outs = np.stack(
        [np.maximum(x @ params["W1"][e] + params["b1"][e], 0) @ params["W2"][e] + params["b2"][e] for e in range(params["W1"].shape[0])],
        axis=1,
    )
    return np.sum(g[:, :, None] * outs, axis=1)


def check_top_k_gates_equal_renormalised_softmax():
    logits = np.random.default_rng(0).normal(size=(6, 5))
    for k in (1, 2, 3, 5):
        gates, topk = top_k_gates(logits, k)
        full = softmax(logits, axis=-1)
        kept = np.zeros_like(full)
        np.put_along_axis(kept, topk, np.take_along_axis(full, topk, axis=1), axis=1)
        assert_close(gates, kept / kept.sum(axis=1, keepdims=True), rtol=1e-12, what=f"k={k}")
        assert np.all(np.count_nonzero(gates, axis=1) == k)
        assert np.all(np.take_along_axis(logits, topk[:, :1], axis=1)[:, 0] == logits.max(axis=1))


def check_k_equal_to_e_is_the_dense_softmax_mixture():
    rng = np.random.default_rng(1)
    params, x = init_moe(4, 6, 3, rng), rng.normal(size=(5, 4))
    y, _ = moe_forward(params, x, k=3)
    assert_close(y, _dense_mixture(params, x), rtol=1e-12, what="k = E")


def check_sparse_layer_matches_a_per_token_loop():
    rng = np.random.default_rng(2)
    params, x = init_moe(4, 6, 5, rng), rng.normal(size=(7, 4))
    y, cache = moe_forward(params, x, k=2)
    for n in range(7):
        ref = np.zeros(4)
        for e in cache["topk"][n]:
            out = np.maximum(x[n] @ params["W1"][e] + params["b1"][e], 0) @ params["W2"][e] + params["b2"][e]
            ref += cache["gates"][n, e] * out
        assert_close(y[n], ref, rtol=1e-12, what=f"token {n}")


def check_backward_gradient():
    rng = np.random.default_rng(3)
    params, x = init_moe(3, 4, 4, rng), rng.normal(size=(6, 3))
    params["b1"] = rng.normal(scale=0.1, size=params["b1"].shape)
    _, cache = moe_forward(params, x, k=2)
    logits = np.sort(cache["logits"], axis=1)
    assert np.min(np.diff(logits, axis=1)) > 1e-3  # no near-ties: the routing stays put under h = 1e-5
    dy = rng.normal(size=(6, 3))
    grads = moe_backward(dy, cache)
    loss = lambda p, xx: float(np.sum(moe_forward(p, xx, 2)[0] * dy))
    assert_gradient_close(grads["x"], numerical_gradient(lambda v: loss(params, v), x.copy()), tol=1e-6, what="dx")
    for name in params:
        num = numerical_gradient(lambda v, name=name: loss({**params, name: v}, x), params[name].copy())
        assert_gradient_close(grads[name], num, tol=1e-6, what=name)


def check_load_balancing_loss_bounds():
    E, N = 4, 8
    balanced = np.tile(np.eye(E) * 5.0, (N // E, 1))  # each expert gets N / E tokens
    collapsed = np.tile([1000.0, 0.0, 0.0, 0.0], (N, 1))  # every token to expert 0, probability ~1
    assert_close(load_balancing_loss(np.zeros((N, E))), 1.0, rtol=1e-12, what="uniform router")
    assert_close(load_balancing_loss(balanced), 1.0, rtol=1e-12, what="balanced routing")
    assert_close(load_balancing_loss(collapsed), float(E), rtol=1e-12, what="collapsed routing")
    # Top-2 cannot send a token to one expert twice: the worst case is the same two experts for all, E / k.
    collapsed2 = np.tile([1000.0, 1000.0, 0.0, 0.0], (N, 1))
    assert_close(load_balancing_loss(collapsed2, k=2), E / 2, rtol=1e-12, what="collapsed top-2 routing")


def check_extremes():
    rng = np.random.default_rng(4)
    params = init_moe(3, 4, 4, rng)
    params["W_g"] *= 1e4  # huge router logits: gates must stay finite (a one-hot choice)
    y, cache = moe_forward(params, rng.normal(size=(1, 3)), k=2)  # a batch of one
    assert np.all(np.isfinite(y)) and np.all(np.isfinite(cache["gates"]))
    gates, _ = top_k_gates(np.zeros((2, 4)), 2)  # ties: lowest indices, equal gates
    assert_close(gates, [[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0]], rtol=0, atol=0)
    try:
        top_k_gates(np.zeros((2, 4)), 5)
    except ValueError:
        pass
    else:
        raise AssertionError("k > E must be rejected")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    D, H, E, k = 4, 8, 4, 2
    params, x = init_moe(D, H, E, rng), rng.normal(size=(8, D))
    y, cache = moe_forward(params, x, k)
    print(f"{E} experts, top-{k} routing, 8 tokens of width {D}")
    print("router logits of token 0:", cache["logits"][0])
    print("gates of token 0:        ", cache["gates"][0], " (softmax over its 2 best logits)")
    print("experts chosen per token:", cache["topk"].tolist())
    print("tokens per expert:       ", np.bincount(cache["topk"].ravel(), minlength=E))
    print(f"load-balancing loss: {load_balancing_loss(cache['logits'], k):.3f} (1 = balanced, at most E/k = {E // k})")
    total, active = moe_param_counts(D, H, E, k)
    print(f"parameters: {total} in total, {active} used per token")
