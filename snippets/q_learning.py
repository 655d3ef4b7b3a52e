"""Tabular Q-learning (Watkins, 1989; Watkins & Dayan, 1992).

After each transition ``(s, a, r, s2)``::

    Q[s, a] += alpha * (r + gamma * (1 - terminated) * max(Q[s2]) - Q[s, a])

The target bootstraps from the *greedy* value of the next state whatever action the
agent takes next, so Q-learning is off-policy: it learns ``Q_*`` while behaving
exploratorily. ``(1 - terminated)`` is the same mask as Stable-Baselines3's DQN
target ``rewards + (1 - dones) * gamma * next_q``: a terminal state has value 0, but
an episode cut by a time limit (``truncated``) still bootstraps from ``s2``.
"""

import numpy as np

from snippets.bellman_equation import greedy_policy, value_iteration
from snippets.markov_decision_process import policy_dynamics
from snippets.reinforcement_learning import frozen_lake, reset, sample_index, step


def q_learning_update(Q, s, a, r, s2, terminated, alpha, gamma):
    """One Q-learning update, returning a new table (the input is not modified).

    Parameters
    ----------
    Q : ndarray of shape (S, A)
    s, a : int
        State and action taken.
    r : float
        Reward received.
    s2 : int
        Next state.
    terminated : bool
        True if ``s2`` is terminal: then the target is just ``r``.
    alpha : float
        Step size in (0, 1].
    gamma : float
        Discount factor.

    Returns
    -------
    Q_new : ndarray of shape (S, A)
    td_error : float
        ``target - Q[s, a]``.
    """
    target = r + (0.0 if terminated else gamma * Q[s2].max())
    td_error = target - Q[s, a]
    Q_new = Q.copy()
    Q_new[s, a] += alpha * td_error
    return Q_new, float(td_error)


def behaviour_probabilities(Q_row, epsilon):
    """Epsilon-greedy action probabilities for one state (greedy ties to the lowest index).

    Parameters
    ----------
    Q_row : ndarray of shape (A,)
    epsilon : float
        Probability of a uniformly random action (which may also be the greedy one).

    Returns
    -------
    probs : ndarray of shape (A,)
    """
    probs = np.full(len(Q_row), epsilon / len(Q_row))
    probs[np.argmax(Q_row)] += 1.0 - epsilon
    return probs


def q_learning(mdp, gamma, episodes, rng, alpha=0.1, epsilon=0.1, max_steps=100, Q=None, Q_star=None):
    """Run tabular Q-learning with an epsilon-greedy behaviour policy.

    Parameters
    ----------
    mdp : MDP
    gamma : float
    episodes : int
    rng : numpy.random.Generator
    alpha : float or "1/n"
        Constant step size, or ``"1/n"`` for ``1 / (number of updates of (s, a))``.
    epsilon : float
        Exploration rate; ``1.0`` behaves uniformly at random (Q-learning still learns
        the greedy values).
    max_steps : int
        Time limit per episode; a truncated episode bootstraps from its last state.
    Q : ndarray of shape (S, A) or None
        Initial table (zeros by default).
    Q_star : ndarray of shape (S, A) or None
        If given, ``max |Q - Q_star|`` is recorded after every episode.

    Returns
    -------
    Q : ndarray of shape (S, A)
    errors : ndarray of shape (episodes,)
        The recorded errors (empty if ``Q_star`` is None).
    """
    S, A = mdp.P.shape[:2]
    Q = np.zeros((S, A)) if Q is None else Q.copy()
    counts = np.zeros((S, A))
    errors = []
    for _ in range(episodes):
        s = reset(mdp, rng)
        for _ in range(max_steps):
            a = sample_index(behaviour_probabilities(Q[s], epsilon), rng)
            s2, r, terminated, _ = step(mdp, s, a, rng)
            counts[s, a] += 1
            step_size = 1.0 / counts[s, a] if alpha == "1/n" else alpha
            # in-place form of q_learning_update, to avoid copying the table every step
            Q[s, a] += step_size * (r + (0.0 if terminated else gamma * Q[s2].max()) - Q[s, a])
            s = s2
            if terminated:
                break
        if Q_star is not None:
            errors.append(np.max(np.abs(Q - Q_star)))
    return Q, np.array(errors)


def goal_probability(mdp, Q, horizon=100):
    """Exact probability that the greedy policy of ``Q`` reaches FrozenLake's goal within ``horizon`` steps.

    Parameters
    ----------
    mdp : MDP
    Q : ndarray of shape (S, A)
    horizon : int

    Returns
    -------
    p : float
    """
    P_pi, _ = policy_dynamics(mdp, greedy_policy(Q))
    return float((mdp.start @ np.linalg.matrix_power(P_pi, horizon))[-1])


# ----------------------------------------------------------------------------- checks


def check_update_is_the_sample_bellman_backup():
    rng = np.random.default_rng(0)
    Q = rng.normal(size=(5, 3))
    Q_new, delta = q_learning_update(Q, 1, 2, 0.5, 3, False, alpha=0.25, gamma=0.9)
    assert np.isclose(delta, 0.5 + 0.9 * Q[3].max() - Q[1, 2])
    assert np.isclose(Q_new[1, 2], Q[1, 2] + 0.25 * delta)
    assert np.array_equal(np.delete(Q_new.ravel(), 5), np.delete(Q.ravel(), 5))  # nothing else moves
    # a terminal next state contributes nothing, whatever its (meaningless) table entry
    assert np.isclose(q_learning_update(Q, 1, 2, 0.5, 3, True, 1.0, 0.9)[0][1, 2], 0.5)


