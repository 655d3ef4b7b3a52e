"""Learning curve: training and validation error as a function of the number of training examples.

``learning_curve`` follows ``sklearn.model_selection.learning_curve(estimator, X, y,
train_sizes=np.linspace(0.1, 1.0, 5), cv=5, shuffle=False)``: fractions are turned into counts by
``(train_sizes * n_max).astype(int)`` clipped to ``[1, n_max]`` and de-duplicated, where ``n_max``
is the size of the first fold's training set; for every fold and size the model is fitted on the
*first* ``n`` indices of that fold's training set (shuffled first if ``shuffle=True``) and scored on
the whole validation fold. It returns errors (MSE) where scikit-learn returns scores (with
``scoring="neg_mean_squared_error"`` they differ by the sign). Folds come from
``snippets.cross_validation.k_fold_indices`` (``KFold``), models from ``snippets.overfitting``.
"""

import numpy as np

from snippets.cross_validation import k_fold_indices
from snippets.linear_regression import fit_lstsq, predict
from snippets.overfitting import fit_polynomial, make_data, mse, predict_polynomial
from snippets.underfitting import best_in_class_error


def translate_train_sizes(train_sizes, n_max):
    """Absolute training-set sizes, as scikit-learn's ``_translate_train_sizes``.

    Parameters
    ----------
    train_sizes : ndarray of shape (K,)
        Floats in ``(0, 1]`` (fractions of ``n_max``) or ints in ``[1, n_max]``.
    n_max : int

    Returns
    -------
    sizes : ndarray of shape (K',), int
        Sorted unique counts, ``K' <= K``.
    """
    ts = np.asarray(train_sizes)
    if np.issubdtype(ts.dtype, np.floating):
        if ts.min() <= 0.0 or ts.max() > 1.0:
            raise ValueError(f"fractions must be within (0, 1], got [{ts.min()}, {ts.max()}]")
        ts = np.clip((ts * n_max).astype(int), 1, n_max)
    elif ts.min() <= 0 or ts.max() > n_max:
        raise ValueError(f"sizes must be within [1, {n_max}], got [{ts.min()}, {ts.max()}]")
    return np.unique(ts)


def learning_curve(fit, predict_fn, X, y, train_sizes=np.linspace(0.1, 1.0, 5), cv=5, rng=None):
    """Training and validation MSE for each training-set size and each fold.

    Parameters
    ----------
    fit : callable
        ``fit(X_train, y_train) -> model``.
    predict_fn : callable
        ``predict_fn(model, X) -> y_hat``.
    X : ndarray of shape (N, ...)
    y : ndarray of shape (N,)
    train_sizes : ndarray of shape (K,)
    cv : int
        Number of folds (unshuffled ``KFold``).
    rng : numpy.random.Generator, optional
        If given, each fold's training indices are permuted first (``shuffle=True``).

    Returns
    -------
    sizes : ndarray of shape (K',)
    train_err : ndarray of shape (K', cv)
    val_err : ndarray of shape (K', cv)
    """
    folds = k_fold_indices(len(y), cv)
    if rng is not None:
        folds = [(rng.permutation(tr), va) for tr, va in folds]
    sizes = translate_train_sizes(train_sizes, len(folds[0][0]))
    train_err, val_err = np.empty((len(sizes), cv)), np.empty((len(sizes), cv))
    for j, (tr, va) in enumerate(folds):
        for i, n in enumerate(sizes):
            sub = tr[:n]
            model = fit(X[sub], y[sub])
            train_err[i, j] = mse(predict_fn(model, X[sub]), y[sub])
            val_err[i, j] = mse(predict_fn(model, X[va]), y[va])
    return sizes, train_err, val_err


def polynomial_model(degree):
    """``(fit, predict_fn)`` for least-squares polynomials of one degree (``snippets.overfitting``)."""
    return (lambda x, y: fit_polynomial(x, y, degree)), predict_polynomial


def expected_linear_errors(n, p, sigma2):
    """Expected training and test MSE of least squares with an intercept and ``p`` Gaussian features.

    With ``y = x . w + b + noise`` (variance ``sigma2``), rows ``x ~ N(mu, Sigma)`` and ``n > p + 2``:
    ``E[train] = sigma2 (1 - (p + 1) / n)`` and, at a fresh point,
    ``E[test] = sigma2 (1 + 1/n + (1 + 1/n) p / (n - p - 2))`` (the centred Gram matrix is Wishart
    with ``n - 1`` degrees of freedom, whose inverse has mean ``Sigma^{-1} / (n - p - 2)``).

    Parameters
    ----------
    n, p : int
    sigma2 : float

    Returns
    -------
    train : float
    test : float
    """
    if n <= p + 2:
        raise ValueError(f"need n > p + 2, got n={n}, p={p}")
    return sigma2 * (1 - (p + 1) / n), sigma2 * (1 + 1 / n + (1 + 1 / n) * p / (n - p - 2))


def _sine_data(n=200, seed=0):
    return make_data(n, np.random.default_rng(seed))


# ---------------------------------------------------------------- checks


