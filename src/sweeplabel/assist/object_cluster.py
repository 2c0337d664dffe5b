"""Gathering one object's points (pure NumPy + kernels): the candidate points between the road and
the class's top without tall columns, the cluster limited to the class, its parts joined (clusters
that still fit one object of the class and leave no free space seen into a vehicle's body, a part beyond
a gap in the sensor's shadow) and walls, fences and poles left out."""

from __future__ import annotations

import numpy as np

from sweeplabel.kernels import cluster_around, cluster_euclidean, fit_box
from sweeplabel.model import Box

from .class_prior import ClassPrior
from .object_ground import MISLABELLED_GROUND_M, _bev_distance_m
from .prior_fit import _seen_rectangle
from .seen_faces import seen_into, seen_through

MIN_CLUSTER_POINTS = 5
SEED_ON_CLUSTER_M = 0.5  # a click this close (BEV) to a cluster's point is on that cluster
_MAX_PARTS = 12  # the largest sub-clusters tried for one object (the rest are specks)
# no ray enters a box-bodied vehicle's lower body this far (wheel wells ~0.3 m; a pickup's bed is higher up)
FREE_DEPTH_M = 1.0
LOWER_BODY_SHARE = 0.5  # of the class's mean height: below the window line (a car's belt line ~0.6 of its height)


def _object_candidates(points: np.ndarray, ground: np.ndarray, ground_z: float | None, prior: ClassPrior,
                       clearance_m: float) -> np.ndarray:
    """Non-ground points between the ground (+ clearance: kerbs) and the class's top (poles,
    trees), without the columns that rise above the class (``tall_columns``)."""
    keep = ~np.asarray(ground, dtype=bool)
    if ground_z is not None:
        keep |= points[:, 2] > ground_z + MISLABELLED_GROUND_M  # a car's lower body taken for ground
        keep &= points[:, 2] > ground_z + clearance_m
        keep &= points[:, 2] < ground_z + prior.high_lwh_m[2] + 0.3
        keep &= ~tall_columns(points, keep, ground_z + prior.tall_m)
    return keep


def tall_columns(points: np.ndarray, mask: np.ndarray, top_z_m: float, cell_m: float = 0.25) -> np.ndarray:
    """(N,) bool: the points of ``mask`` in bird's-eye cells of ``cell_m`` whose highest
    masked point is above ``top_z_m`` (a wall, a fence or a pole taller than the class)."""
    out = np.zeros(len(points), dtype=bool)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return out
    cells = np.floor(points[idx, :2] / cell_m).astype(np.int64)
    key = (cells[:, 0] - cells[:, 0].min()) * (int(np.ptp(cells[:, 1])) + 1) + (cells[:, 1] - cells[:, 1].min())
    _, inverse = np.unique(key, return_inverse=True)
    inverse = inverse.reshape(-1)
    top = np.full(int(inverse.max()) + 1, -np.inf)
    np.maximum.at(top, inverse, points[idx, 2])
    out[idx] = top[inverse] > top_z_m
    return out


def _near_seed(points: np.ndarray, mask: np.ndarray, seed: np.ndarray, radius_m: float) -> bool:
    """Whether a point of ``mask`` lies within ``radius_m`` (BEV) of the click."""
    return bool(np.any(mask & (_bev_distance_m(points, seed[:2]) <= radius_m)))


def _outside_footprint(points: np.ndarray, seed: np.ndarray, margin_m: float) -> bool:
    """Whether the click lies more than ``margin_m`` outside the points' bounding rectangle (BEV)."""
    box = Box.from_array(fit_box(np.ascontiguousarray(points[:, :3], dtype=np.float32)))
    local = box.rotation.T @ (np.array([seed[0], seed[1], box.center_m[2]]) - box.center_m)
    return bool(np.any(np.abs(local[:2]) > 0.5 * box.size_lwh_m[:2] + margin_m))


def _footprint_lw(points: np.ndarray) -> tuple[float, float]:
    fit = fit_box(np.ascontiguousarray(points[:, :3], dtype=np.float32))
    return float(fit[3]), float(fit[4])


