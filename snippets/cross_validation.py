"""K-fold cross-validation: partition the data into k folds, validate on each in turn.

``k_fold_indices`` follows ``sklearn.model_selection.KFold``: the first ``n % k`` folds have
``n // k + 1`` samples, the others ``n // k``; without shuffling the folds are contiguous blocks
in the original order; both index arrays of a split are returned sorted. (With a generator the
permutation comes from NumPy's ``Generator``, so shuffled folds differ from scikit-learn's, which
uses ``RandomState``.)
"""

import numpy as np

from snippets.regularization import ridge_closed_form


def k_fold_indices(n, k, rng=None):
    """Train/validation index pairs for k-fold cross-validation.

    Parameters
    ----------
    n : int
        Number of samples.
    k : int
        Number of folds, ``2 <= k <= n``. ``k = n`` is leave-one-out.
    rng : numpy.random.Generator, optional
        If given, samples are permuted before being cut into folds (``KFold(shuffle=True)``);
        if None, fold ``i`` is a contiguous block (``KFold(shuffle=False)``, the default).

    Returns
    -------
    folds : list of k tuples ``(train_idx, val_idx)``
        ``train_idx`` : ndarray of shape (n - n_i,), ``val_idx`` : ndarray of shape (n_i,),
        both sorted; every index in ``range(n)`` is in exactly one ``val_idx``.
    """
    if not 2 <= k <= n:
        raise ValueError(f"need 2 <= k <= n, got k={k}, n={n}")
    order = np.arange(n) if rng is None else rng.permutation(n)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    folds, start = [], 0
    for size in sizes:
        in_val = np.zeros(n, dtype=bool)
        in_val[order[start : start + size]] = True
        folds.append((np.flatnonzero(~in_val), np.flatnonzero(in_val)))
        start += size
    return folds


def cross_val_mse_ridge(X, y, alpha, k=5, rng=None):
    """Validation MSE of ridge regression on each of the k folds.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
        Ridge penalty (``sklearn.linear_model.Ridge(fit_intercept=False)`` convention).
    k : int
    rng : numpy.random.Generator, optional
        Passed to :func:`k_fold_indices`.

    Returns
    -------
    scores : ndarray of shape (k,)
        Mean squared error on each validation fold (scikit-learn's ``cross_val_score`` reports
        the negative, ``neg_mean_squared_error``, so that larger is better).
    """
    scores = []
    for train, val in k_fold_indices(len(y), k, rng):
        w = ridge_closed_form(X[train], y[train], alpha)
        scores.append(np.mean((X[val] @ w - y[val]) ** 2))
    return np.array(scores)


def loo_mse_ridge_shortcut(X, y, alpha):
    """Leave-one-out MSE of ridge from a single fit: ``mean(((y - y_hat) / (1 - H_ii))^2)``.

    Holds for any linear smoother whose refit without point i is the same smoother on fewer
    points, which is true of least squares and ridge (ESL 2nd ed., Section 7.10.1, eq. 7.51; its
    Exercise 7.3 asks for the proof for least-squares projections and cubic smoothing splines).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float

    Returns
    -------
    float
    """
    H = X @ np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T)
    return float(np.mean(((y - H @ y) / (1.0 - np.diag(H))) ** 2))


def make_data(seed=0, n=40, d=15, noise=1.0):
    """A regression problem with many features for its size, where shrinkage helps.

    Returns
    -------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    w_true : ndarray of shape (d,)
    """
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = rng.normal(scale=0.3, size=d)
    return X, X @ w_true + noise * rng.normal(size=n), w_true


