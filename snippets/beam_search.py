"""Beam search: decode a sequence model by keeping the k most probable partial outputs.

The model is any function that, given a list of prefixes, returns the log-probabilities of the
next token after each one. Each step extends every prefix in the beam by every token, scores
the extensions by their total log-probability, and keeps the best ``beam_size``; a prefix that
ends in EOS leaves the beam and joins the finished hypotheses.

The interface mirrors Hugging Face ``model.generate(num_beams=k, length_penalty=alpha,
early_stopping=...)``: finished hypotheses are ranked by ``sum_logprobs / length ** alpha``,
where the length here counts generated tokens (EOS included, BOS not). ``alpha = 0`` ranks by raw
log-probability, which favours short outputs; Hugging Face's default is ``alpha = 1``.
"""

import itertools

import numpy as np
from termbook.checks import assert_close

BOS, EOS = 0, 1


def _normalised(logprob, length, length_penalty):
    return logprob / (length**length_penalty)


def beam_search(log_prob_fn, beam_size, max_len, length_penalty=0.0):
    """Approximate the most probable output by breadth-first search with a beam of width k.

    Parameters
    ----------
    log_prob_fn : callable
        ``log_prob_fn(prefixes) -> ndarray of shape (B, V)``: log-probabilities of the next token
        after each of the B prefixes (tuples of ints starting with BOS). ``-inf`` marks
        impossible tokens.
    beam_size : int
        k, the number of prefixes kept at each step (1 gives greedy decoding).
    max_len : int
        Maximum number of generated tokens.
    length_penalty : float
        alpha in ``score = sum_logprobs / length ** alpha``.

    Returns
    -------
    hyps : list of (tuple, float, float)
        ``(tokens, sum_logprob, score)`` of finished hypotheses, best score first; ``tokens``
        excludes BOS. If nothing reached EOS within ``max_len``, the unfinished beam is returned.
    """
    if beam_size < 1 or max_len < 1:
        raise ValueError("beam_size and max_len must be at least 1")
    alive = [((BOS,), 0.0)]
    finished = []
    for _ in range(max_len):
        lp = np.asarray(log_prob_fn([seq for seq, _ in alive]), dtype=np.float64)
        cand = np.array([s for _, s in alive])[:, None] + lp  # (B, V) total log-probabilities
        V = cand.shape[1]
        order = np.argsort(-cand, axis=None, kind="stable")
        new_alive = []
        for rank, idx in enumerate(order):
            b, v = divmod(int(idx), V)
            if not np.isfinite(cand[b, v]) or len(new_alive) == beam_size:
                break
            seq = alive[b][0] + (v,)
            if v == EOS:
                if rank < beam_size:  # only an EOS that ranks inside the beam finishes a hypothesis
                    finished.append((seq, float(cand[b, v])))
            else:
                new_alive.append((seq, float(cand[b, v])))
        alive = new_alive
        if not alive:
            break
        if length_penalty == 0.0 and len(finished) >= beam_size:
            # Log-probabilities only decrease as a prefix grows, so no alive prefix can still beat
            # the k-th best finished hypothesis once it is already below it.
            kth = sorted((s for _, s in finished), reverse=True)[beam_size - 1]
            if max(s for _, s in alive) <= kth:
                break
    pool = finished if finished else alive
    hyps = [(seq[1:], s, _normalised(s, len(seq) - 1, length_penalty)) for seq, s in pool]
    return sorted(hyps, key=lambda h: -h[2])


def greedy_decode(log_prob_fn, max_len):
    """Take the single most probable token at every step (beam search with k = 1).

    Parameters
    ----------
    log_prob_fn : callable
        As in :func:`beam_search`.
    max_len : int

    Returns
    -------
    tokens : tuple of int
        Generated tokens, ending with EOS unless ``max_len`` was reached.
    logprob : float
    """
    seq, total = (BOS,), 0.0
    for _ in range(max_len):
        lp = np.asarray(log_prob_fn([seq]), dtype=np.float64)[0]
        v = int(np.argmax(lp))
        seq, total = seq + (v,), total + float(lp[v])
        if v == EOS:
            break
    return seq[1:], total


def exhaustive_search(log_prob_fn, V, max_len, length_penalty=0.0):
    """The exact best EOS-terminated output, by scoring every sequence (exponential cost).

    Parameters
    ----------
    log_prob_fn : callable
    V : int
        Vocabulary size.
    max_len : int
    length_penalty : float

    Returns
    -------
    tokens : tuple of int
    score : float
    """
    best = ((), -np.inf)
    symbols = [v for v in range(V) if v not in (BOS, EOS)]
    for n in range(max_len):
        for body in itertools.product(symbols, repeat=n):
            seq = (BOS,) + body + (EOS,)
            s = sequence_logprob(log_prob_fn, seq)
            score = _normalised(s, len(seq) - 1, length_penalty)
            if score > best[1]:
                best = (seq[1:], score)
    return best


def sequence_logprob(log_prob_fn, seq):
    """Total log-probability of a complete sequence under the model (chain rule).

    Parameters
    ----------
    log_prob_fn : callable
    seq : tuple of int
        Starting with BOS.

    Returns
    -------
    float
    """
    return float(sum(log_prob_fn([seq[:t]])[0][seq[t]] for t in range(1, len(seq))))


