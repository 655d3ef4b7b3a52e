"""Inverted dropout (Srivastava et al., 2014) in NumPy.

Follows ``torch.nn.functional.dropout``: ``p`` is the probability of *dropping*
an element (the paper's p is the probability of *keeping* one), and survivors
are scaled by ``1 / (1 - p)`` during training so that inference needs no change
at all. Randomness comes only from the ``rng`` passed in.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array


def dropout_forward(x, p, rng, training=True):
    """Zero each element with probability ``p`` and scale the survivors by ``1 / (1 - p)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Activations (any shape works; every element is dropped independently).
    p : float
        Probability of dropping an element, in [0, 1]. ``p = 1`` drops everything
        and returns zeros.
    rng : numpy.random.Generator
        Source of the random mask, e.g. ``np.random.default_rng(0)``.
    training : bool
        If False (inference), ``x`` is returned unchanged and no random numbers are drawn.

    Returns
    -------
    out : ndarray of shape (N, D)
        ``x * mask`` in training. In inference, ``x`` itself: the same object, not a copy,
        when ``x`` is already a float64 array.
    mask : ndarray of shape (N, D), or None
        The scaled mask: ``0`` for dropped elements, ``1 / (1 - p)`` for kept ones
        (all zeros when ``p = 1``). ``None`` in inference, where there is no mask.

    Raises
    ------
    ValueError
        If ``p`` is not in [0, 1] (including NaN).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    x = np.asarray(x, dtype=np.float64)
    if not training:
        return x, None
    keep = rng.random(x.shape) >= p  # P(keep) = 1 - p; p = 0 keeps all, p = 1 keeps none
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    mask = keep * scale
    return x * mask, mask


def dropout_backward(dout, mask):
    """Backward pass of :func:`dropout_forward`: the gradient flows only through kept elements.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
        Upstream gradient.
    mask : ndarray of shape (N, D), or None
        The mask returned by :func:`dropout_forward`; ``None`` (inference) means identity.

    Returns
    -------
    dx : ndarray of shape (N, D)
    """
    dout = np.asarray(dout, dtype=np.float64)
    return dout if mask is None else dout * mask


def equivalence_cases():
    """Inputs the library equivalent is checked on (see the term's PyTorch tab).

    Arrays large enough that every draw both keeps and drops elements (for p = 0.9, all 2000 kept
    or all dropped has probability below 1e-90), several drop probabilities including one whose
    scale 1 / (1 - p) is not a round number, the edge cases p = 0 and p = 1, and inference.

    Returns
    -------
    list of dict with x (N, D) without zeros, the drop probability p and the flag training
    """
    rng = np.random.default_rng(37)
    settings = [(0.5, True), (0.1, True), (0.9, True), (1 / 3, True), (0.0, True), (1.0, True), (0.5, False)]
    shapes = [(50, 40), (2000,), (10, 20, 10)]
    return [{"x": rng.normal(size=shapes[i % len(shapes)]), "p": p, "training": training} for i, (p, training) in enumerate(settings)]


def mask_values_and_residual(x, p, training):
    """What does not depend on which elements one draw happens to drop.

    Draws a mask, then returns the distinct values it takes (``{0, 1 / (1 - p)}`` in training, ``{1}``
    in inference, ``{1}`` for p = 0, ``{0}`` for p = 1) and ``out - x * m`` with ``m`` the gradient
    that reaches ``x`` for an upstream gradient of ones (zero when the forward and backward passes use
    the same scaled mask).

    Parameters
    ----------
    x : ndarray of shape (N, D)
        Without zeros, so a dropped element is recognisable in the output.
    p : float
    training : bool

    Returns
    -------
    mask_values : ndarray of shape (K,)
        Sorted distinct values of the scaled mask, K = 1 or 2.
    residual : ndarray of shape (N, D)
    """
    out, mask = dropout_forward(x, p, np.random.default_rng(0), training)
    m = dropout_backward(np.ones_like(out), mask)
    return np.unique(m), out - x * m


# ----------------------------------------------------------------------------- checks


