"""One-click puts a car on the road, not on its own lower body taken for ground: the Argoverse 2
car 12.6 m from the sensor whose flat lower body Patchwork++ labels ground (19-37 % of its points;
132 'ground' points around it against 14 road points)."""

from __future__ import annotations

import numpy as np
import pytest

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.metrics import iou_3d
from sweeplabel.assist.one_click import propose_box, road_z_m
from sweeplabel.io import read_sequence
from sweeplabel.model import Project
from support import editor_points


def test_road_is_the_lower_layer_of_the_ground_points() -> None:
    body = np.full(100, 0.5)
    road = np.full(12, -0.4)
    assert road_z_m(np.r_[body, road], 0.5) == -0.4
    assert road_z_m(np.r_[body, road[:3]], 0.5) == 0.5  # three low points are noise, not a road


@pytest.mark.parametrize("frame_index", [0, 1])
def test_av2_car_whose_lower_body_is_taken_for_ground_sits_on_the_road(shared_data, frame_index: int) -> None:
    root = next((shared_data / "av2_sensor_sample" / "val").iterdir())
    loaded = read_sequence(root)
    car = next(t for t in loaded.tracks if t.number == 45)
    truth = next(a.box for a in loaded.annotations if a.track_token == car.token and a.frame_index == frame_index)
    frame, origin = loaded.sequence[frame_index], loaded.sequence.render_origin_m
    pts, ground, _ = editor_points(frame, origin)
    gt = truth.translated(-origin)
    inside = gt.contains(pts)
    assert ground[inside].mean() > 0.15  # the segmentation takes a good part of the car for road
    prior = prior_for(Project(loaded.sequence).schema, car.category)
    sensor = frame.T_world_sensor[:3, 3] - origin
    box = propose_box(pts, pts[inside].mean(axis=0), prior.mean_lwh_m, ground_mask=ground, sensor_xy_m=sensor[:2],
                      prior=prior)
    assert box is not None
    assert abs(box.bottom_center_m[2] - gt.bottom_center_m[2]) < 0.3  # was 1.2 m above the road
    assert iou_3d(box, gt) >= 0.5
