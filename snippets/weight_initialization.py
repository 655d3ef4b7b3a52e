"""Weight initialisation: Xavier/Glorot and He/Kaiming schemes, as in ``torch.nn.init``.

Weights here have shape (fan_in, fan_out), so a layer computes ``x @ W``.
(PyTorch's ``nn.Linear`` stores the transpose, (out_features, in_features), and
``torch.nn.init`` reads fan_in from its *second* dimension; the numbers are the same.)

=====================  =========================================  ===============================
function               distribution                               variance
=====================  =========================================  ===============================
``xavier_uniform``     U(-a, a), a = gain * sqrt(6/(fan_in+fan_out))  gain^2 * 2 / (fan_in + fan_out)
``xavier_normal``      N(0, std^2)                                gain^2 * 2 / (fan_in + fan_out)
``kaiming_uniform``    U(-b, b), b = gain * sqrt(3 / fan)         gain^2 / fan
``kaiming_normal``     N(0, std^2)                                gain^2 / fan
=====================  =========================================  ===============================

``fan`` is ``fan_in`` (``mode="fan_in"``, preserves the forward signal) or
``fan_out`` (preserves the backward gradient). ``gain`` is :func:`calculate_gain`.
As in PyTorch, the Kaiming functions default to ``nonlinearity="leaky_relu"``
with ``a=0``, whose gain is sqrt(2), the ReLU value.
"""

import math

import numpy as np

from snippets.activation_function import relu, tanh
from snippets.neural_network import mlp_backward, mlp_forward


def calculate_gain(nonlinearity, param=None):
    """Recommended gain for a nonlinearity, the values of ``torch.nn.init.calculate_gain``.

    Parameters
    ----------
    nonlinearity : str
        ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"leaky_relu"`` or ``"selu"``.
    param : float, optional
        Negative slope for ``"leaky_relu"`` (default 0.01).

    Returns
    -------
    gain : float
        1, 1, 5/3, sqrt(2), sqrt(2 / (1 + slope^2)), 3/4 respectively.
    """
    if nonlinearity in ("linear", "sigmoid"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def xavier_uniform(shape, rng, gain=1.0):
    """Glorot & Bengio (2010) uniform initialisation (``torch.nn.init.xavier_uniform_``).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)``.
    rng : numpy.random.Generator
    gain : float

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
        Variance ``gain**2 * 2 / (fan_in + fan_out)``.
    """
    fan_in, fan_out = shape
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=shape)


def xavier_normal(shape, rng, gain=1.0):
    """Glorot & Bengio (2010) normal initialisation (``torch.nn.init.xavier_normal_``).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)``.
    rng : numpy.random.Generator
    gain : float

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
        Variance ``gain**2 * 2 / (fan_in + fan_out)``.
    """
    fan_in, fan_out = shape
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def _kaiming_std(shape, a, mode, nonlinearity):
    fan_in, fan_out = shape
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_normal(shape, rng, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015) normal initialisation (``torch.nn.init.kaiming_normal_``).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)``.
    rng : numpy.random.Generator
    a : float
        Negative slope of the leaky ReLU that follows (0 for ReLU).
    mode : str
        ``"fan_in"`` or ``"fan_out"``.
    nonlinearity : str

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
        Variance ``gain**2 / fan``; 2 / fan_in for ReLU.
    """
    return rng.normal(0.0, _kaiming_std(shape, a, mode, nonlinearity), size=shape)


def kaiming_uniform(shape, rng, a=0.0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015) uniform initialisation (``torch.nn.init.kaiming_uniform_``).

    Parameters
    ----------
    shape : tuple of int
        ``(fan_in, fan_out)``.
    rng : numpy.random.Generator
    a, mode, nonlinearity
        As in :func:`kaiming_normal`.

    Returns
    -------
    W : ndarray of shape (fan_in, fan_out)
        Uniform on ``[-b, b]``, ``b = sqrt(3) * gain / sqrt(fan)``, variance ``gain**2 / fan``.
    """
    b = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return rng.uniform(-b, b, size=shape)


def preactivation_mean_squares(x, weights, activation):
    """Mean square of the pre-activations ``z_l = h_{l-1} @ W_l`` of a deep stack (no biases).

    Parameters
    ----------
    x : ndarray of shape (N, D)
    weights : list of ndarray of shape (D, D)
    activation : callable
        Applied elementwise between layers, ``h_l = activation(z_l)``.

    Returns
    -------
    ms : ndarray of shape (L,)
        ``mean(z_l ** 2)`` for each layer.
    """
    h, ms = x, []
    for W in weights:
        z = h @ W
        ms.append(np.mean(z**2))
        h = activation(z)
    return np.array(ms)


