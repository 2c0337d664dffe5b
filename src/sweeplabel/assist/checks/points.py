"""Per-box point statistics of one frame: points inside, local ground height, range.

Boxes are in the world frame and points in the sensor frame: the boxes are moved into
the sensor frame (inverse of ``T_world_sensor``, yaw-only like ``Box.transformed``) so
the float32 points are used as they are."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ...kernels import points_in_boxes_csr, segment_ground
from ...model import Sequence, invert_transform
from ...model.geometry import yaw_of_rotation
from .settings import CheckSettings


_HORIZON_M = 0.3
_MAX_GRADE = 0.04  # how fast the ground may rise or fall away from the sensor (4 %)
_MIN_BELOW_SHARE = 0.05  # floating needs this share of the column's points below the box


@dataclass
class PointStats:
    """Per box (same order as the boxes given): points inside, how far the bottom floats
    above / sinks below the ground (NaN: no evidence), and how far the farthest corner
    reaches beyond the point-cloud range (<= 0: inside)."""

    counts: np.ndarray  # above the bottom slice (``ignore_bottom_m``): what the checks judge
    floating_m: np.ndarray
    sunk_m: np.ndarray
    beyond_range_m: np.ndarray
    cloud_range_m: float
    whole_counts: np.ndarray | None = None  # every point in the box: the count the app shows


def boxes_to_sensor(boxes_world: np.ndarray, T_world_sensor: np.ndarray) -> np.ndarray:
    """(M, 7) world boxes -> sensor frame (upright boxes; only the yaw of the rotation is kept)."""
    T = invert_transform(T_world_sensor)
    out = np.array(boxes_world, dtype=np.float64, copy=True).reshape(-1, 7)
    out[:, :3] = boxes_world[:, :3] @ T[:3, :3].T + T[:3, 3]
    out[:, 6] = boxes_world[:, 6] + yaw_of_rotation(T[:3, :3])
    return out


@dataclass
class FrameCloud:
    """One frame's points in the sensor frame, with what the checks derive from them."""

    xyz: np.ndarray  # (N, 3) float32, C-contiguous, finite
    cloud_range_m: float  # farthest point (bird's-eye view)
    ground_xyz: np.ndarray  # (G, 3) the points Patchwork++ labels ground
    near_ground_z_m: float | None  # median ground height 4-15 m around the sensor


class FramePoints:
    """Loads frames' points on demand (with their ground segmentation) and keeps the
    last ``max_frames`` of them."""

    def __init__(self, sequence: Sequence, max_frames: int = 8) -> None:
        self.sequence = sequence
        self.max_frames = max_frames
        self._cache: OrderedDict[int, FrameCloud] = OrderedDict()

    def get(self, frame_index: int) -> FrameCloud:
        if frame_index in self._cache:
            self._cache.move_to_end(frame_index)
            return self._cache[frame_index]
        pts = self.sequence[frame_index].load_points()
        finite = np.all(np.isfinite(pts[:, :3]), axis=1)
        pts = pts[finite] if not finite.all() else pts
        xyz = np.ascontiguousarray(pts[:, :3], dtype=np.float32)
        rng = float(np.hypot(xyz[:, 0], xyz[:, 1]).max()) if len(xyz) else 0.0
        ground = np.zeros((0, 3), np.float32)
        near_z = None
        if len(xyz):  # x, y, z (+ intensity for Patchwork's reflected-noise removal)
            mask = segment_ground(np.ascontiguousarray(pts[:, :min(4, pts.shape[1])], dtype=np.float32))
            ground = np.ascontiguousarray(xyz[mask])
            r = np.hypot(ground[:, 0], ground[:, 1])
            near = ground[(r > 4.0) & (r < 15.0), 2]
            near_z = float(np.median(near)) if len(near) >= 50 else None
        cloud = FrameCloud(xyz, rng, ground, near_z)
        self._cache[frame_index] = cloud
        while len(self._cache) > self.max_frames:
            self._cache.popitem(last=False)
        return cloud


