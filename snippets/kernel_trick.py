"""The kernel trick: inner products in a feature space, computed without building it.

A kernel ``k(x, z) = <phi(x), phi(z)>`` lets any algorithm that touches the
data only through inner products (SVMs, ridge regression, PCA, k-means) work in
the feature space of ``phi`` at the cost of evaluating ``k``.

Conventions follow scikit-learn: ``sklearn.metrics.pairwise.polynomial_kernel``
is ``(gamma <x, z> + coef0) ** degree`` (here ``gamma`` is given explicitly; its
default is ``1 / n_features``); ``sklearn.kernel_ridge.KernelRidge(alpha,
kernel)`` solves ``(K + alpha I) dual_coef = y`` with no intercept; and
``sklearn.kernel_approximation.RBFSampler(gamma, n_components)`` draws
``W ~ N(0, 2 gamma I)``, ``b ~ U(0, 2 pi)`` and maps
``z(x) = sqrt(2 / n_components) cos(x W + b)``.
"""

from math import comb

import numpy as np
from termbook.checks import assert_close

from snippets.support_vector_machine import linear_kernel, rbf_kernel


def polynomial_kernel(A, B, degree=3, gamma=1.0, coef0=1.0):
    """``k(a, b) = (gamma a.b + coef0) ** degree``, like ``sklearn.metrics.pairwise.polynomial_kernel``.

    Parameters
    ----------
    A : ndarray of shape (N, D)
    B : ndarray of shape (M, D)
    degree : int
    gamma : float
    coef0 : float

    Returns
    -------
    K : ndarray of shape (N, M)
    """
    return (gamma * linear_kernel(A, B) + coef0) ** degree


def poly2_features(X, coef0=1.0):
    """Explicit feature map of the degree-2 polynomial kernel with ``gamma=1``.

    The kernel's own version of ``sklearn.preprocessing.PolynomialFeatures(degree=2)``: the
    ``sqrt(2c)`` weights and the repeated cross terms make inner products equal the kernel.

    ``(x.z + c)^2 = sum_ij x_i x_j z_i z_j + 2c sum_i x_i z_i + c^2``, so
    ``phi(x) = [x_i x_j for all i, j] ++ sqrt(2c) x ++ [c]``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    coef0 : float
        ``c >= 0``.

    Returns
    -------
    Phi : ndarray of shape (N, D*D + D + 1)
    """
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    quad = (X[:, :, None] * X[:, None, :]).reshape(n, -1)
    return np.concatenate([quad, np.sqrt(2 * coef0) * X, np.full((n, 1), float(coef0))], axis=1)


def kernel_ridge_fit(K, y, alpha):
    """Dual coefficients of kernel ridge regression, like ``sklearn.kernel_ridge.KernelRidge``.

    Minimises ``||y - Phi w||^2 + alpha ||w||^2`` over ``w = Phi^T c``; the
    solution is ``c = (K + alpha I)^{-1} y``, found by a Cholesky solve.

    Parameters
    ----------
    K : ndarray of shape (N, N)
        Gram matrix of the training points.
    y : ndarray of shape (N,)
    alpha : float
        Ridge penalty, ``alpha > 0`` (makes ``K + alpha I`` positive definite).

    Returns
    -------
    dual_coef : ndarray of shape (N,)
    """
    if not alpha > 0:
        raise ValueError("alpha must be positive: K alone may be singular")
    L = np.linalg.cholesky(K + alpha * np.eye(K.shape[0]))
    return np.linalg.solve(L.T, np.linalg.solve(L, y))


def kernel_ridge_predict(K_query, dual_coef):
    """``f(x) = sum_i c_i k(x_i, x)``.

    ``sklearn.kernel_ridge.KernelRidge.predict``.

    Parameters
    ----------
    K_query : ndarray of shape (M, N)
        Kernel between query and training points.
    dual_coef : ndarray of shape (N,)

    Returns
    -------
    f : ndarray of shape (M,)
    """
    return K_query @ dual_coef


def random_fourier_features(X, gamma, n_components, seed=0):
    """Random features whose inner products approximate the RBF kernel (Rahimi & Recht, 2007).

    Same recipe as ``sklearn.kernel_approximation.RBFSampler``:
    ``E[z(x).z(y)] = exp(-gamma ||x - y||^2)`` by Bochner's theorem.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    gamma : float
    n_components : int
    seed : int
        The same seed gives the same W and b, so train and test maps agree.

    Returns
    -------
    Z : ndarray of shape (N, n_components)
    """
    rng = np.random.default_rng(seed)
    W = rng.normal(scale=np.sqrt(2 * gamma), size=(X.shape[1], n_components))
    b = rng.uniform(0, 2 * np.pi, size=n_components)
    return np.sqrt(2.0 / n_components) * np.cos(X @ W + b)


def _wave(seed=0, n=30):
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-3, 3, size=n))
    return x[:, None], np.sin(2 * x) + 0.1 * rng.normal(size=n)


# ---------------------------------------------------------------- checks


def check_kernel_equals_inner_product_of_explicit_features():
    X = np.random.default_rng(0).normal(size=(6, 3))
    Phi = poly2_features(X, coef0=1.5)
    assert Phi.shape == (6, 3 * 3 + 3 + 1)
    assert_close(polynomial_kernel(X, X, degree=2, coef0=1.5), Phi @ Phi.T, rtol=1e-12, what="k = <phi, phi>")