def gain_cases():
    """Inputs of the library equivalent of :func:`calculate_gain`: every supported nonlinearity.

    Returns
    -------
    list of dict with nonlinearity (str) and param (float or None)
    """
    names = ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    return [{"nonlinearity": n, "param": None} for n in names] + [
        {"nonlinearity": "leaky_relu", "param": 0.2},
        {"nonlinearity": "leaky_relu", "param": 0.0},  # what the Kaiming functions use with a=0
    ]


def equivalence_cases():
    """Inputs of the library equivalent of the four initialisers (see the term's PyTorch tab).

    Square and rectangular weights (where fan_in and fan_out differ, so mixing them up shows), a
    single input or output, both Kaiming modes and several nonlinearities and gains.

    Returns
    -------
    list of dict with fan_in, fan_out, the Xavier gain, and the Kaiming a, mode and nonlinearity
    """
    specs = [  # fan_in, fan_out, gain, a, mode, nonlinearity
        (64, 64, 1.0, 0.0, "fan_in", "relu"),
        (3, 5, 1.0, 0.0, "fan_in", "leaky_relu"),
        (40, 10, 5.0 / 3.0, 0.0, "fan_out", "relu"),
        (1, 7, 1.0, 0.2, "fan_in", "leaky_relu"),
        (30, 1, 5.0 / 3.0, 0.0, "fan_out", "tanh"),
        (16, 48, 1.0, 0.0, "fan_in", "selu"),
    ]
    keys = ("fan_in", "fan_out", "gain", "a", "mode", "nonlinearity")
    return [dict(zip(keys, spec)) for spec in specs]


def scales(fan_in, fan_out, gain, a, mode, nonlinearity, seed=0):
    """The factor each initialiser applies to its standard draws, element by element.

    A normal initialiser returns ``std * z`` with ``z`` standard normal, a uniform one
    ``bound * (2 u - 1)`` with ``u`` uniform on [0, 1); dividing by the draws recovers ``std`` or
    ``bound`` whatever the random numbers were, so two libraries with different generators can be
    compared exactly.

    Parameters
    ----------
    fan_in, fan_out : int
    gain : float
        Gain of the Xavier initialisers.
    a, mode, nonlinearity
        As in :func:`kaiming_normal`.
    seed : int

    Returns
    -------
    xu_bound, xn_std, ku_bound, kn_std : ndarray of shape (fan_in, fan_out)
        Constant arrays (to rounding).
    """
    shape = (fan_in, fan_out)

    def rng():
        return np.random.default_rng(seed)

    signs = 2.0 * rng().random(shape) - 1.0  # the uniform draws mapped to [-1, 1)
    z = rng().standard_normal(shape)
    return (
        xavier_uniform(shape, rng(), gain) / signs,
        xavier_normal(shape, rng(), gain) / z,
        kaiming_uniform(shape, rng(), a, mode, nonlinearity) / signs,
        kaiming_normal(shape, rng(), a, mode, nonlinearity) / z,
    )


def check_empirical_variance_matches_formula():
    # 400 x 300 = 120000 draws: the sample variance has a relative standard error of
    # sqrt(2/n) = 0.41% (normal) or sqrt(0.8/n) = 0.26% (uniform); we allow 5 standard errors.
    rng = np.random.default_rng(0)
    shape = (400, 300)
    n = 400 * 300
    cases = [
        (xavier_uniform(shape, rng), 2 / 700, 0.8),
        (xavier_normal(shape, rng, gain=5 / 3), (5 / 3) ** 2 * 2 / 700, 2.0),
        (kaiming_normal(shape, rng), 2 / 400, 2.0),
        (kaiming_normal(shape, rng, mode="fan_out", nonlinearity="relu"), 2 / 300, 2.0),
        (kaiming_uniform(shape, rng, a=math.sqrt(5)), 1 / 3 / 400, 0.8),
    ]
    for W, var, excess in cases:
        assert abs(W.var() / var - 1) < 5 * math.sqrt(excess / n), (W.var(), var)
        assert abs(W.mean()) < 5 * math.sqrt(var / n)
    a = math.sqrt(6 / 700)
    W = xavier_uniform(shape, rng)
    assert np.all(np.abs(W) <= a) and np.max(np.abs(W)) > 0.999 * a


