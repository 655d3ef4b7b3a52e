"""A variational autoencoder (VAE) with a Gaussian encoder and decoder, trained on the ELBO.

Generative model: ``z ~ N(0, I_k)``, ``x | z ~ N(z @ W_dec + b_dec, sigma^2 I_D)``.
Encoder (inference network): ``q(z | x) = N(mu(x), diag(exp(logvar(x))))`` with
``mu = x @ W_mu + b_mu`` and ``logvar = x @ W_lv + b_lv``. Real VAEs put neural networks in place
of these affine maps; keeping them affine makes the model probabilistic PCA, whose exact
log-likelihood ``log p(x)`` is known, so the checks can show the ELBO is a lower bound that is tight
exactly when ``q`` is the true posterior.

The loss is the negative ELBO averaged over the batch, one reparameterised sample per example,

    loss = mean_n [ ||x - x_hat||^2 / (2 sigma^2) + D/2 log(2 pi sigma^2) + KL(q(z|x) || N(0, I)) ],
    KL = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)),

the closed-form Gaussian KL of Kingma & Welling (2013), appendix B, written as in PyTorch's
``examples/vae`` (``-0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())``), with a Gaussian
instead of a Bernoulli decoder. Parameters reuse :func:`snippets.autoencoder.init_autoencoder`
(``W_enc, b_enc`` become ``W_mu, b_mu``) plus a log-variance head.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

from snippets.autoencoder import init_autoencoder, make_correlated_data
from snippets.kl_divergence import kl_normal

__all__ = [
    "init_vae",
    "gaussian_kl_standard_normal",
    "vae_loss_forward",
    "vae_loss_backward",
    "elbo_exact",
    "log_marginal_likelihood",
    "true_posterior_encoder",
    "train_vae",
    "sample_vae",
]

PARAM_NAMES = ("W_mu", "b_mu", "W_lv", "b_lv", "W_dec", "b_dec")


def init_vae(n_features, latent_dim, rng, scale=0.1):
    """Small random weights; the log-variance head starts at zero (unit variance).

    Stands in for building the encoder and decoder ``torch.nn.Linear`` layers of PyTorch's ``examples/vae``
    (small Gaussian weights here instead of ``nn.Linear``'s default uniform initialisation).

    Parameters
    ----------
    n_features, latent_dim : int
        D and k.
    rng : numpy.random.Generator

    Returns
    -------
    params : dict
        ``W_mu`` (D, k), ``b_mu`` (k,), ``W_lv`` (D, k), ``b_lv`` (k,), ``W_dec`` (k, D), ``b_dec`` (D,).
    """
    ae = init_autoencoder(n_features, latent_dim, rng, scale)
    return {
        "W_mu": ae["W_enc"],
        "b_mu": ae["b_enc"],
        "W_lv": np.zeros((n_features, latent_dim)),
        "b_lv": np.zeros(latent_dim),
        "W_dec": ae["W_dec"],
        "b_dec": ae["b_dec"],
    }


def gaussian_kl_standard_normal(mu, logvar):
    """KL(N(mu, diag(exp(logvar))) || N(0, I)) per row, in closed form.

    ``-0.5 * sum(1 + logvar - mu^2 - exp(logvar))``, as in the PyTorch VAE example. Working with the
    log-variance keeps the variance positive without constraints.

    Parameters
    ----------
    mu, logvar : ndarray of shape (N, k)

    Returns
    -------
    kl : ndarray of shape (N,)
        Non-negative; zero only for ``mu = 0, logvar = 0``.
    """
    return -0.5 * np.sum(1.0 + logvar - mu**2 - np.exp(logvar), axis=-1)


def vae_loss_forward(params, X, eps, sigma=1.0):
    """Negative ELBO (mean over the batch) with one reparameterised sample ``z = mu + exp(logvar/2) eps``.

    The ``loss_function`` of PyTorch's ``examples/vae`` with a Gaussian decoder (``torch.randn_like`` noise passed in as ``eps``).

    Parameters
    ----------
    params : dict
        As returned by :func:`init_vae`.
    X : ndarray of shape (N, D)
    eps : ndarray of shape (N, k)
        Standard normal noise; passing it in makes the loss a deterministic function of the parameters.
    sigma : float
        Standard deviation of the decoder's Gaussian.

    Returns
    -------
    loss : float
        ``mean(reconstruction + KL)``, in nats per example.
    cache : tuple
    """
    mu = X @ params["W_mu"] + params["b_mu"]
    logvar = X @ params["W_lv"] + params["b_lv"]
    std = np.exp(0.5 * logvar)
    z = mu + std * eps
    x_hat = z @ params["W_dec"] + params["b_dec"]
    D = X.shape[1]
    rec = np.sum((X - x_hat) ** 2, axis=1) / (2 * sigma**2) + 0.5 * D * np.log(2 * np.pi * sigma**2)
    kl = gaussian_kl_standard_normal(mu, logvar)
    loss = float(np.mean(rec + kl))
    return loss, (params, X, eps, sigma, mu, logvar, std, z, x_hat)


def vae_loss_backward(cache):
    """Gradients of :func:`vae_loss_forward` with respect to every parameter.

    What autograd computes for :func:`vae_loss_forward`, with ``eps`` held fixed.

    Parameters
    ----------
    cache : tuple

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    """
    params, X, eps, sigma, mu, logvar, std, z, x_hat = cache
    N = X.shape[0]
    dx_hat = (x_hat - X) / (sigma**2 * N)
    dz = dx_hat @ params["W_dec"].T
    dmu = dz + mu / N
    dlogvar = dz * eps * 0.5 * std + 0.5 * (np.exp(logvar) - 1.0) / N
    return {
        "W_mu": X.T @ dmu,
        "b_mu": dmu.sum(axis=0),
        "W_lv": X.T @ dlogvar,
        "b_lv": dlogvar.sum(axis=0),
        "W_dec": z.T @ dx_hat,
        "b_dec": dx_hat.sum(axis=0),
    }


def elbo_exact(params, X, sigma=1.0):
    """The ELBO per example with the expectation over ``q`` done in closed form (linear decoder only).

    The quantity that ``torch.distributions.kl_divergence`` plus an analytic expected log-likelihood would give.

    ``E_q ||x - z W - b||^2 = ||x - mu W - b||^2 + sum_j exp(logvar_j) ||W_j||^2``.

    Parameters
    ----------
    params : dict
    X : ndarray of shape (N, D)
    sigma : float

    Returns
    -------
    elbo : ndarray of shape (N,)
    """
    mu = X @ params["W_mu"] + params["b_mu"]
    var = np.exp(X @ params["W_lv"] + params["b_lv"])
    W = params["W_dec"]
    sq = np.sum((X - mu @ W - params["b_dec"]) ** 2, axis=1) + var @ np.sum(W**2, axis=1)
    D = X.shape[1]
    rec = sq / (2 * sigma**2) + 0.5 * D * np.log(2 * np.pi * sigma**2)
    return -(rec + gaussian_kl_standard_normal(mu, np.log(var)))


def log_marginal_likelihood(params, X, sigma=1.0):
    """Exact ``log p(x) = log N(x; b_dec, W_dec^T W_dec + sigma^2 I)`` of the linear-Gaussian model.

    Like ``scipy.stats.multivariate_normal(mean, cov).logpdf(X)``.

    Parameters
    ----------
    params : dict
    X : ndarray of shape (N, D)
    sigma : float

    Returns
    -------
    logp : ndarray of shape (N,)
    """
    W = params["W_dec"]
    D = X.shape[1]
    cov = W.T @ W + sigma**2 * np.eye(D)
    L = np.linalg.cholesky(cov)
    r = np.linalg.solve(L, (X - params["b_dec"]).T)
    return -0.5 * np.sum(r**2, axis=0) - np.sum(np.log(np.diag(L))) - 0.5 * D * np.log(2 * np.pi)


def true_posterior_encoder(params, sigma=1.0):
    """Encoder parameters that make ``q(z | x)`` the exact posterior ``p(z | x)``.

    The posterior of probabilistic PCA (Tipping & Bishop, 1999). Its mean is what
    ``sklearn.decomposition.FactorAnalysis.transform`` returns for the diagonal-noise variant
    (factor analysis); ``sklearn.decomposition.PCA.score`` gives the matching ``log p(x)``.

    The posterior is ``N(S W (x - b) / sigma^2, S)`` with ``S = (I + W W^T / sigma^2)^{-1}``. It is
    representable by a diagonal Gaussian only when ``S`` is diagonal, i.e. when the rows of ``W_dec``
    are orthogonal; otherwise this returns the nearest diagonal version.

    Parameters
    ----------
    params : dict
    sigma : float

    Returns
    -------
    params : dict
        A copy with ``W_mu, b_mu, W_lv, b_lv`` replaced.
    """
    W, b = params["W_dec"], params["b_dec"]
    S = np.linalg.inv(np.eye(W.shape[0]) + W @ W.T / sigma**2)
    W_mu = W.T @ S / sigma**2
    out = dict(params)
    out.update(W_mu=W_mu, b_mu=-b @ W_mu, W_lv=np.zeros_like(W_mu), b_lv=np.log(np.diag(S)))
    return out


def train_vae(X, latent_dim, rng, sigma=1.0, lr=0.02, steps=2000):
    """Full-batch stochastic gradient descent on the negative ELBO (fresh noise every step).

    The training loop of PyTorch's ``examples/vae`` (``loss.backward()``, ``optimizer.step()``), with
    full-batch ``torch.optim.SGD`` instead of Adam and a Gaussian decoder.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    latent_dim : int
    rng : numpy.random.Generator
        For the initial weights and the noise.
    sigma : float
        Decoder standard deviation (fixed, not learned).
    lr : float
        Learning rate. The curvature of the loss grows like (data variance) / sigma^2, so a smaller
        sigma or wider data need a smaller step; 0.02 suits ``sigma = 0.5`` and variances up to about 4.
    steps : int

    Returns
    -------
    params : dict
        For the raw (uncentred) ``X``.
    history : ndarray of shape (steps,)
        The single-sample loss at every step.

    Raises
    ------
    ValueError
        If the loss becomes non-finite (learning rate too large for the data's scale).
    """
    # Centre the data, as train_linear_autoencoder does: a large mean makes the loss badly conditioned.
    mean = X.mean(axis=0)
    Xc = X - mean
    params = init_vae(X.shape[1], latent_dim, rng)
    history = np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):  # a blow-up is reported below, not warned about
        for t in range(steps):
            loss, cache = vae_loss_forward(params, Xc, rng.standard_normal((X.shape[0], latent_dim)), sigma)
            if not np.isfinite(loss):
                raise ValueError(f"loss became {loss} at step {t}; lower lr (now {lr}) or rescale X")
            history[t] = loss
            grads = vae_loss_backward(cache)
            params = {name: params[name] - lr * grads[name] for name in PARAM_NAMES}
    # Fold the mean back in so the parameters act on the raw X: (X - m) @ W + b == X @ W + (b - m @ W).
    params["b_mu"] = params["b_mu"] - mean @ params["W_mu"]
    params["b_lv"] = params["b_lv"] - mean @ params["W_lv"]
    params["b_dec"] = params["b_dec"] + mean
    return params, history


def sample_vae(params, n, rng, sigma=1.0):
    """Draw new data: ``z ~ N(0, I)``, then ``x ~ N(z W_dec + b_dec, sigma^2 I)``.

    Like the sampling step of PyTorch's ``examples/vae`` (``torch.randn`` codes through ``model.decode``),
    plus the decoder's own Gaussian noise.

    Parameters
    ----------
    params : dict
    n : int
    rng : numpy.random.Generator
    sigma : float

    Returns
    -------
    X : ndarray of shape (n, D)
    """
    z = rng.standard_normal((n, params["W_dec"].shape[0]))
    x_mean = z @ params["W_dec"] + params["b_dec"]
    return x_mean + sigma * rng.standard_normal(x_mean.shape)


# ---------------------------------------------------------------- checks


def _random_params(rng, D=3, k=2):
    p = init_vae(D, k, rng, scale=0.7)
    p = {name: v + 0.3 * rng.normal(size=v.shape) for name, v in p.items()}
    return p


def check_closed_form_kl_matches_univariate_formula_and_monte_carlo():
    rng = np.random.default_rng(0)
    mu, logvar = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    kl = gaussian_kl_standard_normal(mu, logvar)
    assert_close(kl, kl_normal(mu, np.exp(0.5 * logvar), 0.0, 1.0).sum(axis=1), rtol=1e-12, what="vs kl_normal")
    # Monte Carlo: E_q[log q(z) - log p(z)].
    z = mu[0] + np.exp(0.5 * logvar[0]) * rng.standard_normal((200_000, 3))
    log_q = -0.5 * np.sum((z - mu[0]) ** 2 / np.exp(logvar[0]) + logvar[0], axis=1)
    log_p = -0.5 * np.sum(z**2, axis=1)
    assert abs(np.mean(log_q - log_p) - kl[0]) < 0.02
    assert gaussian_kl_standard_normal(np.zeros((1, 3)), np.zeros((1, 3)))[0] == 0.0
    # Extreme log-variances stay finite (and large: a collapsed or exploded posterior is penalised).
    assert np.all(np.isfinite(gaussian_kl_standard_normal(np.zeros((2, 1)), np.array([[-50.0], [30.0]]))))


def check_backward_gradient():
    rng = np.random.default_rng(1)
    params, X = _random_params(rng), rng.normal(size=(5, 3))
    eps = rng.standard_normal((5, 2))
    _, cache = vae_loss_forward(params, X, eps, sigma=0.8)
    grads = vae_loss_backward(cache)
    for name in PARAM_NAMES:

        def f(v, name=name):
            return vae_loss_forward({**params, name: v}, X, eps, sigma=0.8)[0]

        assert_gradient_close(grads[name], numerical_gradient(f, params[name].copy()), tol=1e-7, what=name)


def check_single_sample_loss_is_unbiased_for_the_exact_elbo():
    rng = np.random.default_rng(2)
    params, X = _random_params(rng), rng.normal(size=(1, 3))  # a batch of one
    losses = [vae_loss_forward(params, X, rng.standard_normal((1, 2)))[0] for _ in range(20_000)]
    assert abs(np.mean(losses) + elbo_exact(params, X)[0]) < 4 * np.std(losses) / np.sqrt(len(losses))


def check_elbo_is_a_lower_bound_tight_at_the_true_posterior():
    rng = np.random.default_rng(3)
    params, X = _random_params(rng), rng.normal(size=(6, 3))
    logp = log_marginal_likelihood(params, X)
    assert np.all(elbo_exact(params, X) < logp)  # any encoder: strictly below
    # Orthogonal decoder rows make the exact posterior diagonal, so q can equal it: ELBO = log p(x).
    Q = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    params["W_dec"] = np.array([[1.5], [0.6]]) * Q[:2]
    exact = true_posterior_encoder(params)
    assert_close(elbo_exact(exact, X), logp_exact := log_marginal_likelihood(exact, X), rtol=1e-10, what="tight ELBO")
    assert np.all(elbo_exact(params, X) < logp_exact)


def check_training_reaches_the_maximum_likelihood_of_probabilistic_pca():
    rng = np.random.default_rng(4)
    X = make_correlated_data(rng, n=200, stds=(2.0, 0.5))
    params, history = train_vae(X, 1, rng, sigma=0.5, lr=0.02, steps=3000)
    assert np.all(np.isfinite(history))
    # Closed-form maximum likelihood for fixed sigma (Tipping & Bishop): W = sqrt(lambda_1 - sigma^2) u_1.
    lam, U = np.linalg.eigh(np.cov(X.T, bias=True))
    best = {"W_dec": np.sqrt(lam[-1] - 0.25) * U[:, -1][None], "b_dec": X.mean(axis=0)}
    ll_best = log_marginal_likelihood(best, X, 0.5).mean()
    ll = log_marginal_likelihood(params, X, 0.5).mean()
    elbo = elbo_exact(params, X, 0.5).mean()
    assert elbo <= ll <= ll_best + 1e-9 and ll_best - ll < 0.01 and ll - elbo < 0.01


def check_diverging_learning_rate_raises():
    rng = np.random.default_rng(5)
    X = make_correlated_data(rng, n=50, stds=(2.0, 0.5))
    try:
        train_vae(X, 1, rng, sigma=0.1, lr=5.0, steps=200)
    except ValueError as e:
        assert "lower lr" in str(e)
    else:
        raise AssertionError("a learning rate of 5 with sigma 0.1 must be reported, not return NaN")


def plot_training(history, exact_nll):
    """Figure for the page: the single-sample negative ELBO during training (needs matplotlib)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.plot(history, lw=0.6, color="0.6", label="negative ELBO, one sample per example")
    smooth = np.convolve(history, np.ones(50) / 50, mode="valid")
    ax.plot(np.arange(49, len(history)), smooth, color="C0", label="moving average (50 steps)")
    ax.axhline(exact_nll, color="C3", ls="--", label="exact -log p(x) of the trained model")
    ax.set_ylim(exact_nll - 0.3, exact_nll + 3)
    ax.set_xlabel("gradient step")
    ax.set_ylabel("nats per example")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.set_label(
        "The negative ELBO of a linear VAE falls during training and levels off just above the "
        "dashed line of the exact negative log-likelihood, which it never crosses on average."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    print("KL(N(mu, e^logvar) || N(0, 1)):")
    for mu, lv in [(0.0, 0.0), (1.0, 0.0), (0.0, np.log(4.0)), (2.0, np.log(0.25))]:
        print(
            f"  mu = {mu:.1f}, sigma^2 = {np.exp(lv):.2f}: {gaussian_kl_standard_normal(np.array([[mu]]), np.array([[lv]]))[0] + 0.0:.4f}"
        )
    rng = np.random.default_rng(4)
    X = make_correlated_data(rng, n=200, stds=(2.0, 0.5))
    params, history = train_vae(X, 1, rng, sigma=0.5, lr=0.02, steps=3000)
    ll = log_marginal_likelihood(params, X, 0.5).mean()
    elbo = elbo_exact(params, X, 0.5).mean()
    print("200 points in 2-D, latent dimension 1, decoder sigma 0.5, 3000 steps")
    print(f"  loss at step 0: {history[0]:.3f}, mean of last 100 steps: {history[-100:].mean():.3f}")
    print(f"  ELBO {elbo:.4f} <= log p(x) {ll:.4f} (gap {ll - elbo:.4f} nats per example)")
    w = params["W_dec"][0] / np.linalg.norm(params["W_dec"][0])
    u = np.linalg.eigh(np.cov(X.T))[1][:, -1]
    print(f"  |cos| between decoder direction and top principal axis: {abs(w @ u):.6f}")
    print("  three new samples:\n", sample_vae(params, 3, np.random.default_rng(7), 0.5))
    plot_training(history, -ll)
