"""Bidirectional RNN: one recurrent layer reads the sequence forwards, another backwards.

Conventions follow ``torch.nn.RNN(..., bidirectional=True, batch_first=True)`` (and ``nn.GRU``,
``nn.LSTM``): the output at step t is the concatenation ``[h_fwd_t, h_bwd_t]`` of shape (N, T, 2H),
forward direction first, and the final states ``h_n`` have shape (2, N, H) with ``h_n[0]`` the
forward state after the last step and ``h_n[1]`` the backward state after reading back to step 0.
The two directions have separate parameters (PyTorch's ``..._l0`` and ``..._l0_reverse``).

Sequences of different lengths are handled as ``torch.nn.utils.rnn.pack_padded_sequence`` does:
each sequence is reversed within its own length, so the backward direction starts at the real
last token, not at padding, and outputs at padded steps are zero.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient_array

from snippets.gru import gru_backward, gru_forward, init_gru_params
from snippets.recurrent_neural_network import init_rnn_params, rnn_backward, rnn_forward

_CELLS = {"rnn": (rnn_forward, rnn_backward), "gru": (gru_forward, gru_backward)}


def reverse_padded(x, lengths):
    """Reverse each sequence within its own length, leaving the padding where it is.

    Like ``torch.flip`` for equal lengths; for packed sequences it is what the reverse direction
    of ``nn.RNN`` sees. Applying it twice gives back ``x``.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    lengths : ndarray of shape (N,), int
        Valid length of each sequence, 1 <= lengths[n] <= T.

    Returns
    -------
    ndarray of shape (N, T, D)
    """
    N, T = x.shape[:2]
    t = np.arange(T)[None, :]
    L = np.asarray(lengths)[:, None]
    idx = np.where(t < L, L - 1 - t, t)
    return np.take_along_axis(x, idx[:, :, None], axis=1)


def birnn_forward(x, params_fwd, params_bwd, lengths=None, cell="rnn"):
    """Run a bidirectional recurrent layer.

    Parameters
    ----------
    x : ndarray of shape (N, T, D)
    params_fwd, params_bwd : tuple
        Parameters of the forward and backward cells: ``(W_xh, W_hh, b)`` for ``cell="rnn"``
        (:mod:`snippets.recurrent_neural_network`), ``(W_x, W_h, b_x, b_h)`` for ``cell="gru"``
        (:mod:`snippets.gru`).
    lengths : ndarray of shape (N,), int, optional
        Valid lengths; default all T.
    cell : {"rnn", "gru"}

    Returns
    -------
    out : ndarray of shape (N, T, 2H)
        ``out[:, t, :H]`` summarises ``x[:, :t+1]``, ``out[:, t, H:]`` summarises ``x[:, t:L]``.
        Zero at padded steps.
    h_n : ndarray of shape (2, N, H)
        Final forward and backward states.
    cache : tuple
    """
    N, T, _ = x.shape
    lengths = np.full(N, T) if lengths is None else np.asarray(lengths)
    if np.any(lengths < 1) or np.any(lengths > T):
        raise ValueError("every length must be between 1 and T")
    fwd, _ = _CELLS[cell]
    H = params_fwd[1].shape[0]
    h0 = np.zeros((N, H))
    valid = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
    hf, cf = fwd(x, h0, *params_fwd)
    hb_rev, cb = fwd(reverse_padded(x, lengths), h0, *params_bwd)
    hb = reverse_padded(hb_rev, lengths)
    out = np.concatenate([hf, hb], axis=-1) * valid
    h_n = np.stack([hf[np.arange(N), lengths - 1], hb[:, 0]])
    return out, h_n, (cf, cb, lengths, valid, H, cell)


def birnn_backward(dout, cache):
    """Backward pass of :func:`birnn_forward` (gradient of ``out`` only).

    Parameters
    ----------
    dout : ndarray of shape (N, T, 2H)
    cache : tuple

    Returns
    -------
    dx : ndarray of shape (N, T, D)
    grads_fwd, grads_bwd : tuple
        Gradients of the forward and backward cells' parameters, same order as the parameters.
    """
    cf, cb, lengths, valid, H, cell = cache
    _, bwd = _CELLS[cell]
    dout = dout * valid
    dx_f, _, *grads_f = bwd(dout[..., :H], cf)
    dx_b_rev, _, *grads_b = bwd(reverse_padded(dout[..., H:], lengths), cb)
    return dx_f + reverse_padded(dx_b_rev, lengths), tuple(grads_f), tuple(grads_b)


def dependency_map(x, params_fwd, params_bwd, cell="rnn"):
    """How strongly each output step depends on each input step: mean |d out_t / d x_s|.

    Parameters
    ----------
    x : ndarray of shape (1, T, D)
    params_fwd, params_bwd : tuple
    cell : {"rnn", "gru"}

    Returns
    -------
    fwd : ndarray of shape (T, T)
        ``fwd[t, s]`` for the forward half; zero above the diagonal (no peeking ahead).
    bwd : ndarray of shape (T, T)
        Same for the backward half; zero below the diagonal.
    """
    out, _, cache = birnn_forward(x, params_fwd, params_bwd, cell=cell)
    T, H = x.shape[1], out.shape[-1] // 2
    fwd, bwd = np.zeros((T, T)), np.zeros((T, T))
    for t in range(T):
        for half, m in ((0, fwd), (1, bwd)):
            d = np.zeros_like(out)
            d[0, t, half * H : (half + 1) * H] = 1.0
            m[t] = np.abs(birnn_backward(d, cache)[0][0]).mean(axis=-1)
    return fwd, bwd


def plot_dependency_map(fwd, bwd):
    """Two heatmaps of :func:`dependency_map`, forward half and backward half."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(7.5, 3.4))
    for ax, m, title in zip(axes, (fwd, bwd), ("forward direction", "backward direction")):
        im = ax.imshow(np.log10(m + 1e-12), cmap="viridis", vmin=-6, vmax=0)
        ax.set_title(title)
        ax.set_xlabel("input step s")
        ax.set_ylabel("output step t")
    fig.colorbar(im, ax=axes, label="log10 mean |d out_t / d x_s|")
    fig.set_label(
        "Two heatmaps of how much each output step depends on each input step: the "
        "forward direction fills the lower triangle (past inputs only), the backward "
        "direction the upper triangle (future inputs only), strongest on the diagonal"
    )
    return fig


