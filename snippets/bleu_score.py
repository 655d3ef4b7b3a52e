"""BLEU: clipped n-gram precision of a translation against references, with a brevity penalty.

    BLEU = BP * exp( sum_{n=1}^{4} (1/4) log p_n ),   BP = 1 if c > r else exp(1 - r/c)

Conventions follow SacreBLEU (``sacrebleu.corpus_bleu(hypotheses, references)``),
with ``tokenize="none"`` (tokens are whitespace-separated; SacreBLEU's default
13a tokenizer would first split punctuation):

- scores on a 0-100 scale; ``references`` is a list of reference *streams*:
  ``references[k][i]`` is the k-th reference of sentence i;
- p_n pools clipped matches and candidate n-grams over the whole corpus
  (corpus BLEU is not the mean of sentence BLEUs);
- r is the sum over sentences of the reference length closest to the
  hypothesis length, ties going to the shorter reference (NLTK agrees);
- ``smooth_method`` "exp" (SacreBLEU's default, the NIST geometric smoothing;
  NLTK's ``SmoothingFunction().method3``), "floor" (a zero count becomes
  ``smooth_value``, default 0.1; NLTK's ``method1`` with epsilon 0.1), "add-k"
  (add k, default 1, to matches and totals for n >= 2) or "none";
- no unigram match at all, or an empty output, scores 0 whatever the smoothing.

NLTK's ``corpus_bleu(list_of_references, hypotheses)`` takes the references
per sentence, first, and returns a value in [0, 1] without smoothing by default.
"""

import math
from collections import Counter

import numpy as np
from termbook.checks import assert_close

__all__ = ["ngram_counts", "bleu_statistics", "compute_bleu", "corpus_bleu", "sentence_bleu"]

SMOOTH_DEFAULTS = {"none": None, "exp": None, "floor": 0.1, "add-k": 1}


def ngram_counts(tokens, n):
    """Multiset of the n-grams of a token list, like ``sacrebleu.metrics.helpers.extract_all_word_ngrams(line, n, n)``.

    Parameters
    ----------
    tokens : list of str, length L
    n : int

    Returns
    -------
    counts : collections.Counter
        Maps each n-gram (a tuple of n tokens) to its number of occurrences; L - n + 1 in total.
    """
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def bleu_statistics(hypothesis, references, max_order=4):
    """Sufficient statistics of one sentence, as SacreBLEU's ``BLEU._compute_segment_statistics``.

    Parameters
    ----------
    hypothesis : list of str
        Candidate tokens.
    references : list of list of str
        One or more reference token lists.
    max_order : int

    Returns
    -------
    correct : ndarray of shape (max_order,)
        Clipped matches per order: each candidate n-gram counts at most as often
        as it occurs in the reference where it occurs most.
    total : ndarray of shape (max_order,)
        Candidate n-grams per order.
    hyp_len : int
    ref_len : int
        Closest reference length (ties: the shorter).
    """
    correct, total = np.zeros(max_order, dtype=np.int64), np.zeros(max_order, dtype=np.int64)
    for n in range(1, max_order + 1):
        hyp = ngram_counts(hypothesis, n)
        max_ref = Counter()
        for ref in references:
            max_ref |= ngram_counts(ref, n)  # elementwise max of counts
        correct[n - 1] = sum(min(c, max_ref[g]) for g, c in hyp.items())
        total[n - 1] = sum(hyp.values())
    hyp_len = len(hypothesis)
    ref_len = min((len(r) for r in references), key=lambda rl: (abs(rl - hyp_len), rl))
    return correct, total, hyp_len, ref_len


