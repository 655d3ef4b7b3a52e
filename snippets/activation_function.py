"""Activation functions and their derivatives, in NumPy.

Every function here is elementwise except :func:`softmax`, which normalises along
one axis. Each ``*_grad(x)`` returns the derivative of the activation with respect
to its input, elementwise, so the backward pass of an activation layer is
``dx = dout * act_grad(x)``.

All functions are written so that exp never overflows: no warnings and no NaN
for inputs such as +-1000 (see check_extreme_inputs_are_finite).
"""

import math

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

_SQRT_2 = math.sqrt(2.0)
_erfc = np.vectorize(math.erfc, otypes=[np.float64])


def relu(x):
    """Rectified linear unit, ``max(0, x)``, like ``torch.nn.functional.relu``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Input (any shape works; the operation is elementwise).

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(x, 0.0)


def relu_grad(x):
    """Derivative of :func:`relu`: 1 where ``x > 0``, else 0.

    ReLU has no derivative at 0; like PyTorch and TensorFlow we use 0 there
    (any value in [0, 1] is a valid subgradient).

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    grad : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return (x > 0).astype(np.float64)


def leaky_relu(x, slope=0.01):
    """Leaky ReLU: ``x`` for ``x > 0``, ``slope * x`` otherwise.

    ``slope`` is PyTorch's ``negative_slope`` (default 0.01).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    slope : float
        Gradient for negative inputs.

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, slope * x)


def leaky_relu_grad(x, slope=0.01):
    """Derivative of :func:`leaky_relu`: 1 where ``x > 0``, else ``slope`` (PyTorch's choice at 0).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    slope : float

    Returns
    -------
    grad : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, slope)


