"""Ensemble learning: combine several models by voting, averaging or stacking.

Conventions follow scikit-learn: ``sklearn.ensemble.VotingClassifier(voting="hard")``
predicts the label with the largest (weighted) number of votes, ties going to the
smallest label (``argmax`` of ``bincount``); ``voting="soft"`` takes the argmax of
the weighted mean of ``predict_proba``. ``sklearn.ensemble.StackingRegressor``
trains the final estimator on out-of-fold predictions of the base estimators
(``cv=5``, unshuffled ``KFold``) and refits the base estimators on all the data;
its default final estimator is ``RidgeCV``, here plain least squares with an
intercept so the weights are easy to read.
"""

from math import comb

import numpy as np
from termbook.checks import assert_close

from snippets.cross_validation import k_fold_indices
from snippets.gradient_boosting import fit_regression_tree, make_wave, predict_regression_tree
from snippets.k_nearest_neighbors import kneighbors
from snippets.linear_regression import fit_lstsq


def hard_vote(labels, num_classes, weights=None):
    """Weighted majority vote of hard labels.

    ``sklearn.ensemble.VotingClassifier(voting="hard", weights=weights).predict``.

    Parameters
    ----------
    labels : ndarray of shape (M, N)
        Integer predictions of M models for N samples.
    num_classes : int
    weights : ndarray of shape (M,) or None

    Returns
    -------
    y : ndarray of shape (N,)
        Label with the largest total weight; ties go to the smallest label.
    """
    M, N = labels.shape
    w = np.ones(M) if weights is None else np.asarray(weights, dtype=np.float64)
    votes = np.zeros((N, num_classes))
    for m in range(M):
        votes[np.arange(N), labels[m]] += w[m]
    return np.argmax(votes, axis=1)


def soft_vote(probas, weights=None):
    """Weighted mean of class probabilities (``VotingClassifier(voting="soft").predict_proba``).

    Parameters
    ----------
    probas : ndarray of shape (M, N, K)
    weights : ndarray of shape (M,) or None

    Returns
    -------
    proba : ndarray of shape (N, K)
    """
    return np.average(probas, axis=0, weights=weights)


