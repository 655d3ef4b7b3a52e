"""Naive Bayes classifiers: Bayes' theorem with features assumed independent given the class.

``gaussian_nb_fit`` / ``gaussian_nb_predict_proba`` mirror ``sklearn.naive_bayes.GaussianNB``:
priors are class frequencies (``class_prior_``), per-class means and *biased* variances
(``theta_``, ``var_``), and ``var_smoothing=1e-9`` times the largest feature variance of the
whole training set is added to every variance (``epsilon_``) so that a feature that is constant
within a class does not divide by zero. ``multinomial_nb_*`` mirror
``sklearn.naive_bayes.MultinomialNB(alpha=1.0)`` (additive smoothing of word counts). Both
classify in log space and normalise with log-sum-exp, as scikit-learn's ``predict_log_proba``.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.bayes_theorem import posterior
from snippets.normal_distribution import normal_pdf
from snippets.softmax import logsumexp

__all__ = [
    "gaussian_nb_fit",
    "gaussian_nb_joint_log_likelihood",
    "gaussian_nb_predict_proba",
    "multinomial_nb_fit",
    "multinomial_nb_predict_proba",
]


def gaussian_nb_fit(X, y, var_smoothing=1e-9):
    """Fit a Gaussian naive Bayes model (``GaussianNB(var_smoothing=1e-9).fit(X, y)``).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Class labels (any sortable values).
    var_smoothing : float
        Fraction of the largest feature variance added to all variances.

    Returns
    -------
    model : dict
        ``classes`` (K,), ``log_prior`` (K,), ``theta`` (K, D) class means, ``var`` (K, D)
        class variances (divisor N_k) plus ``epsilon``, and ``epsilon`` (float).
    """
    X = np.asarray(X, dtype=np.float64)
    classes, y_idx = np.unique(y, return_inverse=True)
    counts = np.bincount(y_idx).astype(np.float64)
    theta = np.stack([X[y_idx == k].mean(axis=0) for k in range(classes.size)])
    var = np.stack([X[y_idx == k].var(axis=0) for k in range(classes.size)])
    epsilon = var_smoothing * float(np.var(X, axis=0).max())
    if not epsilon > 0 and np.any(var == 0):
        raise ValueError("a zero variance and no smoothing: the likelihood is infinite")
    return {"classes": classes, "log_prior": np.log(counts / counts.sum()), "theta": theta, "var": var + epsilon, "epsilon": epsilon}


def gaussian_nb_joint_log_likelihood(model, X):
    """``log p(y = k) + sum_d log N(x_d; theta_kd, var_kd)`` for every row and class.

    Parameters
    ----------
    model : dict from :func:`gaussian_nb_fit`
    X : ndarray of shape (N, D)

    Returns
    -------
    jll : ndarray of shape (N, K)
        Unnormalised log-posteriors (scikit-learn's ``_joint_log_likelihood``).
    """
    X = np.asarray(X, dtype=np.float64)
    var, theta = model["var"], model["theta"]
    log_norm = -0.5 * np.sum(np.log(2.0 * np.pi * var), axis=1)  # (K,)
    sq = ((X[:, None, :] - theta[None, :, :]) ** 2 / var[None, :, :]).sum(axis=2)  # (N, K)
    return model["log_prior"] + log_norm - 0.5 * sq


def gaussian_nb_predict_proba(model, X):
    """Posterior class probabilities, like ``GaussianNB.predict_proba``.

    Parameters
    ----------
    model : dict from :func:`gaussian_nb_fit`
    X : ndarray of shape (N, D)

    Returns
    -------
    proba : ndarray of shape (N, K)
        Rows sum to one, even for points far from every class (log-sum-exp normalisation).
    """
    jll = gaussian_nb_joint_log_likelihood(model, X)
    return np.exp(jll - logsumexp(jll, axis=1, keepdims=True))


def multinomial_nb_fit(counts, y, alpha=1.0):
    """Fit a multinomial naive Bayes model on count features (``MultinomialNB(alpha).fit``).

    Parameters
    ----------
    counts : ndarray of shape (N, V)
        Non-negative counts (e.g. word counts of N documents over a vocabulary of V words).
    y : ndarray of shape (N,)
    alpha : float
        Additive (Laplace/Lidstone) smoothing; 0 gives the MLE, which assigns log-probability
        -inf to any word never seen in a class.

    Returns
    -------
    model : dict
        ``classes`` (K,), ``log_prior`` (K,), ``feature_log_prob`` (K, V) with
        ``log((count_kv + alpha) / (sum_v count_kv + alpha V))``.
    """
    counts = np.asarray(counts, dtype=np.float64)
    classes, y_idx = np.unique(y, return_inverse=True)
    n_k = np.bincount(y_idx).astype(np.float64)
    fc = np.stack([counts[y_idx == k].sum(axis=0) for k in range(classes.size)]) + alpha
    with np.errstate(divide="ignore"):
        flp = np.log(fc) - np.log(fc.sum(axis=1, keepdims=True))
    return {"classes": classes, "log_prior": np.log(n_k / n_k.sum()), "feature_log_prob": flp}


def multinomial_nb_predict_proba(model, counts):
    """Posterior class probabilities of count vectors, like ``MultinomialNB.predict_proba``.

    Parameters
    ----------
    model : dict from :func:`multinomial_nb_fit`
    counts : ndarray of shape (N, V)

    Returns
    -------
    proba : ndarray of shape (N, K)
    """
    counts = np.asarray(counts, dtype=np.float64)
    flp = model["feature_log_prob"]
    # 0 * (-inf) must count as 0: a word that does not occur contributes nothing.
    c = counts[:, None, :]
    jll = model["log_prior"] + np.sum(c * np.where(c > 0, flp[None, :, :], 0.0), axis=2)
    with np.errstate(invalid="ignore"):
        return np.exp(jll - logsumexp(jll, axis=1, keepdims=True))


# ---------------------------------------------------------------- checks


def _three_blobs(seed=0, n=40):
    rng = np.random.default_rng(seed)
    means = np.array([[0.0, 0.0], [3.0, 1.0], [1.0, 3.0]])
    scales = np.array([[1.0, 0.5], [0.6, 1.2], [0.8, 0.8]])
    X = np.vstack([m + s * rng.normal(size=(n, 2)) for m, s in zip(means, scales)])
    return X, np.repeat(np.array(["a", "b", "c"]), n)


def check_fitted_parameters_follow_sklearn_conventions():
    X, y = _three_blobs()
    m = gaussian_nb_fit(X, y)
    assert_close(np.exp(m["log_prior"]), [1 / 3] * 3, rtol=1e-14, what="class_prior_")
    assert_close(m["theta"][1], X[y == "b"].mean(axis=0), rtol=1e-14, what="theta_")
    assert_close(m["var"][1], X[y == "b"].var(axis=0, ddof=0) + m["epsilon"], rtol=1e-14, what="var_")
    assert_close(m["epsilon"], 1e-9 * X.var(axis=0).max(), rtol=1e-14, what="epsilon_")


def check_matches_product_of_densities_and_bayes_theorem():
    X, y = _three_blobs(1)
    m = gaussian_nb_fit(X, y)
    x = np.array([[1.0, 1.0]])
    lik = np.prod(normal_pdf(x, m["theta"], np.sqrt(m["var"])), axis=1)  # (K,) naive product
    assert_close(gaussian_nb_predict_proba(m, x)[0], posterior(np.exp(m["log_prior"]), lik), rtol=1e-12)


def check_probabilities_stay_finite_far_from_the_data():
    X, y = _three_blobs(2)
    m = gaussian_nb_fit(X, y)
    far = np.array([[1e3, -1e3], [0.0, 1e4]])
    lik = np.prod(normal_pdf(far, m["theta"][0], np.sqrt(m["var"][0])))
    assert lik == 0.0  # the direct product underflows for every class: 0/0 would follow
    p = gaussian_nb_predict_proba(m, far)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1.0)


def check_var_smoothing_rescues_a_constant_feature():
    X = np.array([[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [5.0, 3.0], [6.0, 3.0], [7.0, 3.0]])
    y = np.array([0, 0, 0, 1, 1, 1])  # feature 2 is constant within each class
    m = gaussian_nb_fit(X, y)
    assert m["epsilon"] > 0 and np.all(m["var"] > 0)
    p = gaussian_nb_predict_proba(m, np.array([[3.5, 2.0]]))
    assert np.all(np.isfinite(p))
    try:
        gaussian_nb_fit(X, y, var_smoothing=0.0)
    except ValueError:
        pass
    else:
        raise AssertionError("zero variance without smoothing must raise")


def check_duplicated_feature_is_double_counted():
    # The independence assumption in action: copying a feature squares its likelihood ratio,
    # so the posterior becomes overconfident, although no information was added.
    X, y = _three_blobs(3)
    X1 = X[:, :1]
    p1 = gaussian_nb_predict_proba(gaussian_nb_fit(X1, y), np.array([[1.5]]))[0]
    p2 = gaussian_nb_predict_proba(gaussian_nb_fit(np.hstack([X1, X1]), y), np.array([[1.5, 1.5]]))[0]
    prior = np.full(3, 1 / 3)
    assert_close(p2, posterior(prior, (p1 / prior) ** 2), rtol=1e-10, what="likelihood ratio squared")
    assert p2.max() > p1.max()


def check_multinomial_smoothing_handles_unseen_words():
    counts = np.array([[2, 1, 0, 0], [1, 2, 0, 0], [0, 0, 3, 1], [0, 1, 2, 2]])
    y = np.array(["ham", "ham", "spam", "spam"])
    doc = np.array([[1, 0, 1, 0]])  # word 0 never appears in spam, word 2 never in ham
    p_mle = multinomial_nb_predict_proba(multinomial_nb_fit(counts, y, alpha=0.0), doc)
    assert np.all(np.isnan(p_mle))  # both classes have probability exactly 0: 0/0
    m = multinomial_nb_fit(counts, y, alpha=1.0)
    assert_close(np.exp(m["feature_log_prob"]).sum(axis=1), [1.0, 1.0], rtol=1e-14)
    assert_close(np.exp(m["feature_log_prob"][0, 0]), (3 + 1) / (6 + 4), rtol=1e-14, what="(count + 1)/(total + V)")
    p = multinomial_nb_predict_proba(m, doc)
    assert np.all(np.isfinite(p)) and abs(p.sum() - 1) < 1e-14


def plot_decision_regions(X, y, model):
    """Figure for the page: Gaussian naive Bayes decision regions on three classes."""
    import matplotlib.pyplot as plt

    g1, g2 = np.meshgrid(np.linspace(-3, 6, 150), np.linspace(-3, 6.5, 150))
    grid = np.column_stack([g1.ravel(), g2.ravel()])
    pred = np.argmax(gaussian_nb_joint_log_likelihood(model, grid), axis=1).reshape(g1.shape)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    ax.contourf(g1, g2, pred, levels=[-0.5, 0.5, 1.5, 2.5], colors=["#c6dbef", "#fdd0a2", "#c7e9c0"])
    for k, c in enumerate(["tab:blue", "tab:orange", "tab:green"]):
        pts = X[y == model["classes"][k]]
        ax.scatter(pts[:, 0], pts[:, 1], s=10, color=c, label=f"class {model['classes'][k]}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Decision regions of Gaussian naive Bayes on three two-dimensional classes: the boundaries "
        "are curved (quadratic) because each class has its own per-feature variances"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    X, y = _three_blobs()
    m = gaussian_nb_fit(X, y)
    print("class priors      ", np.exp(m["log_prior"]))
    print("class means theta_\n", m["theta"])
    print("class variances var_\n", m["var"])
    print(f"epsilon_ = 1e-9 x max feature variance = {m['epsilon']:.4e}")
    pts = np.array([[0.0, 0.0], [2.0, 2.0], [1e3, -1e3]])
    print("predict_proba at (0, 0), (2, 2), (1000, -1000):\n", gaussian_nb_predict_proba(m, pts))
    acc = np.mean(m["classes"][np.argmax(gaussian_nb_joint_log_likelihood(m, X), axis=1)] == y)
    print(f"training accuracy {acc:.4f}")
    vocab = ["meeting", "report", "free", "winner"]
    counts = np.array([[2, 1, 0, 0], [1, 2, 0, 0], [0, 0, 3, 1], [0, 1, 2, 2]])
    labels = np.array(["ham", "ham", "spam", "spam"])
    mnb = multinomial_nb_fit(counts, labels, alpha=1.0)
    doc = np.array([[1, 0, 1, 0]])
    p_doc = multinomial_nb_predict_proba(mnb, doc)[0]
    print("vocabulary", vocab)
    print("P(word | ham) ", np.exp(mnb["feature_log_prob"][0]))
    print("P(word | spam)", np.exp(mnb["feature_log_prob"][1]))
    print(f"document 'meeting free': P(ham) = {p_doc[0]:.4f}, P(spam) = {p_doc[1]:.4f}")
    plot_decision_regions(X, y, m)
