"""Rules a person applies before drawing a vehicle box around a scored cluster."""

from __future__ import annotations

import numpy as np

from sweeplabel.assist.classify import PreannotateParams
from sweeplabel.assist.scored import _rule, is_fragment

SHARE = PreannotateParams().vehicle_min_seen_share


def test_a_small_blob_is_no_car_but_a_far_car_seen_end_on_or_side_on_is():
    car = _rule("vehicle.car")
    assert is_fragment(np.array([0.9, 0.5, 1.4]), car, SHARE)  # 0.9 x 0.5 m: a post, a bin
    assert not is_fragment(np.array([1.7, 0.6, 1.4]), car, SHARE)  # end-on: the rear, full width
    assert not is_fragment(np.array([0.7, 1.6, 1.2]), car, SHARE)  # heading across the seen face
    assert not is_fragment(np.array([3.0, 0.4, 1.2]), car, SHARE)  # side-on: a line along the car
    assert not is_fragment(np.array([0.9, 0.5, 1.4]), car, None)  # the rule switched off


def test_a_rider_less_bicycle_is_named_so():
    from sweeplabel.assist.scored import attributes_from_evidence, category_for

    assert category_for("cyclist", np.array([1.6, 0.3, 1.05])) == "vehicle.bicycle"  # handlebars at 1 m
    assert category_for("cyclist", np.array([1.7, 0.5, 1.7])) == "vehicle.cyclist"  # a rider on it
    assert attributes_from_evidence("vehicle.bicycle", False, False) == {"rider": "cycle.without_rider"}


def test_a_vehicle_track_showing_no_side_as_wide_as_a_car_end_is_a_fragment():
    car, van = _rule("vehicle.car"), _rule("vehicle.van")
    width_share = PreannotateParams().vehicle_min_seen_width_share
    blob = np.array([1.45, 1.25, 2.4])  # a 1.45 x 1.25 m blob, as high as a van
    assert is_fragment(blob, van, SHARE, width_share)
    assert not is_fragment(blob, van, SHARE, None)  # (the length rule alone keeps it)
    assert not is_fragment(np.array([1.6, 0.4, 1.4]), car, SHARE, width_share)  # a car's rear, seen whole


def test_a_parked_car_seen_on_two_faces_gets_a_car_box_around_them():
    from sweeplabel.assist.iou import iou_matrix
    from sweeplabel.assist.scored import ScoredPayload, prior_box
    from sweeplabel.assist.tracker import Detection
    from sweeplabel.model import Box

    truth = Box([15.0, 4.0, -0.95], [4.4, 1.8, 1.5], 0.3)  # 15 m ahead, 4 m left, turned 17 degrees
    rng = np.random.default_rng(1)
    u, v = rng.uniform(-2.2, 2.2, 300), rng.uniform(-0.9, 0.9, 120)
    side = np.column_stack([u, np.full(300, 0.9)])  # the side facing the sensor...
    rear = np.column_stack([np.full(120, -2.2), v])  # ...and the rear: an L, the far faces unseen
    local = np.vstack([side, rear])
    c, s = np.cos(0.3), np.sin(0.3)
    xy = local @ np.array([[c, s], [-s, c]]) + truth.center_m[:2]
    pts = np.column_stack([xy, rng.uniform(-1.5, -0.3, len(xy))])
    det = Detection(Box.from_array(np.r_[xy.mean(axis=0), -0.9, 2.0, 1.0, 1.2, 0.0]), None, len(pts),
                    ScoredPayload(pts, np.zeros(3), -1.7))
    box = prior_box(det, "vehicle.car")
    assert abs(np.sin(box.yaw_rad - 0.3)) < 0.05  # the L's heading, not the blob's
    assert iou_matrix(box.to_array()[None], truth.to_array()[None], "bev")[0, 0] > 0.7
