r"""Gradient checking: compare a hand-written gradient with centred finite differences.

For each parameter $\theta_i$, $\bigl(L(\theta + h e_i) - L(\theta - h e_i)\bigr) / (2h)$ approximates
$\partial L / \partial \theta_i$ with error $O(h^2)$ plus rounding of order $\epsilon_{\text{mach}} |L| / h$;
in float64 with $h \approx 10^{-5}$ both are tiny, and the CS231n relative error
$|a - n| / \max(|a| + |n|, 10^{-8})$ of a correct gradient is around $10^{-7}$ or less, while a bug
typically gives $10^{-2}$ to $1$.

``gradcheck`` mirrors the idea of ``torch.autograd.gradcheck(func, inputs, eps=1e-6, atol=1e-5,
rtol=1e-3)``, which compares every Jacobian entry with ``allclose`` and expects double-precision
inputs; here the test is the relative error above, with a tolerance argument. The model under test
is a two-layer ReLU network with softmax cross-entropy: ``(N, D) -> Linear -> ReLU -> Linear ->
mean cross-entropy``, weights in ``(in, out)`` layout (``x @ W + b``).
"""

import numpy as np

from snippets.softmax import log_softmax

__all__ = [
    "relative_error",
    "centred_difference_gradient",
    "gradcheck",
    "directional_check",
    "two_layer_loss",
    "two_layer_backward",
    "two_layer_backward_buggy",
]


def relative_error(a, n):
    """Largest elementwise ``|a - n| / max(|a| + |n|, 1e-8)`` (the CS231n assignments' ``rel_error``;
    the CS231n notes divide by ``max(|a|, |n|)`` instead, at most a factor 2 different).

    Parameters
    ----------
    a, n : ndarray of the same shape
        Analytic and numerical gradients.

    Returns
    -------
    err : float
    """
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))


def centred_difference_gradient(f, x, h=1e-5):
    """``(f(x + h e_i) - f(x - h e_i)) / (2 h)`` for every entry of x; x is not modified.

    Parameters
    ----------
    f : callable
        ndarray shaped like x -> float.
    x : ndarray of any shape
    h : float

    Returns
    -------
    grad : ndarray, same shape as x (and dtype float64)
    """
    x = np.array(x)  # private copy, keeps the dtype (float32 checks are part of the lesson)
    g = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = float(f(x))
        x[i] = old - h
        fm = float(f(x))
        x[i] = old
        g[i] = (fp - fm) / (2 * h)
    return g


def gradcheck(f, analytic, params, h=1e-5, tol=1e-6):
    """Check an analytic gradient of ``f`` with respect to each array in ``params``.

    Parameters
    ----------
    f : callable
        ``f(params) -> float``, params a dict of arrays.
    analytic : dict
        Same keys, the gradients to test.
    params : dict
        Name -> ndarray.
    h, tol : float

    Returns
    -------
    ok : bool
        True when every relative error is at most ``tol``.
    errors : dict
        Name -> relative error.
    """
    errors = {}
    for name, value in params.items():

        def f_one(v, name=name):
            return f({**params, name: v})

        errors[name] = relative_error(analytic[name], centred_difference_gradient(f_one, value, h))
    return all(e <= tol for e in errors.values()), errors


def directional_check(f, analytic, params, seed=0, h=1e-5):
    """Cheap check along one random direction: two evaluations of f instead of two per parameter.

    Compares ``(f(p + h v) - f(p - h v)) / (2h)`` with ``sum(grad * v)``.

    Returns
    -------
    err : float
        Relative error between the two directional derivatives.
    """
    rng = np.random.default_rng(seed)
    v = {k: rng.normal(size=p.shape) for k, p in params.items()}
    plus = {k: p + h * v[k] for k, p in params.items()}
    minus = {k: p - h * v[k] for k, p in params.items()}
    numeric = (f(plus) - f(minus)) / (2 * h)
    exact = sum(float(np.sum(analytic[k] * v[k])) for k in params)
    return relative_error(exact, numeric)