def majority_accuracy(p, m):
    """Accuracy of a majority vote of ``m`` independent voters each right with probability ``p``.

    Same as ``scipy.stats.binom.sf(m // 2, m, p)``.

    Condorcet's jury theorem: ``P(more than m/2 right) = sum_{k > m/2} C(m, k) p^k (1-p)^(m-k)``.
    Two classes; ``m`` odd, so there are no ties.

    Parameters
    ----------
    p : float
    m : int

    Returns
    -------
    acc : float
    """
    if m % 2 == 0:
        raise ValueError("use an odd number of voters")
    return float(sum(comb(m, k) * p**k * (1 - p) ** (m - k) for k in range(m // 2 + 1, m + 1)))


def ambiguity_decomposition(preds, y, weights=None):
    """Krogh-Vedelsby decomposition of the squared error of a weighted average.

    No library call; an identity that holds for any predictions.

    ``(f_bar - y)^2 = sum_m w_m (f_m - y)^2 - sum_m w_m (f_m - f_bar)^2`` at every point,
    with ``f_bar = sum_m w_m f_m`` and weights summing to one.

    Parameters
    ----------
    preds : ndarray of shape (M, N)
    y : ndarray of shape (N,)
    weights : ndarray of shape (M,) or None
        Convex weights; uniform if None.

    Returns
    -------
    ensemble_error : float
        Mean over samples of ``(f_bar - y)^2``.
    average_error : float
        Weighted mean member error.
    ambiguity : float
        Weighted mean spread of the members around ``f_bar`` (>= 0).
    """
    M = preds.shape[0]
    w = np.full(M, 1.0 / M) if weights is None else np.asarray(weights, dtype=np.float64)
    f_bar = w @ preds
    return (float(np.mean((f_bar - y) ** 2)), float(np.mean(w @ (preds - y) ** 2)), float(np.mean(w @ (preds - f_bar) ** 2)))


# Three different regressors as (fit, predict) pairs of pure functions.
def _tree_fit(X, y):
    return fit_regression_tree(X, y, max_depth=4)


def _knn_fit(X, y):
    return (X, y)


def _knn_predict(model, Xq, k=5):
    X, y = model
    idx, _ = kneighbors(X, Xq, min(k, len(y)))
    return y[idx].mean(axis=1)


def _linear_predict(model, Xq):
    w, b = model
    return Xq @ w + b


BASE_LEARNERS = {
    "tree (depth 4)": (_tree_fit, predict_regression_tree),
    "5-NN": (_knn_fit, _knn_predict),
    "linear": (fit_lstsq, _linear_predict),
}


def stacking_fit(X, y, learners=BASE_LEARNERS, cv=5):
    """Stacked generalisation (Wolpert, 1992) with a least-squares combiner.

    ``sklearn.ensemble.StackingRegressor(estimators, final_estimator=LinearRegression(), cv=5).fit``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    learners : dict of name -> (fit, predict)
    cv : int
        Folds for the out-of-fold predictions.

    Returns
    -------
    models : list
        Base models refitted on all the data.
    coef : ndarray of shape (M,)
        Combiner weights (not constrained to be positive or to sum to one).
    intercept : float
    """
    oof = np.zeros((len(learners), len(y)))
    for tr, va in k_fold_indices(len(y), cv):
        for m, (fit, predict) in enumerate(learners.values()):
            oof[m, va] = predict(fit(X[tr], y[tr]), X[va])
    coef, intercept = fit_lstsq(oof.T, y)
    models = [fit(X, y) for fit, _ in learners.values()]
    return models, coef, intercept


def stacking_predict(models, coef, intercept, X, learners=BASE_LEARNERS):
    """Combiner applied to the refitted base models' predictions.

    ``StackingRegressor.predict``.

    Parameters
    ----------
    models : list
    coef : ndarray of shape (M,)
    intercept : float
    X : ndarray of shape (N, D)
    learners : dict

    Returns
    -------
    y_hat : ndarray of shape (N,)
    """
    P = np.stack([predict(m, X) for m, (_, predict) in zip(models, learners.values())])
    return coef @ P + intercept


# ---------------------------------------------------------------- checks


def check_majority_vote_matches_the_binomial_formula():
    rng = np.random.default_rng(0)
    p, m, n = 0.6, 11, 200_000
    right = rng.random((m, n)) < p  # independent voters, true label 1
    labels = right.astype(int)
    acc = np.mean(hard_vote(labels, 2) == 1)
    assert abs(acc - majority_accuracy(p, m)) < 0.005
    assert majority_accuracy(p, 101) > majority_accuracy(p, 11) > p  # better voters than chance: more is better
    assert majority_accuracy(0.4, 101) < majority_accuracy(0.4, 11) < 0.4  # worse than chance: more is worse
    assert_close(majority_accuracy(0.5, 21), 0.5, rtol=1e-12)


def check_identical_voters_gain_nothing():
    labels = np.tile(np.random.default_rng(1).integers(0, 3, size=50), (7, 1))
    assert np.array_equal(hard_vote(labels, 3), labels[0])


def check_vote_ties_and_weights():
    labels = np.array([[0, 2], [1, 2], [1, 0], [0, 0]])  # sample 0: 2 votes each for 0 and 1
    assert hard_vote(labels, 3).tolist() == [0, 0]  # ties go to the smallest label
    assert hard_vote(labels, 3, weights=[1, 3, 1, 1]).tolist() == [1, 2]
    probas = np.array([[[0.9, 0.1]], [[0.4, 0.6]], [[0.4, 0.6]]])
    # Soft voting can overrule the majority: one confident model beats two lukewarm ones.
    assert hard_vote(probas.argmax(2), 2)[0] == 1 and soft_vote(probas).argmax(1)[0] == 0


def check_ambiguity_decomposition_is_exact():
    rng = np.random.default_rng(2)
    preds, y = rng.normal(size=(4, 30)), rng.normal(size=30)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    ens, avg, amb = ambiguity_decomposition(preds, y, w)
    assert_close(ens, avg - amb, rtol=1e-12, what="ensemble = average - ambiguity")
    assert amb >= 0 and ens <= avg


def check_stacking_uses_out_of_fold_predictions():
    # A 1-NN learner has zero error on its own training data; in-sample stacking would trust it blindly.
    X, y = make_wave(3, n=60)
    learners = {"1-NN": (_knn_fit, lambda m, Xq: _knn_predict(m, Xq, k=1)), "linear": BASE_LEARNERS["linear"]}
    P = np.stack([predict(fit(X, y), X) for fit, predict in learners.values()])
    in_sample, _ = fit_lstsq(P.T, y)
    assert_close(in_sample, [1.0, 0.0], rtol=0, atol=1e-9, what="in-sample combiner trusts 1-NN fully")
    _, coef, _ = stacking_fit(X, y, learners)
    assert coef[0] < 0.95 and coef[1] > 0.05  # out of fold, 1-NN's noise shows and the weight is shared


def check_extremes():
    assert hard_vote(np.zeros((1, 3), dtype=int), 2).tolist() == [0, 0, 0]  # one voter
    assert majority_accuracy(1.0, 5) == 1.0 and majority_accuracy(0.0, 5) == 0.0
    try:
        majority_accuracy(0.6, 4)
    except ValueError:
        pass
    else:
        raise AssertionError("an even jury must raise")


def plot_condorcet(ps=(0.45, 0.55, 0.6, 0.7), max_m=101):
    """Figure: majority-vote accuracy against ensemble size (needs matplotlib)."""
    import matplotlib.pyplot as plt

    ms = np.arange(1, max_m + 1, 2)
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for p in ps:
        ax.plot(ms, [majority_accuracy(p, m) for m in ms], label=f"each voter right with p = {p}")
    ax.set_xlabel("number of independent voters (odd)")
    ax.set_ylabel("accuracy of the majority")
    ax.legend(fontsize=8)
    fig.set_label(
        "Majority-vote accuracy against the number of independent voters: it climbs towards 1 "
        "for voters right 55%, 60% or 70% of the time, fastest for 70%, and sinks towards 0 "
        "for voters right only 45% of the time"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("majority of m independent classifiers, each right with p = 0.6:")
    print("  " + ", ".join(f"m={m}: {majority_accuracy(0.6, m):.4f}" for m in (1, 5, 25, 101)))
    X, y = make_wave(0, n=80)
    Xt, yt = make_wave(1, n=500)
    preds = []
    for name, (fit, predict) in BASE_LEARNERS.items():
        preds.append(predict(fit(X, y), Xt))
        print(f"{name:15s} test MSE {np.mean((preds[-1] - yt) ** 2):.4f}")
    preds = np.array(preds)
    ens, avg, amb = ambiguity_decomposition(preds, yt)
    print(f"plain average   test MSE {ens:.4f} = mean member MSE {avg:.4f} - ambiguity {amb:.4f}")
    two = preds[:2]
    ens2, avg2, amb2 = ambiguity_decomposition(two, yt)
    print(f"tree + 5-NN     test MSE {ens2:.4f} = mean member MSE {avg2:.4f} - ambiguity {amb2:.4f}")
    models, coef, b = stacking_fit(X, y)
    mse = np.mean((stacking_predict(models, coef, b, Xt) - yt) ** 2)
    print(f"stacking        test MSE {mse:.4f}, weights {coef} (tree, 5-NN, linear), intercept {b:.4f}")
    plot_condorcet()
