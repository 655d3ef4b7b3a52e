"""What hidden layers buy: XOR, and the exponential number of pieces of a deep ReLU net.

Two facts, both checked below:

1. No linear (affine) classifier solves XOR. For any affine ``f``,
   ``f(0,0) + f(1,1) = f(1,0) + f(0,1)``, so ``f`` cannot be negative on both
   class-0 corners and positive on both class-1 corners. One hidden layer of ReLU
   units is enough to solve it.
2. Depth buys efficiency. A ReLU network on 1-D input is piecewise linear. With one
   hidden layer of ``m`` units it has at most ``m + 1`` linear pieces (each unit
   adds one kink), but composing a two-unit "tent" layer ``k`` times gives
   ``2**k`` pieces from only ``2k`` units (Telgarsky, 2016).

The multilayer perceptron is the one from ``snippets.neural_network``.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.neural_network import init_mlp, mlp_backward, mlp_forward

XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_Y = np.array([0.0, 1.0, 1.0, 0.0])
# relu(x1 + x2) - 2 relu(x1 + x2 - 1): exactly XOR on the four corners
XOR_NET = [
    (np.array([[1.0, 1.0], [1.0, 1.0]]), np.array([0.0, -1.0])),
    (np.array([[1.0], [-2.0]]), np.array([0.0])),
]


def make_noisy_xor(n, noise, rng):
    """Points scattered around the four corners (+-1, +-1), labelled by XOR.

    Parameters
    ----------
    n : int
        Number of points (assigned to the four corners in turn).
    noise : float
        Standard deviation of the Gaussian noise added to each corner.
    rng : numpy.random.Generator

    Returns
    -------
    x : ndarray of shape (N, 2)
    y : ndarray of shape (N,)
        1.0 where the two corner coordinates have different signs, else 0.0.
    """
    corners = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    labels = np.array([0.0, 1.0, 1.0, 0.0])
    idx = np.arange(n) % 4
    return corners[idx] + noise * rng.normal(size=(n, 2)), labels[idx]


def bce_with_logits(logits, y):
    """Binary cross-entropy on logits, averaged over the batch, and its gradient.

    Same definition and ``reduction="mean"`` as ``torch.nn.BCEWithLogitsLoss``;
    computed as ``logaddexp(0, z) - y z``, which neither overflows nor takes
    ``log(0)`` for large ``|z|``.

    Parameters
    ----------
    logits : ndarray of shape (N, 1)
    y : ndarray of shape (N,)
        Targets in [0, 1].

    Returns
    -------
    loss : float
    dlogits : ndarray of shape (N, 1)
        ``(sigmoid(z) - y) / N``.
    """
    z = logits[:, 0]
    loss = np.mean(np.logaddexp(0.0, z) - y * z)
    sigmoid = 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic function
    return float(loss), ((sigmoid - y) / z.size)[:, None]


def train_classifier(layer_sizes, x, y, rng, lr=0.5, steps=300):
    """Full-batch gradient descent on :func:`bce_with_logits`.

    Parameters
    ----------
    layer_sizes : sequence of int
        Passed to ``init_mlp``; ``[2, 1]`` is a linear (logistic-regression) model.
    x : ndarray of shape (N, D)
    y : ndarray of shape (N,)
    rng : numpy.random.Generator
        For the initial weights.
    lr : float
    steps : int

    Returns
    -------
    params : list of (W, b)
    losses : ndarray of shape (steps + 1,)
        Loss before every step and after the last one.
    """
    params = init_mlp(layer_sizes, rng)
    losses = []
    for _ in range(steps):
        out, caches = mlp_forward(params, x)
        loss, dout = bce_with_logits(out, y)
        losses.append(loss)
        grads = mlp_backward(dout, caches)
        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]
    losses.append(bce_with_logits(mlp_forward(params, x)[0], y)[0])
    return params, np.array(losses)


def accuracy(params, x, y):
    """Fraction of points whose predicted class (logit > 0) equals the label.

    Parameters
    ----------
    params : list of (W, b)
    x : ndarray of shape (N, D)
    y : ndarray of shape (N,)

    Returns
    -------
    float
    """
    return float(np.mean((mlp_forward(params, x)[0][:, 0] > 0) == (y > 0.5)))


def sawtooth_params(depth):
    """Hand-set weights whose network computes the tent map composed ``depth`` times.

    The tent map ``t(x) = 2 relu(x) - 4 relu(x - 1/2)`` sends [0, 1] onto [0, 1]
    and has 2 linear pieces; ``t`` composed ``k`` times has ``2**k`` pieces. Each
    hidden layer has the 2 units ``relu(.)`` and ``relu(. - 1/2)``.

    Parameters
    ----------
    depth : int
        Number of hidden layers k >= 1.

    Returns
    -------
    params : list of (W, b)
        Layer sizes ``[1, 2, ..., 2, 1]`` with ``depth`` hidden layers of 2 units.
    """
    first = (np.array([[1.0, 1.0]]), np.array([0.0, -0.5]))
    middle = (np.array([[2.0, 2.0], [-4.0, -4.0]]), np.array([0.0, -0.5]))
    last = (np.array([[2.0], [-4.0]]), np.array([0.0]))
    return [first] + [middle] * (depth - 1) + [last]


def count_linear_pieces(x, y):
    """Number of linear pieces of a piecewise-linear function sampled on a grid.

    Exact when every kink of the function lies on a grid point (otherwise a kink
    between two grid points is counted twice).

    Parameters
    ----------
    x : ndarray of shape (N,)
        Increasing grid.
    y : ndarray of shape (N,)
        Function values on the grid.

    Returns
    -------
    int
    """
    slopes = np.diff(y) / np.diff(x)
    changed = np.abs(np.diff(slopes)) > 1e-9 * (1.0 + np.max(np.abs(slopes)))
    return 1 + int(np.sum(changed))


# ----------------------------------------------------------------------------- checks

GRID = np.linspace(0.0, 1.0, 2**12 + 1)  # contains every dyadic kink j / 2**k, k <= 12


def check_no_affine_function_separates_xor():
    # f(0,0) + f(1,1) = f(0,1) + f(1,0) for every affine f, so class 0 (left side)
    # and class 1 (right side) cannot both get the right sign.
    rng = np.random.default_rng(0)
    for _ in range(100):
        w, b = rng.normal(size=2), rng.normal()
        f = XOR_X @ w + b
        assert abs((f[0] + f[3]) - (f[1] + f[2])) < 1e-12
        assert np.sum((f > 0) == (XOR_Y > 0.5)) <= 3


def check_least_squares_on_xor_predicts_one_half():
    # The best affine least-squares fit to XOR is the constant 1/2: no information.
    A = np.hstack([XOR_X, np.ones((4, 1))])
    coef, *_ = np.linalg.lstsq(A, XOR_Y, rcond=None)
    assert_close(A @ coef, np.full(4, 0.5), atol=1e-12, what="least-squares fit")


def check_one_hidden_layer_solves_xor_exactly():
    # relu(x1 + x2) - 2 relu(x1 + x2 - 1) is exactly XOR on the four corners.
    assert_close(mlp_forward(XOR_NET, XOR_X)[0][:, 0], XOR_Y, atol=0.0, what="XOR net")


def check_trained_mlp_beats_linear_model_on_noisy_xor():
    # Same data, loss, optimiser and steps: the linear model cannot get below the
    # loss of a coin flip, log 2 = 0.693, by much; the MLP classifies every point.
    rng = np.random.default_rng(1)
    x, y = make_noisy_xor(200, 0.25, rng)
    lin, lin_losses = train_classifier([2, 1], x, y, rng)
    mlp, mlp_losses = train_classifier([2, 16, 16, 1], x, y, rng)
    assert lin_losses[-1] > 0.65 and accuracy(lin, x, y) < 0.8
    assert mlp_losses[-1] < 0.05 and accuracy(mlp, x, y) == 1.0


def check_stacked_linear_layers_collapse_to_one():
    # Without a nonlinearity, depth buys nothing: three affine layers equal one.
    rng = np.random.default_rng(2)
    params = init_mlp([3, 5, 4, 2], rng)
    params = [(W, rng.normal(size=b.shape)) for W, b in params]
    x = rng.normal(size=(6, 3))
    h = x
    for W, b in params:
        h = h @ W + b
    (W1, b1), (W2, b2), (W3, b3) = params
    assert_close(h, x @ (W1 @ W2 @ W3) + ((b1 @ W2 + b2) @ W3 + b3), rtol=1e-12, atol=1e-12)


def check_piece_counter_on_shallow_network():
    # One hidden layer with m units, kinks at m distinct grid points: m + 1 pieces.
    rng = np.random.default_rng(3)
    m = 7
    kinks = rng.choice(np.arange(1, 4096), size=m, replace=False) / 4096.0
    w = rng.choice([-1.0, 1.0], size=m) * rng.uniform(0.5, 2.0, size=m)
    params = [(w[None, :], -w * kinks), (rng.uniform(0.5, 2.0, size=(m, 1)), np.zeros(1))]
    y = mlp_forward(params, GRID[:, None])[0][:, 0]
    assert count_linear_pieces(GRID, y) == m + 1


def check_depth_k_sawtooth_has_2_to_the_k_pieces():
    # 2k ReLU units arranged in k layers give 2**k pieces; one hidden layer of 2k
    # units gives at most 2k + 1, fewer than 2**k for every k >= 3.
    for k in range(1, 8):
        y = mlp_forward(sawtooth_params(k), GRID[:, None])[0][:, 0]
        assert count_linear_pieces(GRID, y) == 2**k
        assert y.min() == 0.0 and y.max() == 1.0


def check_bce_gradient():
    rng = np.random.default_rng(4)
    z, y = rng.normal(size=(6, 1)), rng.uniform(size=6)
    _, dz = bce_with_logits(z, y)
    assert_gradient_close(dz, numerical_gradient(lambda v: bce_with_logits(v, y)[0], z), tol=1e-7)
    loss, dz = bce_with_logits(np.array([[800.0], [-800.0]]), np.array([1.0, 0.0]))
    assert np.isfinite(loss) and loss < 1e-12 and np.all(np.isfinite(dz))


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    A = np.hstack([XOR_X, np.ones((4, 1))])
    coef, *_ = np.linalg.lstsq(A, XOR_Y, rcond=None)
    print("XOR targets                    :", XOR_Y)
    print("best affine least-squares fit  :", A @ coef + 0.0)  # + 0.0 turns -0.0 into 0.0
    print("2 ReLU units, 1 hidden layer   :", mlp_forward(XOR_NET, XOR_X)[0][:, 0])
    rng = np.random.default_rng(0)
    x, y = make_noisy_xor(200, 0.25, rng)
    print("noisy XOR: 200 points around (+-1, +-1), class 1 where the signs differ")
    print("model                 params  loss start  loss end  accuracy")
    for sizes in ([2, 1], [2, 16, 16, 1]):
        params, losses = train_classifier(sizes, x, y, rng)
        n = sum(W.size + b.size for W, b in params)
        name = ("linear " if len(sizes) == 2 else "MLP ") + str(sizes)
        print(f"{name:20s} {n:7d} {losses[0]:11.4f} {losses[-1]:9.4f} {accuracy(params, x, y):9.3f}")
    print(f"(predicting p = 1/2 everywhere gives loss log 2 = {np.log(2):.4f})")
    print("sawtooth from k layers of 2 ReLU units (one hidden layer of 2k units: <= 2k+1 pieces)")
    for k in (1, 2, 4, 6):
        y_k = mlp_forward(sawtooth_params(k), GRID[:, None])[0][:, 0]
        print(f"k = {k}: {2 * k:2d} units -> {count_linear_pieces(GRID, y_k):3d} linear pieces")
