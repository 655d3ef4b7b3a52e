"""Data leakage: information about the evaluation data reaching the model before evaluation.

The classic demonstration (ESL, Section 7.10.2, "the wrong and the right way to do
cross-validation"): with labels that are pure noise, choosing the features most correlated with
the labels on *all* the data and only then cross-validating a classifier reports high accuracy;
doing the selection inside each fold reports chance. The pieces mirror scikit-learn:
``f_scores`` is ``sklearn.feature_selection.f_regression`` (with ``force_finite=True``: a constant
feature scores 0), ``select_k_best`` is ``SelectKBest(f_regression, k=k)``, ``one_nn_predict`` is
``KNeighborsClassifier(n_neighbors=1)`` (Euclidean; ties go to the lowest index), and the honest
version is ``cross_val_score(make_pipeline(SelectKBest(...), KNeighborsClassifier(1)), X, y)``.
Folds come from ``snippets.cross_validation.k_fold_indices`` (``KFold``).
"""

import numpy as np

from snippets.cross_validation import k_fold_indices


def f_scores(X, y):
    """Univariate F statistic of each feature against ``y``: ``r^2 / (1 - r^2) * (n - 2)``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    F : ndarray of shape (D,)
        As scikit-learn's ``force_finite=True``: ``inf`` (a perfect correlation) is replaced by the
        largest finite float and ``nan`` (a constant feature or target, or ``n = 2``, where
        ``n - 2 = 0``) by 0.
    """
    Xc = X - X.mean(axis=0)
    yc = y - y.mean()
    denom = np.sqrt((Xc**2).sum(axis=0) * (yc @ yc))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (Xc.T @ yc) / denom
        F = r**2 / (1.0 - r**2) * (len(y) - 2)
    F[np.isinf(F)] = np.finfo(float).max
    F[np.isnan(F)] = 0.0
    return F


def select_k_best(X, y, k):
    """Indices of the ``k`` features with the largest F score (``SelectKBest(f_regression, k)``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    k : int

    Returns
    -------
    idx : ndarray of shape (k,)
        Sorted ascending, like ``get_support(indices=True)``.
    """
    return np.sort(np.argsort(f_scores(X, y), kind="stable")[-k:])


def one_nn_predict(X_train, y_train, X_test):
    """1-nearest-neighbour labels (``KNeighborsClassifier(n_neighbors=1).fit(...).predict``).

    Parameters
    ----------
    X_train : ndarray of shape (N, D)
    y_train : ndarray of shape (N,)
    X_test : ndarray of shape (M, D)

    Returns
    -------
    ndarray of shape (M,)
    """
    d2 = (X_test**2).sum(1)[:, None] - 2 * X_test @ X_train.T + (X_train**2).sum(1)[None, :]
    return y_train[np.argmin(d2, axis=1)]


def cv_accuracy(X, y, k_features, folds, select_inside):
    """Cross-validated accuracy of feature selection followed by 1-NN.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    k_features : int
    folds : list of (train_idx, val_idx)
    select_inside : bool
        True: select features on each training fold only (a pipeline; honest).
        False: select once on all N samples before splitting (leaky).

    Returns
    -------
    float
        Mean accuracy over the folds.
    """
    global_idx = None if select_inside else select_k_best(X, y, k_features)
    accs = []
    for tr, va in folds:
        idx = select_k_best(X[tr], y[tr], k_features) if select_inside else global_idx
        pred = one_nn_predict(X[tr][:, idx], y[tr], X[va][:, idx])
        accs.append(np.mean(pred == y[va]))
    return float(np.mean(accs))


def group_k_fold_indices(groups, k):
    """Folds that never split a group across training and validation (the idea of ``GroupKFold``).

    Groups are assigned to folds in contiguous blocks of the sorted unique group ids
    (scikit-learn's ``GroupKFold`` instead balances fold sizes greedily).

    Parameters
    ----------
    groups : ndarray of shape (N,)
    k : int

    Returns
    -------
    list of k tuples ``(train_idx, val_idx)``
    """
    uniq, inv = np.unique(groups, return_inverse=True)
    folds = []
    for _, gval in k_fold_indices(len(uniq), k):
        in_val = np.isin(inv, gval)
        folds.append((np.flatnonzero(~in_val), np.flatnonzero(in_val)))
    return folds


def noise_problem(seed=0, n=50, d=5000):
    """ESL's example: ``n`` samples, ``d`` standard-normal features, labels independent of them.

    Returns
    -------
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,), values 0/1, balanced
    """
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.permutation(np.arange(n) % 2)


# ---------------------------------------------------------------- checks


def check_f_score_equals_regression_anova():
    # F from the correlation equals the ANOVA F of a simple linear regression: (SSR / 1) / (SSE / (n - 2)).
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 4)), rng.normal(size=30)
    for j in range(4):
        A = np.column_stack([X[:, j], np.ones(30)])
        fit = A @ np.linalg.lstsq(A, y, rcond=None)[0]
        ssr, sse = np.sum((fit - y.mean()) ** 2), np.sum((y - fit) ** 2)
        np.testing.assert_allclose(f_scores(X, y)[j], ssr / (sse / 28), rtol=1e-10)


