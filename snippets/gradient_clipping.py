"""Gradient clipping: cap the size of a gradient before the optimiser step.

* :func:`clip_grad_norm` follows ``torch.nn.utils.clip_grad_norm_``: one *global*
  norm over all parameter gradients together; if it exceeds ``max_norm`` every
  gradient is multiplied by ``max_norm / (total_norm + 1e-6)``, so the direction
  is unchanged. It returns the norm measured *before* clipping, as PyTorch does.
* :func:`clip_grad_value` follows ``torch.nn.utils.clip_grad_value_``: clamp each
  element to ``[-clip_value, clip_value]``, which generally changes the direction.

Unlike PyTorch these functions do not work in place: they return new arrays, and
the norm is computed after dividing by the largest entry, so it cannot overflow.
"""

import numpy as np


def global_norm(grads, norm_type=2.0):
    """Norm of all gradients taken together, as if concatenated into one vector.

    Parameters
    ----------
    grads : list of ndarray
        Any shapes, e.g. ``[dW of shape (D, H), db of shape (H,)]``.
    norm_type : float
        ``p`` of the p-norm; ``np.inf`` for the largest absolute entry.

    Returns
    -------
    norm : float
    """
    largest = float(max(np.max(np.abs(g), initial=0.0) for g in grads))
    if norm_type == np.inf or largest == 0.0:
        return largest
    # Divide by the largest entry first so that |g|**p cannot overflow (e.g. entries of 1e200).
    total = sum(np.sum((np.abs(g) / largest) ** norm_type) for g in grads)
    return float(largest * total ** (1.0 / norm_type))


def clip_grad_norm(grads, max_norm, norm_type=2.0):
    """Rescale all gradients together so that their global norm is at most ``max_norm``.

    Parameters
    ----------
    grads : list of ndarray
    max_norm : float
    norm_type : float

    Returns
    -------
    clipped : list of ndarray
        Same shapes as ``grads``; unchanged if the norm was already small enough.
    total_norm : float
        The global norm before clipping (PyTorch's return value).
    """
    total_norm = global_norm(grads, norm_type)
    coef = min(1.0, max_norm / (total_norm + 1e-6))
    return [g * coef for g in grads], total_norm


def clip_grad_value(grads, clip_value):
    """Clamp every gradient element to ``[-clip_value, clip_value]``.

    Parameters
    ----------
    grads : list of ndarray
    clip_value : float

    Returns
    -------
    clipped : list of ndarray
        Same shapes as ``grads``.
    """
    return [np.clip(g, -clip_value, clip_value) for g in grads]


def norm_clipping_cases():
    """Inputs the ``clip_grad_norm_`` equivalent is checked on (see the term's PyTorch tab).

    A weight gradient and a bias gradient, as for one linear layer: global norms above and below
    ``max_norm``, just above it (where the ``1e-6`` in the denominator shows), p = 1, 3 and inf,
    gradients of 1e100 (whose squares are still finite in float64), and all-zero gradients.

    Returns
    -------
    list of dict
        Each with dW (D, H), db (H,), max_norm (float) and norm_type (float).
    """
    rng = np.random.default_rng(19)
    cases = []
    for (d, h), scale, max_norm, norm_type in [
        ((3, 4), 10.0, 1.0, 2.0),
        ((3, 4), 0.01, 1.0, 2.0),
        ((5, 2), 1.0, 2.0, 1.0),
        ((2, 6), 3.0, 0.5, np.inf),
        ((4, 4), 1.0, 1.0, 3.0),
        ((2, 3), 1e100, 5.0, 2.0),
        ((2, 2), 0.0, 1.0, 2.0),
    ]:
        cases.append(
            {"dW": scale * rng.normal(size=(d, h)), "db": scale * rng.normal(size=h), "max_norm": max_norm, "norm_type": norm_type}
        )
    dW, db = rng.normal(size=(3, 3)), rng.normal(size=3)
    norm = global_norm([dW, db])
    cases.append({"dW": dW / norm * 1.0000005, "db": db / norm * 1.0000005, "max_norm": 1.0, "norm_type": 2.0})
    return cases


def norm_clipped(dW, db, max_norm, norm_type):
    """:func:`clip_grad_norm` on the two gradients of a linear layer.

    Parameters
    ----------
    dW : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    max_norm, norm_type : float

    Returns
    -------
    dW : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    total_norm : float
        The global norm before clipping.
    """
    (dW, db), total_norm = clip_grad_norm([dW, db], max_norm, norm_type)
    return dW, db, total_norm


