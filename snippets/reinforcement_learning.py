"""The agent-environment loop of reinforcement learning, with small tabular environments.

This module defines the environments that the other reinforcement-learning snippets
import, as plain arrays (an ``MDP``) plus pure ``reset`` / ``step`` functions:

* ``frozen_lake`` is Gymnasium's ``FrozenLake-v1`` 4x4 map: same layout
  (``SFFF / FHFH / FFFH / HFFG``), same state numbering ``row * 4 + col``, same
  actions (0 LEFT, 1 DOWN, 2 RIGHT, 3 UP), reward 1 for reaching G, episodes end in
  G or a hole H, and with ``is_slippery=True`` the agent moves in the intended
  direction or one of the two perpendicular ones, each with probability 1/3;
* ``random_walk`` is the chain of Sutton & Barto's Example 6.2: ``n`` states in a
  row between two terminal ends, reward 1 only for leaving on the right;
* ``bandit_pull`` samples the 10-armed testbed's rewards, Normal(mean, 1).

``step`` returns ``(next_state, reward, terminated, truncated)`` in Gymnasium's
order; time limits (``truncated``) are applied by :func:`run_episode`, as
Gymnasium's ``TimeLimit`` wrapper does (FrozenLake's limit is 100 steps).
Terminal states are absorbing with reward 0, as in Gymnasium's transition table
``env.unwrapped.P``, so values of terminal states are 0.
"""

from typing import NamedTuple

import numpy as np

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
FROZEN_LAKE_4x4 = ("SFFF", "FHFH", "FFFH", "HFFG")


class MDP(NamedTuple):
    """A finite Markov decision process stored as arrays.

    Attributes
    ----------
    P : ndarray of shape (S, A, S)
        ``P[s, a, s2]`` is the probability of moving to ``s2`` after action ``a`` in ``s``.
    R : ndarray of shape (S, A, S)
        Reward received on that transition.
    terminal : ndarray of shape (S,), bool
        Terminal states (absorbing, reward 0).
    start : ndarray of shape (S,)
        Distribution of the initial state.
    """

    P: np.ndarray
    R: np.ndarray
    terminal: np.ndarray
    start: np.ndarray


def frozen_lake(is_slippery=True, desc=FROZEN_LAKE_4x4):
    """Gymnasium's ``FrozenLake-v1`` as an :class:`MDP`.

    Parameters
    ----------
    is_slippery : bool
        As in ``gymnasium.make("FrozenLake-v1", is_slippery=...)``: if True the move
        goes in direction ``(a - 1) % 4``, ``a`` or ``(a + 1) % 4`` with probability
        1/3 each; moves off the grid leave the agent where it is.
    desc : tuple of str
        The map, one string per row (S start, F frozen, H hole, G goal).

    Returns
    -------
    mdp : MDP
        With ``S = rows * cols`` states and ``A = 4`` actions.
    """
    rows, cols = len(desc), len(desc[0])
    letters = "".join(desc)
    S, A = rows * cols, 4
    P, R = np.zeros((S, A, S)), np.zeros((S, A, S))
    terminal = np.array([c in "GH" for c in letters])
    moves = {LEFT: (0, -1), DOWN: (1, 0), RIGHT: (0, 1), UP: (-1, 0)}
    for s in range(S):
        r, c = divmod(s, cols)
        for a in range(A):
            if terminal[s]:
                P[s, a, s] = 1.0
                continue
            directions = [(a - 1) % 4, a, (a + 1) % 4] if is_slippery else [a]
            for b in directions:
                dr, dc = moves[b]
                r2, c2 = min(max(r + dr, 0), rows - 1), min(max(c + dc, 0), cols - 1)
                s2 = r2 * cols + c2
                P[s, a, s2] += 1.0 / len(directions)
                R[s, a, s2] = float(letters[s2] == "G")
    start = np.array([float(ch == "S") for ch in letters])
    return MDP(P, R, terminal, start)


