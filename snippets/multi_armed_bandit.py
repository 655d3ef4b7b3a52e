"""Stochastic multi-armed bandits: regret, and epsilon-greedy, UCB1 and Thompson sampling compared.

K arms pay Bernoulli rewards with unknown means ``mu``. The (pseudo-)regret after T
pulls is ``T * max(mu) - sum_t mu[a_t] = sum_a gap[a] * N_a(T)``. Lai & Robbins
(1985) showed that any consistent strategy has regret at least
``sum_{gap > 0} gap[a] / KL(mu[a], mu*) * ln T`` asymptotically; UCB1 (Auer,
Cesa-Bianchi & Fischer, 2002) plays ``argmax Q[a] + sqrt(2 ln t / N[a])`` after one
pull of every arm and has expected regret at most
``sum_{gap > 0} 8 ln T / gap[a] + (1 + pi^2 / 3) sum gap[a]``. Thompson sampling draws a
mean for every arm from its Beta posterior and pulls the largest. All algorithms run
on R independent problems at once, as NumPy arrays of shape (R, K).
"""

import numpy as np

from snippets.epsilon_greedy import epsilon_greedy_actions


def bernoulli_pull(means, actions, rng):
    """0/1 rewards of Bernoulli arms.

    Parameters
    ----------
    means : ndarray of shape (R, K)
    actions : ndarray of shape (R,), int
    rng : numpy.random.Generator

    Returns
    -------
    rewards : ndarray of shape (R,)
    """
    return (rng.random(len(actions)) < means[np.arange(len(actions)), actions]).astype(float)


def ucb1_actions(Q, N, t):
    """UCB1's choice: untried arms first (lowest index), then ``argmax Q + sqrt(2 ln t / N)``.

    Parameters
    ----------
    Q : ndarray of shape (R, K)
        Sample means of the rewards of each arm.
    N : ndarray of shape (R, K)
        Pull counts.
    t : int
        Number of pulls so far (the bonus uses ``ln t``).

    Returns
    -------
    actions : ndarray of shape (R,), int
    """
    untried = N == 0
    with np.errstate(divide="ignore", invalid="ignore"):  # N = 0 entries are replaced below
        index = Q + np.sqrt(2.0 * np.log(max(t, 1)) / N)
    index[untried] = np.inf
    return index.argmax(axis=1)


def thompson_actions(S, F, rng):
    """Thompson sampling for Bernoulli arms with uniform Beta(1, 1) priors.

    Parameters
    ----------
    S, F : ndarray of shape (R, K)
        Numbers of successes (reward 1) and failures (reward 0) of each arm.
    rng : numpy.random.Generator

    Returns
    -------
    actions : ndarray of shape (R,), int
        ``argmax`` of one draw from each arm's posterior ``Beta(1 + S, 1 + F)``.
    """
    return rng.beta(1.0 + S, 1.0 + F).argmax(axis=1)


def run(means, steps, algorithm, rng, epsilon=0.1):
    """Play ``steps`` rounds of a bandit algorithm on every problem.

    Parameters
    ----------
    means : ndarray of shape (R, K)
        Bernoulli means of R independent problems.
    steps : int
    algorithm : {"greedy", "epsilon", "ucb1", "thompson"}
        "greedy" and "epsilon" pull every arm once, then use sample means with
        :func:`snippets.epsilon_greedy.epsilon_greedy_actions` (epsilon 0 for greedy).
    rng : numpy.random.Generator
    epsilon : float
        Exploration rate of ``"epsilon"``.

    Returns
    -------
    regret : ndarray of shape (steps,)
        Cumulative pseudo-regret after each step, averaged over the R problems.
    N : ndarray of shape (R, K)
        Final pull counts.
    """
    R, K = means.shape
    Q, N, S = np.zeros((R, K)), np.zeros((R, K)), np.zeros((R, K))
    rows, gaps = np.arange(R), means.max(axis=1, keepdims=True) - means
    regret, total = np.empty(steps), np.zeros(R)
    for t in range(steps):
        if algorithm == "ucb1":
            a = ucb1_actions(Q, N, t)
        elif t < K and algorithm in ("greedy", "epsilon"):
            a = np.full(R, t)  # one pull of every arm first, so that the estimates start informed
        elif algorithm == "thompson":
            a = thompson_actions(S, N - S, rng)
        else:
            a = epsilon_greedy_actions(Q, epsilon if algorithm == "epsilon" else 0.0, rng)
        r = bernoulli_pull(means, a, rng)
        N[rows, a] += 1
        S[rows, a] += r
        Q[rows, a] += (r - Q[rows, a]) / N[rows, a]
        total += gaps[rows, a]
        regret[t] = total.mean()
    return regret, N


