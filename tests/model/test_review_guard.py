"""Edits after review mark boxes and tracks 'changed'; copies never carry import bookkeeping."""

from __future__ import annotations

from sweeplabel.model import Box, Project, ReviewState, Source, commands as cmd
from sweeplabel.model.entities import copyable_attributes

from support import make_sequence

IMPORTED = {"kitti_bbox": [1, 2, 3, 4], "kitti_alpha": 0.3, "kitti_truncated": 0.5, "kitti_line": 2,
            "kitti_import_box": [0, 0, 0, 4, 2, 1.5, 0], "nuscenes_token": "abc",
            "nuscenes_visibility_token": "4", "nuscenes_attributes": ["vehicle.parked"], "occluded_note": "x"}


def accepted_project():
    p = Project(make_sequence(5))
    p.execute(cmd.create_track(p, "vehicle.car", 0, Box([5, 0, 0], [4, 2, 1.5], 0.0), IMPORTED))
    ann = next(iter(p.annotations.values()))
    p.execute(cmd.set_review_state(p, [ann.token], ReviewState.ACCEPTED))
    p.execute(cmd.set_track_review_state(p, [ann.track_token], ReviewState.ACCEPTED))
    return p, ann.token


def test_moving_an_accepted_box_marks_box_and_track_changed_and_undo_restores():
    p, token = accepted_project()
    track_token = p.annotation(token).track_token
    p.execute(cmd.set_box(p, token, Box([5.5, 0, 0], [4, 2, 1.5], 0.0), merge_key="drag"))
    p.execute(cmd.set_box(p, token, Box([6.0, 0, 0], [4, 2, 1.5], 0.0), merge_key="drag"))
    assert p.annotation(token).review_state == ReviewState.CHANGED
    assert p.track(track_token).review_state == ReviewState.CHANGED
    p.undo.undo()  # the whole drag is one step
    assert p.annotation(token).review_state == ReviewState.ACCEPTED
    assert p.track(track_token).review_state == ReviewState.ACCEPTED
    assert p.annotation(token).box.center_m[0] == 5.0


def test_attribute_and_class_edits_count_but_review_commands_do_not():
    p, token = accepted_project()
    track_token = p.annotation(token).track_token
    p.execute(cmd.set_track_category(p, track_token, "vehicle.truck"))
    assert p.track(track_token).review_state == ReviewState.CHANGED
    p.execute(cmd.set_review_state(p, [token], ReviewState.REJECTED))
    assert p.annotation(token).review_state == ReviewState.REJECTED  # the verdict itself is kept


def test_propagated_copy_is_a_new_box_without_import_bookkeeping():
    p, token = accepted_project()
    ann = p.annotation(token)
    p.execute(cmd.put_annotations(p, [(ann.track_token, 1, ann.box)], Source.PROPAGATED,
                                  attributes=dict(ann.attributes)))
    copy = p.annotation_at(ann.track_token, 1)
    assert copy.token != ann.token
    assert "nuscenes_token" not in copy.attributes and "kitti_bbox" not in copy.attributes
    assert "kitti_import_box" not in copy.attributes and "kitti_truncated" not in copy.attributes
    assert copy.attributes["nuscenes_attributes"] == ["vehicle.parked"]  # what the object is, kept
    assert copyable_attributes(IMPORTED).keys() == {"nuscenes_attributes", "occluded_note"}
