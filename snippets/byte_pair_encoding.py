"""Byte-pair encoding (BPE): learn a subword vocabulary by repeatedly merging the most frequent pair.

Two variants:

* **character BPE** as in Sennrich, Haddow and Birch (2016): words are sequences of characters
  ending in ``</w>``; training repeatedly merges the most frequent adjacent pair of symbols, counted
  over a word-frequency table (ties go to the pair seen first, as in the paper's reference code).
* **byte-level BPE** as in GPT-2 and tiktoken: the text is first split into chunks by a regex
  (a simplified form of GPT-2's pattern, which keeps a leading space with the word), each chunk
  is a sequence of UTF-8 bytes (ids 0-255), and merge number i creates token id 256 + i (in GPT-2's
  and tiktoken's vocabularies the first 256 ranks are also the single bytes, though not in
  byte-value order). Any string can be encoded, and decoding is exact.

Encoding a new word applies the learned merges in the order they were learned (lowest rank first),
which is what GPT-2's ``bpe()``, Hugging Face ``tokenizers.models.BPE`` and ``tiktoken`` do.
"""

import re
from collections import Counter

import numpy as np
from termbook.checks import assert_close

_CHUNK = re.compile(r" ?\w+| ?[^\w\s]+|\s+")


def pair_counts(words):
    """Count adjacent symbol pairs over a frequency table, in order of first appearance.

    Parameters
    ----------
    words : dict
        tuple of symbols -> frequency.

    Returns
    -------
    collections.Counter
        pair -> count (insertion order = order of first appearance).
    """
    counts = Counter()
    for symbols, freq in words.items():
        for pair in zip(symbols, symbols[1:]):
            counts[pair] += freq
    return counts


def merge_word(symbols, pair, new):
    """Replace every non-overlapping occurrence of ``pair`` in ``symbols``, left to right.

    Parameters
    ----------
    symbols : tuple
    pair : tuple of two symbols
    new : symbol
        What the pair becomes.

    Returns
    -------
    tuple
    """
    out, i = [], 0
    while i < len(symbols):
        if i + 1 < len(symbols) and (symbols[i], symbols[i + 1]) == pair:
            out.append(new)
            i += 2
        else:
            out.append(symbols[i])
            i += 1
    return tuple(out)


def learn_bpe(words, num_merges):
    """Learn merges from a word-frequency table (Sennrich et al., Algorithm 1).

    Parameters
    ----------
    words : dict
        tuple of symbols -> frequency, e.g. ``("l", "o", "w", "</w>"): 5``.
    num_merges : int
        Stops earlier if no pair is left.

    Returns
    -------
    merges : list of tuple
        The pairs in the order they were merged; the index is the merge's rank.
    words : dict
        The table segmented with all merges applied.
    """
    merges = []
    for _ in range(num_merges):
        counts = pair_counts(words)
        if not counts:
            break
        best = max(counts, key=counts.get)  # first of the most frequent pairs
        merges.append(best)
        joined = best[0] + best[1]
        words = {merge_word(s, best, joined): f for s, f in words.items()}
    return merges, words


def apply_bpe(symbols, merges):
    """Segment a new word by applying merges lowest rank first, as GPT-2's ``bpe()``.

    Parameters
    ----------
    symbols : tuple
        Initial symbols (characters with ``</w>``, or bytes).
    merges : list of tuple
        From :func:`learn_bpe` / :func:`train_byte_bpe`; for byte-level merges the third element of
        each entry is the new id.

    Returns
    -------
    tuple
    """
    rank = {m[:2]: i for i, m in enumerate(merges)}
    while len(symbols) > 1:
        pairs = set(zip(symbols, symbols[1:]))
        best = min(pairs, key=lambda p: rank.get(p, np.inf))
        if best not in rank:
            break
        m = merges[rank[best]]
        symbols = merge_word(symbols, best, m[2] if len(m) == 3 else best[0] + best[1])
    return symbols


def train_byte_bpe(text, num_merges):
    """Byte-level BPE on the regex chunks of ``text``; merge i creates token id 256 + i.

    Parameters
    ----------
    text : str
    num_merges : int

    Returns
    -------
    merges : list of (int, int, int)
        ``(left id, right id, new id)``.
    """
    words = Counter(tuple(c.encode("utf-8")) for c in _CHUNK.findall(text))
    merges = []
    for i in range(num_merges):
        counts = pair_counts(words)
        if not counts:
            break
        best = max(counts, key=counts.get)
        merges.append((best[0], best[1], 256 + i))
        words = Counter({merge_word(s, best, 256 + i): f for s, f in words.items()})
    return merges


def byte_vocab(merges):
    """Bytes of every token id: 0-255 are single bytes, merges concatenate their parts.

    Parameters
    ----------
    merges : list of (int, int, int)

    Returns
    -------
    dict
        id -> bytes.
    """
    vocab = {i: bytes([i]) for i in range(256)}
    for a, b, new in merges:
        vocab[new] = vocab[a] + vocab[b]
    return vocab


def encode(text, merges):
    """Token ids of ``text``, like ``tiktoken.Encoding.encode`` (without special tokens).

    Parameters
    ----------
    text : str
    merges : list of (int, int, int)

    Returns
    -------
    ndarray of shape (n_tokens,), int
    """
    ids, seen = [], {}  # each distinct chunk is segmented once (a repeated word reuses it)
    for chunk in _CHUNK.findall(text):
        if chunk not in seen:
            seen[chunk] = apply_bpe(tuple(chunk.encode("utf-8")), merges)
        ids.extend(seen[chunk])
    return np.array(ids, dtype=int)


