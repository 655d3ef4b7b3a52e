"""Bellman equations: policy evaluation and value iteration on a tabular MDP.

The Bellman *expectation* operator of a policy and the Bellman *optimality* operator,

    (T_pi V)(s) = sum_a pi(a|s) sum_s2 P(s2|s,a) [R(s,a,s2) + gamma V(s2)]
    (T_*  V)(s) = max_a     sum_s2 P(s2|s,a) [R(s,a,s2) + gamma V(s2)]

are gamma-contractions in the max norm, so iterating them from any start converges to
their unique fixed points, V_pi and V_*. Iterating T_pi is *iterative policy
evaluation*; iterating T_* is *value iteration* (Sutton & Barto, sections 4.1 and 4.4).
Sweeps are synchronous (every state updated from the previous V), and greedy ties go to
the lowest action index, like ``numpy.argmax`` and the ``argmax`` of a DQN's Q-values.
"""

import numpy as np

from snippets.markov_decision_process import action_values, evaluate_policy, policy_dynamics
from snippets.reinforcement_learning import frozen_lake, random_walk

ARROWS = "<v>^"  # FrozenLake's actions 0 LEFT, 1 DOWN, 2 RIGHT, 3 UP


def expectation_backup(mdp, policy, V, gamma):
    """One application of the Bellman expectation operator ``T_pi``.

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
    V : ndarray of shape (S,)
    gamma : float

    Returns
    -------
    V_new : ndarray of shape (S,)
    """
    return (policy * action_values(mdp, V, gamma)).sum(axis=1)


def optimality_backup(mdp, V, gamma):
    """One application of the Bellman optimality operator ``T_*``.

    Parameters
    ----------
    mdp : MDP
    V : ndarray of shape (S,)
    gamma : float

    Returns
    -------
    V_new : ndarray of shape (S,)
    """
    return action_values(mdp, V, gamma).max(axis=1)


def greedy_policy(Q):
    """Deterministic policy that picks ``argmax_a Q[s, a]`` (lowest index on ties).

    Parameters
    ----------
    Q : ndarray of shape (S, A)

    Returns
    -------
    policy : ndarray of shape (S, A)
        One-hot rows.
    """
    return np.eye(Q.shape[1])[Q.argmax(axis=1)]


