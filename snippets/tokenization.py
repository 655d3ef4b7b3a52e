"""Tokenization: from text to the integer ids a model reads, and back.

A BERT-style pipeline written out step by step, following Google's reference ``BasicTokenizer``
and ``WordpieceTokenizer`` (also Hugging Face ``BertTokenizer``):

1. normalise (lower-case) and pre-tokenize: split on whitespace and put every punctuation
   character in its own word;
2. split each word into WordPiece sub-words by greedy longest-match-first against a fixed
   vocabulary, continuation pieces carrying the prefix ``##``; a word that cannot be covered
   becomes ``[UNK]`` as a whole, and so does a word longer than ``max_input_chars_per_word``;
3. add ``[CLS]`` ... ``[SEP]``, map pieces to ids, pad a batch to a common length and return an
   ``attention_mask``, as ``tokenizer(texts, padding=True, truncation=True, max_length=L)`` does.

Byte-level tokenization (GPT-2, tiktoken) is shown for contrast: UTF-8 bytes, never unknown.
Byte-pair encoding, which learns the vocabulary, has its own page.
"""

import re

import numpy as np
from termbook.checks import assert_close

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def pretokenize(text, lowercase=True):
    """Split text into words and single punctuation characters, with character offsets.

    Parameters
    ----------
    text : str
    lowercase : bool
        BERT "uncased" models lower-case first (``do_lower_case=True``).

    Returns
    -------
    words : list of (str, (int, int))
        Each word and its ``(start, end)`` span in ``text``.
    """
    if lowercase:
        text = text.lower()  # same length for the ASCII text used here; not for every script
    return [(m.group(), m.span()) for m in _WORD.finditer(text)]


def wordpiece(word, vocab, unk="[UNK]", max_input_chars_per_word=100):
    """Greedy longest-match-first WordPiece, as BERT's ``WordpieceTokenizer.tokenize``.

    Parameters
    ----------
    word : str
    vocab : set of str or dict
        Pieces; non-initial pieces are stored with the ``##`` prefix.
    unk : str
    max_input_chars_per_word : int

    Returns
    -------
    pieces : list of str
        ``[unk]`` if any part of the word cannot be matched.
    """
    if len(word) > max_input_chars_per_word:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, piece = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                piece = sub
                break
            end -= 1
        if piece is None:
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


def fewest_pieces(word, vocab):
    """The segmentation with the fewest pieces, by dynamic programming (for comparison).

    Parameters
    ----------
    word : str
    vocab : set of str

    Returns
    -------
    pieces : list of str or None
        None if the word cannot be segmented.
    """
    best = [None] * (len(word) + 1)
    best[0] = []
    for end in range(1, len(word) + 1):
        for start in range(end):
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if best[start] is not None and sub in vocab and (best[end] is None or len(best[start]) + 1 < len(best[end])):
                best[end] = best[start] + [sub]
    return best[-1]


def tokenize(text, vocab, lowercase=True):
    """Pre-tokenize, then WordPiece every word; keep each piece's span in the text.

    Parameters
    ----------
    text : str
    vocab : dict
    lowercase : bool

    Returns
    -------
    tokens : list of str
    offsets : list of (int, int)
        Character span of each token (``return_offsets_mapping=True``); an ``[UNK]`` spans its word.
    """
    tokens, offsets = [], []
    for word, (s, e) in pretokenize(text, lowercase):
        pos = s
        for piece in wordpiece(word, vocab):
            n = e - s if piece == "[UNK]" else len(piece.removeprefix("##"))
            tokens.append(piece)
            offsets.append((pos, pos + n))
            pos += n
    return tokens, offsets


def encode_batch(texts, vocab, max_length=None):
    """Ids and attention mask of a batch, padded on the right like ``tokenizer(texts, padding=True)``.

    Parameters
    ----------
    texts : list of str
    vocab : dict
        Piece -> id; must contain the four special tokens, ``[PAD]`` with id 0.
    max_length : int, optional
        Truncate to this many ids, ``[CLS]`` and ``[SEP]`` included (``truncation=True``).

    Returns
    -------
    input_ids : ndarray of shape (N, L), int
    attention_mask : ndarray of shape (N, L), int
        1 for real tokens, 0 for padding.
    """
    rows = []
    for t in texts:
        ids = [vocab[p] for p in tokenize(t, vocab)[0]]
        if max_length is not None:
            ids = ids[: max_length - 2]
        rows.append([vocab["[CLS]"]] + ids + [vocab["[SEP]"]])
    L = max(len(r) for r in rows)
    input_ids = np.full((len(rows), L), vocab["[PAD]"], dtype=int)
    mask = np.zeros((len(rows), L), dtype=int)
    for i, r in enumerate(rows):
        input_ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return input_ids, mask


def decode(ids, vocab, skip_special_tokens=True):
    """Ids back to text, joining ``##`` pieces to the previous one (``tokenizer.decode``).

    Parameters
    ----------
    ids : sequence of int
    vocab : dict
    skip_special_tokens : bool

    Returns
    -------
    str
        Lower-cased, with a space before punctuation removed; WordPiece loses case and spacing.
    """
    inv = {i: p for p, i in vocab.items()}
    pieces = [inv[i] for i in ids if not (skip_special_tokens and inv[i] in SPECIALS)]
    text = " ".join(pieces).replace(" ##", "")
    return re.sub(r" ([^\w\s])", r"\1", text)


