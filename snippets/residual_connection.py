"""Residual connections (He et al., 2016): a block outputs ``y = x + F(x)``.

The residual branch here is a two-layer perceptron, ``F(x) = relu(x @ W1 + b1) @ W2 + b2``, with
weights stored as (n_in, n_out) like ``snippets.neural_network`` (PyTorch's ``nn.Linear`` stores
the transpose). The identity shortcut has no parameters, so the block's Jacobian is
``I + dF/dx`` and the upstream gradient reaches ``x`` unchanged plus whatever the branch adds.
The block has no activation after the sum, as in the "pre-activation" ResNet and in
Transformers; the original ResNet applied a ReLU after the addition.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.activation_function import relu, relu_grad


def init_block(D, H, rng, branch_scale=1.0):
    """Parameters of one residual branch.

    ``W1 ~ N(0, 2 / D)`` (He initialisation for the ReLU) and ``W2 ~ N(0, branch_scale^2 / H)``.
    A small ``branch_scale`` makes each block start close to the identity; ``branch_scale = 0``
    is the "zero-init the last layer of each residual branch" trick.

    Parameters
    ----------
    D : int
        Width of the block's input and output (the identity needs them equal).
    H : int
        Hidden width of the branch.
    rng : numpy.random.Generator
    branch_scale : float

    Returns
    -------
    params : tuple (W1, b1, W2, b2)
        ``W1`` of shape (D, H), ``b1`` of shape (H,), ``W2`` of shape (H, D), ``b2`` of shape (D,).
    """
    W1 = rng.normal(0.0, np.sqrt(2.0 / D), size=(D, H))
    W2 = rng.normal(0.0, branch_scale / np.sqrt(H), size=(H, D))
    return W1, np.zeros(H), W2, np.zeros(D)


def block_forward(x, params, residual=True):
    """One block: ``x + F(x)`` if ``residual`` else the plain ``F(x)``.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    params : tuple (W1, b1, W2, b2)
        Shapes (D, H), (H,), (H, D), (D,).
    residual : bool
        With False the same layer is used without its shortcut, for comparison.

    Returns
    -------
    out : ndarray of shape (N, D)
    cache : tuple
    """
    W1, b1, W2, b2 = params
    z = x @ W1 + b1
    h = relu(z)
    f = h @ W2 + b2
    return (x + f if residual else f), (x, z, h, params, residual)


def block_backward(dout, cache):
    """Backward pass of :func:`block_forward`.

    ``dx = dout + (dF/dx)^T dout`` for a residual block: the first term is the shortcut.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    cache : tuple
        From :func:`block_forward`.

    Returns
    -------
    dx : ndarray of shape (N, D)
    grads : tuple (dW1, db1, dW2, db2)
        Shapes (D, H), (H,), (H, D), (D,).
    """
    x, z, h, (W1, b1, W2, b2), residual = cache
    dW2, db2 = h.T @ dout, dout.sum(axis=0)
    dz = (dout @ W2.T) * relu_grad(z)
    dW1, db1 = x.T @ dz, dz.sum(axis=0)
    dx = dz @ W1.T
    if residual:
        dx = dx + dout
    return dx, (dW1, db1, dW2, db2)


def stack_forward(x, blocks, residual=True):
    """Apply blocks in sequence.

    Parameters
    ----------
    x : ndarray of shape (N, D)
    blocks : list of tuple (W1, b1, W2, b2)
    residual : bool

    Returns
    -------
    out : ndarray of shape (N, D)
    caches : list of tuple
    """
    caches = []
    for params in blocks:
        x, cache = block_forward(x, params, residual)
        caches.append(cache)
    return x, caches


def stack_backward(dout, caches):
    """Backward pass of :func:`stack_forward`.

    Parameters
    ----------
    dout : ndarray of shape (N, D)
    caches : list of tuple

    Returns
    -------
    dx : ndarray of shape (N, D)
    grads : list of tuple (dW1, db1, dW2, db2), one per block
    """
    grads = [None] * len(caches)
    for i in range(len(caches) - 1, -1, -1):
        dout, grads[i] = block_backward(dout, caches[i])
    return dout, grads


def gradient_norm_ratio(depth, residual, seed=0, D=16, H=16, branch_scale=0.1):
    """``||dL/dx_0|| / ||dL/dx_L||`` through ``depth`` blocks, for a random upstream gradient.

    Parameters
    ----------
    depth : int
    residual : bool
    seed : int
    D, H : int
    branch_scale : float

    Returns
    -------
    float
    """
    rng = np.random.default_rng(seed)
    blocks = [init_block(D, H, rng, branch_scale) for _ in range(depth)]
    x = rng.normal(size=(8, D))
    out, caches = stack_forward(x, blocks, residual)
    dout = rng.normal(size=out.shape)
    dx, _ = stack_backward(dout, caches)
    return float(np.linalg.norm(dx) / np.linalg.norm(dout))


# ---------------------------------------------------------------- checks


def check_backward_matches_numerical_gradient():
    rng = np.random.default_rng(0)
    for residual in (True, False):
        params = init_block(5, 7, rng, branch_scale=1.0)
        params = (params[0], rng.normal(size=7), params[2], rng.normal(size=5))
        x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
        _, cache = block_forward(x, params, residual)
        dx, grads = block_backward(dout, cache)
        num = numerical_gradient_array(lambda z: block_forward(z, params, residual)[0], x, dout)
        assert_gradient_close(dx, num, tol=1e-6, what=f"dx (residual={residual})")
        for k, name in enumerate(("W1", "b1", "W2", "b2")):

            def f(p, k=k):
                ps = list(params)
                ps[k] = p
                return block_forward(x, tuple(ps), residual)[0]

            num = numerical_gradient_array(f, params[k].copy(), dout)
            assert_gradient_close(grads[k], num, tol=1e-6, what=f"d{name} (residual={residual})")


def check_stack_backward_matches_numerical_gradient():
    rng = np.random.default_rng(1)
    blocks = [init_block(4, 6, rng, 0.5) for _ in range(3)]
    x, dout = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    _, caches = stack_forward(x, blocks)
    dx, _ = stack_backward(dout, caches)
    num = numerical_gradient_array(lambda z: stack_forward(z, blocks)[0], x, dout)
    assert_gradient_close(dx, num, tol=1e-6, what="stack dx")


def check_jacobian_is_identity_plus_branch_jacobian():
    rng = np.random.default_rng(2)
    D = 5
    params = init_block(D, 8, rng, branch_scale=1.0)
    x = rng.normal(size=(1, D))

    def jacobian(residual):
        # Row i of the Jacobian is the backward pass of the unit upstream gradient e_i.
        _, cache = block_forward(x, params, residual)
        return np.stack([block_backward(np.eye(D)[i : i + 1], cache)[0][0] for i in range(D)])

    J_block, J_branch = jacobian(True), jacobian(False)
    assert_close(J_block, np.eye(D) + J_branch, rtol=1e-14, atol=1e-15, what="J = I + dF/dx")
    # ... and the same from finite differences of the forward pass.
    num = np.stack([numerical_gradient_array(lambda z: block_forward(z, params)[0], x.copy(), np.eye(D)[i : i + 1])[0] for i in range(D)])
    assert_gradient_close(J_block, num, tol=1e-7, what="Jacobian")


def check_zero_branch_is_exact_identity():
    rng = np.random.default_rng(3)
    blocks = [init_block(6, 6, rng, branch_scale=0.0) for _ in range(20)]
    x = rng.normal(size=(4, 6))
    out, caches = stack_forward(x, blocks)
    assert np.array_equal(out, x)
    dx, _ = stack_backward(x, caches)
    assert np.array_equal(dx, x)  # the gradient passes through 20 blocks untouched


def check_gradient_survives_depth_only_with_shortcuts():
    # Same weights, 50 blocks: with shortcuts the gradient norm stays within a factor of 2;
    # without them each block multiplies it by roughly branch_scale and it vanishes.
    for seed in range(3):
        res = gradient_norm_ratio(50, residual=True, seed=seed)
        plain = gradient_norm_ratio(50, residual=False, seed=seed)
        assert 0.5 < res < 2.0, res
        assert plain < 1e-30, plain


def check_shortcuts_need_small_branches():
    # With unit-scale branches, every block adds a branch output as large as its input, and the
    # Jacobian product through 50 residual blocks explodes: shortcuts need scaled or normalised branches.
    assert gradient_norm_ratio(50, residual=True, branch_scale=1.0) > 1e4


if __name__ == "__main__":
    print("||dL/dx_0|| / ||dL/dx_L|| through L blocks with the same branches (branch_scale 0.1):")
    print("    L     with shortcut (x + F(x))   plain (F(x))")
    for depth in (1, 5, 10, 20, 50):
        res, plain = gradient_norm_ratio(depth, True), gradient_norm_ratio(depth, False)
        print(f"  {depth:3d}     {res:10.4f}                 {plain:.3e}")
    res, plain = gradient_norm_ratio(50, True, branch_scale=1.0), gradient_norm_ratio(50, False, branch_scale=1.0)
    print(f"  50 blocks, unit-scale branches: {res:.3e} (explodes)     {plain:.3e}")
    rng = np.random.default_rng(2)
    params = init_block(3, 4, rng, branch_scale=0.1)
    _, cache = block_forward(np.ones((1, 3)), params)
    J = np.stack([block_backward(np.eye(3)[i : i + 1], cache)[0][0] for i in range(3)])
    np.set_printoptions(precision=4, suppress=True)
    print("Jacobian of one residual block = I + dF/dx:\n", J)
