"""TD(0) prediction: learn state values from each transition, bootstrapping from the next state's estimate.

After each step ``(s, r, s2)`` of an episode under the policy being evaluated::

    delta = r + gamma * (1 - terminated) * V[s2] - V[s]      # the TD error
    V[s] += alpha * delta

Constant-alpha Monte Carlo instead waits for the end of the episode and moves ``V[s]``
towards the observed return ``G``. The snippet compares the two on the random walk of
Sutton & Barto (Example 6.2, Figure 6.2), and checks the batch result of Example 6.4:
batch TD converges to the values of the maximum-likelihood Markov model of the data
("certainty equivalence"), batch Monte Carlo to the sample averages of the returns.
"""

import numpy as np

from snippets.markov_decision_process import evaluate_policy
from snippets.reinforcement_learning import frozen_lake, reset, sample_index, step


def td0_update(V, s, r, s2, terminated, alpha, gamma):
    """One TD(0) update, returning a new value table (the input is not modified).

    Parameters
    ----------
    V : ndarray of shape (S,)
    s : int
    r : float
    s2 : int
    terminated : bool
        If True the target is ``r`` alone (a terminal state is worth 0).
    alpha, gamma : float

    Returns
    -------
    V_new : ndarray of shape (S,)
    delta : float
        The TD error ``r + gamma V[s2] - V[s]``.
    """
    delta = r + (0.0 if terminated else gamma * V[s2]) - V[s]
    V_new = V.copy()
    V_new[s] += alpha * delta
    return V_new, float(delta)


def td0_prediction(mdp, policy, episodes, alpha, gamma, rng, V=None, max_steps=1000):
    """Tabular TD(0) evaluation of a policy, online (the table changes during each episode).

    Parameters
    ----------
    mdp : MDP
    policy : ndarray of shape (S, A)
    episodes : int
    alpha, gamma : float
    rng : numpy.random.Generator
    V : ndarray of shape (S,) or None
        Initial estimates (zeros by default).
    max_steps : int

    Returns
    -------
    V : ndarray of shape (S,)
    """
    V = np.zeros(mdp.P.shape[0]) if V is None else V.astype(float)
    for _ in range(episodes):
        s = reset(mdp, rng)
        for _ in range(max_steps):
            s2, r, terminated, _ = step(mdp, s, sample_index(policy[s], rng), rng)
            V[s] += alpha * (r + (0.0 if terminated else gamma * V[s2]) - V[s])
            s = s2
            if terminated:
                break
    return V


