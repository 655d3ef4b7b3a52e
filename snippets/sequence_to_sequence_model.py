"""A sequence-to-sequence (encoder-decoder) model: a GRU encoder, a GRU decoder, greedy decoding.

The encoder reads the source tokens and hands its final hidden state to the decoder as the
decoder's initial state; the decoder is trained with teacher forcing (it reads the target
shifted right by one, starting with BOS) and predicts the next target token at every step.
At inference it reads back its own predictions until it emits EOS.

This is Sutskever, Vinyals and Le's (2014) model with GRU cells; in PyTorch terms it is
``nn.Embedding`` + ``nn.GRU(batch_first=True)`` for each side and an ``nn.Linear(H, V)`` output
layer, trained with ``nn.CrossEntropyLoss`` over all target positions. The linear weight is
stored (H, V), the transpose of ``nn.Linear.weight``. Token ids: 0 = BOS, 1 = EOS, 2.. = symbols.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.adam import adam_init, adam_step
from snippets.cross_entropy import cross_entropy_backward, cross_entropy_forward
from snippets.embedding import embedding_backward, embedding_forward
from snippets.gru import gru_backward, gru_forward, gru_step_forward, init_gru_params

BOS, EOS = 0, 1
_GRU = ("W_x", "W_h", "b_x", "b_h")


def init_seq2seq(V, E, H, rng):
    """Parameters of the encoder, decoder and output layer.

    Parameters
    ----------
    V : int
        Vocabulary size (including BOS and EOS).
    E : int
        Embedding size.
    H : int
        Hidden size of both GRUs.
    rng : numpy.random.Generator

    Returns
    -------
    params : dict
        ``src_emb``, ``tgt_emb`` of shape (V, E); ``enc_W_x`` (E, 3H), ``enc_W_h`` (H, 3H),
        ``enc_b_x``, ``enc_b_h`` (3H,), likewise ``dec_*``; ``W_out`` (H, V), ``b_out`` (V,).
    """
    p = {"src_emb": rng.normal(size=(V, E)), "tgt_emb": rng.normal(size=(V, E))}
    for side in ("enc", "dec"):
        p.update({f"{side}_{k}": v for k, v in zip(_GRU, init_gru_params(E, H, rng))})
    p["W_out"] = rng.normal(scale=1 / np.sqrt(H), size=(H, V))
    p["b_out"] = np.zeros(V)
    return p


def shift_right(tgt):
    """Decoder inputs for teacher forcing: BOS followed by the target without its last token.

    Parameters
    ----------
    tgt : ndarray of shape (N, T), int

    Returns
    -------
    ndarray of shape (N, T), int
    """
    return np.concatenate([np.full((len(tgt), 1), BOS), tgt[:, :-1]], axis=1)


def encode(src, params):
    """Run the encoder.

    Parameters
    ----------
    src : ndarray of shape (N, S), int
    params : dict

    Returns
    -------
    context : ndarray of shape (N, H)
        The encoder's last hidden state, the only thing the decoder sees of the source.
    cache : tuple
    """
    emb, emb_cache = embedding_forward(src, params["src_emb"])
    H = params["enc_W_h"].shape[0]
    hs, gru_cache = gru_forward(emb, np.zeros((len(src), H)), *(params[f"enc_{k}"] for k in _GRU))
    return hs[:, -1], (emb_cache, gru_cache, hs.shape)


def seq2seq_forward(src, tgt_in, params):
    """Teacher-forced logits of every target position.

    Parameters
    ----------
    src : ndarray of shape (N, S), int
    tgt_in : ndarray of shape (N, T), int
        Decoder inputs, :func:`shift_right` of the target.
    params : dict

    Returns
    -------
    logits : ndarray of shape (N, T, V)
        ``logits[:, t]`` predicts target token t from the source and ``tgt_in[:, :t+1]``.
    cache : tuple
    """
    context, enc_cache = encode(src, params)
    emb, emb_cache = embedding_forward(tgt_in, params["tgt_emb"])
    hd, dec_cache = gru_forward(emb, context, *(params[f"dec_{k}"] for k in _GRU))
    return hd @ params["W_out"] + params["b_out"], (enc_cache, emb_cache, dec_cache, hd)


def seq2seq_backward(dlogits, cache, params):
    """Gradients of every parameter, back through decoder, context vector and encoder.

    Parameters
    ----------
    dlogits : ndarray of shape (N, T, V)
    cache : tuple
        From :func:`seq2seq_forward`.
    params : dict

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    """
    (src_emb_cache, enc_gru_cache, hs_shape), emb_cache, dec_cache, hd = cache
    g = {"W_out": np.einsum("nth,ntv->hv", hd, dlogits), "b_out": dlogits.sum(axis=(0, 1))}
    dx, dcontext, *gdec = gru_backward(dlogits @ params["W_out"].T, dec_cache)
    g.update({f"dec_{k}": v for k, v in zip(_GRU, gdec)})
    g["tgt_emb"] = embedding_backward(dx, emb_cache)
    dhs = np.zeros(hs_shape)
    dhs[:, -1] = dcontext
    dx_src, _, *genc = gru_backward(dhs, enc_gru_cache)
    g.update({f"enc_{k}": v for k, v in zip(_GRU, genc)})
    g["src_emb"] = embedding_backward(dx_src, src_emb_cache)
    return g


def seq2seq_loss(src, tgt, params):
    """Mean token cross-entropy under teacher forcing, and its gradients.

    Parameters
    ----------
    src : ndarray of shape (N, S), int
    tgt : ndarray of shape (N, T), int
        Target tokens, ending with EOS.
    params : dict

    Returns
    -------
    loss : float
    grads : dict
    """
    logits, cache = seq2seq_forward(src, shift_right(tgt), params)
    N, T, V = logits.shape
    loss, ce_cache = cross_entropy_forward(logits.reshape(N * T, V), tgt.reshape(-1))
    dlogits = cross_entropy_backward(1.0, ce_cache).reshape(N, T, V)
    return loss, seq2seq_backward(dlogits, cache, params)


def greedy_decode(src, params, max_len=10):
    """Generate by feeding back the most likely token until EOS (or ``max_len`` tokens).

    Parameters
    ----------
    src : ndarray of shape (N, S), int
    params : dict
    max_len : int

    Returns
    -------
    out : ndarray of shape (N, max_len), int
        Generated tokens; after a sequence's EOS every position is EOS.
    """
    h, _ = encode(src, params)
    token = np.full(len(src), BOS)
    out = np.full((len(src), max_len), EOS)
    done = np.zeros(len(src), dtype=bool)
    for t in range(max_len):
        h, _ = gru_step_forward(params["tgt_emb"][token], h, *(params[f"dec_{k}"] for k in _GRU))
        token = np.argmax(h @ params["W_out"] + params["b_out"], axis=-1)
        out[~done, t] = token[~done]
        done |= token == EOS
        if done.all():
            break
    return out


def reversal_task(K=4, L=3):
    """Every source sequence of L symbols from K, with its reversal followed by EOS as target.

    Parameters
    ----------
    K, L : int

    Returns
    -------
    src : ndarray of shape (K**L, L), int
    tgt : ndarray of shape (K**L, L + 1), int
    """
    grid = np.stack(np.meshgrid(*[np.arange(K)] * L, indexing="ij"), axis=-1).reshape(-1, L) + 2
    return grid, np.concatenate([grid[:, ::-1], np.full((len(grid), 1), EOS)], axis=1)


def train_seq2seq(src, tgt, params, steps=300, lr=0.02):
    """Full-batch Adam on the teacher-forced loss.

    Parameters
    ----------
    src : ndarray of shape (N, S), int
    tgt : ndarray of shape (N, T), int
    params : dict
        Initial parameters (not modified).
    steps : int
    lr : float

    Returns
    -------
    params : dict
    losses : list of float
    """
    params = {k: v.copy() for k, v in params.items()}
    states = {k: adam_init(v) for k, v in params.items()}
    losses = []
    for _ in range(steps):
        loss, grads = seq2seq_loss(src, tgt, params)
        if not np.isfinite(loss):
            raise ValueError("loss is not finite: lower the learning rate")
        losses.append(loss)
        for k in params:
            params[k], states[k] = adam_step(params[k], grads[k], states[k], lr=lr)
    return params, losses


# ---------------------------------------------------------------------------- checks


def _problem(seed=0, V=5, E=3, H=4):
    rng = np.random.default_rng(seed)
    src = rng.integers(2, V, size=(2, 3))
    tgt = np.concatenate([rng.integers(2, V, size=(2, 3)), np.full((2, 1), EOS)], axis=1)
    return src, tgt, init_seq2seq(V, E, H, rng)


def check_backward_matches_numerical_gradient():
    # Centred differences in float64 for all 12 parameter arrays; relative error below 1e-6.
    src, tgt, params = _problem()
    _, grads = seq2seq_loss(src, tgt, params)
    for k in params:
        num = numerical_gradient(lambda z, k=k: seq2seq_loss(src, tgt, {**params, k: z})[0], params[k].copy())
        assert_gradient_close(grads[k], num, tol=1e-6, what=k)


def check_teacher_forced_logits_are_causal_in_the_target():
    src, tgt, params = _problem(1)
    tgt_in = shift_right(tgt)
    logits, _ = seq2seq_forward(src, tgt_in, params)
    changed = tgt_in.copy()
    changed[:, 2] = (tgt_in[:, 2] - 1) % 3 + 2  # a different symbol in {2, 3, 4}
    logits2, _ = seq2seq_forward(src, changed, params)
    assert_close(logits2[:, :2], logits[:, :2], rtol=0, what="positions before the change")
    assert not np.allclose(logits2[:, 2:], logits[:, 2:])


def check_decoder_sees_the_source_only_through_the_context_vector():
    # Two different sources reach the decoder only via encode(); swapping in the other source's
    # context vector gives exactly the other source's predictions.
    src, tgt, params = _problem(2)
    c, _ = encode(src, params)
    emb = params["tgt_emb"][shift_right(tgt)]
    hd, _ = gru_forward(emb, c[::-1], *(params[f"dec_{k}"] for k in _GRU))
    logits_swapped = hd @ params["W_out"] + params["b_out"]
    logits_other, _ = seq2seq_forward(src[::-1], shift_right(tgt), params)
    assert_close(logits_swapped[0], logits_other[0], rtol=1e-12)


def check_greedy_decoding_matches_teacher_forcing_on_its_own_output():
    # Feeding the greedy output back as teacher-forcing input reproduces the same argmaxes.
    src, _, params = _problem(3)
    out = greedy_decode(src, params, max_len=4)
    logits, _ = seq2seq_forward(src, shift_right(out), params)
    first_eos = [list(o).index(EOS) if EOS in o else 4 for o in out]
    for n in range(len(src)):
        m = first_eos[n] + 1 if first_eos[n] < 4 else 4
        assert np.array_equal(logits[n, :m].argmax(-1), out[n, :m])


def check_training_learns_to_reverse():
    src, tgt = reversal_task(K=3, L=3)
    params, losses = train_seq2seq(src, tgt, init_seq2seq(5, 8, 24, np.random.default_rng(4)), steps=100)
    assert losses[-1] < 0.1 * losses[0]
    assert np.mean(np.all(greedy_decode(src, params, max_len=4) == tgt, axis=1)) == 1.0


def check_extreme_embeddings_stay_finite():
    src, tgt, params = _problem(5)
    big = {**params, "src_emb": 1e8 * params["src_emb"], "tgt_emb": 1e8 * params["tgt_emb"]}
    loss, grads = seq2seq_loss(src[:1], tgt[:1], big)  # and a batch of one
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads.values())


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    src, tgt = reversal_task(K=4, L=3)
    print(f"task: reverse {len(src)} sequences of 3 symbols; e.g. {src[6]} -> {tgt[6]} (1 = EOS)")
    print("teacher-forcing decoder input:", shift_right(tgt[6:7])[0], "(0 = BOS)")
    params0 = init_seq2seq(6, 8, 24, np.random.default_rng(0))
    params, losses = train_seq2seq(src, tgt, params0, steps=120)
    print("loss at steps 0, 20, 40, 119:", np.array(losses)[[0, 20, 40, 119]])
    out = greedy_decode(src, params, max_len=5)
    print("greedy decoding, sequences exactly right:", int(np.all(out[:, :4] == tgt, axis=1).sum()), "of", len(src))
    for i in (6, 27, 57):
        print(f"  {src[i]} -> {out[i, :4]}")
    c, _ = encode(src[[6, 27]], params)
    print("context vector shape (N, H):", c.shape, "- fixed, whatever the source length")
