"""A linear autoencoder trained by gradient descent, and its link to PCA.

Encoder and decoder are affine maps through a bottleneck of ``k < D`` units::

    codes = X @ W_enc + b_enc                  # (N, k)
    reconstruction = codes @ W_dec + b_dec     # (N, D)

trained to minimise the mean squared reconstruction error. The reconstruction has
rank at most ``k`` plus a constant offset, so by the Eckart-Young theorem its error
can never beat PCA with ``k`` components (nor can any encoder followed by an affine
decoder); and because every local minimum of this loss is global (Baldi & Hornik,
1989), gradient descent reaches PCA's error. The decoder then spans the top-``k``
principal subspace, but its rows are an invertible mixture of the principal
directions, not the directions themselves.
"""

import numpy as np
from termbook.checks import assert_gradient_close, numerical_gradient

PARAM_NAMES = ("W_enc", "b_enc", "W_dec", "b_dec")


def init_autoencoder(n_features, code_dim, rng, scale=0.1):
    """Small random weights and zero biases.

    Parameters
    ----------
    n_features : int
        D, the input dimension.
    code_dim : int
        k, the bottleneck width.
    rng : numpy.random.Generator
    scale : float
        Standard deviation of the initial weights.

    Returns
    -------
    params : dict
        ``W_enc`` of shape (D, k), ``b_enc`` of shape (k,), ``W_dec`` of shape
        (k, D), ``b_dec`` of shape (D,).
    """
    return {
        "W_enc": scale * rng.normal(size=(n_features, code_dim)),
        "b_enc": np.zeros(code_dim),
        "W_dec": scale * rng.normal(size=(code_dim, n_features)),
        "b_dec": np.zeros(n_features),
    }


def autoencoder_forward(params, X):
    """Encode and decode a batch.

    Parameters
    ----------
    params : dict
        As returned by :func:`init_autoencoder`.
    X : ndarray of shape (N, D)

    Returns
    -------
    codes : ndarray of shape (N, k)
    reconstruction : ndarray of shape (N, D)
    """
    codes = X @ params["W_enc"] + params["b_enc"]
    return codes, codes @ params["W_dec"] + params["b_dec"]


def autoencoder_backward(dreconstruction, params, X, codes):
    """Gradients of a loss with respect to the parameters, given d loss / d reconstruction.

    Parameters
    ----------
    dreconstruction : ndarray of shape (N, D)
        Gradient of the loss with respect to the reconstruction.
    params : dict
        The parameters used in the forward pass.
    X : ndarray of shape (N, D)
        The input of the forward pass.
    codes : ndarray of shape (N, k)
        The codes returned by the forward pass.

    Returns
    -------
    grads : dict
        Same keys and shapes as ``params``.
    """
    dcodes = dreconstruction @ params["W_dec"].T
    return {
        "W_enc": X.T @ dcodes,
        "b_enc": dcodes.sum(axis=0),
        "W_dec": codes.T @ dreconstruction,
        "b_dec": dreconstruction.sum(axis=0),
    }


def reconstruction_loss_and_grad(params, X):
    """Mean squared reconstruction error and its gradient.

    The mean is over all N * D elements, like ``torch.nn.MSELoss()``
    (``reduction="mean"``).

    Parameters
    ----------
    params : dict
    X : ndarray of shape (N, D)

    Returns
    -------
    loss : float
    grads : dict
        Same keys and shapes as ``params``.
    """
    codes, reconstruction = autoencoder_forward(params, X)
    diff = reconstruction - X
    loss = float(np.mean(diff**2))
    return loss, autoencoder_backward(2.0 * diff / diff.size, params, X, codes)


def default_learning_rate(X):
    """A step size that is stable for the linear autoencoder on ``X``, chosen from the data.

    Near a solution reached from a small initialisation the encoder and decoder are
    balanced (both have singular values 1), and the largest curvature of the loss of
    :func:`reconstruction_loss_and_grad` is about ``4 * lambda_max / D``, with
    ``lambda_max`` the largest eigenvalue of the covariance of ``X`` (the squared
    spectral norm of the centred data divided by N). Gradient descent is stable below
    ``2 / curvature``; this returns half of that, ``D / (4 * lambda_max)``. Because the
    step scales like ``1 / variance``, rescaling the data does not change how many
    steps training needs.

    Parameters
    ----------
    X : ndarray of shape (N, D)

    Returns
    -------
    lr : float
    """
    Xc = X - X.mean(axis=0)
    lam = np.linalg.norm(Xc, 2) ** 2 / X.shape[0]
    if lam == 0.0:  # constant data: nothing to learn, any step is stable
        return 1.0
    return X.shape[1] / (4.0 * lam)


