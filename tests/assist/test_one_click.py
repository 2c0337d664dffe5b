"""One-click and rectangle proposals on a synthetic sequence with exact ground truth."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.assist.one_click import fit_region, grow_to_default, propose_box, refit_box, snap_to_ground
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, default_schema
from sweeplabel.model.geometry import transform_points

MIN_POINTS = 150  # well-observed objects


def iou_3d(a: Box, b: Box, n: int = 60_000) -> float:
    """Monte-Carlo IoU of two boxes (1 % accuracy is plenty here)."""
    corners = np.vstack([a.corners(), b.corners()])
    samples = np.random.default_rng(0).uniform(corners.min(0), corners.max(0), size=(n, 3))
    in_a, in_b = a.contains(samples), b.contains(samples)
    return float((in_a & in_b).sum() / max((in_a | in_b).sum(), 1))


@pytest.fixture(scope="module")
def frame0(tmp_path_factory):
    root = generate_sequence(tmp_path_factory.mktemp("oneclick") / "seq", frames=2, beams=32, seed=1)
    loaded = read_sequence(root)
    seq = loaded.sequence
    origin = seq.render_origin_m
    frame = seq[0]
    points = (transform_points(frame.T_world_sensor, frame.load_points()) - origin).astype(np.float32)
    tracks = {t.token: t for t in loaded.tracks}
    objects = []
    for ann in loaded.annotations:
        if ann.frame_index != 0:
            continue
        gt = ann.box.translated(-origin)
        inside = gt.contains(points)
        if inside.sum() >= MIN_POINTS and tracks[ann.track_token].category == "vehicle.car":
            objects.append((gt, inside))
    return points, frame.T_world_sensor[:3, 3] - origin, objects


def test_one_click_fits_the_ground_truth_box(frame0) -> None:
    points, sensor_m, objects = frame0
    assert len(objects) >= 3
    car = default_schema().category("vehicle.car")
    ious = []
    for gt, inside in objects:
        in_pts = points[inside]
        seed = in_pts[np.argmin(np.hypot(*(in_pts[:, :2] - gt.center_m[:2]).T))][:3]
        box = propose_box(points, seed, np.array(car.default_size_lwh_m), sensor_xy_m=sensor_m[:2])
        assert box is not None
        ious.append(iou_3d(box, gt))
    # partial views of far cars can miss; well-observed ones must fit
    assert sum(i > 0.5 for i in ious) >= 5 * len(ious) // 6, ious
    assert float(np.median(ious)) > 0.8, ious


def test_click_on_empty_ground_proposes_nothing(frame0) -> None:
    points, sensor_m, _ = frame0
    far = np.array([sensor_m[0], sensor_m[1], sensor_m[2] - 1.7]) + [3.0, 0.0, 0.0]
    ground_only = np.hypot(points[:, 0] - far[0], points[:, 1] - far[1]) < 1.0
    assert propose_box(points[ground_only], far, np.array([4.6, 1.95, 1.7])) is None


def test_rectangle_fit_refit_and_snap(frame0) -> None:
    points, sensor_m, objects = frame0
    gt, _ = objects[0]
    footprint = gt.with_size(gt.size_lwh_m + [0.6, 0.6, 10.0])  # a loose BEV rectangle, all heights
    box = fit_region(points, footprint.contains(points))
    assert box is not None and iou_3d(box, gt) > 0.6
    shifted = gt.translated([0.2, -0.15, 0.0]).rotated(math.radians(4))  # a rough placement
    refit = refit_box(points, shifted, sensor_xy_m=sensor_m[:2])
    assert refit is not None and np.linalg.norm(refit.center_m[:2] - gt.center_m[:2]) < 0.12
    assert abs(refit.yaw_rad - gt.yaw_rad) < math.radians(1.5)
    lifted = gt.translated([0, 0, 0.8])
    snapped = snap_to_ground(lifted, points, None)
    assert snapped is not None and abs(snapped.bottom_center_m[2] - gt.bottom_center_m[2]) < 0.15


def test_grow_to_default_keeps_the_face_the_sensor_saw() -> None:
    seen = Box([10.0, 0.0, 0.5], [1.0, 1.9, 1.0], 0.0)  # only the rear 1 m seen from the origin
    grown = grow_to_default(seen, np.array([4.6, 1.95, 1.7]), np.array([0.0, 0.0]))
    assert grown.size_lwh_m[0] == pytest.approx(4.6)
    assert grown.corners()[:, 0].min() == pytest.approx(seen.corners()[:, 0].min())  # near face kept
    assert grown.bottom_center_m[2] == pytest.approx(seen.bottom_center_m[2])
    assert grown.size_lwh_m[1] == pytest.approx(1.9)  # wide enough already