def bernoulli_kl(p, q):
    """Kullback-Leibler divergence ``KL(Bernoulli(p) || Bernoulli(q))`` in nats.

    Parameters
    ----------
    p, q : ndarray of shape (K,)
        Probabilities; ``q`` strictly inside (0, 1).

    Returns
    -------
    kl : ndarray of shape (K,)
    """
    p, q = np.asarray(p, float), np.asarray(q, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(p > 0, p * np.log(p / q), 0.0)
        b = np.where(p < 1, (1 - p) * np.log((1 - p) / (1 - q)), 0.0)
    return a + b


def lai_robbins_constant(mu):
    """The constant ``c`` of the asymptotic lower bound ``regret(T) >= c ln T`` (Bernoulli arms).

    Parameters
    ----------
    mu : ndarray of shape (K,)

    Returns
    -------
    c : float
        ``sum over suboptimal arms of gap / KL(mu_a, mu*)``.
    """
    best = mu.max()
    sub = mu < best
    return float(np.sum((best - mu[sub]) / bernoulli_kl(mu[sub], np.full(sub.sum(), best))))


def ucb1_upper_bound(mu, T):
    """Auer et al.'s finite-time bound on the expected regret of UCB1 after ``T`` pulls.

    Parameters
    ----------
    mu : ndarray of shape (K,)
    T : int

    Returns
    -------
    bound : float
    """
    gaps = mu.max() - mu
    gaps = gaps[gaps > 0]
    return float(np.sum(8.0 * np.log(T) / gaps) + (1.0 + np.pi**2 / 3.0) * np.sum(gaps))


MU = np.array([0.2, 0.3, 0.45, 0.55, 0.8])  # the five arms of the checks and the demo


# ----------------------------------------------------------------------------- checks


def check_regret_decomposes_over_arms():
    rng = np.random.default_rng(0)
    means = rng.random((50, 4))
    regret, N = run(means, 300, "epsilon", rng)
    gaps = means.max(axis=1, keepdims=True) - means
    assert np.isclose(regret[-1], (gaps * N).sum(axis=1).mean(), rtol=1e-12)
    assert np.all(N.sum(axis=1) == 300) and np.all(np.diff(regret) >= 0)


def check_ucb1_tries_every_arm_then_stays_below_its_bound():
    rng = np.random.default_rng(1)
    means = np.tile(MU, (200, 1))
    regret, N = run(means, 3000, "ucb1", rng)
    assert np.all(N >= 1)
    assert regret[-1] <= ucb1_upper_bound(MU, 3000)
    # the best arm gets most pulls; the worst (gap 0.6) very few
    assert N[:, 4].mean() > 0.6 * 3000 and N[:, 0].mean() < 0.02 * 3000


def check_logarithmic_versus_linear_regret():
    # Slope of the regret over the last quarter of the run. Constant-epsilon exploration
    # keeps paying epsilon * (mean gap) per pull for ever (linear regret); UCB1 and
    # Thompson sampling explore less and less (logarithmic regret), so their slope is far lower.
    rng = np.random.default_rng(2)
    means = np.tile(MU, (200, 1))
    T = 3000
    slopes = {}
    for algorithm in ("epsilon", "ucb1", "thompson"):
        regret, _ = run(means, T, algorithm, rng)
        slopes[algorithm] = (regret[-1] - regret[3 * T // 4 - 1]) / (T // 4)
    floor = 0.1 * np.mean(MU.max() - MU)  # epsilon * mean gap = 0.034
    assert abs(slopes["epsilon"] - floor) < 0.25 * floor
    assert slopes["ucb1"] < 0.6 * floor and slopes["thompson"] < 0.3 * floor


def check_bernoulli_kl():
    p, q = np.array([0.0, 0.2, 0.5, 1.0]), np.array([0.5, 0.6, 0.5, 0.3])
    kl = bernoulli_kl(p, q)
    assert np.isclose(kl[0], np.log(2.0)) and kl[2] == 0.0 and np.isclose(kl[3], np.log(1 / 0.3))
    assert np.all(kl >= 2 * (p - q) ** 2 - 1e-15)  # Pinsker's inequality
    assert np.isclose(kl[1], 0.2 * np.log(0.2 / 0.6) + 0.8 * np.log(0.8 / 0.4))


def plot_regret(curves, c_lower):
    """Figure for the page: cumulative regret of four strategies and the Lai-Robbins rate (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for label, regret in curves.items():
        ax.plot(np.arange(1, len(regret) + 1), regret, label=label)
    t = np.arange(2, len(regret) + 1)
    ax.plot(t, c_lower * np.log(t), "k--", label="Lai-Robbins rate c ln t")
    ax.set_xlabel("pulls t")
    ax.set_ylabel("cumulative regret (mean of 200 runs)")
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    fig.set_label(
        "Cumulative regret on five Bernoulli arms over 3000 pulls: greedy grows linearly to about 270 "
        "and epsilon-greedy (0.1) to about 110; UCB1 rises fastest at first but bends over "
        "and ends near 113; Thompson sampling stays lowest, near 22, below the dashed curve c ln t of "
        "the asymptotic Lai-Robbins bound."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    T, R = 3000, 200
    means = np.tile(MU, (R, 1))
    c = lai_robbins_constant(MU)
    print(f"arms with means {MU}; best {MU.max()}; gaps {MU.max() - MU}")
    print(f"Lai-Robbins constant c = sum gap / KL = {c:.2f}; c ln T at T = {T}: {c * np.log(T):.1f}")
    print(f"UCB1 upper bound (Auer et al.) at T = {T}: {ucb1_upper_bound(MU, T):.1f}")
    curves = {}
    print(f"mean cumulative regret over {R} runs after 500, 1000, 2000, 3000 pulls; share of pulls on the best arm:")
    for name, algorithm in (("greedy", "greedy"), ("epsilon-greedy 0.1", "epsilon"), ("UCB1", "ucb1"), ("Thompson sampling", "thompson")):
        regret, N = run(means, T, algorithm, rng)
        curves[name] = regret
        print(f"  {name:19s}", regret[[499, 999, 1999, 2999]].round(1), f"  {N[:, -1].mean() / T:.1%}")
    plot_regret(curves, c)
