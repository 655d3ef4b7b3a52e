"""Underfitting: a model too constrained to capture the signal, so even its training error is high.

The data are those of ``snippets.overfitting`` (``y = sin(pi x) + noise``, ``x ~ U[-1, 1]``,
noise sd 0.3) and the fits are its least-squares polynomials (``np.polynomial`` coefficient
order; ``np.polyfit`` with reversed coefficients). The quantity that exposes underfitting is the
*best-in-class error*: the expected squared error of the best polynomial of a given degree, which
no amount of data can beat. It is computed by projecting ``sin(pi x)`` onto polynomials with
Gauss-Legendre quadrature (``numpy.polynomial.legendre.leggauss``). Over-regularisation is the
other route to underfitting: ridge (``sklearn.linear_model.Ridge(fit_intercept=False)``) on the
polynomial features with a large ``alpha``.
"""

import numpy as np

from snippets.overfitting import fit_polynomial, make_data, mse, polynomial_features, predict_polynomial
from snippets.regularization import ridge_closed_form

NOISE = 0.3


def best_in_class_error(degree, noise=NOISE, n_nodes=64):
    r"""Expected squared error of the best degree-``degree`` polynomial, infinite data.

    .. math:: \min_{c} \; \mathbb E_{x \sim U[-1,1]} \big(\sin \pi x - \textstyle\sum_j c_j x^j\big)^2
              + \sigma^2

    The minimiser is the :math:`L^2` projection of :math:`\sin\pi x` onto the polynomials; the
    integrals are evaluated with ``n_nodes``-point Gauss-Legendre quadrature, exact for
    polynomials up to degree ``2 n_nodes - 1`` and accurate to rounding for this smooth target.

    Parameters
    ----------
    degree : int
    noise : float
        Noise standard deviation ``sigma``.
    n_nodes : int

    Returns
    -------
    float
        Approximation error plus ``sigma**2``: the floor under both training and test MSE as
        ``n`` grows.
    """
    x, wq = np.polynomial.legendre.leggauss(n_nodes)
    wq = wq / 2.0  # density of U[-1, 1]
    phi = np.polynomial.legendre.legvander(x, degree)  # Legendre basis: well conditioned
    sw = np.sqrt(wq)
    coef, *_ = np.linalg.lstsq(phi * sw[:, None], np.sin(np.pi * x) * sw, rcond=None)
    return float(np.sum(wq * (np.sin(np.pi * x) - phi @ coef) ** 2) + noise**2)


def train_test_mse(degree, n_train, seed=0, n_test=20000):
    """Training and test MSE of the least-squares polynomial fitted to ``n_train`` samples.

    Parameters
    ----------
    degree : int
    n_train : int
    seed : int
    n_test : int

    Returns
    -------
    train : float
    test : float
    """
    rng = np.random.default_rng(seed)
    x, y = make_data(n_train, rng, NOISE)
    xt, yt = make_data(n_test, rng, NOISE)
    coef = fit_polynomial(x, y, degree)
    return mse(predict_polynomial(coef, x), y), mse(predict_polynomial(coef, xt), yt)


def fit_polynomial_ridge(x, y, degree, alpha):
    """Ridge fit on monomial features: minimise ``||phi c - y||^2 + alpha ||c||^2``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    y : ndarray of shape (N,)
    degree : int
    alpha : float
        ``alpha >= 0``; as ``alpha -> inf`` every coefficient, the constant included, goes to 0.

    Returns
    -------
    coef : ndarray of shape (degree + 1,)
    """
    return ridge_closed_form(polynomial_features(x, degree), y, alpha)


# ---------------------------------------------------------------- checks


def check_best_in_class_closed_forms():
    # Degree 0: the best constant is E[sin(pi x)] = 0, error E[sin^2] = 1/2.
    # Degree 1: the best slope is E[x sin(pi x)] / E[x^2] = (1/pi) / (1/3), error 1/2 - 3/pi^2.
    s2 = NOISE**2
    np.testing.assert_allclose(best_in_class_error(0), 0.5 + s2, rtol=1e-12)
    np.testing.assert_allclose(best_in_class_error(1), 0.5 - 3 / np.pi**2 + s2, rtol=1e-12)
    floors = [best_in_class_error(d) for d in range(8)]
    assert np.all(np.diff(floors) <= 1e-15)  # richer classes can only approximate better
    assert floors[7] - s2 < 1e-4  # degree 7 is nearly exact: what remains is noise