def check_constant_and_perfect_features_stay_finite():
    y = np.array([0.0, 1.0, 0.0, 1.0, 1.0])
    X = np.column_stack([np.ones(5), y, np.arange(5.0)])
    F = f_scores(X, y)
    assert F[0] == 0.0 and np.isfinite(F[1]) and F[1] > F[2]
    assert select_k_best(X, y, 1).tolist() == [1]
    # Two samples: every correlation is +-1 but n - 2 = 0, so F is 0 * inf; scikit-learn reports 0.
    assert f_scores(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([0.0, 1.0])).tolist() == [0.0, 0.0]


def check_leaky_cv_is_optimistic_on_pure_noise():
    # Labels carry no information, so any honest estimate must be near 50 %.
    leaky, honest = [], []
    for seed in range(3):
        X, y = noise_problem(seed)
        folds = k_fold_indices(50, 5, np.random.default_rng(seed))
        leaky.append(cv_accuracy(X, y, 100, folds, select_inside=False))
        honest.append(cv_accuracy(X, y, 100, folds, select_inside=True))
    assert np.mean(leaky) > 0.85, leaky
    assert 0.3 < np.mean(honest) < 0.7, honest


def check_duplicates_across_folds_leak():
    # Each of 40 "patients" appears 3 times (with small measurement noise) and has a random label.
    # Row-wise folds put copies of a patient on both sides and 1-NN just looks the label up;
    # group-wise folds keep every patient on one side and the accuracy drops to chance.
    rng = np.random.default_rng(1)
    base, labels = rng.normal(size=(40, 20)), rng.integers(0, 2, size=40)
    groups = np.repeat(np.arange(40), 3)
    X = base[groups] + 0.01 * rng.normal(size=(120, 20))
    y = labels[groups]
    rows = k_fold_indices(120, 5, np.random.default_rng(2))
    by_group = group_k_fold_indices(groups, 5)
    for tr, va in by_group:
        assert not set(groups[tr]) & set(groups[va])
    acc_rows = np.mean([np.mean(one_nn_predict(X[tr], y[tr], X[va]) == y[va]) for tr, va in rows])
    acc_groups = np.mean([np.mean(one_nn_predict(X[tr], y[tr], X[va]) == y[va]) for tr, va in by_group])
    assert acc_rows > 0.95 and 0.3 < acc_groups < 0.7, (acc_rows, acc_groups)


def check_one_nn_matches_brute_force():
    rng = np.random.default_rng(3)
    Xtr, ytr, Xte = rng.normal(size=(15, 3)), rng.integers(0, 3, size=15), rng.normal(size=(6, 3))
    brute = [ytr[np.argmin([np.sum((x - z) ** 2) for z in Xtr])] for x in Xte]
    assert one_nn_predict(Xtr, ytr, Xte).tolist() == brute


if __name__ == "__main__":
    X, y = noise_problem(0)
    folds = k_fold_indices(50, 5, np.random.default_rng(0))
    print("50 samples, 5000 noise features, random balanced labels (nothing to learn)")
    print(f"select 100 features on ALL data, then 5-fold CV of 1-NN: accuracy {cv_accuracy(X, y, 100, folds, False):.2f}")
    print(f"select 100 features inside each fold (pipeline):      accuracy {cv_accuracy(X, y, 100, folds, True):.2f}")
    tr, va = folds[0]
    leaky_idx, honest_idx = select_k_best(X, y, 100), select_k_best(X[tr], y[tr], 100)

    def mean_abs_r(rows, idx):
        return np.mean(np.abs(np.corrcoef(X[rows][:, idx].T, y[rows])[-1, :-1]))

    print(
        f"mean |correlation with the labels| of the 100 chosen features: {mean_abs_r(np.arange(50), leaky_idx):.2f}"
        f" on all data; on fold 0's validation part {mean_abs_r(va, leaky_idx):.2f} if chosen on all data,"
        f" {mean_abs_r(va, honest_idx):.2f} if chosen on its training part"
    )
    rng = np.random.default_rng(1)
    base, labels = rng.normal(size=(40, 20)), rng.integers(0, 2, size=40)
    groups = np.repeat(np.arange(40), 3)
    Xd, yd = base[groups] + 0.01 * rng.normal(size=(120, 20)), labels[groups]
    for name, fl in (
        ("row-wise folds  ", k_fold_indices(120, 5, np.random.default_rng(2))),
        ("group-wise folds", group_k_fold_indices(groups, 5)),
    ):
        acc = np.mean([np.mean(one_nn_predict(Xd[t], yd[t], Xd[v]) == yd[v]) for t, v in fl])
        print(f"40 patients x 3 near-identical records, random labels, {name}: 1-NN accuracy {acc:.2f}")
