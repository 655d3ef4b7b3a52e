"""Finite Markov chains: transition matrices, n-step distributions, stationary distribution, mixing.

Convention: ``P[i, j] = P(X_{t+1} = j | X_t = i)``, rows sum to one (row-stochastic), and
distributions are row vectors updated as ``pi_{t+1} = pi_t @ P``; this is the layout of
``hmmlearn``'s ``transmat_`` and of ``quantecon.MarkovChain(P)``, whose
``stationary_distributions`` and ``simulate(ts_length, init)`` the functions below mirror.
``pagerank`` follows ``networkx.pagerank(G, alpha=0.85)`` (dangling pages link everywhere).
"""

import numpy as np
from termbook.checks import assert_close

__all__ = [
    "validate_transition_matrix",
    "distribution_after",
    "stationary_distribution",
    "simulate",
    "second_eigenvalue_modulus",
    "pagerank",
]


def validate_transition_matrix(P, atol=1e-12):
    """Validate a row-stochastic matrix and return it as float64 (``quantecon.MarkovChain`` checks the same).

    Parameters
    ----------
    P : ndarray of shape (S, S)

    Returns
    -------
    P : ndarray of shape (S, S)
    """
    P = np.asarray(P, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] != P.shape[1]:
        raise ValueError("a transition matrix must be square")
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, atol=atol, rtol=0):
        raise ValueError("rows must be probability distributions (non-negative, summing to 1)")
    return P


def distribution_after(P, pi0, n):
    """Distribution of ``X_n`` given that of ``X_0``: ``pi0 @ np.linalg.matrix_power(P, n)``.

    Parameters
    ----------
    P : ndarray of shape (S, S)
    pi0 : ndarray of shape (S,)
    n : int
        Number of steps; ``np.linalg.matrix_power`` uses repeated squaring (O(log n) products).

    Returns
    -------
    pin : ndarray of shape (S,)
    """
    return np.asarray(pi0, dtype=np.float64) @ np.linalg.matrix_power(validate_transition_matrix(P), n)


def stationary_distribution(P):
    """The distribution with ``pi @ P = pi``, for a chain with a single closed class.

    Solved as a linear system (``pi (P - I) = 0`` with ``sum(pi) = 1``) by least squares; the row
    of ``quantecon.MarkovChain(P).stationary_distributions`` when there is one closed class.

    Parameters
    ----------
    P : ndarray of shape (S, S)

    Returns
    -------
    pi : ndarray of shape (S,)

    Raises
    ------
    ValueError
        If the stationary distribution is not unique (eigenvalue 1 is repeated: several closed
        classes), where ``quantecon`` would return one row per class.
    """
    P = validate_transition_matrix(P)
    S = P.shape[0]
    eig = np.linalg.eigvals(P)
    if np.sum(np.abs(eig - 1.0) < 1e-9) > 1:
        raise ValueError("the chain has several closed classes: the stationary distribution is not unique")
    A = np.vstack([(P - np.eye(S)).T, np.ones((1, S))])
    b = np.r_[np.zeros(S), 1.0]
    pi = np.linalg.lstsq(A, b, rcond=None)[0]
    pi = np.clip(pi, 0.0, None)  # round-off can leave -1e-17
    return pi / pi.sum()


def second_eigenvalue_modulus(P):
    """``|lambda_2|``, the second-largest eigenvalue modulus, from ``numpy.linalg.eigvals``.

    It sets the speed of convergence.

    Parameters
    ----------
    P : ndarray of shape (S, S)

    Returns
    -------
    slem : float
        The distance to stationarity shrinks roughly like ``slem**n``.
    """
    mods = np.sort(np.abs(np.linalg.eigvals(validate_transition_matrix(P))))[::-1]
    return float(mods[1])


