"""Classification of a tracked object by its size and shape: the class rules (ranges of
extents per class, static and moving), the pre-annotation parameters that carry them, and
the shape tests that tell a rider on a bicycle from the end or side of a car."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .one_click import MISLABELLED_GROUND_M
from .scorer import DEFAULT_MIN_SCORE
from .tracker import Detection, TrackerParams


@dataclass(frozen=True)
class ClassRule:
    """A class by size. ``ranges_m``: (longer side, shorter side, height) a track's extents
    must fall in; ``clamp_lwh_m``: the range of its final size, ``typical_lwh_m`` the value
    used where a partial view shows less than the range. ``face``: the extents are one
    face of the object (a car seen only from behind): its heading is across the face."""

    category: str
    ranges_m: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    clamp_lwh_m: tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
    typical_lwh_m: tuple[float, float, float]
    face: bool = False

    def violation(self, extents_m: np.ndarray) -> float:
        """How far the extents lie outside the ranges, relative to the range ends, summed
        over the axes (0: inside)."""
        return float(sum(max(0.0, (lo - v) / max(lo, 0.1), (v - hi) / hi)
                         for v, (lo, hi) in zip(extents_m, self.ranges_m)))

    def size_from(self, lwh_m: np.ndarray) -> np.ndarray:
        """Observed extents (along the heading, across, height) to a size in the class range."""
        out = []
        for axis, (v, (lo, hi), typical) in enumerate(zip(lwh_m, self.clamp_lwh_m, self.typical_lwh_m)):
            if axis == 2:  # sparse beams often miss the top: a height well under the typical one is partial
                lo = max(lo, 0.92 * typical)
            out.append(typical if v < lo else min(v, hi))
        return np.array(out)


_CAR = ((3.4, 5.2), (1.5, 2.1), (1.3, 1.9)), (4.4, 1.8, 1.55)
_PED = ((0.45, 0.9), (0.45, 0.8), (1.2, 2.0)), (0.65, 0.65, 1.75)
_CYC = ((1.5, 2.1), (0.45, 0.9), (1.3, 2.0)), (1.8, 0.6, 1.75)
_VAN = ((4.5, 6.2), (1.8, 2.4), (2.1, 2.8)), (5.2, 2.0, 2.3)
_TRUCK = ((6.0, 12.0), (2.2, 2.9), (2.5, 4.0)), (8.0, 2.5, 3.2)

# Static tracks: the heading is ambiguous, ranges are (longer side, shorter side, height).
# The best match wins (the first on a tie; see ``classify_extent``). Extents are a high
# quantile over the track's frames (partial views only ever show less than the object, a
# merge with a neighbour more).
STATIC_RULES: tuple[ClassRule, ...] = (
    ClassRule("human.pedestrian.adult", ((0.35, 1.2), (0.2, 1.0), (1.0, 2.1)), *_PED),
    ClassRule("vehicle.car", ((1.3, 2.3), (0.0, 0.25), (0.6, 2.1)), *_CAR, face=True),
    ClassRule("vehicle.cyclist", ((1.2, 2.4), (0.1, 1.1), (1.0, 2.1)), *_CYC),
    ClassRule("vehicle.car", ((2.4, 5.6), (1.0, 2.3), (0.9, 2.1)), *_CAR),
    ClassRule("vehicle.van", ((3.5, 6.5), (1.6, 2.5), (2.1, 2.9)), *_VAN),
    ClassRule("vehicle.truck", ((5.5, 12.0), (2.0, 3.0), (2.2, 4.0)), *_TRUCK),
)
# A static blob the size rules call a cyclist (or nothing) but whose shape is not one (lower
# than a rider, or as wide at the top as below): the rear or front of a car seen end-on, with
# a little of its side (parked cars far ahead). A car, its heading across the face.
STATIC_CAR_END = ClassRule("vehicle.car", ((1.2, 2.3), (0.0, 1.3), (0.8, 1.68)), *_CAR, face=True)
# A static line of a car's length and height that no rule takes: the side of a car seen
# from across the street, if it is lower at its ends than in the middle (the cabin; walls
# and people walking side by side are as long at the top as below).
STATIC_CAR_SIDE = ClassRule("vehicle.car", ((2.8, 5.6), (0.0, 1.0), (0.9, 1.65)), *_CAR)
# Moving tracks: the heading is the direction of travel, ranges are (along, across, height):
# a car seen from behind shows a wide face across its travel, a cyclist a long side along it.
MOVING_RULES: tuple[ClassRule, ...] = (
    ClassRule("vehicle.car", ((0.0, 5.6), (1.3, 2.3), (0.6, 2.1)), *_CAR),
    ClassRule("vehicle.car", ((2.4, 5.6), (0.3, 2.3), (0.6, 2.1)), *_CAR),
    ClassRule("vehicle.van", ((0.0, 6.5), (1.6, 2.5), (2.1, 2.9)), *_VAN),
    ClassRule("vehicle.truck", ((0.0, 12.0), (2.0, 3.0), (2.2, 4.0)), *_TRUCK),
    ClassRule("human.pedestrian.adult", ((0.0, 1.2), (0.2, 1.0), (1.0, 2.1)), *_PED),
    ClassRule("vehicle.cyclist", ((1.2, 2.4), (0.1, 1.1), (1.0, 2.1)), *_CYC),
)



@dataclass(frozen=True)
class PreannotateParams:
    max_range_m: float = 70.0
    min_height_m: float = 0.25  # above the local ground (kerbs, curbs, noise below)
    max_height_m: float = 4.0
    ground_cell_m: float = 2.0
    # a ground cell higher than the lowest within two cells by more than this is an object taken
    # for ground (a car's flank on sparse beams): it takes its neighbours' height (None: kept)
    ground_max_step_m: float | None = 0.5
    # ...or more than the step plus a 15 % grade (a steep street) above the lowest cell within
    # 10 m: a patch of 'ground' on a wall top or a roof (None: not checked)
    ground_max_grade: float | None = 0.15
    # a point Patchwork++ calls ground but this far above the local ground grid is taken as an
    # object's (the lower body of far sparse cars falls into Patchwork++'s loose far zones): the
    # one-click fit's bound for mislabelled ground (None: never)
    ground_readmit_m: float | None = MISLABELLED_GROUND_M
    cluster_radius_m: float = 0.5
    z_squash: float = 0.3
    min_cluster_points: int = 8
    merge_radius_m: float = 0.9  # fragments this close form one object if it stays car-sized
    merge_max_lwh_m: tuple[float, float, float] = (5.6, 2.4, 2.2)
    max_footprint_m: float = 12.0  # clusters longer than this are walls, not objects
    # a cluster larger than this (length, width) is re-clustered with ``split_radius_m`` (two
    # touching objects); off by default: on the synthetic benchmark it found a few more cars
    # but cost precision and id switches (fragments in some frames only), e.g. (5.6, 2.3)
    split_min_lw_m: tuple[float, float] | None = None
    split_radius_m: float = 0.25
    min_track_frames: int = 2
    moving_min_travel_m: float = 1.0
    moving_min_speed_mps: float = 0.8
    max_yaw_dev_rad: float = math.radians(10.0)
    class_tolerance: float = 0.25  # extents may miss a class's ranges by this share (merged neighbours)
    # a cyclist is a rider on a bicycle: at least this tall (90th percentile of its frames)...
    cyclist_min_height_m: float = 1.6
    # ...and narrower at the top (the rider) than at wheel height (the bicycle), along its length
    cyclist_max_top_ratio: float = 0.6
    car_side_max_top_ratio: float = 0.8  # a car's cabin is shorter than its body
    static_rules: tuple[ClassRule, ...] = STATIC_RULES
    moving_rules: tuple[ClassRule, ...] = MOVING_RULES
    tracker: TrackerParams = TrackerParams()
    ground_method: str = "patchwork"
    # a track whose velocity after a gap in its observations differs from the one before by
    # more than this is two objects (a coasting parked car that caught a passing one): split
    split_speed_change_mps: float = 3.0
    # tracks of one class joined across a gap of up to this many frames when the later one
    # starts where the earlier one, extrapolated, would be (static: the boxes overlap)
    stitch_max_gap_frames: int = 10
    stitch_max_dist_m: float = 1.5
    stitch_min_static_iou: float = 0.3
    stitch_max_overlap_frames: int = 3  # ...or sharing up to this many frames (one object tracked twice)
    # the learned scorer (``scorer``) instead of the size rules; None: the shipped model
    use_scorer: bool = True
    scorer_path: str | None = None
    min_score: float = DEFAULT_MIN_SCORE  # tracks / single-frame boxes scoring less are not kept
    candidate_min_score: float = 0.1  # clusters scoring less in their frame are not tracked
    # a vehicle track seen shorter than this share of its class's typical length and narrower
    # than twice this share of its width is a fragment, not kept (None: kept)
    vehicle_min_seen_share: float | None = 0.3
    # ...or whose longer seen side is shorter than this share of its class's typical width: not even
    # its end face is seen whole (0.8 x 1.8 m = 1.44 m, about the narrowest car; None: off)
    vehicle_min_seen_width_share: float | None = 0.8
    # a cluster with fewer than ``road_min_support`` ground points measured within
    # ``road_support_radius_m`` stands on no measured road: its ground is the road plane through the
    # ground near the sensor, extrapolated (``road_plane``); a vehicle track whose lowest points lie
    # more than ``vehicle_max_road_clearance_m`` above it is no vehicle (None: not checked)
    road_support_radius_m: float = 10.0
    road_min_support: int = 30
    vehicle_max_road_clearance_m: float | None = 1.5
    motion_min_frames: int = 3  # ``moving``/``parked`` need this many observed frames
    # a static vehicle track's box fitted as one-click fits it (``one_click.fit_with_prior``:
    # L-shape heading, completed to the class's size on the face the sensor saw); False: the
    # track's size from its extents, re-fitted (moving tracks and people always are: a person or
    # a rider has no rectangle to hug)
    prior_fit: bool = True
    # a sequence without poses whose scene moves by more than the tracker's gate between sweeps
    # is tracked in a frame that follows the ego's motion, estimated from the static scene's
    # shift (``ego_motion``). Off: on SUSTechPOINTS it finds more cars (recall 0.42 -> 0.58) but
    # gives walking people static boxes (more corrections); see benchmarks/README.md
    ego_motion_without_poses: bool = False
    # ...or (with that off) its frames are taken one by one, as independent frames: the tracker
    # cannot confirm over them
    untrackable_as_independent: bool = False
    # a person's box stands on the seen points' centroid set back by a round body's depth
    # (``scored.person_centre``); False: the box fitted with the class size on the seen face
    person_centre_from_points: bool = False
    # a person's box in each frame is the rectangle holding that frame's points, grown by a margin
    # and kept within a body's bounds (``scored.person_box``); False: the class size on the seen face
    person_box_from_points: bool = True
    # in a sequence without poses whose scene moves by more than the tracker's gate between sweeps,
    # the candidates scored as people or riders are tracked apart in the frame that follows the
    # ego's motion (``ego_motion``; vehicles as before, in each sensor's frame)
    person_ego_tracking: bool = True
    # ground cells with no measured ground within three cells (past the measured road: far
    # objects) take the road plane's height (``road_plane``: the ground within 30 m of the sensor,
    # extrapolated) instead of the median ground height; False: the median
    ground_far_from_plane: bool = True
    # the far candidate path (None: off): candidates out to ``far_max_range_m``, those whose centroid
    # lies beyond ``far_from_m`` from ``far_min_points`` points (a car at 100 m shows 5-14). Needs a
    # scorer trained on such candidates (``scorer_train.FAR_CANDIDATES``); the shipped one is not
    far_max_range_m: float | None = None
    far_from_m: float = 40.0
    far_min_points: int = 5
    # a cluster larger or taller than a car also gives its car-sized parts below a car's top as
    # candidates (``merged_parts``: a parked car under a tree or against a hedge). Off: needs a scorer
    # trained on such parts (``scorer_train.FAR_CANDIDATES``)
    merged_parts: bool = False



@dataclass
class ClusterPayload:
    """What a detection keeps for the re-fit: its points about the sensor, the sensor
    position (world) and the local ground height (about the sensor)."""

    points_m: np.ndarray
    origin_m: np.ndarray
    ground_z_m: float



def classify_extent(extents_m: np.ndarray, rules: tuple[ClassRule, ...] = STATIC_RULES,
                    tolerance: float = 0.0) -> ClassRule | None:
    """The rule whose ranges the extents miss by the least (the first on a tie), if that
    relative miss is within ``tolerance``; else None (not an object)."""
    best, best_v = None, math.inf
    for rule in rules:
        v = rule.violation(extents_m)
        if v < best_v:
            best, best_v = rule, v
    return best if best_v <= tolerance else None


def cyclist_shaped(dets: list[Detection], headings: np.ndarray, params: PreannotateParams) -> bool | None:
    """Whether a track looks like a rider on a bicycle rather than the end of a car: tall
    enough (90th percentile of the fitted heights), and, where the points show it, its top
    0.3 m (the rider) narrower along the heading than at 0.3..0.9 m (the wheels and frame).
    None: tall enough but the points do not show the profile."""
    heights = [d.box.size_lwh_m[2] for d in dets]
    tall = float(np.percentile(heights, 90)) >= params.cyclist_min_height_m
    ratio = top_ratio(dets, headings)
    if not np.isfinite(ratio):
        return None if tall else False
    return tall and ratio <= params.cyclist_max_top_ratio


def top_ratio(dets: list[Detection], headings: np.ndarray) -> float:
    """Median over the frames of the extent along the heading of the top 0.3 m of the points
    over that at 0.3..0.9 m above the ground (NaN where no frame shows both)."""
    ratios = []
    for d, yaw in zip(dets, headings):
        pts = d.payload.points_m
        z = pts[:, 2] - d.payload.ground_z_m
        top, low = pts[z > z.max() - 0.3, :2], pts[(z > 0.3) & (z < 0.9), :2]
        if len(top) >= 3 and len(low) >= 3:
            axis = np.array([math.cos(yaw), math.sin(yaw)])
            ratios.append(np.ptp(top @ axis) / max(float(np.ptp(low @ axis)), 0.05))
    return float(np.median(ratios)) if ratios else math.nan



def extent_along(det: Detection, yaw_rad: float) -> np.ndarray:
    """The detection's extents along ``yaw_rad``, across it, and its height."""
    pts = det.payload.points_m[:, :2].astype(np.float64)
    c, s = math.cos(yaw_rad), math.sin(yaw_rad)
    u = pts @ np.array([c, s])
    v = pts @ np.array([-s, c])
    return np.array([np.ptp(u), np.ptp(v), det.box.size_lwh_m[2]])


def attributes_for(category: str, moving: bool) -> dict[str, str]:
    if category.startswith("vehicle.") and category != "vehicle.cyclist":
        return {"motion": "vehicle.moving" if moving else "vehicle.parked"}
    if category.startswith("human.pedestrian"):
        return {"activity": "pedestrian.moving" if moving else "pedestrian.standing"}
    return {}
