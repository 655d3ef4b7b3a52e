"""Finite Markov decision processes: a policy turns an MDP into a Markov chain with rewards.

An MDP is stored as arrays (``snippets.reinforcement_learning.MDP``): ``P[s, a, s2]``
transition probabilities, ``R[s, a, s2]`` rewards, a mask of terminal (absorbing,
zero-reward) states and a start distribution. A stationary policy is an array
``policy[s, a]`` of action probabilities, like a tabular softmax policy in
Stable-Baselines3 or the ``(S, A)`` tables of Sutton & Barto.

Fixing the policy gives a Markov chain ``P_pi`` with expected rewards ``r_pi``, and
the value of the policy solves the linear system ``(I - gamma P_pi) V = r_pi``
(on the non-terminal states; terminal states have value 0).
"""

import itertools

import numpy as np

from snippets.reinforcement_learning import DOWN, RIGHT, frozen_lake, random_walk, returns_to_go, run_episode


def policy_dynamics(mdp, policy):
    """The Markov chain and expected rewards induced by a policy.

    Parameters
    ----------
    mdp : MDP
        ``P`` and ``R`` of shape (S, A, S).
    policy : ndarray of shape (S, A)
        Action probabilities; each row sums to 1.

    Returns
    -------
    P_pi : ndarray of shape (S, S)
        ``P_pi[s, s2] = sum_a policy[s, a] P[s, a, s2]``.
    r_pi : ndarray of shape (S,)
        Expected reward of the next step, ``sum_a policy[s, a] sum_s2 P[s, a, s2] R[s, a, s2]``.
    """
    P_pi = np.einsum("sa,sat->st", policy, mdp.P)
    r_pi = np.einsum("sa,sat,sat->s", policy, mdp.P, mdp.R)
    return P_pi, r_pi


def evaluate_policy(mdp, policy, gamma):
    """Exact state values of a policy by one linear solve.

    ``V = r_pi + gamma P_pi V`` restricted to the non-terminal states N, i.e.
    ``(I - gamma P_NN) V_N = r_N``; terminal states have value 0. With ``gamma = 1``
    the system is singular when some non-terminal state never terminates under the
    policy, and a ``ValueError`` says so instead of returning inf or NaN.

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
    gamma : float
        Discount factor in [0, 1].

    Returns
    -------
    V : ndarray of shape (S,)
    """
    P_pi, r_pi = policy_dynamics(mdp, policy)
    N = np.flatnonzero(~mdp.terminal)
    M = np.eye(len(N)) - gamma * P_pi[np.ix_(N, N)]
    if np.linalg.cond(M) > 1e12:
        raise ValueError(
            "the value is infinite or undefined: with gamma = 1 some states never reach a "
            "terminal state under this policy; use gamma < 1 or a policy that terminates"
        )
    V = np.zeros(len(mdp.terminal))
    V[N] = np.linalg.solve(M, r_pi[N])
    return V


def action_values(mdp, V, gamma):
    """One-step lookahead ``Q(s, a) = sum_s2 P[s, a, s2] (R[s, a, s2] + gamma V[s2])``.

    Parameters
    ----------
    mdp : MDP
    V : ndarray of shape (S,)
    gamma : float

    Returns
    -------
    Q : ndarray of shape (S, A)
    """
    return np.einsum("sat,sat->sa", mdp.P, mdp.R + gamma * V[None, None, :])


def discounted_visits(mdp, policy, gamma):
    """Expected discounted number of visits to each state from the start distribution.

    ``d = mu^T (I - gamma P_pi)^-1`` over the non-terminal states (0 on terminal ones),
    the "discounted state distribution" (unnormalised) of the policy gradient theorem.
    The objective ``J = mu . V`` equals ``d . r_pi``.

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
    gamma : float

    Returns
    -------
    d : ndarray of shape (S,)
    """
    P_pi, _ = policy_dynamics(mdp, policy)
    N = np.flatnonzero(~mdp.terminal)
    d = np.zeros(len(mdp.terminal))
    d[N] = np.linalg.solve((np.eye(len(N)) - gamma * P_pi[np.ix_(N, N)]).T, mdp.start[N])
    return d


def deterministic_policies(n_states, n_actions):
    """Every deterministic policy as a one-hot ``(S, A)`` array (there are ``A ** S``).

    Parameters
    ----------
    n_states, n_actions : int

    Yields
    ------
    policy : ndarray of shape (S, A)
    """
    for choice in itertools.product(range(n_actions), repeat=n_states):
        yield np.eye(n_actions)[list(choice)]


# ----------------------------------------------------------------------------- checks


def _pad(policy):
    """Add the (irrelevant) action of the two terminal ends of the random walk."""
    return np.vstack([[1.0, 0.0], policy, [1.0, 0.0]])


