"""Tracking assist in the editor, as a user drives it: smart propagation (and its stop
flag), copy to the next frame, interpolation with re-interpolation after a keyframe
edit, size unification, pre-annotation on a worker (cancel changes nothing) and the
object-centric view. Each edit is one undo step. One window per test, few renders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication, QPushButton

from sweeplabel.app import MainWindow
from sweeplabel.app.assist_ops import flagged_frames
from sweeplabel.app.edit_ops import NUDGES
from sweeplabel.assist.propagation import STOP_ATTRIBUTE
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import Box, Source, commands

pytestmark = pytest.mark.gui

PARKED_CAR_XY_M = (5.8, -4.8)  # seed 1: a parked car beside the ego's lane, well seen
MOVING_CAR_XY_M = (1.3, 1.75)  # seed 1: an oncoming car, well seen


@pytest.fixture(scope="module")
def sequence_root(tmp_path_factory) -> Path:
    return generate_sequence(tmp_path_factory.mktemp("assist") / "seq", frames=6, beams=32, seed=1)


@pytest.fixture(scope="module")
def truth(sequence_root: Path, tmp_path_factory) -> dict[tuple[float, float], dict[int, Box]]:
    """Ground-truth boxes per frame of the two cars used here (the generator's labels)."""
    opened = open_project(sequence_root, tmp_path_factory.mktemp("truth") / "truth.sweeplabel")
    try:
        project = opened.project
        out = {}
        for xy in (PARKED_CAR_XY_M, MOVING_CAR_XY_M):
            first = min(project.annotations_in_frame(0), key=lambda a: np.hypot(*(a.box.center_m[:2] - xy)))
            out[xy] = {a.frame_index: a.box for a in project.annotations_of_track(first.track_token)}
        return out
    finally:
        opened.close()


@pytest.fixture
def window(qtbot, sequence_root: Path, tmp_path: Path) -> MainWindow:
    opened = open_project(sequence_root, tmp_path / "work.sweeplabel", import_labels=False)
    win = MainWindow(opened.project, opened.store, owned=opened)
    qtbot.addWidget(win)
    win.resize(1000, 700)
    win.show()
    qtbot.waitExposed(win)
    win.loader.wait_idle()
    return win


def new_track(win: MainWindow, boxes: dict[int, Box], category: str = "vehicle.car") -> str:
    """A track with manual boxes (set up in one step, not what is tested), its first box selected."""
    project = win.project
    frames = sorted(boxes)
    cmd = commands.create_track(project, category, frames[0], boxes[frames[0]])
    project.execute(cmd)
    token = cmd.changes[1].after.token  # type: ignore[union-attr]
    track = project.annotation(token).track_token
    rest = [(track, f, boxes[f]) for f in frames[1:]]
    if rest:
        project.execute(commands.put_annotations(project, rest, Source.MANUAL))
    win.editor.select(token)
    return track


def trigger(win: MainWindow, action_id: str) -> None:
    win.actions_by_id[action_id].trigger()


def test_propagating_a_parked_car_keeps_it_put_in_one_undo_step(window: MainWindow, truth) -> None:
    project = window.project
    start = truth[PARKED_CAR_XY_M][0]
    track = new_track(window, {0: start})
    window.assist.frames_spin.setValue(5)
    steps = len(project.undo)
    trigger(window, "propagate_5")
    anns = project.annotations_of_track(track)
    assert [a.frame_index for a in anns] == [0, 1, 2, 3, 4, 5], window.statusBar().currentMessage()
    for ann in anns[1:]:  # the ego drives; the parked car stays exactly put in the world frame
        assert ann.source == Source.PROPAGATED
        assert ann.box.isclose(start, tol_m=1e-6), (ann.frame_index, ann.box, start)
        assert STOP_ATTRIBUTE not in ann.attributes
    assert len(project.undo) == steps + 1
    assert "propagated to 5 frames" in window.statusBar().currentMessage()
    trigger(window, "undo")
    assert [a.frame_index for a in project.annotations_of_track(track)] == [0]


def test_propagating_a_moving_car_follows_it_frame_by_frame(window: MainWindow, truth) -> None:
    gt = truth[MOVING_CAR_XY_M]
    project = window.project
    track = new_track(window, {0: gt[0], 1: gt[1]})  # two keyframes: the motion is known
    window.go_to_frame(1, wait=True)
    assert window.editor.selected == project.annotation_at(track, 1).token
    trigger(window, "propagate_next")
    ann = project.annotation_at(track, 2)
    assert ann is not None and ann.source == Source.PROPAGATED
    assert np.linalg.norm(ann.box.center_m[:2] - gt[2].center_m[:2]) < 0.3
    # the plain copy stays available
    window.go_to_frame(2, wait=True)
    trigger(window, "copy_next")
    assert project.annotation_at(track, 3).box == project.annotation_at(track, 2).box


def test_propagation_that_stops_flags_the_box_everywhere(qtbot, window: MainWindow) -> None:
    project = window.project
    # a box over an empty stretch of road: nothing to re-fit to in the next frame
    empty = Box([0.0, 40.0, 0.8], [4.4, 1.8, 1.55], 0.0)
    assert not any(np.hypot(*(a.box.center_m[:2] - empty.center_m[:2])) < 8 for a in project.annotations.values())
    track = new_track(window, {0: empty})
    steps = len(project.undo)
    trigger(window, "propagate_5")
    message = window.statusBar().currentMessage()
    assert "STOPPED at frame 2" in message and "too few points" in message and "predicted box there is flagged" in message
    anns = project.annotations_of_track(track)
    assert [a.frame_index for a in anns] == [0, 1]  # the prediction is kept where the run stopped (poses: in place)
    assert np.allclose(anns[1].box.center_m, empty.center_m) and anns[1].source == Source.PROPAGATED
    assert STOP_ATTRIBUTE in anns[1].attributes and STOP_ATTRIBUTE not in anns[0].attributes
    assert len(project.undo) == steps + 1
    QApplication.processEvents()  # the track list refreshes on a zero timer
    row = window.track_list.row_tokens.index(track)
    assert window.track_list.table.item(row, 0).text().endswith("⚑")
    assert window.timeline.strip.flagged == {1} == flagged_frames(project, track)
    # fixing the box by hand clears the flag (same undo step as the edit)
    window.go_to_frame(1)
    qtbot.waitUntil(lambda: window.frame_index == 1, timeout=20_000)
    window.editor.select(anns[1].token)
    window.editor.nudge(NUDGES[0])
    assert STOP_ATTRIBUTE not in project.annotation_at(track, 1).attributes
    assert window.timeline.strip.flagged == set()
    trigger(window, "undo")
    assert STOP_ATTRIBUTE in project.annotation_at(track, 1).attributes


def test_ctrl_right_walk_stops_at_a_flagged_box(qtbot, window: MainWindow) -> None:
    project = window.project
    empty = Box([0.0, 40.0, 0.8], [4.4, 1.8, 1.55], 0.0)  # nothing to re-fit to: the run stops at once
    track = new_track(window, {0: empty})
    trigger(window, "propagate_next")  # Ctrl+Right
    qtbot.waitUntil(lambda: window.frame_index == 1, timeout=20_000)
    flagged = project.annotation_at(track, 1)
    assert STOP_ATTRIBUTE in flagged.attributes and window.editor.selected == flagged.token
    steps = len(project.undo)
    trigger(window, "propagate_next")  # held on: the walk does not go past the flag unseen
    assert window.frame_index == 1 and project.annotation_at(track, 2) is None and len(project.undo) == steps
    assert "⚑ Frame 2" in window.statusBar().currentMessage()
    assert STOP_ATTRIBUTE in project.annotation_at(track, 1).attributes


def test_interpolation_fills_gaps_and_follows_keyframe_edits(window: MainWindow, truth) -> None:
    gt = truth[MOVING_CAR_XY_M]
    project = window.project
    track = new_track(window, {0: gt[0], 5: gt[5]})
    steps = len(project.undo)
    trigger(window, "interpolate_track")
    anns = project.annotations_of_track(track)
    assert [a.frame_index for a in anns] == [0, 1, 2, 3, 4, 5]
    assert [a.source for a in anns[1:5]] == [Source.INTERPOLATED] * 4
    assert np.linalg.norm(anns[2].box.center_m[:2] - gt[2].center_m[:2]) < 0.3
    assert len(project.undo) == steps + 1
    assert "interpolated 4 boxes" in window.statusBar().currentMessage()
    before = project.annotation_at(track, 3).box
    # move the last keyframe with two held-key nudges: one undo step, the boxes between follow
    window.go_to_frame(5, wait=True)
    assert window.editor.selected == project.annotation_at(track, 5).token
    nudge = next(n for n in NUDGES if n.id == "move_left_coarse")
    window.editor.nudge(nudge)
    window.editor.nudge(nudge)
    window.editor.end_merge()
    moved = project.annotation_at(track, 3).box
    assert project.annotation_at(track, 3).source == Source.INTERPOLATED
    assert not moved.isclose(before, tol_m=1e-3)
    assert len(project.undo) == steps + 2
    trigger(window, "undo")
    assert project.annotation_at(track, 3).box.isclose(before, tol_m=1e-9)
    assert project.annotation_at(track, 5).box.isclose(gt[5], tol_m=1e-9)


def test_unify_track_size_is_one_step(window: MainWindow, truth) -> None:
    gt = truth[PARKED_CAR_XY_M]
    project = window.project
    sizes = {0: [4.2, 1.7, 1.5], 2: [4.5, 1.8, 1.6], 4: [4.6, 1.9, 1.5]}
    track = new_track(window, {f: gt[f].with_size(np.array(s)) for f, s in sizes.items()})
    steps = len(project.undo)
    trigger(window, "unify_track_size")
    got = [a.box.size_lwh_m for a in project.annotations_of_track(track)]
    assert all(np.allclose(g, [4.5, 1.8, 1.5]) for g in got), got
    assert len(project.undo) == steps + 1
    trigger(window, "undo")
    assert [list(a.box.size_lwh_m) for a in project.annotations_of_track(track)] == list(sizes.values())


def test_preannotation_cancel_changes_nothing(qtbot, window: MainWindow) -> None:
    project = window.project
    new_track(window, {0: Box([0.0, 40.0, 0.8], [4.4, 1.8, 1.55], 0.0)})
    anns, steps = dict(project.annotations), len(project.undo)
    trigger(window, "preannotate")
    assert window.assist.busy and window.assist.progress_dialog.isVisible()
    window.assist.progress_dialog.findChild(QPushButton).click()  # the user presses Cancel
    with qtbot.waitSignal(window.assist.preannotation_done, timeout=30_000) as done:
        pass
    assert done.args == ["cancelled"]
    assert not window.assist.busy and window.actions_by_id["preannotate"].isEnabled()
    assert dict(project.annotations) == anns and len(project.undo) == steps
    assert "cancelled" in window.statusBar().currentMessage()


def test_preannotation_adds_auto_tracks_in_one_step(qtbot, window: MainWindow) -> None:
    project = window.project
    steps = len(project.undo)
    with qtbot.waitSignal(window.assist.preannotation_done, timeout=60_000) as done:
        trigger(window, "preannotate")
    assert done.args == ["applied"]
    assert len(project.tracks) >= 10
    assert {a.source for a in project.annotations.values()} == {Source.AUTO}
    assert len(project.undo) == steps + 1
    assert sorted(window.track_list.row_tokens) == sorted(project.tracks)
    assert "auto boxes" in window.statusBar().currentMessage()
    trigger(window, "undo")
    assert not project.tracks and not project.annotations


def test_object_view_stacks_the_track_points_of_every_frame(qtbot, window: MainWindow, truth) -> None:
    gt = truth[PARKED_CAR_XY_M]
    track = new_track(window, gt)
    panel = window.assist.object_view
    assert window.assist.object_view_dock.isVisible()
    qtbot.waitUntil(lambda: panel.wait_idle() and panel.stacked is not None, timeout=10_000)
    stacked = panel.stacked
    assert stacked.track_token == track and set(stacked.frame_index.tolist()) == set(range(6))
    assert len(stacked) > 1.5 * np.count_nonzero(stacked.frame_index == 0)
    half = gt[0].size_lwh_m / 2 + 0.35  # every stacked point lies in (grown) box-frame bounds
    assert np.all(np.abs(stacked.points_box_m) <= half)
    assert f"track {window.project.track(track).number}:" in panel.caption.text()
    image = panel.grab().toImage()
    assert image.width() > 100  # it paints (the editor screenshot script looks at it)
    window.editor.deselect()
    assert panel.stacked is None
    trigger(window, "toggle_object_view")
    assert not window.assist.object_view_dock.isVisible()


def test_editor_commands_with_comments_pass_through(scene_project) -> None:
    """A review comment (which has a frame but no box) goes through the re-interpolating
    execute untouched, also on a track with interpolated boxes."""
    from sweeplabel.app.assist_ops import execute_edit
    from sweeplabel.assist.interpolation import interpolate_track

    project = scene_project
    track = next(iter(project.tracks))
    last = project.annotation_at(track, 1)
    project.execute(commands.put_annotations(project, [(track, 2, last.box.moved_local([2.0, 0, 0]))], Source.MANUAL))
    project.execute(commands.delete_annotations(project, [last.token]))
    project.execute(interpolate_track(project, track))
    assert project.annotation_at(track, 1).source == Source.INTERPOLATED
    execute_edit(project, commands.add_comment(project, "check", frame_index=1, track_token=track))
    assert len(project.comments) == 1