def simulate(P, x0, n_steps, rng):
    """A sample path ``X_0 = x0, X_1, ..., X_{n_steps - 1}`` (``quantecon.MarkovChain.simulate``).

    Parameters
    ----------
    P : ndarray of shape (S, S)
    x0 : int
    n_steps : int
    rng : numpy.random.Generator

    Returns
    -------
    path : ndarray of shape (n_steps,)
    """
    P = validate_transition_matrix(P)
    cdf = np.cumsum(P, axis=1)
    u = rng.random(n_steps)
    cdf[:, -1] = 1.0  # guard against round-off in the last column
    path = [int(x0)]
    rows = cdf.tolist()
    for t in range(1, n_steps):  # plain Python lists: much faster than NumPy calls per step
        row, ut = rows[path[-1]], u[t]
        j = 0
        while ut >= row[j]:
            j += 1
        path.append(j)
    return np.array(path)


def pagerank(adjacency, alpha=0.85, tol=1e-12, max_iter=1000):
    """PageRank: the stationary distribution of a random surfer, like ``networkx.pagerank``.

    With probability ``alpha`` follow a random outgoing link (a page without links links to every
    page), otherwise jump to a uniformly random page.

    Parameters
    ----------
    adjacency : ndarray of shape (S, S)
        ``adjacency[i, j] = 1`` if page i links to page j.
    alpha : float
        Damping factor in (0, 1).
    tol : float
    max_iter : int

    Returns
    -------
    rank : ndarray of shape (S,)
        Sums to one.
    """
    A = np.asarray(adjacency, dtype=np.float64)
    S = A.shape[0]
    out = A.sum(axis=1, keepdims=True)
    links = np.where(out > 0, A / np.where(out > 0, out, 1.0), 1.0 / S)
    G = alpha * links + (1 - alpha) / S  # the "Google matrix": row-stochastic and irreducible
    r = np.full(S, 1.0 / S)
    for _ in range(max_iter):
        r_new = r @ G
        if np.abs(r_new - r).sum() < tol:
            return r_new
        r = r_new
    raise ValueError("power iteration did not converge")


# ---------------------------------------------------------------- checks

# Weather: sunny, cloudy, rainy.
WEATHER = np.array([[0.7, 0.2, 0.1], [0.3, 0.4, 0.3], [0.2, 0.3, 0.5]])


def check_stationary_distribution_is_fixed_and_is_the_limit():
    pi = stationary_distribution(WEATHER)
    assert_close(pi @ WEATHER, pi, rtol=1e-12, what="pi P = pi")
    for start in np.eye(3):
        assert_close(distribution_after(WEATHER, start, 200), pi, rtol=1e-10, what="limit from a pure state")
    # Eigenvector cross-check: left eigenvector of eigenvalue 1.
    vals, vecs = np.linalg.eig(WEATHER.T)
    v = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
    assert_close(v / v.sum(), pi, rtol=1e-10)


def check_convergence_rate_is_second_eigenvalue():
    lam2 = second_eigenvalue_modulus(WEATHER)
    pi = stationary_distribution(WEATHER)
    d = [np.abs(distribution_after(WEATHER, [1.0, 0.0, 0.0], n) - pi).sum() for n in (20, 21)]
    assert_close(d[1] / d[0], lam2, rtol=1e-6, what="ratio of successive distances")


def check_time_averages_match_stationary_distribution():
    path = simulate(WEATHER, 0, 100_000, np.random.default_rng(0))
    freq = np.bincount(path, minlength=3) / path.size
    assert_close(freq, stationary_distribution(WEATHER), atol=0.01, rtol=0, what="ergodic averages")
    # Transition frequencies estimate P (the maximum-likelihood estimate from one path).
    counts = np.zeros((3, 3))
    np.add.at(counts, (path[:-1], path[1:]), 1)
    assert_close(counts / counts.sum(axis=1, keepdims=True), WEATHER, atol=0.015, rtol=0)


def check_random_walk_on_a_graph_is_reversible():
    # Stationary distribution proportional to degree, and detailed balance pi_i P_ij = pi_j P_ji.
    A = np.array([[0, 1, 1, 0], [1, 0, 1, 1], [1, 1, 0, 1], [0, 1, 1, 0]], dtype=float)
    P = A / A.sum(axis=1, keepdims=True)
    pi = stationary_distribution(P)
    assert_close(pi, A.sum(axis=1) / A.sum(), rtol=1e-12, what="pi proportional to degree")
    flow = pi[:, None] * P
    assert_close(flow, flow.T, rtol=0, atol=1e-15, what="detailed balance")


