"""Epsilon-greedy action selection, its exploration schedule, and a run on the 10-armed testbed.

With probability ``epsilon`` the agent takes a uniformly random action (which can be
the greedy one), otherwise the action with the largest estimated value. This is
exactly what Stable-Baselines3's ``DQN.predict`` does (``action_space.sample()``
when ``np.random.rand() < exploration_rate``, else the argmax of the Q-network), so
the greedy action is chosen with probability ``1 - epsilon + epsilon / K``.
``linear_schedule`` is SB3's ``get_linear_fn``: epsilon falls linearly from
``start`` to ``end`` over the first ``end_fraction`` of training, then stays at ``end``
(DQN's defaults: 1.0, 0.05, 0.1).
"""

import numpy as np

from snippets.reinforcement_learning import bandit_pull


def epsilon_greedy_probabilities(q, epsilon, ties="first"):
    """Action probabilities of the epsilon-greedy policy for one state.

    Parameters
    ----------
    q : ndarray of shape (K,)
        Estimated action values.
    epsilon : float
        Exploration rate in [0, 1].
    ties : {"first", "random"}
        "first": greedy ties go to the lowest index (``numpy.argmax``, SB3);
        "random": the greedy share is split among all maximal actions (Sutton & Barto).

    Returns
    -------
    probs : ndarray of shape (K,)
    """
    K = len(q)
    probs = np.full(K, epsilon / K)
    if ties == "first":
        probs[np.argmax(q)] += 1.0 - epsilon
    else:
        best = q == q.max()
        probs[best] += (1.0 - epsilon) / best.sum()
    return probs


def epsilon_greedy_actions(Q, epsilon, rng):
    """Epsilon-greedy actions for a batch of states (or of independent problems).

    Parameters
    ----------
    Q : ndarray of shape (N, K)
        Estimated action values, one row per state.
    epsilon : float
    rng : numpy.random.Generator

    Returns
    -------
    actions : ndarray of shape (N,), int
        Greedy (lowest index on ties) with probability ``1 - epsilon``, else uniform.
    """
    N, K = Q.shape
    explore = rng.random(N) < epsilon
    return np.where(explore, rng.integers(0, K, size=N), Q.argmax(axis=1))


def linear_schedule(start, end, end_fraction):
    """SB3's ``get_linear_fn``: a function of ``progress_remaining`` (1 at the start of training, 0 at the end).

    Parameters
    ----------
    start, end : float
        Values at ``progress_remaining = 1`` and once ``1 - progress_remaining > end_fraction``.
    end_fraction : float
        Fraction of training over which the value moves from ``start`` to ``end``.

    Returns
    -------
    schedule : callable
        ``progress_remaining -> value``.
    """

    def schedule(progress_remaining):
        done = 1.0 - progress_remaining
        return end if done > end_fraction else start + done * (end - start) / end_fraction

    return schedule


def run_bandits(means, steps, epsilon, rng, initial=0.0):
    """Epsilon-greedy with sample-average estimates on many bandit problems at once.

    Sutton & Barto's simple bandit algorithm (section 2.4): ``Q[a] += (r - Q[a]) / N[a]``.

    Parameters
    ----------
    means : ndarray of shape (R, K)
        True mean rewards of R independent K-armed problems.
    steps : int
    epsilon : float or callable
        Constant rate, or a function of ``progress_remaining`` such as :func:`linear_schedule`.
    rng : numpy.random.Generator
    initial : float
        Initial estimate of every arm (large values give "optimistic" exploration).

    Returns
    -------
    rewards : ndarray of shape (steps,)
        Average reward over the R problems at each step.
    optimal : ndarray of shape (steps,)
        Fraction of problems in which the best arm was chosen at each step.
    Q : ndarray of shape (R, K)
        Final estimates.
    N : ndarray of shape (R, K)
        Final pull counts.
    """
    R, K = means.shape
    Q, N = np.full((R, K), float(initial)), np.zeros((R, K))
    rows, best = np.arange(R), means.argmax(axis=1)
    rewards, optimal = np.empty(steps), np.empty(steps)
    for t in range(steps):
        eps = epsilon(1.0 - t / steps) if callable(epsilon) else epsilon
        a = epsilon_greedy_actions(Q, eps, rng)
        r = bandit_pull(means, a, rng)
        N[rows, a] += 1
        Q[rows, a] += (r - Q[rows, a]) / N[rows, a]
        rewards[t], optimal[t] = r.mean(), np.mean(a == best)
    return rewards, optimal, Q, N


# ----------------------------------------------------------------------------- checks


