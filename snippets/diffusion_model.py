"""A denoising diffusion probabilistic model (DDPM) in one dimension, with the exact noise predictor.

Forward process (fixed): ``q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t)``, so that

    x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps,    eps ~ N(0, 1),   alpha_bar_t = prod_{s<=t} alpha_s.

Reverse process (learned): a network ``eps_hat(x_t, t)`` predicts the noise, and each sampling step
draws ``x_{t-1}`` from the Gaussian posterior ``q(x_{t-1} | x_t, x_0)`` with ``x_0`` replaced by its
prediction. Schedule and step follow Hugging Face diffusers' ``DDPMScheduler`` with its defaults
``num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear"``,
``variance_type="fixed_small"``, ``prediction_type="epsilon"``, but ``clip_sample=False`` (diffusers
clips the predicted x_0 to [-1, 1] by default, which suits images scaled to that range). Timesteps are
0-based as in diffusers: ``t = 0`` is the first noising step.

For data from a Gaussian mixture the marginal ``q(x_t)`` is again a Gaussian mixture, so the ideal
predictor, ``eps_hat = -sqrt(1 - alpha_bar_t) d/dx log q(x_t)``, is known in closed form: it stands in
for the trained network, and the checks can test the sampler and the theory without training one.
"""

import numpy as np
from termbook.checks import assert_close

__all__ = [
    "ddpm_schedule",
    "add_noise",
    "ddpm_step",
    "mixture_marginal_logpdf",
    "mixture_eps",
    "sample",
]


def ddpm_schedule(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02):
    """The linear beta schedule of DDPM (Ho et al., 2020) and diffusers' ``DDPMScheduler``.

    Parameters
    ----------
    num_train_timesteps : int
        T.
    beta_start, beta_end : float
        Noise variance added at the first and the last step.

    Returns
    -------
    schedule : dict
        ``betas``, ``alphas = 1 - betas`` and ``alphas_cumprod`` (alpha_bar), each of shape (T,).
    """
    betas = np.linspace(beta_start, beta_end, num_train_timesteps, dtype=np.float64)
    alphas = 1.0 - betas
    return {"betas": betas, "alphas": alphas, "alphas_cumprod": np.cumprod(alphas)}


def add_noise(x0, noise, t, schedule):
    """Jump straight to step ``t``: ``sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise``.

    Same as diffusers' ``DDPMScheduler.add_noise(original_samples, noise, timesteps)``.

    Parameters
    ----------
    x0 : ndarray of shape (N,)
    noise : ndarray of shape (N,)
    t : int or ndarray of shape (N,)
        0-based timesteps.
    schedule : dict

    Returns
    -------
    x_t : ndarray of shape (N,)
    """
    ab = schedule["alphas_cumprod"][t]
    return np.sqrt(ab) * x0 + np.sqrt(1.0 - ab) * noise


def ddpm_step(eps_pred, t, x_t, schedule, noise):
    """One reverse step ``x_t -> x_{t-1}``, as ``DDPMScheduler.step`` (epsilon prediction, fixed_small).

    diffusers' ``DDPMScheduler.step(model_output, timestep, sample).prev_sample`` with ``clip_sample=False``.

    ``x0_hat = (x_t - sqrt(1 - ab_t) eps_pred) / sqrt(ab_t)``; the mean is
    ``sqrt(ab_prev) beta_t / (1 - ab_t) * x0_hat + sqrt(alpha_t) (1 - ab_prev) / (1 - ab_t) * x_t``
    and the variance ``(1 - ab_prev) / (1 - ab_t) * beta_t`` (no noise is added at ``t = 0``).

    Parameters
    ----------
    eps_pred : ndarray of shape (N,)
        The model's noise prediction at ``(x_t, t)``.
    t : int
        0-based timestep.
    x_t : ndarray of shape (N,)
    schedule : dict
    noise : ndarray of shape (N,)
        Standard normal noise for the step.

    Returns
    -------
    x_prev : ndarray of shape (N,)
    x0_hat : ndarray of shape (N,)
        The predicted clean sample.
    """
    ab_t = schedule["alphas_cumprod"][t]
    ab_prev = schedule["alphas_cumprod"][t - 1] if t > 0 else 1.0
    beta_t = 1.0 - ab_t / ab_prev  # equals betas[t]; written as diffusers does
    x0_hat = (x_t - np.sqrt(1.0 - ab_t) * eps_pred) / np.sqrt(ab_t)
    mean = (np.sqrt(ab_prev) * beta_t / (1.0 - ab_t)) * x0_hat + (np.sqrt(1.0 - beta_t) * (1.0 - ab_prev) / (1.0 - ab_t)) * x_t
    if t == 0:
        return mean, x0_hat
    variance = max((1.0 - ab_prev) / (1.0 - ab_t) * beta_t, 1e-20)
    return mean + np.sqrt(variance) * noise, x0_hat


