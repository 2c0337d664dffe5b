"""Every command: do, undo, redo; merged drags; batches; failures change nothing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from sweeplabel.model import Box, ModelError, Project, ReviewState, SchemaError, Source, commands as cmd


def snapshot(p: Project):
    return (sorted((t.token, t.category, t.number, tuple(t.attributes.items())) for t in p.tracks.values()),
            sorted((a.token, a.track_token, a.frame_index, tuple(a.box.to_array()),
                    tuple(a.attributes.items()), a.source, a.review_state) for a in p.annotations.values()))


def check_undo_redo(p: Project, command) -> None:
    before = snapshot(p)
    p.execute(command)
    after = snapshot(p)
    assert after != before, "the command changed nothing"
    assert p.undo.undo()
    assert snapshot(p) == before
    assert p.undo.redo()
    assert snapshot(p) == after


def car(p: Project, frame: int = 0, x: float = 0.0) -> str:
    p.execute(cmd.create_track(p, "vehicle.car", frame, Box([x, 0, 0.8], [4.5, 1.9, 1.6], 0.1)))
    return p.annotations_in_frame(frame)[-1].token


def test_create_track(project):
    check_undo_redo(project, cmd.create_track(project, "vehicle.car", 3, Box([1, 2, 0], [4, 2, 1.5])))
    ann = project.annotations_in_frame(3)[0]
    assert project.track(ann.track_token).number == 0
    assert project.undo.undo_text == "Create Car"


def test_put_annotations_adds_and_replaces(project):
    token = car(project)
    track = project.annotation(token).track_token
    items = [(track, f, Box([f, 0, 0], [4, 2, 1.5])) for f in (0, 1, 2)]
    check_undo_redo(project, cmd.put_annotations(project, items, Source.PROPAGATED))
    assert [a.frame_index for a in project.annotations_of_track(track)] == [0, 1, 2]
    assert all(a.source == Source.PROPAGATED for a in project.annotations_of_track(track))
    assert project.annotation(token).token == token  # replaced in place, same token


def test_set_box(project):
    token = car(project)
    check_undo_redo(project, cmd.set_box(project, token, Box([5, 5, 0], [4, 2, 1.5], 1.0)))
    assert project.annotation(token).box.yaw_rad == pytest.approx(1.0)


def test_set_boxes_is_one_step(project):
    tokens = [car(project, f) for f in range(5)]
    n_steps = len(project.undo)
    check_undo_redo(project, cmd.set_boxes(project, {t: Box([9, 9, 9], [1, 1, 1]) for t in tokens}))
    assert len(project.undo) == n_steps + 1


def test_delete_annotations_drops_empty_track(project):
    token = car(project)
    check_undo_redo(project, cmd.delete_annotations(project, [token]))
    assert project.tracks == {}


def test_delete_annotations_keeps_track_with_other_boxes(project):
    token = car(project)
    track = project.annotation(token).track_token
    project.execute(cmd.put_annotations(project, [(track, 1, Box([1, 0, 0], [4, 2, 1]))], Source.MANUAL))
    check_undo_redo(project, cmd.delete_annotations(project, [token]))
    assert track in project.tracks


def test_delete_track(project):
    token = car(project)
    track = project.annotation(token).track_token
    project.execute(cmd.put_annotations(project, [(track, f, Box([f, 0, 0], [4, 2, 1])) for f in (1, 2)],
                                        Source.MANUAL))
    check_undo_redo(project, cmd.delete_track(project, track))
    assert project.annotations == {}


def test_set_annotation_attributes_validates_schema(project):
    token = car(project)
    check_undo_redo(project, cmd.set_annotation_attributes(project, token, {"motion": "vehicle.parked"}))
    with pytest.raises(SchemaError, match="not allowed"):
        cmd.set_annotation_attributes(project, token, {"motion": "pedestrian.moving"})


def test_set_track_category_drops_foreign_attributes(project):
    token = car(project)
    project.execute(cmd.set_annotation_attributes(project, token, {"motion": "vehicle.moving", "kitti_occluded": 1}))
    track = project.annotation(token).track_token
    check_undo_redo(project, cmd.set_track_category(project, track, "human.pedestrian.adult"))
    assert project.track(track).category == "human.pedestrian.adult"
    assert dict(project.annotation(token).attributes) == {"kitti_occluded": 1}


def test_set_track_attributes(project):
    track = project.annotation(car(project)).track_token
    check_undo_redo(project, cmd.set_track_attributes(project, track, {"note": "police livery"}))


def test_set_review_state(project):
    tokens = [car(project, f) for f in range(3)]
    check_undo_redo(project, cmd.set_review_state(project, tokens, ReviewState.ACCEPTED))
    assert {project.annotation(t).review_state for t in tokens} == {ReviewState.ACCEPTED}


def test_move_annotation_to_track(project):
    a = car(project, 0)
    b = car(project, 1, x=10)
    track_a = project.annotation(a).track_token
    check_undo_redo(project, cmd.move_annotation_to_track(project, b, track_a))
    assert [x.frame_index for x in project.annotations_of_track(track_a)] == [0, 1]


def test_drag_merges_into_one_step_until_released(project):
    token = car(project)
    start = project.annotation(token).box
    steps = len(project.undo)
    for i in range(30):
        box = project.annotation(token).box.translated([0.1, 0, 0])
        project.execute(cmd.set_box(project, token, box, merge_key=f"drag:{token}"))
    assert len(project.undo) == steps + 1
    project.undo.end_merge()
    project.execute(cmd.set_box(project, token, start.translated([0, 1, 0]), merge_key=f"drag:{token}"))
    assert len(project.undo) == steps + 2
    project.undo.undo()
    assert project.annotation(token).box.center_m[0] == pytest.approx(3.0)
    project.undo.undo()
    assert project.annotation(token).box == start


def test_macro_is_one_step_and_rolls_back_on_error(project):
    steps = len(project.undo)
    with project.undo.macro("Label 30 cars"):
        for i in range(30):
            car(project, i % 10, x=i * 10.0)
    assert len(project.undo) == steps + 1 and len(project.annotations) == 30
    project.undo.undo()
    assert project.annotations == {}
    steps = len(project.undo)
    with pytest.raises(ModelError):
        with project.undo.macro("half"):
            car(project)
            project.execute(cmd.set_box(project, "missing", Box([0, 0, 0], [1, 1, 1])))
    assert project.annotations == {} and project.tracks == {}
    assert len(project.undo) == steps


def test_new_command_clears_redo(project):
    car(project)
    project.undo.undo()
    assert project.undo.can_redo
    car(project, 2)
    assert not project.undo.can_redo


def test_invariants_reject_bad_edits(project):
    token = car(project)
    track = project.annotation(token).track_token
    with pytest.raises(ModelError, match="already has a box"):
        project.execute(cmd.move_annotation_to_track(project, car(project, 0, 5.0), track))
    with pytest.raises(ModelError, match="outside"):
        project.execute(cmd.create_track(project, "vehicle.car", 99, Box([0, 0, 0], [1, 1, 1])))
    with pytest.raises(SchemaError, match="unknown category"):
        cmd.create_track(project, "vehicle.spaceship", 0, Box([0, 0, 0], [1, 1, 1]))


def test_signals_fire_for_viewer(project):
    seen = []
    project.events.annotation_added.connect(lambda a: seen.append(("add", a.frame_index)))
    project.events.annotation_changed.connect(lambda o, n: seen.append(("change", n.box.yaw_rad)))
    project.events.annotation_removed.connect(lambda a: seen.append(("remove", a.frame_index)))
    token = car(project, 4)
    project.execute(cmd.set_box(project, token, project.annotation(token).box.rotated(math.pi)))
    project.undo.undo()
    project.undo.undo()
    assert [s[0] for s in seen] == ["add", "change", "change", "remove"]
    assert seen[1][1] == pytest.approx(0.1 - math.pi)
