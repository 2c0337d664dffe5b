"""The scripted annotator's action model: what one human action does to a box.

A *placement* draws a box at the object's footprint centre with the class's default size,
at the object's heading or, as the app's Place tool does, at a given heading (the ego's:
``yaw_rad``); a *nudge* (one drag) sets one of centre (x, y), yaw, length/width or
height/z to the truth. A box is good when its 3D IoU with the truth is >= ``GOOD_IOU``.
Used by ``assist.evaluate`` (correction cost) and ``benchmarks/bench_assist.py``."""

from __future__ import annotations

import numpy as np

from ..model import Box
from .iou import iou_3d

GOOD_IOU = 0.7
NUDGE_GROUPS = ("centre", "yaw", "size", "z")


def set_group(box: Box, gt: Box, group: str) -> Box:
    """``box`` with one nudge group set to the truth's values."""
    if group == "centre":
        return Box([gt.center_m[0], gt.center_m[1], box.center_m[2]], box.size_lwh_m, box.yaw_rad)
    if group == "yaw":
        return box.with_yaw(gt.yaw_rad)
    if group == "size":
        return box.with_size([gt.size_lwh_m[0], gt.size_lwh_m[1], box.size_lwh_m[2]])
    return Box([box.center_m[0], box.center_m[1], gt.center_m[2]], [*box.size_lwh_m[:2], gt.size_lwh_m[2]],
               box.yaw_rad)


def nudged(box: Box, gt: Box, target_iou: float = GOOD_IOU) -> tuple[Box, int]:
    """Greedy nudges (the one raising the 3D IoU most first) until IoU >= ``target_iou``."""
    n = 0
    while iou_3d(box, gt) < target_iou and n < len(NUDGE_GROUPS):
        box = max((set_group(box, gt, g) for g in NUDGE_GROUPS), key=lambda b: iou_3d(b, gt))
        n += 1
    return box, n


def placement(gt: Box, default_lwh: np.ndarray, yaw_rad: float | None = None) -> Box:
    """A manual placement: drawn at the truth's footprint centre, default size, at the
    truth's heading or at ``yaw_rad`` (the app places new boxes at the ego's heading)."""
    default_lwh = np.asarray(default_lwh, dtype=np.float64)
    bottom = gt.center_m[2] - gt.size_lwh_m[2] / 2
    yaw = gt.yaw_rad if yaw_rad is None else float(yaw_rad)
    return Box([gt.center_m[0], gt.center_m[1], bottom + default_lwh[2] / 2], default_lwh, yaw)


def create_actions(gt: Box, default_lwh: np.ndarray, target_iou: float = GOOD_IOU,
                   yaw_rad: float | None = None) -> int:
    """Actions to create a missed box: one placement plus its nudges."""
    return 1 + nudged(placement(gt, default_lwh, yaw_rad), gt, target_iou)[1]


def fix_actions(box: Box, gt: Box, target_iou: float = GOOD_IOU) -> int:
    """Nudges that bring ``box`` to the truth (0 when it is good already)."""
    return nudged(box, gt, target_iou)[1]