def _mixture_components(t, weights, means, stds, schedule):
    ab = schedule["alphas_cumprod"][t] if t >= 0 else 1.0
    m = np.sqrt(ab) * np.asarray(means, dtype=np.float64)
    v = ab * np.asarray(stds, dtype=np.float64) ** 2 + (1.0 - ab)
    return np.log(np.asarray(weights, dtype=np.float64)), m, v


def mixture_marginal_logpdf(x, t, weights, means, stds, schedule):
    """``log q(x_t)`` when the data are the 1-D mixture ``sum_k w_k N(means_k, stds_k^2)``.

    Like ``scipy.special.logsumexp`` over ``scipy.stats.norm.logpdf`` components.

    Each component is scaled by ``sqrt(alpha_bar_t)`` and gains variance ``1 - alpha_bar_t``.

    Parameters
    ----------
    x : ndarray of shape (N,)
    t : int
        0-based timestep, or -1 for the data distribution itself.
    weights, means, stds : sequence of float, length K
    schedule : dict

    Returns
    -------
    logp : ndarray of shape (N,)
    """
    logw, m, v = _mixture_components(t, weights, means, stds, schedule)
    comp = logw - 0.5 * (x[:, None] - m) ** 2 / v - 0.5 * np.log(2 * np.pi * v)
    top = comp.max(axis=1, keepdims=True)
    return (top + np.log(np.exp(comp - top).sum(axis=1, keepdims=True)))[:, 0]


def mixture_eps(x_t, t, weights, means, stds, schedule):
    """The ideal noise prediction ``E[eps | x_t] = -sqrt(1 - alpha_bar_t) * d/dx log q(x_t)``.

    Stands in for the UNet of diffusers' ``DDPMPipeline``.

    This is what a network trained on the DDPM loss converges to with enough data and capacity.
    Responsibilities are computed with log-sum-exp, so far-out ``x_t`` give no overflow.

    Parameters
    ----------
    x_t : ndarray of shape (N,)
    t : int
    weights, means, stds : sequence of float, length K
    schedule : dict

    Returns
    -------
    eps_hat : ndarray of shape (N,)
    """
    logw, m, v = _mixture_components(t, weights, means, stds, schedule)
    comp = logw - 0.5 * (x_t[:, None] - m) ** 2 / v - 0.5 * np.log(v)
    r = np.exp(comp - comp.max(axis=1, keepdims=True))
    r /= r.sum(axis=1, keepdims=True)
    score = np.sum(r * -(x_t[:, None] - m) / v, axis=1)
    return -np.sqrt(1.0 - schedule["alphas_cumprod"][t]) * score


def sample(eps_fn, n, rng, schedule):
    """Ancestral sampling: start from ``x_T ~ N(0, 1)`` and apply :func:`ddpm_step` for t = T-1, ..., 0.

    What diffusers' ``DDPMPipeline.__call__`` does: loop over ``scheduler.timesteps`` from T-1 down to 0,
    ``scheduler.step(model_output, t, x).prev_sample`` each time.

    Parameters
    ----------
    eps_fn : callable
        ``eps_fn(x_t, t) -> ndarray of shape (n,)``.
    n : int
    rng : numpy.random.Generator
    schedule : dict

    Returns
    -------
    x0 : ndarray of shape (n,)

    Raises
    ------
    ValueError
        If the samples become non-finite (a broken noise predictor), naming the step.
    """
    x = rng.standard_normal(n)
    for t in range(len(schedule["betas"]) - 1, -1, -1):
        x, _ = ddpm_step(eps_fn(x, t), t, x, schedule, rng.standard_normal(n))
        if not np.all(np.isfinite(x)):
            raise ValueError(f"sampling produced non-finite values at timestep {t}; check the noise predictor")
    return x


