"""A fence or wall line beside an object (pure NumPy; no Qt, no Open3D).

A car parked along a fence: the fence's points lie a few decimetres beyond the car's far side
and a cluster grown from the click takes them in (KITTI object 000002: a car 1.58 m wide gets a
2.1 m box). The car's far side is in its own shadow, so the sensor sees nothing of the car
there; what it sees on that line is something else. A fence is told from a car's side by its
extent: its line of points goes on well beyond the largest object of the class, a car's side
does not. ``far_line`` finds such a line and the object's points on it or beyond it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..model import Box
from .class_prior import ClassPrior

LINE_HALF_WIDTH_M = 0.2  # a fence's points scatter this far about its line (mesh, posts, a slight bend)
EDGE_BAND_M = 0.3  # the object's points this close to its far side give the line's first guess
LINE_GAP_M = 2.5  # a line's points more than this apart along it belong to two lines
MIN_LINE_POINTS = 8
FRONT_SHARE = 0.25  # the fence of KITTI 000002: 0 in front for 126 on it; rows of objects 0.44-2.9 (AV2, SUSTech)


@dataclass(frozen=True)
class FarLine:
    """A fence line: ``point_m`` (2,) on it, ``beyond`` (2,) the unit normal pointing away from the
    sensor; ``mask`` (N,) bool: the object's points on it or beyond."""

    point_m: np.ndarray
    beyond: np.ndarray
    mask: np.ndarray

    def crossed_by(self, box: Box) -> bool:
        """Whether ``box`` reaches beyond the line (a car does not stand in a fence)."""
        return bool(np.max((box.corners()[:, :2] - self.point_m) @ self.beyond) > LINE_HALF_WIDTH_M)

    def kept_in_front(self, box: Box) -> Box:
        """``box`` with the axis that runs most across the line shortened (its near face kept) so
        that it ends at the line's near edge; by at most half its size."""
        excess = float(np.max((box.corners()[:, :2] - self.point_m) @ self.beyond)) + LINE_HALF_WIDTH_M
        if excess <= 0.0:
            return box
        cosines = np.abs(box.rotation[:2, :2].T @ self.beyond)
        axis = int(np.argmax(cosines))
        cut = min(excess / float(cosines[axis]), 0.5 * float(box.size_lwh_m[axis]))
        delta, anchor = np.zeros(3), np.zeros(3)
        delta[axis] = -cut
        anchor[axis] = -float(np.sign(box.rotation[:2, axis] @ self.beyond))  # the face towards the sensor stays
        return box.resized_anchored(delta, anchor)