# ---------------------------------------------------------------------------- checks


def _problem(seed, N=3, T=5, D=2, H=3, cell="rnn"):
    rng = np.random.default_rng(seed)
    init = init_rnn_params if cell == "rnn" else init_gru_params
    return rng.normal(size=(N, T, D)), init(D, H, rng), init(D, H, rng)


def check_halves_are_a_forward_rnn_and_a_reversed_rnn():
    x, pf, pb = _problem(0)
    out, h_n, _ = birnn_forward(x, pf, pb)
    H = 3
    assert_close(out[..., :H], rnn_forward(x, np.zeros((3, H)), *pf)[0], rtol=1e-12)
    assert_close(out[..., H:], rnn_forward(x[:, ::-1], np.zeros((3, H)), *pb)[0][:, ::-1], rtol=1e-12)
    # PyTorch's h_n: forward state at the last step, backward state at step 0.
    assert h_n.shape == (2, 3, H)
    assert_close(h_n[0], out[:, -1, :H], rtol=1e-12)
    assert_close(h_n[1], out[:, 0, H:], rtol=1e-12)


def check_every_output_sees_the_whole_sequence():
    x, pf, pb = _problem(1)
    out, _, _ = birnn_forward(x, pf, pb)
    x2 = x.copy()
    x2[:, 3] += 1.0
    out2, _, _ = birnn_forward(x2, pf, pb)
    changed = ~np.isclose(out2, out, rtol=0, atol=1e-14)
    assert not changed[:, :3, :3].any(), "forward half cannot see a later input"
    assert changed[:, 3:, :3].all(), "forward half sees it from step 3 on"
    assert changed[:, :4, 3:].all(), "backward half sees it at steps 0..3"
    assert not changed[:, 4:, 3:].any(), "backward half after step 3 cannot"


