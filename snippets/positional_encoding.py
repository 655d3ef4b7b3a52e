"""Positional encodings: how a Transformer learns where each token is.

Three families, each following a reference implementation:

* **sinusoidal, added to the embeddings** (Vaswani et al., 2017), from
  :func:`snippets.transformer.sinusoidal_positional_encoding`: ``PE[p, 2i] = sin(p w_i)``,
  ``PE[p, 2i+1] = cos(p w_i)``, ``w_i = 10000^(-2i/D)``. A *learned* absolute encoding is just an
  ``nn.Embedding(max_len, D)`` table added the same way.
* **rotary (RoPE)**, applied to queries and keys (Su et al., 2021), in the "rotate half" layout of
  Hugging Face's ``LlamaRotaryEmbedding`` / ``apply_rotary_pos_emb``: dimension i is paired with
  dimension i + D/2 (not 2i with 2i+1, as in the paper and GPT-J), ``inv_freq = base^(-2i/D)``,
  ``base = 10000``.
* **ALiBi**, a bias added to the attention scores (Press et al., 2022): head h = 1..H gets the slope
  ``m_h = 2^(-8 h / H)`` (arrays below index the heads from 0) and the score of query i for
  key j gets ``-m_h (i - j)``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.attention import causal_mask, scaled_dot_product_attention
from snippets.transformer import sinusoidal_positional_encoding


def rope_angles(positions, dim, base=10000.0):
    """Cosines and sines of the rotary angles ``p * base^(-2i/dim)``, duplicated as in Hugging Face.

    Parameters
    ----------
    positions : ndarray of shape (T,)
        Token positions (any real numbers; integers in practice).
    dim : int
        Head dimension D (even).
    base : float
        ``rope_theta`` in Hugging Face configs.

    Returns
    -------
    cos, sin : ndarray of shape (T, D)
        ``cos[:, i] == cos[:, i + D/2]``, likewise ``sin``.
    """
    if dim % 2:
        raise ValueError("the head dimension must be even")
    inv_freq = base ** (-np.arange(0, dim, 2) / dim)
    freqs = np.outer(np.asarray(positions, dtype=np.float64), inv_freq)
    emb = np.concatenate([freqs, freqs], axis=-1)
    return np.cos(emb), np.sin(emb)


def rotate_half(x):
    """``[x1, x2] -> [-x2, x1]`` over the last axis (halves of size D/2), as in Hugging Face.

    Parameters
    ----------
    x : ndarray of shape (..., D)

    Returns
    -------
    ndarray of shape (..., D)
    """
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def rope_forward(x, positions, base=10000.0):
    """Rotate each pair (x_i, x_{i+D/2}) of every query or key by the angle ``p * base^(-2i/D)``.

    ``x * cos + rotate_half(x) * sin``, Hugging Face's ``apply_rotary_pos_emb``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
        Queries or keys of one head (any leading axes).
    positions : ndarray of shape (T,)
    base : float

    Returns
    -------
    out : ndarray of shape (N, T, D)
    cache : tuple
    """
    cos, sin = rope_angles(positions, x.shape[-1], base)
    return x * cos + rotate_half(x) * sin, (cos, sin)


def rope_backward(dout, cache):
    """Backward pass of :func:`rope_forward`: the transpose of a rotation is the opposite rotation.

    Parameters
    ----------
    dout : ndarray of shape (N, T, D)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    """
    cos, sin = cache
    return dout * cos - rotate_half(dout * sin)


def alibi_slopes(num_heads):
    """ALiBi's per-head slopes, the geometric sequence ``2^(-8/H), 2^(-16/H), ..., 2^(-8)``.

    For a power-of-two number of heads, as in the paper and in BLOOM.

    Parameters
    ----------
    num_heads : int

    Returns
    -------
    ndarray of shape (H,)
    """
    if num_heads & (num_heads - 1):
        raise ValueError("this simple form needs a power-of-two number of heads")
    return 2.0 ** (-8.0 * np.arange(1, num_heads + 1) / num_heads)


def alibi_bias(num_heads, T):
    """Additive attention bias ``-m_h (i - j)`` for query i and key j <= i (causal).

    Parameters
    ----------
    num_heads : int
    T : int

    Returns
    -------
    bias : ndarray of shape (H, T, T)
        Zero on the diagonal, more negative the further back the key; future keys get -inf.
    """
    i, j = np.arange(T)[:, None], np.arange(T)[None, :]
    dist = np.where(j <= i, (i - j).astype(np.float64), np.inf)
    return 0.0 - alibi_slopes(num_heads)[:, None, None] * dist  # 0.0 - ... avoids printing -0.


def plot_encodings(T=64, D=64):
    """Heatmap of the sinusoidal encoding and the dot product of encodings against offset."""
    import matplotlib.pyplot as plt

    pe = sinusoidal_positional_encoding(T, D)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), gridspec_kw={"width_ratios": [1.3, 1]})
    im = ax1.imshow(pe, aspect="auto", cmap="RdBu", vmin=-1, vmax=1)
    ax1.set_xlabel("encoding dimension")
    ax1.set_ylabel("position p")
    ax1.set_title(f"sinusoidal encoding, D = {D}")
    fig.colorbar(im, ax=ax1)
    sims = pe @ pe[T // 2]
    ax2.plot(np.arange(T) - T // 2, sims, "o-", ms=3)
    ax2.set_xlabel("offset k")
    ax2.set_ylabel("PE[p] . PE[p + k]")
    ax2.set_title("similarity depends only on the offset")
    fig.tight_layout()
    fig.set_label(
        "Left: heatmap of sinusoidal positional encodings, 64 positions by 64 dimensions; "
        "the first dimensions oscillate quickly from row to row, the last ones barely change. "
        "Right: the dot product between two encodings against their offset, a peak of 32 at "
        "offset 0 falling off on both sides, symmetric"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def check_sinusoidal_dot_product_depends_only_on_the_offset():
    # PE[p] . PE[q] = sum_i cos((p - q) w_i): the same for every pair at the same distance.
    pe = sinusoidal_positional_encoding(200, 16)
    w = 10000.0 ** (-np.arange(0, 16, 2) / 16)
    for k in (0, 1, 5, 37):
        dots = np.sum(pe[: -k or None] * pe[k:], axis=1)
        assert_close(dots, np.full(len(dots), np.cos(k * w).sum()), rtol=1e-10, atol=1e-12, what=f"k={k}")


def check_positions_break_the_permutation_symmetry_of_attention():
    rng = np.random.default_rng(0)
    x, perm = rng.normal(size=(1, 6, 8)), np.array([2, 0, 5, 1, 3, 4])
    out, _ = scaled_dot_product_attention(x, x, x)
    out_p, _ = scaled_dot_product_attention(x[:, perm], x[:, perm], x[:, perm])
    assert_close(out_p, out[:, perm], rtol=1e-12, what="no positions: a permutation just permutes")
    pe = sinusoidal_positional_encoding(6, 8)
    y, y_p = x + pe, x[:, perm] + pe
    out, _ = scaled_dot_product_attention(y, y, y)
    out_p, _ = scaled_dot_product_attention(y_p, y_p, y_p)
    assert not np.allclose(out_p, out[:, perm])


def check_rope_scores_depend_only_on_relative_position():
    rng = np.random.default_rng(1)
    q, k = rng.normal(size=(1, 1, 8)), rng.normal(size=(1, 1, 8))
    for m, n in [(3, 1), (10, 7), (100, 30)]:
        base_score = np.sum(rope_forward(q, [m])[0] * rope_forward(k, [n])[0])
        for shift in (1, 17, 1000):
            shifted = np.sum(rope_forward(q, [m + shift])[0] * rope_forward(k, [n + shift])[0])
            assert_close(shifted, base_score, rtol=1e-9, what="score after shifting both positions")


def check_rope_is_a_rotation_and_matches_the_complex_form():
    rng = np.random.default_rng(2)
    x, pos = rng.normal(size=(2, 5, 8)), np.arange(5)
    y, _ = rope_forward(x, pos)
    assert_close(np.linalg.norm(y, axis=-1), np.linalg.norm(x, axis=-1), rtol=1e-12, what="norms")
    # Pair i with i + D/2 as the complex number x_i + j x_{i+D/2}; RoPE multiplies it by e^{j p w_i}.
    z = x[..., :4] + 1j * x[..., 4:]
    w = 10000.0 ** (-np.arange(0, 8, 2) / 8)
    zr = z * np.exp(1j * pos[:, None] * w)
    assert_close(y, np.concatenate([zr.real, zr.imag], axis=-1), rtol=1e-12, what="complex form")
    assert_close(rope_forward(x, np.zeros(5))[0], x, rtol=0, what="position 0 is the identity")


def check_rope_backward_matches_numerical_gradient():
    # RoPE is linear in x; centred differences in float64 agree to a relative error below 1e-8.
    rng = np.random.default_rng(3)
    x, dout, pos = rng.normal(size=(2, 4, 6)), rng.normal(size=(2, 4, 6)), np.array([0, 3, 7, 100])
    _, cache = rope_forward(x, pos)
    dx = rope_backward(dout, cache)
    assert_gradient_close(dx, numerical_gradient_array(lambda z: rope_forward(z, pos)[0], x, dout), tol=1e-8)


def check_alibi_slopes_and_bias():
    assert_close(alibi_slopes(8), [1 / 2, 1 / 4, 1 / 8, 1 / 16, 1 / 32, 1 / 64, 1 / 128, 1 / 256], rtol=0)
    bias = alibi_bias(2, 4)
    assert_close(bias[0, 3, :], [-3 / 16, -2 / 16, -1 / 16, 0.0], rtol=0, what="head 0, query 3")
    assert np.all(np.isneginf(bias[:, 0, 1:])), "future keys are masked"
    # ALiBi is a causal mask plus a recency penalty: with equal scores, weights decay with distance.
    v = np.eye(4)[None]
    out, w = scaled_dot_product_attention(np.zeros((1, 4, 1)), np.zeros((1, 4, 1)), v, causal_mask(4))
    assert_close(w[0, 3], np.full(4, 0.25), rtol=1e-12)
    e = np.exp(bias[0, 3])
    assert np.all(np.diff(e / e.sum()) > 0), "nearer keys get more weight"


def check_extreme_positions_are_finite_and_bounded():
    pe = sinusoidal_positional_encoding(3, 8)
    assert np.all(np.abs(pe) <= 1.0)
    big = np.array([1e6, 1e9])
    cos, sin = rope_angles(big, 8)
    assert np.all(np.isfinite(cos)) and np.all(np.isfinite(sin))
    x = np.ones((1, 2, 8))
    assert_close(np.linalg.norm(rope_forward(x, big)[0], axis=-1), np.full((1, 2), np.sqrt(8)), rtol=1e-12)


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    pe = sinusoidal_positional_encoding(50, 8)
    print("sinusoidal PE, D = 8, first rows (pairs sin/cos at 4 frequencies):")
    for p in (0, 1, 2):
        print(f"  p = {p}:", pe[p])
    w = 10000.0 ** (-np.arange(0, 8, 2) / 8)
    print("wavelengths 2 pi / w_i:", 2 * np.pi / w)
    print("PE[p] . PE[p + 3] for p = 0, 10, 40:", np.array([pe[p] @ pe[p + 3] for p in (0, 10, 40)]))
    rng = np.random.default_rng(0)
    q, k = rng.normal(size=(1, 1, 8)), rng.normal(size=(1, 1, 8))
    scores = [np.sum(rope_forward(q, [m])[0] * rope_forward(k, [m - 2])[0]) for m in (2, 5, 500)]
    print("RoPE score q(m) . k(m - 2) for m = 2, 5, 500:", np.array(scores))
    print("ALiBi slopes for 8 heads:", alibi_slopes(8))
    print("ALiBi bias of the second head (slope 1/4), query 4 over keys 0..4:", alibi_bias(8, 5)[1, 4])
    plot_encodings()