def check_periodic_and_reducible_chains():
    flip = np.array([[0.0, 1.0], [1.0, 0.0]])  # period 2: has pi = (1/2, 1/2) but never converges to it
    assert_close(stationary_distribution(flip), [0.5, 0.5], rtol=1e-12)
    assert_close(distribution_after(flip, [1.0, 0.0], 1001), [0.0, 1.0], rtol=0, atol=0)
    assert second_eigenvalue_modulus(flip) == 1.0
    two_absorbing = np.array([[1.0, 0.0, 0.0], [0.25, 0.5, 0.25], [0.0, 0.0, 1.0]])
    try:
        stationary_distribution(two_absorbing)
    except ValueError:
        pass
    else:
        raise AssertionError("two absorbing states: the stationary distribution is not unique")
    try:
        validate_transition_matrix([[0.5, 0.4], [0.5, 0.5]])
    except ValueError:
        pass
    else:
        raise AssertionError("rows must sum to one")


def check_many_steps_stay_a_distribution_and_pagerank():
    # Extreme n: 20 squarings. Round-off drifts the total by ~1e-11, not more: P^n stays stochastic.
    pin = distribution_after(WEATHER, [0.2, 0.3, 0.5], 10**6)
    assert_close(pin.sum(), 1.0, rtol=1e-9, what="total probability after 10^6 steps")
    assert np.all(pin >= 0)
    assert_close(pin, stationary_distribution(WEATHER), rtol=1e-9)
    A = np.array([[0, 1, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0]], dtype=float)
    r = pagerank(A)
    G = 0.85 * A / A.sum(axis=1, keepdims=True) + 0.15 / 4
    assert_close(r, stationary_distribution(G), rtol=1e-9, what="PageRank = stationary distribution")


def plot_convergence(P, starts, n_steps=15):
    """Figure for the page: the probability of each state over time, from two different starts."""
    import matplotlib.pyplot as plt

    pi = stationary_distribution(P)
    fig, axes = plt.subplots(1, len(starts), figsize=(9, 3.2), sharey=True)
    names = ["sunny", "cloudy", "rainy"]
    for ax, start in zip(axes, starts):
        dist = np.array([distribution_after(P, start, n) for n in range(n_steps + 1)])
        for s in range(P.shape[0]):
            ax.plot(dist[:, s], "o-", markersize=3, label=names[s])
            ax.axhline(pi[s], color="gray", linestyle=":", linewidth=0.8)
        ax.set_title(f"start {np.asarray(start).round(2).tolist()}")
        ax.set_xlabel("step n")
    axes[0].set_ylabel("P(X_n = state)")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Probability of each weather state after n steps of the Markov chain, starting from a sunny "
        "day (left) and a rainy day (right): both converge within about ten steps to the same "
        "stationary distribution (dotted lines)"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("transition matrix (rows: today sunny, cloudy, rainy):\n", WEATHER)
    sunny, rainy = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    for n in (1, 2, 5, 10):
        print(f"after {n:>2} steps: from sunny {distribution_after(WEATHER, sunny, n)}, from rainy {distribution_after(WEATHER, rainy, n)}")
    pi = stationary_distribution(WEATHER)
    print("stationary distribution", pi, " second eigenvalue modulus", round(second_eigenvalue_modulus(WEATHER), 4))
    path = simulate(WEATHER, 0, 100_000, np.random.default_rng(0))
    print("fraction of days in each state over a simulated 100000 days", np.bincount(path, minlength=3) / path.size)
    A = np.array([[0, 1, 1, 0], [0, 0, 1, 0], [1, 0, 0, 0], [0, 0, 1, 0]], dtype=float)
    print("PageRank of 4 pages (0->1,2; 1->2; 2->0; 3->2):", pagerank(A))
    plot_convergence(WEATHER, [sunny, rainy])