def check_reversing_the_input_and_swapping_directions_mirrors_the_output():
    x, pf, pb = _problem(2)
    out, _, _ = birnn_forward(x, pf, pb)
    out_rev, _, _ = birnn_forward(x[:, ::-1], pb, pf)
    assert_close(out_rev[:, ::-1], np.concatenate([out[..., 3:], out[..., :3]], axis=-1), rtol=1e-12)


def check_padding_does_not_leak_into_the_backward_direction():
    # A length-3 sequence padded to 5 gives the same outputs as the unpadded sequence, whatever
    # the padding holds; naive flipping of the padded array would start the backward pass on it.
    x, pf, pb = _problem(3, N=1)
    short, _, _ = birnn_forward(x[:, :3], pf, pb)
    padded = x.copy()
    padded[:, 3:] = 1e3
    out, h_n, _ = birnn_forward(padded, pf, pb, lengths=np.array([3]))
    assert_close(out[:, :3], short, rtol=1e-12)
    assert np.all(out[:, 3:] == 0.0)
    naive, _, _ = birnn_forward(padded, pf, pb)
    assert not np.allclose(naive[:, :3, 3:], short[..., 3:])
    assert_close(reverse_padded(reverse_padded(x, [3]), [3]), x, rtol=0)


def check_backward_matches_numerical_gradient():
    # Centred differences (float64, relative error below 1e-7) for both cells, with unequal lengths.
    for cell in ("rnn", "gru"):
        x, pf, pb = _problem(4, cell=cell)
        lengths = np.array([5, 2, 4])
        out, _, cache = birnn_forward(x, pf, pb, lengths, cell=cell)
        dout = np.random.default_rng(5).normal(size=out.shape)
        dx, gf, gb = birnn_backward(dout, cache)
        f = lambda _: birnn_forward(x, pf, pb, lengths, cell=cell)[0]
        assert_gradient_close(dx, numerical_gradient_array(f, x, dout), tol=1e-7, what=f"{cell} dx")
        for p, g in zip(pf + pb, gf + gb):
            # 1e-6: a few GRU weight gradients are tiny sums of cancelling terms
            assert_gradient_close(g, numerical_gradient_array(f, p, dout), tol=1e-6, what=f"{cell} param")


def check_single_step_and_extreme_inputs():
    x, pf, pb = _problem(6, N=1, T=1)
    out, h_n, _ = birnn_forward(1e8 * x, pf, pb)
    assert np.all(np.isfinite(out)) and np.all(np.abs(out) <= 1.0)
    same, _, _ = birnn_forward(x, pf, pf)  # T = 1, shared weights: both directions see the same thing
    assert_close(same[..., :3], same[..., 3:], rtol=0)
    try:
        birnn_forward(x, pf, pb, lengths=np.array([0]))
    except ValueError:
        return
    raise AssertionError("a zero length must raise")


if __name__ == "__main__":
    np.set_printoptions(precision=3, suppress=True)
    rng = np.random.default_rng(0)
    D, H, T = 2, 3, 8
    pf, pb = init_rnn_params(D, H, rng), init_rnn_params(D, H, rng)
    x = rng.normal(size=(1, T, D))
    out, h_n, _ = birnn_forward(x, pf, pb)
    print("output shape (N, T, 2H):", out.shape, " h_n shape (2, N, H):", h_n.shape)
    fwd, bwd = dependency_map(x, pf, pb)
    print("mean |d out_3 / d x_s| for s = 0..7")
    print("  forward half: ", fwd[3])
    print("  backward half:", bwd[3])
    padded = np.concatenate([x[:, :5], np.full((1, 3, D), 9.0)], axis=1)
    good, _, _ = birnn_forward(padded, pf, pb, lengths=np.array([5]))
    naive, _, _ = birnn_forward(padded, pf, pb)
    ref, _, _ = birnn_forward(x[:, :5], pf, pb)
    print("backward state at the last real step (t=4) of a length-5 sequence:", ref[0, 4, H:])
    print("  padded to 8 with 9.0, reversed within its length:              ", good[0, 4, H:])
    print("  padded to 8 with 9.0, whole array flipped (wrong):             ", naive[0, 4, H:])
    plot_dependency_map(fwd, bwd)
