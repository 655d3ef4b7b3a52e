"""Intersection over union (IoU, Jaccard index) of boxes and masks, and the GIoU loss.

Conventions follow ``torchvision.ops``:

- boxes are ``(x1, y1, x2, y2)`` ("xyxy") with ``x1 <= x2`` and ``y1 <= y2``, in
  continuous coordinates: a box's area is ``(x2 - x1) * (y2 - y1)``, with no
  "+1" (the old PASCAL VOC devkit added 1 to widths of integer pixel boxes);
- ``box_iou(boxes1, boxes2)`` returns the (N, M) matrix of pairwise IoUs, like
  ``torchvision.ops.box_iou``; ``box_convert`` converts from "xywh" and "cxcywh";
- ``generalized_box_iou_loss`` is ``torchvision.ops.generalized_box_iou_loss``
  for *paired* boxes (N,) with ``eps=1e-7`` in both denominators:
  ``1 - I/(U + eps) + (C - U)/(C + eps)``, C the area of the smallest enclosing box.

torchvision divides by the union without a guard, so two zero-area boxes give
NaN in ``box_iou``; here a zero union gives IoU 0.
"""

import numpy as np
from termbook.checks import assert_close, assert_gradient_close, numerical_gradient

__all__ = [
    "box_convert",
    "box_area",
    "box_iou",
    "mask_iou",
    "generalized_box_iou_loss_forward",
    "generalized_box_iou_loss_backward",
]


def _check_xyxy(boxes):
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if np.any(boxes[:, 2] < boxes[:, 0]) or np.any(boxes[:, 3] < boxes[:, 1]):
        raise ValueError("boxes must be (x1, y1, x2, y2) with x1 <= x2 and y1 <= y2")
    return boxes


def box_convert(boxes, in_fmt, out_fmt="xyxy"):
    """Convert box formats, like ``torchvision.ops.box_convert(boxes, in_fmt, out_fmt)``.

    "xyxy" (corners), "xywh" (top-left corner, width, height; COCO
    annotations) and "cxcywh" (centre, width, height; DETR outputs).

    Parameters
    ----------
    boxes : ndarray of shape (N, 4)
    in_fmt, out_fmt : {"xyxy", "xywh", "cxcywh"}

    Returns
    -------
    out : ndarray of shape (N, 4)
    """
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    to_xyxy = {
        "xyxy": lambda b: b,
        "xywh": lambda b: np.c_[b[:, :2], b[:, :2] + b[:, 2:]],
        "cxcywh": lambda b: np.c_[b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2],
    }
    from_xyxy = {
        "xyxy": lambda b: b,
        "xywh": lambda b: np.c_[b[:, :2], b[:, 2:] - b[:, :2]],
        "cxcywh": lambda b: np.c_[(b[:, :2] + b[:, 2:]) / 2, b[:, 2:] - b[:, :2]],
    }
    return from_xyxy[out_fmt](to_xyxy[in_fmt](b))


def box_area(boxes):
    """Areas ``(x2 - x1) * (y2 - y1)``, like ``torchvision.ops.box_area``.

    Parameters
    ----------
    boxes : ndarray of shape (N, 4)
        Boxes in xyxy format.

    Returns
    -------
    area : ndarray of shape (N,)
    """
    b = _check_xyxy(boxes)
    return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


