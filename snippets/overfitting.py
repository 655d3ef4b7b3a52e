"""Overfitting: polynomial least squares of increasing degree, training vs validation error.

A model overfits when it fits the noise in its training sample as well as the signal, so its
training error keeps falling while its error on new data rises. Polynomials of degree 0, 1, ...
are nested model classes, which makes the effect easy to see: the best training fit can only
improve with the degree, while the validation error traces the classical U-curve.
"""

import numpy as np


def polynomial_features(x, degree):
    """Monomial features ``[1, x, x**2, ..., x**degree]``.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Inputs, best kept in [-1, 1] so that high powers stay well conditioned.
    degree : int
        Highest power.

    Returns
    -------
    phi : ndarray of shape (N, degree + 1)
        Column ``j`` is ``x**j`` (increasing powers, like ``np.polynomial``;
        ``np.polyfit`` uses decreasing powers).
    """
    return np.vander(np.asarray(x, dtype=np.float64), degree + 1, increasing=True)


def fit_polynomial(x, y, degree):
    """Least-squares polynomial fit, minimising ``sum((phi @ coef - y)**2)``.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Training inputs.
    y : ndarray of shape (N,)
        Training targets.
    degree : int
        Polynomial degree. With ``degree >= N - 1`` the fit interpolates the data
        (``lstsq`` returns the minimum-norm interpolant when there are more
        coefficients than points).

    Returns
    -------
    coef : ndarray of shape (degree + 1,)
        Coefficients in increasing powers.
    """
    coef, *_ = np.linalg.lstsq(polynomial_features(x, degree), y, rcond=None)
    return coef


def predict_polynomial(coef, x):
    """Evaluate a polynomial with coefficients in increasing powers.

    Parameters
    ----------
    coef : ndarray of shape (P,)
        Coefficients, ``P = degree + 1``.
    x : ndarray of shape (N,)
        Inputs.

    Returns
    -------
    y_hat : ndarray of shape (N,)
    """
    return polynomial_features(x, len(coef) - 1) @ coef


def mse(y_hat, y):
    """Mean squared error (mean over samples, like ``sklearn.metrics.mean_squared_error``).

    Parameters
    ----------
    y_hat : ndarray of shape (N,)
    y : ndarray of shape (N,)

    Returns
    -------
    float
    """
    return float(np.mean((np.asarray(y_hat) - np.asarray(y)) ** 2))


def train_validation_curve(x_train, y_train, x_val, y_val, degrees):
    """Training and validation MSE of the least-squares fit for each degree.

    Parameters
    ----------
    x_train, y_train : ndarray of shape (N,)
        Sample the model is fitted to.
    x_val, y_val : ndarray of shape (M,)
        Held-out sample, never used for fitting.
    degrees : sequence of int, length K

    Returns
    -------
    train_err : ndarray of shape (K,)
    val_err : ndarray of shape (K,)
    """
    train_err, val_err = [], []
    for d in degrees:
        coef = fit_polynomial(x_train, y_train, d)
        train_err.append(mse(predict_polynomial(coef, x_train), y_train))
        val_err.append(mse(predict_polynomial(coef, x_val), y_val))
    return np.array(train_err), np.array(val_err)


def make_data(n, rng, noise=0.3):
    """Noisy samples of ``sin(pi x)`` on [-1, 1].

    Returns
    -------
    x : ndarray of shape (n,)
    y : ndarray of shape (n,)
    """
    x = rng.uniform(-1.0, 1.0, size=n)
    return x, np.sin(np.pi * x) + noise * rng.normal(size=n)


def _example(seed=0, n_train=12, n_val=500):
    rng = np.random.default_rng(seed)
    x_tr, y_tr = make_data(n_train, rng)
    x_va, y_va = make_data(n_val, rng)
    degrees = np.arange(n_train)  # 0 .. n_train - 1 (the last one interpolates)
    return degrees, *train_validation_curve(x_tr, y_tr, x_va, y_va, degrees)


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's scikit-learn tab).

    The demo's data (12 training points, degrees 0 to 11, the last one interpolating), a tiny
    training set, a noisier and a larger one, and degrees given out of order.

    Returns
    -------
    list of dict with x_train (N,), y_train (N,), x_val (M,), y_val (M,) and degrees (K,)
    """
    cases = []
    for seed, n_train, n_val, noise, degrees in [
        (0, 12, 500, 0.3, np.arange(12)),
        (1, 4, 50, 0.3, np.arange(4)),
        (2, 30, 200, 1.0, np.array([9, 0, 3, 1, 15])),
    ]:
        rng = np.random.default_rng(seed)
        x_tr, y_tr = make_data(n_train, rng, noise)
        x_va, y_va = make_data(n_val, rng, noise)
        cases.append({"x_train": x_tr, "y_train": y_tr, "x_val": x_va, "y_val": y_va, "degrees": degrees})
    return cases


# ---------------------------------------------------------------- checks


def check_training_error_never_increases_with_degree():
    # Degree-d polynomials contain all degree-(d-1) ones, so the least-squares optimum can only improve.
    for seed in range(5):
        _, train_err, _ = _example(seed)
        assert np.all(np.diff(train_err) <= 1e-10), train_err


def check_validation_error_eventually_rises():
    # The classical U-curve: the validation minimum is at a moderate degree and the most
    # flexible models are much worse than it, although their training error is smaller.
    for seed in range(5):
        degrees, train_err, val_err = _example(seed)
        best = int(np.argmin(val_err))
        assert 0 < best < degrees[-1] - 2, (seed, best)
        assert val_err[-1] > 2.0 * val_err[best], (seed, val_err)
        assert train_err[-1] < train_err[best]


def check_interpolation_at_n_minus_one():
    # With as many coefficients as points, the fit passes through every training point.
    rng = np.random.default_rng(1)
    x, y = make_data(8, rng)
    coef = fit_polynomial(x, y, 7)
    assert mse(predict_polynomial(coef, x), y) < 1e-20


def check_agrees_with_numpy_polyfit():
    rng = np.random.default_rng(2)
    x, y = make_data(30, rng)
    coef = fit_polynomial(x, y, 3)
    # np.polyfit returns decreasing powers.
    np.testing.assert_allclose(coef, np.polyfit(x, y, 3)[::-1], rtol=1e-9, atol=1e-12)


if __name__ == "__main__":
    degrees, train_err, val_err = _example()
    print("12 noisy samples of sin(pi x); noise sd 0.3, so even the true curve has expected MSE 0.09")
    print("degree   train MSE   validation MSE")
    for d in (0, 1, 3, 5, 7, 9, 11):
        print(f"{d:6d}   {train_err[d]:9.4f}   {val_err[d]:14.4f}")
    best = int(np.argmin(val_err))
    print(f"lowest validation error at degree {best}; degree 11 interpolates the 12 points")
