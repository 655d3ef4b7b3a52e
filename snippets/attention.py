"""Scaled dot-product attention: each query takes a softmax-weighted average of the values.

    out = softmax(q k^T / sqrt(d) + mask) v

Conventions follow ``torch.nn.functional.scaled_dot_product_attention``: inputs are batch-first,
any leading batch axes broadcast, the scale is ``1 / sqrt(d)``, and a boolean ``mask`` is True
where a query MAY attend to a key. (``torch.nn.MultiheadAttention`` uses the opposite meaning for
boolean masks: there True marks a position that is NOT allowed.) A query row whose keys are all
masked gets a zero output, as ``scaled_dot_product_attention`` gives since PyTorch 2.5 (older
versions gave NaN); its weights, which that function does not return, are set to zero here too,
whereas an explicit softmax over the row (``torch.softmax``) gives NaN, and
``nn.MultiheadAttention(..., need_weights=True)`` (the default) can still return NaN weights
and a NaN output there (PyTorch issue #160064; ``need_weights=False`` gives zeros).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array


def _masked_softmax(scores, mask):
    """Row-wise softmax over the last axis with masked entries set to exactly 0.

    Subtracting the row maximum keeps ``exp`` from overflowing; rows with no allowed entry
    are all zeros instead of 0/0.
    """
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    row_max = np.max(scores, axis=-1, keepdims=True)
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    e = np.exp(scores - row_max)
    total = np.sum(e, axis=-1, keepdims=True)
    return e / np.where(total > 0, total, 1.0)


def attention_forward(q, k, v, mask=None):
    """Scaled dot-product attention, forward pass.

    Parameters
    ----------
    q : ndarray of shape (N, Tq, d)
        Queries. Extra leading axes, e.g. (N, H, Tq, d) for H heads, are allowed.
    k : ndarray of shape (N, Tk, d)
        Keys.
    v : ndarray of shape (N, Tk, dv)
        Values, one per key.
    mask : ndarray of bool, broadcastable to (N, Tq, Tk), optional
        True where query i may attend to key j (PyTorch SDPA's boolean ``attn_mask``).

    Returns
    -------
    out : ndarray of shape (N, Tq, dv)
        ``weights @ v``.
    cache : tuple
        ``(q, k, v, weights)`` for :func:`attention_backward`; ``weights`` has shape (N, Tq, Tk)
        and each row sums to 1 (0 for a fully masked row).
    """
    d = q.shape[-1]
    scores = (q @ np.swapaxes(k, -1, -2)) / np.sqrt(d)
    weights = _masked_softmax(scores, mask)
    return weights @ v, (q, k, v, weights)


def attention_backward(dout, cache):
    """Scaled dot-product attention, backward pass.

    With ``S = q k^T / sqrt(d)``, ``W = softmax(S)`` and ``out = W v``:
    ``dv = W^T dout``, ``dW = dout v^T``, ``dS = W * (dW - rowsum(dW * W))`` (the softmax
    Jacobian; masked entries have ``W = 0`` and so get no gradient),
    ``dq = dS k / sqrt(d)`` and ``dk = dS^T q / sqrt(d)``.

    Parameters
    ----------
    dout : ndarray of shape (N, Tq, dv)
        Upstream gradient.
    cache : tuple
        From :func:`attention_forward`.

    Returns
    -------
    dq : ndarray of shape (N, Tq, d)
    dk : ndarray of shape (N, Tk, d)
    dv : ndarray of shape (N, Tk, dv)
    """
    q, k, v, w = cache
    d = q.shape[-1]
    dv = np.swapaxes(w, -1, -2) @ dout
    dw = dout @ np.swapaxes(v, -1, -2)
    ds = w * (dw - np.sum(dw * w, axis=-1, keepdims=True)) / np.sqrt(d)
    dq = ds @ k
    dk = np.swapaxes(ds, -1, -2) @ q
    return dq, dk, dv


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention output and weights (no cache), e.g. for inspecting what attends to what.

    Parameters
    ----------
    q : ndarray of shape (N, Tq, d)
    k : ndarray of shape (N, Tk, d)
    v : ndarray of shape (N, Tk, dv)
    mask : ndarray of bool, broadcastable to (N, Tq, Tk), optional
        True = may attend.

    Returns
    -------
    out : ndarray of shape (N, Tq, dv)
    weights : ndarray of shape (N, Tq, Tk)
    """
    out, cache = attention_forward(q, k, v, mask)
    return out, cache[3]


def causal_mask(T):
    """Lower-triangular boolean mask: position i may attend to positions j <= i.

    Parameters
    ----------
    T : int
        Sequence length.

    Returns
    -------
    mask : ndarray of bool, of shape (T, T)
        PyTorch SDPA's ``is_causal=True`` as an explicit ``attn_mask`` (True = may attend).
    """
    return np.tril(np.ones((T, T), dtype=bool))


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Batch-first shapes with Tq != Tk and dv != d, several heads as an extra leading axis, a single
    query and key, causal self-attention, a padding mask shared by every query, a query row whose
    keys are all masked (zero output and no gradient), and scores so sharp that a naive softmax
    would overflow.

    Returns
    -------
    list of dict with q (..., Tq, d), k (..., Tk, d), v (..., Tk, dv), a boolean mask broadcastable
    to (..., Tq, Tk) (True = may attend) and an upstream gradient dout (..., Tq, dv)
    """
    rng = np.random.default_rng(17)
    cases = []

    def add(q_shape, k_shape, dv, mask, scale=1.0):
        q, k = scale * rng.normal(size=q_shape), rng.normal(size=k_shape)
        v = rng.normal(size=(*k_shape[:-1], dv))
        dout = rng.normal(size=(*q_shape[:-1], dv))
        cases.append({"q": q, "k": k, "v": v, "mask": mask, "dout": dout})

    add((2, 3, 5), (2, 4, 5), 2, np.ones((3, 4), dtype=bool))
    add((2, 4, 6, 8), (2, 4, 7, 8), 3, np.ones((6, 7), dtype=bool))  # 4 heads
    add((1, 1, 1), (1, 1, 1), 1, np.ones((1, 1), dtype=bool))
    add((3, 5, 4), (3, 5, 4), 4, causal_mask(5))
    padding = np.ones((2, 1, 6), dtype=bool)  # one row per sequence, shared by its queries
    padding[1, :, 4:] = False  # the second sequence has only 4 real keys
    add((2, 3, 4), (2, 6, 4), 2, padding)
    mask = rng.random((4, 5)) < 0.6
    mask[1] = False  # query 1 may attend to nothing
    mask[0, 0] = mask[2, 0] = mask[3, 0] = True
    add((2, 4, 3), (2, 5, 3), 2, mask)
    add((1, 3, 4), (1, 3, 4), 2, np.ones((3, 3), dtype=bool), scale=300.0)  # near one-hot weights
    return cases


def attention_and_gradients(q, k, v, mask, dout):
    """Attention output and the gradients reaching q, k and v for upstream ``dout``.

    What autograd computes for ``out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask);
    out.backward(dout)``.

    Parameters
    ----------
    q : ndarray of shape (N, Tq, d)
    k : ndarray of shape (N, Tk, d)
    v : ndarray of shape (N, Tk, dv)
    mask : ndarray of bool, broadcastable to (N, Tq, Tk)
        True = may attend.
    dout : ndarray of shape (N, Tq, dv)

    Returns
    -------
    out : ndarray of shape (N, Tq, dv)
    dq : ndarray of shape (N, Tq, d)
    dk : ndarray of shape (N, Tk, d)
    dv : ndarray of shape (N, Tk, dv)
    """
    out, cache = attention_forward(q, k, v, mask)
    return (out, *attention_backward(dout, cache))


# ---------------------------------------------------------------------------- checks


def _qkv(seed, N=2, Tq=3, Tk=4, d=5, dv=2):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, Tq, d)), rng.normal(size=(N, Tk, d)), rng.normal(size=(N, Tk, dv))


def check_weights_are_a_probability_distribution_over_keys():
    q, k, v = _qkv(0)
    _, w = scaled_dot_product_attention(q, k, v)
    assert w.shape == (2, 3, 4) and np.all(w >= 0)
    assert_close(w.sum(axis=-1), np.ones((2, 3)), rtol=1e-12, what="row sums")


def check_output_is_a_convex_combination_of_values():
    # Each output lies inside the box spanned by the values.
    q, k, v = _qkv(1)
    out, _ = scaled_dot_product_attention(q, k, v)
    assert np.all(out <= v.max(axis=1, keepdims=True) + 1e-12)
    assert np.all(out >= v.min(axis=1, keepdims=True) - 1e-12)


def check_matches_a_loop_over_the_formula():
    q, k, v = _qkv(2)
    out, _ = scaled_dot_product_attention(q, k, v)
    for n in range(2):
        for i in range(3):
            s = k[n] @ q[n, i] / np.sqrt(5)
            p = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
            assert_close(out[n, i], p @ v[n], rtol=1e-12, what=f"out[{n}, {i}]")


def check_equal_keys_give_the_mean_of_the_values():
    q, _, v = _qkv(3)
    k = np.ones((2, 4, 5))
    out, w = scaled_dot_product_attention(q, k, v)
    assert_close(w, np.full((2, 3, 4), 0.25), rtol=1e-12, what="uniform weights")
    assert_close(out, np.repeat(v.mean(axis=1, keepdims=True), 3, axis=1), rtol=1e-12)


def check_sharp_scores_select_one_value_without_overflow():
    # Scores around 1e6 would overflow a naive exp; the max-shift makes attention a hard lookup.
    q, k, v = _qkv(4)
    out, w = scaled_dot_product_attention(1e6 * q, k, v)
    assert np.all(np.isfinite(out))
    best = np.argmax(q @ np.swapaxes(k, -1, -2), axis=-1)
    assert_close(out, np.take_along_axis(v, best[..., None], axis=1), atol=1e-12, what="hard attention")


def check_masked_keys_get_zero_weight_and_cannot_influence_the_output():
    q, k, v = _qkv(5)
    mask = np.array([True, False, True, False])  # broadcasts over (N, Tq, Tk)
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert np.all(w[..., ~mask] == 0.0)
    assert_close(w.sum(-1), np.ones((2, 3)), rtol=1e-12, what="row sums")
    k2, v2 = k.copy(), v.copy()
    k2[:, ~mask], v2[:, ~mask] = 1e9, -1e9
    assert_close(scaled_dot_product_attention(q, k2, v2, mask)[0], out, rtol=1e-12, what="masked change")


def check_fully_masked_row_gives_zeros_not_nan():
    q, k, v = _qkv(6)
    mask = np.ones((3, 4), dtype=bool)
    mask[1] = False
    out, w = scaled_dot_product_attention(q, k, v, mask)
    assert np.all(np.isfinite(out)) and np.all(w[:, 1] == 0.0) and np.all(out[:, 1] == 0.0)


def check_causal_mask_output_depends_only_on_the_past():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1, 5, 3))
    out, w = scaled_dot_product_attention(x, x, x, causal_mask(5))
    assert np.all(np.triu(w[0], 1) == 0.0)
    for t in range(5):
        x2 = x.copy()
        x2[:, t + 1 :] += rng.normal(size=x2[:, t + 1 :].shape)
        out2, _ = scaled_dot_product_attention(x2, x2, x2, causal_mask(5))
        assert_close(out2[:, : t + 1], out[:, : t + 1], rtol=1e-12, what=f"outputs up to {t}")


def check_keys_and_values_form_a_set():
    # Permuting the (key, value) pairs together changes nothing: attention has no notion of order.
    q, k, v = _qkv(8)
    perm = np.array([2, 0, 3, 1])
    assert_close(scaled_dot_product_attention(q, k[:, perm], v[:, perm])[0], scaled_dot_product_attention(q, k, v)[0], rtol=1e-12)


def check_scaling_keeps_score_variance_near_one():
    # For q, k with independent unit-variance entries, q.k has variance d; dividing by sqrt(d)
    # brings it back to 1 whatever d is, so the softmax does not saturate as d grows.
    rng = np.random.default_rng(9)
    for d in (4, 64, 256):
        q, k = rng.normal(size=(3000, d)), rng.normal(size=(3000, d))
        dots = np.sum(q * k, axis=1)
        assert 0.85 * d < np.var(dots) < 1.15 * d, (d, np.var(dots))
        assert 0.85 < np.var(dots / np.sqrt(d)) < 1.15, (d, np.var(dots / np.sqrt(d)))


def check_backward_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7; with and without a mask.
    for mask in (None, causal_mask(4)[:3]):
        q, k, v = _qkv(10, Tq=3, Tk=4)
        dout = np.random.default_rng(11).normal(size=(2, 3, 2))
        dq, dk, dv = attention_backward(dout, attention_forward(q, k, v, mask)[1])
        f = lambda q_, k_, v_: attention_forward(q_, k_, v_, mask)[0]
        assert_gradient_close(dq, numerical_gradient_array(lambda z: f(z, k, v), q, dout), tol=1e-7, what="dq")
        assert_gradient_close(dk, numerical_gradient_array(lambda z: f(q, z, v), k, dout), tol=1e-7, what="dk")
        assert_gradient_close(dv, numerical_gradient_array(lambda z: f(q, k, z), v, dout), tol=1e-7, what="dv")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    # One query, three keys: the query points the same way as key 1.
    k = np.array([[[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]])
    v = np.array([[[10.0], [20.0], [60.0]]])
    for scale in (1.0, 4.0):
        q = scale * np.array([[[0.0, 1.0]]])
        out, w = scaled_dot_product_attention(q, k, v)
        print(f"query (0, {scale:.0f}): weights {w[0, 0]} -> output {out[0, 0, 0]:.4f}")
    out, w = scaled_dot_product_attention(np.array([[[0.0, 4.0]]]), k, v, np.array([True, False, True]))
    print("same query, key 1 masked out: weights", w[0, 0], "-> output", f"{out[0, 0, 0]:.4f}")
    x = np.random.default_rng(0).normal(size=(1, 4, 2))
    _, w = scaled_dot_product_attention(x, x, x, causal_mask(4))
    print("causal self-attention weights (row = query position, column = key position):")
    print(w[0])