def box_iou(boxes1, boxes2):
    """Pairwise IoU, like ``torchvision.ops.box_iou``.

    Parameters
    ----------
    boxes1 : ndarray of shape (N, 4)
        Boxes in xyxy format.
    boxes2 : ndarray of shape (M, 4)

    Returns
    -------
    iou : ndarray of shape (N, M)
        ``|A and B| / |A or B|`` in [0, 1]; 0 for disjoint or edge-touching boxes.
    """
    a, b = _check_xyxy(boxes1), _check_xyxy(boxes2)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0.0, None)  # no overlap -> width or height 0, not negative
    inter = wh[..., 0] * wh[..., 1]
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter
    out = np.zeros_like(union)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def mask_iou(mask1, mask2):
    """IoU (Jaccard index) of two boolean masks, as used for segmentation.

    Parameters
    ----------
    mask1 : ndarray of shape (H, W), bool
    mask2 : ndarray of shape (H, W), bool

    Returns
    -------
    iou : float
        0.0 when both masks are empty (``sklearn.metrics.jaccard_score`` returns
        ``zero_division``, 0.0 with a warning by default, in that case).
    """
    m1, m2 = np.asarray(mask1, dtype=bool), np.asarray(mask2, dtype=bool)
    union = np.logical_or(m1, m2).sum()
    return float(np.logical_and(m1, m2).sum() / union) if union else 0.0


def generalized_box_iou_loss_forward(pred, target, eps=1e-7):
    """GIoU loss of paired boxes, like ``torchvision.ops.generalized_box_iou_loss(..., reduction="none")``.

    ``GIoU = IoU - (C - U) / C`` with C the area of the smallest box enclosing
    both; the loss ``1 - GIoU`` lies in [0, 2] and, unlike ``1 - IoU``, still
    has a gradient when the boxes do not overlap.

    Parameters
    ----------
    pred : ndarray of shape (N, 4)
        Predicted boxes, xyxy.
    target : ndarray of shape (N, 4)
        Ground-truth boxes, xyxy.
    eps : float
        Added to U and C in the denominators (torchvision's 1e-7).

    Returns
    -------
    loss : ndarray of shape (N,)
    cache : tuple
    """
    a, b = _check_xyxy(pred), _check_xyxy(target)
    iw_raw = np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0])
    ih_raw = np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1])
    iw, ih = np.clip(iw_raw, 0, None), np.clip(ih_raw, 0, None)
    inter = iw * ih
    union = box_area(a) + box_area(b) - inter
    cw = np.maximum(a[:, 2], b[:, 2]) - np.minimum(a[:, 0], b[:, 0])
    ch = np.maximum(a[:, 3], b[:, 3]) - np.minimum(a[:, 1], b[:, 1])
    c = cw * ch
    loss = 1.0 - inter / (union + eps) + (c - union) / (c + eps)
    return loss, (a, b, iw, ih, inter, union, cw, ch, c, eps)


def generalized_box_iou_loss_backward(dout, cache):
    """Gradient of the GIoU loss with respect to the predicted box coordinates.

    Parameters
    ----------
    dout : ndarray of shape (N,)
        Upstream gradient of each pair's loss.
    cache : tuple
        From :func:`generalized_box_iou_loss_forward`.

    Returns
    -------
    dpred : ndarray of shape (N, 4)
        (Sub)gradient; at exact ties between coordinates of the two boxes the
        max/min are differentiated as in PyTorch's autograd for one branch.
    """
    a, b, iw, ih, inter, union, cw, ch, c, eps = cache
    wa, ha = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    on_w, on_h = (iw > 0).astype(float), (ih > 0).astype(float)
    # d(inter), d(area_a), d(enclosing) with respect to (x1, y1, x2, y2) of the prediction.
    d_inter = np.stack(
        [
            -ih * on_w * (a[:, 0] > b[:, 0]),
            -iw * on_h * (a[:, 1] > b[:, 1]),
            ih * on_w * (a[:, 2] < b[:, 2]),
            iw * on_h * (a[:, 3] < b[:, 3]),
        ],
        axis=1,
    )
    d_area = np.stack([-ha, -wa, ha, wa], axis=1)
    d_c = np.stack(
        [
            -ch * (a[:, 0] < b[:, 0]),
            -cw * (a[:, 1] < b[:, 1]),
            ch * (a[:, 2] > b[:, 2]),
            cw * (a[:, 3] > b[:, 3]),
        ],
        axis=1,
    )
    d_union = d_area - d_inter
    u, cc = (union + eps)[:, None], (c + eps)[:, None]
    d_iou = (d_inter * u - inter[:, None] * d_union) / u**2
    d_pen = ((d_c - d_union) * cc - (c - union)[:, None] * d_c) / cc**2
    return np.asarray(dout, dtype=np.float64)[:, None] * (-d_iou + d_pen)