def _axes(yaw_rad: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = float(np.cos(yaw_rad)), float(np.sin(yaw_rad))
    return np.array([c, s]), np.array([-s, c])


def _line_span_m(along_m: np.ndarray, centre_m: float) -> tuple[float, float]:
    """The extent along the line of the points linked (gaps <= ``LINE_GAP_M``) to ``centre_m``."""
    u = np.sort(along_m)
    start = int(np.clip(np.searchsorted(u, centre_m), 0, len(u) - 1))
    lo = hi = start
    while lo > 0 and u[lo] - u[lo - 1] <= LINE_GAP_M:
        lo -= 1
    while hi < len(u) - 1 and u[hi + 1] - u[hi] <= LINE_GAP_M:
        hi += 1
    return float(u[lo]), float(u[hi])


def far_line(object_m: np.ndarray, yaw_rad: float, scene_m: np.ndarray, sensor_xy_m: np.ndarray,
             prior: ClassPrior, ground_z_m: float) -> FarLine | None:
    """A fence or wall line along the object's far side (away from the sensor), with the mask of
    the object's points on it or beyond it; None when there is none.

    For each axis of the object's rectangle at ``yaw_rad``, the object's points within
    ``EDGE_BAND_M`` of its far side give a first line; the scene's points above the kerbs
    (``ground_z_m`` + 0.3 m) within ``LINE_HALF_WIDTH_M`` of it refine it (principal axis). It is a
    fence when its points, linked along it, reach further than the class's largest length
    (``prior.high_lwh_m[0]``) and beyond the object's own extent on both ends, it stands free
    (``_free_standing``) and the object keeps points on its near side of the line."""
    obj = np.asarray(object_m[:, :3], dtype=np.float64)
    if len(obj) < 2 * MIN_LINE_POINTS:
        return None
    scene = np.asarray(scene_m[:, :3], dtype=np.float64)
    scene = scene[scene[:, 2] > ground_z_m + 0.3]
    centre = obj[:, :2].mean(axis=0)
    sensor = np.asarray(sensor_xy_m, dtype=np.float64)[:2]
    for axis in (0, 1):
        along, across = _axes(yaw_rad + 0.5 * np.pi * axis)
        v = (obj[:, :2] - centre) @ across
        side = -1.0 if float((sensor - centre) @ across) > 0.0 else 1.0  # the far side's sign
        edge = v.max() if side > 0 else v.min()
        band = np.abs(v - edge) <= EDGE_BAND_M
        if np.count_nonzero(band) < 3:
            continue
        line = _far_line(obj, scene, centre + float(np.median(v[band])) * across, along, across, side, prior)
        if line is not None:
            return line
    return None


def _free_standing(u_m: np.ndarray, v_far_m: np.ndarray, on_line: np.ndarray, obj_lo_m: float, obj_hi_m: float,
                   reach_m: float) -> bool:
    """Whether the line stands free: beside the object (outside its extent along the line) the
    scene holds at most ``FRONT_SHARE`` as many points in the strip in front of the line (from
    its half width to three half widths towards the sensor) as on the line. A fence or a wall is
    a line; a row of parked objects has its bodies in front of the line their far ends make."""
    beside = ((u_m < obj_lo_m) | (u_m > obj_hi_m)) & (np.abs(u_m) <= reach_m)
    front = beside & (v_far_m < -LINE_HALF_WIDTH_M) & (v_far_m >= -3.0 * LINE_HALF_WIDTH_M)
    return bool(np.count_nonzero(front) <= FRONT_SHARE * np.count_nonzero(beside & on_line))


def _far_line(obj: np.ndarray, scene: np.ndarray, point_m: np.ndarray, along: np.ndarray, across: np.ndarray,
              side: float, prior: ClassPrior) -> FarLine | None:
    reach_m = 2.0 * float(prior.high_lwh_m[0])
    rel = scene[:, :2] - point_m
    near = (np.abs(rel @ across) <= LINE_HALF_WIDTH_M) & (np.abs(rel @ along) <= reach_m)
    if np.count_nonzero(near) < MIN_LINE_POINTS:
        return None
    pts = scene[near, :2]
    mid = pts.mean(axis=0)
    direction = np.linalg.svd(pts - mid, full_matrices=False)[2][0]
    if abs(float(direction @ along)) < np.cos(np.radians(15.0)):
        return None  # the points about the side do not run along it
    along = direction * np.sign(float(direction @ along))
    across = np.array([-along[1], along[0]]) * np.sign(float(np.array([-along[1], along[0]]) @ across))
    rel = scene[:, :2] - mid
    on_line = (np.abs(rel @ across) <= LINE_HALF_WIDTH_M) & (np.abs(rel @ along) <= reach_m)
    if np.count_nonzero(on_line) < MIN_LINE_POINTS:
        return None
    obj_rel = obj[:, :2] - mid
    obj_u, obj_v = obj_rel @ along, obj_rel @ across
    lo, hi = _line_span_m(rel[on_line] @ along, float(np.median(obj_u)))
    beyond = side * obj_v >= -LINE_HALF_WIDTH_M  # on the line or behind it, seen from the sensor
    if hi - lo <= float(prior.high_lwh_m[0]) or lo >= obj_u.min() - 0.5 or hi <= obj_u.max() + 0.5:
        return None  # no longer than one object, or it ends with the object
    if not _free_standing(rel @ along, side * (rel @ across), on_line, obj_u.min(), obj_u.max(), reach_m):
        return None  # things stand along it in front (a row of parked bicycles, cars): not a fence
    if np.count_nonzero(~beyond) < MIN_LINE_POINTS:
        return None  # nothing of the object in front of the line: it is the object
    return FarLine(mid, side * across, beyond)
