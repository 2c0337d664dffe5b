"""One-click and rectangle box proposals (pure NumPy + kernels; no Qt, no Open3D).

All inputs live in one local float32 frame (e.g. the render frame: world minus the
sequence's render origin), so UTM-sized coordinates keep their centimetres. Results
are ``Box`` objects in that same frame; the caller shifts them back to the world.

One click: crop around the clicked point, drop the ground, grow a Euclidean cluster
from the click (``cluster_around``), fit an oriented box (``fit_box``) sitting on the
local ground. A LiDAR sees an object from one side only, so a fitted footprint that is
shorter than the class's default size is grown to it, away from the sensor.

With a class prior (``assist.class_prior``) the cluster is limited to the class: points above
the class's height over the ground are left out (poles, trees, walls above a car), a cluster
larger than the class allows is split with a shorter link or cut to a class-sized window
around the click (kerbs and walls touching the object), and each axis the points show shorter
than the class allows takes the class's size, anchored on the face the sensor saw.

The parts live beside this module: ``object_ground`` (the road under the object),
``object_cluster`` (gathering its points, joining its parts), ``prior_fit`` (the box fit with the class
prior) with ``seen_faces`` (what the sensor saw), ``refit`` (editing a box from the points); their public
names stay importable from here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sweeplabel.kernels import GridGroundParams, cluster_around, fit_box, segment_ground
from sweeplabel.model import Box

from .class_prior import ClassPrior
from .object_cluster import (
    MIN_CLUSTER_POINTS,
    SEED_ON_CLUSTER_M,
    _across_shadowed_gap,
    _class_clusters,
    _footprint_lw,
    _limit_to_class,
    _near_seed,
    _object_candidates,
    _outside_footprint,
    _part_link_m,
    tall_columns,
)
from .object_ground import (
    FAR_GROUND_RADIUS_M,
    MISLABELLED_GROUND_M,
    _bev_distance_m,
    local_ground_z_m,
    object_ground_z_m,
    ring_ground_z_m,
    road_z_m,
)
from .prior_fit import (
    box_bodied,
    complete_to_class,
    fit_with_prior,
    lshape_yaw_rad,
    width_as_seen,
)
from .refit import aligned_to, refit_box, snap_to_ground
from .seen_faces import (
    SAMPLE_STEP_SHARE,
    azimuth_step_rad,
    extent_between_samples,
    scan_line_spacing_rad,
    seen_through,
    top_between_beams,
)

__all__ = [
    "FAR_GROUND_RADIUS_M", "MIN_CLUSTER_POINTS", "MISLABELLED_GROUND_M", "SAMPLE_STEP_SHARE", "SEED_ON_CLUSTER_M",
    "OneClickParams", "aligned_to", "azimuth_step_rad", "complete_to_class", "extent_between_samples", "fit_region",
    "fit_with_prior", "grow_to_default", "local_ground_z_m", "lshape_yaw_rad", "object_ground_z_m", "propose_box",
    "refit_box", "ring_ground_z_m", "road_z_m", "scan_line_spacing_rad", "seen_through", "snap_to_ground",
    "tall_columns", "top_between_beams", "width_as_seen",
]


@dataclass(frozen=True)


class OneClickParams:
    """Tuning of the one-click proposal (metres)."""

    crop_radius_m: float = 8.0  # BEV radius kept around the click
    link_radius_m: float = 0.45  # cluster growth distance near the sensor
    link_per_m: float = 0.04  # ... growing with range (rings spread out far away)
    roi_radius_m: float = 5.0  # cluster may not reach further than this from the click
    ground_radius_m: float = 4.0  # ground points this close (BEV) give the local ground height
    grow_to_default_below: float = 0.8  # grow an axis shorter than this share of the default
    ground_clearance_m: float = 0.15  # points lower than ground + this are not the object


def _sensor_3d(sensor_xy_m: np.ndarray | None, sensor_z_m: float | None) -> np.ndarray | None:
    if sensor_xy_m is None or sensor_z_m is None:
        return None
    return np.array([float(sensor_xy_m[0]), float(sensor_xy_m[1]), float(sensor_z_m)])


def _crop(points: np.ndarray, ground_mask: np.ndarray | None, seed_m: np.ndarray,
          radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    keep = _bev_distance_m(points, seed_m) <= radius_m
    crop = np.ascontiguousarray(points[keep, :3], dtype=np.float32)
    if ground_mask is not None:
        return crop, np.asarray(ground_mask, dtype=bool)[keep]
    if len(crop) == 0:
        return crop, np.zeros(0, dtype=bool)
    return crop, segment_ground(crop, method="grid", params=GridGroundParams(cell_m=1.0, above_min_m=0.2))


def grow_to_default(box: Box, default_size_lwh_m: np.ndarray, sensor_xy_m: np.ndarray | None,
                    below: float = 0.8) -> Box:
    """Grow each axis shorter than ``below`` x the default to the default: length and
    width keep the face nearest the sensor in place (the side the LiDAR saw), height
    keeps the bottom."""
    default = np.asarray(default_size_lwh_m, dtype=np.float64)
    delta = np.zeros(3)
    anchor = np.zeros(3)
    to_sensor_local = np.zeros(3)
    if sensor_xy_m is not None:
        to_sensor = np.array([sensor_xy_m[0], sensor_xy_m[1], 0.0]) - box.center_m * [1, 1, 0]
        to_sensor_local = box.rotation.T @ to_sensor
    for axis in (0, 1):
        if box.size_lwh_m[axis] < below * default[axis]:
            delta[axis] = default[axis] - box.size_lwh_m[axis]
            # keep the face pointing at the sensor: anchor sign = side of the sensor
            anchor[axis] = float(np.sign(to_sensor_local[axis]))
    if box.size_lwh_m[2] < below * default[2]:  # top or bottom hidden: keep the bottom on the ground
        delta[2], anchor[2] = default[2] - box.size_lwh_m[2], -1.0
    if not np.any(delta):
        return box
    return box.resized_anchored(delta, anchor)


def propose_box(points: np.ndarray, seed_m: np.ndarray, default_size_lwh_m: np.ndarray, *,
                ground_mask: np.ndarray | None = None, sensor_xy_m: np.ndarray | None = None,
                params: OneClickParams = OneClickParams(), prior: ClassPrior | None = None,
                sensor_z_m: float | None = None) -> Box | None:
    """A box around the object under the clicked point ``seed_m`` (3,), or None.

    ``points`` (N, 3+) float32; ``ground_mask`` (N,) bool for the same points (computed
    on the crop with a grid ground fit when omitted); ``sensor_xy_m`` where the sensor
    stood (to grow a partial view away from it) and ``sensor_z_m`` its height (to place the top
    between the scan lines); ``prior`` the class's sizes (else ``default_size_lwh_m`` +- 30 %)."""
    points = np.asarray(points)
    seed = np.asarray(seed_m, dtype=np.float64).reshape(3)
    prior = prior if prior is not None else ClassPrior.from_size(default_size_lwh_m)
    crop, ground = _crop(points, ground_mask, seed, max(params.crop_radius_m, prior.max_radius_m + 2.0))
    if len(crop) < MIN_CLUSTER_POINTS:
        return None
    ground_z = object_ground_z_m(crop, ground, seed[:2], prior, params.ground_radius_m)
    if ground_z is None and ground_mask is not None:  # no road in the crop: look further (far objects)
        under = ~ground & (_bev_distance_m(crop, seed[:2]) <= SEED_ON_CLUSTER_M)  # the clicked object's points
        lowest = float(crop[under, 2].min()) - params.ground_clearance_m if np.any(under) else None
        ground_z = object_ground_z_m(points, np.asarray(ground_mask, dtype=bool), seed[:2], prior,
                                     params.ground_radius_m, lowest)
    candidates = _object_candidates(crop, ground, ground_z, prior, params.ground_clearance_m)
    if not _near_seed(crop, candidates, seed, SEED_ON_CLUSTER_M):
        # the clicked object's points were all left out (a far car's low scan line, close to the road):
        # keep every non-ground point above the road there rather than grow a cluster metres away
        candidates = _object_candidates(crop, ground, ground_z, prior, 0.0)
    link_m = params.link_radius_m
    if sensor_xy_m is not None:
        link_m = max(link_m, params.link_per_m * float(np.hypot(*(seed[:2] - np.asarray(sensor_xy_m)))))
    roi_m = max(params.roi_radius_m, 2.0 * prior.max_radius_m)
    members = cluster_around(crop, seed.astype(np.float32), link_m, roi_radius_m=roi_m, mask=candidates)
    if len(members) < MIN_CLUSTER_POINTS:
        return None
    members = _limit_to_class(crop, members, seed, link_m, roi_m, candidates, prior)
    if len(members) < MIN_CLUSTER_POINTS:
        return None
    if _footprint_lw(crop[members])[0] < prior.complete_below_lwh_m[0]:  # a part: a gap splits the object?
        wider = cluster_around(crop, seed.astype(np.float32), min(2.0 * link_m, link_m + 1.0), roi_radius_m=roi_m,
                               mask=candidates)
        if len(wider) > len(members) and prior.fits(*_footprint_lw(crop[wider]), tolerance_m=0.0):
            members = wider
    sensor_m = _sensor_3d(sensor_xy_m, sensor_z_m)
    body_sensor = sensor_m if sensor_m is not None and box_bodied(prior) else None  # free space seen into a body
    obj = _class_clusters(crop[members], prior, _part_link_m(prior, params.link_radius_m), seed, ground_z, body_sensor)
    if len(obj) < MIN_CLUSTER_POINTS:
        return None
    if _outside_footprint(obj, seed, SEED_ON_CLUSTER_M):
        # the click lies beside the cluster: the object reaches there (a car cut in two by an occluder);
        # its parts are the clusters within the class's size around the click
        disc = np.flatnonzero(candidates & (_bev_distance_m(crop, seed[:2]) <= prior.max_radius_m))
        parts = _class_clusters(crop[disc], prior, _part_link_m(prior, params.link_radius_m), seed, ground_z,
                                body_sensor)
        if len(parts) > len(obj) and not _outside_footprint(parts, seed, SEED_ON_CLUSTER_M):
            obj = parts
    if sensor_m is not None and prior.elongated:
        obj = _across_shadowed_gap(obj, crop, candidates, prior, sensor_m)
    return fit_with_prior(obj, ring_ground_z_m(crop, ground, obj, ground_z), prior, sensor_xy_m, sensor_m, crop)