def sigmoid(x):
    r"""Logistic sigmoid, $\sigma(x) = 1 / (1 + e^{-x})$.

    Evaluated as ``1 / (1 + exp(-|x|))`` for ``x >= 0`` and ``exp(-|x|) / (1 + exp(-|x|))``
    for ``x < 0``, so ``exp`` never sees a large positive argument and cannot overflow.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    out : ndarray of shape (N, D)
        Values in [0, 1].
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def sigmoid_grad(x):
    r"""Derivative of :func:`sigmoid`, $\sigma'(x) = \sigma(x)\,\sigma(-x)$.

    Written as $\sigma(x)\sigma(-x)$ rather than $\sigma(x)(1 - \sigma(x))$ because
    ``1 - sigmoid(x)`` rounds to 0 for ``x`` above about 37, whereas ``sigmoid(-x)``
    keeps full relative precision.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    grad : ndarray of shape (N, D)
        Values in [0, 0.25].
    """
    return sigmoid(x) * sigmoid(-np.asarray(x, dtype=np.float64))


def tanh(x):
    """Hyperbolic tangent (``np.tanh``, which is stable for any input).

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    out : ndarray of shape (N, D)
        Values in [-1, 1].
    """
    return np.tanh(np.asarray(x, dtype=np.float64))


def tanh_grad(x):
    r"""Derivative of :func:`tanh`, $1 - \tanh^2 x = 4 e^{-2|x|} / (1 + e^{-2|x|})^2$.

    The right-hand form avoids the cancellation in ``1 - tanh(x)**2`` for large
    ``|x|`` and never overflows.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    grad : ndarray of shape (N, D)
        Values in [0, 1].
    """
    x = np.asarray(x, dtype=np.float64)
    z = np.exp(-2.0 * np.abs(x))
    return 4.0 * z / (1.0 + z) ** 2


def softmax(x, axis=-1):
    r"""Softmax along ``axis``, $\mathrm{softmax}(x)_i = e^{x_i} / \sum_j e^{x_j}$,
    like ``torch.softmax(x, dim=-1)``.

    The maximum along ``axis`` is subtracted first. Softmax is unchanged by adding
    a constant to every entry, and after the shift every exponent is <= 0, so
    ``exp`` cannot overflow and the denominator is at least 1.

    Parameters
    ----------
    x : ndarray of shape (N, K)
        Scores (logits); each row along ``axis`` is normalised separately.
    axis : int
        Axis to normalise over (default: the last).

    Returns
    -------
    p : ndarray of shape (N, K)
        Non-negative, summing to 1 along ``axis``.
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def gelu(x):
    r"""Gaussian error linear unit, exact form: $x\,\Phi(x) = x \cdot \tfrac12 (1 + \mathrm{erf}(x/\sqrt2))$.

    This is ``torch.nn.functional.gelu(x)`` with its default ``approximate='none'``,
    not the tanh approximation. $\Phi$ is evaluated as $\tfrac12 \mathrm{erfc}(-x/\sqrt2)$,
    which equals $\tfrac12 (1 + \mathrm{erf}(x/\sqrt2))$ but keeps its relative precision
    for very negative ``x``, where ``1 + erf`` would cancel to 0.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    out : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    return x * _normal_cdf(x)


def gelu_grad(x):
    r"""Derivative of :func:`gelu`, $\Phi(x) + x\,\varphi(x)$ with $\varphi$ the standard normal density.

    Parameters
    ----------
    x : ndarray of shape (N, D)

    Returns
    -------
    grad : ndarray of shape (N, D)
    """
    x = np.asarray(x, dtype=np.float64)
    # Clip before squaring: the density is 0 to double precision beyond |x| = 40,
    # and x**2 for huge x would overflow.
    xc = np.clip(x, -40.0, 40.0)
    pdf = np.exp(-0.5 * xc * xc) / math.sqrt(2.0 * math.pi)
    return _normal_cdf(x) + x * pdf


def _normal_cdf(x):
    return 0.5 * _erfc(-x / _SQRT_2)


def equivalence_cases():
    """Inputs the library equivalents are checked on (see the term's PyTorch and SciPy tabs).

    Several shapes, exact zeros (where ReLU and leaky ReLU have a kink and a convention decides
    the derivative), and saturated inputs (+-40, +-1000) where naive formulas overflow or round
    a derivative to 0.

    Returns
    -------
    list of dict with x (any shape) and an upstream gradient dout of the same shape
    """
    rng = np.random.default_rng(3)
    xs = [
        rng.normal(scale=2.0, size=(5, 4)),
        rng.uniform(-6.0, 6.0, size=(7,)),
        rng.normal(size=(2, 3, 4)),
        np.array([[0.0, -0.0, 1e-3, -1e-3]]),  # the kink
        np.array([-1000.0, -40.0, -10.0, -1.0, 0.0, 1.0, 10.0, 40.0, 1000.0]),
    ]
    return [{"x": x, "dout": rng.normal(size=x.shape)} for x in xs]


def activations_and_gradients(x, dout):
    """Each elementwise activation and the gradient it passes back for upstream ``dout``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Pre-activations (any shape).
    dout : ndarray of shape (N, D)
        Upstream gradient with respect to the activation's output.

    Returns
    -------
    tuple of 10 ndarrays of shape (N, D)
        ``relu, drelu, leaky, dleaky, sig, dsig, th, dth, gel, dgel``: each activation (leaky ReLU
        with slope 0.01, GELU in its exact form) followed by ``dout * f'(x)``.
    """
    pairs = [(relu, relu_grad), (leaky_relu, leaky_relu_grad), (sigmoid, sigmoid_grad), (tanh, tanh_grad), (gelu, gelu_grad)]
    return tuple(v for f, f_grad in pairs for v in (f(x), dout * f_grad(x)))


def sigmoid_and_gelu(x, dout=None):
    """The sigmoid and the exact GELU, the two activations SciPy offers special functions for.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    dout : ignored
        Present because every case carries one (gradients are compared in the PyTorch tab).

    Returns
    -------
    sig : ndarray of shape (N, D)
    gel : ndarray of shape (N, D)
    """
    return sigmoid(x), gelu(x)


# ----------------------------------------------------------------------------- checks

_ELEMENTWISE = {
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "gelu": (gelu, gelu_grad),
}


def check_grads_match_numerical_derivatives():
    """Every *_grad agrees with a centred difference (float64, h=1e-5, rel. error < 1e-7)."""
    rng = np.random.default_rng(0)
    # Stay where the derivatives are not tiny (a centred difference has an absolute error
    # of ~1e-11, which is large relative to tanh'(8) ~ 5e-7), and keep the stencil away
    # from the kink of ReLU and leaky ReLU at 0.
    x = rng.uniform(-4.0, 4.0, size=(5, 4))
    x[np.abs(x) < 1e-2] += 0.1
    dout = rng.normal(size=x.shape)
    for name, (f, f_grad) in _ELEMENTWISE.items():
        analytic = dout * f_grad(x)
        numeric = numerical_gradient_array(f, x, dout)
        assert_gradient_close(analytic, numeric, tol=1e-7, what=name)


def check_known_values():
    """Values anyone can verify by hand."""
    assert_close(relu([-2.0, 0.0, 3.0]), [0.0, 0.0, 3.0], what="relu")
    assert_close(relu_grad([-2.0, 0.0, 3.0]), [0.0, 0.0, 1.0], what="relu_grad (0 at 0)")
    assert_close(leaky_relu([-2.0, 3.0]), [-0.02, 3.0], what="leaky_relu")
    assert_close(leaky_relu([-2.0], slope=0.2), [-0.4], what="leaky_relu slope")
    assert_close(sigmoid(0.0), 0.5, what="sigmoid(0)")
    assert_close(sigmoid_grad(0.0), 0.25, what="sigmoid'(0), its maximum")
    assert_close(sigmoid(math.log(3.0)), 0.75, what="sigmoid(ln 3)")
    assert_close(tanh(0.0), 0.0, what="tanh(0)")
    assert_close(tanh_grad(0.0), 1.0, what="tanh'(0), its maximum")
    assert_close(gelu(0.0), 0.0, what="gelu(0)")
    assert_close(gelu_grad(0.0), 0.5, what="gelu'(0) = Phi(0)")
    assert_close(gelu(1.0), 0.8413447460685429, rtol=1e-15, what="gelu(1) = Phi(1)")
    assert_close(softmax([0.0, math.log(3.0)]), [0.25, 0.75], what="softmax")


def check_gelu_is_exact_erf_form():
    """gelu matches x * 0.5 * (1 + math.erf(x / sqrt 2)) and is not the tanh approximation."""
    x = np.linspace(-6.0, 6.0, 61)
    reference = np.array([v * 0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in x])
    assert_close(gelu(x), reference, rtol=1e-14, atol=1e-15, what="gelu vs math.erf")
    tanh_approx = 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))
    assert np.max(np.abs(gelu(x) - tanh_approx)) > 1e-4, "gelu must not be the tanh approximation"
    # Far in the left tail the erfc form keeps relative precision: gelu(-10) = -10 * Phi(-10).
    assert_close(gelu(-10.0), -10.0 * 7.619853024160527e-24, rtol=1e-12, what="gelu(-10)")


def check_identities_between_activations():
    """tanh is a rescaled sigmoid; softmax of two logits is a sigmoid; gelu(x) - gelu(-x) = x."""
    x = np.linspace(-8.0, 8.0, 33)
    assert_close(tanh(x), 2.0 * sigmoid(2.0 * x) - 1.0, rtol=1e-12, atol=1e-15, what="tanh vs sigmoid")
    two_logits = np.stack([x, np.zeros_like(x)], axis=-1)
    assert_close(softmax(two_logits)[:, 0], sigmoid(x), rtol=1e-12, what="softmax([x, 0])[0]")
    assert_close(gelu(x) - gelu(-x), x, rtol=1e-12, atol=1e-14, what="gelu odd part")
    assert_close(sigmoid(x) + sigmoid(-x), np.ones_like(x), rtol=1e-15, what="sigmoid symmetry")


def check_softmax_properties():
    """Rows sum to 1, entries are positive, and adding a constant changes nothing."""
    rng = np.random.default_rng(1)
    x = rng.normal(scale=5.0, size=(4, 6))
    p = softmax(x)
    assert_close(p.sum(axis=-1), np.ones(4), rtol=1e-12, what="row sums")
    assert np.all(p > 0)
    assert_close(softmax(x + 123.0), p, rtol=1e-12, what="shift invariance")
    assert_close(softmax(x.T, axis=0), p.T, rtol=1e-15, what="axis argument")
    assert_close(softmax([1000.0, 1000.0]), [0.5, 0.5], what="large equal logits")


def check_extreme_inputs_are_finite():
    """No overflow, invalid-value or division warnings, and no NaN, for inputs like +-1000."""
    x = np.array([-1e300, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e300])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        outputs = {name: (f(x), g(x)) for name, (f, g) in _ELEMENTWISE.items()}
        p = softmax(np.array([[-1000.0, 0.0, 1000.0], [1000.0, 1000.0, -1000.0]]))
    for name, (out, grad) in outputs.items():
        assert np.all(np.isfinite(out)) and np.all(np.isfinite(grad)), name
    assert_close(sigmoid([-1000.0, 1000.0]), [0.0, 1.0], what="sigmoid saturates")
    assert_close(p, [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0]], what="softmax saturates")
    # The stable forms keep tiny derivatives instead of rounding them to 0.
    assert_close(sigmoid_grad(40.0), math.exp(-40.0) / (1.0 + math.exp(-40.0)) ** 2, rtol=1e-12)
    assert_close(tanh_grad(20.0), 1.0 / math.cosh(20.0) ** 2, rtol=1e-12)


def plot_activations():
    """Figure for the page: each activation and its derivative on [-4, 4] (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-4.0, 4.0, 401)
    fig, (ax_f, ax_g) = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
    for name, (f, f_grad) in _ELEMENTWISE.items():
        ax_f.plot(x, f(x), label=name)
        ax_g.plot(x, f_grad(x), label=name)
    ax_f.set_title("activation f(x)")
    ax_g.set_title("derivative f'(x)")
    for ax in (ax_f, ax_g):
        ax.axhline(0.0, color="0.6", linewidth=0.8)
        ax.set_xlabel("x")
        ax.grid(alpha=0.3)
    ax_f.legend(fontsize=8)
    fig.set_label(
        "Activation functions (left) and their derivatives (right) on [-4, 4]; the sigmoid's "
        "derivative never exceeds 0.25, ReLU's is 0 or 1"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])

    def row(values):
        return " ".join(f"{v:6.3f}" for v in values)

    print(f"{'x =':<11}{row(x)}  | derivative at the same x")
    for name, (f, f_grad) in _ELEMENTWISE.items():
        print(f"{name:<11}{row(f(x))}  | {row(f_grad(x))}")
    print(f"a product of 10 sigmoid derivatives is at most 0.25**10 = {0.25**10:.2e}")
    print("softmax([1, 2, 3])          =", softmax(np.array([1.0, 2.0, 3.0])))
    print("softmax([1001, 1002, 1003]) =", softmax(np.array([1001.0, 1002.0, 1003.0])))
    print("sigmoid([-1000, 1000])      =", sigmoid(np.array([-1000.0, 1000.0])))

    plot_activations()
