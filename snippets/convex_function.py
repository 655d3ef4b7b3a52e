r"""Convex functions: the chord between any two points of the graph lies on or above the graph.

$f$ is convex when $f(\theta x + (1-\theta) y) \le \theta f(x) + (1-\theta) f(y)$ for all
$x, y$ and $\theta \in [0, 1]$. For differentiable $f$ this is equivalent to the tangent
lying below the graph, $f(y) \ge f(x) + \nabla f(x)^\top (y - x)$, and for twice-differentiable
$f$ to a positive semi-definite Hessian everywhere. The consequence that matters for
optimisation: every local minimum is a global minimum.

Sampling can *refute* convexity (one violated inequality is a proof) but never prove it;
``max_jensen_gap`` searches for such a counterexample. The examples mirror losses used in
practice: ``scipy.special.logsumexp`` (the log-partition function of a softmax),
``numpy.logaddexp(0, z)`` (the logistic loss), the hinge loss of ``sklearn.svm.LinearSVC``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.hessian_matrix import numerical_hessian
from snippets.softmax import logsumexp


def max_jensen_gap(f, sampler, n_pairs=2000, seed=0):
    """Largest violation of Jensen's inequality over random pairs and mixing weights.

    Parameters
    ----------
    f : callable
        ndarray of shape (D,) -> float.
    sampler : callable
        ``sampler(rng)`` returns a point, ndarray of shape (D,).
    n_pairs : int
    seed : int

    Returns
    -------
    gap : float
        ``max f(t x + (1-t) y) - (t f(x) + (1-t) f(y))``; positive means "not convex", with a witness.
    witness : tuple
        ``(x, y, t)`` achieving it.
    """
    rng = np.random.default_rng(seed)
    best, witness = -np.inf, None
    for _ in range(n_pairs):
        x, y, t = sampler(rng), sampler(rng), rng.uniform()
        gap = f(t * x + (1 - t) * y) - (t * f(x) + (1 - t) * f(y))
        if gap > best:
            best, witness = gap, (x, y, t)
    return float(best), witness


def logistic_loss(z):
    """``log(1 + exp(-z))`` of the margin z (labels in {-1, +1}), summed; stable via ``np.logaddexp``. z of shape (D,)."""
    return float(np.sum(np.logaddexp(0.0, -np.asarray(z))))


def hinge_loss(z):
    """``max(0, 1 - z)`` summed over z of shape (D,): a pointwise maximum of affine functions."""
    return float(np.sum(np.maximum(0.0, 1.0 - np.asarray(z))))


def lse(z):
    """Log-sum-exp, ``log(sum(exp(z)))`` for z of shape (D,): convex, a smooth maximum."""
    return float(logsumexp(np.asarray(z, dtype=np.float64)))


def sigmoid_squared_error(w, x=2.0, y=1.0):
    """``(sigmoid(w x) - y)^2`` as a function of the weight: a classic *non-convex* loss. w of shape (1,)."""
    return float((1.0 / (1.0 + np.exp(-w[0] * x)) - y) ** 2)


def tiny_network_loss(theta, X, y):
    """Mean squared error of ``a1 tanh(w1 x) + a2 tanh(w2 x)``, theta = (w1, w2, a1, a2) of shape (4,).

    Parameters
    ----------
    theta : ndarray of shape (4,)
    X : ndarray of shape (N,)
    y : ndarray of shape (N,)

    Returns
    -------
    loss : float
    """
    w1, w2, a1, a2 = theta
    return float(np.mean((a1 * np.tanh(w1 * X) + a2 * np.tanh(w2 * X) - y) ** 2))


def gd(grad, x0, lr, steps):
    """Plain gradient descent; returns the final point, shape (D,)."""
    x = np.asarray(x0, dtype=np.float64)
    for _ in range(steps):
        x = x - lr * grad(x)
    return x


def _box(d, scale=3.0):
    return lambda rng: rng.uniform(-scale, scale, size=d)


# ---------------------------------------------------------------- checks


def check_convex_losses_satisfy_jensen_and_tangent_and_hessian_tests():
    rng = np.random.default_rng(1)
    for f in (logistic_loss, hinge_loss, lse, lambda z: float(z @ z), lambda z: float(np.abs(z).sum())):
        gap, _ = max_jensen_gap(f, _box(3))
        assert gap <= 1e-12
    for f in (logistic_loss, lse):  # smooth ones: tangent below the graph, PSD Hessian
        for _ in range(20):
            x, y = rng.normal(size=3) * 2, rng.normal(size=3) * 2
            g = numerical_gradient(f, x.copy())
            assert f(y) >= f(x) + g @ (y - x) - 1e-8
            assert np.linalg.eigvalsh(numerical_hessian(f, x))[0] > -1e-5


def check_lse_gradient_is_softmax_and_hessian_is_psd():
    z = np.array([0.5, -1.0, 2.0])
    p = np.exp(z - lse(z))
    assert_gradient_close(p, numerical_gradient(lse, z.copy()), tol=1e-8, what="grad lse = softmax")
    H = numerical_hessian(lse, z)
    assert_close(H, np.diag(p) - np.outer(p, p), rtol=1e-4, atol=1e-7, what="Hessian = diag(p) - pp^T")


def check_nonconvex_examples_have_witnesses():
    assert max_jensen_gap(lambda x: float(np.sin(x[0])), _box(1))[0] > 0.5
    assert max_jensen_gap(sigmoid_squared_error, _box(1, 4.0))[0] > 0.01
    assert max_jensen_gap(lambda p: float(p[0] ** 4 / 4 - p[0] ** 2 / 2), _box(1, 1.5))[0] > 0.1


def check_operations_that_preserve_convexity():
    A, b = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -2.0]]), np.array([0.1, -0.2, 0.3])
    for f in (
        lambda x: logistic_loss(A @ x + b),  # convex after affine map
        lambda x: 2.0 * lse(A @ x) + 0.5 * hinge_loss(x),  # non-negative sum
        lambda x: max(lse(A @ x), float(x @ x)),
    ):  # pointwise max
        assert max_jensen_gap(f, _box(2))[0] <= 1e-12


def check_every_local_minimum_is_global():
    # Regularised logistic regression: gradient descent from any start reaches the same loss.
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 2)), rng.choice([-1.0, 1.0], size=30)
    loss = lambda w: logistic_loss(y * (X @ w)) / 30 + 0.05 * w @ w
    grad = lambda w: -(X.T @ (y / (1 + np.exp(y * (X @ w))))) / 30 + 0.1 * w
    finals = [loss(gd(grad, rng.normal(scale=5, size=2), 0.5, 2000)) for _ in range(5)]
    assert np.ptp(finals) < 1e-10


def check_network_symmetry_breaks_convexity():
    # Swapping the two hidden units leaves the loss unchanged; the midpoint of the two
    # equivalent minima is a different (here worse) network, so the loss cannot be convex.
    X = np.linspace(-2, 2, 21)
    y = 1.0 * np.tanh(2.0 * X) - 0.5 * np.tanh(0.5 * X)
    theta = np.array([2.0, 0.5, 1.0, -0.5])
    swapped = theta[[1, 0, 3, 2]]
    mid = 0.5 * (theta + swapped)
    assert tiny_network_loss(theta, X, y) == 0.0 == tiny_network_loss(swapped, X, y)
    assert tiny_network_loss(mid, X, y) > 0.01


def check_extreme_inputs_stay_finite():
    assert np.isfinite(lse(np.array([1000.0, 1000.0]))) and abs(lse(np.array([1000.0, 1000.0])) - (1000 + np.log(2))) < 1e-9
    assert logistic_loss(np.array([-800.0])) == 800.0 and logistic_loss(np.array([800.0])) == 0.0


def plot_chords():
    """Figure: chord and tangent on a convex and on a non-convex function (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-3, 3, 400)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    cases = [
        ("convex: logistic loss log(1 + e^-z)", lambda z: np.logaddexp(0, -z), (-2.5, 2.0), 0.5),
        ("not convex: x^4/4 - x^2", lambda z: z**4 / 4 - z**2, (-1.9, 1.6), -0.3),
    ]
    for ax, (title, f, (a, b), x0) in zip(axes, cases):
        ax.plot(x, f(x), color="black", label="f")
        ax.plot([a, b], [f(a), f(b)], "o--", color="crimson", label="chord between two points")
        h = 1e-5
        slope = (f(x0 + h) - f(x0 - h)) / (2 * h)
        ax.plot(x, f(x0) + slope * (x - x0), ":", color="navy", label=f"tangent at {x0}")
        ax.plot([x0], [f(x0)], "o", color="navy")
        ax.set_ylim(-3, 6)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=8, loc="upper center")
    fig.set_label(
        "Left: the logistic loss, a convex curve; the dashed chord between two of its points lies above "
        "it and the dotted tangent lies below it everywhere. Right: a double-well curve; the chord "
        "between points in the two wells passes below the hump between them, and the tangent crosses "
        "the curve, so the function is not convex"
    )
    return fig


