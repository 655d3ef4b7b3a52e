"""Mixed-precision training: compute in 16-bit floats, keep float32 master weights, scale the loss.

float16 rounding is NumPy's ``np.float16`` (IEEE 754 binary16, round to nearest even, overflow
to ``inf``), which is also what ``tensor.half()`` does. bfloat16, which NumPy lacks, is emulated by
rounding a float32's 23-bit mantissa to 7 bits (round to nearest even), as ``tensor.bfloat16()``
does. ``grad_scaler_update`` is the update rule of ``torch.amp.GradScaler`` (``update()``, via
``torch._amp_update_scale_``): defaults ``init_scale=2**16``, ``growth_factor=2.0``,
``backoff_factor=0.5``, ``growth_interval=2000``; a step whose gradients contain inf/NaN is
skipped and the scale multiplied by 0.5, and after 2000 consecutive clean steps it is doubled.
"""

import numpy as np

INIT_SCALE = 2.0**16


def to_fp16(x):
    """Round to float16, as ``tensor.half()``: values beyond 65504 (+ half an ulp) become inf.

    Parameters
    ----------
    x : ndarray of shape (...)

    Returns
    -------
    ndarray of shape (...), dtype float16
    """
    with np.errstate(over="ignore"):
        return np.asarray(x, dtype=np.float32).astype(np.float16)


def to_bfloat16(x):
    """Round to bfloat16 (8 exponent bits like float32, 8 significant bits), returned as float32.

    Round to nearest even on the 16 bits that are dropped, as ``tensor.to(torch.bfloat16)``.
    NaN is kept as NaN.

    Parameters
    ----------
    x : ndarray of shape (...)

    Returns
    -------
    ndarray of shape (...), dtype float32
        Values exactly representable in bfloat16.
    """
    f = np.asarray(x, dtype=np.float32)
    u = f.view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    out = rounded.astype(np.uint32).view(np.float32)
    return np.where(np.isnan(f), np.float32(np.nan), out)


def scale_and_cast_gradient(grad, scale):
    """Gradient as it comes out of a float16 backward pass of the loss multiplied by ``scale``.

    Mirrors ``scaler.scale(loss).backward()`` for values that flow through float16 layers.

    Parameters
    ----------
    grad : ndarray of shape (P,)
        The exact (float64) gradient.
    scale : float

    Returns
    -------
    grad16 : ndarray of shape (P,), dtype float16
        ``fp16(grad * scale)``; may contain 0 (underflow) or inf (overflow).
    found_inf : bool
        Whether any entry is inf or NaN (what ``GradScaler`` checks in ``unscale_``).
    """
    g16 = to_fp16(np.asarray(grad, dtype=np.float64) * scale)
    return g16, bool(not np.all(np.isfinite(g16)))


def unscale(grad16, scale):
    """``scaler.unscale_(optimizer)``: divide by the scale in float32.

    Parameters
    ----------
    grad16 : ndarray of shape (P,), dtype float16
    scale : float

    Returns
    -------
    ndarray of shape (P,), dtype float32
    """
    return grad16.astype(np.float32) / np.float32(scale)


def grad_scaler_update(scale, growth_tracker, found_inf, growth_factor=2.0, backoff_factor=0.5, growth_interval=2000):
    """One ``GradScaler.update()``, as ``torch._amp_update_scale_`` computes it.

    On inf/NaN: scale times ``backoff_factor`` and the count of clean steps reset to 0. Otherwise
    the count grows by one; when it reaches ``growth_interval`` the scale is multiplied by
    ``growth_factor`` (in float32, and not at all if that would give inf) and the count is reset.

    Parameters
    ----------
    scale : float
        Current loss scale.
    growth_tracker : int
        Consecutive steps without inf/NaN so far.
    found_inf : bool
        Whether this step's gradients overflowed (the optimiser step was then skipped).
    growth_factor, backoff_factor : float
    growth_interval : int

    Returns
    -------
    scale : float
    growth_tracker : int
    """
    if found_inf:
        return scale * backoff_factor, 0
    successful = growth_tracker + 1
    if successful == growth_interval:
        # The scale is a float32 tensor: growth is skipped if it would overflow float32 to inf.
        with np.errstate(over="ignore"):
            grown = np.float32(scale) * np.float32(growth_factor)
        return (float(grown) if np.isfinite(grown) else scale), 0
    return scale, successful


