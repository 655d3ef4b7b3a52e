"""Calibration: do predicted probabilities match observed frequencies?

- ``calibration_curve`` mirrors ``sklearn.calibration.calibration_curve(y_true,
  y_prob, n_bins=5, strategy="uniform")`` for binary problems: bin the predicted
  probabilities, and per non-empty bin return the observed fraction of positives
  (``prob_true``) and the mean prediction (``prob_pred``). Bin edges are
  ``linspace(0, 1, n_bins + 1)`` ("uniform") or quantiles of ``y_prob``
  ("quantile"); a value on an inner edge goes to the *lower* bin
  (``np.searchsorted(edges[1:-1], p)``, side "left"), so bins are
  [0, e1], (e1, e2], ..., (e_{M-1}, 1]. Empty bins are dropped.
- ``expected_calibration_error`` is the binned ECE of Naeini et al. (2015) and
  Guo et al. (2017) for multi-class probabilities: confidence = max probability,
  M equal-width bins with the same right-closed edges,
  ``ECE = sum_b (n_b / N) |acc_b - conf_b|``. Its value depends on M (15 in
  Guo et al.) and on the edge convention, so compare ECEs only at equal binning.
- ``fit_temperature`` is temperature scaling (Guo et al., 2017): one scalar T > 0
  dividing the logits, chosen to minimise the validation negative log-likelihood.
"""

import numpy as np
from termbook.checks import assert_close

from snippets.cross_entropy import cross_entropy
from snippets.softmax import softmax

__all__ = [
    "calibration_curve",
    "reliability_bins",
    "expected_calibration_error",
    "maximum_calibration_error",
    "fit_temperature",
]


def _bin_ids(p, edges):
    # side="left": a value equal to an inner edge lands in the bin below it.
    return np.searchsorted(edges[1:-1], p)


def calibration_curve(y_true, y_prob, n_bins=5, strategy="uniform"):
    """Observed frequency against mean predicted probability, per bin.

    Mirrors ``sklearn.calibration.calibration_curve`` (binary case).

    Parameters
    ----------
    y_true : ndarray of shape (N,)
        Labels in {0, 1}.
    y_prob : ndarray of shape (N,)
        Predicted probability of class 1, in [0, 1].
    n_bins : int
        Number of bins M.
    strategy : {"uniform", "quantile"}
        Equal-width bins on [0, 1], or edges at the quantiles of ``y_prob``
        (about N / M samples per bin).

    Returns
    -------
    prob_true : ndarray of shape (B,)
        Fraction of positives in each non-empty bin (B <= M).
    prob_pred : ndarray of shape (B,)
        Mean predicted probability in each non-empty bin.
    """
    y_true = np.asarray(y_true, dtype=np.float64)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if y_true.shape != y_prob.shape or y_true.ndim != 1 or y_true.size == 0:
        raise ValueError("y_true and y_prob must be non-empty 1-D arrays of the same length")
    if y_prob.min() < 0 or y_prob.max() > 1:
        raise ValueError("y_prob has values outside [0, 1]")
    if strategy == "uniform":
        edges = np.linspace(0.0, 1.0, n_bins + 1)
    elif strategy == "quantile":
        edges = np.percentile(y_prob, np.linspace(0, 100, n_bins + 1))
    else:
        raise ValueError("strategy must be 'uniform' or 'quantile'")
    ids = _bin_ids(y_prob, edges)
    total = np.bincount(ids, minlength=n_bins)
    nonzero = total > 0
    prob_true = np.bincount(ids, weights=y_true, minlength=n_bins)[nonzero] / total[nonzero]
    prob_pred = np.bincount(ids, weights=y_prob, minlength=n_bins)[nonzero] / total[nonzero]
    return prob_true, prob_pred


def reliability_bins(probs, y_true, n_bins=15):
    """Top-label reliability statistics in M equal-width confidence bins.

    The binning of Guo et al.'s reference code (``_ECELoss`` in
    gpleiss/temperature_scaling): bins (lo, hi] on the confidence.

    Parameters
    ----------
    probs : ndarray of shape (N, C)
        Predicted class probabilities (rows sum to one).
    y_true : ndarray of shape (N,)
        True class indices in ``[0, C)``.
    n_bins : int
        Number of bins M (Guo et al. use 15).

    Returns
    -------
    accuracy : ndarray of shape (M,)
        Fraction correct among the samples whose confidence falls in the bin (0 if empty).
    confidence : ndarray of shape (M,)
        Mean confidence (max probability) in the bin (0 if empty).
    counts : ndarray of shape (M,)
        Number of samples in the bin.
    """
    probs = np.asarray(probs, dtype=np.float64)
    y_true = np.asarray(y_true)
    if probs.ndim != 2 or probs.shape[0] != y_true.shape[0] or probs.shape[0] == 0:
        raise ValueError("probs must have shape (N, C) with N = len(y_true) > 0")
    conf = probs.max(axis=1)
    correct = (probs.argmax(axis=1) == y_true).astype(np.float64)
    ids = _bin_ids(conf, np.linspace(0.0, 1.0, n_bins + 1))
    counts = np.bincount(ids, minlength=n_bins)
    safe = np.maximum(counts, 1)  # empty bins report 0 and get weight 0 below
    acc = np.bincount(ids, weights=correct, minlength=n_bins) / safe
    mean_conf = np.bincount(ids, weights=conf, minlength=n_bins) / safe
    return acc, mean_conf, counts


