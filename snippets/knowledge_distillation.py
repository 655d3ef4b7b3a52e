"""Knowledge distillation (Hinton, Vinyals & Dean, 2015): train a student on a teacher's softened outputs.

The loss mixes a soft term, the KL divergence between teacher and student softmaxes at temperature
``T`` (scaled by ``T^2``), with the usual cross-entropy on the hard labels:

    loss = alpha * T^2 * KL(softmax(t / T) || softmax(s / T)) + (1 - alpha) * CE(softmax(s), y),

each term averaged over the batch. The soft term is written as the common PyTorch recipe
``F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(t / T, dim=-1), reduction="batchmean") * T * T``,
which :func:`snippets.kl_divergence.kl_div` reproduces (input = student log-probabilities, target =
teacher probabilities). The ``T^2`` keeps the soft term's gradients on the same scale as the hard
term's when ``T`` changes.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.kl_divergence import kl_div
from snippets.softmax import log_softmax, softmax, softmax_with_temperature

__all__ = [
    "distillation_loss_forward",
    "distillation_loss_backward",
    "train_linear_student",
    "make_teacher_data",
]


def distillation_loss_forward(student_logits, teacher_logits, labels, T=4.0, alpha=0.9):
    """Hinton et al.'s distillation loss.

    ``F.kl_div(F.log_softmax(s/T), F.softmax(t/T), reduction='batchmean') * T*T`` mixed with ``F.cross_entropy(s, y)`` (torch.nn.functional).

    Parameters
    ----------
    student_logits : ndarray of shape (N, C)
    teacher_logits : ndarray of shape (N, C)
        Treated as constants (the teacher is frozen).
    labels : ndarray of int, shape (N,)
        Hard labels; ignored when ``alpha == 1``.
    T : float
        Temperature, > 0.
    alpha : float
        Weight of the soft term, in [0, 1].

    Returns
    -------
    loss : float
    cache : tuple
    """
    if not T > 0 or not 0 <= alpha <= 1:
        raise ValueError("need T > 0 and 0 <= alpha <= 1")
    s = np.asarray(student_logits, dtype=np.float64)
    p_t = softmax_with_temperature(teacher_logits, T)
    soft = kl_div(log_softmax(s / T), p_t, reduction="batchmean") * T * T
    logp = log_softmax(s)
    hard = -np.mean(logp[np.arange(len(labels)), labels])
    return float(alpha * soft + (1 - alpha) * hard), (s, p_t, labels, T, alpha)


def distillation_loss_backward(cache):
    """Gradient of :func:`distillation_loss_forward` with respect to the student logits.

    What autograd computes for the ``torch.nn.functional`` loss above.

    ``alpha * T * (softmax(s/T) - softmax(t/T)) / N + (1 - alpha) * (softmax(s) - onehot(y)) / N``.

    Parameters
    ----------
    cache : tuple

    Returns
    -------
    ds : ndarray of shape (N, C)
    """
    s, p_t, labels, T, alpha = cache
    N = s.shape[0]
    p_s_T = softmax(s / T, axis=-1)
    hard = softmax(s, axis=-1)
    hard[np.arange(N), labels] -= 1.0
    return alpha * T * (p_s_T - p_t) / N + (1 - alpha) * hard / N


def make_teacher_data(rng, n, D=10, C=3, scale=2.0, W=None):
    """Inputs, a linear teacher's logits, and labels sampled from the teacher's softmax.

    Each label is drawn from its row's softmax, as ``rng.choice(C, p=softmax(logits[i]))`` or
    ``torch.multinomial(logits.softmax(-1), 1)`` would, here by inverse-CDF sampling in one vectorised step.

    Parameters
    ----------
    rng : numpy.random.Generator
    n, D, C : int
    scale : float
        Size of the teacher's weights (larger: more confident teacher).
    W : ndarray of shape (D, C), optional
        Teacher weights; drawn if not given.

    Returns
    -------
    X : ndarray of shape (n, D)
    teacher_logits : ndarray of shape (n, C)
    labels : ndarray of int, shape (n,)
    W : ndarray of shape (D, C)
    """
    W = scale * rng.normal(size=(D, C)) / np.sqrt(D) if W is None else W
    X = rng.normal(size=(n, D))
    logits = X @ W
    p = softmax(logits, axis=-1)
    # inverse-CDF sampling; the clip guards against a last cumulative sum a rounding error below 1
    labels = np.minimum((rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1), C - 1)
    return X, logits, labels, W


def train_linear_student(X, teacher_logits, labels, T, alpha, lr=0.5, steps=500, weight_decay=0.0):
    """Fit a linear softmax student ``logits = X @ W`` by full-batch gradient descent on the loss.

    The student is ``torch.nn.Linear(D, C, bias=False)`` trained with ``torch.optim.SGD`` (full batch).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    teacher_logits : ndarray of shape (N, C)
    labels : ndarray of int, shape (N,)
    T, alpha : float
    lr : float
    steps : int
    weight_decay : float
        L2 penalty ``0.5 * weight_decay * ||W||^2``.

    Returns
    -------
    W : ndarray of shape (D, C)
    losses : ndarray of shape (steps,)

    Raises
    ------
    ValueError
        If the loss becomes non-finite or grows above 10 times its starting value.
    """
    W = np.zeros((X.shape[1], teacher_logits.shape[1]))
    losses = np.empty(steps)
    for t in range(steps):
        loss, cache = distillation_loss_forward(X @ W, teacher_logits, labels, T, alpha)
        loss += 0.5 * weight_decay * np.sum(W**2)
        if not np.isfinite(loss) or (t > 0 and loss > 10 * losses[0]):
            raise ValueError(f"training diverged at step {t} (loss {loss}); lower lr (now {lr})")
        losses[t] = loss
        W = W - lr * (X.T @ distillation_loss_backward(cache) + weight_decay * W)
    return W, losses


# ---------------------------------------------------------------- checks


def check_soft_term_is_t_squared_kl_and_zero_when_matching():
    rng = np.random.default_rng(0)
    t, s, y = rng.normal(size=(4, 5)), rng.normal(size=(4, 5)), rng.integers(0, 5, size=4)
    loss, _ = distillation_loss_forward(s, t, y, T=3.0, alpha=1.0)
    p, q = softmax(t / 3.0, axis=-1), softmax(s / 3.0, axis=-1)
    assert_close(loss, 9.0 * np.mean(np.sum(p * np.log(p / q), axis=1)), rtol=1e-12, what="T^2 KL")
    assert abs(distillation_loss_forward(t, t, y, T=3.0, alpha=1.0)[0]) < 1e-14
    # alpha = 0 is plain cross-entropy on the labels, whatever the teacher says.
    ce = -np.mean(log_softmax(s)[np.arange(4), y])
    assert_close(distillation_loss_forward(s, t, y, T=3.0, alpha=0.0)[0], ce, rtol=1e-12, what="alpha = 0")


def check_backward_gradient():
    rng = np.random.default_rng(1)
    t, s, y = rng.normal(size=(5, 4)), rng.normal(size=(5, 4)), rng.integers(0, 4, size=5)
    for T, alpha in [(1.0, 0.5), (4.0, 0.9), (20.0, 1.0)]:
        _, cache = distillation_loss_forward(s, t, y, T, alpha)
        num = numerical_gradient(lambda z: distillation_loss_forward(z, t, y, T, alpha)[0], s.copy())
        assert_gradient_close(distillation_loss_backward(cache), num, tol=1e-7, what=f"T={T}, alpha={alpha}")


def check_high_temperature_limit_is_logit_matching():
    # Hinton et al. sec. 2.1: for zero-mean logits and large T, the T^2-scaled soft gradient tends to
    # (s - t) / (C N): distillation becomes regression of the student's logits onto the teacher's.
    rng = np.random.default_rng(2)
    t, s = rng.normal(size=(3, 6)), rng.normal(size=(3, 6))
    t -= t.mean(axis=1, keepdims=True)
    s -= s.mean(axis=1, keepdims=True)
    _, cache = distillation_loss_forward(s, t, np.zeros(3, dtype=int), T=1e4, alpha=1.0)
    expected = (s - t) / (6 * 3)
    # The error is O(1/T) relative to the largest entry (entries near zero have no relative accuracy).
    assert_close(distillation_loss_backward(cache), expected, rtol=0, atol=1e-3 * np.abs(expected).max(), what="logit matching")


def check_extreme_logits_are_finite():
    t = np.array([[1000.0, 0.0, -1000.0]])
    s = np.array([[-1000.0, 0.0, 1000.0]])  # a batch of one, student maximally wrong
    loss, cache = distillation_loss_forward(s, t, np.array([0]), T=1.0, alpha=0.5)
    assert np.isfinite(loss) and np.all(np.isfinite(distillation_loss_backward(cache)))


def check_soft_targets_transfer_more_than_hard_labels():
    # With 20 labelled examples, a student trained on the teacher's soft targets agrees with the teacher
    # on new inputs more often than one trained on the (noisy, sampled) hard labels.
    rng = np.random.default_rng(3)
    X, tl, y, W_t = make_teacher_data(rng, 20)
    X_test, tl_test, y_test, _ = make_teacher_data(rng, 5000, W=W_t)
    W_hard, _ = train_linear_student(X, tl, y, T=1.0, alpha=0.0, weight_decay=0.01)
    W_soft, _ = train_linear_student(X, tl, y, T=2.0, alpha=1.0, weight_decay=0.01)
    agree = lambda W: np.mean((X_test @ W).argmax(1) == tl_test.argmax(1))
    assert agree(W_soft) > agree(W_hard) + 0.05


def check_divergence_is_reported():
    rng = np.random.default_rng(4)
    X, tl, y, _ = make_teacher_data(rng, 20)
    try:
        train_linear_student(100.0 * X, tl, y, T=1.0, alpha=0.0, lr=50.0, steps=50)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("lr 50 on inputs of scale 100 must be reported")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    t = np.array([5.0, 2.0, 0.5])
    print("teacher logits", t)
    for T in (1.0, 2.0, 4.0, 10.0):
        print(f"  soft targets at T = {T:>4}:", softmax_with_temperature(t, T))
    rng = np.random.default_rng(3)
    X, tl, y, W_t = make_teacher_data(rng, 20)
    X_test, tl_test, y_test, _ = make_teacher_data(rng, 5000, W=W_t)
    print("linear teacher, 3 classes, 10 features; students see 20 training examples")
    for name, T, alpha in [("hard labels only    ", 1.0, 0.0), ("soft targets, T = 2 ", 2.0, 1.0), ("mix, T = 2, alpha .5", 2.0, 0.5)]:
        W, losses = train_linear_student(X, tl, y, T, alpha, weight_decay=0.01)
        agree = np.mean((X_test @ W).argmax(1) == tl_test.argmax(1))
        acc = np.mean((X_test @ W).argmax(1) == y_test)
        print(f"  {name}: agrees with teacher on {agree:.3f} of 5000 test inputs, label accuracy {acc:.3f}")
    print(f"  (the teacher itself: label accuracy {np.mean(tl_test.argmax(1) == y_test):.3f})")