# ----------------------------------------------------------------------------- checks


def _random_boxes(rng, n):
    xy = rng.uniform(0, 10, size=(n, 2))
    wh = rng.uniform(0.5, 5, size=(n, 2))
    return np.c_[xy, xy + wh]


def check_hand_computed_values_and_special_cases():
    a = np.array([[0.0, 0.0, 2.0, 2.0]])
    assert_close(box_iou(a, [[1.0, 1.0, 3.0, 3.0]]), [[1 / 7]], rtol=1e-12)  # I = 1, U = 4 + 4 - 1
    assert box_iou(a, a)[0, 0] == 1.0
    assert box_iou(a, [[2.0, 0.0, 4.0, 2.0]])[0, 0] == 0.0  # touching edges: no area in common
    assert box_iou(a, [[5.0, 5.0, 6.0, 6.0]])[0, 0] == 0.0
    assert np.isclose(box_iou(a, [[0.0, 0.0, 1.0, 1.0]])[0, 0], 0.25)  # containment: area ratio


def check_pairwise_matrix_symmetry_and_format_conversion():
    rng = np.random.default_rng(0)
    A, B = _random_boxes(rng, 5), _random_boxes(rng, 7)
    M = box_iou(A, B)
    assert M.shape == (5, 7) and np.allclose(M, box_iou(B, A).T)
    assert np.all((M >= 0) & (M <= 1))
    for fmt in ("xywh", "cxcywh"):
        assert np.allclose(box_convert(box_convert(A, "xyxy", fmt), fmt, "xyxy"), A)
    assert np.allclose(box_convert([[1, 2, 3, 4]], "xywh"), [[1, 2, 4, 6]])
    assert np.allclose(box_convert([[2, 3, 2, 2]], "cxcywh"), [[1, 2, 3, 4]])


def check_box_iou_equals_mask_iou_for_pixel_aligned_boxes():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x1, y1 = rng.integers(0, 10, 2)
        x2, y2 = x1 + rng.integers(1, 8), y1 + rng.integers(1, 8)
        u1, v1 = rng.integers(0, 10, 2)
        u2, v2 = u1 + rng.integers(1, 8), v1 + rng.integers(1, 8)
        m1, m2 = np.zeros((20, 20), bool), np.zeros((20, 20), bool)
        m1[y1:y2, x1:x2] = True  # a box covers pixels [x1, x2) x [y1, y2): area (x2-x1)(y2-y1)
        m2[v1:v2, u1:u2] = True
        assert np.isclose(box_iou([[x1, y1, x2, y2]], [[u1, v1, u2, v2]])[0, 0], mask_iou(m1, m2))


def check_degenerate_and_invalid_boxes():
    z = np.array([[1.0, 1.0, 1.0, 1.0]])  # zero area
    assert box_iou(z, z)[0, 0] == 0.0 and not np.isnan(box_iou(z, z)).any()
    assert mask_iou(np.zeros((3, 3), bool), np.zeros((3, 3), bool)) == 0.0
    try:
        box_iou([[2.0, 0.0, 1.0, 1.0]], z)  # x2 < x1
    except ValueError:
        pass
    else:
        raise AssertionError("an inverted box must raise")


def check_giou_properties():
    rng = np.random.default_rng(2)
    A, B = _random_boxes(rng, 50), _random_boxes(rng, 50)
    loss, _ = generalized_box_iou_loss_forward(A, B)
    iou = np.diag(box_iou(A, B))
    giou = 1 - loss
    assert np.all(giou <= iou + 1e-9) and np.all((giou >= -1) & (giou <= 1))
    # Identical boxes: loss 0 (up to eps). Far apart: GIoU tends to -1.
    assert np.allclose(generalized_box_iou_loss_forward(A, A)[0], 0.0, atol=1e-6)
    far = generalized_box_iou_loss_forward([[0, 0, 1, 1]], [[1000, 1000, 1001, 1001]])[0]
    assert 1.99 < far[0] <= 2.0