def bigram_model(P):
    """A toy model: the next token depends only on the previous one, ``P[prev, next]``.

    Parameters
    ----------
    P : ndarray of shape (V, V)
        Row-stochastic transition matrix (zeros allowed).

    Returns
    -------
    log_prob_fn : callable
        For :func:`beam_search`.
    """
    with np.errstate(divide="ignore"):
        logP = np.log(np.asarray(P, dtype=np.float64))
    return lambda prefixes: logP[[p[-1] for p in prefixes]]


# Tokens: 0 BOS, 1 EOS, 2 "a", 3 "b", 4 "c". Greedy grabs "a" (0.5), after which every
# continuation is uncertain; "b" (0.4) is nearly always followed by EOS (0.9).
TRAP = np.array(
    [
        [0.0, 0.0, 0.5, 0.4, 0.1],
        [0.0, 1.0, 0.0, 0.0, 0.0],
        [0.0, 0.1, 0.3, 0.3, 0.3],
        [0.0, 0.9, 0.05, 0.05, 0.0],
        [0.0, 0.5, 0.2, 0.2, 0.1],
    ]
)
NAMES = {1: "EOS", 2: "a", 3: "b", 4: "c"}


def _show(tokens):
    return " ".join(NAMES[t] for t in tokens)


# ---------------------------------------------------------------------------- checks


def _random_model(seed, V=5):
    rng = np.random.default_rng(seed)
    P = rng.dirichlet(np.full(V, 0.5), size=V)
    P[:, BOS] = 0.0
    P /= P.sum(axis=1, keepdims=True)
    return bigram_model(P)


def check_beam_of_one_is_greedy():
    for seed in range(5):
        f = _random_model(seed)
        tokens, lp = greedy_decode(f, 6)
        hyp = beam_search(f, 1, 6)[0]
        assert hyp[0] == tokens
        assert_close(hyp[1], lp, rtol=1e-12)


def check_scores_are_the_chain_rule_log_probabilities():
    f = _random_model(5)
    for tokens, lp, score in beam_search(f, 3, 6):
        assert_close(lp, sequence_logprob(f, (BOS,) + tokens), rtol=1e-12)
        assert_close(score, lp, rtol=0)  # length_penalty = 0


def check_unpruned_beam_is_exact_search():
    # A beam wider than the number of prefixes never prunes, so it finds the exact optimum.
    for seed in range(6, 10):
        f = _random_model(seed)
        for alpha in (0.0, 1.0):
            best_tokens, best_score = exhaustive_search(f, 5, 4, alpha)
            hyp = beam_search(f, 3**4, 4, length_penalty=alpha)[0]
            assert hyp[0] == best_tokens
            assert_close(hyp[2], best_score, rtol=1e-12)


def check_beam_escapes_the_greedy_trap():
    f = bigram_model(TRAP)
    greedy_tokens, greedy_lp = greedy_decode(f, 5)
    best = beam_search(f, 2, 5)[0]
    assert greedy_tokens[0] == 2 and best[0] == (3, EOS)
    assert best[1] > greedy_lp
    assert_close(np.exp(best[1]), 0.36, rtol=1e-12)


def check_length_penalty_lets_longer_outputs_win():
    # Raw log-probability always prefers stopping early when every token costs probability.
    f = bigram_model(TRAP)
    short = beam_search(f, 4, 6, length_penalty=0.0)[0][0]
    long = beam_search(f, 4, 6, length_penalty=2.0)[0][0]
    assert len(long) > len(short)


def check_impossible_tokens_are_never_chosen_and_no_nan():
    P = np.zeros((5, 5))
    P[BOS, 2] = 1.0  # after BOS only "a"
    P[2, 3] = 1.0  # after "a" only "b"
    P[3, EOS] = 1.0
    P[4, EOS] = P[1, EOS] = 1.0
    hyps = beam_search(bigram_model(P), 4, 5)
    assert len(hyps) == 1 and hyps[0][0] == (2, 3, EOS)
    assert hyps[0][1] == 0.0 and all(np.isfinite(h[2]) for h in hyps)


def check_unfinished_beam_is_returned_at_the_length_limit():
    P = np.full((5, 5), 1 / 3)
    P[:, :2] = 0.0  # EOS impossible
    hyps = beam_search(bigram_model(P), 2, 3)
    assert len(hyps) == 2 and all(len(t) == 3 and EOS not in t for t, _, _ in hyps)


if __name__ == "__main__":
    f = bigram_model(TRAP)
    tokens, lp = greedy_decode(f, 5)
    print(f"greedy:        {_show(tokens):<14} p = {np.exp(lp):.4f}")
    for k in (2, 3):
        hyps = beam_search(f, k, 5)
        print(
            f"beam k = {k}:    {_show(hyps[0][0]):<14} p = {np.exp(hyps[0][1]):.4f}   "
            f"(runner-up: {_show(hyps[1][0])}, p = {np.exp(hyps[1][1]):.4f})"
        )
    best, score = exhaustive_search(f, 5, 5)
    print(f"exact search:  {_show(best):<14} p = {np.exp(score):.4f}")
    print("length penalty alpha (score = log p / length**alpha), beam k = 4:")
    for alpha in (0.0, 1.0, 2.0):
        t, lp, s = beam_search(f, 4, 6, length_penalty=alpha)[0]
        print(f"  alpha = {alpha}: {_show(t):<14} p = {np.exp(lp):.4f}, score = {s:.3f}")
