"""Per-object assists on real sweeps (../shared/data): propagation follows the moving KITTI
van, one-click / rectangle give class-sized boxes on sparse and crowded KITTI cars."""

from __future__ import annotations

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.metrics import bev_iou, iou_3d
from sweeplabel.assist.one_click import fit_region, propose_box
from sweeplabel.assist.propagation import propagate_track
from sweeplabel.io import read_sequence
from sweeplabel.model import Box, Project, commands
from support import editor_points


@pytest.fixture(scope="module")
def kitti_tracking():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "kitti_tracking_0000" / "training"
    if not root.is_dir():
        pytest.skip(f"shared test data not found at {root}")
    return read_sequence(root)


def frame_points(loaded, frame_index: int):
    """Points about the render origin, Patchwork++ ground, sensor position: as the editor holds them."""
    frame = loaded.sequence[frame_index]
    origin = loaded.sequence.render_origin_m
    return (*editor_points(frame, origin), origin)


def test_propagation_keeps_the_moving_kitti_van_in_its_box_in_every_frame(kitti_tracking) -> None:
    van = next(t for t in kitti_tracking.tracks if t.number == 0)  # KITTI track 0: the van beside the road
    truth = {a.frame_index: a.box for a in kitti_tracking.annotations if a.track_token == van.token}
    assert sorted(truth) == list(range(8))
    travelled = np.linalg.norm(truth[7].center_m[:2] - truth[0].center_m[:2])
    assert travelled > 1.0  # it moves in the (pose-less) world frame
    project = Project(kitti_tracking.sequence)
    project.execute(commands.create_track(project, van.category, 0, truth[0]))
    token = next(iter(project.tracks))
    report = propagate_track(project, token, 0, 7)
    assert [s.frame_index for s in report.accepted] == list(range(1, 8)), report.summary()
    for f in range(1, 8):
        box = project.annotation_at(token, f).box
        pts, ground, _, origin = frame_points(kitti_tracking, f)
        gt = truth[f].translated(-origin)
        car = gt.contains(pts) & ~ground & (pts[:, 2] > gt.bottom_center_m[2] + 0.2)
        kept = box.translated(-origin).contains(pts[car], 0.05)
        assert kept.mean() >= 0.9, (f, kept.mean())  # the van's points stay in the box
        assert iou_3d(box, truth[f]) >= 0.6, f
        assert abs(box.bottom_center_m[2] - truth[f].bottom_center_m[2]) < 0.25, f  # on the road


@pytest.fixture(scope="module")
def kitti_object():
    from pathlib import Path
    root = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "kitti_object" / "training"
    if not root.is_dir():
        pytest.skip(f"shared test data not found at {root}")
    return read_sequence(root)


def kitti_car(loaded, frame_index: int):
    cats = {t.token: t.category for t in loaded.tracks}
    ann = next(a for a in loaded.annotations if a.frame_index == frame_index and cats[a.track_token] == "vehicle.car")
    pts, ground, sensor, origin = frame_points(loaded, frame_index)
    gt = ann.box.translated(-origin)
    return pts, ground, sensor, gt, gt.contains(pts)


def assert_car_sized(box: Box, schema) -> None:
    low, high = schema.category("vehicle.car").size_range_lwh_m()
    assert np.all(box.size_lwh_m >= np.array(low) - 1e-6) and np.all(box.size_lwh_m <= np.array(high) + 1e-6), \
        box.size_lwh_m


def test_the_9_point_car_face_gives_a_car_sized_box_on_that_face(kitti_object) -> None:
    pts, ground, sensor, gt, inside = kitti_car(kitti_object, 1)  # 000001: a car 61 m away
    face = pts[inside]
    assert len(face) == 9
    schema = Project(kitti_object.sequence).schema
    prior = prior_for(schema, "vehicle.car")
    click = propose_box(pts, face.mean(axis=0), prior.mean_lwh_m, ground_mask=ground, sensor_xy_m=sensor[:2],
                        prior=prior)
    lo, hi = face[:, :2].min(axis=0) - 0.3, face[:, :2].max(axis=0) + 0.3
    rect = fit_region(pts, np.all((pts[:, :2] >= lo) & (pts[:, :2] <= hi), axis=1), ground_mask=ground,
                      prior=prior, sensor_xy_m=sensor[:2])
    for box in (click, rect):
        assert box is not None
        assert_car_sized(box, schema)  # not 6.07 x 4.68 x 1.70, not 0.82 x 0.24 x 0.58
        assert box.contains(face, 0.05).all()  # the box covers the face ...
        near = np.hypot(*(box.corners()[:, :2] - sensor[:2]).T).min()
        seen = np.hypot(*(face[:, :2] - sensor[:2]).T).min()
        assert abs(near - seen) < 0.5  # ... and grows away from the sensor from it
        assert bev_iou(box, gt) > 0.3


def test_one_click_on_the_crowded_car_keeps_the_fence_out(kitti_object) -> None:
    pts, ground, sensor, gt, inside = kitti_car(kitti_object, 2)  # 000002: a car at 35 m beside a fence
    schema = Project(kitti_object.sequence).schema
    prior = prior_for(schema, "vehicle.car")
    box = propose_box(pts, pts[inside].mean(axis=0), prior.mean_lwh_m, ground_mask=ground,
                      sensor_xy_m=sensor[:2], prior=prior)
    assert box is not None
    assert_car_sized(box, schema)  # was 6.26 x 3.56 x 3.03 m
    assert bev_iou(box, gt) >= 0.5


def test_refit_keeps_the_box_on_the_cyclists_points(kitti_tracking) -> None:
    """Shift+R on a car-sized box dropped on the KITTI cyclist, and on a cyclist box placed
    0.4 m off: the box stays on the cyclist (was: moved 1.56 m forward, the cyclist at its rear)."""
    from sweeplabel.assist.one_click import refit_box
    cyclist = next(t for t in kitti_tracking.tracks if t.number == 1)
    truth = next(a.box for a in kitti_tracking.annotations if a.track_token == cyclist.token and a.frame_index == 0)
    pts, ground, sensor, origin = frame_points(kitti_tracking, 0)
    gt = truth.translated(-origin)
    rider = pts[gt.contains(pts) & ~ground & (pts[:, 2] > gt.bottom_center_m[2] + 0.2)]
    schema = Project(kitti_tracking.sequence).schema
    prior = prior_for(schema, "vehicle.cyclist")
    car_sized = Box(gt.bottom_center_m + [0, 0, 0.85], [4.6, 1.95, 1.7], gt.yaw_rad)
    off = Box(gt.center_m + gt.rotation @ [0.4, 0.2, 0.0], prior.mean_lwh_m, gt.yaw_rad)
    for placed in (car_sized, off):
        box = refit_box(pts, placed, ground_mask=ground, sensor_xy_m=sensor[:2], prior=prior)
        assert box is not None
        assert box.contains(rider, 0.05).mean() >= 0.9  # the face with the points is kept
        assert np.all(box.size_lwh_m <= np.array(schema.category("vehicle.cyclist").size_range_lwh_m()[1]) + 1e-6)
        assert np.hypot(*(box.center_m[:2] - gt.center_m[:2])) < 0.4