def check_train_sizes_follow_scikit_learn():
    assert translate_train_sizes(np.linspace(0.1, 1.0, 5), 160).tolist() == [16, 52, 88, 124, 160]
    assert translate_train_sizes(np.array([0.01, 0.02, 0.5]), 10).tolist() == [1, 5]  # clipped, deduplicated
    assert translate_train_sizes(np.array([3, 7]), 10).tolist() == [3, 7]
    for bad in (np.array([0.0, 0.5]), np.array([0.5, 1.1]), np.array([0, 5]), np.array([5, 11])):
        try:
            translate_train_sizes(bad, 10)
        except ValueError:
            continue
        raise AssertionError(bad)


def check_subsets_are_nested_prefixes():
    # Each size uses the first n training indices of the fold, so larger subsets contain smaller ones;
    # this makes the training-error curve of nested model classes comparable across sizes.
    seen = []

    def fit(x, y):
        seen.append(x.copy())
        return fit_polynomial(x, y, 1)

    x, y = _sine_data(40)
    learning_curve(fit, predict_polynomial, x, y, np.array([0.25, 0.5, 1.0]), cv=4)
    for a, b in zip(seen[0::3], seen[1::3]):
        assert np.array_equal(b[: len(a)], a)


def check_linear_regression_matches_closed_form():
    # Correct linear model, p = 3 features + intercept, noise variance 1: average over 3000 data sets.
    rng = np.random.default_rng(1)
    p, w, b = 3, np.array([1.0, -1.0, 0.5]), 2.0
    for n in (8, 20):
        tr_err, te_err = [], []
        for _ in range(3000):
            X = rng.normal(size=(n, p))
            yv = X @ w + b + rng.normal(size=n)
            wh, bh = fit_lstsq(X, yv)
            tr_err.append(np.mean((predict(X, wh, bh) - yv) ** 2))
            x0 = rng.normal(size=(50, p))
            te_err.append(np.mean((predict(x0, wh, bh) - (x0 @ w + b + rng.normal(size=50))) ** 2))
        e_tr, e_te = expected_linear_errors(n, p, 1.0)
        assert abs(np.mean(tr_err) / e_tr - 1) < 0.04, (n, np.mean(tr_err), e_tr)
        assert abs(np.mean(te_err) / e_te - 1) < 0.06, (n, np.mean(te_err), e_te)


def check_underfit_curves_meet_at_the_floor():
    # A line on sin(pi x): both curves approach the best-in-class error 0.286 and each other.
    x, y = _sine_data()
    sizes, tr, va = learning_curve(*polynomial_model(1), x, y)
    floor = best_in_class_error(1)
    assert abs(tr[-1].mean() - floor) < 0.05 and abs(va[-1].mean() - floor) < 0.05
    assert va[-1].mean() - tr[-1].mean() < 0.03


def check_flexible_model_has_a_large_gap_that_closes():
    x, y = _sine_data()
    sizes, tr, va = learning_curve(*polynomial_model(9), x, y)
    gap = va.mean(axis=1) - tr.mean(axis=1)
    assert gap[0] > 10 * gap[-1] and gap[-1] < 0.03
    assert va[-1].mean() < 0.12  # close to the noise level 0.09 with 160 points


def check_single_example_is_allowed():
    x, y = _sine_data(20)
    sizes, tr, va = learning_curve(*polynomial_model(0), x, y, np.array([1, 16]), cv=5)
    assert sizes.tolist() == [1, 16] and np.all(tr[0] == 0.0) and np.all(np.isfinite(va))


def plot_learning_curves(results):
    """Figure for the page: mean training and validation error against training-set size, one panel per model."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(9, 3.6), sharey=True)
    for ax, (title, (sizes, tr, va)) in zip(axes, results.items()):
        ax.semilogy(sizes, tr.mean(axis=1), "o-", label="training error")
        ax.semilogy(sizes, va.mean(axis=1), "s-", label="validation error")
        ax.axhline(0.09, color="gray", ls=":", label="noise level")
        ax.set_title(title)
        ax.set_xlabel("training examples")
    axes[0].set_ylabel("MSE (5-fold mean, log scale)")
    axes[0].legend(fontsize=8)
    fig.set_label(
        "Two learning curves. Left, a straight line fitted to a sine: training and validation error "
        "meet quickly at about 0.29, far above the dotted noise level, and stay flat as data grow. "
        "Right, a degree-9 polynomial: training error starts low and validation error high, and the "
        "two converge towards the noise level as the training set grows."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    x, y = _sine_data()
    print("200 noisy samples of sin(pi x) (noise variance 0.09), 5-fold CV, default train_sizes")
    results = {}
    for d, name in ((1, "degree 1 (high bias)"), (9, "degree 9 (high variance)")):
        sizes, tr, va = learning_curve(*polynomial_model(d), x, y)
        results[name] = (sizes, tr, va)
        print(name)
        print("   n   train MSE   validation MSE")
        for n, t, v in zip(sizes, tr.mean(axis=1), va.mean(axis=1)):
            print(f"{n:4d}   {t:9.3f}   {v:14.3f}")
    e_tr, e_te = expected_linear_errors(20, 3, 1.0)
    print(f"linear model, 3 features, n = 20, noise variance 1: E[train] = {e_tr:.3f}, E[test] = {e_te:.3f}")
    plot_learning_curves(results)
