"""Multi-head attention with PyTorch's parameter layout, masks and returned weights.

``mha_forward`` computes what ``torch.nn.MultiheadAttention(E, H, batch_first=True)`` computes:

    q = query @ W_q.T + b_q,  k = key @ W_k.T + b_k,  v = value @ W_v.T + b_v   (PyTorch layout:
    weights are (out, in); ``in_proj_weight`` is ``concatenate([W_q, W_k, W_v])``, shape (3E, E))
    head h: softmax(q_h k_h^T / sqrt(E/H) + mask) v_h   on its own E/H-wide slice
    out = concat(heads) @ W_o.T + b_o                  (``out_proj``)

Masks follow ``nn.MultiheadAttention``: ``key_padding_mask`` (N, Tk) and a boolean ``attn_mask``
(Tq, Tk) are True where attention is NOT allowed (the opposite of
``F.scaled_dot_product_attention``'s boolean mask, used by :mod:`snippets.attention`). The
returned weights are averaged over heads (``average_attn_weights=True``). A query whose keys are
all masked gets zero weights here, so every head contributes zeros and its output is ``b_o``.
``F.scaled_dot_product_attention`` also returns zeros for such rows since PyTorch 2.5 (so does
``nn.MultiheadAttention(need_weights=False)``, which calls it), while ``nn.MultiheadAttention``
with ``need_weights=True`` computes its own softmax and returns NaN.

With ``num_kv_heads < num_heads`` the keys and values have fewer heads, each shared by a group of
query heads: grouped-query attention (multi-query attention for one K/V head), as in
``F.scaled_dot_product_attention(..., enable_gqa=True)``, where query head h uses K/V head
``h // (H / H_kv)``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.attention import attention_backward, attention_forward, causal_mask
from snippets.transformer import merge_heads, multi_head_attention_forward, split_heads


def init_mha(E, num_heads, rng, num_kv_heads=None):
    """Xavier-uniform projections and zero biases.

    Close to, not exactly, PyTorch's initialisation: ``nn.MultiheadAttention`` applies
    ``xavier_uniform_`` to the packed (3E, E) ``in_proj_weight`` (a smaller range) and keeps
    ``nn.Linear``'s default for ``out_proj.weight``.

    Parameters
    ----------
    E : int
        Embedding size; ``num_heads`` must divide it.
    num_heads : int
    rng : numpy.random.Generator
    num_kv_heads : int, optional
        Number of key/value heads (default ``num_heads``); must divide ``num_heads``.

    Returns
    -------
    params : dict
        ``W_q`` (E, E), ``W_k`` and ``W_v`` (H_kv E / H, E), ``W_o`` (E, E), biases of matching
        sizes; all weights in PyTorch's (out, in) layout.
    """
    if E % num_heads:
        raise ValueError("num_heads must divide the embedding size")
    Hkv = num_kv_heads or num_heads
    if num_heads % Hkv:
        raise ValueError("num_kv_heads must divide num_heads")
    Ekv = Hkv * (E // num_heads)

    def xavier(out_dim, in_dim):
        a = np.sqrt(6.0 / (in_dim + out_dim))
        return rng.uniform(-a, a, size=(out_dim, in_dim))

    return {
        "W_q": xavier(E, E),
        "W_k": xavier(Ekv, E),
        "W_v": xavier(Ekv, E),
        "W_o": xavier(E, E),
        "b_q": np.zeros(E),
        "b_k": np.zeros(Ekv),
        "b_v": np.zeros(Ekv),
        "b_o": np.zeros(E),
    }


def _allowed(N, Tq, Tk, key_padding_mask, attn_mask):
    allowed = np.ones((N, 1, Tq, Tk), dtype=bool)
    if attn_mask is not None:
        allowed &= ~np.asarray(attn_mask, dtype=bool)[None, None]
    if key_padding_mask is not None:
        allowed &= ~np.asarray(key_padding_mask, dtype=bool)[:, None, None, :]
    return allowed


def mha_forward(query, key, value, params, num_heads, key_padding_mask=None, attn_mask=None):
    """Multi-head attention, forward pass.

    Parameters
    ----------
    query : ndarray of shape (N, Tq, E)
    key : ndarray of shape (N, Tk, E)
    value : ndarray of shape (N, Tk, E)
        Pass the same array three times for self-attention.
    params : dict
        From :func:`init_mha`; the number of K/V heads is read off ``W_k``.
    num_heads : int
    key_padding_mask : ndarray of bool, of shape (N, Tk), optional
        True marks padding keys to ignore.
    attn_mask : ndarray of bool, of shape (Tq, Tk), optional
        True marks forbidden (query, key) pairs, e.g. ``~causal_mask(T)``.

    Returns
    -------
    out : ndarray of shape (N, Tq, E)
    weights : ndarray of shape (N, Tq, Tk)
        Attention weights averaged over heads.
    cache : tuple
    """
    N, Tq, E = query.shape
    Tk = key.shape[1]
    Dh = E // num_heads
    Hkv = params["W_k"].shape[0] // Dh
    g = num_heads // Hkv
    q = split_heads(query @ params["W_q"].T + params["b_q"], num_heads)
    k = np.repeat(split_heads(key @ params["W_k"].T + params["b_k"], Hkv), g, axis=1)
    v = np.repeat(split_heads(value @ params["W_v"].T + params["b_v"], Hkv), g, axis=1)
    heads, att_cache = attention_forward(q, k, v, _allowed(N, Tq, Tk, key_padding_mask, attn_mask))
    merged = merge_heads(heads)
    out = merged @ params["W_o"].T + params["b_o"]
    return out, att_cache[3].mean(axis=1), (query, key, value, params, num_heads, Hkv, merged, att_cache)


def mha_backward(dout, cache):
    """Backward pass of :func:`mha_forward` (gradient of ``out``; the weights are not differentiated).

    Parameters
    ----------
    dout : ndarray of shape (N, Tq, E)
    cache : tuple

    Returns
    -------
    dquery : ndarray of shape (N, Tq, E)
    dkey, dvalue : ndarray of shape (N, Tk, E)
        For self-attention the gradient of the shared input is their sum.
    grads : dict
        Same keys and shapes as ``params``.
    """
    query, key, value, p, H, Hkv, merged, att_cache = cache
    N, Tk = key.shape[:2]
    g = H // Hkv
    grads = {"W_o": np.einsum("nte,ntf->ef", dout, merged), "b_o": dout.sum(axis=(0, 1))}
    dq_h, dk_h, dv_h = attention_backward(split_heads(dout @ p["W_o"], H), att_cache)
    # Each K/V head served g query heads (np.repeat), so its gradient is the sum over the group.
    dk_h = dk_h.reshape(N, Hkv, g, Tk, -1).sum(axis=2)
    dv_h = dv_h.reshape(N, Hkv, g, Tk, -1).sum(axis=2)
    dx = {}
    for c, x, dproj in (("q", query, merge_heads(dq_h)), ("k", key, merge_heads(dk_h)), ("v", value, merge_heads(dv_h))):
        grads[f"W_{c}"] = np.einsum("ntd,nte->de", dproj, x)
        grads[f"b_{c}"] = dproj.sum(axis=(0, 1))
        dx[c] = dproj @ p[f"W_{c}"]
    return dx["q"], dx["k"], dx["v"], grads


def kv_cache_floats(T, E, num_heads, num_kv_heads):
    """Floats a decoder must cache per layer and sequence to generate token T + 1: keys and values.

    Parameters
    ----------
    T, E, num_heads, num_kv_heads : int

    Returns
    -------
    int
        ``2 T H_kv E / H``.
    """
    return 2 * T * num_kv_heads * (E // num_heads)


def toy_heads(T=8):
    """Hand-set weights for two interpretable heads over one-hot position inputs (E = 2T, H = 2).

    Head 0 is a "previous token" head (query i matches key i - 1); head 1 attends to the first
    token. Values copy the input, and the output projection is the identity.

    Parameters
    ----------
    T : int

    Returns
    -------
    x : ndarray of shape (1, T, 2T)
        One-hot positions in the first T features.
    params : dict
    """
    E, Dh, c = 2 * T, T, 6.0 * np.sqrt(T)
    x = np.zeros((1, T, E))
    x[0, np.arange(T), np.arange(T)] = 1.0
    W_q, W_k = np.zeros((E, E)), np.zeros((E, E))
    W_q[:T, :T] = c * np.eye(T)  # head 0: query i -> c e_i
    W_k[1:T, : T - 1] = np.eye(T - 1)  # head 0: key j -> e_{j+1}
    W_q[Dh, :T] = c  # head 1: every query -> c u
    W_k[Dh, 0] = 1.0  # head 1: only key 0 -> u
    W_v = np.eye(E)
    return x, {
        "W_q": W_q,
        "W_k": W_k,
        "W_v": W_v,
        "W_o": np.eye(E),
        "b_q": np.zeros(E),
        "b_k": np.zeros(E),
        "b_v": np.zeros(E),
        "b_o": np.zeros(E),
    }


def plot_heads(per_head, averaged):
    """Heatmaps of each head's attention weights and of their average."""
    import matplotlib.pyplot as plt

    mats = list(per_head) + [averaged]
    titles = [f"head {h}" for h in range(len(per_head))] + ["average (need_weights)"]
    fig, axes = plt.subplots(1, len(mats), figsize=(3.2 * len(mats), 3.2))
    for ax, m, t in zip(axes, mats, titles):
        ax.imshow(m, cmap="Blues", vmin=0, vmax=1)
        ax.set_title(t)
        ax.set_xlabel("key position")
        ax.set_ylabel("query position")
    fig.tight_layout()
    fig.set_label(
        "Three 8 by 8 attention-weight heatmaps under a causal mask: head 0 puts its "
        "weight on the diagonal just below the main one (each token attends to the "
        "previous token), head 1 on the first column (every token attends to token 0), "
        "and their average, which PyTorch returns, blurs the two patterns together"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=2, Tq=3, Tk=4, E=6, H=3, Hkv=None):
    rng = np.random.default_rng(seed)
    q, k, v = rng.normal(size=(N, Tq, E)), rng.normal(size=(N, Tk, E)), rng.normal(size=(N, Tk, E))
    p = init_mha(E, H, rng, Hkv)
    p.update({b: rng.normal(scale=0.1, size=p[b].shape) for b in ("b_q", "b_k", "b_v", "b_o")})
    return q, k, v, p