def expected_calibration_error(probs, y_true, n_bins=15):
    """Binned expected calibration error ``sum_b (n_b / N) |acc_b - conf_b|``.

    Parameters
    ----------
    probs : ndarray of shape (N, C)
        Predicted class probabilities.
    y_true : ndarray of shape (N,)
        True class indices.
    n_bins : int
        Number of equal-width confidence bins.

    Returns
    -------
    ece : float
        In [0, 1]; 0 means accuracy equals confidence in every bin.
    """
    acc, conf, counts = reliability_bins(probs, y_true, n_bins)
    return float(np.sum(counts / counts.sum() * np.abs(acc - conf)))


def maximum_calibration_error(probs, y_true, n_bins=15):
    """Largest ``|acc_b - conf_b|`` over the non-empty bins (MCE).

    Parameters
    ----------
    probs : ndarray of shape (N, C)
    y_true : ndarray of shape (N,)
    n_bins : int

    Returns
    -------
    mce : float
    """
    acc, conf, counts = reliability_bins(probs, y_true, n_bins)
    return float(np.max(np.abs(acc - conf)[counts > 0]))


def fit_temperature(logits, y_true, log_t_range=(-3.0, 3.0), tol=1e-6):
    """Temperature scaling: the T > 0 minimising ``cross_entropy(logits / T, y_true)``.

    Same objective as ``ModelWithTemperature.set_temperature`` in Guo et al.'s
    reference code (gpleiss/temperature_scaling), which minimises it with L-BFGS.

    The negative log-likelihood is a smooth, unimodal function of log T for
    this one-parameter family, so a golden-section search over a bracket of
    log T finds the minimum without gradients and can never produce NaN. T > 1
    softens an overconfident model, T < 1 sharpens an underconfident one; the
    argmax, hence the accuracy, is unchanged.

    Parameters
    ----------
    logits : ndarray of shape (N, C)
        Validation logits of a trained model.
    y_true : ndarray of shape (N,)
        Validation labels in ``[0, C)``.
    log_t_range : tuple of float
        Search bracket for log T (default T in [0.05, 20]).
    tol : float
        Width of the final bracket in log T.

    Returns
    -------
    temperature : float
    """
    logits = np.asarray(logits, dtype=np.float64)
    y_true = np.asarray(y_true, dtype=np.int64)

    def nll(log_t):
        return cross_entropy(logits / np.exp(log_t), y_true)

    a, b = log_t_range
    g = (np.sqrt(5.0) - 1.0) / 2.0
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = nll(c), nll(d)
    while b - a > tol:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = nll(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = nll(d)
    return float(np.exp((a + b) / 2.0))


# ----------------------------------------------------------------------------- checks


def _overconfident(seed=0, n=4000, c=3, scale=2.5):
    """True logits z, labels drawn from softmax(z), and a model reporting scale * z."""
    rng = np.random.default_rng(seed)
    z = rng.normal(scale=1.5, size=(n, c))
    p = softmax(z)
    y = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
    return z, y, scale * z


def check_calibration_curve_matches_explicit_loop_and_edge_rule():
    rng = np.random.default_rng(1)
    p = np.round(rng.random(200), 1)  # many values exactly on the edges 0.2, 0.4, ...
    y = (rng.random(200) < p).astype(int)
    prob_true, prob_pred = calibration_curve(y, p, n_bins=5)
    edges = np.linspace(0, 1, 6)
    exp_true, exp_pred = [], []
    for k in range(5):
        lo, hi = edges[k], edges[k + 1]
        m = (p <= hi) & ((p > lo) if k > 0 else (p >= lo))  # [0, .2], (.2, .4], ...
        if m.any():
            exp_true.append(y[m].mean())
            exp_pred.append(p[m].mean())
    assert_close(prob_true, exp_true, rtol=1e-12)
    assert_close(prob_pred, exp_pred, rtol=1e-12)


def check_empty_bins_are_dropped_and_quantile_bins_balance_counts():
    prob_true, prob_pred = calibration_curve([0, 1, 1], [0.05, 0.92, 0.95], n_bins=10)
    assert prob_true.size == 2 and np.allclose(prob_pred, [0.05, 0.935])
    # 0.9 sits on an edge and goes to the bin below, (0.8, 0.9]; 0.95 to (0.9, 1].
    _, prob_pred = calibration_curve([0, 1, 1], [0.05, 0.9, 0.95], n_bins=10)
    assert np.allclose(prob_pred, [0.05, 0.9, 0.95])
    rng = np.random.default_rng(2)
    p = rng.beta(2, 5, size=1000)
    edges = np.percentile(p, np.linspace(0, 100, 6))
    counts = np.bincount(_bin_ids(p, edges), minlength=5)
    assert counts.min() >= 195 and counts.max() <= 205


def check_perfectly_calibrated_forecasts_have_small_ece():
    z, y, _ = _overconfident(3, n=20000)
    assert expected_calibration_error(softmax(z), y) < 0.02
    pt, pp = calibration_curve((y == 0).astype(int), softmax(z)[:, 0], n_bins=10)
    assert np.max(np.abs(pt - pp)) < 0.05


def check_ece_hand_computed_and_bounded_by_mce():
    # Two bins used: confidence 0.9 (3 of 4 right) and 0.6 (1 of 2 right).
    probs = np.array([[0.9, 0.1]] * 4 + [[0.4, 0.6]] * 2)
    y = np.array([0, 0, 0, 1, 1, 0])
    ece = expected_calibration_error(probs, y, n_bins=10)
    assert_close(ece, 4 / 6 * abs(0.75 - 0.9) + 2 / 6 * abs(0.5 - 0.6), rtol=1e-12)
    assert ece <= maximum_calibration_error(probs, y, n_bins=10) + 1e-15
    # Certain and always right: perfectly calibrated. Certain and 70% right: ECE 0.3.
    one_hot = np.eye(3)[[0, 1, 2, 0]]
    assert expected_calibration_error(one_hot, np.array([0, 1, 2, 0])) == 0.0
    y10 = np.array([0] * 7 + [1] * 3)
    assert np.isclose(expected_calibration_error(np.eye(2)[np.zeros(10, int)], y10), 0.3)


def check_temperature_scaling_recovers_scale_and_keeps_accuracy():
    z, y, logits = _overconfident(4)
    t = fit_temperature(logits, y)
    assert abs(t - 2.5) < 0.25, t  # the model's logits are 2.5 times too large
    assert np.array_equal(softmax(logits / t).argmax(1), logits.argmax(1))
    assert cross_entropy(logits / t, y) < cross_entropy(logits, y)
    assert expected_calibration_error(softmax(logits / t), y) < expected_calibration_error(softmax(logits), y)


def check_temperature_is_a_minimum_and_extremes_stay_finite():
    _, y, logits = _overconfident(5, n=1000)
    t = fit_temperature(logits, y)
    nll = cross_entropy(logits / t, y)
    assert nll <= cross_entropy(logits / (t * 1.05), y) and nll <= cross_entropy(logits / (t / 1.05), y)
    huge = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])
    t_big = fit_temperature(huge, np.array([0, 0]))  # confidently wrong once: wants a large T
    assert np.isfinite(t_big) and t_big > 1.0
    assert np.isfinite(expected_calibration_error(softmax(huge), np.array([0, 1])))