def byte_tokens(text):
    """Byte-level tokens: the UTF-8 bytes of the text, 0..255 (GPT-2 and tiktoken start from these).

    Parameters
    ----------
    text : str

    Returns
    -------
    ndarray of shape (n_bytes,), int
    """
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).astype(int)


def byte_decode(ids):
    """Inverse of :func:`byte_tokens`; exact for any text.

    Parameters
    ----------
    ids : sequence of int

    Returns
    -------
    str
    """
    return bytes(int(i) for i in ids).decode("utf-8")


def toy_vocab():
    """A small WordPiece vocabulary: specials, every lower-case letter (initial and ``##``), some pieces.

    Returns
    -------
    dict
        Piece -> id, ``[PAD]`` = 0.
    """
    letters = [chr(c) for c in range(ord("a"), ord("z") + 1)]
    words = [
        "the",
        "token",
        "##izer",
        "##ization",
        "##s",
        "split",
        "un",
        "##aff",
        "##able",
        "word",
        "model",
        "##ing",
        "read",
        "play",
        "##ed",
        ".",
        ",",
        "!",
        "?",
        "'",
    ]
    pieces = SPECIALS + words + letters + ["##" + c for c in letters]
    return {p: i for i, p in enumerate(dict.fromkeys(pieces))}


# ---------------------------------------------------------------------------- checks


def check_bert_docstring_example():
    assert wordpiece("unaffable", toy_vocab()) == ["un", "##aff", "##able"]


def check_pieces_reassemble_the_word():
    vocab = toy_vocab()
    for word in ("tokenization", "splits", "readings", "zyzzyva", "played"):
        pieces = wordpiece(word, vocab)
        assert not pieces[0].startswith("##") and all(p.startswith("##") for p in pieces[1:])
        assert "".join(p.removeprefix("##") for p in pieces) == word


def check_greedy_is_not_always_the_shortest_segmentation():
    vocab = {"abc", "ab", "##d", "##e", "##cde"}
    assert wordpiece("abcde", vocab) == ["abc", "##d", "##e"]
    assert fewest_pieces("abcde", vocab) == ["ab", "##cde"]


def check_unknown_characters_make_the_whole_word_unknown():
    vocab = toy_vocab()
    assert wordpiece("señor", vocab) == ["[UNK]"]  # "ñ" is not in the vocabulary
    assert wordpiece("a" * 101, vocab) == ["[UNK]"]  # longer than max_input_chars_per_word
    tokens, offsets = tokenize("The señor played.", vocab)
    assert tokens == ["the", "[UNK]", "play", "##ed", "."] and offsets[1] == (4, 9)


def check_offsets_point_back_into_the_text():
    text = "Tokenization splits words, the model reads tokens!"
    tokens, offsets = tokenize(text, toy_vocab())
    for tok, (s, e) in zip(tokens, offsets):
        assert text[s:e].lower() == tok.removeprefix("##")


def check_batch_padding_and_truncation():
    vocab = toy_vocab()
    ids, mask = encode_batch(["the model", "the tokenizer splits words!", ""], vocab)
    assert ids.shape == mask.shape == (3, 10)
    assert mask.sum(axis=1).tolist() == [4, 10, 2]  # [CLS] + pieces + [SEP]; "" gives [CLS] [SEP]
    assert np.all(ids[mask == 0] == vocab["[PAD]"])
    assert ids[2, :2].tolist() == [vocab["[CLS]"], vocab["[SEP]"]]
    short, m = encode_batch(["the tokenizer splits words!"], vocab, max_length=5)
    assert short.shape == (1, 5) and short[0, -1] == vocab["[SEP]"] and m.sum() == 5
    assert decode(ids[1], vocab) == "the tokenizer splits words!"


def check_byte_level_is_lossless_and_never_unknown():
    for text in ("naïve café", "日本語", "emoji 🙂", "", "tabs\tand\nnewlines"):
        assert byte_decode(byte_tokens(text)) == text
    assert [len(byte_tokens(t)) for t in ("a", "ï", "日", "🙂")] == [1, 2, 3, 4]
    assert_close(byte_tokens("A"), [65], rtol=0)


if __name__ == "__main__":
    vocab = toy_vocab()
    text = "The tokenizer splits unaffable words!"
    words = pretokenize(text)
    tokens, offsets = tokenize(text, vocab)
    print("text:      ", text)
    print("words:     ", [w for w, _ in words])
    print("wordpieces:", tokens)
    print("offsets:   ", offsets[:4], "...")
    ids, mask = encode_batch([text, "The model reads."], vocab)
    print("input_ids:     ", ids.tolist())
    print("attention_mask:", mask.tolist())
    print("decoded:       ", decode(ids[0], vocab))
    print(
        "tokens for this text: characters",
        len(text),
        "| words",
        len(words),
        "| wordpieces",
        len(tokens),
        "| UTF-8 bytes",
        len(byte_tokens(text)),
    )
    for t in ("naïve", "日本語", "🙂"):
        print(f"UTF-8 bytes of {t!r}: {byte_tokens(t).tolist()}")
    print(
        "greedy vs fewest pieces for 'abcde':",
        wordpiece("abcde", {"abc", "ab", "##d", "##e", "##cde"}),
        fewest_pieces("abcde", {"abc", "ab", "##d", "##e", "##cde"}),
    )
