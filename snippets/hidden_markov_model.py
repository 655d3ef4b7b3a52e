"""Hidden Markov model with categorical emissions: forward, backward, Viterbi and Baum-Welch, in log space.

Parameters follow ``hmmlearn.hmm.CategoricalHMM``: ``startprob`` (S,), ``transmat`` (S, S) with
rows summing to one, ``emissionprob`` (S, V). ``forward`` returns the log-likelihood of
``model.score(X)``, computed like hmmlearn's ``_hmmc.forward_log`` with a log-sum-exp at every
step (the raw forward probabilities of a sequence of a few hundred symbols underflow);
``posteriors`` is ``model.predict_proba(X)``; ``viterbi`` is ``model.decode(X,
algorithm="viterbi")`` and returns ``(log_prob, states)``; ``baum_welch`` is ``model.fit`` (EM)
with a fixed number of iterations and a tolerance on the log-likelihood gain.
"""

import itertools

import numpy as np
from termbook.checks import assert_close

__all__ = ["sample_hmm", "forward", "backward", "posteriors", "viterbi", "forward_backward_scaled", "baum_welch"]


def _log(a):
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(a, dtype=np.float64))


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` along ``axis``, like ``scipy.special.logsumexp(x, axis, keepdims=keepdims)``.

    A slice that is entirely ``-inf`` (an impossible observation) gives ``-inf`` without a warning.

    Parameters
    ----------
    x : ndarray of shape (T, S) or (S,)
    axis : int or None
    keepdims : bool

    Returns
    -------
    out : ndarray (the reduced shape) or float when ``axis`` is None
    """
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.item())


def sample_hmm(startprob, transmat, emissionprob, T, rng):
    """Draw hidden states and observations (``model.sample(T)``).

    Parameters
    ----------
    startprob : ndarray of shape (S,)
    transmat : ndarray of shape (S, S)
    emissionprob : ndarray of shape (S, V)
    T : int
    rng : numpy.random.Generator

    Returns
    -------
    obs : ndarray of shape (T,)
        Symbols in 0..V-1.
    states : ndarray of shape (T,)
    """

    def draw(cdf, u):  # inverse-CDF sampling on a Python list: fast for a few states
        j = 0
        while u >= cdf[j] and j < len(cdf) - 1:
            j += 1
        return j

    start_cdf = np.cumsum(startprob).tolist()
    trans_cdf = np.cumsum(transmat, axis=1).tolist()
    emit_cdf = np.cumsum(emissionprob, axis=1).tolist()
    u = rng.random((T, 2)).tolist()
    states, obs = [draw(start_cdf, u[0][0])], []
    for t in range(T):
        if t > 0:
            states.append(draw(trans_cdf[states[-1]], u[t][0]))
        obs.append(draw(emit_cdf[states[-1]], u[t][1]))
    return np.array(obs), np.array(states)


def forward(obs, startprob, transmat, emissionprob):
    """Log forward variables ``log alpha[t, j] = log p(o_1..o_t, z_t = j)`` and ``log p(o_1..o_T)``.

    The log-likelihood is ``hmmlearn.hmm.CategoricalHMM.score(obs[:, None])`` (hmmlearn's
    ``_hmmc.forward_log``).

    Parameters
    ----------
    obs : ndarray of shape (T,)
    startprob : ndarray of shape (S,)
    transmat : ndarray of shape (S, S)
    emissionprob : ndarray of shape (S, V)

    Returns
    -------
    log_alpha : ndarray of shape (T, S)
    log_likelihood : float
        ``-inf`` if the sequence is impossible under the model.
    """
    log_A, log_B = _log(transmat), _log(emissionprob)
    T, S = len(obs), len(startprob)
    log_alpha = np.empty((T, S))
    log_alpha[0] = _log(startprob) + log_B[:, obs[0]]
    for t in range(1, T):
        # log sum_i alpha[t-1, i] A[i, j], for every j at once
        log_alpha[t] = logsumexp(log_alpha[t - 1][:, None] + log_A, axis=0) + log_B[:, obs[t]]
    return log_alpha, float(logsumexp(log_alpha[-1]))


def backward(obs, transmat, emissionprob):
    """Log backward variables ``log beta[t, i] = log p(o_{t+1}..o_T | z_t = i)`` (hmmlearn's ``_hmmc.backward_log``).

    Parameters
    ----------
    obs : ndarray of shape (T,)
    transmat : ndarray of shape (S, S)
    emissionprob : ndarray of shape (S, V)

    Returns
    -------
    log_beta : ndarray of shape (T, S)
    """
    log_A, log_B = _log(transmat), _log(emissionprob)
    T, S = len(obs), transmat.shape[0]
    log_beta = np.zeros((T, S))
    for t in range(T - 2, -1, -1):
        log_beta[t] = logsumexp(log_A + (log_B[:, obs[t + 1]] + log_beta[t + 1])[None, :], axis=1)
    return log_beta


def posteriors(obs, startprob, transmat, emissionprob):
    """State posteriors ``gamma[t, i] = p(z_t = i | o_1..o_T)`` by forward-backward (``predict_proba``).

    Parameters
    ----------
    obs : ndarray of shape (T,)
    startprob, transmat, emissionprob : model parameters

    Returns
    -------
    gamma : ndarray of shape (T, S)
        Rows sum to one.
    log_likelihood : float
    """
    log_alpha, ll = forward(obs, startprob, transmat, emissionprob)
    if not np.isfinite(ll):
        raise ValueError("the observation sequence has probability zero under this model")
    log_gamma = log_alpha + backward(obs, transmat, emissionprob)
    return np.exp(log_gamma - logsumexp(log_gamma, axis=1, keepdims=True)), ll


def viterbi(obs, startprob, transmat, emissionprob):
    """Most probable state sequence ``argmax_z p(z, o)`` (``decode(algorithm="viterbi")``).

    Parameters
    ----------
    obs : ndarray of shape (T,)
    startprob, transmat, emissionprob : model parameters

    Returns
    -------
    log_prob : float
        ``log p(z*, o)`` of the best path.
    states : ndarray of shape (T,)
        Ties go to the lowest state index.
    """
    log_A, log_B = _log(transmat), _log(emissionprob)
    T, S = len(obs), len(startprob)
    delta = _log(startprob) + log_B[:, obs[0]]
    back = np.zeros((T, S), dtype=int)
    for t in range(1, T):
        scores = delta[:, None] + log_A  # (from, to)
        back[t] = np.argmax(scores, axis=0)
        delta = scores[back[t], np.arange(S)] + log_B[:, obs[t]]
    states = np.empty(T, dtype=int)
    states[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        states[t - 1] = back[t, states[t]]
    return float(delta.max()), states


def forward_backward_scaled(obs, startprob, transmat, emissionprob):
    """Forward-backward with per-step normalisation (Rabiner's scaling; hmmlearn's ``implementation="scaling"``).

    Each forward vector is rescaled to sum to one; the log-likelihood is the sum of the logs of
    the scale factors, so nothing underflows, and each step costs a few small array operations
    (faster than the log-space version, which needs a log-sum-exp per step).

    Parameters
    ----------
    obs : ndarray of shape (T,)
    startprob, transmat, emissionprob : model parameters

    Returns
    -------
    gamma : ndarray of shape (T, S)
        State posteriors.
    xi_sum : ndarray of shape (S, S)
        Expected number of i -> j transitions, ``sum_t p(z_t = i, z_{t+1} = j | o)``.
    log_likelihood : float
    """
    T, S = len(obs), len(startprob)
    Bo = emissionprob[:, obs].T  # (T, S): emission probability of each observation
    # The recursions run on Python lists: for a handful of states, per-step NumPy calls would
    # cost more than the arithmetic itself.
    A_l, B_l, rng_s = transmat.tolist(), Bo.tolist(), range(S)
    a = [startprob[j] * B_l[0][j] for j in rng_s]
    alpha_l, c_l = [], []
    for t in range(T):
        if t > 0:
            prev = alpha_l[-1]
            a = [sum(prev[i] * A_l[i][j] for i in rng_s) * B_l[t][j] for j in rng_s]
        ct = sum(a)
        if ct == 0:
            raise ValueError("the observation sequence has probability zero under this model")
        alpha_l.append([x / ct for x in a])
        c_l.append(ct)
    beta_l = [[1.0] * S]
    for t in range(T - 2, -1, -1):
        nxt = [B_l[t + 1][j] * beta_l[-1][j] for j in rng_s]
        beta_l.append([sum(A_l[i][j] * nxt[j] for j in rng_s) / c_l[t + 1] for i in rng_s])
    alpha, beta, c = np.array(alpha_l), np.array(beta_l[::-1]), np.array(c_l)
    gamma = alpha * beta
    xi_sum = transmat * (alpha[:-1].T @ (Bo[1:] * beta[1:] / c[1:, None]))
    return gamma, xi_sum, float(np.log(c).sum())


def baum_welch(obs, startprob, transmat, emissionprob, n_iter=100, tol=1e-6):
    """EM for an HMM (``model.fit``): expected counts from forward-backward, then normalised counts.

    Parameters
    ----------
    obs : ndarray of shape (T,)
    startprob, transmat, emissionprob : initial parameters (not all equal, or symmetry stays)
    n_iter : int
    tol : float
        Stop when the log-likelihood gains less than this (hmmlearn: ``tol=1e-2``, ``n_iter=10``).

    Returns
    -------
    params : tuple
        ``(startprob, transmat, emissionprob)``.
    history : ndarray of shape (K,)
        Log-likelihood of the parameters at the start of each iteration; non-decreasing.
    """
    obs = np.asarray(obs)
    V = emissionprob.shape[1]
    onehot = np.eye(V)[obs]  # (T, V)
    pi, A, B = (np.array(p, dtype=np.float64) for p in (startprob, transmat, emissionprob))
    history = []
    for _ in range(n_iter):
        gamma, xi_sum, ll = forward_backward_scaled(obs, pi, A, B)
        history.append(ll)
        if len(history) > 1 and history[-1] - history[-2] < tol:
            break
        pi = gamma[0] / gamma[0].sum()
        A = xi_sum / xi_sum.sum(axis=1, keepdims=True)
        B = gamma.T @ onehot
        B = B / B.sum(axis=1, keepdims=True)
    return (pi, A, B), np.array(history)


# ---------------------------------------------------------------- checks

# The occasionally dishonest casino (Durbin et al.): a fair die and a loaded one that shows 6 half the time.
START = np.array([0.95, 0.05])
TRANS = np.array([[0.95, 0.05], [0.10, 0.90]])
EMIT = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])


INIT = (
    np.array([0.5, 0.5]),
    np.array([[0.8, 0.2], [0.2, 0.8]]),
    np.array([[0.17, 0.17, 0.17, 0.17, 0.16, 0.16], [0.15, 0.15, 0.15, 0.15, 0.15, 0.25]]),
)


def _brute_force(obs, pi, A, B):
    """Joint probability of every state path (S^T of them)."""
    S, T = len(pi), len(obs)
    paths = np.array(list(itertools.product(range(S), repeat=T)))
    p = pi[paths[:, 0]] * np.prod(A[paths[:, :-1], paths[:, 1:]], axis=1) * np.prod(B[paths, obs], axis=1)
    return paths, p


def check_forward_and_viterbi_match_brute_force():
    obs = np.array([5, 5, 0, 5, 3, 5, 5])
    paths, p = _brute_force(obs, START, TRANS, EMIT)
    _, ll = forward(obs, START, TRANS, EMIT)
    assert_close(ll, np.log(p.sum()), rtol=1e-12, what="forward = sum over all 128 paths")
    log_prob, states = viterbi(obs, START, TRANS, EMIT)
    assert np.array_equal(states, paths[np.argmax(p)])
    assert_close(log_prob, np.log(p.max()), rtol=1e-12, what="Viterbi path probability")


def check_posteriors_match_brute_force_marginals():
    obs = np.array([0, 5, 5, 5, 2, 1])
    paths, p = _brute_force(obs, START, TRANS, EMIT)
    gamma, _ = posteriors(obs, START, TRANS, EMIT)
    brute = np.stack([[p[paths[:, t] == s].sum() for s in range(2)] for t in range(len(obs))]) / p.sum()
    assert_close(gamma, brute, rtol=1e-11, what="p(z_t | o)")
    # The forward-backward identity: sum_i alpha_t(i) beta_t(i) = p(o) for every t.
    log_alpha, ll = forward(obs, START, TRANS, EMIT)
    assert_close(logsumexp(log_alpha + backward(obs, TRANS, EMIT), axis=1), np.full(len(obs), ll), rtol=1e-12)


def check_scaled_forward_backward_equals_log_space():
    obs, _ = sample_hmm(START, TRANS, EMIT, 400, np.random.default_rng(2))
    gamma_log, ll_log = posteriors(obs, START, TRANS, EMIT)
    gamma, xi_sum, ll = forward_backward_scaled(obs, START, TRANS, EMIT)
    assert_close(ll, ll_log, rtol=1e-12, what="log-likelihood")
    assert_close(gamma, gamma_log, rtol=1e-9, atol=1e-14, what="posteriors")
    assert_close(xi_sum.sum(), len(obs) - 1, rtol=1e-12, what="one transition per step")
    assert_close(xi_sum.sum(axis=1), gamma[:-1].sum(axis=0), rtol=1e-10, what="xi marginalises to gamma")


def check_long_sequences_do_not_underflow():
    obs, _ = sample_hmm(START, TRANS, EMIT, 3000, np.random.default_rng(0))
    log_alpha, ll = forward(obs, START, TRANS, EMIT)
    assert np.isfinite(ll) and ll < -4000  # p(o) is about e^-5300: 0.0 in float64
    assert np.exp(ll) == 0.0
    gamma, _ = posteriors(obs, START, TRANS, EMIT)
    assert np.allclose(gamma.sum(axis=1), 1.0)


def check_impossible_sequence():
    emit = np.array([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]])  # symbol 2 can never be emitted
    _, ll = forward(np.array([0, 2]), START, TRANS, emit)
    assert ll == -np.inf
    try:
        posteriors(np.array([0, 2]), START, TRANS, emit)
    except ValueError:
        pass
    else:
        raise AssertionError("posteriors of an impossible sequence must raise")


def check_baum_welch_increases_likelihood_and_learns_the_dice():
    obs, _ = sample_hmm(START, TRANS, EMIT, 500, np.random.default_rng(1))
    (pi, A, B), hist = baum_welch(obs, *INIT, n_iter=30, tol=0.0)
    assert hist.size == 30 and np.all(np.diff(hist) > -1e-8)  # EM never lowers the likelihood
    assert_close(A.sum(axis=1), [1.0, 1.0], rtol=1e-12)
    assert_close(B.sum(axis=1), [1.0, 1.0], rtol=1e-12)
    loaded = int(np.argmax(B[:, 5]))
    assert B[loaded, 5] > 0.35 and B[1 - loaded, 5] < 0.25  # one die learned to favour sixes


def plot_casino(obs, states, gamma, path):
    """Figure for the page: posterior probability of the loaded die along the sequence."""
    import matplotlib.pyplot as plt

    t = np.arange(len(obs))
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.fill_between(t, 0, states, step="mid", color="#fdd0a2", label="true: loaded die")
    ax.plot(t, gamma[:, 1], color="tab:blue", label="P(loaded | all rolls)")
    ax.plot(t[path == 1], np.full(int(np.sum(path == 1)), 1.05), "s", color="black", markersize=2, label="Viterbi path: loaded")
    ax.set_xlabel("roll")
    ax.set_ylim(-0.05, 1.1)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.set_label(
        "Casino example over 300 rolls: shaded stretches show where the loaded die was really used; "
        "the forward-backward posterior probability of the loaded die rises over most of them, while "
        "the Viterbi path (black marks at the top) labels only the first, clearest stretch as loaded"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    obs, states = sample_hmm(START, TRANS, EMIT, 300, np.random.default_rng(3))
    print("first 40 rolls (0-5 = faces 1-6):", obs[:40])
    print("die used (1 = loaded):           ", states[:40])
    log_alpha, ll = forward(obs, START, TRANS, EMIT)
    print(f"log-likelihood of 300 rolls: {ll:.4f} (the probability itself, e^{ll:.0f}, is tiny)")
    log_prob, path = viterbi(obs, START, TRANS, EMIT)
    gamma, _ = posteriors(obs, START, TRANS, EMIT)
    print(f"Viterbi: log p(best path, rolls) = {log_prob:.4f}, states correct {np.mean(path == states):.4f}")
    print(f"posterior decoding (argmax of gamma): states correct {np.mean(gamma.argmax(axis=1) == states):.4f}")
    big, _ = sample_hmm(START, TRANS, EMIT, 1000, np.random.default_rng(1))
    (pi, A, B), hist = baum_welch(big, *INIT, n_iter=100, tol=1e-2)
    print(f"Baum-Welch on 1000 rolls (tol 1e-2): {hist.size} iterations, log-likelihood {hist[0]:.2f} -> {hist[-1]:.2f}")
    print("learned transition matrix\n", A)
    print("learned P(six) per state", B[:, 5])
    plot_casino(obs, states, gamma, path)
