"""Hyperparameter optimization: grid search and random search over a validation loss.

``parameter_grid`` enumerates candidates like ``sklearn.model_selection.ParameterGrid`` (keys
sorted, the last key varying fastest, as ``itertools.product`` does); ``parameter_sampler`` draws
them like ``sklearn.model_selection.ParameterSampler`` (keys sorted; a list is sampled uniformly
with replacement, a distribution through its sampler; when *every* value is a list it samples grid
points without replacement). Distributions here are callables ``f(rng) -> value`` standing in for
SciPy's frozen distributions and their ``rvs``; ``log_uniform`` plays ``scipy.stats.loguniform``.
The random streams are NumPy ``Generator`` ones, so the draws differ from scikit-learn's.
"""

from itertools import product

import numpy as np


def parameter_grid(param_grid):
    """Every combination of the listed values, as ``list(ParameterGrid(param_grid))``.

    Parameters
    ----------
    param_grid : dict of str to sequence
        Hyperparameter name to the values to try.

    Returns
    -------
    candidates : list of dict
        ``prod(len(v) for v in param_grid.values())`` dicts; keys in sorted order, the last
        sorted key varying fastest.
    """
    keys = sorted(param_grid)
    return [dict(zip(keys, values)) for values in product(*(param_grid[k] for k in keys))]


def log_uniform(low, high):
    """A sampler whose logarithm is uniform on ``[log low, log high]``, like ``scipy.stats.loguniform``.

    Each decade between ``low`` and ``high`` gets the same share of draws, which suits scale
    hyperparameters such as learning rates and penalties.

    Parameters
    ----------
    low, high : float
        ``0 < low < high``.

    Returns
    -------
    callable
        ``f(rng) -> float``.
    """
    if not 0 < low < high:
        raise ValueError(f"need 0 < low < high, got {low}, {high}")
    return lambda rng: float(np.exp(rng.uniform(np.log(low), np.log(high))))


def parameter_sampler(param_distributions, n_iter, rng):
    """``n_iter`` random candidates, as ``list(ParameterSampler(param_distributions, n_iter))``.

    Parameters
    ----------
    param_distributions : dict of str to (sequence or callable)
        A sequence is sampled uniformly; a callable is called as ``f(rng)``.
    n_iter : int
        Number of candidates. If every value is a sequence, grid points are drawn without
        replacement and at most the grid size are returned (scikit-learn warns in that case).
    rng : numpy.random.Generator

    Returns
    -------
    candidates : list of dict
    """
    keys = sorted(param_distributions)
    if all(not callable(param_distributions[k]) for k in keys):
        grid = parameter_grid(param_distributions)
        picks = rng.choice(len(grid), size=min(n_iter, len(grid)), replace=False)
        return [grid[i] for i in picks]
    out = []
    for _ in range(n_iter):
        params = {}
        for k in keys:
            v = param_distributions[k]
            params[k] = v(rng) if callable(v) else v[rng.integers(len(v))]
        out.append(params)
    return out


def search(objective, candidates):
    """Evaluate every candidate and return the best (lowest loss), like ``GridSearchCV.fit``.

    Parameters
    ----------
    objective : callable
        ``objective(**params) -> float``, a validation loss (lower is better; scikit-learn
        maximises a score instead).
    candidates : list of dict, length C

    Returns
    -------
    best_params : dict
    losses : ndarray of shape (C,)
    """
    losses = np.array([objective(**p) for p in candidates], dtype=float)
    if not np.any(np.isfinite(losses)):
        raise ValueError("every candidate gave a non-finite loss")
    return candidates[int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))], losses


