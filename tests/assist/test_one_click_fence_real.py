"""One-click beside a fence on a real frame (KITTI object 000002), and the fence test itself on
synthetic points: a line that runs on beyond the object is left out, a row of objects is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.iou import iou_3d
from sweeplabel.assist.one_click import propose_box
from sweeplabel.assist.wall_line import far_line
from sweeplabel.io import read_sequence
from sweeplabel.model import Project, default_schema
from support import editor_points

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="module")
def kitti_object():
    root = SHARED_DATA / "kitti_object" / "training"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    return read_sequence(root)


def test_the_car_beside_the_fence_leaves_the_fence_out(kitti_object) -> None:
    loaded = kitti_object
    frame = loaded.sequence[2]  # 000002: a car at 35 m, a fence 0.45 m beyond its far side
    origin = loaded.sequence.render_origin_m
    pts, ground, sensor = editor_points(frame, origin)
    cats = {t.token: t.category for t in loaded.tracks}
    ann = next(a for a in loaded.annotations if a.frame_index == 2 and cats[a.track_token] == "vehicle.car")
    truth = ann.box.translated(-origin)
    prior = prior_for(Project(loaded.sequence).schema, "vehicle.car")
    box = propose_box(pts, pts[truth.contains(pts)].mean(axis=0), prior.mean_lwh_m, ground_mask=ground,
                      sensor_xy_m=sensor[:2], sensor_z_m=float(sensor[2]), prior=prior)
    assert box is not None
    local = (pts[:, :3].astype(np.float64) - truth.center_m) @ truth.rotation
    fence = (~ground & (np.abs(local[:, 1] + 1.25) < 0.12) & (np.abs(local[:, 0]) < 2.0)
             & (local[:, 2] > -0.5) & (local[:, 2] < 0.6))  # the fence's points beside the car
    assert np.count_nonzero(fence) >= 15
    assert not np.any(box.contains(pts[fence], -0.05))  # was: the box reached over the fence (2.09 m wide)
    assert iou_3d(box, truth) >= 0.55  # was 0.499


def _car_l_shape(rng) -> np.ndarray:
    """The near side and back of a 4.5 x 1.8 m car at the origin, seen from (-6, 10)."""
    side = np.c_[rng.uniform(-2.25, 2.25, 150), np.full(150, 0.9), rng.uniform(0.3, 1.4, 150)]
    back = np.c_[np.full(40, -2.25), rng.uniform(-0.9, 0.9, 40), rng.uniform(0.3, 1.2, 40)]
    return np.vstack([side, back])


def test_a_fence_line_running_on_beyond_the_car_is_left_out_a_short_one_is_not() -> None:
    rng = np.random.default_rng(3)
    prior = prior_for(default_schema(), "vehicle.car")
    car, sensor = _car_l_shape(rng), np.array([-6.0, 10.0])

    def line_beside(half_length_m: float, in_front: np.ndarray | None = None):
        fence = np.c_[rng.uniform(-half_length_m, half_length_m, 300), rng.normal(-1.35, 0.04, 300),
                      rng.uniform(0.2, 1.6, 300)]
        obj = np.vstack([car, fence[np.abs(fence[:, 0]) < 2.4]])  # the cluster took the fence beside the car
        scene = np.vstack([car, fence] + ([] if in_front is None else [in_front]))
        return far_line(obj, 0.0, scene, sensor, prior, 0.0), len(car)

    line, n_car = line_beside(10.0)  # a fence 20 m long, 0.45 m beyond the car's far side
    assert line is not None
    assert np.all(line.mask[n_car:]) and not np.any(line.mask[:n_car])
    assert line_beside(2.4)[0] is None  # as long as the car: maybe a car or a trailer beside it
    assert far_line(car, 0.0, car, sensor, prior, 0.0) is None  # nothing beyond the car
    bodies = np.c_[rng.uniform(3.0, 10.0, 300), rng.uniform(-1.1, -0.2, 300), rng.uniform(0.3, 1.4, 300)]
    assert line_beside(10.0, bodies)[0] is None  # objects stand along the line in front: a row, not a fence