def check_probabilities():
    q = np.array([0.1, 0.7, 0.7, -2.0])
    for eps in (0.0, 0.1, 1.0):
        for ties in ("first", "random"):
            p = epsilon_greedy_probabilities(q, eps, ties)
            assert np.isclose(p.sum(), 1.0) and np.all(p >= eps / 4 - 1e-15)
    assert np.allclose(epsilon_greedy_probabilities(q, 0.2, "first"), [0.05, 0.85, 0.05, 0.05])
    assert np.allclose(epsilon_greedy_probabilities(q, 0.2, "random"), [0.05, 0.45, 0.45, 0.05])
    assert np.allclose(epsilon_greedy_probabilities(q, 1.0), 0.25)  # epsilon = 1: uniform


def check_sampled_actions_follow_the_probabilities():
    rng = np.random.default_rng(0)
    q = np.array([0.3, 1.0, -0.5])
    n = 60_000
    freq = np.bincount(epsilon_greedy_actions(np.tile(q, (n, 1)), 0.3, rng), minlength=3) / n
    p = epsilon_greedy_probabilities(q, 0.3)
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n))


def check_linear_schedule_matches_sb3():
    eps = linear_schedule(1.0, 0.05, 0.1)  # DQN's defaults
    assert eps(1.0) == 1.0
    assert np.isclose(eps(0.95), 0.525)  # halfway through the first 10% of training
    assert np.isclose(eps(0.9), 0.05) and eps(0.5) == 0.05 and eps(0.0) == 0.05


def check_exploration_beats_greedy_in_the_long_run():
    # Pure greedy locks onto whichever arm looked good first; epsilon = 0.1 keeps sampling
    # every arm, so its estimates converge and it finds the best arm far more often.
    rng = np.random.default_rng(1)
    means = rng.normal(size=(500, 10))
    _, opt_greedy, _, N_greedy = run_bandits(means, 1000, 0.0, rng)
    _, opt_eps, Q_eps, N_eps = run_bandits(means, 1000, 0.1, rng)
    assert opt_eps[-200:].mean() > opt_greedy[-200:].mean() + 0.2
    assert np.all(N_eps >= 1)  # every arm of every problem was tried (about 10 times expected)
    assert np.mean(N_greedy == 0) > 0.5  # greedy never tries most arms
    err = np.abs(Q_eps - means)[N_eps > 30]
    assert np.mean(err) < 0.2  # frequently pulled arms are estimated well


def plot_testbed(curves):
    """Figure for the page: average reward and best-arm rate for several epsilons (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for label, (rewards, optimal) in curves.items():
        kernel = np.ones(20) / 20  # smooth over 20 steps for readability
        ax1.plot(np.convolve(rewards, kernel, mode="valid"), label=label)
        ax2.plot(np.convolve(optimal, kernel, mode="valid"), label=label)
    ax1.set_xlabel("step")
    ax1.set_ylabel("average reward")
    ax2.set_xlabel("step")
    ax2.set_ylabel("fraction choosing the best arm")
    ax2.set_ylim(0, 1)
    ax2.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "The 10-armed testbed averaged over 1000 problems: greedy selection (epsilon 0) levels off "
        "early at about 1.0 average reward and picks the best arm about a third of the time; epsilon "
        "0.1 learns fastest and picks it about 80% of the time by step 1000; epsilon 0.01 improves "
        "slowly but keeps improving."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    print("epsilon-greedy probabilities for q = [0.1, 0.7, 0.7, -2.0], epsilon = 0.2:")
    q = np.array([0.1, 0.7, 0.7, -2.0])
    print("  ties to the first (SB3, numpy.argmax):", epsilon_greedy_probabilities(q, 0.2, "first"))
    print("  ties split at random (Sutton & Barto): ", epsilon_greedy_probabilities(q, 0.2, "random"))
    eps = linear_schedule(1.0, 0.05, 0.1)
    print("SB3 DQN schedule at 0%, 5%, 10%, 50% of training:", [round(eps(1 - f), 3) for f in (0.0, 0.05, 0.1, 0.5)])

    rng = np.random.default_rng(0)
    means = rng.normal(size=(1000, 10))
    curves = {}
    print("10-armed testbed, 1000 problems, 1000 steps (averages over the last 100 steps):")
    for e in (0.0, 0.01, 0.1):
        rewards, optimal, _, _ = run_bandits(means, 1000, e, rng)
        curves[f"epsilon = {e}"] = (rewards, optimal)
        print(f"  epsilon = {e:<5}: average reward {rewards[-100:].mean():.3f}, best arm {optimal[-100:].mean():.1%}")
    rewards, optimal, _, _ = run_bandits(means, 1000, linear_schedule(1.0, 0.01, 0.5), rng)
    print(f"  linear 1.0 -> 0.01 over the first half: average reward {rewards[-100:].mean():.3f}, best arm {optimal[-100:].mean():.1%}")
    print(f"  (best possible: {means.max(axis=1).mean():.3f})")
    plot_testbed(curves)
