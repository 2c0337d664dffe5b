"""Scored pre-annotation: each cluster gets a class group and a confidence from the learned
scorer (``scorer``) instead of size rules; a track is re-scored with its sequence features
(size consistency, motion, length). Vehicles are told apart (car, van, truck, bus) by the
size distribution of each class; ``moving`` needs motion above noise over several frames,
an attribute needs its evidence (none from one frame).

Sequences go through the tracker (a track is confirmed by two hits); single frames and
sets of independent frames (KITTI object) get one scored box per candidate and frame."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..model import Box, Frame, Sequence
from .classify import _CYC, ClassRule, ClusterPayload, PreannotateParams, extent_along
from .person_box import PERSON_MARGIN_M, PERSON_STRIDE_M, person_footprint  # noqa: F401 (re-exported)
from .scorer import GROUPS, Scorer, object_score, with_track
from .scorer_features import normalised_intensity, object_features, track_features
from .track_cleanup import AutoTrack, fill_gaps
from .tracker import Detection, TrackState

# (clamp ranges of length, width, height; typical size) of the final box per class: a side
# seen inside its range is kept, one seen shorter (a partial view) takes the typical value
_CAR_SIZE = ((3.4, 5.4), (1.5, 2.1), (1.3, 1.9)), (4.4, 1.8, 1.55)
_VAN_SIZE = ((4.2, 6.2), (1.7, 2.4), (1.8, 2.8)), (5.0, 1.95, 2.15)
_TRUCK_SIZE = ((5.5, 12.0), (2.1, 2.9), (2.4, 4.0)), (8.0, 2.5, 3.2)
_BUS = ((9.0, 14.0), (2.4, 2.9), (2.8, 3.8)), (11.5, 2.6, 3.2)
PARTIAL_HEIGHT_SHARE = 0.8  # a height under this share of the typical one missed the top (sparse beams)
# (mean, sd) of length, width, height and the log prior of each vehicle class (KITTI/nuScenes
# class statistics in round figures; not tuned on the recordings here)
VEHICLE_SIZES: dict[str, tuple[tuple[float, float], tuple[float, float], tuple[float, float], float]] = {
    "vehicle.car": ((4.4, 0.45), (1.8, 0.12), (1.55, 0.13), 0.0),
    "vehicle.van": ((5.1, 0.6), (1.95, 0.15), (2.15, 0.2), -1.0),
    "vehicle.truck": ((8.0, 2.5), (2.5, 0.2), (3.2, 0.45), -1.5),
    "vehicle.bus.rigid": ((11.5, 1.5), (2.6, 0.15), (3.2, 0.3), -2.5),
}
# people: a box a labeller draws holds the stride and the arms; the points of one sweep
# show less (KITTI's mean pedestrian is 0.84 x 0.66 x 1.76 m, nuScenes' 0.73 x 0.67 x 1.77)
_PERSON = ((0.7, 1.1), (0.6, 0.9), (1.2, 2.0)), (0.8, 0.66, 1.75)
# a bicycle without a rider: handlebars at 1.0-1.2 m; one with a rider (a cyclist) stands higher
_BICYCLE = ((1.4, 2.0), (0.4, 0.8), (0.9, 1.35)), (1.7, 0.6, 1.1)
RIDER_MIN_HEIGHT_M = 1.4  # a cyclist-group track seen lower than this has no rider: a bicycle
_SIZE_RULES = {
    "vehicle.car": _CAR_SIZE, "vehicle.van": _VAN_SIZE, "vehicle.truck": _TRUCK_SIZE, "vehicle.bus.rigid": _BUS,
    "human.pedestrian.adult": _PERSON, "vehicle.cyclist": _CYC, "vehicle.bicycle": _BICYCLE,
}
_GROUP_CATEGORY = {"pedestrian": "human.pedestrian.adult", "cyclist": "vehicle.cyclist"}


@dataclass
class ScoredPayload(ClusterPayload):
    """A cluster with its features and the frame-level group probabilities."""

    intensity: np.ndarray | None = None
    features: np.ndarray | None = None
    probs: np.ndarray | None = None
    road_support: int = 0  # ground points measured around it (``PreannotateParams.road_support_radius_m``)
    # its lowest point above the road extrapolated from the sensor's (``road_plane``); NaN: the road
    # is measured around it (its local ground holds)
    road_clearance_m: float = float("nan")


def score_detections(frame: Frame, dets: list[Detection], scorer: Scorer, min_score: float,
                     intensity_of: dict[int, np.ndarray] | None = None) -> list[Detection]:
    """Features and frame-level probabilities for each detection; those whose best object
    group scores under ``min_score`` are dropped (walls, bushes, poles)."""
    if not dets:
        return []
    feats = np.array([detection_features(d) for d in dets])
    probs = scorer.probabilities(with_track(feats))
    _, score = object_score(probs)
    kept = []
    for d, f, p, s in zip(dets, feats, probs, score):
        d.payload.features, d.payload.probs = f, p
        if s >= min_score:
            kept.append(d)
    return kept


def detection_features(det: Detection) -> np.ndarray:
    pay = det.payload
    box7 = det.box.translated(-pay.origin_m).to_array()
    return object_features(pay.points_m, pay.ground_z_m, box7, getattr(pay, "intensity", None))


def sensor_intensity(points: np.ndarray) -> np.ndarray | None:
    """The 4th column of a sweep as 0..1 intensity (None without one)."""
    return normalised_intensity(points[:, 3]) if points.shape[1] > 3 else None


# -- tracks ----------------------------------------------------------------------------------
def observation_track_features(state: TrackState, times_s: dict[int, float]) -> np.ndarray:
    from .preannotate import _travel_m

    frames = sorted(state.observations)
    dets = [state.observations[f] for f in frames]
    centres = np.array([d.box.center_m for d in dets])
    sizes = np.array([d.box.size_lwh_m for d in dets])
    travel = _travel_m(dets, centres[-1, :2] - centres[0, :2]) if len(dets) > 1 else 0.0
    t = np.array([times_s[f] for f in frames])
    return track_features(sizes, centres, t, frames[-1] - frames[0] + 1, travel)


def score_track(state: TrackState, times_s: dict[int, float], scorer: Scorer) -> tuple[str, float, np.ndarray]:
    """The track's group (the most likely object group over its observations), its
    confidence (the mean over its observations of 1 - P(background), each observation
    scored with the track's features) and the per-observation confidences."""
    frames = sorted(state.observations)
    feats = np.array([state.observations[f].payload.features for f in frames])
    probs = scorer.probabilities(with_track(feats, observation_track_features(state, times_s)))
    # the group from the shapes alone: without ego poses a speed is relative to the sensor
    mean = np.array([state.observations[f].payload.probs for f in frames]).mean(axis=0)
    g = 1 + int(np.argmax(mean[1:]))
    _, objectness = object_score(probs)
    return GROUPS[g], float(objectness.mean()), objectness


# -- class and size ----------------------------------------------------------------------------
def vehicle_class(seen_lwh_m: np.ndarray) -> str:
    """Car, van, truck or bus from the seen extents (longer, shorter side, height): the most
    likely under each class's size distribution; a partial view only shows less, so the
    sides count only where they exceed the class's mean."""
    longer, shorter, h = float(max(seen_lwh_m[:2])), float(min(seen_lwh_m[:2])), float(seen_lwh_m[2])
    best, best_ll = "vehicle.car", -math.inf
    for cat, ((ml, sl), (mw, sw), (mh, sh), prior) in VEHICLE_SIZES.items():
        # the height is the steadiest cue; a cluster may be longer than its object (two parked
        # cars nose to tail), so the length weighs with a broad spread (at least 2 m)
        ll = prior - 0.5 * ((h - mh) / sh) ** 2 - 0.5 * (max(0.0, longer - ml) / max(sl, 2.0)) ** 2 \
            - 0.5 * (max(0.0, shorter - mw) / (2 * sw)) ** 2
        if ll > best_ll:
            best, best_ll = cat, ll
    return best


def category_for(group: str, seen_lwh_m: np.ndarray) -> str:
    """The category of a group from the seen extents (vehicle classes by size; a cyclist
    lower than ``RIDER_MIN_HEIGHT_M`` is a bicycle without a rider)."""
    if group == "vehicle":
        return vehicle_class(seen_lwh_m)
    if group == "cyclist" and float(seen_lwh_m[2]) < RIDER_MIN_HEIGHT_M:
        return "vehicle.bicycle"
    return _GROUP_CATEGORY[group]


def _rule(category: str) -> ClassRule:
    ranges, typical = _SIZE_RULES[category]
    return ClassRule(category, ranges, ranges, typical)


def sized(rule: ClassRule, seen_lwh_m: np.ndarray) -> np.ndarray:
    """The final size: each seen extent within the class's range, the typical value where the
    view showed less (a height under ``PARTIAL_HEIGHT_SHARE`` of the typical one)."""
    out = []
    for axis, (v, (lo, hi), typical) in enumerate(zip(seen_lwh_m, rule.clamp_lwh_m, rule.typical_lwh_m)):
        if axis == 2:
            lo = max(lo, PARTIAL_HEIGHT_SHARE * typical)
        out.append(typical if v < lo else min(float(v), hi))
    return np.array(out)


def is_fragment(seen_lwh_m: np.ndarray, rule: ClassRule, min_share: float | None,
                min_width_share: float | None = None) -> bool:
    """Seen shorter than ``min_share`` of the class's typical length and than
    ``2 * min_share`` of its typical width (a far car seen end-on keeps its width), or, with
    ``min_width_share``, no side seen as long as that share of the typical width (not even
    the end face is whole)."""
    typical = rule.typical_lwh_m
    if min_width_share is not None and float(max(seen_lwh_m[:2])) < min_width_share * typical[1]:
        return True
    if min_share is None:
        return False
    return bool(seen_lwh_m[0] < min_share * typical[0] and seen_lwh_m[1] < 2 * min_share * typical[1])


PERSON_RADIUS_M = 0.2  # half a torso's width: a person is no rectangle whose seen face anchors a box


def person_centre(det: Detection, box: Box) -> np.ndarray:
    """Where a person stands (world): behind the BEV centroid of the seen points, along the
    sensor's ray, by the centroid's depth in front of a round body's axis (pi/4 of its radius
    for returns evenly spread across it); the height of ``box``."""
    pay = det.payload
    centroid = pay.points_m[:, :2].astype(np.float64).mean(axis=0)
    ray = centroid / max(float(np.linalg.norm(centroid)), 1e-6)
    xy = centroid + ray * (math.pi / 4) * PERSON_RADIUS_M + pay.origin_m[:2]
    return np.array([xy[0], xy[1], box.center_m[2]])



def person_box(det: Detection, yaw_rad: float | None, box: Box, walking: bool = False) -> Box:
    """A person's box (world) from its own points (``person_box.person_footprint``: the BEV
    rectangle that holds them at ``yaw_rad``, the direction of travel, or the tightest for None,
    grown by a margin and kept within a body's bounds); the height of ``box``."""
    pay = det.payload
    xy, length, width, yaw = person_footprint(pay.points_m, yaw_rad, walking)
    xy = xy + pay.origin_m[:2]
    return Box([xy[0], xy[1], box.center_m[2]], [length, width, box.size_lwh_m[2]], yaw)


def above_road(dets: list[Detection], max_clearance_m: float | None) -> bool:
    """Most observations stand on no measured road and their lowest points lie, in the median,
    more than ``max_clearance_m`` above the road extrapolated from the sensor's
    (``ScoredPayload.road_clearance_m``)."""
    if max_clearance_m is None:
        return False
    clear = [c for c in (getattr(d.payload, "road_clearance_m", math.nan) for d in dets) if not math.isnan(c)]
    return 2 * len(clear) > len(dets) and float(np.median(clear)) > max_clearance_m


def finalize_scored(state: TrackState, group: str, score: float, times_s: dict[int, float],
                    params: PreannotateParams = PreannotateParams(), box_scores: np.ndarray | None = None
                    ) -> AutoTrack:
    """Class, size, heading and per-frame boxes of a scored track (one observation or more)."""
    from .preannotate import _axis_mean, _motion_headings, _one_static_box, _refit, _second_largest, _travel_m

    frames = sorted(state.observations)
    dets = [state.observations[f] for f in frames]
    centres = np.array([d.box.center_m for d in dets])
    t = np.array([times_s[f] for f in frames])
    evidence = len(frames) >= params.motion_min_frames
    travel = _travel_m(dets, centres[-1, :2] - centres[0, :2]) if len(dets) > 1 else 0.0
    speed = travel / max(t[-1] - t[0], 1e-6) if len(dets) > 1 else 0.0
    moving = evidence and travel > params.moving_min_travel_m and speed > params.moving_min_speed_mps
    if moving:
        headings = _motion_headings(centres, t)
    else:
        weights = np.array([max(d.num_points, 1) for d in dets], dtype=np.float64)
        headings = np.full(len(dets), _axis_mean([d.box.yaw_rad for d in dets], weights))
    extents = np.array([extent_along(d, yaw) for d, yaw in zip(dets, headings)])
    seen = _second_largest(extents)
    category = category_for(group, seen)
    rule = _rule(category)
    if not moving:
        if seen[1] > seen[0]:  # along the longer side
            headings, seen = headings + math.pi / 2, seen[[1, 0, 2]]
        typical_w = rule.typical_lwh_m[1]
        if group == "vehicle" and seen[0] < typical_w + 0.5 and seen[1] < 0.5 * typical_w:
            headings, seen = headings + math.pi / 2, seen[[1, 0, 2]]  # a face seen end-on: heading across it
    size = sized(rule, seen)
    if group == "vehicle" and is_fragment(seen, rule, params.vehicle_min_seen_share,
                                          params.vehicle_min_seen_width_share):
        score = 0.0  # a blob far smaller than any vehicle both ways: nobody draws a car around it
    if group == "vehicle" and above_road(dets, params.vehicle_max_road_clearance_m):
        score = 0.0  # off any plausible road (a wall top, a roof): no vehicle stands there
    boxes = {f: _refit(det, size, yaw, params) for f, det, yaw in zip(frames, dets, headings)}
    if group == "pedestrian" and params.person_centre_from_points:
        boxes = {f: box.with_center(person_centre(det, box)) for (f, box), det in zip(boxes.items(), dets)}
    person_own = group == "pedestrian" and params.person_box_from_points
    if person_own:  # a person is no rigid box: each frame's box holds that frame's points
        boxes = {f: person_box(det, yaw if moving else None, boxes[f], moving)
                 for f, det, yaw in zip(frames, dets, headings)}
    if not moving and not person_own:
        boxes = _one_static_box(boxes, dets)
        if params.prior_fit and group == "vehicle":
            boxes = static_prior_boxes(dets, frames, category, headings[0], boxes)
    scores = None if box_scores is None else {f: float(s) for f, s in zip(frames, box_scores)}
    auto = AutoTrack(category, fill_gaps(boxes, times_s), frames, moving,
                     attributes_from_evidence(category, moving, evidence))
    auto.score = float(np.clip(score, 0.0, 1.0))
    auto.box_scores = scores
    auto.box_features = {f: d.payload.features for f, d in zip(frames, dets) if d.payload.features is not None}
    return auto


def attributes_from_evidence(category: str, moving: bool, evidence: bool) -> dict[str, str]:
    """``moving`` with measured motion; ``parked``/``standing`` when seen still over
    several frames; nothing from too few frames."""
    if category == "vehicle.bicycle":  # the evidence is its height: no rider
        return {"rider": "cycle.without_rider"}
    if not evidence:
        return {}
    if category.startswith("vehicle.") and category != "vehicle.cyclist":
        return {"motion": "vehicle.moving" if moving else "vehicle.parked"}
    if category.startswith("human.pedestrian"):
        return {"activity": "pedestrian.moving" if moving else "pedestrian.standing"}
    return {}


def is_independent(sequence: Sequence) -> bool:
    """One frame, or frames with nothing to track over (KITTI object)."""
    return len(sequence) <= 1 or bool(sequence.meta.get("independent_frames")) or sequence.format == "kitti-object"


# -- boxes fitted as one-click fits them ---------------------------------------------------------
@lru_cache(maxsize=32)
def _class_prior(category: str):
    from ..model import default_schema
    from .class_prior import prior_for

    schema = default_schema()
    return prior_for(schema, category) if category in schema.category_names else None


def prior_box(det: Detection, category: str) -> Box | None:
    """The detection's points fitted with the one-click fit (``one_click.fit_with_prior``: an
    L-shape heading, the class's size where the points show less, anchored on the face the
    sensor saw), in the world frame; None for a category without a schema prior."""
    from .one_click import fit_with_prior

    prior = _class_prior(category)
    if prior is None:
        return None
    pay = det.payload
    box = fit_with_prior(pay.points_m, pay.ground_z_m, prior, np.zeros(2))
    return box.translated(pay.origin_m)


def static_prior_boxes(dets: list[Detection], frames: list[int], category: str, yaw_rad: float,
                       fallback: dict[int, Box]) -> dict[int, Box]:
    """A static vehicle track's one box: the prior fit of its observation with the most points
    (its length along its longer side, the heading of the two along it nearest the track's);
    ``fallback`` where none fits."""
    from ..model import angle_diff

    best = int(np.argmax([d.num_points for d in dets]))
    box = prior_box(dets[best], category)
    if box is None:
        return fallback
    if abs(angle_diff(box.yaw_rad, yaw_rad)) > math.pi / 2:
        box = box.with_yaw(box.yaw_rad + math.pi)
    return {f: box for f in frames}