def check_matches_the_transformer_snippet_for_self_attention():
    # Same computation as snippets.transformer, whose weights are stored (in, out): transpose.
    x, _, _, p = _problem(0, Tq=5, Tk=5)
    out, _, _ = mha_forward(x, x, x, p, 3, attn_mask=~causal_mask(5))
    p_t = {f"W_{c}": p[f"W_{c}"].T for c in "qkvo"} | {f"b_{c}": p[f"b_{c}"] for c in "qkvo"}
    ref, _ = multi_head_attention_forward(x, p_t, 3, causal_mask(5))
    assert_close(out, ref, rtol=1e-12)


def check_one_head_is_plain_projected_attention():
    q, k, v, p = _problem(1, H=1)
    out, w, _ = mha_forward(q, k, v, p, 1)
    Q, K, V = q @ p["W_q"].T + p["b_q"], k @ p["W_k"].T + p["b_k"], v @ p["W_v"].T + p["b_v"]
    s = Q @ K.transpose(0, 2, 1) / np.sqrt(6)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    assert_close(w, a, rtol=1e-12)
    assert_close(out, a @ V @ p["W_o"].T + p["b_o"], rtol=1e-12)


def check_weights_are_distributions_and_padding_is_ignored():
    q, k, v, p = _problem(2)
    pad = np.array([[False, False, False, True], [False, True, True, True]])
    out, w, _ = mha_forward(q, k, v, p, 3, key_padding_mask=pad)
    assert_close(w.sum(-1), np.ones((2, 3)), rtol=1e-12)
    assert np.all(w[pad[:, None, :].repeat(3, 1)] == 0.0)
    k2, v2 = k.copy(), v.copy()
    k2[pad], v2[pad] = 1e3, -1e3  # whatever the padding holds
    assert_close(mha_forward(q, k2, v2, p, 3, key_padding_mask=pad)[0], out, rtol=1e-12)


