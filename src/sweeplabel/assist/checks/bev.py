"""Bird's-eye-view geometry of boxes: footprints and the IoU of two rotated rectangles."""

from __future__ import annotations

import math

import numpy as np


def footprint(box7: np.ndarray) -> np.ndarray:
    """(4, 2) corners of a ``[cx, cy, cz, l, w, h, yaw]`` box, counter-clockwise."""
    cx, cy, _cz, length, width, _h, yaw = box7
    c, s = math.cos(yaw), math.sin(yaw)
    local = np.array([[0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5], [0.5, -0.5]]) * (length, width)
    return local @ np.array([[c, s], [-s, c]]) + (cx, cy)


def _area(poly: list[tuple[float, float]]) -> float:
    n = len(poly)
    return 0.5 * abs(sum(poly[i][0] * poly[(i + 1) % n][1] - poly[(i + 1) % n][0] * poly[i][1]
                         for i in range(n))) if n >= 3 else 0.0


def _clip(subject: list[tuple[float, float]], clip: np.ndarray) -> list[tuple[float, float]]:
    """Sutherland–Hodgman: ``subject`` clipped by the convex counter-clockwise ``clip``."""
    out = subject
    for i in range(len(clip)):
        ax, ay = clip[i]
        bx, by = clip[(i + 1) % len(clip)]
        inp, out = out, []
        if not inp:
            break

        def side(p: tuple[float, float]) -> float:
            return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)

        prev = inp[-1]
        for cur in inp:
            sc, sp = side(cur), side(prev)
            if sc >= 0:
                if sp < 0:
                    out.append(_cross(prev, cur, sp, sc))
                out.append(cur)
            elif sp >= 0:
                out.append(_cross(prev, cur, sp, sc))
            prev = cur
    return out


def _cross(p: tuple[float, float], q: tuple[float, float], sp: float, sq: float) -> tuple[float, float]:
    t = sp / (sp - sq)
    return (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))


def bev_iou(a7: np.ndarray, b7: np.ndarray) -> float:
    """Intersection over union of two boxes' footprints (0 when their heights do not overlap)."""
    if abs(a7[2] - b7[2]) > (a7[5] + b7[5]) / 2:
        return 0.0
    pa, pb = footprint(a7), footprint(b7)
    inter = _area(_clip([tuple(p) for p in pa], pb))
    union = a7[3] * a7[4] + b7[3] * b7[4] - inter
    return float(inter / union) if union > 0 else 0.0


def candidate_pairs(boxes: np.ndarray) -> list[tuple[int, int]]:
    """Index pairs whose bounding circles in BEV touch (the only ones that can overlap)."""
    n = len(boxes)
    if n < 2:
        return []
    r = 0.5 * np.hypot(boxes[:, 3], boxes[:, 4])
    d = np.hypot(boxes[:, None, 0] - boxes[None, :, 0], boxes[:, None, 1] - boxes[None, :, 1])
    ii, jj = np.nonzero(np.triu(d <= r[:, None] + r[None, :], k=1))
    return list(zip(ii.tolist(), jj.tolist()))
