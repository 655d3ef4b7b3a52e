"""LoRA: fine-tune a frozen linear layer through a trainable low-rank update ``(alpha / r) B A``.

For a pretrained ``torch.nn.Linear`` with weight ``W`` of shape (out, in) and bias ``b``, LoRA as in
Hugging Face ``peft`` (``LoraConfig(r, lora_alpha, lora_dropout=0)``) computes

    y = x W^T + b + scaling * (x A^T) B^T,     scaling = lora_alpha / r   (lora_alpha / sqrt(r) with use_rslora),

with ``A`` of shape (r, in) initialised like peft's default (``kaiming_uniform_(A, a=sqrt(5))``, i.e.
uniform on ``[-1/sqrt(in), 1/sqrt(in)]``) and ``B`` of shape (out, r) initialised to zero, so the adapted
model starts out identical to the pretrained one. ``W`` and ``b`` stay frozen; only ``A`` and ``B`` get
gradients. After training the update can be merged, ``W <- W + scaling * B A`` (peft's
``merge_and_unload``), leaving no extra cost at inference.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

__all__ = ["lora_scaling", "init_lora", "lora_forward", "lora_backward", "merge_lora", "lora_param_counts", "train_lora"]


def lora_scaling(lora_alpha, r, use_rslora=False):
    """``lora_alpha / r``, or ``lora_alpha / sqrt(r)`` for rank-stabilised LoRA, as in peft.

    Parameters
    ----------
    lora_alpha : float
    r : int
    use_rslora : bool

    Returns
    -------
    float
    """
    return lora_alpha / (np.sqrt(r) if use_rslora else r)


def init_lora(in_features, out_features, r, rng):
    """peft's default initialisation: ``A`` Kaiming-uniform with ``a = sqrt(5)``, ``B`` zero.

    Parameters
    ----------
    in_features, out_features, r : int
    rng : numpy.random.Generator

    Returns
    -------
    A : ndarray of shape (r, in_features)
    B : ndarray of shape (out_features, r)
    """
    bound = 1.0 / np.sqrt(in_features)  # gain sqrt(2 / (1 + 5)) * sqrt(3 / fan_in)
    return rng.uniform(-bound, bound, size=(r, in_features)), np.zeros((out_features, r))


def lora_forward(x, W, b, A, B, scaling):
    """Frozen linear layer plus the low-rank branch.

    The forward of peft's ``lora.Linear`` (``base_layer(x) + lora_B(lora_A(dropout(x))) * scaling``) with dropout 0.

    Parameters
    ----------
    x : ndarray of shape (N, in)
    W : ndarray of shape (out, in)
        Frozen pretrained weight (``nn.Linear`` layout).
    b : ndarray of shape (out,)
    A : ndarray of shape (r, in)
    B : ndarray of shape (out, r)
    scaling : float

    Returns
    -------
    y : ndarray of shape (N, out)
    cache : tuple
    """
    u = x @ A.T  # (N, r): the input projected to r dimensions
    return x @ W.T + b + scaling * (u @ B.T), (x, W, A, B, u, scaling)


def lora_backward(dy, cache):
    """Gradients of :func:`lora_forward` for the input and the two LoRA factors (``W``, ``b`` frozen).

    What autograd computes for peft's ``lora.Linear`` with the base layer frozen.

    Parameters
    ----------
    dy : ndarray of shape (N, out)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, in)
    dA : ndarray of shape (r, in)
    dB : ndarray of shape (out, r)
    """
    x, W, A, B, u, s = cache
    dB = s * dy.T @ u
    du = s * dy @ B  # (N, r)
    dA = du.T @ x
    dx = dy @ W + du @ A
    return dx, dA, dB


def merge_lora(W, A, B, scaling):
    """``W + scaling * B A``: one ordinary weight matrix, as peft's ``merge_and_unload``.

    Parameters
    ----------
    W : ndarray of shape (out, in)
    A : ndarray of shape (r, in)
    B : ndarray of shape (out, r)
    scaling : float

    Returns
    -------
    ndarray of shape (out, in)
    """
    return W + scaling * (B @ A)


def lora_param_counts(in_features, out_features, r):
    """Parameters of the frozen layer and of its LoRA adapter.

    What peft's ``model.print_trainable_parameters()`` reports for one layer.

    Parameters
    ----------
    in_features, out_features, r : int

    Returns
    -------
    full, lora : int
        ``out * in + out`` and ``r * (in + out)``.
    """
    return out_features * in_features + out_features, r * (in_features + out_features)


def train_lora(X, Y, W, b, r, lora_alpha, rng, lr=0.05, steps=500):
    """Fit ``A, B`` by full-batch gradient descent on the mean squared error ``mean((y - Y)^2)``.

    Like training a peft LoRA model, where only ``lora_A`` and ``lora_B`` require gradients, with
    full-batch ``torch.optim.SGD``.

    Parameters
    ----------
    X : ndarray of shape (N, in)
    Y : ndarray of shape (N, out)
    W : ndarray of shape (out, in)
    b : ndarray of shape (out,)
    r : int
    lora_alpha : float
    rng : numpy.random.Generator
    lr : float
    steps : int

    Returns
    -------
    A : ndarray of shape (r, in)
    B : ndarray of shape (out, r)
    losses : ndarray of shape (steps,)

    Raises
    ------
    ValueError
        If the loss becomes non-finite or exceeds 10 times its initial value.
    """
    A, B = init_lora(W.shape[1], W.shape[0], r, rng)
    s = lora_scaling(lora_alpha, r)
    losses = np.empty(steps)
    for t in range(steps):
        y, cache = lora_forward(X, W, b, A, B, s)
        diff = y - Y
        loss = float(np.mean(diff**2))
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"training diverged at step {t} (loss {loss}); lower lr (now {lr}) or lora_alpha")
        losses[t] = loss
        _, dA, dB = lora_backward(2 * diff / diff.size, cache)
        A, B = A - lr * dA, B - lr * dB
    return A, B, losses


def _task(rng, d=16, true_rank=2, n=200):
    W0 = rng.normal(size=(d, d)) / np.sqrt(d)
    b0 = np.zeros(d)
    delta = rng.normal(size=(d, true_rank)) @ rng.normal(size=(true_rank, d)) / d  # the "task" update
    X = rng.normal(size=(n, d))
    return W0, b0, delta, X, X @ (W0 + delta).T + b0


# ---------------------------------------------------------------- checks


def check_zero_init_leaves_the_model_unchanged_and_merge_is_exact():
    rng = np.random.default_rng(0)
    W, b, x = rng.normal(size=(5, 7)), rng.normal(size=5), rng.normal(size=(3, 7))
    A, B = init_lora(7, 5, 2, rng)
    y, _ = lora_forward(x, W, b, A, B, lora_scaling(16, 2))
    assert_close(y, x @ W.T + b, rtol=0, atol=0, what="B = 0 at init")
    assert np.all(np.abs(A) <= 1 / np.sqrt(7))
    B = rng.normal(size=(5, 2))
    y, _ = lora_forward(x, W, b, A, B, 8.0)
    assert_close(y, x @ merge_lora(W, A, B, 8.0).T + b, rtol=1e-12, what="merged weight")
    assert np.linalg.matrix_rank(merge_lora(W, A, B, 8.0) - W) == 2


def check_scaling_matches_peft():
    assert lora_scaling(16, 8) == 2.0 and lora_scaling(8, 8) == 1.0
    assert lora_scaling(16, 4, use_rslora=True) == 8.0


def check_backward_gradient():
    rng = np.random.default_rng(1)
    W, b, x = rng.normal(size=(4, 6)), rng.normal(size=4), rng.normal(size=(5, 6))
    A, B = rng.normal(size=(3, 6)), rng.normal(size=(4, 3))
    y, cache = lora_forward(x, W, b, A, B, 1.5)
    dy = rng.normal(size=y.shape)
    dx, dA, dB = lora_backward(dy, cache)
    assert_gradient_close(dx, numerical_gradient_array(lambda z: lora_forward(z, W, b, A, B, 1.5)[0], x, dy), tol=1e-7)
    assert_gradient_close(dA, numerical_gradient_array(lambda z: lora_forward(x, W, b, z, B, 1.5)[0], A, dy), tol=1e-7)
    assert_gradient_close(dB, numerical_gradient_array(lambda z: lora_forward(x, W, b, A, z, 1.5)[0], B, dy), tol=1e-7)
    # At peft's initialisation B = 0, so A gets no gradient on the first step; B does.
    A0, B0 = init_lora(6, 4, 3, rng)
    _, dA0, dB0 = lora_backward(dy, lora_forward(x, W, b, A0, B0, 1.5)[1])
    assert np.all(dA0 == 0) and np.any(dB0 != 0)


def check_rank_r_recovers_a_rank_r_update_but_rank_1_cannot():
    rng = np.random.default_rng(2)
    W0, b0, delta, X, Y = _task(rng)
    A, B, losses = train_lora(X, Y, W0, b0, r=2, lora_alpha=4, rng=rng, lr=0.2, steps=1500)
    assert losses[-1] < 1e-4 * losses[0]
    assert_close(merge_lora(W0, A, B, lora_scaling(4, 2)), W0 + delta, rtol=0, atol=1e-3, what="recovered update")
    # Rank 1 can capture only the largest singular direction of delta: the rest remains as error.
    A1, B1, losses1 = train_lora(X, Y, W0, b0, r=1, lora_alpha=2, rng=rng, lr=0.2, steps=1500)
    s = np.linalg.svd(delta, compute_uv=False)
    err = np.linalg.norm(merge_lora(W0, A1, B1, 2.0) - W0 - delta)
    assert abs(err - s[1]) < 0.05 * s[1]  # Eckart-Young: best rank-1 error is the 2nd singular value


def check_divergence_is_reported():
    rng = np.random.default_rng(3)
    W0, b0, delta, X, Y = _task(rng)
    try:
        train_lora(X, Y, W0, b0, r=2, lora_alpha=400, rng=rng, lr=1.0, steps=50)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("lora_alpha 400 with lr 1 must be reported")


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    full, lora = lora_param_counts(4096, 4096, 8)
    print(f"one 4096 x 4096 linear layer: {full:,} frozen parameters; LoRA r = 8 trains {lora:,} ({lora / full:.2%})")
    rng = np.random.default_rng(2)
    W0, b0, delta, X, Y = _task(rng)
    print(
        "task: a frozen 16 x 16 layer must learn a rank-2 update; singular values of the update:",
        np.linalg.svd(delta, compute_uv=False)[:4],
    )
    for r, alpha in [(1, 2), (2, 4), (4, 8)]:
        A, B, losses = train_lora(X, Y, W0, b0, r=r, lora_alpha=alpha, rng=rng, lr=0.2, steps=1500)
        merged = merge_lora(W0, A, B, lora_scaling(alpha, r))
        print(
            f"r = {r}, lora_alpha = {alpha} (scaling {lora_scaling(alpha, r):.0f}), {lora_param_counts(16, 16, r)[1]:>3} trainable: "
            f"loss {losses[0]:.4f} -> {losses[-1]:.6f}, |W_merged - W_target| = {np.linalg.norm(merged - W0 - delta):.4f}"
        )