def simulate_loss_scale(grad_max, init_scale=INIT_SCALE, growth_interval=2000):
    """Run the dynamic loss-scale rule against a sequence of largest gradient magnitudes.

    Parameters
    ----------
    grad_max : ndarray of shape (T,)
        ``max |g|`` of the unscaled gradient at each step.
    init_scale : float
    growth_interval : int

    Returns
    -------
    scales : ndarray of shape (T,)
        Scale used at each step.
    skipped : ndarray of shape (T,), dtype bool
        Steps whose scaled gradient overflowed float16 and were skipped.
    """
    scale, tracker = init_scale, 0
    scales, skipped = np.empty(len(grad_max)), np.zeros(len(grad_max), dtype=bool)
    for t, m in enumerate(grad_max):
        scales[t] = scale
        _, skipped[t] = scale_and_cast_gradient(np.array([m]), scale)
        scale, tracker = grad_scaler_update(scale, tracker, skipped[t], growth_interval=growth_interval)
    return scales, skipped


def sgd_updates(w0, update, n_steps, master_fp32):
    """Add the same small update ``n_steps`` times, keeping the weight in float16 or in float32.

    Parameters
    ----------
    w0 : float
    update : float
    n_steps : int
    master_fp32 : bool
        True: float32 master weight (what AMP keeps); False: a float16 weight.

    Returns
    -------
    float
    """
    dtype = np.float32 if master_fp32 else np.float16
    w, u = dtype(w0), dtype(update)
    for _ in range(n_steps):
        w = dtype(w + u)
    return float(w)