def point_stats(cloud: FrameCloud, boxes_sensor: np.ndarray, s: CheckSettings) -> PointStats:
    """Statistics of ``boxes_sensor`` (M, 7) over one frame's points."""
    m = len(boxes_sensor)
    points, cloud_range_m = cloud.xyz, cloud.cloud_range_m
    if m == 0:
        return PointStats(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0), cloud_range_m)
    # points inside, without the bottom slice (the ground under the box)
    counted = boxes_sensor.copy()
    cut = np.minimum(s.ignore_bottom_m, 0.5 * counted[:, 5])
    counted[:, 2] += cut / 2
    counted[:, 5] -= cut
    offsets, _ = points_in_boxes_csr(points, np.ascontiguousarray(counted))
    counts = np.diff(offsets).astype(np.int64)
    whole, _ = points_in_boxes_csr(points, np.ascontiguousarray(boxes_sensor))  # as assist.point_count
    floating, sunk = _ground_offsets(cloud, boxes_sensor, s)
    limit = s.max_range_m if s.max_range_m is not None else cloud_range_m
    corners_r = _corner_ranges(boxes_sensor)
    beyond = corners_r.max(axis=1) - limit - s.range_tolerance_m
    return PointStats(counts, floating, sunk, beyond, cloud_range_m, np.diff(whole).astype(np.int64))


def _corner_ranges(boxes: np.ndarray) -> np.ndarray:
    c, s = np.cos(boxes[:, 6]), np.sin(boxes[:, 6])
    hl, hw = boxes[:, 3] / 2, boxes[:, 4] / 2
    out = np.empty((len(boxes), 4))
    for k, (a, b) in enumerate(((1, 1), (1, -1), (-1, -1), (-1, 1))):
        x = boxes[:, 0] + a * hl * c - b * hw * s
        y = boxes[:, 1] + a * hl * s + b * hw * c
        out[:, k] = np.hypot(x, y)
    return out


def _sides_covered(u: np.ndarray, v: np.ndarray, length: float, width: float) -> int:
    """How many of the box's four sides (front, back, left, right) have points beyond them."""
    return int((u > length / 2).any()) + int((u < -length / 2).any()) + \
        int((v > width / 2).any()) + int((v < -width / 2).any())


def _plausible_ground(cloud: FrameCloud, g: np.ndarray) -> np.ndarray:
    """Ground points that can be ground: below the sensor's horizon and within a band
    around the ground near the sensor that widens with distance (``_MAX_GRADE`` slope).
    Patchwork++ also labels flat car roofs and horizontal-beam wall hits as ground."""
    g = g[g[:, 2] < -_HORIZON_M]
    if cloud.near_ground_z_m is None or not len(g):
        return g
    r = np.hypot(g[:, 0], g[:, 1])
    return g[np.abs(g[:, 2] - cloud.near_ground_z_m) <= 0.3 + _MAX_GRADE * r]


def _near_and_far(xy: np.ndarray, box: np.ndarray) -> bool:
    """Ground seen both between the sensor and the box and behind it (one side alone
    cannot tell the height at the centre on a slope)."""
    to_sensor = -box[:2] / max(float(np.hypot(box[0], box[1])), 1e-9)
    along = (xy - box[:2]) @ to_sensor
    reach = 0.5 * float(np.hypot(box[3], box[4]))
    return int((along > reach * 0.5).sum()) >= 3 and int((along < -reach * 0.5).sum()) >= 3


