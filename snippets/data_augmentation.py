"""Data augmentation: random, label-preserving transformations of training images.

Images are batches of shape (N, C, H, W), as in PyTorch. The transformations follow
torchvision: ``RandomHorizontalFlip(p)`` reverses the width axis, ``RandomCrop(size, padding)``
zero-pads every side by ``padding`` and cuts a window whose top-left corner is uniform over all
valid positions. Randomness is explicit: each function takes a ``numpy.random.Generator`` and
returns what it drew (flip mask, crop offsets), so an augmentation can be replayed.
"""

import numpy as np

from snippets.regularization import ridge_closed_form


def horizontal_flip(x):
    """Mirror images left to right.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)

    Returns
    -------
    ndarray of shape (N, C, H, W)
        ``x[..., ::-1]``.
    """
    return x[..., ::-1]


def random_horizontal_flip(x, rng, p=0.5):
    """Flip each image independently with probability ``p`` (torchvision ``RandomHorizontalFlip``).

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    rng : numpy.random.Generator
    p : float

    Returns
    -------
    out : ndarray of shape (N, C, H, W)
    flipped : ndarray of shape (N,), bool
        Which images were flipped.
    """
    flipped = rng.random(x.shape[0]) < p
    return np.where(flipped[:, None, None, None], horizontal_flip(x), x), flipped


def crop(x, top, left, size):
    """Cut the ``size`` x ``size`` window with top-left corner ``(top[n], left[n])`` from image ``n``.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    top, left : ndarray of shape (N,), int
    size : int

    Returns
    -------
    ndarray of shape (N, C, size, size)
    """
    return np.stack([img[:, t : t + size, l : l + size] for img, t, l in zip(x, top, left)])


def random_crop(x, size, padding, rng):
    """Zero-pad by ``padding`` on every side, then crop a random ``size`` x ``size`` window.

    Like torchvision ``RandomCrop(size, padding, fill=0)``; with ``size == H == W`` the result is
    the image translated by up to ``padding`` pixels, with zeros shifted in.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    size : int
        Output height and width, at most ``min(H, W) + 2 * padding``.
    padding : int
    rng : numpy.random.Generator

    Returns
    -------
    out : ndarray of shape (N, C, size, size)
    offsets : ndarray of shape (N, 2), int
        ``(top, left)`` of each window in the padded image, each uniform on
        ``0 .. H + 2 * padding - size`` (resp. W).
    """
    N, _, H, W = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    top = rng.integers(0, H + 2 * padding - size + 1, size=N)
    left = rng.integers(0, W + 2 * padding - size + 1, size=N)
    return crop(xp, top, left, size), np.stack([top, left], axis=1)


def add_gaussian_noise(x, std, rng):
    """Add independent ``N(0, std^2)`` noise to every pixel.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W)
    std : float
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of shape (N, C, H, W)
    """
    return x + std * rng.normal(size=x.shape)


def augment_batch(x, y, rng, padding=1, noise_std=0.05):
    """Flip, pad-and-crop back to the original size, add noise; labels are returned unchanged.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), with ``H == W``
    y : ndarray of shape (N,)
        Labels, assumed invariant to these transformations.
    rng : numpy.random.Generator
    padding : int
    noise_std : float

    Returns
    -------
    x_aug : ndarray of shape (N, C, H, W)
    y : ndarray of shape (N,)
    """
    x, _ = random_horizontal_flip(x, rng)
    x, _ = random_crop(x, x.shape[-1], padding, rng)
    return add_gaussian_noise(x, noise_std, rng), y