def grad_max_schedule(n_steps=3000, seed=0):
    """Largest gradient magnitude per step for the demo: decaying, with occasional spikes.

    Returns
    -------
    ndarray of shape (n_steps,)
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps)
    spikes = np.where(rng.uniform(size=n_steps) < 0.002, 30.0, 1.0)
    return 4.0 * np.exp(-t / 700.0) * np.exp(0.2 * rng.normal(size=n_steps)) * spikes


# ---------------------------------------------------------------- checks


def check_float16_limits():
    f = np.finfo(np.float16)
    assert f.max == 65504 and f.eps == 2.0**-10 and f.tiny == 2.0**-14 and f.smallest_subnormal == 2.0**-24
    assert to_fp16(65519.0) == 65504 and np.isinf(to_fp16(65520.0))  # halfway rounds to even: inf
    assert to_fp16(2.0**-25) == 0 and to_fp16(3 * 2.0**-26) == 2.0**-24  # underflow at half the subnormal
    rng = np.random.default_rng(0)
    x = rng.uniform(-1e4, 1e4, size=10000)
    x = x[np.abs(x) > 2.0**-14]
    assert np.max(np.abs(to_fp16(x) - x) / np.abs(x)) <= 2.0**-11  # unit roundoff of normal numbers


def check_bfloat16_emulation():
    assert to_bfloat16(np.float32(1.0 + 2.0**-8)) == 1.0  # a tie: round to even
    assert to_bfloat16(np.float32(1.0 + 3 * 2.0**-9)) == 1.0 + 2.0**-7
    assert to_bfloat16(np.float32(1e-30)) != 0 and to_fp16(1e-30) == 0  # float32's range
    assert np.isnan(to_bfloat16(np.float32(np.nan))) and np.isinf(to_bfloat16(np.float32(np.inf)))
    bf16_max = (2 - 2.0**-7) * 2.0**127
    assert to_bfloat16(np.float32(bf16_max)) == np.float32(bf16_max)
    assert np.isinf(to_bfloat16(np.finfo(np.float32).max))  # above the midpoint to 2^128: overflows
    rng = np.random.default_rng(1)
    x = rng.uniform(0.5, 2.0, size=1000).astype(np.float32)
    assert np.max(np.abs(to_bfloat16(x) - x) / x) <= 2.0**-8


def check_loss_scaling_rescues_small_gradients():
    g = np.array([1e-8, 3e-6, 2e-3, 0.5])
    plain, _ = scale_and_cast_gradient(g, 1.0)
    assert plain[0] == 0  # 1e-8 underflows float16
    scaled, inf = scale_and_cast_gradient(g, INIT_SCALE)
    back = unscale(scaled, INIT_SCALE)
    assert not inf and np.all(np.abs(back - g) / g < 2.0**-10)
    _, inf = scale_and_cast_gradient(np.array([2.0]), INIT_SCALE)  # 2 * 65536 > 65504
    assert inf


def check_grad_scaler_update_rule():
    s, k = grad_scaler_update(INIT_SCALE, 0, True)
    assert (s, k) == (32768.0, 0)
    for _ in range(1999):
        s, k = grad_scaler_update(s, k, False)
    assert (s, k) == (32768.0, 1999)
    assert grad_scaler_update(s, k, False) == (65536.0, 0)  # the 2000th clean step doubles it
    assert grad_scaler_update(s, k, True) == (16384.0, 0)  # an overflow resets the count
    assert grad_scaler_update(2.0**127, 1999, False) == (2.0**127, 0)  # 2^128 overflows float32: kept


def check_dynamic_scale_settles_below_overflow():
    gm = grad_max_schedule()
    scales, skipped = simulate_loss_scale(gm, growth_interval=200)
    assert skipped[0] and skipped.mean() < 0.02  # a few skipped steps, mostly at the start and on spikes
    clean = ~skipped
    assert np.all(gm[clean] * scales[clean] <= 65504 + 16)
    assert scales[-1] > scales[10]  # the scale grows as the gradients shrink


def check_master_weights_keep_small_updates():
    # 1 + 1e-4 rounds back to 1 in float16 (half an ulp at 1 is 2^-11 = 4.9e-4).
    assert sgd_updates(1.0, 1e-4, 1000, master_fp32=False) == 1.0
    assert abs(sgd_updates(1.0, 1e-4, 1000, master_fp32=True) - 1.1) < 1e-4


def check_float32_accumulation():
    # A float16 running sum stalls at 32: there, half an ulp (2^-6) exceeds the increment 0.01.
    x = np.full(10000, 0.01, dtype=np.float16)
    assert np.cumsum(x, dtype=np.float16)[-1] == 32.0
    assert abs(np.cumsum(x, dtype=np.float32)[-1] - 100.0) < 0.05


def plot_loss_scale(scales, skipped):
    """Figure for the page: the dynamic loss scale over the steps, overflow steps marked."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 3.5))
    t = np.arange(len(scales))
    ax.semilogy(t, scales, base=2, drawstyle="steps-post", label="loss scale")
    ax.plot(t[skipped], scales[skipped], "rv", ms=6, label="overflow: step skipped, scale halved")
    ax.set_xlabel("training step")
    ax.set_ylabel("loss scale (log 2)")
    ax.legend(loc="upper left")
    fig.set_label(
        "Staircase plot of the dynamic loss scale over 3000 steps on a log-2 axis. It starts at 2^16, "
        "drops in the first steps because the scaled gradients overflow, then climbs one doubling "
        "every 200 clean steps as the gradients shrink, falling back by half at each red marker "
        "where a gradient spike overflowed."
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    f = np.finfo(np.float16)
    print(
        f"float16: max {float(f.max):g}, smallest normal {float(f.tiny):.3g}, smallest subnormal"
        f" {float(f.smallest_subnormal):.3g}, eps {float(f.eps):.3g}"
    )
    bf16_max = (2 - 2.0**-7) * 2.0**127
    print(
        f"bfloat16: max {bf16_max:.4g}, eps {2.0**-7:g}; float32: max {float(np.finfo(np.float32).max):.4g},"
        f" eps {float(np.finfo(np.float32).eps):.3g}"
    )
    g = np.array([1e-8, 3e-6, 2e-3, 0.5])
    print("gradient           ", g)
    print("in float16         ", scale_and_cast_gradient(g, 1.0)[0].astype(float))
    s16, _ = scale_and_cast_gradient(g, INIT_SCALE)
    print("scaled by 2^16, fp16", s16.astype(float))
    print("unscaled in fp32   ", unscale(s16, INIT_SCALE).astype(float))
    print(
        f"1000 updates of 1e-4 to w = 1: float16 weight {sgd_updates(1.0, 1e-4, 1000, False):.4f},"
        f" float32 master {sgd_updates(1.0, 1e-4, 1000, True):.4f}"
    )
    x = np.full(10000, 0.01, dtype=np.float16)
    print(
        f"sum of 10000 x 0.01: float16 accumulator {float(np.cumsum(x, dtype=np.float16)[-1]):g},"
        f" float32 accumulator {float(np.cumsum(x, dtype=np.float32)[-1]):.2f}"
    )
    scales, skipped = simulate_loss_scale(grad_max_schedule(), growth_interval=200)
    print(
        f"dynamic loss scale (growth_interval=200), 3000 steps: {int(skipped.sum())} skipped,"
        f" first scale {scales[0]:g} -> after step 1 {scales[1]:g}, final {scales[-1]:g}"
    )
    plot_loss_scale(scales, skipped)
