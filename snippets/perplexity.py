"""Perplexity: the exponential of the average negative log-likelihood per token.

    PPL = exp( -(1/T) sum_t log p(x_t | x_<t) )

Convention of PyTorch / Hugging Face language-model evaluation:
``torch.exp(F.cross_entropy(logits.view(-1, V), labels.view(-1),
ignore_index=-100))``, i.e. natural-log cross-entropy averaged over the
*non-ignored* tokens, then exponentiated. Padding and prompt tokens carry the
label -100 and count neither in the numerator nor in the denominator.

Corpus perplexity is exp(total NLL / total tokens), not the mean of
per-sequence perplexities. Where PyTorch returns NaN (every label ignored),
these functions raise ``ValueError``.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.cross_entropy import cross_entropy
from snippets.softmax import log_softmax

__all__ = ["token_nll", "perplexity", "corpus_perplexity", "IGNORE_INDEX"]

IGNORE_INDEX = -100


def token_nll(logits, labels, ignore_index=IGNORE_INDEX):
    """Negative log-likelihood (nats) of each kept label, like ``F.cross_entropy(..., reduction="none")``.

    Parameters
    ----------
    logits : ndarray of shape (T, V)
        Next-token logits, already aligned so that row t scores ``labels[t]``
        (for a causal LM: logits of positions 0..T-1 against tokens 1..T).
    labels : ndarray of shape (T,)
        Token ids in ``[0, V)``, or ``ignore_index`` for positions to skip.
    ignore_index : int
        Label value that is left out (PyTorch's default -100).

    Returns
    -------
    nll : ndarray of shape (K,)
        ``-log softmax(logits[t])[labels[t]]`` for the K kept positions.
    """
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise ValueError("logits must have shape (T, V) and labels shape (T,)")
    keep = labels != ignore_index
    kept = labels[keep]
    if np.any(kept < 0) or np.any(kept >= logits.shape[1]):
        raise ValueError("labels must lie in [0, V) or equal ignore_index")
    # log-softmax never forms probabilities, so a very unlikely token gives a large finite NLL.
    logp = log_softmax(logits[keep], axis=-1)
    return -logp[np.arange(kept.size), kept]


def perplexity(logits, labels, ignore_index=IGNORE_INDEX, base=None):
    """``exp(mean NLL)`` over the kept tokens, like ``torch.exp(F.cross_entropy(logits, labels, ignore_index=-100))``.

    Parameters
    ----------
    logits : ndarray of shape (T, V)
    labels : ndarray of shape (T,)
    ignore_index : int
    base : float, optional
        Ignored unless given: then returns ``base ** (mean NLL / ln base)``, the
        same number (perplexity does not depend on the log base, as long as
        exponent and logarithm match).

    Returns
    -------
    ppl : float
        >= 1; equals V for a uniform model; the effective number of equally
        likely choices the model hesitates between at each step.
    """
    nll = token_nll(logits, labels, ignore_index)
    if nll.size == 0:
        raise ValueError("every label is ignore_index: perplexity of zero tokens is undefined")
    mean = float(np.mean(nll))
    if base is not None:
        return float(base ** (mean / np.log(base)))
    return float(np.exp(mean))


def corpus_perplexity(sequences, ignore_index=IGNORE_INDEX):
    """Perplexity of several sequences together: ``exp(sum of NLL / number of tokens)``.

    Token-weighted, like exponentiating the mean loss over a whole evaluation
    set; not the plain mean of per-text perplexities that Hugging Face
    ``evaluate``'s "perplexity" metric reports as ``mean_perplexity``.

    Parameters
    ----------
    sequences : list of (ndarray of shape (T_j, V), ndarray of shape (T_j,))
        (logits, labels) pairs of possibly different lengths.
    ignore_index : int

    Returns
    -------
    ppl : float
        Token-weighted: a long sequence counts more than a short one.
    """
    nlls = [token_nll(lg, lb, ignore_index) for lg, lb in sequences]
    total = sum(n.size for n in nlls)
    if total == 0:
        raise ValueError("no tokens to score")
    return float(np.exp(sum(n.sum() for n in nlls) / total))


# ----------------------------------------------------------------------------- checks


def _example(seed=0, t=12, v=6):
    rng = np.random.default_rng(seed)
    return rng.normal(scale=2.0, size=(t, v)), rng.integers(0, v, size=t)


def check_is_exp_of_mean_cross_entropy():
    logits, labels = _example()
    assert_close(perplexity(logits, labels), np.exp(cross_entropy(logits, labels)), rtol=1e-12)
    # Geometric mean of inverse probabilities: (prod 1/p_t)^(1/T).
    p = np.exp(log_softmax(logits))[np.arange(12), labels]
    assert_close(perplexity(logits, labels), np.prod(1 / p) ** (1 / 12), rtol=1e-10)


def check_uniform_model_scores_vocabulary_size_and_bounds():
    v = 50
    assert np.isclose(perplexity(np.zeros((7, v)), np.arange(7)), v)
    # A confident, correct model approaches 1 from above.
    logits = np.full((5, v), -30.0)
    logits[np.arange(5), np.arange(5)] = 30.0
    ppl = perplexity(logits, np.arange(5))
    assert 1.0 <= ppl <= 1.0 + 1e-12


def check_ignore_index_is_excluded_from_numerator_and_denominator():
    logits, labels = _example(1)
    masked = labels.copy()
    masked[[0, 3, 4]] = IGNORE_INDEX
    keep = masked != IGNORE_INDEX
    assert np.isclose(perplexity(logits, masked), perplexity(logits[keep], labels[keep]))
    try:
        perplexity(logits, np.full(12, IGNORE_INDEX))
    except ValueError:
        pass
    else:
        raise AssertionError("all-ignored labels must raise")


def check_corpus_perplexity_is_token_weighted_not_mean_of_ppls():
    a, b = _example(2, t=3), _example(3, t=30)
    corpus = corpus_perplexity([a, b])
    joined = perplexity(np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))
    assert np.isclose(corpus, joined)
    mean_of_ppls = (perplexity(*a) + perplexity(*b)) / 2
    assert not np.isclose(corpus, mean_of_ppls)
    # AM-GM: the arithmetic mean of perplexities is at least their geometric mean.
    assert np.exp(np.mean([np.log(perplexity(*a)), np.log(perplexity(*b))])) <= mean_of_ppls


def check_base_does_not_matter_and_extreme_logits_stay_finite():
    logits, labels = _example(4)
    assert np.isclose(perplexity(logits, labels, base=2.0), perplexity(logits, labels))
    bits = np.mean(token_nll(logits, labels)) / np.log(2)
    assert np.isclose(2.0**bits, perplexity(logits, labels))
    # The true token is 1000 nats less likely than the best one: finite NLL, not inf.
    nll = token_nll(np.array([[1000.0, 0.0]]), np.array([1]))
    assert np.isclose(nll[0], 1000.0)


def check_per_word_vs_per_token_normalisation():
    # Same total NLL, different units: more tokens per word -> lower per-token perplexity.
    logits, labels = _example(5, t=12)
    total = token_nll(logits, labels).sum()
    n_words = 8  # say the 12 tokens spell 8 words
    ppl_token, ppl_word = np.exp(total / 12), np.exp(total / n_words)
    assert np.isclose(ppl_token, perplexity(logits, labels))
    assert np.isclose(ppl_word, ppl_token ** (12 / n_words)) and ppl_word > ppl_token


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    # Five next-token predictions over a vocabulary of 4; the last position is padding.
    probs = np.array(
        [
            [0.70, 0.10, 0.10, 0.10],
            [0.25, 0.25, 0.25, 0.25],
            [0.05, 0.80, 0.10, 0.05],
            [0.10, 0.20, 0.30, 0.40],
            [0.97, 0.01, 0.01, 0.01],
        ]
    )
    logits = np.log(probs)
    labels = np.array([0, 2, 1, 2, IGNORE_INDEX])
    nll = token_nll(logits, labels)
    print("p(true token):     ", np.exp(-nll))
    print("NLL per token:     ", nll)
    print(f"mean NLL = {nll.mean():.4f} nats = {nll.mean() / np.log(2):.4f} bits")
    print(f"perplexity = exp(mean NLL) = {perplexity(logits, labels):.4f}  (padding ignored)")
    print(f"uniform model over 4 tokens: {perplexity(np.zeros((4, 4)), labels[:4]):.4f}")
    a = (logits[:1], labels[:1])
    b = (logits[1:4], labels[1:4])
    print(
        f"sequences of 1 and 3 tokens: PPLs {perplexity(*a):.4f} and {perplexity(*b):.4f}; "
        f"corpus PPL {corpus_perplexity([a, b]):.4f} (not their mean {(perplexity(*a) + perplexity(*b)) / 2:.4f})"
    )