def compute_bleu(correct, total, sys_len, ref_len, smooth_method="exp", smooth_value=None, use_effective_order=False):
    """BLEU (0-100) from corpus statistics: the arithmetic of SacreBLEU's ``BLEU.compute_bleu``.

    The default smoothing here is the "exp" of ``sacrebleu.corpus_bleu`` and of
    the ``BLEU`` metric object.

    Parameters
    ----------
    correct : ndarray of shape (N_ORDER,)
        Clipped matches summed over sentences.
    total : ndarray of shape (N_ORDER,)
        Candidate n-grams summed over sentences.
    sys_len : int
        Total hypothesis length c.
    ref_len : int
        Total effective reference length r.
    smooth_method : {"exp", "floor", "add-k", "none"}
    smooth_value : float, optional
        For "floor" (default 0.1) and "add-k" (default 1).
    use_effective_order : bool
        Average only over the orders for which the hypothesis has n-grams
        (SacreBLEU's sentence-level default).

    Returns
    -------
    score : float
        In [0, 100].
    precisions : ndarray of shape (N_ORDER,)
        Smoothed modified precisions p_n in percent.
    bp : float
        Brevity penalty.
    """
    if smooth_method not in SMOOTH_DEFAULTS:
        raise ValueError(f"smooth_method must be one of {sorted(SMOOTH_DEFAULTS)}")
    if smooth_value is None:
        smooth_value = SMOOTH_DEFAULTS[smooth_method]
    correct = np.asarray(correct, dtype=np.float64).copy()
    total = np.asarray(total, dtype=np.float64).copy()
    order = len(correct)
    bp = 1.0 if sys_len >= ref_len else (math.exp(1.0 - ref_len / sys_len) if sys_len > 0 else 0.0)
    precisions = np.zeros(order)
    if not correct.any():
        return 0.0, precisions, bp  # no match at all: 0, whatever the smoothing
    smooth_mteval, effective = 1.0, order
    for n in range(1, order + 1):
        if smooth_method == "add-k" and n > 1:
            correct[n - 1] += smooth_value
            total[n - 1] += smooth_value
        if total[n - 1] == 0:
            break  # hypothesis shorter than n: higher precisions stay 0
        if use_effective_order:
            effective = n
        if correct[n - 1] == 0:
            if smooth_method == "exp":
                smooth_mteval *= 2  # 1/2, 1/4, 1/8 ... of a match for successive empty orders
                precisions[n - 1] = 100.0 / (smooth_mteval * total[n - 1])
            elif smooth_method == "floor":
                precisions[n - 1] = 100.0 * smooth_value / total[n - 1]
        else:
            precisions[n - 1] = 100.0 * correct[n - 1] / total[n - 1]
    used = precisions[:effective]
    if np.any(used == 0):
        return 0.0, precisions, bp  # geometric mean with a zero factor
    return float(bp * np.exp(np.mean(np.log(used)))), precisions, bp


def corpus_bleu(hypotheses, references, smooth_method="exp", smooth_value=None, max_order=4):
    """Corpus BLEU like ``sacrebleu.corpus_bleu(hypotheses, references, tokenize="none")``.

    Parameters
    ----------
    hypotheses : list of str, length S
        System outputs, tokens separated by spaces.
    references : list of (list of str, length S), length K
        K reference streams.
    smooth_method, smooth_value : see :func:`compute_bleu`
    max_order : int

    Returns
    -------
    score : float
        In [0, 100].
    precisions : ndarray of shape (max_order,)
    bp : float
    """
    if any(len(stream) != len(hypotheses) for stream in references):
        raise ValueError("every reference stream needs one reference per hypothesis")
    correct, total = np.zeros(max_order, dtype=np.int64), np.zeros(max_order, dtype=np.int64)
    sys_len = ref_len = 0
    for i, hyp in enumerate(hypotheses):
        c, t, h, r = bleu_statistics(hyp.split(), [stream[i].split() for stream in references], max_order)
        correct, total, sys_len, ref_len = correct + c, total + t, sys_len + h, ref_len + r
    return compute_bleu(correct, total, sys_len, ref_len, smooth_method, smooth_value)


def sentence_bleu(hypothesis, references, smooth_method="exp", smooth_value=None):
    """Sentence BLEU like ``sacrebleu.sentence_bleu(hypothesis, references)`` (effective order on).

    Parameters
    ----------
    hypothesis : str
    references : list of str
        The references of this one sentence.

    Returns
    -------
    score : float
        In [0, 100]; noisy, use for analysis rather than for comparing systems.
    """
    c, t, h, r = bleu_statistics(hypothesis.split(), [ref.split() for ref in references])
    return compute_bleu(c, t, h, r, smooth_method, smooth_value, use_effective_order=True)[0]


# ----------------------------------------------------------------------------- checks


def check_modified_precision_example_of_papineni():
    # Papineni et al.'s example: "the" seven times is clipped to the 2 "the" of reference 1.
    hyp = "the the the the the the the".split()
    refs = ["the cat is on the mat".split(), "there is a cat on the mat".split()]
    correct, total, _, _ = bleu_statistics(hyp, refs)
    assert correct[0] == 2 and total[0] == 7 and correct[1] == 0


