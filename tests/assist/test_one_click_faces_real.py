"""One-click on real frames where what the sensor saw of a box-bodied vehicle settles the box: the width
across an end face seen whole (KITTI object 000002), the heading from each scan line's outline
(SUSTechPOINTS, a bus, nuScenes' truck), returns metres in front of a far car's face left out (Argoverse 2);
and the three tests themselves on hand-made points."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.iou import iou_3d
from sweeplabel.assist.one_click import propose_box
from sweeplabel.assist.prior_fit import box_bodied, complete_to_class, lshape_yaw_rad, width_as_seen
from sweeplabel.assist.seen_faces import scan_lines, seen_into
from sweeplabel.io import read_sequence
from sweeplabel.model import Box, Project, default_schema
from support import editor_points

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
_LOADED: dict[str, object] = {}


def _sequence(name: str):
    root = SHARED_DATA / name
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    if name not in _LOADED:
        _LOADED[name] = read_sequence(root)
    return _LOADED[name]


def _click(name: str, frame_index: int, near_xy_m: tuple[float, float]):
    """One click at the centroid of the truth box nearest ``near_xy_m`` (render frame), as the editor
    holds the frame; returns (box, truth, points, ground)."""
    loaded = _sequence(name)
    frame = loaded.sequence[frame_index]
    origin = loaded.sequence.render_origin_m
    pts, ground, sensor = editor_points(frame, origin)
    ann = min((a for a in loaded.annotations if a.frame_index == frame_index),
              key=lambda a: float(np.hypot(*(a.box.center_m[:2] - origin[:2] - np.asarray(near_xy_m)))))
    truth = ann.box.translated(-origin)
    category = next(t.category for t in loaded.tracks if t.token == ann.track_token)
    prior = prior_for(Project(loaded.sequence).schema, category)
    box = propose_box(pts, pts[truth.contains(pts)].mean(axis=0), prior.mean_lwh_m, ground_mask=ground,
                      sensor_xy_m=sensor[:2], sensor_z_m=float(sensor[2]), prior=prior)
    assert box is not None
    return box, truth, pts, ground


def _yaw_error_deg(box: Box, truth: Box) -> float:
    """Heading error modulo 180 degrees (a box's front and back look alike)."""
    d = (box.yaw_rad - truth.yaw_rad + 0.5 * math.pi) % math.pi - 0.5 * math.pi
    return abs(math.degrees(d))


def test_the_car_seen_from_behind_keeps_the_width_of_its_back() -> None:
    box, truth, _, _ = _click("kitti_object/training", 2, (34.67, -3.16))  # 000002: 35 m, seen from behind
    assert box.size_lwh_m[1] <= 1.65  # truth 1.58; was 1.72 (the class's mean 1.95 cut at the fence)
    assert iou_3d(box, truth) >= 0.7  # was 0.65


@pytest.mark.parametrize("frame_index, near_xy, max_yaw_deg, min_iou", [
    (1, (6.17, -44.81), 12.0, 0.6),   # a 33-point car at 43 m: was 49 deg off, 3D IoU 0.26
    (1, (7.05, -33.91), 5.0, 0.6),    # a 128-point car at 34 m: was 55 deg off, 0.31
    (0, (10.52, -30.12), 3.0, 0.75),  # the bus at 28 m: was 7 deg off, 0.65
])
def test_sustech_headings_follow_each_scan_lines_outline(frame_index, near_xy, max_yaw_deg, min_iou) -> None:
    box, truth, _, _ = _click("sustech_points_example", frame_index, near_xy)
    assert _yaw_error_deg(box, truth) <= max_yaw_deg
    assert iou_3d(box, truth) >= min_iou


def test_the_nuscenes_truck_gets_its_heading_and_not_a_neighbours_points() -> None:
    box, truth, _, _ = _click("nuscenes_mmdet3d_demo", 0, (-1.02, -15.87))  # a 10.2 m truck at 13 m
    assert _yaw_error_deg(box, truth) <= 3.0  # was 17 deg off
    assert iou_3d(box, truth) >= 0.7  # was 0.60


@pytest.mark.parametrize("name, frame_index, near_xy", [
    ("kitti_tracking_0000/training", 5, (40.56, 10.86)),  # the far van, 36 points at 42 m: was 90 deg off
    ("sustech_points_example", 1, (7.38, -17.53)),  # a car at 17 m seen over its bonnet: was 40 deg off
])
def test_points_running_along_the_ray_are_not_taken_for_a_back_seen_end_on(name, frame_index, near_xy) -> None:
    box, truth, _, _ = _click(name, frame_index, near_xy)
    assert _yaw_error_deg(box, truth) <= 6.0  # the length along the car, not across it


def test_the_far_car_leaves_out_the_returns_metres_in_front_of_its_face() -> None:
    box, truth, pts, ground = _click("av2_sensor_sample", 0, (-53.92, 40.57))  # 19 points at 66 m
    local = (pts[:, :3].astype(np.float64) - truth.center_m) @ truth.rotation
    in_front = ~ground & (local[:, 0] < -2.8) & (local[:, 0] > -6.5) & (np.abs(local[:, 1] + 2.5) < 0.8) \
        & (local[:, 2] > -0.6) & (local[:, 2] < 1.2)  # scattered returns 0.5-4 m in front of it, beside
    assert np.count_nonzero(in_front) >= 5
    assert not np.any(box.contains(pts[in_front]))  # was: a 5.3 m box reaching over them, 20 deg off
    assert iou_3d(box, truth) >= 0.5  # was 0.08


def test_an_end_face_facing_the_sensor_is_measured_a_side_view_is_not() -> None:
    prior = prior_for(default_schema(), "vehicle.car")
    seen = Box([20.0, 0.0, 0.7], [1.2, 1.5, 1.4], 0.0)  # a car's back and roof seen from behind, 1.5 m wide
    behind = complete_to_class(seen, prior, np.zeros(2), faces_seen=True)
    assert behind.size_lwh_m[1] == pytest.approx(prior.low_lwh_m[1])  # both edges seen: the narrowest
    assert behind.size_lwh_m[0] == pytest.approx(prior.mean_lwh_m[0])  # its length unseen: the mean
    beside = complete_to_class(Box([0.0, 20.0, 0.7], [1.2, 1.5, 1.4], 0.0), prior, np.zeros(2), faces_seen=True)
    assert beside.size_lwh_m[1] == pytest.approx(prior.mean_lwh_m[1])  # the sensor beside it: a part
    guessed = complete_to_class(seen, prior, np.zeros(2))  # a detection's points: unchanged rule
    assert guessed.size_lwh_m[1] == pytest.approx(prior.mean_lwh_m[1])
    bicycle = prior_for(default_schema(), "vehicle.bicycle")
    assert box_bodied(prior) and not box_bodied(bicycle)
    thin = complete_to_class(Box([20.0, 0.0, 0.6], [0.5, 0.2, 1.1], 0.0), bicycle, np.zeros(2), faces_seen=True)
    assert thin.size_lwh_m[1] == pytest.approx(bicycle.mean_lwh_m[1])  # a handlebar is not a face


def test_a_short_rectangle_is_turned_only_when_it_lies_across_the_ray() -> None:
    default = np.array([4.6, 1.95, 1.72])
    across = Box([30.0, 0.0, 0.7], [2.0, 0.4, 1.4], 0.5 * math.pi)  # a back seen from (0, 0): along y
    assert abs(math.sin(width_as_seen(across, default, 0.38, np.zeros(3)).yaw_rad)) < 1e-6  # turned
    along = Box([30.0, 0.0, 0.7], [2.0, 0.4, 1.4], 0.0)  # the same rectangle running along the ray
    assert width_as_seen(along, default, 0.38, np.zeros(3)).yaw_rad == 0.0  # kept: the depth it saw
    assert width_as_seen(along, default, 0.38).yaw_rad == pytest.approx(0.5 * math.pi)  # no sensor: as before


def test_scan_lines_tell_interleaved_lines_apart_and_each_line_gives_the_heading() -> None:
    sensor = np.zeros(3)
    yaw = math.radians(30.0)
    rot = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    centre = np.array([40.0, 0.0])
    # a car's back at 40 m: two scan lines 0.05 deg apart (two stacked lidars), one on the bumper, one on
    # the boot lid 0.6 m further on (set back, a little askew)
    bumper = np.c_[np.full(9, -2.2), np.linspace(-0.8, 0.8, 9)]
    lid = np.c_[np.full(6, -1.6) + np.linspace(0.0, 0.1, 6), np.linspace(-0.6, 0.6, 6)]
    xy = np.vstack([bumper, lid]) @ rot.T + centre
    elevation = np.radians(np.r_[np.full(9, -1.80), np.full(6, -1.75)])
    pts = np.c_[xy, np.hypot(xy[:, 0], xy[:, 1]) * np.tan(elevation)]
    lines = scan_lines(pts, sensor)
    assert len(np.unique(lines)) == 2 and len(set(lines[:9])) == 1
    assert abs(math.degrees(lshape_yaw_rad(xy, lines=lines)) - 30.0) <= 2.0


def test_returns_deep_inside_a_lower_body_are_counted_a_face_and_a_roof_are_not() -> None:
    sensor = np.zeros(3)
    box = Box([20.0, 0.0, 0.75], [4.5, 1.8, 1.5], 0.0)  # seen from behind; bottom at 0
    face = np.c_[np.full(5, 17.8), np.linspace(-0.8, 0.8, 5), np.full(5, 0.5)]  # its back, at door height
    deep = np.c_[np.full(4, 20.5), np.linspace(-0.5, 0.5, 4), np.full(4, 0.5)]  # 2.7 m in, at door height
    roof = np.c_[np.full(3, 20.5), np.zeros(3), np.full(3, 1.3)]  # seats through the rear window
    assert seen_into(box, np.vstack([face, deep, roof]), sensor, 1.0, 0.86, 0.25) == 4