ALPHAS = (0.01, 1.0, 10.0, 30.0, 100.0, 1000.0)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's scikit-learn tabs).

    Sizes that k divides and sizes it does not (the first ``n % k`` folds are one larger), k = 2,
    leave-one-out (k = n), more features than a training fold has samples, and several penalties.

    Returns
    -------
    list of dict with X (N, D), y (N,), alpha (float) and k (int)
    """
    cases = []
    for seed, n, d, alpha, k in [(0, 40, 15, 10.0, 5), (1, 23, 4, 1.0, 5), (2, 12, 3, 0.5, 12), (3, 9, 2, 3.0, 2), (4, 30, 40, 30.0, 7)]:
        X, y, _ = make_data(seed, n=n, d=d)
        cases.append({"X": X, "y": y, "alpha": alpha, "k": k})
    return cases


def scores_and_folds(X, y, alpha, k):
    """Per-fold validation MSE (no shuffling) and the fold each sample is validated in.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
    k : int

    Returns
    -------
    mse : ndarray of shape (k,)
        :func:`cross_val_mse_ridge`.
    fold : ndarray of shape (N,)
        ``fold[i] = j`` when sample i is in the validation set of split j (:func:`k_fold_indices`).
    """
    fold = np.empty(len(y), dtype=np.int64)
    for j, (_, val) in enumerate(k_fold_indices(len(y), k)):
        fold[val] = j
    return cross_val_mse_ridge(X, y, alpha, k), fold


def loo_mse(X, y, alpha, k=None):
    """Leave-one-out MSE of ridge by the one-fit shortcut (:func:`loo_mse_ridge_shortcut`).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    alpha : float
    k : ignored
        The folds of :func:`equivalence_cases`; leave-one-out has N of them.

    Returns
    -------
    float
    """
    return loo_mse_ridge_shortcut(X, y, alpha)


# ---------------------------------------------------------------- checks


def check_folds_partition_the_data():
    for n, k, seed in [(10, 3, None), (23, 5, 0), (7, 7, 1), (100, 10, 2)]:
        rng = None if seed is None else np.random.default_rng(seed)
        folds = k_fold_indices(n, k, rng)
        assert len(folds) == k
        all_val = np.concatenate([val for _, val in folds])
        assert np.array_equal(np.sort(all_val), np.arange(n))  # each index validated exactly once
        for train, val in folds:
            assert len(np.intersect1d(train, val)) == 0
            assert np.array_equal(np.union1d(train, val), np.arange(n))
            assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)  # sorted, as in sklearn


def check_scikit_learn_fold_sizes_and_order():
    # KFold(n_splits=3).split(range(10)) gives validation folds [0 1 2 3], [4 5 6], [7 8 9].
    folds = k_fold_indices(10, 3)
    assert [val.tolist() for _, val in folds] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    for n, k in [(23, 5), (100, 7), (9, 2)]:
        sizes = [len(val) for _, val in k_fold_indices(n, k, np.random.default_rng(0))]
        assert sizes == [n // k + 1] * (n % k) + [n // k] * (k - n % k), sizes
    for bad_k in (1, 11):
        try:
            k_fold_indices(10, bad_k)
        except ValueError:
            pass
        else:
            raise AssertionError(f"k={bad_k} should be rejected")


def check_shuffling_is_reproducible():
    a = k_fold_indices(20, 4, np.random.default_rng(7))
    b = k_fold_indices(20, 4, np.random.default_rng(7))
    assert all(np.array_equal(va, vb) for (_, va), (_, vb) in zip(a, b))
    assert not np.array_equal(a[0][1], np.arange(5))  # shuffled, not the first block


def check_leave_one_out_matches_closed_form_shortcut():
    X, y, _ = make_data(1, n=25, d=6)
    for alpha in (0.0, 3.0, 50.0):
        loo = np.mean(cross_val_mse_ridge(X, y, alpha, k=len(y)))
        assert abs(loo - loo_mse_ridge_shortcut(X, y, alpha)) < 1e-10 * loo, alpha


def check_cv_picks_a_good_penalty():
    # The alpha with the lowest CV error has a test error within 5 % of the best alpha on fresh data.
    X, y, w_true = make_data(0)
    rng = np.random.default_rng(100)
    X_test = rng.normal(size=(20000, X.shape[1]))
    y_test = X_test @ w_true + rng.normal(size=20000)
    cv = [cross_val_mse_ridge(X, y, a, 5, np.random.default_rng(0)).mean() for a in ALPHAS]
    test = [np.mean((X_test @ ridge_closed_form(X, y, a) - y_test) ** 2) for a in ALPHAS]
    assert test[int(np.argmin(cv))] <= 1.05 * min(test), (cv, test)
    assert int(np.argmin(cv)) not in (0, len(ALPHAS) - 1)  # neither extreme


if __name__ == "__main__":
    print("5-fold split of 12 samples (no shuffling): validation folds")
    for i, (train, val) in enumerate(k_fold_indices(12, 5)):
        print(f"  fold {i}: val {val.tolist()}, {len(train)} for training")
    X, y, w_true = make_data(0)
    rng = np.random.default_rng(100)
    X_test = rng.normal(size=(20000, X.shape[1]))
    y_test = X_test @ w_true + rng.normal(size=20000)
    print("ridge on 40 samples, 15 features: alpha, 5-fold CV MSE (+/- fold sd), MSE on 20000 new samples")
    cv, tests = [], []
    for a in ALPHAS:
        s = cross_val_mse_ridge(X, y, a, 5, np.random.default_rng(0))
        test = np.mean((X_test @ ridge_closed_form(X, y, a) - y_test) ** 2)
        cv.append(s.mean())
        tests.append(test)
        print(f"  {a:7.2f}   {s.mean():.3f} +/- {s.std():.3f}   {test:.3f}")
    best_cv, best_test = ALPHAS[int(np.argmin(cv))], ALPHAS[int(np.argmin(tests))]
    print(f"CV picks alpha = {best_cv:g}, the test-best is {best_test:g}: close, though 40 samples give noisy estimates")
