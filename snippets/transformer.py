"""A Transformer block: multi-head self-attention and a feed-forward network, each wrapped in a
residual connection and layer normalization, plus sinusoidal positional encodings.

Conventions follow ``torch.nn.TransformerEncoderLayer`` (batch_first=True, activation="relu",
no dropout, i.e. evaluation mode): inputs are (N, T, D); ``norm_first=False`` (the default) is the
original post-LN block ``LN(x + sublayer(x))`` of Vaswani et al. (2017); ``norm_first=True`` is
the pre-LN block ``x + sublayer(LN(x))`` used by most recent language models. Weight matrices are
stored as (in, out) so a linear layer is ``x @ W + b``; PyTorch stores the transpose. A boolean
mask is True where a position may attend (as in ``scaled_dot_product_attention``).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.attention import attention_backward, attention_forward, causal_mask, scaled_dot_product_attention


def sinusoidal_positional_encoding(T, d_model):
    """Fixed positional encodings of "Attention Is All You Need".

    ``PE[p, 2i] = sin(p / 10000^(2i/d_model))`` and ``PE[p, 2i+1] = cos(p / 10000^(2i/d_model))``.

    Parameters
    ----------
    T : int
        Number of positions.
    d_model : int
        Model width D (even).

    Returns
    -------
    pe : ndarray of shape (T, D)
        Added to the token embeddings before the first block.
    """
    if d_model % 2:
        raise ValueError("d_model must be even")
    pos = np.arange(T)[:, None]
    freq = 10000.0 ** (-np.arange(0, d_model, 2) / d_model)
    pe = np.empty((T, d_model))
    pe[:, 0::2] = np.sin(pos * freq)
    pe[:, 1::2] = np.cos(pos * freq)
    return pe


def split_heads(x, num_heads):
    """Cut the feature axis into ``num_heads`` equal slices, one per head.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    num_heads : int
        H; must divide D.

    Returns
    -------
    heads : ndarray of shape (N, H, T, D // H)
        ``heads[:, h] == x[..., h * D//H:(h + 1) * D//H]``.
    """
    N, T, D = x.shape
    return x.reshape(N, T, num_heads, D // num_heads).transpose(0, 2, 1, 3)


def merge_heads(x):
    """Inverse of :func:`split_heads`: concatenate the heads along the feature axis.

    Parameters
    ----------
    x : ndarray of shape (N, H, T, Dh)

    Returns
    -------
    merged : ndarray of shape (N, T, H * Dh)
    """
    N, H, T, Dh = x.shape
    return x.transpose(0, 2, 1, 3).reshape(N, T, H * Dh)


def multi_head_attention_forward(x, params, num_heads, mask=None):
    """Multi-head self-attention, ``concat(head_1..head_H) W_o + b_o``.

    Each head runs scaled dot-product attention on its own D/H-wide slice of the projections
    ``x W_q + b_q``, ``x W_k + b_k``, ``x W_v + b_v``, with scale ``1 / sqrt(D/H)``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    params : dict
        ``W_q, W_k, W_v, W_o`` of shape (D, D) and ``b_q, b_k, b_v, b_o`` of shape (D,).
    num_heads : int
    mask : ndarray of bool, of shape (T, T), optional
        True where position i may attend to position j, e.g. :func:`causal_mask`.

    Returns
    -------
    out : ndarray of shape (N, T, D)
    cache : tuple
    """
    p = params
    q, k, v = (split_heads(x @ p[f"W_{c}"] + p[f"b_{c}"], num_heads) for c in "qkv")
    heads, att_cache = attention_forward(q, k, v, mask)
    merged = merge_heads(heads)
    return merged @ p["W_o"] + p["b_o"], (x, p, num_heads, merged, att_cache)


def multi_head_attention_backward(dout, cache):
    """Backward pass of :func:`multi_head_attention_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, T, D)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    grads : dict
        Gradients for every entry of ``params``, same shapes.
    """
    x, p, H, merged, att_cache = cache
    grads = {"W_o": np.einsum("ntd,nte->de", merged, dout), "b_o": dout.sum(axis=(0, 1))}
    dheads = split_heads(dout @ p["W_o"].T, H)
    dx = np.zeros_like(x)
    for c, dproj in zip("qkv", attention_backward(dheads, att_cache)):
        dproj = merge_heads(dproj)
        grads[f"W_{c}"] = np.einsum("ntd,nte->de", x, dproj)
        grads[f"b_{c}"] = dproj.sum(axis=(0, 1))
        dx += dproj @ p[f"W_{c}"].T
    return dx, grads


# Layer normalization (its own term): normalise each position's D features to mean 0 and
# variance 1 (biased variance, eps=1e-5 as in torch.nn.LayerNorm), then scale and shift.
def _layer_norm_forward(x, gamma, beta, eps=1e-5):
    """``gamma * (x - mean) / sqrt(var + eps) + beta`` over the last axis; x of shape (N, T, D)."""
    std = np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    xhat = (x - x.mean(axis=-1, keepdims=True)) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def _layer_norm_backward(dout, cache):
    """Gradients ``(dx, dgamma, dbeta)`` of shapes (N, T, D), (D,), (D,)."""
    xhat, gamma, std = cache
    g = dout * gamma
    dx = (g - g.mean(axis=-1, keepdims=True) - xhat * (g * xhat).mean(axis=-1, keepdims=True)) / std
    return dx, (dout * xhat).sum(axis=(0, 1)), dout.sum(axis=(0, 1))


def _ffn_forward(x, p):
    """Position-wise ``relu(x W_1 + b_1) W_2 + b_2``; x of shape (N, T, D), hidden (N, T, F)."""
    pre = x @ p["W_1"] + p["b_1"]
    hidden = np.maximum(pre, 0.0)  # ReLU, the default activation of TransformerEncoderLayer
    return hidden @ p["W_2"] + p["b_2"], (x, pre, hidden)


def _ffn_backward(dout, cache, p):
    """Gradient with respect to the input, of shape (N, T, D), and to ``W_1, b_1, W_2, b_2``."""
    x, pre, hidden = cache
    dhidden = (dout @ p["W_2"].T) * (pre > 0)
    grads = {
        "W_2": np.einsum("ntf,ntd->fd", hidden, dout),
        "b_2": dout.sum(axis=(0, 1)),
        "W_1": np.einsum("ntd,ntf->df", x, dhidden),
        "b_1": dhidden.sum(axis=(0, 1)),
    }
    return dhidden @ p["W_1"].T, grads


def transformer_block_forward(x, params, num_heads, mask=None, norm_first=False):
    """One Transformer encoder block (a decoder-only block when ``mask`` is causal).

    Post-LN (``norm_first=False``): ``h = LN1(x + MHA(x))``, ``out = LN2(h + FFN(h))``.
    Pre-LN (``norm_first=True``): ``h = x + MHA(LN1(x))``, ``out = h + FFN(LN2(h))``.
    ``FFN(z) = relu(z W_1 + b_1) W_2 + b_2``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    params : dict
        The attention parameters of :func:`multi_head_attention_forward`, plus ``W_1`` (D, F),
        ``b_1`` (F,), ``W_2`` (F, D), ``b_2`` (D,) and ``ln1_g, ln1_b, ln2_g, ln2_b`` (D,).
    num_heads : int
    mask : ndarray of bool, of shape (T, T), optional
        True = may attend.
    norm_first : bool

    Returns
    -------
    out : ndarray of shape (N, T, D)
    cache : tuple
    """
    p = params
    if norm_first:
        z1, c_ln1 = _layer_norm_forward(x, p["ln1_g"], p["ln1_b"])
        a, c_att = multi_head_attention_forward(z1, p, num_heads, mask)
        h = x + a
        z2, c_ln2 = _layer_norm_forward(h, p["ln2_g"], p["ln2_b"])
        f, c_ffn = _ffn_forward(z2, p)
        out = h + f
    else:
        a, c_att = multi_head_attention_forward(x, p, num_heads, mask)
        h, c_ln1 = _layer_norm_forward(x + a, p["ln1_g"], p["ln1_b"])
        f, c_ffn = _ffn_forward(h, p)
        out, c_ln2 = _layer_norm_forward(h + f, p["ln2_g"], p["ln2_b"])
    return out, (p, norm_first, c_ln1, c_att, c_ln2, c_ffn)


def transformer_block_backward(dout, cache):
    """Backward pass of :func:`transformer_block_forward`.

    Each residual connection adds the identity to the Jacobian: the gradient reaching a
    block's input is the upstream gradient plus what flows back through the sublayer.

    Parameters
    ----------
    dout : ndarray of shape (N, T, D)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    grads : dict
        Gradients for every entry of ``params``, same shapes.
    """
    p, norm_first, c_ln1, c_att, c_ln2, c_ffn = cache
    grads = {}
    if norm_first:
        dz2, grads["W_1"], grads["b_1"], grads["W_2"], grads["b_2"] = _unpack(_ffn_backward(dout, c_ffn, p))
        dh_ln, grads["ln2_g"], grads["ln2_b"] = _layer_norm_backward(dz2, c_ln2)
        dh = dout + dh_ln
        dz1, g_att = multi_head_attention_backward(dh, c_att)
        dx_ln, grads["ln1_g"], grads["ln1_b"] = _layer_norm_backward(dz1, c_ln1)
        dx = dh + dx_ln
    else:
        dr2, grads["ln2_g"], grads["ln2_b"] = _layer_norm_backward(dout, c_ln2)
        dh_f, grads["W_1"], grads["b_1"], grads["W_2"], grads["b_2"] = _unpack(_ffn_backward(dr2, c_ffn, p))
        dr1, grads["ln1_g"], grads["ln1_b"] = _layer_norm_backward(dr2 + dh_f, c_ln1)
        dx_att, g_att = multi_head_attention_backward(dr1, c_att)
        dx = dr1 + dx_att
    grads.update(g_att)
    return dx, grads


def _unpack(ffn_result):
    dx, g = ffn_result
    return dx, g["W_1"], g["b_1"], g["W_2"], g["b_2"]


def init_block_params(d_model, d_ff, rng):
    """Random parameters for :func:`transformer_block_forward` (small weights, LN gain 1, shift 0).

    Parameters
    ----------
    d_model : int
        D.
    d_ff : int
        F, the hidden width of the feed-forward network (4 D in the original paper).
    rng : numpy.random.Generator

    Returns
    -------
    params : dict
    """
    p = {f"W_{c}": rng.normal(scale=d_model**-0.5, size=(d_model, d_model)) for c in "qkvo"}
    p.update({f"b_{c}": rng.normal(scale=0.1, size=d_model) for c in "qkvo"})
    p.update(
        W_1=rng.normal(scale=d_model**-0.5, size=(d_model, d_ff)),
        b_1=rng.normal(scale=0.1, size=d_ff),
        W_2=rng.normal(scale=d_ff**-0.5, size=(d_ff, d_model)),
        b_2=rng.normal(scale=0.1, size=d_model),
    )
    p.update(ln1_g=np.ones(d_model), ln1_b=np.zeros(d_model), ln2_g=np.ones(d_model), ln2_b=np.zeros(d_model))
    return p


GRADIENT_ORDER = ("W_q", "W_k", "W_v", "b_qkv", "W_o", "b_o", "W_1", "b_1", "W_2", "b_2", "ln1_g", "ln1_b", "ln2_g", "ln2_b")


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch tab).

    Post-LN and pre-LN blocks, with and without a causal mask, several widths and head counts, a
    single token (attention to itself only), a single head, inputs on a large scale, and layer-norm
    gains and shifts away from 1 and 0.

    Returns
    -------
    list of dict
        Each with x (N, T, D), params (the dict of :func:`init_block_params`), num_heads (int),
        mask (bool (T, T), True = may attend, or None), norm_first (bool) and an upstream gradient
        dout (N, T, D).
    """
    rng = np.random.default_rng(13)
    cases = []
    shapes = [
        (2, 5, 8, 2, 32, False, False, 1.0),
        (2, 5, 8, 2, 32, True, True, 1.0),
        (1, 1, 4, 1, 8, False, True, 1.0),
        (3, 6, 6, 3, 12, True, False, 1.0),
        (2, 4, 8, 4, 16, False, True, 10.0),
    ]
    for n, t, d, h, f, causal, norm_first, scale in shapes:
        p = init_block_params(d, f, rng)
        for name in ("ln1_g", "ln2_g"):
            p[name] = 1.0 + 0.3 * rng.normal(size=d)
        for name in ("ln1_b", "ln2_b"):
            p[name] = 0.3 * rng.normal(size=d)
        cases.append(
            {
                "x": scale * rng.normal(size=(n, t, d)),
                "params": p,
                "num_heads": h,
                "mask": causal_mask(t) if causal else None,
                "norm_first": norm_first,
                "dout": rng.normal(size=(n, t, d)),
            }
        )
    return cases


def forward_and_gradients(x, params, num_heads, mask, norm_first, dout):
    """Block output, and the gradients reaching x and every parameter for upstream ``dout``.

    What autograd gives for ``out = block(x); out.backward(dout)``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    params : dict
        As for :func:`transformer_block_forward`.
    num_heads : int
    mask : ndarray of bool, of shape (T, T), or None
    norm_first : bool
    dout : ndarray of shape (N, T, D)

    Returns
    -------
    tuple
        ``out`` and ``dx`` of shape (N, T, D), then the gradient of each parameter in the order of
        ``GRADIENT_ORDER`` (same shapes as the parameters: W_q ... W_o (D, D), W_1 (D, F),
        W_2 (F, D), biases and layer-norm parameters 1-D), except that the gradients of
        ``b_q, b_k, b_v`` come concatenated as ``b_qkv`` of shape (3D,).
    """
    out, cache = transformer_block_forward(x, params, num_heads, mask, norm_first)
    dx, grads = transformer_block_backward(dout, cache)
    # one (3D,) vector, as PyTorch stores it: the key bias's gradient is zero up to rounding, and
    # compared on its own its relative error would be rounding over rounding
    grads["b_qkv"] = np.concatenate([grads["b_q"], grads["b_k"], grads["b_v"]])
    return (out, dx, *(grads[name] for name in GRADIENT_ORDER))


def attention_cases():
    """Inputs the multi-head attention equivalent is checked on: those of :func:`equivalence_cases`.

    Returns
    -------
    list of dict
        Each with x (N, T, D), params, num_heads, mask (or None) and dout (N, T, D).
    """
    return [{k: v for k, v in case.items() if k != "norm_first"} for case in equivalence_cases()]


def attention_forward_and_gradients(x, params, num_heads, mask, dout):
    """Self-attention output and the gradients reaching x and the attention parameters.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    params : dict
        As for :func:`multi_head_attention_forward` (other entries are ignored).
    num_heads : int
    mask : ndarray of bool, of shape (T, T), or None
    dout : ndarray of shape (N, T, D)

    Returns
    -------
    out, dx : ndarray of shape (N, T, D)
    dW_q, dW_k, dW_v : ndarray of shape (D, D)
    db_qkv : ndarray of shape (3D,)
        The gradients of ``b_q, b_k, b_v`` concatenated, as PyTorch stores the biases.
    dW_o : ndarray of shape (D, D)
    db_o : ndarray of shape (D,)
    """
    out, cache = multi_head_attention_forward(x, params, num_heads, mask)
    dx, g = multi_head_attention_backward(dout, cache)
    return out, dx, g["W_q"], g["W_k"], g["W_v"], np.concatenate([g["b_q"], g["b_k"], g["b_v"]]), g["W_o"], g["b_o"]


# ---------------------------------------------------------------------------- checks


def check_positional_encoding_formula_and_range():
    pe = sinusoidal_positional_encoding(50, 8)
    assert pe.shape == (50, 8) and np.all(np.abs(pe) <= 1.0)
    assert_close(pe[3, 2], np.sin(3 / 10000 ** (2 / 8)), rtol=1e-12, what="PE[3, 2]")
    assert_close(pe[3, 5], np.cos(3 / 10000 ** (4 / 8)), rtol=1e-12, what="PE[3, 5]")
    # Each (sin, cos) pair is a point on the unit circle, so every row has norm sqrt(D / 2).
    assert_close(np.linalg.norm(pe, axis=1), np.full(50, 2.0), rtol=1e-12, what="row norms")
    assert len({tuple(np.round(r, 12)) for r in pe}) == 50  # all positions distinguishable


def check_positional_encoding_shift_is_a_rotation():
    # PE[p + k] is a fixed linear map (a rotation of every (sin, cos) pair) of PE[p], for all p:
    # this is why the authors expected relative positions to be easy to learn.
    D, k = 8, 3
    pe = sinusoidal_positional_encoding(40, D)
    theta = k * 10000.0 ** (-np.arange(0, D, 2) / D)
    R = np.zeros((D, D))
    for i, t in enumerate(theta):
        R[2 * i : 2 * i + 2, 2 * i : 2 * i + 2] = [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]
    assert_close(pe[:-k] @ R, pe[k:], atol=1e-12, what="PE[p] R_k")


def check_split_and_merge_heads_are_inverse():
    x = np.arange(2 * 3 * 8, dtype=np.float64).reshape(2, 3, 8)
    heads = split_heads(x, 4)
    assert heads.shape == (2, 4, 3, 2)
    assert np.array_equal(heads[:, 1], x[..., 2:4])
    assert np.array_equal(merge_heads(heads), x)


def check_multi_head_equals_separate_heads_concatenated():
    rng = np.random.default_rng(0)
    x, p, H = rng.normal(size=(2, 5, 6)), init_block_params(6, 12, rng), 3
    out, _ = multi_head_attention_forward(x, p, H, causal_mask(5))
    q, k, v = (x @ p[f"W_{c}"] + p[f"b_{c}"] for c in "qkv")
    cols = [slice(2 * h, 2 * h + 2) for h in range(H)]
    heads = [scaled_dot_product_attention(q[..., s], k[..., s], v[..., s], causal_mask(5))[0] for s in cols]
    assert_close(out, np.concatenate(heads, axis=-1) @ p["W_o"] + p["b_o"], rtol=1e-12)


def check_self_attention_is_permutation_equivariant_without_positions():
    # Without positional information a block cannot tell word order: permuting the tokens just
    # permutes the outputs. Adding sinusoidal encodings breaks the symmetry.
    rng = np.random.default_rng(1)
    x, p, perm = rng.normal(size=(1, 5, 4)), init_block_params(4, 8, rng), np.array([3, 0, 4, 1, 2])
    for norm_first in (False, True):
        out = transformer_block_forward(x, p, 2, norm_first=norm_first)[0]
        out_perm = transformer_block_forward(x[:, perm], p, 2, norm_first=norm_first)[0]
        assert_close(out_perm, out[:, perm], rtol=1e-10, atol=1e-12, what="equivariance")
    pe = sinusoidal_positional_encoding(5, 4)
    out = transformer_block_forward(x + pe, p, 2)[0]
    out_perm = transformer_block_forward(x[:, perm] + pe, p, 2)[0]
    assert not np.allclose(out_perm, out[:, perm])


def check_causal_block_output_depends_only_on_the_past():
    rng = np.random.default_rng(2)
    x, p = rng.normal(size=(1, 6, 4)), init_block_params(4, 8, rng)
    out = transformer_block_forward(x, p, 2, causal_mask(6))[0]
    for t in range(6):
        x2 = x.copy()
        x2[:, t] += 1.0
        out2 = transformer_block_forward(x2, p, 2, causal_mask(6))[0]
        assert_close(out2[:, :t], out[:, :t], rtol=1e-12, what=f"outputs before {t}")
        assert not np.allclose(out2[:, t], out[:, t])


def check_post_ln_output_is_normalised_per_position():
    rng = np.random.default_rng(3)
    x, p = 10 * rng.normal(size=(2, 4, 6)), init_block_params(6, 12, rng)
    out = transformer_block_forward(x, p, 3)[0]
    assert_close(out.mean(-1), np.zeros((2, 4)), atol=1e-12, what="mean")
    assert_close(out.var(-1), np.ones((2, 4)), rtol=1e-4, what="variance")  # eps = 1e-5


def check_multi_head_attention_backward_matches_numerical_gradient():
    # Centred differences, float64, relative error below 1e-7.
    rng = np.random.default_rng(4)
    x, p, dout = rng.normal(size=(2, 3, 4)), init_block_params(4, 8, rng), rng.normal(size=(2, 3, 4))
    run = lambda z: multi_head_attention_forward(z, p, 2, causal_mask(3))[0]
    dx, grads = multi_head_attention_backward(dout, multi_head_attention_forward(x, p, 2, causal_mask(3))[1])
    assert_gradient_close(dx, numerical_gradient_array(run, x, dout), tol=1e-7, what="dx")
    for name in ("W_q", "W_k", "W_v", "W_o", "b_q", "b_v", "b_o"):  # b_k: see check_key_bias_gets_no_gradient
        num = numerical_gradient(lambda _: np.sum(run(x) * dout), p[name])
        assert_gradient_close(grads[name], num, tol=1e-7, what=name)


def check_block_backward_matches_numerical_gradient():
    # Both block variants, every parameter and the input; float64, relative error below 1e-6.
    rng = np.random.default_rng(5)
    x, p, dout = rng.normal(size=(2, 3, 4)), init_block_params(4, 8, rng), rng.normal(size=(2, 3, 4))
    p["ln1_g"], p["ln2_b"] = 1 + 0.1 * rng.normal(size=4), 0.1 * rng.normal(size=4)
    for norm_first in (False, True):
        run = lambda z: transformer_block_forward(z, p, 2, causal_mask(3), norm_first)[0]
        dx, grads = transformer_block_backward(dout, transformer_block_forward(x, p, 2, causal_mask(3), norm_first)[1])
        assert_gradient_close(dx, numerical_gradient_array(run, x, dout), tol=1e-6, what="dx")
        assert set(grads) == set(p)
        for name in sorted(set(p) - {"b_k"}):  # b_k has zero gradient: see the check below
            num = numerical_gradient(lambda _: np.sum(run(x) * dout), p[name])
            assert_gradient_close(grads[name], num, tol=1e-6, what=f"{name} (norm_first={norm_first})")


def check_key_bias_gets_no_gradient():
    # b_k adds q . b_k to every score in a row, and softmax ignores a constant shift of its
    # input: the key bias cannot change the output, so its gradient is exactly zero.
    rng = np.random.default_rng(6)
    x, p, dout = rng.normal(size=(2, 3, 4)), init_block_params(4, 8, rng), rng.normal(size=(2, 3, 4))
    out, cache = multi_head_attention_forward(x, p, 2)
    assert_close(multi_head_attention_backward(dout, cache)[1]["b_k"], np.zeros(4), atol=1e-12, what="db_k")
    p2 = dict(p, b_k=p["b_k"] + 5.0)
    assert_close(multi_head_attention_forward(x, p2, 2)[0], out, rtol=1e-10, what="output after changing b_k")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    D, T = 8, 5
    print("sinusoidal positional encoding, positions 0-2, first 4 of D = 8 features:")
    print(sinusoidal_positional_encoding(T, D)[:3, :4])
    p = init_block_params(D, 4 * D, rng)
    print("parameters in one block (D = 8, F = 32):", sum(v.size for v in p.values()), "- the same for any length T")
    x = rng.normal(size=(1, T, D))
    perm = np.array([4, 3, 2, 1, 0])
    out = transformer_block_forward(x, p, num_heads=2)[0]
    print("reversed input -> reversed output, no positions:  ", np.allclose(transformer_block_forward(x[:, perm], p, 2)[0], out[:, perm]))
    pe = sinusoidal_positional_encoding(T, D)
    out = transformer_block_forward(x + pe, p, 2)[0]
    print(
        "reversed input -> reversed output, with positions:", np.allclose(transformer_block_forward(x[:, perm] + pe, p, 2)[0], out[:, perm])
    )
    out = transformer_block_forward(x + pe, p, 2, causal_mask(T))[0]
    x2 = x.copy()
    x2[0, 2] += 1.0
    changed = np.abs(transformer_block_forward(x2 + pe, p, 2, causal_mask(T))[0] - out).max(axis=-1)[0] > 0
    print("causal mask, token 2 edited -> outputs that change:", np.flatnonzero(changed).tolist())