def two_layer_loss(params, X, y):
    """Mean softmax cross-entropy of ``relu(X W1 + b1) W2 + b2``.

    Parameters
    ----------
    params : dict
        ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).
    X : ndarray of shape (N, D)
    y : ndarray of shape (N,)
        Integer class labels.

    Returns
    -------
    loss : float
    """
    h = np.maximum(0.0, X @ params["W1"] + params["b1"])
    logp = log_softmax(h @ params["W2"] + params["b2"])
    return float(-np.mean(logp[np.arange(len(y)), y]))


def two_layer_backward(params, X, y):
    """Gradients of :func:`two_layer_loss` by backpropagation.

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    """
    z1 = X @ params["W1"] + params["b1"]
    h = np.maximum(0.0, z1)
    logp = log_softmax(h @ params["W2"] + params["b2"])
    dscores = np.exp(logp)
    dscores[np.arange(len(y)), y] -= 1.0
    dscores /= len(y)
    dh = dscores @ params["W2"].T
    dz1 = dh * (z1 > 0)
    return {"W1": X.T @ dz1, "b1": dz1.sum(axis=0), "W2": h.T @ dscores, "b2": dscores.sum(axis=0)}


def two_layer_backward_buggy(params, X, y):
    """The same, with a classic bug: the ReLU mask is applied to dW1 but forgotten for db1."""
    g = two_layer_backward(params, X, y)
    logp = log_softmax(np.maximum(0.0, X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"])
    dscores = np.exp(logp)
    dscores[np.arange(len(y)), y] -= 1.0
    g["b1"] = (dscores / len(y) @ params["W2"].T).sum(axis=0)  # missing "* (z1 > 0)"
    return g


def _problem(dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, 4)).astype(dtype)
    y = rng.integers(0, 3, size=6)
    params = {
        "W1": rng.normal(size=(4, 5)) * 0.8,
        "b1": rng.normal(size=5) * 0.5,
        "W2": rng.normal(size=(5, 3)) * 0.8,
        "b2": rng.normal(size=3) * 0.1,
    }
    return {k: v.astype(dtype) for k, v in params.items()}, X, y


# ---------------------------------------------------------------- checks


def check_correct_backward_passes():
    # tolerance 1e-7: float64, h = 1e-5, no ReLU input within h of its kink at this seed
    params, X, y = _problem()
    ok, errs = gradcheck(lambda p: two_layer_loss(p, X, y), two_layer_backward(params, X, y), params, tol=1e-7)
    assert ok, errs
    assert directional_check(lambda p: two_layer_loss(p, X, y), two_layer_backward(params, X, y), params) < 1e-8


def check_buggy_backward_is_caught_and_located():
    params, X, y = _problem()
    ok, errs = gradcheck(lambda p: two_layer_loss(p, X, y), two_layer_backward_buggy(params, X, y), params)
    assert not ok and errs["b1"] > 1e-2 and max(errs["W1"], errs["W2"], errs["b2"]) < 1e-7


def check_error_shrinks_like_h_squared_until_rounding():
    # Smooth function: truncation error is ~ f'''(x) h^2 / 6, so 10x smaller h gives ~100x smaller error.
    f = lambda x: float(np.sum(np.sin(x) * np.exp(x)))
    x = np.array([0.3, -0.7])
    exact = (np.cos(x) + np.sin(x)) * np.exp(x)
    e1 = np.max(np.abs(centred_difference_gradient(f, x, 1e-2) - exact))
    e2 = np.max(np.abs(centred_difference_gradient(f, x, 1e-3) - exact))
    assert 80 < e1 / e2 < 120
    e_tiny = np.max(np.abs(centred_difference_gradient(f, x, 1e-12) - exact))
    assert e_tiny > e2  # too small a step: rounding error dominates


def check_float32_makes_a_correct_gradient_look_wrong():
    params, X, y = _problem(np.float32)
    _, errs = gradcheck(lambda p: two_layer_loss(p, X, y), two_layer_backward(params, X, y), params)
    assert max(errs.values()) > 1e-4  # same code, correct gradient, but single precision


def check_relu_kink_gives_a_false_alarm():
    # Put one hidden unit's pre-activation within h of 0 for one example: the finite difference
    # straddles the kink and disagrees with the (correct) one-sided analytic derivative.
    params, X, y = _problem()
    z = X[0] @ params["W1"] + params["b1"]
    params["b1"] = params["b1"].copy()
    params["b1"][0] -= z[0] - 3e-6  # now z[0, 0] = 3e-6 < h
    _, errs = gradcheck(lambda p: two_layer_loss(p, X, y), two_layer_backward(params, X, y), params)
    assert errs["b1"] > 1e-3 or errs["W1"] > 1e-3


def check_zero_gradient_and_extreme_logits():
    # A constant function: both gradients are 0, and the 1e-8 floor makes the relative error 0, not NaN.
    assert relative_error(np.zeros(3), centred_difference_gradient(lambda v: 5.0, np.zeros(3))) == 0.0
    params, X, y = _problem()
    params["W2"] = params["W2"] * 1e3  # logits in the thousands: the stable log-softmax keeps everything finite
    g = two_layer_backward(params, X, y)
    assert all(np.all(np.isfinite(v)) for v in g.values()) and np.isfinite(two_layer_loss(params, X, y))


def errors_against_h(hs):
    """Relative error of the correct gradient (float64 and float32) and of the buggy one, for each h."""
    p64, X64, y = _problem()
    p32, X32, _ = _problem(np.float32)
    out = {"correct, float64": [], "correct, float32": [], "buggy, float64": []}
    for h in hs:
        out["correct, float64"].append(
            max(gradcheck(lambda p: two_layer_loss(p, X64, y), two_layer_backward(p64, X64, y), p64, h)[1].values())
        )
        out["correct, float32"].append(
            max(gradcheck(lambda p: two_layer_loss(p, X32, y), two_layer_backward(p32, X32, y), p32, h)[1].values())
        )
        out["buggy, float64"].append(
            max(gradcheck(lambda p: two_layer_loss(p, X64, y), two_layer_backward_buggy(p64, X64, y), p64, h)[1].values())
        )
    return {k: np.array(v) for k, v in out.items()}


def plot_errors(hs, errs):
    """Figure: relative error of the check against the step h (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for (name, e), style in zip(errs.items(), ("o-", "s-", "^-")):
        ax.loglog(hs, np.maximum(e, 1e-16), style, markersize=4, label=name)
    ax.axhspan(1e-16, 1e-7, color="green", alpha=0.08)
    ax.axhspan(1e-2, 1.5, color="red", alpha=0.08)
    ax.set_ylim(1e-12, 1.5)
    ax.set_xlabel("step h")
    ax.set_ylabel("max relative error")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("gradient check of a 2-layer ReLU network", fontsize=10)
    fig.set_label(
        "Relative error of a gradient check against the step h on log-log axes: for the correct gradient "
        "in float64 it is V-shaped, dipping to about 1e-8, inside the green 'correct' band, near h = 1e-5; "
        "the same correct gradient in float32 never gets below about 2e-3; the buggy gradient stays near 1, "
        "in the red 'bug' band, for every h"
    )
    return fig


if __name__ == "__main__":
    params, X, y = _problem()
    f = lambda p: two_layer_loss(p, X, y)
    print(f"2-layer ReLU network, N=6, D=4, H=5, C=3 (38 parameters); loss = {f(params):.6f}")
    ok, errs = gradcheck(f, two_layer_backward(params, X, y), params)
    print("correct backward, float64, h=1e-5:", {k: f"{v:.1e}" for k, v in errs.items()}, "->", "pass" if ok else "FAIL")
    ok, errs = gradcheck(f, two_layer_backward_buggy(params, X, y), params)
    print("buggy backward (db1 without ReLU mask):", {k: f"{v:.1e}" for k, v in errs.items()}, "->", "pass" if ok else "FAIL")
    print(
        f"directional check (2 evaluations): correct {directional_check(f, two_layer_backward(params, X, y), params):.1e}, "
        f"buggy {directional_check(f, two_layer_backward_buggy(params, X, y), params):.1e}"
    )
    p32, X32, _ = _problem(np.float32)
    _, errs32 = gradcheck(lambda p: two_layer_loss(p, X32, y), two_layer_backward(p32, X32, y), p32)
    print(f"correct backward, float32, h=1e-5: max relative error {max(errs32.values()):.1e}")
    hs = np.logspace(-10, -1, 19)
    plot_errors(hs, errors_against_h(hs))