def check_more_data_does_not_cure_underfitting():
    # A line on 20000 points: training and test error agree and both sit at the floor 0.286,
    # far above the noise level 0.09. The cubic drops close to the noise level.
    train, test = train_test_mse(1, 20000)
    floor = best_in_class_error(1)
    assert abs(train - floor) < 0.01 and abs(test - floor) < 0.01 and abs(train - test) < 0.01
    train3, _ = train_test_mse(3, 20000)
    assert train3 < 0.1 < 0.28 < train


def check_underfit_training_error_exceeds_a_good_models_test_error():
    # On 12 points the line cannot even fit its own training data as well as the cubic predicts
    # new data, and its training error is over twice the noise level. The degree-9 fit has the
    # opposite symptom: training error below the noise level and a gap over twice the line's.
    tr1, te1 = train_test_mse(1, 12)
    _, te3 = train_test_mse(3, 12)
    tr9, te9 = train_test_mse(9, 12)
    assert tr1 > te3 and tr1 > 2 * NOISE**2
    assert tr9 < NOISE**2 and (te9 - tr9) > 2 * (te1 - tr1)


def check_huge_penalty_shrinks_to_the_zero_function():
    # Over-regularisation: alpha -> infinity forces every coefficient to 0 (no intercept is
    # spared here), so the training MSE tends to mean(y^2); extreme alpha stays finite.
    rng = np.random.default_rng(1)
    x, y = make_data(30, rng)
    errs = [mse(predict_polynomial(fit_polynomial_ridge(x, y, 5, a), x), y) for a in (0.0, 1.0, 100.0, 1e300)]
    assert np.all(np.diff(errs) > 0)
    np.testing.assert_allclose(errs[-1], np.mean(y**2), rtol=1e-12)
    # alpha = 0 is the ordinary least-squares fit of overfitting.fit_polynomial.
    np.testing.assert_allclose(fit_polynomial_ridge(x, y, 5, 0.0), fit_polynomial(x, y, 5), rtol=1e-8, atol=1e-10)


def plot_fits(x, y, degrees):
    """Figure for the page: the fitted polynomial of each degree over the data and the true curve."""
    import matplotlib.pyplot as plt

    grid = np.linspace(-1, 1, 400)
    fig, axes = plt.subplots(1, len(degrees), figsize=(3.2 * len(degrees), 3.2), sharey=True)
    for ax, d in zip(axes, degrees):
        ax.plot(grid, np.sin(np.pi * grid), color="gray", lw=1, label="true sin(pi x)")
        ax.plot(grid, predict_polynomial(fit_polynomial(x, y, d), grid), color="C1", label=f"degree {d}")
        ax.scatter(x, y, s=18, color="C0", zorder=3)
        ax.set_ylim(-2, 2)
        ax.set_title({1: "underfit", 3: "good fit"}.get(d, "overfit") + f" (degree {d})")
        ax.set_xlabel("x")
    axes[0].set_ylabel("y")
    fig.set_label(
        "Three fits to the same 12 noisy points from a sine curve. The straight line (degree 1) "
        "misses the curve's bends and passes far from most points; the cubic follows the sine; the "
        "degree-11 polynomial threads every point and swings wildly between them."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    print("y = sin(pi x) + noise (sd 0.3, so the noise floor is 0.09)")
    print("degree   floor   n=12: train   test    n=20000: train   test")
    for d in (0, 1, 3):
        tr, te = train_test_mse(d, 12)
        tr_big, te_big = train_test_mse(d, 20000)
        print(f"{d:6d}   {best_in_class_error(d):.3f}        {tr:.3f}   {te:.3f}            {tr_big:.3f}   {te_big:.3f}")
    rng = np.random.default_rng(1)
    x, y = make_data(30, rng)
    print("degree-5 ridge on 30 points, training MSE as the penalty grows:")
    for a in (0.0, 1.0, 100.0, 1e4):
        print(f"  alpha = {a:7g}: {mse(predict_polynomial(fit_polynomial_ridge(x, y, 5, a), x), y):.3f}")
    x12, y12 = make_data(12, np.random.default_rng(0))
    plot_fits(x12, y12, (1, 3, 11))