def check_grouped_query_attention_reduces_to_mha_and_mqa():
    q, k, v, p = _problem(3, E=8, H=4, Hkv=2)
    out, _, _ = mha_forward(q, k, v, p, 4)
    # Expanding the shared K/V projections to one copy per query head gives ordinary MHA.
    Dh = 2
    rows = np.concatenate([np.arange(h // 2 * Dh, h // 2 * Dh + Dh) for h in range(4)])
    p_full = dict(p, W_k=p["W_k"][rows], W_v=p["W_v"][rows], b_k=p["b_k"][rows], b_v=p["b_v"][rows])
    assert_close(mha_forward(q, k, v, p_full, 4)[0], out, rtol=1e-12, what="GQA as MHA")
    assert kv_cache_floats(1000, 8, 4, 2) * 2 == kv_cache_floats(1000, 8, 4, 4)
    assert kv_cache_floats(1000, 8, 4, 1) * 4 == kv_cache_floats(1000, 8, 4, 4)  # multi-query


def check_parameter_count_does_not_depend_on_the_number_of_heads():
    counts = {H: sum(a.size for a in init_mha(12, H, np.random.default_rng(0)).values()) for H in (1, 2, 3, 4, 6, 12)}
    assert set(counts.values()) == {4 * 12 * 12 + 4 * 12}


def check_backward_matches_numerical_gradient():
    # Centred differences in float64, relative error below 1e-7, for inputs and every parameter,
    # with grouped K/V heads, padding and a causal mask.
    q, k, v, p = _problem(4, Tq=4, Tk=4, E=8, H=4, Hkv=2)
    pad = np.array([[False, False, False, True], [False, False, False, False]])
    kw = dict(key_padding_mask=pad, attn_mask=~causal_mask(4))
    out, _, cache = mha_forward(q, k, v, p, 4, **kw)
    dout = np.random.default_rng(5).normal(size=out.shape)
    dq, dk, dv, grads = mha_backward(dout, cache)
    for name, arr, g in (("query", q, dq), ("key", k, dk), ("value", v, dv)):
        f = lambda z, name=name: mha_forward(*[z if n == name else a for n, a in (("query", q), ("key", k), ("value", v))], p, 4, **kw)[0]
        assert_gradient_close(g, numerical_gradient_array(f, arr, dout), tol=1e-7, what=name)
    for name in p:

        def loss(z, name=name):
            return np.sum(mha_forward(q, k, v, {**p, name: z}, 4, **kw)[0] * dout)

        num = numerical_gradient(loss, p[name].copy())
        if name == "b_k":  # exactly zero (see the next check): compare absolutely, not relatively
            assert_close(grads[name], num, rtol=0, atol=1e-9, what=name)
        else:
            assert_gradient_close(grads[name], num, tol=1e-7, what=name)


def check_key_bias_gets_no_gradient():
    # b_k adds q . b_k to every score of a query's row; softmax ignores a constant shift per row,
    # so the key bias cannot change anything and its gradient is exactly zero.
    q, k, v, p = _problem(7)
    out, _, cache = mha_forward(q, k, v, p, 3)
    out2, _, _ = mha_forward(q, k, v, {**p, "b_k": p["b_k"] + 5.0}, 3)
    assert_close(out2, out, rtol=1e-10)
    grads = mha_backward(np.ones_like(out), cache)[3]
    assert_close(grads["b_k"], np.zeros_like(p["b_k"]), rtol=0, atol=1e-12)


def check_huge_scores_and_fully_masked_rows_stay_finite():
    q, k, v, p = _problem(6, N=1)
    out, w, _ = mha_forward(1e6 * q, 1e6 * k, v, p, 3, key_padding_mask=np.array([[True] * 4]))
    assert np.all(np.isfinite(out)) and np.all(w == 0.0)
    # No key to read: every head outputs zeros, so only the output projection's bias remains.
    assert_close(out, np.broadcast_to(p["b_o"], out.shape), rtol=0, atol=1e-12, what="fully masked")
    out, w, _ = mha_forward(1e6 * q, 1e6 * k, v, p, 3)
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(w))


if __name__ == "__main__":
    np.set_printoptions(precision=2, suppress=True)
    x, params = toy_heads(8)
    mask = ~causal_mask(8)  # nn.MultiheadAttention convention: True = not allowed
    out, avg, cache = mha_forward(x, x, x, params, 2, attn_mask=mask)
    per_head = cache[7][3][0]
    print("head 0 weights, query 5:", per_head[0, 5], " -> previous token (4)")
    print("head 1 weights, query 5:", per_head[1, 5], " -> first token (0)")
    print("averaged (what need_weights returns), query 5:", avg[0, 5])
    E = 4096
    print(f"parameters of one layer with E = {E}: {4 * E * E + 4 * E:,} for any number of heads")
    for Hkv, name in ((32, "MHA, 32 K/V heads"), (8, "GQA, 8 K/V heads"), (1, "MQA, 1 K/V head")):
        print(f"KV cache for 8192 tokens, {name}: {kv_cache_floats(8192, E, 32, Hkv):,} floats per layer")
    plot_heads(per_head, avg[0])
