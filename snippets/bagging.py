"""Bagging (bootstrap aggregating): fit one model per bootstrap sample, average the predictions.

Conventions follow ``sklearn.ensemble.BaggingRegressor`` / ``BaggingClassifier``:
``n_estimators=10``, ``max_samples=None`` (each sample has N rows; ``1.0`` in older versions),
``bootstrap=True``
(rows drawn with replacement; False draws ``max_samples`` rows without
replacement, "pasting"), ``bootstrap_features=False``; the regressor's
prediction is the mean of the estimators' predictions (the classifier averages
``predict_proba`` when the base estimator has it). ``oob_prediction_`` averages,
for each training row, only the estimators whose sample did not contain it.
The base learner is any pair of pure functions ``fit(X, y) -> model`` and
``predict(model, X) -> y_hat``; the default here is a fully grown regression
tree (``max_depth=None``), as scikit-learn's default is a fully grown tree.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.gradient_boosting import fit_regression_tree, make_wave, predict_regression_tree
from snippets.linear_regression import fit_lstsq


def tree_fit(X, y):
    """Fully grown least-squares regression tree, ``DecisionTreeRegressor().fit(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    tree : dict
        From :func:`snippets.gradient_boosting.fit_regression_tree`.
    """
    return fit_regression_tree(X, y, max_depth=None)


def tree_predict(model, X):
    """``DecisionTreeRegressor.predict`` for a tree from :func:`tree_fit`.

    Parameters
    ----------
    model : dict
    X : ndarray of shape (M, D)

    Returns
    -------
    y_hat : ndarray of shape (M,)
    """
    return predict_regression_tree(model, X)


def linear_fit(X, y):
    """Least squares with an intercept, ``LinearRegression().fit(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    model : tuple
        ``(w, b)``: ``coef_`` of shape (D,) and ``intercept_``.
    """
    return fit_lstsq(X, y)


def linear_predict(model, X):
    """``LinearRegression.predict``: ``X w + b``.

    Parameters
    ----------
    model : tuple
        ``(w, b)`` from :func:`linear_fit`.
    X : ndarray of shape (M, D)

    Returns
    -------
    y_hat : ndarray of shape (M,)
    """
    w, b = model
    return X @ w + b


def draw_samples(n, n_estimators, max_samples=None, bootstrap=True, seed=0):
    """Row indices of every estimator's training sample.

    The row sampling of ``BaggingRegressor`` (its ``estimators_samples_``).

    Parameters
    ----------
    n : int
        Number of training rows.
    n_estimators : int
    max_samples : float, int or None
        Fraction of n (float; ``max(int(max_samples * n), 1)`` rows, as scikit-learn rounds), count (int)
        or None (n rows).
    bootstrap : bool
        With replacement (bagging) or without (pasting).
    seed : int

    Returns
    -------
    idx : ndarray of shape (n_estimators, m)
    """
    rng = np.random.default_rng(seed)
    if max_samples is None:
        m = n
    elif isinstance(max_samples, float):
        m = max(int(max_samples * n), 1)
    else:
        m = int(max_samples)
    if m < 1 or (not bootstrap and m > n):
        raise ValueError(f"max_samples gives {m} rows; need at least 1 (and at most {n} without replacement)")
    if bootstrap:
        return rng.integers(0, n, size=(n_estimators, m))
    return np.stack([rng.permutation(n)[:m] for _ in range(n_estimators)])


def bagging_fit(X, y, fit=tree_fit, n_estimators=10, max_samples=None, bootstrap=True, seed=0):
    """Fit one base model per sample.

    ``BaggingRegressor(estimator, n_estimators, max_samples, bootstrap).fit(X, y)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    fit : callable
        ``fit(X, y) -> model``.
    n_estimators, max_samples, bootstrap, seed
        As in :func:`draw_samples`.

    Returns
    -------
    models : list
    idx : ndarray of shape (n_estimators, m)
        The rows each model was trained on.
    """
    idx = draw_samples(len(y), n_estimators, max_samples, bootstrap, seed)
    return [fit(X[i], y[i]) for i in idx], idx


def bagging_predict(models, X, predict=tree_predict):
    """Mean of the models' predictions.

    ``BaggingRegressor.predict``.

    Parameters
    ----------
    models : list
    X : ndarray of shape (M, D)
    predict : callable
        ``predict(model, X) -> ndarray of shape (M,)``.

    Returns
    -------
    y_hat : ndarray of shape (M,)
    """
    return np.mean([predict(m, X) for m in models], axis=0)


def oob_predict(models, idx, X, predict=tree_predict):
    """Out-of-bag prediction for each training row (scikit-learn's ``oob_prediction_``).

    Parameters
    ----------
    models : list
    idx : ndarray of shape (B, m)
    X : ndarray of shape (N, D)
        The training inputs.
    predict : callable

    Returns
    -------
    y_oob : ndarray of shape (N,)
        NaN for rows that every model saw.
    """
    n = X.shape[0]
    seen = np.zeros((len(models), n), dtype=bool)
    for b, rows in enumerate(idx):
        seen[b, rows] = True
    preds = np.stack([predict(m, X) for m in models])
    out_of_bag = ~seen
    with np.errstate(invalid="ignore"):
        return (preds * out_of_bag).sum(axis=0) / out_of_bag.sum(axis=0)


def bias_variance(fit, predict, bagged, x_test, n_sets=25, n=40, n_estimators=10):
    """Monte Carlo bias^2 and variance of a learner over independent training sets.

    No library call; a Monte Carlo version of ``mlxtend.evaluate.bias_variance_decomp`` with fresh
    training sets instead of bootstrap ones.

    Parameters
    ----------
    fit, predict : callable
    bagged : bool
        Wrap the learner in bagging.
    x_test : ndarray of shape (M, 1)
    n_sets : int
    n : int
        Training set size.
    n_estimators : int

    Returns
    -------
    bias2 : float
        Mean over test points of (mean prediction - true function)^2.
    variance : float
        Mean over test points of the variance of the prediction across training sets.
    """
    truth = np.sin(2 * x_test[:, 0]) + 0.5 * x_test[:, 0]
    preds = []
    for s in range(n_sets):
        X, y = make_wave(100 + s, n=n)
        if bagged:
            models, _ = bagging_fit(X, y, fit, n_estimators, seed=s)
            preds.append(bagging_predict(models, x_test, predict))
        else:
            preds.append(predict(fit(X, y), x_test))
    preds = np.array(preds)
    return float(np.mean((preds.mean(0) - truth) ** 2)), float(np.mean(preds.var(0)))


# ---------------------------------------------------------------- checks


def check_pasting_everything_reproduces_the_base_model():
    # bootstrap=False with max_samples=None gives every model all rows (in some order): no diversity.
    X, y = make_wave(0, n=30)
    models, _ = bagging_fit(X, y, n_estimators=4, bootstrap=False)
    Xt = np.linspace(-3, 3, 50)[:, None]
    assert_close(bagging_predict(models, Xt), tree_predict(tree_fit(X, y), Xt), rtol=1e-12)


def check_a_bootstrap_sample_holds_about_63_percent_of_rows():
    idx = draw_samples(1000, 20, seed=1)
    unique = np.mean([len(np.unique(r)) for r in idx]) / 1000
    assert abs(unique - (1 - (1 - 1 / 1000) ** 1000)) < 0.01  # 1 - 1/e = 0.632


def check_oob_uses_only_models_that_did_not_see_the_row():
    X, y = make_wave(2, n=20)
    models, idx = bagging_fit(X, y, n_estimators=8, seed=2)
    y_oob = oob_predict(models, idx, X)
    i = 3
    unseen = [b for b in range(8) if i not in idx[b]]
    assert unseen and np.isclose(y_oob[i], np.mean([tree_predict(models[b], X[i : i + 1])[0] for b in unseen]))


def check_bagging_barely_changes_a_linear_model():
    # Least squares is linear in y and stable, so bagging it changes little (and cannot help much).
    X, y = make_wave(3, n=60)
    Xt = np.linspace(-3, 3, 20)[:, None]
    models, _ = bagging_fit(X, y, linear_fit, n_estimators=200, seed=3)
    diff = np.abs(bagging_predict(models, Xt, linear_predict) - linear_predict(linear_fit(X, y), Xt))
    assert diff.max() < 0.1


def check_averaging_cannot_raise_squared_error():
    # (mean of predictions - y)^2 <= mean of (prediction - y)^2 at every point (Jensen).
    X, y = make_wave(4, n=40)
    Xt, yt = make_wave(5, n=100)
    models, _ = bagging_fit(X, y, n_estimators=10, seed=4)
    per_model = np.mean([(tree_predict(m, Xt) - yt) ** 2 for m in models], axis=0)
    assert np.all((bagging_predict(models, Xt) - yt) ** 2 <= per_model + 1e-12)


def check_extremes():
    X, y = np.array([[0.0]]), np.array([5.0])  # a single row: every sample is that row
    models, idx = bagging_fit(X, y, n_estimators=3)
    assert np.all(bagging_predict(models, np.array([[1.0]])) == 5.0)
    assert np.all(np.isnan(oob_predict(models, idx, X)))  # never out of bag: NaN, not a silent 0
    assert draw_samples(10, 2, max_samples=0.01).shape == (2, 1)  # a tiny fraction still draws one row
    try:
        draw_samples(10, 2, max_samples=20, bootstrap=False)
    except ValueError:
        pass
    else:
        raise AssertionError("pasting more rows than there are must raise")


def plot_bagging(X, y, models, grid):
    """Figure: individual bootstrap trees and their average (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for m in models:
        ax.plot(grid[:, 0], tree_predict(m, grid), color="0.6", linewidth=0.7)
    ax.plot(grid[:, 0], bagging_predict(models, grid), color="crimson", linewidth=2, label="bagged mean")
    ax.plot(grid[:, 0], np.sin(2 * grid[:, 0]) + 0.5 * grid[:, 0], "k--", linewidth=1, label="true function")
    ax.scatter(X[:, 0], y, s=12, color="k")
    ax.legend(fontsize=8)
    fig.set_label(
        "Ten fully grown regression trees, each fitted to a bootstrap sample of 40 points, are jagged "
        "grey staircases that disagree near every noisy point; their average, in red, is a much "
        "smoother curve close to the true wave"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x_test = np.linspace(-2.8, 2.8, 60)[:, None]
    print("25 training sets of 40 points; noise variance 0.09; bagging uses 10 bootstrap samples")
    for name, fit, predict in (("deep tree", tree_fit, tree_predict), ("linear  ", linear_fit, linear_predict)):
        for bagged in (False, True):
            b2, var = bias_variance(fit, predict, bagged, x_test)
            label = f"bagged {name}" if bagged else f"single {name}"
            print(f"{label:18s}: bias^2 {b2:.4f}, variance {var:.4f}, sum {b2 + var:.4f}")
    X, y = make_wave(0, n=40)
    models, idx = bagging_fit(X, y, n_estimators=10)
    print(
        f"rows per bootstrap sample that are distinct: {np.mean([len(np.unique(r)) for r in idx]) / 40:.4f} "
        f"(1 - 1/e = {1 - np.exp(-1):.4f})"
    )
    y_oob = oob_predict(models, idx, X)
    ok = ~np.isnan(y_oob)
    print(
        f"OOB MSE {np.mean((y_oob[ok] - y[ok]) ** 2):.4f} on {ok.sum()} of 40 rows; "
        f"training MSE {np.mean((bagging_predict(models, X) - y) ** 2):.4f}"
    )
    plot_bagging(X, y, models, np.linspace(-3, 3, 400)[:, None])
