"""The package's one box-overlap implementation: BEV and 3D IoU of upright, yaw-rotated boxes.

Boxes are ``Box`` objects or ``[cx, cy, cz, l, w, h, yaw]`` arrays. The footprint overlap is
computed with shapely polygons when shapely is installed, otherwise by an exact clip of one
convex quadrilateral by the other (Sutherland-Hodgman; exact up to float rounding). Both
give the same areas; the kernels (point counts, fitting) are not used here, so the
evaluation does not check code with itself."""

from __future__ import annotations

import math
from typing import Sequence, Union

import numpy as np

from ..model import Box

try:  # optional: shapely's polygon intersection when available
    from shapely.geometry import Polygon as _ShapelyPolygon
except ImportError:  # pragma: no cover - depends on the environment
    _ShapelyPolygon = None

BoxLike = Union[Box, np.ndarray, Sequence[float]]
_UNIT_SQUARE = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]])


def as_box7(box: BoxLike) -> np.ndarray:
    """``[cx, cy, cz, l, w, h, yaw]`` float64 of a Box or array."""
    if isinstance(box, Box):
        return box.to_array()
    return np.asarray(box, dtype=np.float64).reshape(7)


def footprint(box: BoxLike) -> np.ndarray:
    """(4, 2) BEV corners, counter-clockwise."""
    cx, cy, _cz, length, width, _h, yaw = as_box7(box)
    c, s = math.cos(yaw), math.sin(yaw)
    return (_UNIT_SQUARE * (length, width)) @ np.array([[c, s], [-s, c]]) + (cx, cy)


def polygon_area_m2(poly: np.ndarray | list) -> float:
    """Area of a simple polygon (shoelace)."""
    if len(poly) < 3:
        return 0.0
    xy = np.asarray(poly, dtype=np.float64)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def clip_convex(subject: np.ndarray, clip: np.ndarray) -> np.ndarray:
    """The part of the convex polygon ``subject`` inside the convex counter-clockwise ``clip``."""
    out = [tuple(p) for p in subject]
    for i in range(len(clip)):
        if not out:
            break
        ax, ay = clip[i]
        bx, by = clip[(i + 1) % len(clip)]
        inp, out = out, []
        prev = inp[-1]
        sp = (bx - ax) * (prev[1] - ay) - (by - ay) * (prev[0] - ax)
        for cur in inp:
            sc = (bx - ax) * (cur[1] - ay) - (by - ay) * (cur[0] - ax)
            if (sc >= 0) != (sp >= 0):
                t = sp / (sp - sc)
                out.append((prev[0] + t * (cur[0] - prev[0]), prev[1] + t * (cur[1] - prev[1])))
            if sc >= 0:
                out.append(cur)
            prev, sp = cur, sc
    return np.array(out, dtype=np.float64).reshape(-1, 2)


def bev_intersection_m2(a: BoxLike, b: BoxLike) -> float:
    """Area of the overlap of the two footprints (square metres)."""
    a7, b7 = as_box7(a), as_box7(b)
    if math.hypot(a7[0] - b7[0], a7[1] - b7[1]) > 0.5 * (math.hypot(a7[3], a7[4]) + math.hypot(b7[3], b7[4])):
        return 0.0
    pa, pb = footprint(a7), footprint(b7)
    if _ShapelyPolygon is not None:
        return float(_ShapelyPolygon(pa).intersection(_ShapelyPolygon(pb)).area)
    return polygon_area_m2(clip_convex(pa, pb))


def bev_iou(a: BoxLike, b: BoxLike) -> float:
    """Intersection over union of the footprints (0..1)."""
    a7, b7 = as_box7(a), as_box7(b)
    inter = bev_intersection_m2(a7, b7)
    union = a7[3] * a7[4] + b7[3] * b7[4] - inter
    return float(inter / union) if union > 0 else 0.0


def height_overlap_m(a: BoxLike, b: BoxLike) -> float:
    """Length of the overlap of the two boxes' vertical extents (0 when apart)."""
    a7, b7 = as_box7(a), as_box7(b)
    lo = max(a7[2] - a7[5] / 2, b7[2] - b7[5] / 2)
    hi = min(a7[2] + a7[5] / 2, b7[2] + b7[5] / 2)
    return max(0.0, float(hi - lo))


def iou_3d(a: BoxLike, b: BoxLike) -> float:
    """Intersection over union of the volumes of two upright boxes (0..1)."""
    a7, b7 = as_box7(a), as_box7(b)
    dz = height_overlap_m(a7, b7)
    if dz <= 0:
        return 0.0
    inter = bev_intersection_m2(a7, b7) * dz
    union = float(np.prod(a7[3:6]) + np.prod(b7[3:6])) - inter
    return float(inter / union) if union > 0 else 0.0


def _as_rows(boxes: Sequence[BoxLike] | np.ndarray) -> np.ndarray:
    if isinstance(boxes, np.ndarray):
        return boxes.reshape(-1, 7).astype(np.float64)
    return np.array([as_box7(b) for b in boxes], dtype=np.float64).reshape(-1, 7)


def iou_matrix(boxes_a: Sequence[BoxLike] | np.ndarray, boxes_b: Sequence[BoxLike] | np.ndarray,
               kind: str = "bev") -> np.ndarray:
    """(len(a), len(b)) IoU (``kind`` "bev" or "3d"); pairs whose circumscribed circles
    miss are 0 without clipping."""
    A, B = _as_rows(boxes_a), _as_rows(boxes_b)
    out = np.zeros((len(A), len(B)))
    if not len(A) or not len(B):
        return out
    ra, rb = 0.5 * np.hypot(A[:, 3], A[:, 4]), 0.5 * np.hypot(B[:, 3], B[:, 4])
    dist = np.hypot(A[:, None, 0] - B[None, :, 0], A[:, None, 1] - B[None, :, 1])
    pair_iou = bev_iou if kind == "bev" else iou_3d
    for i, j in zip(*np.nonzero(dist <= ra[:, None] + rb[None, :])):
        out[i, j] = pair_iou(A[i], B[j])
    return out


def bev_iou_matrix(boxes_a: Sequence[BoxLike] | np.ndarray, boxes_b: Sequence[BoxLike] | np.ndarray) -> np.ndarray:
    """(len(a), len(b)) BEV IoU."""
    return iou_matrix(boxes_a, boxes_b, "bev")


def candidate_pairs(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Index pairs (i < j) of (N, 7) boxes whose bounding circles in BEV touch."""
    n = len(boxes)
    if n < 2:
        return []
    r = 0.5 * np.hypot(boxes[:, 3], boxes[:, 4])
    d = np.hypot(boxes[:, None, 0] - boxes[None, :, 0], boxes[:, None, 1] - boxes[None, :, 1])
    ii, jj = np.nonzero(np.triu(d <= r[:, None] + r[None, :], k=1))
    return list(zip(ii.tolist(), jj.tolist()))
