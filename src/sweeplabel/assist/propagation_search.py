"""Where a propagation step looks and what it takes: the search margin (the default with a known
motion, as far as the class can move in the frame gap without), the class's speed and rigidity,
and the object's cluster among the searched points (the one best matching the prediction)."""

from __future__ import annotations

import math

import numpy as np

from ..kernels import cluster_euclidean, points_in_boxes
from ..model import Box, Project
from .motion import Motion
from .object_view import grown
from .propagation_params import PropagationParams

LATERAL_WEIGHT = 3.0  # a vehicle's offset across its heading weighs this much more than along it
MAX_SIDESTEP_M = 1.0  # ... and is at most this (+ half its width: a one-sided view's centroid) in a wide search


def _object_cluster(pts: np.ndarray, inside: np.ndarray, pred: Box, params: PropagationParams,
                    margin_m: float | None = None) -> np.ndarray:
    """Indices of the object's points among the region's: the cluster with most points in
    the predicted box, plus every cluster lying mostly inside it (sparse beams split a car
    into bumper, hood and roof clusters). With a search wider than the default (motion not
    yet known) and no cluster in the predicted box, the cluster of the track's size with
    most points, nearest the prediction."""
    squashed = pts.copy()
    squashed[:, 2] *= params.z_squash
    labels = cluster_euclidean(squashed, params.cluster_radius_m, 1, mask=inside)
    if labels.max() < 0:
        return np.zeros(0, dtype=np.int64)
    near = points_in_boxes(pts, grown(pred, 0.3).to_array()[None, :])[0] >= 0
    n = int(labels.max()) + 1
    hits = np.bincount(labels[near & (labels >= 0)], minlength=n)
    sizes = np.bincount(labels[labels >= 0], minlength=n)
    if hits.max() == 0 or (margin_m is not None and margin_m > params.search_margin_m + 0.5):
        best = _best_matching_cluster(pts, labels, n, pred, margin_m or params.search_margin_m)
        if best is None:
            return np.zeros(0, dtype=np.int64)
        if hits.max() == 0 or hits[best] < hits.max():
            return np.flatnonzero(labels == best)
    keep = hits >= 0.5 * sizes
    keep[int(np.argmax(hits))] = True
    keep &= hits > 0
    return np.flatnonzero((labels >= 0) & keep[np.maximum(labels, 0)])


def _best_matching_cluster(pts: np.ndarray, labels: np.ndarray, n: int, pred: Box, margin_m: float) -> int | None:
    """The cluster no larger than the track (+ 0.6 m) scoring most sqrt(points) / (1 + (d / margin)^2)
    x shape^2: d its centroid's BEV distance to the prediction (an elongated track's offset across
    its heading counted ``LATERAL_WEIGHT`` times, and at most half its width + ``MAX_SIDESTEP_M``),
    shape (0..2) how much of the track's length and width its extent covers (a sweep shows at
    least one whole side of a car; a bush or a pole beside the old position shows less). The
    square root: a nearer car beside the track has more points, not more likeness."""
    best, best_score = None, 0.0
    limit = pred.size_lwh_m[:2] + 0.6
    # a vehicle moves along its heading: a cluster beside the prediction (the next lane) is further
    lateral = LATERAL_WEIGHT if pred.size_lwh_m[0] >= 1.5 * pred.size_lwh_m[1] else 1.0
    for lab in range(n):
        member = pts[labels == lab]
        if len(member) < 3:
            continue
        ext = np.ptp(member[:, :2] @ pred.rotation[:2, :2], axis=0)  # extent along the box's axes
        if ext[0] > limit[0] + 0.5 or ext[1] > limit[0] + 0.5 or min(ext) > limit[1] + 0.5:
            continue
        off = (member[:, :2].mean(axis=0) - pred.center_m[:2]) @ pred.rotation[:2, :2]  # along, across the heading
        if lateral > 1.0 and abs(off[1]) > 0.5 * pred.size_lwh_m[1] + MAX_SIDESTEP_M:
            continue  # a vehicle does not step sideways by a lane in one frame gap
        d = float(np.hypot(off[0], lateral * off[1]))
        shape = min(1.0, ext[0] / pred.size_lwh_m[0]) + min(1.0, ext[1] / pred.size_lwh_m[1])
        score = math.sqrt(len(member)) / (1.0 + (d / max(margin_m, 0.1)) ** 2) * shape ** 2
        if score > best_score:
            best, best_score = lab, score
    return best


# fastest plausible speed of a class in a street scene (m/s): bounds the search while the motion is unknown
_MAX_SPEED_MPS = {"human": 3.0, "vehicle.bicycle": 8.0, "vehicle.cyclist": 8.0, "vehicle.motorcycle": 15.0,
                  "vehicle": 15.0, "animal": 5.0}


def _rigid(project: Project, category: str) -> bool:
    """The schema's ``rigid`` for ``category`` (True for a category the schema lacks)."""
    schema = project.schema
    return bool(schema.category(category).rigid) if schema.has_category(category) else True


def class_max_speed_mps(category: str) -> float:
    """The longest matching prefix of ``category`` in the speed table (2 m/s for objects)."""
    best = ""
    for prefix in _MAX_SPEED_MPS:
        if category.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _MAX_SPEED_MPS.get(best, 2.0)


def search_margin_m(motion: Motion, stationary: bool, dt_s: float, max_speed_mps: float,
                    params: PropagationParams) -> float:
    """How far from the predicted footprint the object's points are searched: the default
    with a known motion (plus a share of the distance it covers: speed changes), else as
    far as the class can move in ``dt_s``."""
    if stationary:
        return params.search_margin_m
    if motion.known:
        return params.search_margin_m + 0.2 * motion.speed_mps * abs(dt_s)
    return max(params.search_margin_m, min(8.0, max_speed_mps * abs(dt_s)))