def check_expectation_is_preserved():
    """Averaged over T draws, the output is within 5 standard errors of x.

    Each output element is x / (1 - p) with probability 1 - p and 0 otherwise: mean x,
    variance x^2 p / (1 - p), so the standard error of a T-sample mean is
    |x| sqrt(p / ((1 - p) T)).
    """
    rng = np.random.default_rng(0)
    x = np.array([-2.0, 0.5, 1.0, 3.0])
    t, p = 20_000, 0.3
    out, _ = dropout_forward(np.tile(x, (t, 1)), p, rng)
    standard_error = np.abs(x) * np.sqrt(p / ((1 - p) * t))
    assert np.all(np.abs(out.mean(axis=0) - x) < 5 * standard_error), out.mean(axis=0)


def check_drop_fraction_is_p():
    """The fraction of dropped elements is within 5 binomial standard errors of p."""
    rng = np.random.default_rng(1)
    n = 100_000
    for p in (0.1, 0.5, 0.9):
        _, mask = dropout_forward(np.ones(n), p, rng)
        dropped = np.mean(mask == 0)
        assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n), (p, dropped)
        assert_close(mask[mask != 0], np.full(np.count_nonzero(mask), 1 / (1 - p)), rtol=1e-15)


def check_edge_cases_and_inference():
    """p = 0 is the identity, p = 1 gives zeros without warnings, inference is the identity."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(3, 4))
    out, mask = dropout_forward(x, 0.0, rng)
    assert np.array_equal(out, x) and np.array_equal(mask, np.ones_like(x))
    with np.errstate(all="raise"):
        out, mask = dropout_forward(x, 1.0, rng)
    assert np.array_equal(out, np.zeros_like(x)) and not np.any(np.isnan(out))
    assert np.array_equal(dropout_backward(np.ones_like(x), mask), np.zeros_like(x))
    state = rng.bit_generator.state
    out, mask = dropout_forward(x, 0.5, rng, training=False)
    assert out is x and mask is None
    assert rng.bit_generator.state == state, "inference must not consume random numbers"
    dout = rng.normal(size=x.shape)
    assert np.array_equal(dropout_backward(dout, None), dout)


def check_invalid_p_raises():
    """p outside [0, 1], or NaN, is a ValueError (as in PyTorch), in training and inference."""
    rng = np.random.default_rng(3)
    for p in (-0.1, 1.5, float("nan")):
        for training in (True, False):
            try:
                dropout_forward(np.ones(3), p, rng, training=training)
            except ValueError:
                continue
            raise AssertionError(f"p={p} was accepted")


def check_backward_matches_numerical_gradient():
    """dx agrees with a centred difference for a fixed mask (float64, rel. error < 1e-8)."""
    x = np.random.default_rng(4).normal(size=(5, 6))
    dout = np.random.default_rng(5).normal(size=(5, 6))
    _, mask = dropout_forward(x, 0.4, np.random.default_rng(6))

    def forward_same_mask(z):
        return dropout_forward(z, 0.4, np.random.default_rng(6))[0]

    numeric = numerical_gradient_array(forward_same_mask, x, dout)
    assert_gradient_close(dropout_backward(dout, mask), numeric, tol=1e-8, what="dx")


def plot_mask(p=0.5, shape=(8, 24), seed=0):
    """Figure for the page: one dropout mask over a batch of activations (needs matplotlib)."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    x = np.ones(shape)
    out, _ = dropout_forward(x, p, rng)
    fig, ax = plt.subplots(figsize=(9, 3.2))
    image = ax.imshow(out, cmap="Greys", vmin=0.0, vmax=out.max(), interpolation="nearest")
    ax.set_xlabel("unit")
    ax.set_ylabel("example in the batch")
    ax.set_title(f"inverted dropout, p = {p}: survivors scaled to 1/(1-p) = {1 / (1 - p):g}")
    fig.colorbar(image, ax=ax, fraction=0.03)
    fig.set_label(
        f"A dropout mask for a batch of {shape[0]} examples and {shape[1]} units with p = {p}: "
        "white units are dropped, black ones kept and scaled by 2"
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    x = np.arange(1.0, 9.0)
    print("x                    ", x)
    for _ in range(3):
        out, mask = dropout_forward(x, 0.5, rng)
        print("training, p=0.5      ", out)
    out, _ = dropout_forward(np.tile(x, (20_000, 1)), 0.5, rng)
    print("mean of 20000 draws  ", out.mean(axis=0))
    print(f"fraction dropped      {np.mean(out == 0):.4f}")
    print("inference            ", dropout_forward(x, 0.5, rng, training=False)[0])
    print("p=1 (drop all)       ", dropout_forward(x, 1.0, rng)[0])

    plot_mask()