def check_giou_gradient_and_signal_without_overlap():
    # tolerance: relative error 1e-6 (float64, h = 1e-5; boxes are generic, away from coordinate ties)
    rng = np.random.default_rng(3)
    A, B = _random_boxes(rng, 6), _random_boxes(rng, 6)
    loss, cache = generalized_box_iou_loss_forward(A, B)
    dout = rng.normal(size=6)
    dA = generalized_box_iou_loss_backward(dout, cache)
    num = numerical_gradient(lambda p: float(np.sum(generalized_box_iou_loss_forward(p, B)[0] * dout)), A.copy())
    assert_gradient_close(dA, num, tol=1e-6)
    # Disjoint boxes: IoU is flat (0), but the GIoU loss pulls the prediction towards the target.
    _, cache = generalized_box_iou_loss_forward([[0.0, 0.0, 1.0, 1.0]], [[3.0, 0.0, 4.0, 1.0]])
    g = generalized_box_iou_loss_backward(np.ones(1), cache)[0]
    assert g[0] + g[2] < 0  # translating the box right (x1 and x2 together) lowers the loss
    assert g[2] < 0  # and so does stretching its right edge towards the target


def plot_iou_vs_shift(shifts, iou, giou):
    """IoU and GIoU of two unit-height boxes as one slides past the other."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.plot(shifts, iou, label="IoU")
    ax.plot(shifts, giou, "--", label="GIoU")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set(xlabel="horizontal offset of the second 2x2 box", ylabel="score")
    ax.legend()
    fig.tight_layout()
    fig.set_label(
        "IoU and GIoU of two 2-by-2 boxes against their horizontal offset: both are 1 at offset 0; "
        "IoU falls to 0 once the boxes stop overlapping at offset 2 and stays flat, while GIoU keeps "
        "decreasing below 0 towards -1."
    )
    return fig


if __name__ == "__main__":
    np.set_printoptions(precision=4, suppress=True)
    gt = np.array([[10.0, 10.0, 50.0, 50.0]])
    preds = np.array([[10, 10, 50, 50], [15, 15, 50, 50], [20, 20, 60, 60], [30, 10, 70, 50], [50, 10, 90, 50], [60, 60, 80, 80]], float)
    print("ground truth (x1, y1, x2, y2):", gt[0])
    ious = box_iou(preds, gt)[:, 0]
    giou = 1 - generalized_box_iou_loss_forward(preds, np.repeat(gt, len(preds), axis=0))[0]
    wh = np.clip(np.minimum(preds[:, 2:], gt[:, 2:]) - np.maximum(preds[:, :2], gt[:, :2]), 0, None)
    inter = wh[:, 0] * wh[:, 1]
    union = box_area(preds) + box_area(gt) - inter
    for p, n, u, i, g in zip(preds, inter, union, ious, giou):
        print(f"prediction {p}: I {n:6.0f}  U {u:6.0f}  IoU {i:.4f}  GIoU {g:+.4f}  {'match' if i >= 0.5 else 'miss'} at IoU >= 0.5")
    print("box_iou(preds, gt) is the pairwise matrix of shape", box_iou(preds, gt).shape)
    shifts = np.linspace(0, 6, 61)
    b1 = np.array([[0.0, 0.0, 2.0, 2.0]])
    moved = np.c_[shifts, np.zeros(61), shifts + 2, np.full(61, 2.0)]
    plot_iou_vs_shift(shifts, box_iou(moved, b1)[:, 0], 1 - generalized_box_iou_loss_forward(moved, np.repeat(b1, 61, 0))[0])
