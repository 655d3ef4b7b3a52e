"""The perceptron: Rosenblatt's mistake-driven learning rule for a linear threshold unit.

Labels are in {-1, +1}. The unit predicts ``+1`` if ``w . x + b > 0`` and ``-1`` otherwise (as
``sklearn.linear_model.Perceptron`` does: a score of exactly 0 goes to the negative class). The
learning rule visits samples one at a time and, on a mistake (``y (w . x + b) <= 0``), updates
``w += lr * y * x`` and ``b += lr * y``. This is stochastic (sub)gradient descent on the
perceptron criterion ``max(0, -y (w . x + b))``, the loss sklearn's ``Perceptron`` minimises.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient


def perceptron_predict(X, w, b):
    """Threshold unit: ``+1`` where ``X @ w + b > 0``, else ``-1``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    w : ndarray of shape (D,)
    b : float

    Returns
    -------
    ndarray of shape (N,), values in {-1, +1}
    """
    return np.where(X @ w + b > 0, 1, -1)


def perceptron_train(X, y, max_epochs=100, lr=1.0):
    """Rosenblatt's rule, cycling through the samples in order, from ``w = 0, b = 0``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,), values in {-1, +1}
    max_epochs : int
        Stop after this many passes if some sample is still misclassified.
    lr : float
        Step size. Starting from zero, it only rescales ``(w, b)`` and changes no prediction.

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    mistakes : list of int
        Number of updates made in each epoch; training stops after the first epoch with none
        (``converged``) or after ``max_epochs``.
    history : list of tuple
        ``(w, b)`` at the start of each epoch.
    """
    w, b = np.zeros(X.shape[1]), 0.0
    mistakes, history = [], []
    for _ in range(max_epochs):
        history.append((w.copy(), b))
        count = 0
        for xi, yi in zip(X, y):
            if yi * (xi @ w + b) <= 0:
                w = w + lr * yi * xi
                b = b + lr * yi
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes, history


def perceptron_criterion(w, b, X, y):
    """Perceptron loss ``mean(max(0, -y * (X @ w + b)))``.

    Parameters
    ----------
    w : ndarray of shape (D,)
    b : float
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    float
    """
    return float(np.mean(np.maximum(0.0, -y * (X @ w + b))))


def perceptron_criterion_grad(w, b, X, y):
    """(Sub)gradient of :func:`perceptron_criterion`; samples with ``y * score <= 0`` count.

    Parameters
    ----------
    w : ndarray of shape (D,)
    b : float
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    dw : ndarray of shape (D,)
    db : float
        For a single misclassified sample, ``-(dw, db) = (y x, y)``: Rosenblatt's update.
    """
    active = (y * (X @ w + b) <= 0).astype(float)
    return -(active * y) @ X / len(y), -float(np.sum(active * y)) / len(y)


def novikoff_bound(X, y, u):
    """Novikoff's bound ``(R / gamma)^2`` on the number of perceptron mistakes.

    The bias is handled by appending a constant 1 to every input, so ``R = max ||(x, 1)||`` and
    ``gamma = min_i y_i u . (x_i, 1)`` for the unit vector ``u`` (any separating direction gives
    a valid bound; the max-margin one gives the tightest).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    u : ndarray of shape (D + 1,)
        A separating direction ``(w*, b*)``; it is normalised here.

    Returns
    -------
    bound : float
    R, gamma : float
    """
    Xa = np.hstack([X, np.ones((len(X), 1))])
    u = u / np.linalg.norm(u)
    R = float(np.max(np.linalg.norm(Xa, axis=1)))
    gamma = float(np.min(y * (Xa @ u)))
    if gamma <= 0:
        raise ValueError("u does not separate the data")
    return (R / gamma) ** 2, R, gamma


def make_separable(seed=0, n=60, margin=0.15):
    """Points in [-1, 1]^2 labelled by the line ``x1 - x2 + 0.2 = 0``, those near it removed.

    Returns
    -------
    X : ndarray of shape (M, 2)
    y : ndarray of shape (M,)
    u : ndarray of shape (3,)
        The separating ``(w*, b*)``.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(3 * n, 2))
    u = np.array([1.0, -1.0, 0.2])
    score = X @ u[:2] + u[2]
    keep = np.abs(score) / np.linalg.norm(u) >= margin
    X, score = X[keep][:n], score[keep][:n]
    return X, np.where(score > 0, 1, -1), u


XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([-1, 1, 1, -1])


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's scikit-learn tab).

    Separable data of several sizes (training stops at the first error-free pass: later passes
    would change nothing), a learning rate other than 1, three dimensions, and XOR, which never
    converges and runs exactly ``max_epochs`` passes.

    Returns
    -------
    list of dict with X (N, D), y (N,) in {-1, +1}, max_epochs (int) and lr (float)
    """
    rng = np.random.default_rng(81)
    cases = []
    for seed, n in [(0, 60), (1, 20), (4, 200)]:
        X, y, _ = make_separable(seed, n=n)
        cases.append({"X": X, "y": y, "max_epochs": 1000, "lr": 1.0})
    cases.append({**cases[1], "lr": 0.1})
    X = rng.normal(size=(50, 3))
    cases.append({"X": X, "y": np.where(X @ [1.0, -2.0, 0.5] + 0.3 > 0, 1, -1), "max_epochs": 1000, "lr": 1.0})
    cases.append({"X": XOR_X, "y": XOR_Y, "max_epochs": 7, "lr": 1.0})
    return cases


def train(X, y, max_epochs, lr):
    """Weights and bias of :func:`perceptron_train`, and its predictions on the training data.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    max_epochs : int
    lr : float

    Returns
    -------
    w : ndarray of shape (D,)
    b : float
    pred : ndarray of shape (N,)
    """
    w, b, _, _ = perceptron_train(X, y, max_epochs, lr)
    return w, b, perceptron_predict(X, w, b)


# ---------------------------------------------------------------- checks


def check_converges_on_separable_data_within_novikoff_bound():
    for seed in range(5):
        X, y, u = make_separable(seed)
        w, b, mistakes, _ = perceptron_train(X, y, max_epochs=1000)
        assert mistakes[-1] == 0  # converged: a full pass without an update
        assert np.array_equal(perceptron_predict(X, w, b), y)  # zero training errors
        bound, _, _ = novikoff_bound(X, y, u)
        assert sum(mistakes) <= bound, (seed, sum(mistakes), bound)


def check_learning_rate_does_not_matter_from_zero():
    X, y, _ = make_separable(1)
    w1, b1, m1, _ = perceptron_train(X, y, lr=1.0)
    w2, b2, m2, _ = perceptron_train(X, y, lr=0.01)
    assert m1 == m2
    assert np.allclose(0.01 * w1, w2, rtol=1e-12, atol=0) and abs(0.01 * b1 - b2) < 1e-12


def check_fails_on_xor_and_cycles():
    w, b, mistakes, history = perceptron_train(XOR_X, XOR_Y, max_epochs=50)
    assert len(mistakes) == 50 and min(mistakes) > 0  # never an error-free pass
    assert np.sum(perceptron_predict(XOR_X, w, b) != XOR_Y) >= 1  # no line separates XOR
    # Perceptron cycling: on non-separable data the weights revisit earlier values.
    states = [tuple(wb[0]) + (wb[1],) for wb in history]
    assert len(set(states)) < len(states)


def check_update_is_a_gradient_step_on_the_criterion():
    X, y, _ = make_separable(2)
    w, b = np.array([0.3, 0.8]), -0.1
    i = int(np.flatnonzero(y * (X @ w + b) <= 0)[0])  # a misclassified sample
    dw, db = perceptron_criterion_grad(w, b, X[i : i + 1], y[i : i + 1])
    assert np.array_equal(-dw, y[i] * X[i]) and -db == y[i]


def check_criterion_gradient_matches_numerical():
    # Away from the kink y * score = 0 the criterion is linear in (w, b), so the check is exact.
    X, y, _ = make_separable(3)
    wb = np.array([0.5, 0.9, -0.05])
    assert np.min(np.abs(y * (X @ wb[:2] + wb[2]))) > 1e-3
    num = numerical_gradient(lambda p: perceptron_criterion(p[:2], p[2], X, y), wb.copy())
    dw, db = perceptron_criterion_grad(wb[:2], wb[2], X, y)
    assert_gradient_close(np.append(dw, db), num, tol=1e-7, what="perceptron criterion")


if __name__ == "__main__":
    X, y, u = make_separable(0)
    w, b, mistakes, _ = perceptron_train(X, y, max_epochs=1000)
    bound, R, gamma = novikoff_bound(X, y, u)
    print(f"separable data, {len(y)} points: mistakes per epoch {mistakes}")
    print(f"  total {sum(mistakes)} mistakes <= Novikoff bound (R/gamma)^2 = ({R:.3f}/{gamma:.3f})^2 = {bound:.1f}")
    print(f"  learned w = [{w[0]:.3f}, {w[1]:.3f}], b = {b:.3f}; training errors: {np.sum(perceptron_predict(X, w, b) != y)}")
    w, b, mistakes, _ = perceptron_train(XOR_X, XOR_Y, max_epochs=8)
    print(f"XOR: mistakes per epoch {mistakes} (never 0)")
    w, b = np.zeros(2), 0.0
    for xi, yi in zip(XOR_X, XOR_Y):  # replay one epoch: every sample is a mistake
        if yi * (xi @ w + b) <= 0:
            w, b = w + yi * xi, b + yi
        print(f"  after x = {xi.astype(int).tolist()}, y = {yi:+d}: w = {w.tolist()}, b = {b:g}")
    print("  back to w = 0, b = 0: the weights cycle, as no line separates XOR")
