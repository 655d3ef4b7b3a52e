"""Mutual information: how many nats knowing one variable saves about the other.

``mutual_info_score(labels_a, labels_b)`` mirrors ``sklearn.metrics.mutual_info_score``:
plug-in estimate from the contingency table, natural logarithm (nats), symmetric in its
arguments, invariant to renaming the labels. ``normalized_mutual_info_score`` mirrors
scikit-learn's default ``average_method="arithmetic"`` (MI divided by the mean of the two
entropies; 1.0 when both labelings are constant, as scikit-learn returns).
``0 log 0 = 0`` throughout.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.entropy import entropy
from snippets.kl_divergence import kl_divergence

__all__ = ["mutual_information", "contingency_table", "mutual_info_score", "normalized_mutual_info_score", "gaussian_mi"]


def mutual_information(joint):
    """``I(X; Y) = sum_xy p(x, y) log(p(x, y) / (p(x) p(y)))`` of a joint probability table.

    ``sklearn.metrics.mutual_info_score(None, None, contingency=counts)`` computes the same from a
    table of counts (it divides by their total). Pass integer counts, not probabilities:
    scikit-learn converts the ``contingency`` argument to an integer dtype, which would turn
    probabilities into zeros.

    Parameters
    ----------
    joint : ndarray of shape (A, B)
        Non-negative, summing to one.

    Returns
    -------
    mi : float
        In nats; between 0 (independent) and ``min(H(X), H(Y))``.
    """
    P = np.asarray(joint, dtype=np.float64)
    outer = P.sum(axis=1, keepdims=True) * P.sum(axis=0, keepdims=True)
    nz = P > 0  # cells with p(x, y) = 0 contribute nothing; p(x)p(y) > 0 there
    return float(max(np.sum(P[nz] * (np.log(P[nz]) - np.log(outer[nz]))), 0.0))


def contingency_table(labels_a, labels_b):
    """Counts of each pair of labels (``sklearn.metrics.cluster.contingency_matrix``).

    Parameters
    ----------
    labels_a, labels_b : ndarray of shape (N,)

    Returns
    -------
    table : ndarray of shape (A, B)
        ``table[i, j]`` = number of samples with the i-th value of a and the j-th of b.
    """
    _, ia = np.unique(labels_a, return_inverse=True)
    _, ib = np.unique(labels_b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)
    return table


def mutual_info_score(labels_a, labels_b):
    """Plug-in mutual information of two labelings, like ``sklearn.metrics.mutual_info_score``.

    Parameters
    ----------
    labels_a, labels_b : ndarray of shape (N,)

    Returns
    -------
    mi : float
        In nats. Positive on average even for independent labelings (finite-sample bias).
    """
    table = contingency_table(labels_a, labels_b)
    return mutual_information(table / table.sum())


def normalized_mutual_info_score(labels_a, labels_b):
    """``MI / ((H(a) + H(b)) / 2)``, like ``sklearn.metrics.normalized_mutual_info_score``.

    Parameters
    ----------
    labels_a, labels_b : ndarray of shape (N,)

    Returns
    -------
    nmi : float
        In [0, 1]; 1 for identical partitions (up to renaming), 1.0 if both are constant.
    """
    table = contingency_table(labels_a, labels_b)
    if table.shape == (1, 1):
        return 1.0
    P = table / table.sum()
    h = 0.5 * (entropy(P.sum(axis=1)) + entropy(P.sum(axis=0)))
    return mutual_information(P) / h if h > 0 else 0.0


def gaussian_mi(rho):
    """Mutual information of a bivariate normal with correlation ``rho``: ``-log(1 - rho^2) / 2``.

    The target that ``sklearn.feature_selection.mutual_info_regression`` estimates for such data.

    Parameters
    ----------
    rho : ndarray of shape (M,)
        Correlations in (-1, 1).

    Returns
    -------
    mi : ndarray of shape (M,)
        Infinite as ``|rho| -> 1``: a continuous variable determines the other exactly.
    """
    rho = np.asarray(rho, dtype=np.float64)
    return -0.5 * np.log1p(-rho * rho)


# ---------------------------------------------------------------- checks

# Weather and umbrella: rows sunny / rainy, columns no umbrella / umbrella.
JOINT = np.array([[0.45, 0.05], [0.10, 0.40]])


def check_three_formulas_agree():
    px, py = JOINT.sum(axis=1), JOINT.sum(axis=0)
    mi = mutual_information(JOINT)
    assert_close(mi, entropy(px) + entropy(py) - entropy(JOINT.ravel()), rtol=1e-13, what="H(X)+H(Y)-H(X,Y)")
    assert_close(mi, kl_divergence(JOINT.ravel(), np.outer(px, py).ravel()), rtol=1e-13, what="KL(p(x,y) || p(x)p(y))")
    h_x_given_y = sum(py[j] * entropy(JOINT[:, j] / py[j]) for j in range(2))
    assert_close(mi, entropy(px) - h_x_given_y, rtol=1e-13, what="H(X) - H(X|Y)")


def check_zero_for_independence_and_bounded_by_entropies():
    assert mutual_information(np.outer([0.3, 0.7], [0.2, 0.5, 0.3])) < 1e-15
    rng = np.random.default_rng(0)
    for _ in range(20):
        P = rng.dirichlet(np.ones(12)).reshape(3, 4)
        mi = mutual_information(P)
        assert 0 <= mi <= min(entropy(P.sum(1)), entropy(P.sum(0))) + 1e-12
    # A variable shares all of its information with itself: I(X; X) = H(X).
    p = np.array([0.5, 0.25, 0.25])
    assert_close(mutual_information(np.diag(p)), entropy(p), rtol=1e-14)


def check_label_scores_symmetry_and_renaming():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 3, size=200)
    b = (a + (rng.random(200) < 0.3) * rng.integers(1, 3, size=200)) % 3
    mi = mutual_info_score(a, b)
    assert_close(mutual_info_score(b, a), mi, rtol=1e-14, what="symmetry")
    renamed = np.array(["x", "y", "z"])[(b + 1) % 3]
    assert_close(mutual_info_score(a, renamed), mi, rtol=1e-14, what="renaming labels")
    assert_close(normalized_mutual_info_score(a, a), 1.0, rtol=1e-14)
    assert 0 < normalized_mutual_info_score(a, b) < 1


def check_constant_and_single_sample_labelings():
    # Extreme inputs: constant labelings carry no information; sklearn's NMI conventions.
    const = np.zeros(10, dtype=int)
    varied = np.arange(10) % 2
    assert mutual_info_score(const, varied) == 0.0
    assert normalized_mutual_info_score(const, const) == 1.0
    assert normalized_mutual_info_score(const, varied) == 0.0
    assert mutual_info_score(np.array([3]), np.array([7])) == 0.0


def check_plug_in_estimate_is_biased_upwards():
    # Independent labels with 4 and 5 values: true MI is 0, the plug-in estimate is about
    # (4 - 1)(5 - 1) / (2 N) = 0.015 nats for N = 400 (Miller-Madow bias).
    rng = np.random.default_rng(2)
    est = [mutual_info_score(rng.integers(0, 4, 400), rng.integers(0, 5, 400)) for _ in range(300)]
    assert_close(np.mean(est), 12 / 800, rtol=0.15, what="bias of the plug-in MI")


def check_binned_gaussian_approaches_closed_form():
    rng = np.random.default_rng(3)
    rho, n = 0.8, 200_000
    x = rng.standard_normal(n)
    y = rho * x + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    edges = np.linspace(-4, 4, 41)
    table, _, _ = np.histogram2d(x, y, bins=[edges, edges])
    est = mutual_information(table / table.sum())
    assert abs(est - gaussian_mi(rho)) < 0.02, (est, gaussian_mi(rho))


def plot_gaussian_mi():
    """Figure for the page: MI of a bivariate normal against its correlation."""
    import matplotlib.pyplot as plt

    rho = np.linspace(-0.99, 0.99, 199)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(rho, gaussian_mi(rho), label="mutual information  -log(1 - rho^2)/2")
    ax.plot(rho, rho**2 / 2, "--", label="rho^2 / 2 (its small-rho approximation)")
    ax.set_xlabel("correlation rho")
    ax.set_ylabel("nats")
    ax.set_ylim(0, 2)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "Mutual information of a bivariate normal against its correlation: zero at rho = 0, symmetric, "
        "matching half the squared correlation (dashed) for small rho, and growing without bound as the "
        "correlation approaches plus or minus one"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("joint p(weather, umbrella):\n", JOINT)
    px, py = JOINT.sum(axis=1), JOINT.sum(axis=0)
    print(f"H(weather) = {entropy(px):.4f}, H(umbrella) = {entropy(py):.4f}, H(joint) = {entropy(JOINT.ravel()):.4f} nats")
    print(f"I(weather; umbrella) = {mutual_information(JOINT):.4f} nats = {mutual_information(JOINT) / np.log(2):.4f} bits")
    true = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2])
    pred = np.array([1, 1, 1, 0, 0, 2, 2, 2, 2])
    print("clusters", pred, "vs classes", true)
    print(f"  mutual_info_score = {mutual_info_score(true, pred):.4f}, NMI = {normalized_mutual_info_score(true, pred):.4f}")
    rng = np.random.default_rng(2)
    est = mutual_info_score(rng.integers(0, 4, 400), rng.integers(0, 5, 400))
    print(f"two independent labelings (4 and 5 values, N = 400): MI estimate {est:.4f} (true value 0)")
    print("bivariate normal: rho =", np.array([0.0, 0.5, 0.9, 0.99]), "-> MI =", gaussian_mi([0.0, 0.5, 0.9, 0.99]))
    plot_gaussian_mi()