def _limit_to_class(points: np.ndarray, members: np.ndarray, seed: np.ndarray, link_m: float, roi_m: float,
                    candidates: np.ndarray, prior: ClassPrior) -> np.ndarray:
    """The cluster, cut down to what one object of the class can be: a shorter link first
    (a kerb or a wall touching the car), then a class-sized disc around the click."""
    if prior.fits(*_footprint_lw(points[members])):
        return members
    for share in (0.7, 0.5):
        fewer = cluster_around(points, seed.astype(np.float32), max(0.15, share * link_m), roi_radius_m=roi_m,
                               mask=candidates)
        if len(fewer) >= MIN_CLUSTER_POINTS and prior.fits(*_footprint_lw(points[fewer])):
            return fewer
    near = members[_bev_distance_m(points[members], seed[:2]) <= 0.5 * float(prior.mean_lwh_m[1])]
    core = points[near, :2].mean(axis=0) if len(near) else seed[:2]
    return members[_bev_distance_m(points[members], core) <= prior.max_radius_m]


def _part_link_m(prior: ClassPrior, link_m: float) -> float:
    """The link that splits a cluster into the parts of one object and what touches it: a quarter
    of the class's width, between 0.3 m and ``link_m`` (a car's bonnet, cabin and the seats seen
    through its windows lie further apart than the parts of a person or a bicycle)."""
    return float(np.clip(0.25 * float(prior.mean_lwh_m[1]), 0.3, max(link_m, 0.3)))


def _class_clusters(points: np.ndarray, prior: ClassPrior, link_m: float,
                    seed_m: np.ndarray | None = None, ground_z_m: float | None = None,
                    sensor_m: np.ndarray | None = None) -> np.ndarray:
    """The object's points among ``points``: the cluster (linked within ``link_m``, heights
    squashed) nearest the seed (else the largest), plus the other clusters, largest first,
    that still fit one object of the class with it. Thin clusters taller than the class
    (walls, fences, poles beside the object) are left out; with the sensor's position ``sensor_m``
    (box-bodied classes) so is a part whose joining puts the object's own returns deep inside its
    lower body (``_opens_free_space``)."""
    if not len(points):  # nothing around the seed (a click beside every cluster)
        return points[:0]
    squashed = np.ascontiguousarray(points[:, :3], dtype=np.float32).copy()
    squashed[:, 2] *= 0.3  # sparse beams lie far apart vertically: one object, many scan lines
    labels = cluster_euclidean(squashed, link_m, 1)
    if labels.max() < 0:
        return points[:0]
    counts = np.bincount(labels[labels >= 0])
    if ground_z_m is not None:
        for lab in range(len(counts)):
            if counts[lab] and _wall_or_pole(points[labels == lab], prior, ground_z_m):
                counts[lab] = 0
                labels[labels == lab] = -1
        if counts.max() == 0:
            return points[:0]
    order = [int(k) for k in np.argsort(-counts) if counts[k] > 0]
    main = order[0]
    if seed_m is not None:
        d = np.hypot(points[:, 0] - seed_m[0], points[:, 1] - seed_m[1])
        d[labels < 0] = np.inf
        nearest = int(np.argmin(d))
        near = labels[nearest]
        on_it = d[nearest] <= SEED_ON_CLUSTER_M  # the click lands on that cluster: the user chose it
        if counts[near] >= MIN_CLUSTER_POINTS and (on_it or counts[near] >= 0.2 * counts[main]):
            main = near
    keep = labels == main
    for lab in order[:_MAX_PARTS]:
        if lab == main:
            continue
        trial = keep | (labels == lab)
        if prior.fits(*_footprint_lw(points[trial]), tolerance_m=0.1) and not (
                sensor_m is not None and ground_z_m is not None
                and _opens_free_space(points, keep, trial, prior, sensor_m, ground_z_m)):
            keep = trial
    return points[keep]


