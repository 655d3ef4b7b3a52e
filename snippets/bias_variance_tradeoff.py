"""Bias-variance decomposition of the expected squared error, by Monte Carlo and in closed form.

For a target ``y = f(x) + e`` with ``E[e] = 0``, ``Var[e] = sigma^2``, and a predictor ``f_hat``
fitted to a random training set ``T`` (independent of the test noise),

    E_{T, e}[(y - f_hat(x))^2] = (f(x) - E_T f_hat(x))^2 + Var_T f_hat(x) + sigma^2
                               =        bias^2          +    variance     + noise.

The setting is the fixed-design one of Hastie, Tibshirani & Friedman (ESL, section 7.3): the
training inputs are fixed, each simulated training set redraws the noise. The predictor is a
least-squares polynomial, a linear smoother ``f_hat(x0) = h(x0)^T y``, so bias and variance are
also available exactly: ``E f_hat(x0) = h(x0)^T f(x_train)`` and ``Var = sigma^2 ||h(x0)||^2``.
"""

import numpy as np


def true_function(x):
    """The regression function ``f(x) = sin(pi x)``.

    Parameters
    ----------
    x : ndarray of shape (N,)

    Returns
    -------
    ndarray of shape (N,)
    """
    return np.sin(np.pi * x)


def smoother_matrix(x_train, x_test, degree):
    """Rows ``h(x0)^T`` with ``f_hat(x_test) = S @ y_train`` for the least-squares polynomial.

    Parameters
    ----------
    x_train : ndarray of shape (N,)
    x_test : ndarray of shape (M,)
    degree : int
        Polynomial degree, ``degree + 1 <= N``.

    Returns
    -------
    S : ndarray of shape (M, N)
        ``Phi_test @ pinv(Phi_train)``.
    """
    phi_train = np.vander(x_train, degree + 1, increasing=True)
    phi_test = np.vander(x_test, degree + 1, increasing=True)
    return phi_test @ np.linalg.pinv(phi_train)


def simulate_predictions(x_train, x_test, degree, sigma, n_sims, rng):
    """Fit ``n_sims`` models, each to a fresh noisy training set, and predict at ``x_test``.

    Parameters
    ----------
    x_train : ndarray of shape (N,)
        Fixed training inputs.
    x_test : ndarray of shape (M,)
    degree : int
    sigma : float
        Noise standard deviation.
    n_sims : int
        Number of simulated training sets, S.
    rng : numpy.random.Generator

    Returns
    -------
    preds : ndarray of shape (S, M)
        ``preds[s, m]`` is the prediction at ``x_test[m]`` of the model fitted to training set ``s``.
    """
    y_train = true_function(x_train) + sigma * rng.normal(size=(n_sims, len(x_train)))
    return y_train @ smoother_matrix(x_train, x_test, degree).T


def decompose(preds, f_test, sigma):
    """Bias², variance and noise estimated from simulated predictions, averaged over test points.

    Parameters
    ----------
    preds : ndarray of shape (S, M)
    f_test : ndarray of shape (M,)
        True function at the test points.
    sigma : float

    Returns
    -------
    bias2, variance, noise : float
        ``variance`` uses the biased (1/S) estimator, which makes
        ``mean_s (f - preds_s)^2 = bias2 + variance`` an exact identity.
    """
    mean_pred = preds.mean(axis=0)
    bias2 = float(np.mean((f_test - mean_pred) ** 2))
    variance = float(np.mean(preds.var(axis=0)))
    return bias2, variance, sigma**2


def exact_decomposition(x_train, x_test, degree, sigma):
    """Exact bias², variance and noise of the least-squares polynomial (a linear smoother).

    Parameters
    ----------
    x_train : ndarray of shape (N,)
    x_test : ndarray of shape (M,)
    degree : int
    sigma : float

    Returns
    -------
    bias2, variance, noise : float
        Averages over the test points.
    """
    S = smoother_matrix(x_train, x_test, degree)
    bias2 = float(np.mean((true_function(x_test) - S @ true_function(x_train)) ** 2))
    variance = float(sigma**2 * np.mean(np.sum(S * S, axis=1)))
    return bias2, variance, sigma**2