def train_linear_autoencoder(X, code_dim, rng, lr=None, steps=500):
    """Fit a linear autoencoder by full-batch gradient descent.

    Full-batch gradient descent on ``torch.nn.MSELoss()`` with ``torch.optim.SGD``
    (no momentum). As for PCA, the data are centred before training: with a large
    mean, the loss is badly conditioned and plain gradient descent crawls (or
    diverges at a learning rate that suits the centred problem). The mean is then
    folded into the biases, so the returned parameters act on the raw ``X``.

    Parameters
    ----------
    X : ndarray of shape (N, D)
        Training data.
    code_dim : int
        k, the bottleneck width.
    rng : numpy.random.Generator
        For the initial weights.
    lr : float or None
        Learning rate for the loss of :func:`reconstruction_loss_and_grad`.
        ``None`` (the default) takes it from the data with
        :func:`default_learning_rate`, which is stable whatever the scale of ``X``.
    steps : int
        Number of gradient steps. Directions of small variance are learned last.

    Returns
    -------
    params : dict
        ``W_enc`` of shape (D, k), ``b_enc`` of shape (k,), ``W_dec`` of shape
        (k, D), ``b_dec`` of shape (D,).

    Raises
    ------
    ValueError
        If the loss stops being finite (a learning rate too large for the data),
        instead of returning NaN parameters.
    """
    if lr is None:
        lr = default_learning_rate(X)
    mean = X.mean(axis=0)
    Xc = X - mean
    params = init_autoencoder(X.shape[1], code_dim, rng)
    start = None
    for step in range(steps):
        # Divergence is caught when the loss grows 100-fold, or at the first overflow,
        # whichever comes first: never as NaN weights handed back to the caller.
        with np.errstate(over="raise", invalid="raise"):
            try:
                loss, grads = reconstruction_loss_and_grad(params, Xc)
            except FloatingPointError:
                loss = np.inf
        start = loss if start is None else start
        if not loss <= 100.0 * start + 1e-300:
            raise ValueError(
                f"training diverged at step {step} with lr={lr:g}; the stable step for these "
                f"data is about {2 * default_learning_rate(X):g} (use lr=None to choose it)"
            )
        params = {name: params[name] - lr * grads[name] for name in PARAM_NAMES}
    # (X - mean) @ W_enc + b_enc  ==  X @ W_enc + (b_enc - mean @ W_enc)
    params["b_enc"] = params["b_enc"] - mean @ params["W_enc"]
    params["b_dec"] = params["b_dec"] + mean
    return params


def pca_reconstruction_error(X, code_dim):
    """Smallest mean squared error of any rank-k affine reconstruction (PCA's).

    By the Eckart-Young theorem the best approximation of the centred data by a
    matrix of rank ``k`` keeps the top ``k`` singular values; the error is the sum
    of the squares of the others, divided here by N * D to match
    :func:`reconstruction_loss_and_grad`.

    Parameters
    ----------
    X : ndarray of shape (N, D)
    code_dim : int

    Returns
    -------
    float
    """
    s = np.linalg.svd(X - X.mean(axis=0), compute_uv=False)
    return float(np.sum(s[code_dim:] ** 2) / X.size)


def make_correlated_data(rng, n=200, stds=(2.0, 1.4, 1.0, 0.7, 0.5, 0.35)):
    """Gaussian data with the given standard deviations along random orthogonal axes.

    Parameters
    ----------
    rng : numpy.random.Generator
    n : int
        Number of points N.
    stds : sequence of float
        Standard deviation along each of the D principal axes.

    Returns
    -------
    X : ndarray of shape (N, D)
        Mean 3.0 in every feature, so the biases have work to do.
    """
    stds = np.asarray(stds, dtype=np.float64)
    rotation = np.linalg.qr(rng.normal(size=(stds.size, stds.size)))[0]
    return 3.0 + (rng.normal(size=(n, stds.size)) * stds) @ rotation.T