def policy_evaluation(mdp, policy, gamma, tol=1e-10, max_sweeps=100_000):
    """Iterative policy evaluation: ``V <- T_pi V`` from ``V = 0`` until the change is below ``tol``.

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
    gamma : float
    tol : float
        Stop when ``max |V_new - V| < tol``.
    max_sweeps : int

    Returns
    -------
    V : ndarray of shape (S,)
    sweeps : int

    Raises
    ------
    ValueError
        If ``max_sweeps`` pass without convergence (e.g. ``gamma = 1`` and a policy
        that never terminates while collecting reward).
    """
    V = np.zeros(mdp.P.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = expectation_backup(mdp, policy, V, gamma)
        if np.max(np.abs(V_new - V)) < tol:
            return V_new, sweep
        V = V_new
    raise ValueError(f"policy evaluation did not converge in {max_sweeps} sweeps")


def value_iteration(mdp, gamma, tol=1e-10, max_sweeps=100_000):
    """Value iteration: ``V <- T_* V`` from ``V = 0``; returns ``V_*``, ``Q_*`` and a greedy policy.

    With ``gamma < 1``, stopping when the change is below ``tol`` leaves
    ``max |V - V_*| <= tol * gamma / (1 - gamma)``.

    Parameters
    ----------
    mdp : MDP
    gamma : float
    tol : float
    max_sweeps : int

    Returns
    -------
    V : ndarray of shape (S,)
    Q : ndarray of shape (S, A)
    policy : ndarray of shape (S, A)
        Greedy with respect to ``Q``.
    sweeps : int

    Raises
    ------
    ValueError
        If ``max_sweeps`` pass without convergence.
    """
    V = np.zeros(mdp.P.shape[0])
    for sweep in range(1, max_sweeps + 1):
        V_new = optimality_backup(mdp, V, gamma)
        if np.max(np.abs(V_new - V)) < tol:
            Q = action_values(mdp, V_new, gamma)
            return V_new, Q, greedy_policy(Q), sweep
        V = V_new
    raise ValueError(f"value iteration did not converge in {max_sweeps} sweeps")


# ----------------------------------------------------------------------------- checks


def check_iterative_evaluation_matches_linear_solve():
    mdp, gamma = frozen_lake(is_slippery=True), 0.95
    policy = np.random.default_rng(0).dirichlet(np.ones(4), size=16)
    V_iter, _ = policy_evaluation(mdp, policy, gamma, tol=1e-13)
    V_solve = evaluate_policy(mdp, policy, gamma)
    assert np.allclose(V_iter, V_solve, rtol=0, atol=1e-11)
    # ... and the solution satisfies the Bellman expectation equation V = r_pi + gamma P_pi V.
    P_pi, r_pi = policy_dynamics(mdp, policy)
    assert np.allclose(V_solve, r_pi + gamma * P_pi @ V_solve, rtol=0, atol=1e-12)


def check_both_operators_are_gamma_contractions():
    rng = np.random.default_rng(1)
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    policy = rng.dirichlet(np.ones(4), size=16)
    for _ in range(20):
        U, W = rng.normal(size=16) * 10, rng.normal(size=16) * 10
        U[mdp.terminal] = W[mdp.terminal] = 0.0
        gap = np.max(np.abs(U - W))
        assert np.max(np.abs(optimality_backup(mdp, U, gamma) - optimality_backup(mdp, W, gamma))) <= gamma * gap + 1e-12
        assert np.max(np.abs(expectation_backup(mdp, policy, U, gamma) - expectation_backup(mdp, policy, W, gamma))) <= gamma * gap + 1e-12


def check_greedy_policy_of_v_star_is_optimal():
    mdp, gamma = frozen_lake(is_slippery=True), 0.99
    V_star, Q_star, pi_star, _ = value_iteration(mdp, gamma, tol=1e-12)
    assert np.allclose(optimality_backup(mdp, V_star, gamma), V_star, rtol=0, atol=1e-10)  # fixed point
    assert np.allclose(Q_star.max(axis=1), V_star, rtol=0, atol=1e-10)
    assert np.allclose(evaluate_policy(mdp, pi_star, gamma), V_star, rtol=0, atol=1e-8)  # it achieves V_*
    rng = np.random.default_rng(2)
    for _ in range(30):  # and nothing beats it
        assert np.all(evaluate_policy(mdp, rng.dirichlet(np.ones(4), size=16), gamma) <= V_star + 1e-9)


def check_chain_closed_form():
    # On the chain "always right" is optimal: V_*(i) = gamma ** (5 - i).
    mdp, gamma = random_walk(5), 0.9
    V_star, _, pi_star, sweeps = value_iteration(mdp, gamma)
    assert np.allclose(V_star[1:6], gamma ** np.arange(4, -1, -1), rtol=0, atol=1e-12)
    assert np.all(pi_star[1:6, 1] == 1.0) and sweeps == 6  # the reward travels one state per sweep


def check_value_iteration_error_shrinks_geometrically():
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    V_star, *_ = value_iteration(mdp, gamma, tol=1e-13)
    V = np.zeros(16)
    for k in range(1, 40):
        V = optimality_backup(mdp, V, gamma)
        assert np.max(np.abs(V - V_star)) <= gamma**k * np.max(np.abs(V_star)) + 1e-12


def check_undiscounted_chain_and_nonconvergence_raises():
    V_star, *_ = value_iteration(random_walk(5), gamma=1.0)
    assert np.allclose(V_star[1:6], 1.0)  # with gamma = 1 every state is worth the full reward
    try:
        value_iteration(frozen_lake(is_slippery=True), gamma=0.999999, tol=1e-15, max_sweeps=50)
    except ValueError as e:
        assert "did not converge" in str(e)
    else:
        raise AssertionError("expected ValueError")


def plot_values(V, policy, terminal, title):
    """Figure for the page: V as a 4x4 heatmap with the greedy action drawn in each cell (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.6, 4.0))
    image = ax.imshow(V.reshape(4, 4), cmap="viridis")
    letters = "SFFFFHFHFFFHHFFG"
    for s in range(16):
        r, c = divmod(s, 4)
        text = letters[s] if terminal[s] else f"{ARROWS[policy[s].argmax()]}\n{V[s]:.2f}"
        ax.text(c, r, text, ha="center", va="center", color="white" if V[s] < 0.6 else "black", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.set_label(
        "Optimal state values of slippery FrozenLake 4x4 with gamma 0.99, from 0.54 at the start "
        "to 0.86 next to the goal, with the greedy action as an arrow in each cell; several arrows "
        "point away from the nearest hole rather than towards the goal."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    mdp, gamma = frozen_lake(is_slippery=True), 0.99
    V_star, Q_star, pi_star, sweeps = value_iteration(mdp, gamma)
    print(f"slippery FrozenLake, gamma = {gamma}: value iteration converged in {sweeps} sweeps")
    print("V_* on the grid:")
    print(V_star.reshape(4, 4))
    print(
        "greedy policy:",
        " / ".join("".join("." if mdp.terminal[s] else ARROWS[pi_star[s].argmax()] for s in range(4 * r, 4 * r + 4)) for r in range(4)),
    )
    print("Q_*(start, .) for LEFT, DOWN, RIGHT, UP:", Q_star[0])
    for name, pi in (("the greedy policy", pi_star), ("the uniform random policy", np.full((16, 4), 0.25))):
        P_pi, _ = policy_dynamics(mdp, pi)
        print(f"P(goal within 100 steps) under {name}: {np.linalg.matrix_power(P_pi, 100)[0, 15]:.3f}")
    V_pe, n = policy_evaluation(mdp, np.full((16, 4), 0.25), gamma)
    gap = np.max(np.abs(V_pe - evaluate_policy(mdp, np.full((16, 4), 0.25), gamma)))
    print(f"uniform policy: iterative evaluation ({n} sweeps) vs linear solve, max difference {gap:.1e}")
    plot_values(V_star, pi_star, mdp.terminal, "V* and greedy actions, slippery FrozenLake, gamma = 0.99")