if __name__ == "__main__":
    print("largest violation of Jensen's inequality found on random pairs in [-3, 3]^d:")
    cases = [
        ("logistic loss log(1+e^-z)", logistic_loss, 3),
        ("hinge max(0, 1-z)", hinge_loss, 3),
        ("log-sum-exp", lse, 3),
        ("sin(x)", lambda v: float(np.sin(v[0])), 1),
        ("(sigmoid(2w) - 1)^2", sigmoid_squared_error, 1),
        ("x^4/4 - x^2/2", lambda v: float(v[0] ** 4 / 4 - v[0] ** 2 / 2), 1),
    ]
    for name, f, d in cases:
        gap, (a, b, t) = max_jensen_gap(f, _box(d))
        verdict = "no violation found" if gap <= 1e-12 else f"NOT convex, e.g. x={np.round(a, 2)}, y={np.round(b, 2)}, t={t:.2f}"
        print(f"  {name:28s} gap = {max(gap, 0.0):.4f}  {verdict}")
    X = np.linspace(-2, 2, 21)
    y = 1.0 * np.tanh(2.0 * X) - 0.5 * np.tanh(0.5 * X)
    theta = np.array([2.0, 0.5, 1.0, -0.5])
    print(
        "two-unit tanh network: loss at theta =",
        tiny_network_loss(theta, X, y),
        ", at swapped units =",
        tiny_network_loss(theta[[1, 0, 3, 2]], X, y),
        f", at their midpoint = {tiny_network_loss(0.5 * (theta + theta[[1, 0, 3, 2]]), X, y):.4f}",
    )
    plot_chords()