def random_walk(n=5):
    """The random-walk chain of Sutton & Barto (Example 6.2) as an :class:`MDP`.

    States ``0`` and ``n + 1`` are terminal; ``1 .. n`` lie in a row and the walk
    starts in the middle. Action 0 moves left, action 1 moves right; entering state
    ``n + 1`` gives reward 1, every other transition 0. Under the uniform random
    policy with no discounting the value of state ``i`` is ``i / (n + 1)``.

    Parameters
    ----------
    n : int
        Number of non-terminal states (odd, so that there is a middle).

    Returns
    -------
    mdp : MDP
        With ``S = n + 2`` states and ``A = 2`` actions.
    """
    S = n + 2
    P, R = np.zeros((S, 2, S)), np.zeros((S, 2, S))
    terminal = np.zeros(S, dtype=bool)
    terminal[[0, S - 1]] = True
    for s in range(S):
        if terminal[s]:
            P[s, :, s] = 1.0
            continue
        P[s, 0, s - 1] = 1.0
        P[s, 1, s + 1] = 1.0
    R[S - 2, 1, S - 1] = 1.0
    start = np.zeros(S)
    start[(n + 1) // 2] = 1.0
    return MDP(P, R, terminal, start)


def gymnasium_table(mdp):
    """The transition table in Gymnasium's toy-text format, ``P[s][a] = [(p, s2, r, terminated), ...]``.

    Parameters
    ----------
    mdp : MDP

    Returns
    -------
    table : dict of dict of list of tuple
        Outcomes with nonzero probability, in increasing order of ``s2``. Outcomes
        that reach the same ``s2`` are merged into one entry (Gymnasium lists each
        slip direction separately, so its lists can repeat a state).
    """
    S, A, _ = mdp.P.shape
    return {
        s: {
            a: [(float(mdp.P[s, a, s2]), s2, float(mdp.R[s, a, s2]), bool(mdp.terminal[s2])) for s2 in np.flatnonzero(mdp.P[s, a])]
            for a in range(A)
        }
        for s in range(S)
    }


def sample_index(p, rng):
    """Draw an index from a discrete distribution with one uniform number (inverse CDF).

    Same distribution as ``rng.choice(len(p), p=p)``, several times faster for the
    short vectors of tabular RL.

    Parameters
    ----------
    p : ndarray of shape (K,)
        Probabilities summing to 1.
    rng : numpy.random.Generator

    Returns
    -------
    index : int
    """
    return min(int(np.searchsorted(np.cumsum(p), rng.random(), side="right")), len(p) - 1)


def reset(mdp, rng):
    """Draw the initial state, like ``env.reset()`` (which also returns an info dict).

    Parameters
    ----------
    mdp : MDP
    rng : numpy.random.Generator

    Returns
    -------
    state : int
    """
    return sample_index(mdp.start, rng)


def step(mdp, state, action, rng):
    """Take one action, like ``env.step(action)`` in Gymnasium.

    Parameters
    ----------
    mdp : MDP
    state : int
    action : int
    rng : numpy.random.Generator

    Returns
    -------
    next_state : int
    reward : float
    terminated : bool
        True when ``next_state`` is terminal.
    truncated : bool
        Always False here; time limits are applied by :func:`run_episode`.
    """
    next_state = sample_index(mdp.P[state, action], rng)
    return next_state, float(mdp.R[state, action, next_state]), bool(mdp.terminal[next_state]), False


def run_episode(mdp, policy, rng, max_steps=100):
    """Roll out one episode of a stationary stochastic policy.

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
        ``policy[s, a]`` is the probability of action ``a`` in state ``s``.
    rng : numpy.random.Generator
    max_steps : int
        Time limit, as Gymnasium's ``TimeLimit`` wrapper (100 for FrozenLake).

    Returns
    -------
    states : ndarray of shape (T + 1,)
        ``s_0 .. s_T``.
    actions : ndarray of shape (T,)
    rewards : ndarray of shape (T,)
        ``rewards[t]`` is ``r_{t+1}``, received after ``actions[t]``.
    truncated : bool
        True if the episode was cut by the time limit rather than terminated.
    """
    s = reset(mdp, rng)
    states, actions, rewards = [s], [], []
    for _ in range(max_steps):
        a = sample_index(policy[s], rng)
        s, r, terminated, _ = step(mdp, s, a, rng)
        states.append(s)
        actions.append(a)
        rewards.append(r)
        if terminated:
            return np.array(states), np.array(actions), np.array(rewards), False
    return np.array(states), np.array(actions), np.array(rewards), True


def returns_to_go(rewards, gamma):
    """Discounted return from every time step, ``G_t = r_{t+1} + gamma * G_{t+1}``.

    Computed backwards in one pass, as Monte Carlo methods and REINFORCE use it.

    Parameters
    ----------
    rewards : ndarray of shape (T,)
    gamma : float
        Discount factor in [0, 1].

    Returns
    -------
    G : ndarray of shape (T,)
        ``G[0]`` is the return of the whole episode.
    """
    G = np.zeros(len(rewards))
    acc = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        acc = rewards[t] + gamma * acc
        G[t] = acc
    return G


def bandit_pull(means, actions, rng):
    """Rewards of a Gaussian multi-armed bandit (Sutton & Barto's 10-armed testbed).

    Parameters
    ----------
    means : ndarray of shape (R, K)
        Mean reward of each of K arms, for R independent bandit problems.
    actions : ndarray of shape (R,), int
        The arm pulled in each problem.
    rng : numpy.random.Generator

    Returns
    -------
    rewards : ndarray of shape (R,)
        Normal(means[r, actions[r]], 1) draws.
    """
    return means[np.arange(len(actions)), actions] + rng.normal(size=len(actions))


# ----------------------------------------------------------------------------- checks


def check_transition_probabilities_are_distributions():
    for mdp in (frozen_lake(True), frozen_lake(False), random_walk(5), random_walk(1)):
        assert np.all(mdp.P >= 0) and np.allclose(mdp.P.sum(axis=2), 1.0, rtol=0, atol=1e-12)
        assert np.isclose(mdp.start.sum(), 1.0)
        # terminal states are absorbing and pay nothing
        T = np.flatnonzero(mdp.terminal)
        assert np.all(mdp.P[T, :, T] == 1.0) and np.all(mdp.R[T] == 0.0)


def check_table_matches_gymnasium_frozen_lake():
    # Entries of gymnasium.make("FrozenLake-v1").unwrapped.P, written out by hand
    # (Gymnasium lists the two outcomes that both stay in state 0 separately, 1/3 each).
    table = gymnasium_table(frozen_lake(is_slippery=True))
    third = 1.0 / 3.0
    # LEFT in the corner: UP and LEFT bump into the wall, DOWN reaches state 4.
    assert table[0][LEFT] == [(2 * third, 0, 0.0, False), (third, 4, 0.0, False)]
    # RIGHT next to the goal: DOWN stays, RIGHT reaches G (reward 1, terminated), UP goes to 10.
    assert table[14][RIGHT] == [(third, 10, 0.0, False), (third, 14, 0.0, False), (third, 15, 1.0, True)]
    assert gymnasium_table(frozen_lake(is_slippery=False))[14][RIGHT] == [(1.0, 15, 1.0, True)]
    assert table[5][UP] == [(1.0, 5, 0.0, True)]  # a hole is absorbing


def check_sampled_steps_follow_P():
    rng = np.random.default_rng(0)
    mdp = frozen_lake(is_slippery=True)
    n = 30_000
    counts = np.bincount([step(mdp, 14, RIGHT, rng)[0] for _ in range(n)], minlength=16)
    p = mdp.P[14, RIGHT]
    # every frequency within 5 binomial standard errors of its probability
    assert np.all(np.abs(counts / n - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12)


def check_returns_to_go_match_direct_sums():
    rng = np.random.default_rng(1)
    rewards, gamma = rng.normal(size=7), 0.9
    G = returns_to_go(rewards, gamma)
    for t in range(7):
        assert np.isclose(G[t], sum(gamma**k * rewards[t + k] for k in range(7 - t)), rtol=1e-12)
    assert np.allclose(returns_to_go(rewards, 0.0), rewards)  # gamma = 0: only the next reward counts
    assert returns_to_go(np.array([]), 0.9).shape == (0,)  # an empty episode


def check_monte_carlo_values_of_the_random_walk():
    # Average return from each state under the uniform random policy -> i / (n + 1).
    rng = np.random.default_rng(2)
    mdp = random_walk(5)
    uniform = np.full((7, 2), 0.5)
    totals, visits = np.zeros(7), np.zeros(7)
    for _ in range(3000):
        states, _, rewards, truncated = run_episode(mdp, uniform, rng, max_steps=1000)
        assert not truncated
        G = returns_to_go(rewards, 1.0)
        first = {}
        for t, s in enumerate(states[:-1]):
            first.setdefault(s, t)  # first-visit Monte Carlo
        for s, t in first.items():
            totals[s] += G[t]
            visits[s] += 1
    estimate = totals[1:6] / visits[1:6]
    true = np.arange(1, 6) / 6
    # within 4 standard errors (a return is 0 or 1 here)
    assert np.all(np.abs(estimate - true) <= 4 * np.sqrt(true * (1 - true) / visits[1:6]))


def check_time_limit_truncates():
    rng = np.random.default_rng(3)
    stay = np.zeros((16, 4))
    stay[:, LEFT] = 1.0  # always LEFT from the start corner: never terminates
    states, actions, rewards, truncated = run_episode(frozen_lake(False), stay, rng, max_steps=100)
    assert truncated and len(actions) == 100 and len(states) == 101 and rewards.sum() == 0.0


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    print("FrozenLake 4x4 (S start, F frozen, H hole, G goal):", " / ".join(FROZEN_LAKE_4x4))

    # A fixed route S -> 4 -> 8 -> 9 -> 13 -> 14 -> G, written as a deterministic policy.
    route = np.full(16, DOWN)
    route[[8, 13, 14]] = RIGHT
    policy = np.eye(4)[route]
    gamma = 0.9
    states, actions, rewards, _ = run_episode(frozen_lake(is_slippery=False), policy, rng)
    print("no ice: states", states, "rewards", rewards)
    print(f"        return with gamma = 0.9: {returns_to_go(rewards, gamma)[0]:.5f} (= 0.9**5)")

    ice = frozen_lake(is_slippery=True)
    for name, pi in (("uniform random policy", np.full((16, 4), 0.25)), ("same route", policy)):
        wins = [run_episode(ice, pi, rng)[2].sum() for _ in range(2000)]
        # exact probability of reaching G within 100 steps: a power of the chain's matrix
        exact = np.linalg.matrix_power(np.einsum("sa,sat->st", pi, ice.P), 100)[0, 15]
        se = np.sqrt(exact * (1 - exact) / len(wins))  # standard error of a frequency from 2000 episodes
        print(f"slippery ice, {name:22s} reaches G in {np.mean(wins):.1%} of 2000 episodes (exact: {exact:.1%}, standard error {se:.2%})")

    mdp = random_walk(5)
    values = np.zeros(7)
    for s0 in range(1, 6):
        starts = np.eye(7)[s0]
        g = [run_episode(mdp._replace(start=starts), np.full((7, 2), 0.5), rng)[2].sum() for _ in range(400)]
        values[s0] = np.mean(g)
    print("random walk, Monte Carlo value of states 1..5:", values[1:6], " true: i/6 =", np.arange(1, 6) / 6)