def check_kernel_ridge_equals_ridge_in_feature_space():
    # (Phi^T Phi + a I)^{-1} Phi^T y = Phi^T (Phi Phi^T + a I)^{-1} y: same predictions, two routes.
    X = np.random.default_rng(1).normal(size=(20, 2))
    y = np.random.default_rng(2).normal(size=20)
    Xq = np.random.default_rng(3).normal(size=(5, 2))
    Phi, Phq = poly2_features(X), poly2_features(Xq)
    w = np.linalg.solve(Phi.T @ Phi + 0.5 * np.eye(Phi.shape[1]), Phi.T @ y)
    c = kernel_ridge_fit(polynomial_kernel(X, X, degree=2), y, 0.5)
    assert_close(kernel_ridge_predict(polynomial_kernel(Xq, X, degree=2), c), Phq @ w, rtol=1e-9)
    assert_close(Phi.T @ c, w, rtol=1e-9, what="w = Phi^T c (representer theorem)")


def check_gram_matrices_are_positive_semidefinite():
    X = np.random.default_rng(4).normal(size=(15, 3))
    for K in (linear_kernel(X, X), polynomial_kernel(X, X), rbf_kernel(X, X, 0.7)):
        assert np.min(np.linalg.eigvalsh(K)) > -1e-9 * np.abs(K).max()
    # ||x - z|| is a similarity-looking function that is NOT a kernel: zero trace, positive entries.
    D = np.sqrt(np.maximum(0, ((X[:, None] - X[None]) ** 2).sum(-1)))
    assert np.min(np.linalg.eigvalsh(D)) < -1e-3


def check_rbf_kernel_is_an_infinite_polynomial_in_1d():
    # exp(-g (x - z)^2) = exp(-g x^2) exp(-g z^2) sum_k (2 g x z)^k / k!: truncating gives a finite phi.
    from math import factorial

    x = np.linspace(-1, 1, 7)[:, None]
    g = 0.5
    ks = np.arange(25)
    phi = np.exp(-g * x**2) * np.stack([np.sqrt((2 * g) ** k / factorial(k)) * x[:, 0] ** k for k in ks], axis=1)
    assert_close(phi @ phi.T, rbf_kernel(x, x, g), rtol=1e-12, what="truncated Taylor features")


def check_random_features_converge_to_rbf():
    X = np.random.default_rng(5).normal(size=(10, 2))
    K = rbf_kernel(X, X, 0.5)
    errs = [np.abs(random_fourier_features(X, 0.5, m) @ random_fourier_features(X, 0.5, m).T - K).max() for m in (10, 100, 10_000)]
    assert errs[2] < errs[0] and errs[2] < 0.05  # error ~ 1/sqrt(m)


def check_extremes():
    X = np.zeros((4, 2))  # identical points: K is all ones and singular; alpha > 0 rescues the solve
    c = kernel_ridge_fit(rbf_kernel(X, X, 1.0), np.ones(4), 1e-3)
    assert np.all(np.isfinite(c))
    assert np.allclose(rbf_kernel(np.array([[0.0]]), np.array([[1e6]]), 1.0), 0.0)  # underflows to 0, no nan
    try:
        kernel_ridge_fit(np.eye(3), np.ones(3), 0.0)
    except ValueError:
        pass
    else:
        raise AssertionError("alpha = 0 must raise")


def plot_fits(x, y, fits):
    """Figure: kernel ridge fits with three kernels on noisy sine data (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    ax.scatter(x[:, 0], y, s=14, color="k", label="data")
    grid = np.linspace(-3.2, 3.2, 300)[:, None]
    for name, kernel, c in fits:
        ax.plot(grid[:, 0], kernel_ridge_predict(kernel(grid, x), c), label=name)
    ax.set_ylim(-2, 2)
    ax.legend(loc="lower left", fontsize=8)
    fig.set_label(
        "Thirty noisy samples of sin(2x). Kernel ridge with a linear kernel fits a straight sloping line, "
        "a cubic polynomial kernel bends once or twice but misses the oscillation, and the RBF kernel "
        "follows the sine wave"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x, z = np.array([[1.0, 2.0]]), np.array([[3.0, -1.0]])
    print("x = (1, 2), z = (3, -1):  (x.z + 1)^2 =", polynomial_kernel(x, z, degree=2)[0, 0])
    print("phi(x) =", poly2_features(x)[0])
    print("phi(x).phi(z) =", (poly2_features(x) @ poly2_features(z).T)[0, 0], " (7 features for D = 2)")
    for d, p in ((10, 2), (100, 2), (100, 3)):
        print(f"D={d:3d}, degree {p}: {comb(d + p, p):>7d} monomials in phi; the kernel costs one D-dim dot product")
    X, y = _wave()
    Xt, yt = _wave(seed=1, n=200)
    fits = []
    for name, kernel in (
        ("linear", linear_kernel),
        ("poly, degree 3", lambda A, B: polynomial_kernel(A, B, degree=3, gamma=1 / 3)),
        ("RBF, gamma = 1", lambda A, B: rbf_kernel(A, B, 1.0)),
    ):
        c = kernel_ridge_fit(kernel(X, X), y, alpha=0.1)
        mse = np.mean((kernel_ridge_predict(kernel(Xt, X), c) - yt) ** 2)
        print(f"kernel ridge, alpha=0.1, {name:15s}: test MSE {mse:.4f}")
        fits.append((name, kernel, c))
    K = rbf_kernel(X, X, 1.0)
    for m in (10, 100, 1000):
        Z = random_fourier_features(X, 1.0, m)
        print(f"random Fourier features, m={m:4d}: max |z(x).z(y) - k(x, y)| = {np.abs(Z @ Z.T - K).max():.4f}")
    plot_fits(X, y, fits)