def value_clipping_cases():
    """Inputs the ``clip_grad_value_`` equivalent is checked on: entries inside, outside and at
    the bound.

    Returns
    -------
    list of dict
        Each with dW (D, H), db (H,) and clip_value (float).
    """
    rng = np.random.default_rng(20)
    cases = [
        {"dW": rng.normal(scale=s, size=(3, 4)), "db": rng.normal(scale=s, size=4), "clip_value": c}
        for s, c in [(1.0, 0.5), (10.0, 1.0), (0.1, 1.0)]
    ]
    cases.append({"dW": np.array([[1.0, -1.0], [2.0, -0.5]]), "db": np.array([-1.0, 1e300]), "clip_value": 1.0})
    return cases


def value_clipped(dW, db, clip_value):
    """:func:`clip_grad_value` on the two gradients of a linear layer.

    Parameters
    ----------
    dW : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    clip_value : float

    Returns
    -------
    dW : ndarray of shape (D, H)
    db : ndarray of shape (H,)
    """
    dW, db = clip_grad_value([dW, db], clip_value)
    return dW, db


def _flat(grads):
    return np.concatenate([g.ravel() for g in grads])


def check_norm_clipping_bounds_norm_and_keeps_direction():
    rng = np.random.default_rng(0)
    for scale in (0.01, 1.0, 100.0, 1e6):
        grads = [scale * rng.normal(size=(3, 4)), scale * rng.normal(size=4)]
        clipped, total = clip_grad_norm(grads, max_norm=1.0)
        g, c = _flat(grads), _flat(clipped)
        np.testing.assert_allclose(total, np.linalg.norm(g), rtol=1e-12)
        assert np.linalg.norm(c) <= 1.0
        cosine = g @ c / (np.linalg.norm(g) * np.linalg.norm(c))
        np.testing.assert_allclose(cosine, 1.0, rtol=1e-12)
        if total <= 1.0:
            np.testing.assert_array_equal(c, g)  # small gradients pass through untouched
        else:
            np.testing.assert_allclose(np.linalg.norm(c), 1.0, rtol=1e-5)


def check_global_norm_is_norm_of_concatenation():
    rng = np.random.default_rng(1)
    grads = [rng.normal(size=(2, 3)), rng.normal(size=5), rng.normal(size=(1, 1))]
    for p in (1.0, 2.0, 3.0, np.inf):
        np.testing.assert_allclose(global_norm(grads, p), np.linalg.norm(_flat(grads), ord=p), rtol=1e-12)


def check_value_clipping_bounds_entries_but_turns_the_direction():
    g = [np.array([10.0, 0.5, -3.0])]
    (c,) = clip_grad_value(g, 1.0)
    np.testing.assert_array_equal(c, [1.0, 0.5, -1.0])
    cosine = g[0] @ c / (np.linalg.norm(g[0]) * np.linalg.norm(c))
    assert cosine < 0.9


def check_huge_gradients_do_not_overflow():
    # A naive sum of squares of 1e200 overflows to inf; the scaled norm stays exact.
    g = [np.array([3e200, -4e200])]
    with np.errstate(over="raise", invalid="raise"):
        (c,), total = clip_grad_norm(g, max_norm=1.0)
    np.testing.assert_allclose(total, 5e200, rtol=1e-12)
    np.testing.assert_allclose(c, [0.6, -0.8], rtol=1e-12)
    assert global_norm([np.zeros(3)]) == 0.0


def check_clipped_step_is_bounded():
    # After clipping to max_norm, an SGD step moves the parameters by at most lr * max_norm,
    # however large the raw gradient.
    g = [np.array([3e8, -4e8])]
    (c,), total = clip_grad_norm(g, max_norm=5.0)
    np.testing.assert_allclose(total, 5e8)
    assert np.linalg.norm(0.1 * c) <= 0.1 * 5.0


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    grads = [np.array([[30.0, -40.0], [0.0, 0.0]]), np.array([0.0, 120.0])]  # global L2 norm 130
    clipped, total = clip_grad_norm(grads, max_norm=1.0)
    print(f"global norm before clipping: {total:.4f}")
    print("clip_grad_norm(max_norm=1):", [c.ravel().round(4).tolist() for c in clipped])
    print(f"  norm after: {global_norm(clipped):.6f}; every entry scaled by the same 1/130 = {1 / 130:.6f}")
    vclipped = clip_grad_value(grads, clip_value=1.0)
    print("clip_grad_value(clip_value=1):", [c.ravel().tolist() for c in vclipped])
    g, v = _flat(grads), _flat(vclipped)
    print(f"  norm after: {np.linalg.norm(v):.4f}, cosine with the raw gradient: {g @ v / np.linalg.norm(g) / np.linalg.norm(v):.4f}")
    small = [np.array([0.3, 0.4])]
    print("a gradient of norm 0.5 is left alone:", clip_grad_norm(small, 1.0)[0][0].tolist())
