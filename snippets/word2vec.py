"""word2vec: skip-gram with negative sampling (SGNS), the way gensim and the original C tool train it.

Each word has two vectors, an input ("word") vector ``W_in[w]`` and an output ("context") vector
``W_out[c]``. For every (centre, context) pair inside a window, SGNS raises
``sigmoid(W_in[w] . W_out[c])`` and lowers ``sigmoid(W_in[w] . W_out[n])`` for k "negative" words
n drawn from the unigram distribution raised to the power 0.75.

Defaults and formulas follow ``gensim.models.Word2Vec(sg=1, negative=5, ns_exponent=0.75,
window=5, sample=1e-3, alpha=0.025, min_alpha=0.0001)``: the window is shrunk to a random size
in 1..window for each centre word, frequent words are down-sampled with gensim's keep
probability ``(sqrt(f / (sample N)) + 1) (sample N) / f``, and the learning rate decays linearly
from ``alpha`` to ``min_alpha``. The word vectors (``model.wv``) are ``W_in``. Updates here are
applied in mini-batches of pairs (the C tool and gensim update after every pair).
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.cosine_similarity import pairwise_cosine_similarity


def build_vocab(sentences, min_count=1):
    """Vocabulary sorted by decreasing count, like gensim's ``build_vocab`` with ``sorted_vocab=1``.

    Parameters
    ----------
    sentences : list of list of str
    min_count : int
        Words seen fewer times are dropped.

    Returns
    -------
    words : list of str
    counts : ndarray of shape (V,), int
    """
    freq = {}
    for s in sentences:
        for w in s:
            freq[w] = freq.get(w, 0) + 1
    kept = sorted((w for w in freq if freq[w] >= min_count), key=lambda w: (-freq[w], w))
    return kept, np.array([freq[w] for w in kept])


def noise_distribution(counts, ns_exponent=0.75):
    """Negative-sampling distribution ``count^ns_exponent / sum``.

    Parameters
    ----------
    counts : ndarray of shape (V,)
    ns_exponent : float
        1 samples by frequency, 0 uniformly; 0.75 (the default) flattens the frequency curve.

    Returns
    -------
    p : ndarray of shape (V,)
    """
    w = np.asarray(counts, dtype=np.float64) ** ns_exponent
    return w / w.sum()


def keep_probability(counts, sample=1e-3):
    """gensim's probability of keeping each occurrence of a word when down-sampling frequent words.

    ``min(1, (sqrt(f / t) + 1) t / f)`` with ``t = sample * total count``. Words rarer than about
    ``t`` are always kept; a word making up a fraction r >> sample of the corpus is kept with
    probability close to ``sqrt(sample / r)``.

    Parameters
    ----------
    counts : ndarray of shape (V,)
    sample : float
        0 disables down-sampling.

    Returns
    -------
    ndarray of shape (V,)
    """
    f = np.asarray(counts, dtype=np.float64)
    if sample <= 0:
        return np.ones_like(f)
    t = sample * f.sum()
    return np.minimum(1.0, (np.sqrt(f / t) + 1.0) * t / f)


def skipgram_pairs(ids, window, rng=None, sentence=None):
    """All (centre, context) pairs of a sentence, or of many sentences laid end to end.

    Parameters
    ----------
    ids : ndarray of shape (L,), int
    window : int
        Maximum distance between centre and context.
    rng : numpy.random.Generator, optional
        If given, each centre word uses a random window of size 1..window, as in gensim and the C
        tool (nearby words are then sampled more often than distant ones); if None, the full window.
    sentence : ndarray of shape (L,), int, optional
        Sentence number of each token; pairs never cross from one sentence to another. Default:
        all tokens form one sentence.

    Returns
    -------
    pairs : ndarray of shape (P, 2), int
        Ordered by centre position, then context position.
    """
    ids = np.asarray(ids)
    L = len(ids)
    sentence = np.zeros(L, dtype=int) if sentence is None else np.asarray(sentence)
    reach = np.full(L, window) if rng is None else rng.integers(1, window + 1, size=L)
    pos = np.arange(L)
    centre, context = [], []
    for d in range(-window, window + 1):
        if d == 0:
            continue
        i = pos[max(0, -d) : L - max(0, d)]  # positions whose neighbour i + d exists
        keep = (sentence[i + d] == sentence[i]) & (abs(d) <= reach[i])
        centre.append(i[keep])
        context.append(i[keep] + d)
    centre, context = np.concatenate(centre), np.concatenate(context)
    order = np.lexsort((context, centre))
    return np.stack([ids[centre[order]], ids[context[order]]], axis=1)


def _log_sigmoid(x):
    return -np.logaddexp(0.0, -x)  # stable for any x


def sgns_loss(W_in, W_out, centers, contexts, negatives):
    """Summed SGNS loss of a batch of pairs and its gradients.

    ``loss = sum_b [ -log sigmoid(v_b . u_{c_b}) - sum_k log sigmoid(-v_b . u_{n_bk}) ]``
    with ``v_b = W_in[centers[b]]`` and ``u = W_out``.

    Parameters
    ----------
    W_in : ndarray of shape (V, D)
    W_out : ndarray of shape (V, D)
    centers : ndarray of shape (B,), int
    contexts : ndarray of shape (B,), int
    negatives : ndarray of shape (B, K), int

    Returns
    -------
    loss : float
    dW_in : ndarray of shape (V, D)
    dW_out : ndarray of shape (V, D)
    """
    v, u_pos, u_neg = W_in[centers], W_out[contexts], W_out[negatives]
    s_pos = np.sum(v * u_pos, axis=1)
    s_neg = np.einsum("bd,bkd->bk", v, u_neg)
    loss = -np.sum(_log_sigmoid(s_pos)) - np.sum(_log_sigmoid(-s_neg))
    g_pos = np.exp(_log_sigmoid(s_pos)) - 1.0  # d loss / d s_pos = sigmoid(s) - 1
    g_neg = np.exp(_log_sigmoid(s_neg))  # d loss / d s_neg = sigmoid(s)
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centers, g_pos[:, None] * u_pos + np.einsum("bk,bkd->bd", g_neg, u_neg))
    np.add.at(dW_out, contexts, g_pos[:, None] * v)
    np.add.at(dW_out, negatives, g_neg[..., None] * v[:, None, :])
    return float(loss), dW_in, dW_out


def train_word2vec(sentences, vector_size=10, window=2, negative=5, epochs=30, alpha=0.025, min_alpha=0.0001, sample=0.0, batch=64, seed=0):
    """Train skip-gram with negative sampling on a small corpus.

    Parameters
    ----------
    sentences : list of list of str
    vector_size, window, negative, epochs : int
        gensim's names.
    alpha, min_alpha : float
        Learning rate, decayed linearly over the whole run.
    sample : float
        Down-sampling threshold (gensim's default is 1e-3; 0 disables it).
    batch : int
        Pairs per update.
    seed : int

    Returns
    -------
    words : list of str
    W_in : ndarray of shape (V, vector_size)
        The word vectors.
    losses : list of float
        Mean loss per pair in each epoch.
    """
    rng = np.random.default_rng(seed)
    words, counts = build_vocab(sentences)
    index = {w: i for i, w in enumerate(words)}
    V = len(words)
    # gensim's initialisation: input vectors uniform in [-0.5, 0.5] / vector_size, output vectors 0.
    W_in = (rng.random((V, vector_size)) - 0.5) / vector_size
    W_out = np.zeros((V, vector_size))
    noise, keep = noise_distribution(counts), keep_probability(counts, sample)
    flat = np.array([index[w] for s in sentences for w in s])
    sentence = np.repeat(np.arange(len(sentences)), [len(s) for s in sentences])
    losses = []
    total_steps, step = None, 0
    for epoch in range(epochs):
        kept = rng.random(len(flat)) < keep[flat]  # down-sampling, redrawn every epoch
        pairs = skipgram_pairs(flat[kept], window, rng, sentence[kept])
        pairs = pairs[rng.permutation(len(pairs))]
        total_steps = total_steps or epochs * int(np.ceil(len(pairs) / batch))
        negatives = rng.choice(V, size=(len(pairs), negative), p=noise)
        epoch_loss = 0.0
        for start in range(0, len(pairs), batch):
            lr = max(min_alpha, alpha - (alpha - min_alpha) * step / total_steps)
            c, o = pairs[start : start + batch, 0], pairs[start : start + batch, 1]
            neg = negatives[start : start + batch]
            loss, dW_in, dW_out = sgns_loss(W_in, W_out, c, o, neg)
            W_in -= lr * dW_in
            W_out -= lr * dW_out
            epoch_loss += loss
            step += 1
        losses.append(epoch_loss / len(pairs))
    return words, W_in, losses


def most_similar(words, W, word, topn=3):
    """Nearest words by cosine similarity, like ``model.wv.most_similar(word, topn=topn)``.

    Parameters
    ----------
    words : list of str
    W : ndarray of shape (V, D)
    word : str
    topn : int

    Returns
    -------
    list of (str, float)
    """
    sims = pairwise_cosine_similarity(W[[words.index(word)]], W)[0]
    order = [i for i in np.argsort(-sims, kind="stable") if words[i] != word][:topn]
    return [(words[i], float(sims[i])) for i in order]


def toy_corpus(n=300, seed=0):
    """Sentences about animals and about royalty, which share only the function words.

    Parameters
    ----------
    n : int
    seed : int

    Returns
    -------
    list of list of str
    """
    rng = np.random.default_rng(seed)
    groups = [
        (["cat", "dog", "mouse"], ["chases", "bites", "feeds"], ["garden", "barn"]),
        (["king", "queen", "prince"], ["rules", "crowns", "greets"], ["castle", "palace"]),
    ]
    out = []
    for _ in range(n):
        nouns, verbs, places = groups[rng.integers(2)]
        a, b = rng.choice(nouns, 2, replace=False)
        out.append(["the", str(a), str(rng.choice(verbs)), "the", str(b), "in", "the", str(rng.choice(places))])
    return out


GROUPS = (["cat", "dog", "mouse"], ["king", "queen", "prince"])


def plot_vectors(words, W):
    """The word vectors projected on their first two principal components."""
    import matplotlib.pyplot as plt

    X = W - W.mean(axis=0)
    _, _, Vt = np.linalg.svd(X, full_matrices=False)
    P = X @ Vt[:2].T
    fig, ax = plt.subplots(figsize=(5, 4))
    animal = ("cat", "dog", "mouse", "chases", "bites", "feeds", "garden", "barn")
    for i, w in enumerate(words):
        ax.scatter(*P[i], color="gray" if w in ("the", "in") else "C0" if w in animal else "C1")
        ax.annotate(w, P[i], textcoords="offset points", xytext=(3, 3), fontsize=8)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title("skip-gram word vectors")
    fig.tight_layout()
    fig.set_label(
        "Scatter plot of the 18 word vectors on their first two principal components: verbs "
        "on the left, nouns on the right, and the two topics separated vertically (chases, "
        "bites, feeds and cat, dog, mouse below; rules, crowns, greets and king, queen, prince "
        "above). The four place words overlap at the middle right, because with a window of 2 "
        "they only ever see 'in the'; 'the' and 'in' lie apart from everything"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def check_sgns_gradients_match_numerical_gradient():
    # Centred differences in float64; relative error below 1e-7. Repeated ids (a word that is
    # both a context and a negative) must accumulate, which np.add.at does.
    rng = np.random.default_rng(0)
    W_in, W_out = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    c, o, neg = np.array([0, 1, 1, 4]), np.array([2, 3, 0, 4]), rng.integers(0, 6, size=(4, 3))
    neg[0, 0] = 2
    _, dW_in, dW_out = sgns_loss(W_in, W_out, c, o, neg)
    assert_gradient_close(dW_in, numerical_gradient(lambda z: sgns_loss(z, W_out, c, o, neg)[0], W_in.copy()), tol=1e-7)
    assert_gradient_close(dW_out, numerical_gradient(lambda z: sgns_loss(W_in, z, c, o, neg)[0], W_out.copy()), tol=1e-7)


def check_optimum_is_shifted_pmi():
    # Levy and Goldberg (2014): with unconstrained dot products x = v_w . u_c, the expected SGNS
    # objective for one (w, c) cell, n_wc log s(x) + k n_w n_c / N log s(-x), is maximised at
    # x* = PMI(w, c) - log k = log(n_wc N / (n_w n_c)) - log k.
    n_wc, n_w, n_c, N, k = 12.0, 40.0, 30.0, 1000.0, 5

    def objective(x):
        return n_wc * _log_sigmoid(x) + k * n_w * n_c / N * _log_sigmoid(-x)

    x_star = np.log(n_wc * N / (n_w * n_c)) - np.log(k)
    h = 1e-5
    assert abs((objective(x_star + h) - objective(x_star - h)) / (2 * h)) < 1e-8
    assert objective(x_star) > max(objective(x_star - 0.1), objective(x_star + 0.1))


def check_noise_distribution_and_down_sampling():
    counts = np.array([1000, 100, 10, 1])
    assert_close(noise_distribution(counts, 1.0), counts / counts.sum(), rtol=1e-12)
    assert_close(noise_distribution(counts, 0.0), np.full(4, 0.25), rtol=1e-12)
    p = noise_distribution(counts)
    assert p[3] > counts[3] / counts.sum() and p[0] < counts[0] / counts.sum(), "0.75 boosts rare words"
    keep = keep_probability(counts, sample=1e-2)  # t = 11.11
    assert keep[2] == keep[3] == 1.0, "rare words are always kept"
    assert 0.1 < keep[0] < 0.2 and np.all(np.diff(keep) >= 0)
    assert np.all(keep_probability(counts, 0.0) == 1.0)


def check_window_pairs():
    pairs = skipgram_pairs(np.array([10, 11, 12, 13]), window=1)
    assert pairs.tolist() == [[10, 11], [11, 10], [11, 12], [12, 11], [12, 13], [13, 12]]
    assert len(skipgram_pairs(np.arange(10), window=2)) == 2 * (9 + 8)
    # Shrunk windows give a subset of the full-window pairs.
    full = {tuple(p) for p in skipgram_pairs(np.arange(10), 3)}
    assert {tuple(p) for p in skipgram_pairs(np.arange(10), 3, np.random.default_rng(1))} <= full
    # Sentences laid end to end: no pair crosses the boundary between tokens 0-2 and 3-5.
    two = skipgram_pairs(np.arange(6), 2, sentence=np.array([0, 0, 0, 1, 1, 1]))
    assert len(two) == 12 and all((a < 3) == (b < 3) for a, b in two)


def check_training_groups_words_by_shared_contexts():
    words, W, losses = train_word2vec(toy_corpus(200), epochs=10, seed=1)
    assert losses[-1] < 0.8 * losses[0]
    S = pairwise_cosine_similarity(W, W)
    a, r = ([words.index(w) for w in g] for g in GROUPS)
    within = np.mean([S[i, j] for g in (a, r) for i in g for j in g if i != j])
    between = np.mean([S[i, j] for i in a for j in r])
    assert within > 0.9 and within > between + 0.3


def check_huge_scores_give_finite_loss_and_gradients():
    W_in, W_out = np.full((3, 2), 1e4), np.full((3, 2), 1e4)
    loss, dW_in, dW_out = sgns_loss(W_in, W_out, np.array([0]), np.array([1]), np.array([[2, 2]]))
    assert np.isfinite(loss) and loss > 1e8  # the negatives are "certain" positives: huge but finite
    assert np.all(np.isfinite(dW_in)) and np.all(np.isfinite(dW_out))


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    corpus = toy_corpus(300)
    print("two of the sentences:", " ".join(corpus[0]), "|", " ".join(corpus[1]))
    words, counts = build_vocab(corpus)
    print("vocabulary:", len(words), "words; most frequent:", list(zip(words[:3], counts[:3].tolist())))
    print(
        "noise probabilities of 'the' and 'barn': count^1 ->",
        noise_distribution(counts, 1.0)[[0, words.index("barn")]],
        " count^0.75 ->",
        noise_distribution(counts)[[0, words.index("barn")]],
    )
    print("gensim keep probability of 'the' with sample=1e-3:", keep_probability(counts, 1e-3)[0].round(3))
    words, W, losses = train_word2vec(corpus, epochs=10)
    print("mean loss per pair, epochs 1, 5, 10:", np.array(losses)[[0, 4, 9]])
    S = pairwise_cosine_similarity(W, W)
    a, r = ([words.index(w) for w in g] for g in GROUPS)
    print(
        "mean cosine: within {cat, dog, mouse} and {king, queen, prince}:",
        round(float(np.mean([S[i, j] for g in (a, r) for i in g for j in g if i != j])), 3),
        " across the groups:",
        round(float(np.mean([S[i, j] for i in a for j in r])), 3),
    )
    for w in ("cat", "king"):
        print(f"most_similar('{w}'):", [(v, round(s, 2)) for v, s in most_similar(words, W, w)])
    plot_vectors(words, W)