def check_gains_match_pytorch():
    assert calculate_gain("tanh") == 5 / 3 and calculate_gain("relu") == math.sqrt(2)
    assert math.isclose(calculate_gain("leaky_relu"), math.sqrt(2 / 1.0001))
    # PyTorch's default nn.Linear init is kaiming_uniform_(a=sqrt(5)): U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    assert math.isclose(math.sqrt(3) * calculate_gain("leaky_relu", math.sqrt(5)), 1.0)


def check_activation_scale_is_preserved_through_depth():
    # 30 layers of width 256, input of unit variance. With He init for ReLU,
    # E[z_l^2] = E[z_{l-1}^2] exactly in expectation; a single finite-width network
    # drifts like a random walk in log scale, so we test the geometric-mean factor per
    # layer from layer 2 to 30: about 1, against 0.25 and 4 for half and double the std.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, 256))
    shape, depth = (256, 256), 30
    he = [kaiming_normal(shape, rng, nonlinearity="relu") for _ in range(depth)]
    for factor, expected in ((1.0, 1.0), (0.5, 0.25), (2.0, 4.0)):
        ms = preactivation_mean_squares(x, [factor * W for W in he], relu)
        per_layer = (ms[-1] / ms[1]) ** (1 / (depth - 2))
        assert abs(per_layer / expected - 1) < 0.1, (factor, per_layer)
    # tanh with Xavier and gain 5/3 settles at a stable mean square near 1; with gain 1
    # the signal decays (slowly, roughly like 1/depth, not geometrically).
    xav = [xavier_normal(shape, rng, gain=calculate_gain("tanh")) for _ in range(depth)]
    ms = preactivation_mean_squares(x, xav, tanh)
    assert np.all((ms[1:] > 0.5) & (ms[1:] < 2.0)), ms
    ms = preactivation_mean_squares(x, [W * 0.6 for W in xav], tanh)
    assert ms[-1] < 0.05, ms[-1]


def check_constant_init_never_breaks_symmetry():
    # If every weight starts equal, all hidden units compute the same thing and get the
    # same gradient, so gradient descent can never make them differ.
    rng = np.random.default_rng(2)
    params = [(np.full((3, 5), 0.1), np.zeros(5)), (np.full((5, 1), 0.1), np.zeros(1))]
    x = rng.normal(size=(8, 3))
    out, caches = mlp_forward(params, x)
    (dW1, db1), _ = mlp_backward(out - 1.0, caches)
    assert np.allclose(dW1, dW1[:, :1]) and np.allclose(db1, db1[0])


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    shape = (256, 256)
    print("empirical vs formula variance, W of shape (256, 256):")
    for name, W, var in [
        ("xavier_uniform", xavier_uniform(shape, rng), 2 / 512),
        ("xavier_normal", xavier_normal(shape, rng), 2 / 512),
        ("kaiming_normal (relu)", kaiming_normal(shape, rng), 2 / 256),
    ]:
        print(f"  {name:22s} {W.var():.6f}  vs  {var:.6f}")
    x = rng.normal(size=(256, 256))
    print("mean square of pre-activations, 30 layers of width 256:")
    print(f"  {'':28s}{'layer 2':>11s}{'layer 10':>11s}{'layer 20':>11s}{'layer 30':>11s}  per layer")
    he = [kaiming_normal(shape, rng) for _ in range(30)]
    runs = [
        ("ReLU, He: std sqrt(2/n)", relu, he),
        ("ReLU, std sqrt(1/n)", relu, [W / math.sqrt(2) for W in he]),
        ("ReLU, std 2*sqrt(2/n)", relu, [2 * W for W in he]),
        ("tanh, Xavier gain 5/3", tanh, [xavier_normal(shape, rng, gain=5 / 3) for _ in range(30)]),
        ("tanh, Xavier gain 1", tanh, [xavier_normal(shape, rng) for _ in range(30)]),
    ]
    for name, act, weights in runs:
        ms = preactivation_mean_squares(x, weights, act)
        factor = (ms[-1] / ms[1]) ** (1 / 28)
        print(f"  {name:28s}" + "".join(f"{v:11.3e}" for v in ms[[1, 9, 19, 29]]) + f"  x{factor:.3f}")