def _local_uv(xy: np.ndarray, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    dx, dy = xy[:, 0] - box[0], xy[:, 1] - box[1]
    c, sn = np.cos(box[6]), np.sin(box[6])
    return dx * c + dy * sn, -dx * sn + dy * c


def _ground_offsets(cloud: FrameCloud, boxes: np.ndarray, s: CheckSettings) -> tuple[np.ndarray, np.ndarray]:
    """(floating_m, sunk_m) per box, NaN where the points give no evidence.

    Floating: points in the footprint (grown 5 cm) more than ``max_float_m`` below the
    box bottom (the object's lower part or the ground under it); the offset is the bottom
    minus the lowest of them (at least 3 points and 5 % of the column; returns below the
    plausible ground, e.g. multipath mirrors under a cyclist in KITTI, are not counted). Sunk needs two witnesses that agree: the lowest points in
    the footprint above the bottom, and a ground plane fitted to the Patchwork++ ground
    points in a ring of ``ground_margin_m`` around the box, seen on at least three sides
    (occluded ground is no evidence). Ground points less than ``_HORIZON_M`` below the
    sensor are ignored: a horizontal beam hitting walls looks like flat ground there."""
    m = len(boxes)
    floating, sunk = np.full(m, np.nan), np.full(m, np.nan)
    column = boxes.copy()
    column[:, 3:5] += 0.1  # tight boxes: the sides the lidar sees lie on the faces
    column[:, 2] -= 1.5
    column[:, 5] += 3.0
    c_off, c_idx = points_in_boxes_csr(cloud.xyz, np.ascontiguousarray(column))
    ring = boxes.copy()
    ring[:, 3:5] += 2 * s.ground_margin_m
    ring[:, 5] += 6.0  # 3 m below and above the box
    r_off, r_idx = points_in_boxes_csr(cloud.ground_xyz, np.ascontiguousarray(ring))
    for b in range(m):
        bottom = boxes[b, 2] - boxes[b, 5] / 2
        z = cloud.xyz[c_idx[c_off[b]:c_off[b + 1]], 2].astype(np.float64)
        below = z[z < bottom - s.max_float_m]
        if cloud.near_ground_z_m is not None:  # drop underground returns (multipath mirrors)
            band = 0.3 + _MAX_GRADE * float(np.hypot(boxes[b, 0], boxes[b, 1]))
            below = below[below >= cloud.near_ground_z_m - band]
        if len(below) >= max(3, _MIN_BELOW_SHARE * len(z)):
            floating[b] = bottom - float(np.percentile(below, 5))
        inside = z[z >= bottom]
        if len(inside) < 3:
            continue
        sink_obj = float(np.percentile(inside, 5)) - bottom
        if np.hypot(boxes[b, 0], boxes[b, 1]) > s.sunk_max_range_m:
            continue  # sparse, mostly occluded ground far away: no reliable height
        g = _plausible_ground(cloud, cloud.ground_xyz[r_idx[r_off[b]:r_off[b + 1]]].astype(np.float64))
        if len(g) < s.min_ground_points:
            continue
        u, v = _local_uv(g[:, :2], boxes[b])
        out = (np.abs(u) > boxes[b, 3] / 2) | (np.abs(v) > boxes[b, 4] / 2)
        g, u, v = g[out], u[out], v[out]
        if len(g) < s.min_ground_points or _sides_covered(u, v, boxes[b, 3], boxes[b, 4]) < 3 \
                or not _near_and_far(g[:, :2], boxes[b]):
            continue
        low = g[:, 2] <= np.percentile(g[:, 2], 10) + 0.25
        ground = _plane_at_centre(g[low, 0] - boxes[b, 0], g[low, 1] - boxes[b, 1], g[low, 2])
        sunk[b] = min(sink_obj, ground - bottom)
    return floating, sunk


def _plane_at_centre(dx: np.ndarray, dy: np.ndarray, z: np.ndarray) -> float:
    """Height at (0, 0) of the least-squares plane z = a + b dx + c dy (slopes damped)."""
    A = np.column_stack([np.ones_like(dx), dx, dy])
    ridge = np.diag([0.0, 1.0, 1.0])  # keeps a one-sided ring from tilting the plane wildly
    coef = np.linalg.solve(A.T @ A + ridge, A.T @ z)
    return float(coef[0])