def equivalence_cases():
    """Inputs the PyTorch equivalent is checked on: data and parameters for one forward/backward.

    Several widths and bottlenecks (k = 1 up to k = D - 1), a batch of one, data with a large
    mean and large variance, and random (not trained) parameters including non-zero biases.

    Returns
    -------
    list of dict with X (N, D), W_enc (D, k), b_enc (k,), W_dec (k, D) and b_dec (D,)
    """
    rng = np.random.default_rng(91)
    cases = []
    for n, d, k, scale in [(200, 6, 2, 1.0), (16, 5, 1, 1.0), (1, 4, 3, 1.0), (32, 8, 7, 1.0), (50, 3, 2, 40.0)]:
        X = 3.0 + scale * rng.normal(size=(n, d))
        params = init_autoencoder(d, k, rng, scale=0.5)
        params["b_enc"], params["b_dec"] = rng.normal(size=k), rng.normal(size=d)
        cases.append({"X": X, **params})
    return cases


def pca_cases():
    """Inputs the scikit-learn equivalent is checked on: data and a bottleneck width.

    Returns
    -------
    list of dict with X (N, D) and code_dim (int), ``code_dim`` below the rank of the centred X
    """
    rng = np.random.default_rng(92)
    cases = [{"X": make_correlated_data(rng), "code_dim": k} for k in (1, 2, 5)]
    cases.append({"X": make_correlated_data(rng, n=4), "code_dim": 2})
    cases.append({"X": 100.0 * make_correlated_data(rng, n=50, stds=(3.0, 1.0, 0.1)), "code_dim": 2})
    return cases


def forward_and_gradients(X, W_enc, b_enc, W_dec, b_dec):
    """Reconstruction, mean squared reconstruction error and its gradients (what autograd gives).

    Parameters
    ----------
    X : ndarray of shape (N, D)
    W_enc : ndarray of shape (D, k)
    b_enc : ndarray of shape (k,)
    W_dec : ndarray of shape (k, D)
    b_dec : ndarray of shape (D,)

    Returns
    -------
    reconstruction : ndarray of shape (N, D)
    loss : float
    dW_enc : ndarray of shape (D, k)
    db_enc : ndarray of shape (k,)
    dW_dec : ndarray of shape (k, D)
    db_dec : ndarray of shape (D,)
    """
    params = {"W_enc": W_enc, "b_enc": b_enc, "W_dec": W_dec, "b_dec": b_dec}
    _, reconstruction = autoencoder_forward(params, X)
    loss, grads = reconstruction_loss_and_grad(params, X)
    return (reconstruction, loss, *(grads[name] for name in PARAM_NAMES))


# ----------------------------------------------------------------------------- checks


def check_shapes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 4))
    params = init_autoencoder(4, 2, rng)
    codes, rec = autoencoder_forward(params, X)
    assert codes.shape == (5, 2) and rec.shape == (5, 4)
    _, grads = reconstruction_loss_and_grad(params, X)
    assert all(grads[k].shape == params[k].shape for k in PARAM_NAMES)


def check_gradients_match_centred_differences():
    # Every parameter, relative error below 1e-7 (float64, h = 1e-5; the loss is
    # a polynomial, so there are no kinks).
    rng = np.random.default_rng(1)
    X = rng.normal(size=(7, 5))
    params = {k: rng.normal(size=v.shape) for k, v in init_autoencoder(5, 2, rng).items()}
    _, grads = reconstruction_loss_and_grad(params, X)
    for name in PARAM_NAMES:
        num = numerical_gradient(lambda _: reconstruction_loss_and_grad(params, X)[0], params[name])
        assert_gradient_close(grads[name], num, tol=1e-7, what=f"d loss / d {name}")


def check_backward_with_arbitrary_upstream_gradient():
    # autoencoder_backward on its own: gradient of sum(reconstruction * drec).
    rng = np.random.default_rng(2)
    X, drec = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    params = {k: rng.normal(size=v.shape) for k, v in init_autoencoder(4, 3, rng).items()}
    codes, _ = autoencoder_forward(params, X)
    grads = autoencoder_backward(drec, params, X, codes)
    for name in PARAM_NAMES:
        num = numerical_gradient(lambda _: np.sum(autoencoder_forward(params, X)[1] * drec), params[name])
        assert_gradient_close(grads[name], num, tol=1e-7, what=f"d/d {name}")