def toy_validation_loss(a, b):
    """A validation-loss surface on ``[0, 1]^2`` where only ``a`` matters much.

    ``1 - exp(-((a - 0.63) / 0.08)^2) + 0.05 (b - 0.5)^2``: a narrow valley in ``a`` at 0.63 and
    an almost flat ``b``, the *low effective dimensionality* Bergstra & Bengio (2012) found in
    real validation losses.

    Parameters
    ----------
    a, b : float or ndarray of the same shape

    Returns
    -------
    float or ndarray
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    out = 1.0 - np.exp(-(((a - 0.63) / 0.08) ** 2)) + 0.05 * (b - 0.5) ** 2
    return float(out) if out.ndim == 0 else out


def _uniform01(rng):
    return float(rng.uniform())


def _grid_vs_random(seed, k=3):
    grid = parameter_grid({"a": list((np.arange(k) + 0.5) / k), "b": list((np.arange(k) + 0.5) / k)})
    rand = parameter_sampler({"a": _uniform01, "b": _uniform01}, k * k, np.random.default_rng(seed))
    return grid, rand


# ---------------------------------------------------------------- checks


def check_grid_matches_scikit_learn_order():
    # The example in ParameterGrid's docstring.
    grid = parameter_grid({"b": [True, False], "a": [1, 2]})
    assert grid == [{"a": 1, "b": True}, {"a": 1, "b": False}, {"a": 2, "b": True}, {"a": 2, "b": False}]
    assert len(parameter_grid({"x": [1, 2, 3], "y": [0], "z": ["u", "v"]})) == 6
    assert parameter_grid({}) == [{}]  # an empty grid is one candidate with default settings


def check_all_list_sampler_draws_without_replacement():
    rng = np.random.default_rng(0)
    cands = parameter_sampler({"a": [1, 2, 3], "b": [10, 20]}, 100, rng)
    assert len(cands) == 6  # capped at the grid size
    assert sorted(tuple(sorted(c.items())) for c in cands) == sorted(
        tuple(sorted(c.items())) for c in parameter_grid({"a": [1, 2, 3], "b": [10, 20]})
    )


def check_log_uniform_fills_each_decade_equally():
    rng = np.random.default_rng(1)
    f = log_uniform(1e-5, 1e-1)
    x = np.array([f(rng) for _ in range(40000)])
    assert x.min() >= 1e-5 and x.max() <= 1e-1
    share = np.histogram(np.log10(x), bins=[-5, -4, -3, -2, -1])[0] / x.size
    np.testing.assert_allclose(share, 0.25, atol=0.01)


def check_grid_tests_few_distinct_values_of_each_hyperparameter():
    # 9 grid trials try 3 values of `a`; 9 random trials try 9.
    grid, rand = _grid_vs_random(0)
    assert len({c["a"] for c in grid}) == 3 and len({c["a"] for c in rand}) == 9


def check_random_search_beats_grid_when_one_hyperparameter_matters():
    # Over 200 seeds, 9 random trials find a lower loss than the 3 x 3 grid most of the time.
    wins = 0
    for seed in range(200):
        grid, rand = _grid_vs_random(seed)
        wins += min(toy_validation_loss(**c) for c in rand) < min(toy_validation_loss(**c) for c in grid)
    assert wins > 150, wins


def check_top_quantile_probability_closed_form():
    # Any region holding a fraction q of the search space is hit by at least one of n independent
    # uniform trials with probability 1 - (1 - q)^n: 60 trials reach the best 5 % w.p. 0.954,
    # whatever the number of hyperparameters (Bergstra & Bengio's argument).
    # Here the region is a corner cube of volume q in a 3-D search space.
    rng = np.random.default_rng(2)
    q, n, reps = 0.05, 60, 4000
    hits = np.any(np.all(rng.uniform(size=(reps, n, 3)) < q ** (1 / 3), axis=-1), axis=1).mean()
    assert abs(hits - (1 - (1 - q) ** n)) < 0.01, hits


def check_search_rejects_all_non_finite_losses():
    try:
        search(lambda a: np.nan, [{"a": 1}, {"a": 2}])
    except ValueError:
        pass
    else:
        raise AssertionError("expected ValueError")
    best, losses = search(lambda a: np.inf if a == 1 else a, [{"a": 1}, {"a": 2}, {"a": 3}])
    assert best == {"a": 2} and np.isinf(losses[0])  # a diverged run is skipped, not chosen


def plot_grid_vs_random(grid, rand):
    """Figure for the page: grid and random trials over the toy loss surface, with the values of ``a`` each tries."""
    import matplotlib.pyplot as plt

    a, b = np.meshgrid(np.linspace(0, 1, 201), np.linspace(0, 1, 201))
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for ax, cands, name in zip(axes, (grid, rand), ("grid search, 9 trials", "random search, 9 trials")):
        ax.contourf(a, b, toy_validation_loss(a, b), levels=20, cmap="viridis")
        pa, pb = [c["a"] for c in cands], [c["b"] for c in cands]
        ax.scatter(pa, pb, c="white", edgecolors="black", s=50, zorder=3)
        ax.plot(pa, np.zeros_like(pa) + 0.01, "|", color="red", ms=18, mew=2)
        ax.set_title(name)
        ax.set_xlabel("a (important)")
    axes[0].set_ylabel("b (unimportant)")
    fig.set_label(
        "Two panels over a loss surface with a narrow vertical valley at a = 0.63. The 3-by-3 grid "
        "tests only three values of a, none inside the valley; nine random trials test nine "
        "different values of a, and one lands near the valley."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    grid, rand = _grid_vs_random(0)
    print("loss(a, b) = 1 - exp(-((a - 0.63)/0.08)^2) + 0.05 (b - 0.5)^2: only a matters much")
    for name, cands in (("grid  ", grid), ("random", rand)):
        best, losses = search(toy_validation_loss, cands)
        values = ", ".join(f"{v:.2f}" for v in sorted({c["a"] for c in cands}))
        print(f"{name}: a values tried: {values}")
        print(f"        best a = {best['a']:.3f}, b = {best['b']:.3f}, loss {losses.min():.4f}")
    wins = sum(
        min(toy_validation_loss(**c) for c in r) < min(toy_validation_loss(**c) for c in g)
        for g, r in (_grid_vs_random(s) for s in range(200))
    )
    print(f"random beats the grid in {wins} of 200 seeds")
    print(f"chance that 60 random trials hit the best 5% of the space: {1 - 0.95**60:.3f}")
    plot_grid_vs_random(grid, rand)
