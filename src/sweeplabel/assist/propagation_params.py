"""The thresholds of a propagation run (``PropagationParams``): the search and the cluster of the
re-fit, the yaw window, the stop test, the velocity filter (metres, radians)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class PropagationParams:
    """Thresholds of the re-fit and of the stop test (metres, radians)."""

    search_margin_m: float = 1.0  # the region searched around the predicted box
    ground_clearance_m: float = 0.25  # points lower than this above the box bottom are ground
    cluster_radius_m: float = 0.6
    z_squash: float = 0.3  # z is scaled by this for clustering (sparse beams are far apart vertically)
    max_yaw_dev_rad: float = math.radians(10.0)
    min_points: int = 8
    max_jump_m: float = 1.5
    min_bev_iou: float = 0.4
    stationary_speed_mps: float = 0.3
    velocity_gain: float = 0.6  # weight of each new fit in the velocity estimate
    history: int = 8  # boxes (keyframes, earlier propagated or pre-annotated ones) for the motion estimate
    moving_speed_mps: float = 1.5  # faster: the yaw window narrows (cars move along their heading)
    moving_yaw_dev_rad: float = math.radians(4.0)
    yaw_gain: float = 0.5  # share of the fitted yaw change taken per frame
    min_explained: float = 0.5  # share of the points around the fitted box that it must hold
    max_scene_shift_m: float = 8.0  # without poses: how far the ego may carry the scene between frames
    keep_margin_m: float = 0.4  # with a known motion, object points lie this close to the prediction (40 % sideways)