def monte_carlo_test_error(preds, f_test, sigma, rng):
    """Mean of ``(y - f_hat(x))^2`` with fresh, independent test noise for every simulated model.

    Parameters
    ----------
    preds : ndarray of shape (S, M)
    f_test : ndarray of shape (M,)
    sigma : float
    rng : numpy.random.Generator

    Returns
    -------
    float
    """
    y_test = f_test + sigma * rng.normal(size=preds.shape)
    return float(np.mean((y_test - preds) ** 2))


SIGMA = 0.3
X_TRAIN = np.linspace(-1.0, 1.0, 15)
X_TEST = np.linspace(-0.95, 0.95, 39)


# ---------------------------------------------------------------- checks


def check_monte_carlo_error_equals_bias2_plus_variance_plus_noise():
    rng = np.random.default_rng(0)
    f_test = true_function(X_TEST)
    for degree in (1, 3, 9):
        preds = simulate_predictions(X_TRAIN, X_TEST, degree, SIGMA, 20000, rng)
        total = monte_carlo_test_error(preds, f_test, SIGMA, rng)
        b2, var, noise = decompose(preds, f_test, SIGMA)
        # Statistical agreement: 20000 x 39 draws put the Monte Carlo error well under 1 %.
        assert abs(total - (b2 + var + noise)) < 0.01 * total, (degree, total, b2 + var + noise)
        # Without test noise the identity is exact (biased variance, same samples).
        assert abs(np.mean((f_test - preds) ** 2) - (b2 + var)) < 1e-12


def check_monte_carlo_matches_exact_linear_smoother():
    rng = np.random.default_rng(1)
    f_test = true_function(X_TEST)
    for degree in (1, 3, 9):
        b2, var, _ = decompose(simulate_predictions(X_TRAIN, X_TEST, degree, SIGMA, 20000, rng), f_test, SIGMA)
        b2_exact, var_exact, _ = exact_decomposition(X_TRAIN, X_TEST, degree, SIGMA)
        assert abs(var - var_exact) < 0.03 * var_exact, (degree, var, var_exact)
        assert abs(b2 - b2_exact) < 0.03 * b2_exact + 2e-4, (degree, b2, b2_exact)


def check_variance_grows_and_bias_falls_with_degree():
    degrees = range(0, 11)
    b2, var = np.array([exact_decomposition(X_TRAIN, X_TEST, d, SIGMA)[:2] for d in degrees]).T
    # Nested least-squares models: the variance of the prediction can only grow with added features.
    assert np.all(np.diff(var) > 0), var
    # Bias falls for the odd degrees that add the odd powers sin(pi x) needs (even powers add nothing here).
    assert np.all(np.diff(b2[1::2]) < 0), b2
    total = b2 + var
    best = int(np.argmin(total))
    assert 0 < best < 10 and total[-1] > total[best] and total[0] > total[best]


def check_in_sample_variance_is_p_over_n():
    # At the training inputs, the average variance is sigma^2 * trace(H) / N = sigma^2 * (degree + 1) / N.
    for degree in (0, 2, 5):
        _, var, _ = exact_decomposition(X_TRAIN, X_TRAIN, degree, SIGMA)
        assert abs(var - SIGMA**2 * (degree + 1) / len(X_TRAIN)) < 1e-12


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    f_test = true_function(X_TEST)
    print("f(x) = sin(pi x), 15 training points, noise sd 0.3; 20000 simulated training sets")
    print("degree    bias^2   variance    noise      sum   Monte Carlo E(y - f_hat)^2")
    for degree in (0, 1, 3, 5, 9, 12):
        preds = simulate_predictions(X_TRAIN, X_TEST, degree, SIGMA, 20000, rng)
        b2, var, noise = decompose(preds, f_test, SIGMA)
        total = monte_carlo_test_error(preds, f_test, SIGMA, rng)
        print(f"{degree:6d}   {b2:7.4f}   {var:8.4f}   {noise:6.4f}   {b2 + var + noise:6.4f}   {total:6.4f}")
    print("bias^2 falls and variance rises with the degree; their sum is smallest at degree 3")
