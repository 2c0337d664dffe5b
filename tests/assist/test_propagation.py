import math

import numpy as np
import pytest

from sweeplabel.assist.metrics import bev_iou, iou_3d
from sweeplabel.assist.propagation import (
    STOP_ATTRIBUTE, Motion, estimate_motion, plan_propagation, propagate_track,
)
from sweeplabel.io import read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Project, Source, commands as cmd


def synthetic(tmp_path_factory, frames=20, beams=32, seed=1):
    """A synthetic sequence shared by the assist tests of one session."""
    folder = tmp_path_factory.getbasetemp() / f"synthetic-{beams}b-{frames}f-seed{seed}"
    if not (folder / "sequence.json").is_file():
        generate_sequence(folder, frames=frames, beams=beams, seed=seed)
    return folder


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    return read_sequence(synthetic(tmp_path_factory))


def gt_boxes(loaded, track_token):
    return {a.frame_index: a for a in loaded.annotations if a.track_token == track_token}


def best_track(loaded, motion):
    """The track with this motion attribute and the most points in frame 0."""
    cands = [a for a in loaded.annotations if a.frame_index == 0 and a.attributes.get("motion") == motion]
    return max(cands, key=lambda a: a.attributes["num_points"]).track_token


def start_project(loaded, track_token, key_frames=(0,)):
    gt = gt_boxes(loaded, track_token)
    project = Project(loaded.sequence)
    category = next(t.category for t in loaded.tracks if t.token == track_token)
    project.execute(cmd.create_track(project, category, key_frames[0], gt[key_frames[0]].box))
    token = next(iter(project.tracks))
    for f in key_frames[1:]:
        project.execute(cmd.put_annotations(project, [(token, f, gt[f].box)], Source.MANUAL))
    return project, token, gt


def test_motion_predicts_a_constant_turn_rate_arc():
    radius, speed = 10.0, 5.0
    w = speed / radius
    def at(t):
        return Box([radius * math.sin(w * t), radius * (1 - math.cos(w * t)), 0.8], [4, 2, 1.5], w * t)
    motion = estimate_motion([0.0, 0.1, 0.2], [at(0.0), at(0.1), at(0.2)])
    assert motion.yaw_rate_radps == pytest.approx(w, rel=1e-6)
    got = motion.predict(at(0.2), 1.0)
    assert np.allclose(got.center_m, at(1.2).center_m, atol=1e-3)
    assert got.yaw_rad == pytest.approx(at(1.2).yaw_rad, abs=1e-6)
    assert not estimate_motion([0.0], [at(0.0)]).known
    still = Motion(np.zeros(3), 0.0, True)
    assert still.predict(at(0.0), 5.0) == at(0.0)


def test_parked_car_stays_exactly_put_while_the_ego_drives(loaded):
    track = best_track(loaded, "vehicle.parked")
    project, token, gt = start_project(loaded, track)
    sensor = [f.T_world_sensor[:3, 3] for f in loaded.sequence.frames]
    assert np.linalg.norm(sensor[-1] - sensor[0]) > 10.0  # the ego drove
    steps = len(project.undo)
    report = propagate_track(project, token, 0, len(loaded.sequence) - 1)
    assert report.stop_reason == "end_of_sequence" or report.stop_reason is None
    anns = project.annotations_of_track(token)
    assert len(anns) == len(loaded.sequence)
    assert all(a.box == anns[0].box for a in anns)  # exactly, in the world frame
    assert {a.source for a in anns[1:]} == {Source.PROPAGATED}
    assert len(project.undo) == steps + 1
    project.undo.undo()
    assert len(project.annotations_of_track(token)) == 1


@pytest.mark.parametrize("key_frames", [(0,), (0, 1)])
def test_moving_car_is_followed_within_iou_0_7(loaded, key_frames):
    track = best_track(loaded, "vehicle.moving")
    project, token, gt = start_project(loaded, track, key_frames)
    start = key_frames[-1]
    report = propagate_track(project, token, start, len(loaded.sequence) - 1 - start)
    assert len(report.accepted) >= 15
    for step in report.accepted:
        truth = gt[step.frame_index].box
        assert bev_iou(step.box, truth) >= 0.7, step
        assert iou_3d(step.box, truth) >= 0.65, step
    travelled = np.linalg.norm(report.accepted[-1].box.center_m - gt[start].box.center_m)
    assert travelled > 5.0  # it really moved


def test_propagation_stops_with_a_flag_when_the_object_leaves_the_sweep(loaded):
    track = best_track(loaded, "vehicle.moving")
    gt = gt_boxes(loaded, track)
    gone_from = 8
    seq = loaded.sequence
    frames = []
    for frame in seq.frames:  # from frame 8 on, the car's points are gone from the sweep
        if frame.index >= gone_from:
            box = gt[frame.index].box.with_size(gt[frame.index].box.size_lwh_m + 0.6)
            T = frame.T_world_sensor
            def loader(frame=frame, box=box, T=T):
                pts = frame.loader()
                world = pts[:, :3].astype(np.float64) @ T[:3, :3].T + T[:3, 3]
                return pts[~box.contains(world)]
            frame = type(frame)(frame.index, frame.timestamp_s, T, loader, frame.source_path, frame.meta)
        frames.append(frame)
    lost = type(seq)(seq.name, frames, seq.root, seq.format, seq.meta)
    project = Project(lost)
    project.execute(cmd.create_track(project, "vehicle.car", 0, gt[0].box))
    token = next(iter(project.tracks))
    steps = len(project.undo)
    report = propagate_track(project, token, 0, 15)
    assert report.stop_frame == gone_from
    assert "too few points" in report.stop_reason and report.flagged
    assert [s.frame_index for s in report.accepted] == list(range(1, gone_from + 1))
    assert report.steps[-1].stopped and report.steps[-1].box == report.steps[-1].predicted
    anns = project.annotations_of_track(token)
    assert anns[-1].frame_index == gone_from  # the prediction, flagged for a look
    assert STOP_ATTRIBUTE in anns[-1].attributes
    assert all(STOP_ATTRIBUTE not in a.attributes for a in anns[:-1])
    assert len(project.undo) == steps + 1


def test_propagation_stops_at_a_manual_keyframe_and_overwrites_propagated_boxes(loaded):
    track = best_track(loaded, "vehicle.parked")
    project, token, gt = start_project(loaded, track, (0, 6))
    report = plan_propagation(project, token, 0, 10)
    assert report.stop_reason == "keyframe" and report.stop_frame == 6 and not report.flagged
    project.execute(report.command)
    again = propagate_track(project, token, 0, 3)
    assert len(again.accepted) == 3
    assert all(c.before is not None for c in again.command.changes)