def brighter_half_label(x):
    """A toy label that is NOT flip-invariant: 1 if the left half of the image is brighter.

    Parameters
    ----------
    x : ndarray of shape (N, C, H, W), W even

    Returns
    -------
    ndarray of shape (N,), int
    """
    W = x.shape[-1]
    return (x[..., : W // 2].sum(axis=(1, 2, 3)) > x[..., W // 2 :].sum(axis=(1, 2, 3))).astype(int)


# ---------------------------------------------------------------- checks


def check_flip_is_an_involution_that_keeps_pixels():
    x = np.random.default_rng(0).normal(size=(3, 2, 4, 6))
    f = horizontal_flip(x)
    assert f.shape == x.shape
    assert np.array_equal(horizontal_flip(f), x)
    assert np.array_equal(f[..., 0], x[..., -1])
    # Same pixels, rearranged: per-image sorted values and sums are unchanged.
    assert np.array_equal(np.sort(f.reshape(3, -1), axis=1), np.sort(x.reshape(3, -1), axis=1))


def check_random_flip_probability_and_mask():
    x = np.random.default_rng(1).normal(size=(2000, 1, 2, 2))
    out, flipped = random_horizontal_flip(x, np.random.default_rng(2), p=0.5)
    assert np.array_equal(out[flipped], horizontal_flip(x[flipped]))
    assert np.array_equal(out[~flipped], x[~flipped])
    assert abs(flipped.mean() - 0.5) < 0.05  # 2000 Bernoulli(0.5): sd of the mean ~0.011
    assert np.array_equal(random_horizontal_flip(x, np.random.default_rng(3), p=0.0)[0], x)


def check_random_crop_shapes_offsets_and_content():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(500, 3, 5, 5))
    out, off = random_crop(x, 5, 2, rng)
    assert out.shape == x.shape
    assert off.min() == 0 and off.max() == 4  # uniform on 0 .. H + 2p - size = 4, all reached
    xp = np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)))
    for n in range(0, 500, 37):
        t, l = off[n]
        assert np.array_equal(out[n], xp[n, :, t : t + 5, l : l + 5])
    centred = crop(xp, np.full(500, 2), np.full(500, 2), 5)
    assert np.array_equal(centred, x)  # offset (padding, padding) is the identity
    small, _ = random_crop(x, 3, 0, rng)
    assert small.shape == (500, 3, 3, 3)


def check_noise_statistics():
    x = np.zeros((10, 3, 32, 32))
    noise = add_gaussian_noise(x, 0.1, np.random.default_rng(5))
    assert noise.shape == x.shape
    assert abs(noise.mean()) < 0.002 and abs(noise.std() - 0.1) < 0.002  # 30720 draws


def check_augmentation_preserves_labels_only_for_invariant_tasks():
    rng = np.random.default_rng(6)
    x = rng.random(size=(64, 1, 6, 6))
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype(int)
    x_aug, y_aug = augment_batch(x, y, rng)
    assert x_aug.shape == x.shape and np.array_equal(y_aug, y)
    # Mean brightness is flip-invariant, so flipping cannot change that label ...
    f = horizontal_flip(x)
    assert np.array_equal((f.mean(axis=(1, 2, 3)) > 0.5).astype(int), y)
    # ... but a label that depends on left versus right is reversed by every flip.
    assert np.array_equal(brighter_half_label(f), 1 - brighter_half_label(x))


def check_input_noise_acts_like_ridge_for_least_squares():
    # E||y - (X + E) w||^2 = ||y - X w||^2 + N sigma^2 ||w||^2 (Bishop, 1995): least squares on many
    # noisy copies of X approaches ridge regression with alpha = N sigma^2.
    rng = np.random.default_rng(7)
    N, D, sigma, copies = 20, 3, 0.5, 4000
    X = rng.normal(size=(N, D))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=N)
    X_aug = np.tile(X, (copies, 1)) + sigma * rng.normal(size=(copies * N, D))
    w_aug, *_ = np.linalg.lstsq(X_aug, np.tile(y, copies), rcond=None)
    w_ridge = ridge_closed_form(X, y, N * sigma**2)
    w_ols = ridge_closed_form(X, y, 0.0)
    assert np.max(np.abs(w_aug - w_ridge)) < 0.02, (w_aug, w_ridge)
    assert np.max(np.abs(w_ols - w_ridge)) > 0.2  # the shrinkage is real, not within the tolerance


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    img = np.arange(9.0).reshape(1, 1, 3, 3)
    cropped, off = random_crop(img, 3, 1, rng)
    noisy = add_gaussian_noise(img, 0.1, rng)
    print(f"one 3x3 image; the crop pads by 1 and cuts at offset {off[0].tolist()}, i.e. shifts it")
    print("original            flipped             padded + cropped    noise, sd 0.1")
    for r in range(3):
        cols = [img, horizontal_flip(img), cropped, noisy]
        print("   ".join(" ".join(f"{v:5.2f}" for v in c[0, 0, r]) for c in cols))
    y = brighter_half_label(np.arange(16.0).reshape(1, 1, 4, 4))[0]
    y_flip = brighter_half_label(horizontal_flip(np.arange(16.0).reshape(1, 1, 4, 4)))[0]
    print(f"a flip keeps a label like 'cat', but flips 'left half brighter': {y} -> {y_flip}")