def decode(ids, merges):
    """Text of token ids; exact inverse of :func:`encode`.

    Parameters
    ----------
    ids : sequence of int
    merges : list of (int, int, int)

    Returns
    -------
    str
    """
    vocab = byte_vocab(merges)
    return b"".join(vocab[int(i)] for i in ids).decode("utf-8", errors="replace")


PAPER_WORDS = {
    ("l", "o", "w", "</w>"): 5,
    ("l", "o", "w", "e", "r", "</w>"): 2,
    ("n", "e", "w", "e", "s", "t", "</w>"): 6,
    ("w", "i", "d", "e", "s", "t", "</w>"): 3,
}

CORPUS = (
    "the lower the tower, the lowest the newest. new towers are lower than the old tower; "
    "the widest tower is the newest tower and the lowest tower is the oldest. "
) * 4 + "tokenizers learn merges from the most frequent pairs of bytes in the training text. "


def plot_compression(text, max_merges=80):
    """Bytes per token as merges are added."""
    import matplotlib.pyplot as plt

    merges = train_byte_bpe(text, max_merges)
    n = np.arange(0, len(merges) + 1, 4)
    ratio = [len(text.encode()) / len(encode(text, merges[:k])) for k in n]
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.plot(n, ratio, "o-", ms=3)
    ax.set_xlabel("number of merges (vocabulary size - 256)")
    ax.set_ylabel("UTF-8 bytes per token")
    ax.set_title("byte-level BPE on the training text")
    fig.tight_layout()
    fig.set_label(
        "Bytes per token against number of merges: the curve starts at 1 (plain bytes), "
        "rises steeply over the first merges as common pairs and words become single "
        "tokens, then keeps rising more slowly"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def check_reproduces_the_paper_example():
    merges, words = learn_bpe(PAPER_WORDS, 10)
    assert merges == [
        ("e", "s"),
        ("es", "t"),
        ("est", "</w>"),
        ("l", "o"),
        ("lo", "w"),
        ("n", "e"),
        ("ne", "w"),
        ("new", "est</w>"),
        ("low", "</w>"),
        ("w", "i"),
    ]
    assert ("newest</w>",) in words and ("low</w>",) in words


def check_each_merge_is_the_most_frequent_pair():
    words = dict(PAPER_WORDS)
    merges, _ = learn_bpe(words, 8)
    for pair in merges:
        counts = pair_counts(words)
        assert counts[pair] == max(counts.values())
        words = {merge_word(s, pair, pair[0] + pair[1]): f for s, f in words.items()}


def check_encoding_new_words_applies_merges_by_rank():
    merges, segmented = learn_bpe(PAPER_WORDS, 10)
    for word in PAPER_WORDS:  # training words get their training segmentation
        assert apply_bpe(word, merges) in segmented
    assert apply_bpe(tuple("lowest") + ("</w>",), merges) == ("low", "est</w>")  # never seen
    assert apply_bpe(tuple("xyz") + ("</w>",), merges) == ("x", "y", "z", "</w>")  # nothing applies


def check_byte_level_round_trip_for_any_text():
    merges = train_byte_bpe(CORPUS, 60)
    for text in ("the newest tower", "naïve café 🙂", "日本語のテキスト", "", "  tabs\tand\nnewlines  "):
        assert decode(encode(text, merges), merges) == text
    assert len(byte_vocab(merges)) == 256 + 60


def check_more_merges_shorten_the_training_text():
    merges = train_byte_bpe(CORPUS, 60)
    lengths = [len(encode(CORPUS, merges[:k])) for k in range(0, 61, 5)]
    assert lengths[0] == len(CORPUS.encode("utf-8"))
    assert all(a >= b for a, b in zip(lengths, lengths[1:])) and lengths[-1] < lengths[0] / 2


def check_training_stops_when_no_pairs_are_left():
    merges, words = learn_bpe({("a", "b"): 1}, 5)
    assert merges == [("a", "b")] and words == {("ab",): 1}
    assert train_byte_bpe("", 3) == []
    assert_close(len(encode("ab", train_byte_bpe("ab", 3))), 1, rtol=0)


if __name__ == "__main__":
    merges, words = learn_bpe(PAPER_WORDS, 10)
    print("Sennrich et al. example, 10 merges:")
    print("  ", " ".join(a + "+" + b for a, b in merges))
    print("   segmented vocabulary:", list(words))
    print("   'lowest' ->", apply_bpe(tuple("lowest") + ("</w>",), merges))
    bm = train_byte_bpe(CORPUS, 60)
    vocab = byte_vocab(bm)
    print("byte-level BPE, first 8 new tokens:", [vocab[256 + i].decode() for i in range(8)])
    text = "the newest tower is lower"
    ids = encode(text, bm)
    print(f"'{text}' -> {len(ids)} tokens {[vocab[int(i)].decode() for i in ids]}")
    print("ids:", ids.tolist())
    unseen = "naïve 🙂"
    ids = encode(unseen, bm)
    print(f"unseen '{unseen}' -> {len(ids)} tokens (bytes), decodes back to {decode(ids, bm)!r}")
    n_bytes = len(CORPUS.encode())
    for k in (0, 10, 30, 60):
        print(f"  {k:>2} merges: {n_bytes / len(encode(CORPUS, bm[:k])):.2f} bytes per token on the training text")
    plot_compression(CORPUS)