def check_values_of_the_random_walk_are_i_over_n_plus_1():
    mdp = random_walk(5)
    V = evaluate_policy(mdp, np.full((7, 2), 0.5), gamma=1.0)
    assert np.allclose(V, np.arange(7) / 6 * (np.arange(7) < 6), rtol=0, atol=1e-12)


def check_linear_solve_matches_monte_carlo():
    rng = np.random.default_rng(0)
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    uniform = np.full((16, 4), 0.25)
    V = evaluate_policy(mdp, uniform, gamma)
    G0 = np.array([returns_to_go(run_episode(mdp, uniform, rng, max_steps=400)[2], gamma)[:1].sum() for _ in range(4000)])
    assert abs(G0.mean() - V[0]) <= 4 * G0.std() / np.sqrt(len(G0)) + 1e-12


def check_value_is_the_fixed_point_of_one_step_lookahead():
    mdp, gamma = frozen_lake(is_slippery=True), 0.95
    rng = np.random.default_rng(1)
    policy = rng.dirichlet(np.ones(4), size=16)
    V = evaluate_policy(mdp, policy, gamma)
    Q = action_values(mdp, V, gamma)
    assert np.allclose((policy * Q).sum(axis=1), V, rtol=0, atol=1e-12)


def check_objective_two_ways():
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    policy = np.random.default_rng(2).dirichlet(np.ones(4), size=16)
    _, r_pi = policy_dynamics(mdp, policy)
    d = discounted_visits(mdp, policy, gamma)
    assert np.isclose(mdp.start @ evaluate_policy(mdp, policy, gamma), d @ r_pi, rtol=1e-12)


def check_chain_probabilities_match_simulation():
    # Markov property: P(at the goal after k steps) is a matrix power of P_pi.
    rng = np.random.default_rng(3)
    mdp = frozen_lake(is_slippery=True)
    uniform = np.full((16, 4), 0.25)
    P_pi, _ = policy_dynamics(mdp, uniform)
    exact = np.linalg.matrix_power(P_pi, 100)[0, 15]
    wins = np.array([run_episode(mdp, uniform, rng)[2].sum() for _ in range(4000)])
    assert abs(wins.mean() - exact) <= 4 * np.sqrt(exact * (1 - exact) / len(wins))


def check_one_deterministic_policy_is_best_in_every_state():
    # Brute force over all 2**5 deterministic policies of the chain: one of them is
    # at least as good as every other policy in every state at once, random ones included.
    mdp, gamma = random_walk(5), 0.9
    values = np.array([evaluate_policy(mdp, _pad(pi), gamma) for pi in deterministic_policies(5, 2)])
    best = values[np.argmax(values.sum(axis=1))]
    assert np.all(values <= best + 1e-12)
    rng = np.random.default_rng(4)
    for _ in range(50):
        assert np.all(evaluate_policy(mdp, rng.dirichlet(np.ones(2), size=7), gamma) <= best + 1e-12)
    assert np.allclose(best[1:6], gamma ** np.arange(4, -1, -1))  # always RIGHT: reward after 5 - i steps


def check_undiscounted_policy_that_never_ends_raises():
    stay = np.zeros((16, 4))
    stay[:, 0] = 1.0  # LEFT from the start corner forever
    try:
        evaluate_policy(frozen_lake(is_slippery=False), stay, gamma=1.0)
    except ValueError as e:
        assert "never reach a terminal state" in str(e)
    else:
        raise AssertionError("expected ValueError")
    assert np.all(np.isfinite(evaluate_policy(frozen_lake(is_slippery=False), stay, gamma=0.99)))


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    uniform = np.full((16, 4), 0.25)
    route = np.full(16, DOWN)
    route[[8, 13, 14]] = RIGHT
    for name, pi in (("uniform random policy", uniform), ("fixed route", np.eye(4)[route])):
        P_pi, _ = policy_dynamics(mdp, pi)
        print(
            f"{name}: P(goal within 100 steps) = {np.linalg.matrix_power(P_pi, 100)[0, 15]:.4f};"
            f" V(start), gamma = 0.9: {evaluate_policy(mdp, pi, gamma)[0]:.4f}"
        )
    print("V of the uniform random policy on the 4x4 grid (gamma = 0.9):")
    print(evaluate_policy(mdp, uniform, gamma).reshape(4, 4))

    chain = random_walk(5)
    values = [(evaluate_policy(chain, _pad(pi), gamma)[1:6], pi.argmax(axis=1)) for pi in deterministic_policies(5, 2)]
    values.sort(key=lambda x: -x[0].sum())
    print("random walk, gamma = 0.9, all 2**5 = 32 deterministic policies; V on states 1..5:")
    for rank in (0, 1, 2, 31):
        print(f"   #{rank + 1:2d} actions", values[rank][1], "(0 = left, 1 = right):", values[rank][0])
    print("   the best is >= every other policy in every state:", all(np.all(v <= values[0][0] + 1e-12) for v, _ in values))
