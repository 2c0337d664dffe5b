"""The track-by-track correction cost: one delete per false track, one class fix per track,
boxes carried into the next frame; by hand one placement per track."""

from __future__ import annotations

import math

from sweeplabel.assist.correction import create_actions, fix_actions
from sweeplabel.assist.evaluate import EvalBox, evaluate_frames
from sweeplabel.model import Box, default_schema

CAR = Box([10.0, 0.0, -0.9], [4.0, 2.0, 1.6], 0.0)
FRAMES = range(5)


def _box(track: str, box: Box, category: str = "vehicle.car") -> EvalBox:
    return EvalBox(track, box, category)


def _car_default() -> float:
    return create_actions(CAR, default_schema().category("vehicle.car").default_size_lwh_m)


def test_a_static_car_by_hand_is_made_once_and_carried():
    ev = evaluate_frames({}, {f: [_box("t", CAR)] for f in FRAMES})
    assert ev.track_cost.manual == _car_default()  # placement + nudges once, then carried
    assert ev.track_cost.manual_creates == 1
    assert ev.cost.manual == len(FRAMES) * _car_default()  # the per-frame count draws it 5 times


def test_a_false_track_is_one_delete_and_a_wrong_class_one_fix():
    preds = {f: [_box("p", CAR, "vehicle.van"), _box("q", CAR.translated([0, 30, 0]))] for f in FRAMES}
    ev = evaluate_frames(preds, {f: [_box("t", CAR)] for f in FRAMES})
    c = ev.track_cost
    assert (c.track_deletes, c.class_fixes, c.nudges, c.total) == (1, 1, 0, 2)
    assert ev.cost.total == 2 * len(FRAMES)  # per frame: a delete and a class fix in each


def test_a_moving_car_missed_after_frame_2_is_carried_and_nudged():
    truth = {f: [_box("t", CAR.translated([2.0 * f, 0, 0]))] for f in FRAMES}
    preds = {f: [_box("p", CAR.translated([2.0 * f, 0, 0]))] for f in FRAMES if f < 2}
    c = evaluate_frames(preds, truth).track_cost
    assert c.creates == 0 and c.nudges == len(FRAMES) - 2  # one centre nudge per carried frame
    assert c.manual == _car_default() + len(FRAMES) - 1


def test_a_wrong_size_is_set_once_for_the_whole_track():
    small = CAR.with_size([3.0, 1.5, 1.2])
    preds = {f: [_box("p", small)] for f in FRAMES}
    c = evaluate_frames(preds, {f: [_box("t", CAR)] for f in FRAMES}).track_cost
    assert (c.size_fixes, c.nudges, c.total) == (1, 0, 2)


def test_a_box_off_in_two_ways_is_fixed_once_then_replaced_by_the_carried_one():
    off = CAR.rotated(math.pi / 2).translated([1.5, 1.0, 0])
    first = fix_actions(off, CAR)
    assert first >= 2
    c = evaluate_frames({f: [_box("p", off)] for f in FRAMES}, {f: [_box("t", CAR)] for f in FRAMES}).track_cost
    assert (c.nudges, c.box_deletes) == (first, len(FRAMES) - 1)  # deleting the auto box is cheaper after frame 0


def test_placing_at_the_ego_heading_costs_a_yaw_nudge_for_a_crossing_car():
    crossing = CAR.rotated(math.pi / 2)
    truth = {0: [_box("t", crossing)]}
    own = evaluate_frames({}, truth)  # placed at the object's own heading
    ego = evaluate_frames({}, truth, place_yaw_rad={0: 0.0})  # the app's Place tool: the ego's heading
    assert ego.cost.manual == own.cost.manual + 1 == ego.track_cost.manual
