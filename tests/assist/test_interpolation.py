import math

import numpy as np
import pytest

from sweeplabel.assist.interpolation import interpolate_boxes, interpolate_track
from sweeplabel.model import Box, Source, commands as cmd


def test_yaw_takes_the_short_way_across_the_wrap():
    a = Box([0, 0, 0], [4, 2, 1.5], math.pi - 0.1)
    b = Box([10, 0, 0], [4, 2, 1.5], -math.pi + 0.1)
    mid = interpolate_boxes([0.0, 1.0], [a, b], [0.5])[0]
    assert abs(abs(mid.yaw_rad) - math.pi) < 1e-9  # through pi, not through 0
    assert np.allclose(mid.center_m, [5, 0, 0])


def test_two_keyframes_are_linear_in_time_and_size():
    a = Box([0, 0, 0], [4, 2, 1.5], 0.0)
    b = Box([10, 4, 2], [5, 2, 1.5], 0.4)
    boxes = interpolate_boxes([0.0, 2.0], [a, b], [0.5, 1.0])
    assert np.allclose(boxes[0].center_m, [2.5, 1, 0.5])
    assert boxes[1].size_lwh_m[0] == pytest.approx(4.5)
    assert boxes[1].yaw_rad == pytest.approx(0.2)


def test_three_keyframes_follow_a_constant_turn_rate_arc():
    radius, omega = 20.0, 0.2  # 20 m circle at 0.2 rad/s
    def at(t):
        ang = omega * t
        return Box([radius * math.sin(ang), radius * (1 - math.cos(ang)), 0.8], [4.5, 1.9, 1.6], ang)
    keys_t = [0.0, 2.0, 4.0]
    for t in (0.5, 1.3, 3.1):
        got = interpolate_boxes(keys_t, [at(k) for k in keys_t], [t])[0]
        assert np.allclose(got.center_m, at(t).center_m, atol=1e-9)
        assert got.yaw_rad == pytest.approx(at(t).yaw_rad)


def test_interpolate_track_fills_gaps_and_is_one_undo_step(project):
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4, 2, 1.5], 0.0)))
    track = next(iter(project.tracks))
    project.execute(cmd.put_annotations(project, [(track, 6, Box([6, 3, 0.8], [4, 2, 1.5], 0.3))], Source.MANUAL))
    steps = len(project.undo)
    project.execute(interpolate_track(project, track))
    anns = project.annotations_of_track(track)
    assert [a.frame_index for a in anns] == list(range(7))
    assert {a.source for a in anns[1:-1]} == {Source.INTERPOLATED}
    assert anns[3].box.center_m[0] == pytest.approx(3.0)
    assert len(project.undo) == steps + 1
    # a keyframe moves: interpolation recomputes the in-betweens only
    project.execute(cmd.set_box(project, anns[-1].token, Box([12, 3, 0.8], [4, 2, 1.5], 0.3)))
    project.execute(interpolate_track(project, track))
    assert project.annotations_of_track(track)[3].box.center_m[0] == pytest.approx(6.0)
    project.undo.undo()
    assert project.annotations_of_track(track)[3].box.center_m[0] == pytest.approx(3.0)


def test_moving_a_keyframe_reinterpolates_in_the_same_undo_step(project):
    from sweeplabel.assist.interpolation import execute_with_reinterpolation

    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4, 2, 1.5], 0.0)))
    track = next(iter(project.tracks))
    project.execute(cmd.put_annotations(project, [(track, 4, Box([4, 0, 0.8], [4, 2, 1.5], 0.0))], Source.MANUAL))
    project.execute(interpolate_track(project, track))
    steps = len(project.undo)
    last = project.annotation_at(track, 4)
    execute_with_reinterpolation(project, cmd.set_box(project, last.token, Box([8, 0, 0.8], [4, 2, 1.5], 0.0)))
    assert project.annotation_at(track, 2).box.center_m[0] == pytest.approx(4.0)
    assert project.annotation_at(track, 2).source == Source.INTERPOLATED
    assert len(project.undo) == steps + 1
    project.undo.undo()
    assert project.annotation_at(track, 2).box.center_m[0] == pytest.approx(2.0)
    project.undo.redo()
    # deleting the last keyframe drops the interpolated boxes that hung on it
    last = project.annotation_at(track, 4)
    execute_with_reinterpolation(project, cmd.delete_annotations(project, [last.token]))
    assert [a.frame_index for a in project.annotations_of_track(track)] == [0]


def test_tracks_without_interpolated_boxes_keep_their_gaps(project):
    from sweeplabel.assist.interpolation import execute_with_reinterpolation

    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4, 2, 1.5], 0.0)))
    track = next(iter(project.tracks))
    execute_with_reinterpolation(project, cmd.put_annotations(
        project, [(track, 5, Box([5, 0, 0.8], [4, 2, 1.5], 0.0))], Source.MANUAL))
    assert [a.frame_index for a in project.annotations_of_track(track)] == [0, 5]


def test_user_keyframes_mend_every_box_between_them_whatever_its_source(project):
    """Issue 11 item 2: between the user's keyframes (manual boxes), T re-interpolates the
    propagated, auto and interpolated boxes alike, in one command; boxes outside are kept."""
    drift = Box([9, 9, 0.8], [4, 2, 1.5], 1.0)  # where a drifting propagation left them
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4, 2, 1.5], 0.0)))
    track = next(iter(project.tracks))
    for frame, source in ((1, Source.PROPAGATED), (2, Source.AUTO), (3, Source.INTERPOLATED), (5, Source.PROPAGATED)):
        project.execute(cmd.put_annotations(project, [(track, frame, drift)], source))
    project.execute(cmd.put_annotations(project, [(track, 4, Box([4, 0, 0.8], [4, 2, 1.5], 0.0))], Source.MANUAL))
    before = {a.frame_index: a for a in project.annotations_of_track(track)}
    steps = len(project.undo)
    command = interpolate_track(project, track, user_keys=True)
    assert sorted(c.after.frame_index for c in command.changes) == [1, 2, 3]  # the frames changed
    project.execute(command)
    assert len(project.undo) == steps + 1
    for frame in (1, 2, 3):
        ann = project.annotation_at(track, frame)
        assert ann.source == Source.INTERPOLATED and ann.box.center_m[0] == pytest.approx(frame)
    assert project.annotation_at(track, 5) == before[5]  # after the last keyframe: not the user's span
    project.undo.undo()
    assert all(project.annotation_at(track, f) == before[f] for f in before)