def plot_reliability(probs_before, probs_after, y, n_bins=15):
    """Reliability diagrams before and after temperature scaling."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.8), sharey=True)
    centres = (np.arange(n_bins) + 0.5) / n_bins
    for ax, probs, title in zip(axes, (probs_before, probs_after), ("before", "after temperature scaling")):
        acc, conf, counts = reliability_bins(probs, y, n_bins)
        used = counts > 0
        ax.bar(centres[used], acc[used], width=1 / n_bins, edgecolor="k", alpha=0.7, label="accuracy in bin")
        ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
        ax.plot(conf[used], acc[used], "o", color="C3", ms=4, label="(confidence, accuracy)")
        ax.set(
            title=f"{title}: ECE = {expected_calibration_error(probs, y, n_bins):.3f}",
            xlabel="confidence (max probability)",
            xlim=(0, 1),
            ylim=(0, 1),
        )
    axes[0].set_ylabel("accuracy")
    axes[0].legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.set_label(
        "Two reliability diagrams. Left: the bars of an overconfident model sit well below the "
        "diagonal in the high-confidence bins, so its accuracy is lower than its confidence. "
        "Right: after temperature scaling the bars follow the diagonal closely."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    y_bin = np.array([0, 0, 1, 0, 1, 1, 0, 1, 1, 1])
    p_bin = np.array([0.1, 0.2, 0.3, 0.35, 0.6, 0.65, 0.7, 0.8, 0.9, 0.95])
    prob_true, prob_pred = calibration_curve(y_bin, p_bin, n_bins=5)
    print("calibration_curve, 5 uniform bins")
    print("  mean predicted:   ", prob_pred)
    print("  observed positive:", prob_true)
    z, y, logits = _overconfident(0)
    before, true_p = softmax(logits), softmax(z)
    print(f"accuracy {np.mean(before.argmax(1) == y):.3f}, mean confidence {before.max(1).mean():.3f}")
    print(
        f"ECE (15 bins): overconfident model {expected_calibration_error(before, y):.4f}, "
        f"true probabilities {expected_calibration_error(true_p, y):.4f}"
    )
    t = fit_temperature(logits, y)
    after = softmax(logits / t)
    print(f"fitted temperature T = {t:.3f}  (logits were scaled by 2.5)")
    print(
        f"after scaling: confidence {after.max(1).mean():.3f}, ECE {expected_calibration_error(after, y):.4f}, "
        f"NLL {cross_entropy(logits, y):.4f} -> {cross_entropy(logits / t, y):.4f}"
    )
    plot_reliability(before, after, y)