# ---------------------------------------------------------------- checks

MIX = dict(weights=[0.3, 0.7], means=[-2.0, 1.5], stds=[0.3, 0.5])


def check_schedule_matches_diffusers_defaults():
    s = ddpm_schedule()
    assert s["betas"].shape == (1000,) and s["betas"][0] == 1e-4 and abs(s["betas"][-1] - 0.02) < 1e-15
    ab = s["alphas_cumprod"]
    assert np.all(np.diff(ab) < 0)
    assert 4.0e-5 < ab[-1] < 4.1e-5  # at t = T the signal is almost gone: sqrt(ab) ~ 0.0064


def check_closed_form_jump_equals_composing_single_steps():
    # Mean and variance of x_t given x_0 = 1, stepping x_t = sqrt(alpha_t) x_{t-1} + sqrt(beta_t) eps.
    s = ddpm_schedule()
    mean, var = 1.0, 0.0
    for t in range(1000):
        mean, var = np.sqrt(s["alphas"][t]) * mean, s["alphas"][t] * var + s["betas"][t]
        if t in (0, 9, 499, 999):
            assert_close(mean, np.sqrt(s["alphas_cumprod"][t]), rtol=1e-12, what=f"mean at t={t}")
            assert_close(var, 1 - s["alphas_cumprod"][t], rtol=1e-12, what=f"variance at t={t}")


def check_step_is_the_gaussian_posterior_given_the_true_noise():
    # With eps_pred equal to the noise actually added, x0_hat = x0, and the step's mean and variance
    # are those of q(x_{t-1} | x_t, x0), which Bayes' rule gives for two Gaussians.
    s = ddpm_schedule()
    rng = np.random.default_rng(0)
    x0, eps = rng.normal(size=5), rng.normal(size=5)
    for t in (1, 10, 500, 999):
        x_t = add_noise(x0, eps, t, s)
        mean, x0_hat = ddpm_step(eps, t, x_t, s, np.zeros(5))
        assert_close(x0_hat, x0, rtol=1e-9, what="x0_hat")
        ab_prev, a_t, b_t = s["alphas_cumprod"][t - 1], s["alphas"][t], s["betas"][t]
        post_var = 1.0 / (1.0 / (1.0 - ab_prev) + a_t / b_t)
        post_mean = post_var * (np.sqrt(ab_prev) * x0 / (1.0 - ab_prev) + np.sqrt(a_t) * x_t / b_t)
        assert_close(mean, post_mean, rtol=1e-9, what=f"posterior mean at t={t}")
        one = ddpm_step(eps, t, x_t, s, np.ones(5))[0]
        assert_close((one - mean) ** 2, np.full(5, post_var), rtol=1e-9, what="posterior variance")


def check_mixture_eps_is_minus_scaled_score_and_minimises_the_loss():
    s = ddpm_schedule()
    x, t = np.linspace(-4, 4, 9), 200
    h = 1e-5
    num_score = (mixture_marginal_logpdf(x + h, t, **MIX, schedule=s) - mixture_marginal_logpdf(x - h, t, **MIX, schedule=s)) / (2 * h)
    assert_close(mixture_eps(x, t, **MIX, schedule=s), -np.sqrt(1 - s["alphas_cumprod"][t]) * num_score, rtol=1e-6)
    # The DDPM loss E||eps - eps_hat(x_t)||^2 is smallest for the conditional mean E[eps | x_t].
    rng = np.random.default_rng(1)
    comp = rng.choice(2, size=100_000, p=MIX["weights"])
    x0 = np.array(MIX["means"])[comp] + np.array(MIX["stds"])[comp] * rng.standard_normal(100_000)
    eps = rng.standard_normal(100_000)
    x_t = add_noise(x0, eps, t, s)
    best = np.mean((eps - mixture_eps(x_t, t, **MIX, schedule=s)) ** 2)
    for other in (lambda z: 0.9 * mixture_eps(z, t, **MIX, schedule=s), lambda z: mixture_eps(z, t, **MIX, schedule=s) + 0.1):
        assert np.mean((eps - other(x_t)) ** 2) > best