def random_walk_rms(method, alpha, runs, episodes, rng, n=5):
    """RMS error of TD(0) or constant-alpha Monte Carlo on the random walk, averaged over runs.

    Reproduces the set-up of Sutton & Barto's Figure 6.2: uniform random policy, no
    discounting, all estimates start at 0.5, true values ``i / (n + 1)``. All runs are
    simulated in lockstep with NumPy.

    Parameters
    ----------
    method : {"td", "mc"}
    alpha : float
    runs, episodes : int
    rng : numpy.random.Generator
    n : int
        Number of non-terminal states.

    Returns
    -------
    rms : ndarray of shape (episodes + 1,)
        Root-mean-square error over the n states, averaged over runs, before the first
        episode and after each one.
    V : ndarray of shape (runs, n + 2)
        Final estimates (terminal entries are 0).
    """
    true = np.arange(1, n + 1) / (n + 1)
    V = np.full((runs, n + 2), 0.5)
    V[:, [0, n + 1]] = 0.0
    rows = np.arange(runs)
    rms = [np.sqrt(np.mean((V[:, 1:-1] - true) ** 2, axis=1)).mean()]
    for _ in range(episodes):
        s = np.full(runs, (n + 1) // 2)
        alive = np.ones(runs, dtype=bool)
        visits = np.zeros((runs, n + 2))  # every-visit counts, for Monte Carlo
        while alive.any():
            s2 = np.where(alive, s + np.where(rng.random(runs) < 0.5, -1, 1), s)  # finished runs stay put
            r = (s2 == n + 1).astype(float)
            if method == "td":
                delta = r + V[rows, s2] - V[rows, s]  # V of a terminal state is 0
                V[rows[alive], s[alive]] += alpha * delta[alive]
            else:
                np.add.at(visits, (rows[alive], s[alive]), 1.0)
            s = np.where(alive, s2, s)
            alive &= (s2 != 0) & (s2 != n + 1)
        if method == "mc":  # the return of every visited state is the final reward
            G = (s == n + 1).astype(float)[:, None]
            V += (1.0 - (1.0 - alpha) ** visits) * (G - V)  # visits applied one after another
        rms.append(np.sqrt(np.mean((V[:, 1:-1] - true) ** 2, axis=1)).mean())
    return np.array(rms), V


def batch_estimates(episodes, n_states, alpha=0.01, tol=1e-12):
    """Batch TD(0) and batch Monte Carlo on a fixed set of undiscounted episodes.

    Batch updating (Sutton & Barto, section 6.3): sweep the whole data set, add up
    the increments with the values held fixed, apply them, and repeat until nothing
    changes.

    Parameters
    ----------
    episodes : list of list of (int, float, int)
        Each episode a list of transitions ``(s, r, s2)``; ``s2 = -1`` marks termination.
    n_states : int
    alpha : float
    tol : float

    Returns
    -------
    V_td : ndarray of shape (n_states,)
    V_mc : ndarray of shape (n_states,)
    """
    V_td, V_mc = np.zeros(n_states), np.zeros(n_states)
    while True:
        inc_td, inc_mc = np.zeros(n_states), np.zeros(n_states)
        for episode in episodes:
            G = sum(r for _, r, _ in episode)
            for s, r, s2 in episode:
                inc_td[s] += r + (V_td[s2] if s2 >= 0 else 0.0) - V_td[s]
                inc_mc[s] += G - V_mc[s]
                G -= r
        V_td, V_mc = V_td + alpha * inc_td, V_mc + alpha * inc_mc
        if max(np.abs(inc_td).max(), np.abs(inc_mc).max()) * alpha < tol:
            return V_td, V_mc


# Sutton & Barto's Example 6.4: states A = 0, B = 1; eight episodes.
EXAMPLE_6_4 = [[(0, 0.0, 1), (1, 0.0, -1)]] + [[(1, 1.0, -1)]] * 6 + [[(1, 0.0, -1)]]


# ----------------------------------------------------------------------------- checks


def check_update_formula():
    V = np.array([0.0, 0.5, 0.2, 0.0])
    V2, delta = td0_update(V, 1, 1.0, 2, False, alpha=0.1, gamma=0.9)
    assert np.isclose(delta, 1.0 + 0.9 * 0.2 - 0.5) and np.isclose(V2[1], 0.5 + 0.1 * delta)
    assert np.array_equal(V2[[0, 2, 3]], V[[0, 2, 3]]) and V[1] == 0.5  # input untouched
    assert np.isclose(td0_update(V, 1, 1.0, 3, True, 1.0, 0.9)[0][1], 1.0)  # terminal: target is r


def check_td_beats_constant_alpha_monte_carlo_on_the_random_walk():
    rng = np.random.default_rng(0)
    td, _ = random_walk_rms("td", 0.05, 100, 100, rng)
    mc, _ = random_walk_rms("mc", 0.02, 100, 100, rng)
    assert td[0] == mc[0]  # same start: all estimates 0.5
    assert td[-1] < mc[-1] and td[-1] < 0.08 and td[-1] < 0.4 * td[0]


def check_batch_td_is_certainty_equivalence_and_batch_mc_the_sample_mean():
    V_td, V_mc = batch_estimates(EXAMPLE_6_4, 2)
    # MC: A was followed by return 0 in its only episode; B returned 1 in 6 of its 8 visits.
    assert np.allclose(V_mc, [0.0, 0.75], atol=1e-8)
    # TD: the maximum-likelihood model says A always goes to B, so V(A) = V(B) = 0.75.
    assert np.allclose(V_td, [0.75, 0.75], atol=1e-8)


def check_td_evaluates_a_policy_on_the_slippery_lake():
    rng = np.random.default_rng(1)
    mdp, gamma = frozen_lake(is_slippery=True), 0.9
    live = (~mdp.terminal).astype(float)
    starts = mdp._replace(start=live / live.sum())  # exploring starts: visit every state
    uniform = np.full((16, 4), 0.25)
    V = td0_prediction(starts, uniform, 2000, 0.05, gamma, rng)
    V_true = evaluate_policy(mdp, uniform, gamma)
    # constant alpha: estimates fluctuate around V_pi, most in the high-value, high-variance states
    assert np.mean(np.abs(V - V_true)) < 0.02 and np.max(np.abs(V - V_true)) < 0.15
    assert np.all(V[mdp.terminal] == 0.0)


def plot_random_walk(estimates, curves):
    """Figure for the page: TD(0) estimates after some episodes, and RMS error curves (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    states = np.arange(1, 6)
    ax1.plot(states, states / 6, "k--", label="true values")
    for label, V in estimates.items():
        ax1.plot(states, V, marker="o", label=label)
    ax1.set_xticks(states, ["A", "B", "C", "D", "E"])
    ax1.set_ylabel("estimated value")
    ax1.legend(fontsize=8)
    for label, rms in curves.items():
        ax2.plot(rms, label=label)
    ax2.set_xlabel("episodes")
    ax2.set_ylabel("RMS error, averaged over 100 runs")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Left: TD(0) estimates of the five random-walk states move from 0.5 towards the diagonal "
        "line of true values 1/6 to 5/6 after 1, 10 and 100 episodes. Right: the RMS error of TD(0) "
        "falls faster and lower than that of constant-alpha Monte Carlo for every step size shown."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    estimates = {}
    V = np.full((1, 7), 0.5)
    print("random walk A..E, true values 1/6..5/6 =", np.arange(1, 6) / 6)
    for k in (1, 10, 100):
        _, V = random_walk_rms("td", 0.1, 1, k, np.random.default_rng(1))
        estimates[f"TD(0), {k} episodes"] = V[0, 1:6]
        print(f"  TD(0), alpha = 0.1, after {k:3d} episodes:", V[0, 1:6])
    curves = {}
    print("RMS error after 100 episodes, averaged over 100 runs:")
    for method, alpha in (("td", 0.05), ("td", 0.1), ("mc", 0.01), ("mc", 0.03)):
        rms, _ = random_walk_rms(method, alpha, 100, 100, rng)
        label = f"{'TD(0)' if method == 'td' else 'MC'}, alpha = {alpha}"
        curves[label] = rms
        print(f"  {label:18s}: {rms[-1]:.3f}")
    V_td, V_mc = batch_estimates(EXAMPLE_6_4, 2)
    print(f"Example 6.4 (A,0,B,0 / six times B,1 / B,0), batch updating: TD V(A), V(B) = {V_td.round(3)}, MC V(A), V(B) = {V_mc.round(3)}")
    plot_random_walk(estimates, curves)
