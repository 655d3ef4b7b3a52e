"""Policy gradients for softmax policies: REINFORCE on a bandit, and the policy gradient theorem on an MDP.

A softmax policy ``pi = softmax(theta)`` has the score function

    grad_theta log pi(a) = onehot(a) - pi,

the gradient of ``torch.distributions.Categorical(logits=theta).log_prob(a)``.
REINFORCE (Williams, 1992) estimates the gradient of the expected reward
``J(theta) = E[r]`` by ``(r - b) * grad log pi(a)`` for a sampled action ``a`` and a
baseline ``b`` that does not depend on ``a``. The estimate is unbiased for any such
baseline; a good baseline only lowers its variance. For a tabular softmax policy on
an MDP the policy gradient theorem gives the exact gradient

    dJ / dtheta[s, a] = d_pi(s) * pi(a|s) * (Q_pi(s, a) - V_pi(s)),

with ``d_pi`` the discounted state visits (Sutton et al., NIPS 1999).
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient, numerical_gradient_array

from snippets.markov_decision_process import action_values, discounted_visits, evaluate_policy
from snippets.reinforcement_learning import bandit_pull, frozen_lake
from snippets.softmax import log_softmax_backward, log_softmax_forward, softmax


def log_prob_forward(theta, actions):
    """Log-probabilities of chosen actions under softmax policies.

    Like ``torch.distributions.Categorical(logits=theta).log_prob(actions)``.

    Parameters
    ----------
    theta : ndarray of shape (N, K)
        Logits, one row per decision.
    actions : ndarray of shape (N,), int

    Returns
    -------
    logp : ndarray of shape (N,)
    cache : tuple
        What :func:`log_prob_backward` needs.
    """
    logp_all, cache = log_softmax_forward(theta)
    return logp_all[np.arange(len(actions)), actions], (cache, actions)


def log_prob_backward(dlogp, cache):
    """Gradient with respect to the logits: ``dlogp[:, None] * (onehot(actions) - pi)``.

    Parameters
    ----------
    dlogp : ndarray of shape (N,)
        Upstream gradient (for REINFORCE, the returns minus the baseline).
    cache : tuple
        From :func:`log_prob_forward`.

    Returns
    -------
    dtheta : ndarray of shape (N, K)
    """
    logp_all, actions = cache
    dout = np.zeros_like(logp_all)
    dout[np.arange(len(actions)), actions] = dlogp
    return log_softmax_backward(dout, logp_all)


def bandit_objective(theta, q):
    """Expected reward ``J = sum_a pi(a) q(a)`` of a softmax policy on a bandit.

    Parameters
    ----------
    theta : ndarray of shape (K,)
    q : ndarray of shape (K,)
        Mean reward of each arm.

    Returns
    -------
    J : float
    """
    return float(softmax(theta) @ q)


def bandit_gradient(theta, q):
    """Exact gradient of :func:`bandit_objective`: ``pi * (q - J)``.

    Parameters
    ----------
    theta, q : ndarray of shape (K,)

    Returns
    -------
    grad : ndarray of shape (K,)
    """
    pi = softmax(theta)
    return pi * (q - pi @ q)


def reinforce_estimates(theta, q, n, rng, baseline=0.0):
    """``n`` independent one-sample REINFORCE estimates of the bandit gradient.

    Each draws ``a ~ pi``, a reward ``r ~ Normal(q[a], 1)`` and returns
    ``(r - baseline) * (onehot(a) - pi)``.

    Parameters
    ----------
    theta, q : ndarray of shape (K,)
    n : int
    rng : numpy.random.Generator
    baseline : float

    Returns
    -------
    grads : ndarray of shape (n, K)
    """
    K = len(theta)
    pi = softmax(theta)
    actions = np.minimum(np.searchsorted(np.cumsum(pi), rng.random(n), side="right"), K - 1)
    rewards = bandit_pull(np.tile(q, (n, 1)), actions, rng)
    _, cache = log_prob_forward(np.tile(theta, (n, 1)), actions)
    return log_prob_backward(rewards - baseline, cache)


def mdp_objective(mdp, theta, gamma):
    """``J(theta) = mu . V_pi`` for the tabular softmax policy ``pi(.|s) = softmax(theta[s])``.

    Parameters
    ----------
    mdp : MDP
    theta : ndarray of shape (S, A)
    gamma : float

    Returns
    -------
    J : float
    """
    return float(mdp.start @ evaluate_policy(mdp, softmax(theta, axis=-1), gamma))


def policy_gradient_theorem(mdp, theta, gamma):
    """Exact ``dJ/dtheta`` of :func:`mdp_objective` from the policy gradient theorem.

    Parameters
    ----------
    mdp : MDP
    theta : ndarray of shape (S, A)
    gamma : float

    Returns
    -------
    grad : ndarray of shape (S, A)
        ``d(s) pi(a|s) (Q(s, a) - V(s))``.
    """
    pi = softmax(theta, axis=-1)
    V = evaluate_policy(mdp, pi, gamma)
    advantage = action_values(mdp, V, gamma) - V[:, None]
    return discounted_visits(mdp, pi, gamma)[:, None] * pi * advantage


def train_gradient_bandit(means, steps, alpha, rng, baseline=True):
    """REINFORCE with one sample per step on many bandit problems at once.

    Sutton & Barto's gradient bandit algorithm (section 2.8): ``theta += alpha (r - b)
    (onehot(a) - pi)``, with ``b`` the running average of the rewards received so far
    (or 0 without baseline).

    Parameters
    ----------
    means : ndarray of shape (R, K)
        Arm means of R independent problems.
    steps : int
    alpha : float
    rng : numpy.random.Generator
    baseline : bool

    Returns
    -------
    best_arm_rate : ndarray of shape (steps,)
        Fraction of the R problems in which the best arm was pulled at each step.
    """
    R, K = means.shape
    theta, avg = np.zeros((R, K)), np.zeros(R)
    best = means.argmax(axis=1)
    rate = np.empty(steps)
    for t in range(steps):
        pi = softmax(theta, axis=-1)
        u = rng.random(R)[:, None]
        actions = np.minimum((np.cumsum(pi, axis=1) <= u).sum(axis=1), K - 1)
        rewards = bandit_pull(means, actions, rng)
        b = avg if baseline else 0.0
        _, cache = log_prob_forward(theta, actions)
        theta = theta + alpha * log_prob_backward(rewards - b, cache)
        avg = avg + (rewards - avg) / (t + 1)
        rate[t] = np.mean(actions == best)
    return rate


# ----------------------------------------------------------------------------- checks


def check_log_prob_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    theta, actions, dlogp = rng.normal(size=(5, 4)), rng.integers(0, 4, size=5), rng.normal(size=5)
    _, cache = log_prob_forward(theta, actions)
    num = numerical_gradient_array(lambda t: log_prob_forward(t, actions)[0], theta.copy(), dlogp)
    assert_gradient_close(log_prob_backward(dlogp, cache), num, tol=1e-8, what="d log pi / d theta")


def check_bandit_gradient_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    theta, q = rng.normal(size=5), rng.normal(size=5)
    num = numerical_gradient(lambda t: bandit_objective(t, q), theta.copy())
    assert_gradient_close(bandit_gradient(theta, q), num, tol=1e-8, what="dJ/dtheta")


def check_reinforce_is_unbiased_with_or_without_baseline():
    rng = np.random.default_rng(2)
    theta, q = np.array([0.5, 0.0, -0.5]), np.array([1.0, 2.0, 0.0]) + 5.0
    exact = bandit_gradient(theta, q)
    variances = []
    for b in (0.0, bandit_objective(theta, q)):
        g = reinforce_estimates(theta, q, 40_000, rng, baseline=b)
        assert np.all(np.abs(g.mean(axis=0) - exact) <= 4 * g.std(axis=0) / np.sqrt(len(g)))
        variances.append(g.var(axis=0).sum())
    assert variances[1] < 0.2 * variances[0]  # rewards near 6: the baseline removes most of the noise


def check_policy_gradient_theorem_on_frozen_lake():
    rng = np.random.default_rng(3)
    mdp, gamma = frozen_lake(is_slippery=True), 0.95
    theta = rng.normal(size=(16, 4))
    num = numerical_gradient(lambda t: mdp_objective(mdp, t, gamma), theta.copy(), h=1e-5)
    assert_gradient_close(policy_gradient_theorem(mdp, theta, gamma), num, tol=1e-6, what="policy gradient theorem")


def check_extreme_logits_stay_finite():
    theta, q = np.array([1000.0, 0.0, -1000.0]), np.array([1.0, 2.0, 3.0])
    logp, cache = log_prob_forward(theta[None, :].repeat(3, 0), np.array([0, 1, 2]))
    assert np.all(np.isfinite(logp)) and np.isclose(logp[2], -2000.0)
    assert np.all(np.isfinite(log_prob_backward(np.ones(3), cache)))
    assert np.allclose(bandit_gradient(theta, q), 0.0)  # a saturated softmax has (almost) no gradient


def plot_bandit_training(rate_with, rate_without):
    """Figure for the page: best-arm rate of REINFORCE with and without baseline (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4))
    steps = np.arange(1, len(rate_with) + 1)
    ax.plot(steps, rate_with, label="baseline = average reward")
    ax.plot(steps, rate_without, label="no baseline")
    ax.set_xlabel("step")
    ax.set_ylabel("fraction pulling the best arm")
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.set_label(
        "Fraction of 500 ten-armed bandit problems (arm means around 4) in which REINFORCE pulls the "
        "best arm: with the average reward as baseline it climbs past 80% within 1000 steps; "
        "without a baseline it stays far lower."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    theta, q = np.zeros(3), np.array([0.2, 0.5, 1.0]) + 5.0
    J = bandit_objective(theta, q)
    print(f"3-armed bandit, means {q}, uniform policy theta = 0: J = {J:.3f}")
    print("exact gradient pi * (q - J):", bandit_gradient(theta, q))
    for name, b in (("no baseline  ", 0.0), ("baseline = J ", J)):
        g = reinforce_estimates(theta, q, 20_000, rng, baseline=b)
        print(f"REINFORCE, {name}: mean of 20000 estimates {g.mean(axis=0)}, total variance {g.var(axis=0).sum():.2f}")

    mdp, gamma = frozen_lake(is_slippery=True), 0.99
    theta = np.zeros((16, 4))
    history = []
    for it in range(3001):
        if it in (0, 10, 100, 1000, 3000):
            history.append((it, mdp_objective(mdp, theta, gamma)))
        theta = theta + 200.0 * policy_gradient_theorem(mdp, theta, gamma)
    print(
        "slippery FrozenLake, exact policy-gradient ascent (step 200), J = V(start) at iterations",
        ", ".join(f"{it}: {J:.3f}" for it, J in history),
        "(optimum 0.542)",
    )

    means = rng.normal(4.0, 1.0, size=(500, 10))
    with_b = train_gradient_bandit(means, 1000, 0.1, rng, baseline=True)
    without_b = train_gradient_bandit(means, 1000, 0.1, rng, baseline=False)
    print(
        f"10-armed testbed, 500 problems, alpha = 0.1: best arm pulled at step 1000 in "
        f"{with_b[-100:].mean():.1%} (baseline) vs {without_b[-100:].mean():.1%} (none) of problems"
        " (mean of the last 100 steps)"
    )
    plot_bandit_training(with_b, without_b)