def check_off_policy_learning_reaches_q_star_exactly():
    # Deterministic lake, behaviour uniformly random, alpha = 1: every update is an exact
    # Bellman backup, so Q-learning is asynchronous value iteration and lands on Q_* itself.
    mdp, gamma = frozen_lake(is_slippery=False), 0.9
    _, Q_star, _, _ = value_iteration(mdp, gamma, tol=1e-14)
    Q, errors = q_learning(exploring_starts(mdp), gamma, 500, np.random.default_rng(1), alpha=1.0, epsilon=1.0, Q_star=Q_star)
    live = ~mdp.terminal
    assert np.allclose(Q[live], Q_star[live], rtol=0, atol=1e-12)
    assert np.all(np.diff(errors) <= 1e-15)  # from Q = 0 the error only shrinks (rewards >= 0)
    assert np.array_equal(greedy_policy(Q)[live], greedy_policy(Q_star)[live])


def check_step_size_one_over_n_gives_sample_averages():
    # One state, gamma = 0: Q-learning with alpha = 1/n is the running mean of the rewards.
    rng = np.random.default_rng(2)
    Q, rewards = np.zeros((1, 1)), rng.normal(3.0, 2.0, size=500)
    for n, r in enumerate(rewards, start=1):
        Q, _ = q_learning_update(Q, 0, 0, r, 0, True, 1.0 / n, 0.0)
    assert np.isclose(Q[0, 0], rewards.mean(), rtol=1e-12)


def exploring_starts(mdp):
    """The same MDP with episodes starting uniformly in any non-terminal state.

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    mdp : MDP
    """
    live = (~mdp.terminal).astype(float)
    return mdp._replace(start=live / live.sum())


def check_slippery_lake_estimates_approach_q_star():
    # Stochastic transitions, constant alpha: Q hovers around Q_*; the typical error is a
    # small fraction of the values themselves.
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    _, Q_star, _, _ = value_iteration(mdp, gamma, tol=1e-12)
    Q, _ = q_learning(exploring_starts(mdp), gamma, 2000, np.random.default_rng(3), alpha=0.1, epsilon=1.0)
    live = ~mdp.terminal
    assert np.abs(Q - Q_star)[live].mean() < 0.25 * np.abs(Q_star)[live].mean()


def check_behaviour_probabilities():
    p = behaviour_probabilities(np.array([1.0, 3.0, 3.0, 0.0]), 0.2)
    assert np.allclose(p, [0.05, 0.85, 0.05, 0.05]) and np.isclose(p.sum(), 1.0)


def plot_learning(errors, probs, checkpoints, best):
    """Figure for the page: error of Q on the deterministic lake, and goal probability on the slippery one (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4))
    ax1.plot(np.arange(1, len(errors) + 1), errors)
    ax1.set_xlabel("episode")
    ax1.set_ylabel("max |Q - Q*|")
    ax1.set_title("no ice, random behaviour and starts, alpha = 1", fontsize=10)
    ax2.plot(checkpoints, probs, marker="o")
    ax2.axhline(best, color="gray", linestyle="--", label=f"optimal policy ({best:.2f})")
    ax2.set_xlabel("episode")
    ax2.set_ylabel("P(goal within 100 steps)")
    ax2.set_ylim(0, 0.8)
    ax2.set_title("slippery ice, random behaviour, alpha = 0.1", fontsize=10)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    fig.set_label(
        "Left: on the ice-free FrozenLake, Q-learning from random behaviour drives the largest error "
        "of its Q-table from 1 down to exactly zero in fewer than 100 episodes. Right: on slippery "
        "ice, the goal probability of the learned table's greedy policy rises unevenly towards the "
        "optimal policy's 0.74."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    gamma = 0.9
    mdp = frozen_lake(is_slippery=False)
    _, Q_star, _, _ = value_iteration(mdp, gamma, tol=1e-14)
    Q, errors = q_learning(exploring_starts(mdp), gamma, 200, rng, alpha=1.0, epsilon=1.0, Q_star=Q_star)
    print("no ice, gamma = 0.9, uniformly random behaviour from random starts, alpha = 1")
    print("  max |Q - Q*| after episodes 1, 10, 25, 50, 100:", errors[[0, 9, 24, 49, 99]])
    print("  exactly Q* from episode", int(np.argmax(errors < 1e-12)) + 1, "on")
    print("  Q(start, .) =", Q[0], " Q*(start, .) =", Q_star[0])

    ice, gamma = frozen_lake(is_slippery=True), 0.99
    best = goal_probability(ice, value_iteration(ice, gamma)[1])
    Q, checkpoints, probs = np.zeros((16, 4)), [0], [goal_probability(ice, np.zeros((16, 4)))]
    for _ in range(6):
        Q, _ = q_learning(exploring_starts(ice), gamma, 500, rng, alpha=0.1, epsilon=1.0, Q=Q)
        checkpoints.append(checkpoints[-1] + 500)
        probs.append(goal_probability(ice, Q))
    print("slippery ice, gamma = 0.99, random behaviour from random starts, alpha = 0.1")
    print("  P(goal within 100 steps) of the greedy policy after", checkpoints, "episodes:")
    print("  ", np.round(probs, 3), f" optimal: {best:.3f}")
    plot_learning(errors, probs, checkpoints, best)