def check_identical_output_scores_100_and_no_match_scores_0():
    ref = "the quick brown fox jumps over the lazy dog"
    assert np.isclose(corpus_bleu([ref], [[ref]])[0], 100.0)
    for method in SMOOTH_DEFAULTS:
        assert corpus_bleu(["cats purr"], [[ref]], smooth_method=method)[0] == 0.0
    assert corpus_bleu([""], [[ref]])[0] == 0.0  # empty output: BP = 0


def check_brevity_penalty_and_closest_reference_tie():
    c, t, h, r = bleu_statistics("a b c".split(), ["a b c d".split(), "a b".split()])
    assert (h, r) == (3, 2)  # |3-4| = |3-2|: the tie goes to the shorter reference, so no penalty
    score, prec, bp = compute_bleu([6, 5, 4, 3], [6, 5, 4, 3], sys_len=6, ref_len=8)
    assert np.isclose(bp, np.exp(1 - 8 / 6)) and np.isclose(score, 100 * bp)
    assert compute_bleu([6, 5, 4, 3], [6, 5, 4, 3], sys_len=8, ref_len=8)[2] == 1.0


def check_smoothing_of_a_missing_4gram():
    hyp = ["the cat sat in the mat"]
    ref = [["the cat sat on the mat"]]
    none, prec, _ = corpus_bleu(hyp, ref, smooth_method="none")
    assert none == 0.0 and prec[3] == 0.0  # no 4-gram matches
    exp, prec, bp = corpus_bleu(hyp, ref)
    # Counts: 1-grams 5/6, 2-grams 3/5, 3-grams 1/4, 4-grams 0/3 -> 100 / (2 * 3) with "exp".
    assert_close(prec, [500 / 6, 300 / 5, 100 / 4, 100 / 6], rtol=1e-12)
    assert bp == 1.0 and np.isclose(exp, np.exp(np.mean(np.log(prec))))
    floor, prec_f, _ = corpus_bleu(hyp, ref, smooth_method="floor")
    assert np.isclose(prec_f[3], 100 * 0.1 / 3) and floor < exp


def check_corpus_bleu_pools_statistics_not_scores():
    hyps = ["the cat sat on the mat", "a dog"]
    refs = [["the cat sat on the mat", "the dog barked"]]
    corpus = corpus_bleu(hyps, refs)[0]
    mean_sentence = np.mean([sentence_bleu(h, [r]) for h, r in zip(hyps, refs[0])])
    assert not np.isclose(corpus, mean_sentence)
    # Pooling: the long, perfect sentence dominates the corpus score.
    assert corpus > 50


def check_word_order_beyond_unigrams_matters():
    ref = [["the quick brown fox jumps over the lazy dog"]]
    scrambled = corpus_bleu(["dog lazy the over jumps fox brown quick the"], ref)
    assert scrambled[1][0] == 100.0  # every word is right ...
    assert scrambled[0] < 20.0  # ... but almost no bigram is


def check_multiple_references_clip_at_the_maximum():
    c, t, _, _ = bleu_statistics("the the cat".split(), ["the cat".split(), "the the dog".split()])
    assert c[0] == 3 and t[0] == 3  # "the" may match twice thanks to reference 2


if __name__ == "__main__":
    np.set_printoptions(precision=2, suppress=True)
    hyps = ["the cat sat on the red mat", "there is a dog in the garden"]
    refs = [["the cat sat on the mat", "there is a dog in the garden"], ["a cat was sitting on the mat", "a dog is in the garden"]]
    score, prec, bp = corpus_bleu(hyps, refs)
    print("modified n-gram precisions (%):", prec)
    print(f"brevity penalty {bp:.4f}, corpus BLEU = {score:.2f}")
    s1 = sentence_bleu(hyps[0], [refs[0][0], refs[1][0]])
    s2 = sentence_bleu(hyps[1], [refs[0][1], refs[1][1]])
    print(f"sentence BLEU: {s1:.2f} and {s2:.2f}; their mean {(s1 + s2) / 2:.2f} is not the corpus score")
    one = (["the cat sat in the mat"], [["the cat sat on the mat"]])
    print(
        f"no 4-gram match: smooth none {corpus_bleu(*one, smooth_method='none')[0]:.2f}, "
        f"exp {corpus_bleu(*one)[0]:.2f}, floor {corpus_bleu(*one, smooth_method='floor')[0]:.2f}"
    )
    short = corpus_bleu(["the cat sat on"], [["the cat sat on the mat"]])
    print(f"'the cat sat on' against 'the cat sat on the mat': precisions all 100, BP = exp(1 - 6/4) = {short[2]:.4f}, BLEU {short[0]:.2f}")