def check_trained_autoencoder_matches_pca():
    # Within 5% of the Eckart-Young optimum for every bottleneck width, and never
    # below it (beyond rounding).
    rng = np.random.default_rng(3)
    X = make_correlated_data(rng)
    for k in (1, 2, 3, 4):
        params = train_linear_autoencoder(X, k, rng)
        err = reconstruction_loss_and_grad(params, X)[0]
        best = pca_reconstruction_error(X, k)
        assert best * (1 - 1e-9) <= err <= 1.05 * best, (k, err, best)


def check_high_variance_data_trains_without_nan():
    # Features with variance ~350 (10x the scale of make_correlated_data): a fixed
    # step that suits unit-variance data would overflow to NaN; the step chosen from
    # the data gives the same result as on the unscaled data, up to the factor 100.
    rng = np.random.default_rng(6)
    X = make_correlated_data(rng)
    big = 10.0 * X
    params = train_linear_autoencoder(big, 2, np.random.default_rng(0))
    err = reconstruction_loss_and_grad(params, big)[0]
    assert np.isfinite(err) and err <= 1.05 * pca_reconstruction_error(big, 2), err
    small = train_linear_autoencoder(X, 2, np.random.default_rng(0))
    assert np.isclose(err, 100.0 * reconstruction_loss_and_grad(small, X)[0], rtol=1e-6)
    # An explicit step that is too large raises instead of returning NaN weights.
    try:
        train_linear_autoencoder(big, 2, np.random.default_rng(0), lr=0.5)
    except ValueError as e:
        assert "diverged" in str(e)
    else:
        raise AssertionError("a divergent step must raise ValueError")


def check_no_linear_autoencoder_beats_pca():
    # Eckart-Young is a lower bound for every parameter setting, not only trained
    # ones, and even for a nonlinear (tanh) encoder: with an affine decoder the
    # reconstructions still lie in a k-dimensional affine subspace.
    rng = np.random.default_rng(4)
    X = make_correlated_data(rng, n=50)
    for k in (1, 2, 3):
        best = pca_reconstruction_error(X, k)
        for _ in range(20):
            params = {n: rng.normal(size=v.shape) for n, v in init_autoencoder(6, k, rng).items()}
            assert reconstruction_loss_and_grad(params, X)[0] >= best * (1 - 1e-9)
            codes = np.tanh(X @ params["W_enc"] + params["b_enc"])
            # best affine decoder for these codes, by least squares
            C = np.hstack([codes, np.ones((X.shape[0], 1))])
            dec, *_ = np.linalg.lstsq(C, X, rcond=None)
            assert np.mean((C @ dec - X) ** 2) >= best * (1 - 1e-9)


def check_decoder_spans_principal_subspace():
    # The rows of W_dec span the top-k principal directions: the cosines of the
    # principal angles between the two subspaces are all close to 1.
    rng = np.random.default_rng(5)
    X = make_correlated_data(rng)
    k = 2
    params = train_linear_autoencoder(X, k, rng)
    top = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)[2][:k]  # (k, D), orthonormal rows
    learned = np.linalg.qr(params["W_dec"].T)[0]  # (D, k), orthonormal columns
    cosines = np.linalg.svd(top @ learned, compute_uv=False)
    assert np.all(cosines > 0.999), cosines


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    rng = np.random.default_rng(0)
    X = make_correlated_data(rng)
    _, s, Vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    print(f"X: {X.shape[0]} points in {X.shape[1]} dimensions")
    print("variance along each principal direction:", s**2 / X.shape[0])
    print("code_dim  autoencoder MSE  PCA MSE (best)  ratio")
    for k in range(1, 6):
        params = train_linear_autoencoder(X, k, rng)
        err = reconstruction_loss_and_grad(params, X)[0]
        best = pca_reconstruction_error(X, k)
        print(f"{k:8d} {err:16.5f} {best:15.5f} {err / best:6.3f}")
    params = train_linear_autoencoder(X, 2, rng)
    learned = np.linalg.qr(params["W_dec"].T)[0]
    cosines = np.linalg.svd(Vt[:2] @ learned, compute_uv=False)
    print("code_dim 2: cosines of the angles between decoder span and PCA span:", cosines)
    print("yet each decoder row mixes the top 2 principal directions (W_dec @ V_2):")
    print(params["W_dec"] @ Vt[:2].T)