def _opens_free_space(points: np.ndarray, keep: np.ndarray, trial: np.ndarray, prior: ClassPrior,
                      sensor_m: np.ndarray, ground_z_m: float) -> bool:
    """Whether joining the part (``trial`` less ``keep``) to the object makes a box the sensor saw into:
    the rectangle of the joined points holds more of its points deep inside its lower body
    (``seen_faces.seen_into``: ``FREE_DEPTH_M`` behind where their ray enters it, from 0.25 m above the
    ground (the gap under the sills) to ``LOWER_BODY_SHARE`` of the class's height) than the rectangle of
    ``keep`` does, by at least 3 and at least as many as the part adds. A box-bodied vehicle's lower body
    is opaque; scattered returns metres in front of its face, joined by the wide link far from the sensor,
    would put its near face there and the returns of its real face deep inside it."""
    below_m = LOWER_BODY_SHARE * float(prior.mean_lwh_m[2])

    def deep(mask: np.ndarray) -> int:
        pts = np.ascontiguousarray(points[mask, :3], dtype=np.float32)
        return seen_into(_seen_rectangle(pts, ground_z_m), pts, sensor_m, FREE_DEPTH_M, below_m, 0.25)
    return deep(trial) - deep(keep) >= max(3, int(trial.sum() - keep.sum()))


def _wall_or_pole(points: np.ndarray, prior: ClassPrior, ground_z_m: float) -> bool:
    """A cluster at most 0.35 m thick in BEV that rises above the class's height
    (``ClassPrior.tall_m``): a wall, a fence or a pole, not part of the object."""
    if len(points) < 3:
        return False
    if float(points[:, 2].max()) < ground_z_m + prior.tall_m:
        return False
    return _footprint_lw(points)[1] <= 0.35


def _across_shadowed_gap(obj: np.ndarray, points: np.ndarray, candidates: np.ndarray, prior: ClassPrior,
                         sensor_m: np.ndarray, min_points: int = MIN_CLUSTER_POINTS, max_rays: int = 2) -> np.ndarray:
    """The object's points ``obj`` and the candidate points in line with them beyond a gap no
    sensor ray saw through.

    A part whose seen length lies between the class's widest width and its short end shows its
    length axis; the object goes on along it. Candidate ``points`` within the part's width along
    that axis, up to the class's largest length in all, belong to it when the gap between (a box
    of the part's height and the class's mean width, if narrower than the part: the seen
    rectangle's edges hold mirrors and stray returns the rays pass beside) holds at most ``max_rays`` rays from the sensor to a point
    beyond it: the gap lies in the shadow (the front of a truck hides its middle), it is not the
    free space between two objects."""
    part = _seen_rectangle(np.ascontiguousarray(obj[:, :3], dtype=np.float32), None)
    length, width = float(part.size_lwh_m[0]), float(part.size_lwh_m[1])
    if not (prior.high_lwh_m[1] < length < prior.complete_below_lwh_m[0]):
        return obj
    local = (np.asarray(points[:, :3], dtype=np.float64) - part.center_m) @ part.rotation
    reach = float(prior.high_lwh_m[0]) - 0.5 * length
    inside = part.contains(points, 0.05)
    corridor = candidates & ~inside & (np.abs(local[:, 1]) <= 0.5 * width) & (np.abs(local[:, 0]) <= reach)
    out = obj
    for sign in (-1.0, 1.0):
        ahead = np.flatnonzero(corridor & (sign * local[:, 0] > 0.5 * length))
        if len(ahead) < min_points:
            continue
        start = float(np.min(sign * local[ahead, 0]))  # where the other part begins
        if start - 0.5 * length < 0.5:  # no gap to speak of: the link would have taken it
            continue
        gap = Box(part.center_m + part.rotation @ np.array([sign * 0.25 * (length + 2.0 * start), 0.0, 0.0]),
                  [start - 0.5 * length, min(width, float(prior.mean_lwh_m[1])), part.size_lwh_m[2]], part.yaw_rad)
        joined = np.vstack([out, points[ahead, :out.shape[1]]])
        if seen_through(gap, points, sensor_m) <= max_rays and prior.fits(*_footprint_lw(joined), tolerance_m=0.0):
            out = joined
    return out