def fit_region(points: np.ndarray, inside: np.ndarray, *, ground_mask: np.ndarray | None = None,
               ground_radius_m: float = 4.0, ground_clearance_m: float = 0.15, prior: ClassPrior | None = None,
               sensor_xy_m: np.ndarray | None = None, link_radius_m: float = 0.5,
               sensor_z_m: float | None = None) -> Box | None:
    """Fit a box to the non-ground points selected by ``inside`` (N,) bool (e.g. a
    rectangle dragged in the bird's-eye view); None when fewer than 5 points remain.

    With a class ``prior`` the selection is clustered and clusters that do not fit one object
    of the class with the largest one (kerbs, poles, a wall in the rectangle's corner) are left
    out; the box is completed to the class's size as in one-click."""
    points = np.asarray(points)
    inside = np.asarray(inside, dtype=bool)
    if not np.any(inside):
        return None
    centre_xy = points[inside, :2].mean(axis=0)
    if ground_mask is None:
        region = _bev_distance_m(points, centre_xy) <= ground_radius_m + 10.0
        crop = np.ascontiguousarray(points[region, :3], dtype=np.float32)
        ground = np.zeros(len(points), dtype=bool)
        ground[region] = segment_ground(crop, method="grid") if len(crop) else False
    else:
        ground = np.asarray(ground_mask, dtype=bool)
    lowest = float(points[inside & ~ground, 2].min()) - ground_clearance_m if np.any(inside & ~ground) else None
    ground_z = (local_ground_z_m(points, ground, centre_xy, ground_radius_m) if prior is None
                else object_ground_z_m(points, ground, centre_xy, prior, ground_radius_m, lowest))
    selected = inside & ~ground
    if ground_z is not None:
        if prior is not None:
            selected |= inside & (points[:, 2] > ground_z + MISLABELLED_GROUND_M)  # a car's lower body taken for ground
        selected &= points[:, 2] > ground_z + ground_clearance_m
    if prior is not None and ground_z is not None:
        selected &= points[:, 2] < ground_z + prior.high_lwh_m[2] + 0.3
        selected &= ~tall_columns(points, selected, ground_z + prior.tall_m)
    if np.count_nonzero(selected) < MIN_CLUSTER_POINTS:
        return None
    chosen = np.ascontiguousarray(points[selected, :3], dtype=np.float32)
    if prior is None:
        return Box.from_array(fit_box(chosen, ground_z_m=ground_z))
    chosen = _class_clusters(chosen, prior, link_radius_m, None, ground_z)
    if len(chosen) < MIN_CLUSTER_POINTS:
        return None
    scene = points[_bev_distance_m(points, centre_xy) <= prior.max_radius_m + 4.0]
    return fit_with_prior(chosen, ring_ground_z_m(points, ground, chosen, ground_z), prior, sensor_xy_m,
                          _sensor_3d(sensor_xy_m, sensor_z_m), scene)