def check_sampling_with_the_ideal_predictor_recovers_the_mixture():
    s = ddpm_schedule()
    x = sample(lambda z, t: mixture_eps(z, t, **MIX, schedule=s), 2000, np.random.default_rng(2), s)
    left, right = x[x < 0], x[x >= 0]
    assert abs(left.size / x.size - 0.3) < 0.03
    assert abs(left.mean() + 2.0) < 0.05 and abs(right.mean() - 1.5) < 0.05
    assert abs(left.std() - 0.3) < 0.05 and abs(right.std() - 0.5) < 0.05


def check_extremes_are_finite():
    s = ddpm_schedule()
    far = np.array([-1e3, 0.0, 1e3])
    for t in (0, 999):
        eps = mixture_eps(far, t, **MIX, schedule=s)
        x_prev, x0_hat = ddpm_step(eps, t, far, s, np.zeros(3))
        assert np.all(np.isfinite(eps)) and np.all(np.isfinite(x_prev)) and np.all(np.isfinite(x0_hat))
    one = sample(lambda z, t: mixture_eps(z, t, **MIX, schedule=s), 1, np.random.default_rng(3), s)
    assert one.shape == (1,) and np.isfinite(one[0])  # a batch of one
    try:  # a predictor that returns NaN is reported, not propagated silently
        sample(lambda z, t: np.full_like(z, np.nan), 2, np.random.default_rng(4), s)
    except ValueError as e:
        assert "non-finite" in str(e)
    else:
        raise AssertionError("NaN samples must raise")


def plot_diffusion(samples, schedule):
    """Figure for the page: the data density diffusing to N(0, 1), and generated samples (needs matplotlib)."""
    import matplotlib.pyplot as plt

    x = np.linspace(-5, 5, 500)
    fig, (ax_f, ax_r) = plt.subplots(1, 2, figsize=(10, 3.2))
    for t, shade in zip((-1, 99, 299, 599, 999), ("C0", "C1", "C2", "C4", "0.3")):
        label = "data (t = 0)" if t < 0 else f"q(x_t), t = {t + 1}"
        ax_f.plot(x, np.exp(mixture_marginal_logpdf(x, t, **MIX, schedule=schedule)), color=shade, label=label)
    ax_f.set_title("forward process: noise is added", fontsize=9)
    ax_f.legend(fontsize=7)
    ax_r.hist(samples, bins=60, range=(-5, 5), density=True, color="C1", alpha=0.5, label=f"{samples.size} DDPM samples")
    ax_r.plot(x, np.exp(mixture_marginal_logpdf(x, -1, **MIX, schedule=schedule)), color="C0", label="data density")
    ax_r.set_title("reverse process: 1000 denoising steps from N(0, 1)", fontsize=9)
    ax_r.legend(fontsize=7)
    for ax in (ax_f, ax_r):
        ax.set_xlabel("x")
    fig.tight_layout()
    fig.set_label(
        "Left: a two-peaked data density (weights 0.3 and 0.7 at -2 and 1.5) blurs and shrinks "
        "towards a standard normal as t goes from 0 to 1000. Right: a histogram of samples drawn "
        "by running the reverse process from pure noise matches the two-peaked data density."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    s = ddpm_schedule()
    ab = s["alphas_cumprod"]
    print("linear schedule, T = 1000, beta from 1e-4 to 0.02")
    for t in (0, 99, 499, 999):
        print(f"  t = {t + 1:>4}: alpha_bar = {ab[t]:.6f}, signal weight {np.sqrt(ab[t]):.4f}, noise weight {np.sqrt(1 - ab[t]):.4f}")
    x0, eps = np.array([1.5]), np.array([0.5])
    print(f"x0 = 1.5, eps = 0.5 -> x_500 = {add_noise(x0, eps, 499, s)[0]:.4f}")
    rng = np.random.default_rng(2)
    samples = sample(lambda z, t: mixture_eps(z, t, **MIX, schedule=s), 2000, rng, s)
    left = samples < 0
    print("data: 0.3 N(-2, 0.3^2) + 0.7 N(1.5, 0.5^2); 2000 samples from the reverse process:")
    print(f"  fraction below 0: {left.mean():.3f}")
    print(f"  left  peak: mean {samples[left].mean():.3f}, std {samples[left].std():.3f}")
    print(f"  right peak: mean {samples[~left].mean():.3f}, std {samples[~left].std():.3f}")
    plot_diffusion(samples, s)
