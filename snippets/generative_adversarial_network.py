"""A generative adversarial network (GAN) in one dimension, small enough to check against theory.

* Generator ``G(z) = a z + b`` with ``z ~ N(0, 1)``: it can produce any Gaussian ``N(b, a^2)``.
* Discriminator ``D(x) = sigmoid(w0 + w1 x + w2 x^2)``: logistic regression on ``(1, x, x^2)``. The
  log-ratio of two Gaussian densities is quadratic in ``x``, so this D can represent the optimal
  discriminator ``D*(x) = p_data(x) / (p_data(x) + p_g(x))`` exactly.

Losses are binary cross-entropy on logits, as ``torch.nn.BCEWithLogitsLoss`` (mean reduction), the
numerically stable form of the ``nn.Sigmoid`` + ``nn.BCELoss`` pair of the PyTorch DCGAN tutorial: the
discriminator minimises ``BCE(D(x_real), 1) + BCE(D(G(z)), 0)``; the
generator minimises the *non-saturating* ``BCE(D(G(z)), 1) = -mean log D(G(z))`` of Goodfellow et al.
(2014), or optionally the original minimax ``mean log(1 - D(G(z)))``. Logits go through
``softplus(t) = log(1 + e^t)`` computed with ``np.logaddexp``, so no ``log(0)`` can occur.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

__all__ = [
    "features",
    "softplus",
    "discriminator_loss_forward",
    "discriminator_loss_backward",
    "generator_loss_forward",
    "generator_loss_backward",
    "optimal_discriminator_logit",
    "gan_value",
    "train_gan",
]


def features(x):
    """Quadratic features ``(1, x, x^2)``.

    Like ``sklearn.preprocessing.PolynomialFeatures(degree=2)`` on a single feature.

    Parameters
    ----------
    x : ndarray of shape (N,)

    Returns
    -------
    phi : ndarray of shape (N, 3)
    """
    return np.stack([np.ones_like(x), x, x**2], axis=1)


def softplus(t):
    """``log(1 + exp(t))`` without overflow, like ``torch.nn.functional.softplus``.

    Parameters
    ----------
    t : ndarray of shape (N,)

    Returns
    -------
    ndarray of shape (N,)
    """
    return np.logaddexp(0.0, t)


def _sigmoid(t):
    return np.exp(-np.logaddexp(0.0, -t))


def discriminator_loss_forward(w, x_real, x_fake):
    """``BCEWithLogits(D(x_real), 1) + BCEWithLogits(D(x_fake), 0)``, each a mean over its batch.

    ``torch.nn.BCEWithLogitsLoss()(d_real, ones) + torch.nn.BCEWithLogitsLoss()(d_fake, zeros)``.

    ``-log D(x) = softplus(-l)`` and ``-log(1 - D(x)) = softplus(l)`` for the logit ``l``.

    Parameters
    ----------
    w : ndarray of shape (3,)
        Discriminator weights for ``(1, x, x^2)``.
    x_real : ndarray of shape (N,)
    x_fake : ndarray of shape (M,)

    Returns
    -------
    loss : float
    cache : tuple
    """
    phi_r, phi_f = features(x_real), features(x_fake)
    l_r, l_f = phi_r @ w, phi_f @ w
    loss = float(np.mean(softplus(-l_r)) + np.mean(softplus(l_f)))
    return loss, (w, x_fake, phi_r, phi_f, l_r, l_f)


def discriminator_loss_backward(cache):
    """Gradients of :func:`discriminator_loss_forward`.

    What autograd computes for the ``torch.nn.BCEWithLogitsLoss`` terms.

    Parameters
    ----------
    cache : tuple

    Returns
    -------
    dw : ndarray of shape (3,)
    dx_fake : ndarray of shape (M,)
        Gradient with respect to the fake samples (what flows back into a generator).
    """
    w, x_fake, phi_r, phi_f, l_r, l_f = cache
    dl_r = -_sigmoid(-l_r) / l_r.size
    dl_f = _sigmoid(l_f) / l_f.size
    dw = phi_r.T @ dl_r + phi_f.T @ dl_f
    return dw, dl_f * (w[1] + 2 * w[2] * x_fake)


def generator_loss_forward(theta, z, w, saturating=False):
    """Generator loss for fakes ``x = a z + b`` judged by a fixed discriminator ``w``.

    Non-saturating: ``torch.nn.BCEWithLogitsLoss()(d_fake, ones)``.

    Parameters
    ----------
    theta : ndarray of shape (2,)
        ``(a, b)``.
    z : ndarray of shape (M,)
        Standard normal noise.
    w : ndarray of shape (3,)
    saturating : bool
        False (default): non-saturating ``mean softplus(-l) = -mean log D(G(z))``, i.e.
        ``BCEWithLogits(D(G(z)), 1)``. True: the minimax ``-mean softplus(l) = mean log(1 - D(G(z)))``.

    Returns
    -------
    loss : float
    cache : tuple
    """
    x = theta[0] * z + theta[1]
    l = features(x) @ w
    loss = float(np.mean(-softplus(l) if saturating else softplus(-l)))
    return loss, (z, w, x, l, saturating)


def generator_loss_backward(cache):
    """Gradient of :func:`generator_loss_forward` with respect to ``(a, b)``.

    What autograd computes through the frozen discriminator (``requires_grad`` on the generator only).

    Parameters
    ----------
    cache : tuple

    Returns
    -------
    dtheta : ndarray of shape (2,)
    """
    z, w, x, l, saturating = cache
    dl = (-_sigmoid(l) if saturating else -_sigmoid(-l)) / l.size
    dx = dl * (w[1] + 2 * w[2] * x)
    return np.array([np.sum(dx * z), np.sum(dx)])


def optimal_discriminator_logit(x, mu_data, sd_data, mu_g, sd_g):
    """Logit of ``D*(x) = p_data / (p_data + p_g)``: ``log p_data(x) - log p_g(x)`` for two Gaussians.

    ``scipy.stats.norm.logpdf(x, mu_data, sd_data) - scipy.stats.norm.logpdf(x, mu_g, sd_g)``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    mu_data, sd_data, mu_g, sd_g : float

    Returns
    -------
    logit : ndarray of shape (N,)
    """

    def logpdf(x, m, s):
        return -0.5 * ((x - m) / s) ** 2 - np.log(s) - 0.5 * np.log(2 * np.pi)

    return logpdf(x, mu_data, sd_data) - logpdf(x, mu_g, sd_g)


def gan_value(logit, x, p_data, p_g):
    """The GAN value ``V(D, G) = E_data log D + E_g log(1 - D)`` by quadrature on an even grid.

    A Riemann sum, like ``scipy.integrate.trapezoid`` on an evenly spaced grid.

    Parameters
    ----------
    logit : ndarray of shape (N,)
        Discriminator logits on the grid ``x``.
    x : ndarray of shape (N,)
        Evenly spaced grid covering both densities.
    p_data, p_g : ndarray of shape (N,)
        Densities on the grid.

    Returns
    -------
    float
    """
    dx = x[1] - x[0]
    return float(np.sum(p_data * -softplus(-logit) + p_g * -softplus(logit)) * dx)


def train_gan(rng, mu_data=1.0, sd_data=0.5, steps=1000, batch=256, lr_d=0.1, lr_g=0.02, d_steps=5):
    """Alternating stochastic gradient descent: ``d_steps`` discriminator steps, then one generator step.

    The loop of the PyTorch DCGAN tutorial (update D on real and fake batches, then G through the
    updated D), with ``torch.optim.SGD`` instead of Adam and ``d_steps`` D updates per G update.

    Parameters
    ----------
    rng : numpy.random.Generator
    mu_data, sd_data : float
        The real data are ``N(mu_data, sd_data^2)``.
    steps : int
    batch : int
        Real and fake samples per step.
    lr_d, lr_g : float
    d_steps : int
        Discriminator steps per generator step (the ``k`` of Goodfellow et al.'s algorithm 1): the
        generator's gradient is only informative if the discriminator keeps up with it.

    Returns
    -------
    theta : ndarray of shape (2,)
        Final ``(a, b)``; the generator's distribution is ``N(b, a^2)``.
    w : ndarray of shape (3,)
    history : ndarray of shape (steps, 5)
        ``a, b, w0, w1, w2`` after every step.

    Raises
    ------
    ValueError
        If a loss or parameter becomes non-finite.
    """
    theta = np.array([1.0, 0.0])
    w = np.zeros(3)
    history = np.empty((steps, 5))
    for t in range(steps):
        for _ in range(d_steps):
            x_real = mu_data + sd_data * rng.standard_normal(batch)
            x_fake = theta[0] * rng.standard_normal(batch) + theta[1]
            loss_d, cache = discriminator_loss_forward(w, x_real, x_fake)
            w = w - lr_d * discriminator_loss_backward(cache)[0]
        loss_g, cache = generator_loss_forward(theta, rng.standard_normal(batch), w)
        theta = theta - lr_g * generator_loss_backward(cache)
        history[t] = [*theta, *w]
        if not (np.isfinite(loss_d) and np.isfinite(loss_g) and np.all(np.isfinite(history[t]))):
            raise ValueError(f"training diverged at step {t}; lower lr_d / lr_g (now {lr_d}, {lr_g})")
    return theta, w, history


# ---------------------------------------------------------------- checks


def check_discriminator_backward_gradient():
    rng = np.random.default_rng(0)
    w, x_real, x_fake = rng.normal(size=3), rng.normal(size=6), rng.normal(size=5)
    _, cache = discriminator_loss_forward(w, x_real, x_fake)
    dw, dx_fake = discriminator_loss_backward(cache)
    assert_gradient_close(dw, numerical_gradient(lambda v: discriminator_loss_forward(v, x_real, x_fake)[0], w.copy()), tol=1e-7)
    assert_gradient_close(dx_fake, numerical_gradient(lambda v: discriminator_loss_forward(w, x_real, v)[0], x_fake.copy()), tol=1e-7)


def check_generator_backward_gradient_both_losses():
    rng = np.random.default_rng(1)
    theta, z, w = rng.normal(size=2), rng.normal(size=7), rng.normal(size=3)
    for saturating in (False, True):
        _, cache = generator_loss_forward(theta, z, w, saturating)
        num = numerical_gradient(lambda v: generator_loss_forward(v, z, w, saturating)[0], theta.copy())
        assert_gradient_close(generator_loss_backward(cache), num, tol=1e-7, what=f"saturating={saturating}")


def check_optimal_discriminator_and_value_minus_log_4_plus_2_jsd():
    # For fixed G the best D is p_data / (p_data + p_g), and then V = -log 4 + 2 JSD(p_data, p_g) >= -log 4.
    x = np.linspace(-10, 14, 24001)
    pdf = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    p_data, p_g = pdf(1.0, 0.5), pdf(0.0, 1.0)
    best = optimal_discriminator_logit(x, 1.0, 0.5, 0.0, 1.0)
    v_best = gan_value(best, x, p_data, p_g)
    m = 0.5 * (p_data + p_g)
    kl = lambda p, q: np.sum(np.where(p > 0, p * (np.log(np.maximum(p, 1e-300)) - np.log(np.maximum(q, 1e-300))), 0)) * (x[1] - x[0])
    jsd = 0.5 * kl(p_data, m) + 0.5 * kl(p_g, m)
    assert_close(v_best, -np.log(4) + 2 * jsd, rtol=1e-6, what="V(D*, G)")
    rng = np.random.default_rng(2)
    for _ in range(5):  # any other quadratic discriminator does worse
        assert gan_value(best + features(x) @ rng.normal(scale=0.3, size=3), x, p_data, p_g) < v_best
    # When the generator matches the data, D* = 1/2 everywhere and V = -log 4.
    assert_close(gan_value(np.zeros_like(x), x, p_data, p_data), -np.log(4), rtol=1e-9)


def check_minimax_generator_loss_saturates_when_discriminator_wins():
    # Early in training D rejects fakes confidently (logit << 0). The minimax loss log(1 - D) is then
    # flat and its gradient vanishes; the non-saturating -log D still gives a strong signal.
    rng = np.random.default_rng(3)
    z, theta = rng.normal(size=100), np.array([1.0, 0.0])
    w = np.array([-10.0, 1.0, 0.0])  # logit -10 + x: about -10 at the fakes
    grads = {s: generator_loss_backward(generator_loss_forward(theta, z, w, s)[1]) for s in (True, False)}
    assert np.abs(grads[False][1]) > 100 * np.abs(grads[True][1])


def check_extreme_logits_are_finite():
    w = np.array([0.0, 1000.0, 0.0])
    x = np.array([-5.0, 5.0])
    loss, cache = discriminator_loss_forward(w, x, x)
    dw, dx = discriminator_loss_backward(cache)
    assert np.isfinite(loss) and np.all(np.isfinite(dw)) and np.all(np.isfinite(dx))
    assert_close(loss, 0.5 * 5000 + 0.5 * 5000, rtol=1e-12, what="loss of a maximally wrong-and-right D")


def check_training_recovers_the_data_distribution():
    theta, w, history = train_gan(np.random.default_rng(4))
    a, b = np.abs(history[-300:, 0]).mean(), history[-300:, 1].mean()
    assert abs(b - 1.0) < 0.05 and abs(a - 0.5) < 0.05, (a, b)


def check_too_large_learning_rate_raises():
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            train_gan(np.random.default_rng(5), steps=500, lr_d=50.0, lr_g=50.0)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("learning rate 50 must be reported, not return NaN")


def plot_densities(history, mu_data=1.0, sd_data=0.5, snapshots=(0, 100, 300, 999)):
    """Figure for the page: data density, generator density and D(x) at a few steps (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-3, 4, 400)
    pdf = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (abs(s) * np.sqrt(2 * np.pi))
    fig, axes = plt.subplots(1, len(snapshots), figsize=(10, 2.8), sharey=True)
    for ax, t in zip(axes, snapshots):
        a, b, *w = history[t]
        ax.fill_between(x, pdf(mu_data, sd_data), color="C0", alpha=0.3, label="data")
        ax.plot(x, pdf(b, a), color="C1", label="generator")
        ax.plot(x, _sigmoid(features(x) @ np.array(w)), color="k", ls="--", label="D(x)")
        ax.set_title(f"step {t + 1}", fontsize=9)
        ax.set_xlabel("x")
    axes[0].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.set_label(
        "Four snapshots of a 1-D GAN. The generator's density starts as N(0, 1), wider than and "
        "left of the data N(1, 0.5^2); it overshoots to a too-narrow peak, widens again and ends "
        "on top of the data density, while the discriminator's D(x) flattens towards 1/2."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    x = np.linspace(-10, 14, 24001)
    pdf = lambda m, s: np.exp(-0.5 * ((x - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    p_data = pdf(1.0, 0.5)
    for mg, sg in [(0.0, 1.0), (0.5, 0.5), (1.0, 0.5)]:
        v = gan_value(optimal_discriminator_logit(x, 1.0, 0.5, mg, sg), x, p_data, pdf(mg, sg))
        print(f"G = N({mg}, {sg}^2): V(D*, G) = {v:.4f}, JSD = {(v + np.log(4)) / 2:.4f} nats  (-log 4 = {-np.log(4):.4f})")
    theta, w, history = train_gan(np.random.default_rng(4))
    for t in (0, 100, 300, 999):
        a, b, *_ = history[t]
        print(f"step {t + 1:>4}: generator N({b:.3f}, {abs(a):.3f}^2)")
    print("data       N(1.000, 0.500^2)")
    print(f"final D(x) at x = 0, 1, 2: {_sigmoid(features(np.array([0.0, 1.0, 2.0])) @ w)}")
    plot_densities(history)
