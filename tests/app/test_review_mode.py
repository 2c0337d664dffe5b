"""Review mode in the editor (issue 7): the QA panel lists the checks' findings, a click
jumps to the frame and selects the box, keys reject / comment / reply / accept, the
fix removes the finding incrementally, and verdicts and comments survive a reopen.
Plus the time statistics from the command log and the reviewer's name."""

from __future__ import annotations

import math
import os

import pytest
from PySide6.QtCore import Qt

from sweeplabel.app import MainWindow
from sweeplabel.app.review import settings as review_settings
from sweeplabel.app.review.time_stats import META_KEY, Step, merge_steps, step_durations, time_stats
from sweeplabel.io import open_project
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.model import CommentState, ReviewState, commands

pytestmark = pytest.mark.gui
ALT = Qt.KeyboardModifier.AltModifier


# -- time statistics (no Qt) ----------------------------------------------------------------
def test_step_durations_skip_idle_gaps() -> None:
    assert step_durations([0.0, 10.0, 15.0, 500.0, 530.0], idle_cutoff_s=120.0) == [0.0, 10.0, 5.0, 0.0, 30.0]


def test_time_stats_split_over_tracks_and_frames() -> None:
    steps = [Step(0.0, "ann", ("a",), (0,)), Step(10.0, "ann", ("a", "b"), (1,)),
             Step(16.0, "qa", ("b",), (1, 2)), Step(1000.0, "qa", ("a",), (0,))]
    stats = time_stats(steps, idle_cutoff_s=60.0)
    assert stats.total_s == pytest.approx(16.0)
    assert stats.per_author_s == pytest.approx({"ann": 10.0, "qa": 6.0})
    assert stats.per_track_s == pytest.approx({"a": 5.0, "b": 11.0})
    assert stats.per_frame_s == pytest.approx({0: 0.0, 1: 13.0, 2: 3.0})
    assert sum(stats.per_track_s.values()) == pytest.approx(stats.total_s)


def test_merge_steps_attaches_detail_to_history() -> None:
    history = [Step(100.0, "qa"), Step(200.0, "qa")]
    detailed = [Step(100.2, "qa", ("t",), (3,)), Step(300.0, "qa", ("u",), (4,))]
    merged = sorted(merge_steps(history, detailed), key=lambda s: s.time_s)
    assert [(s.time_s, s.tracks) for s in merged] == [(100.0, ("t",)), (200.0, ()), (300.0, ("u",))]


def test_author_from_env_then_settings_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(review_settings, "settings_path", lambda: tmp_path / "settings.json")
    monkeypatch.delenv("SWEEPLABEL_AUTHOR", raising=False)
    review_settings.save_author("Ada")
    assert review_settings.load_author() == "Ada"
    monkeypatch.setenv("SWEEPLABEL_AUTHOR", "env-name")
    assert review_settings.load_author() == "env-name"


# -- the review flow ------------------------------------------------------------------------
def _clean_track(project, runner_findings):
    """The longest track (all frames) without any finding: the one to break."""
    flagged = {f.track_token for f in runner_findings}
    tracks = [t for t in project.tracks.values() if t.token not in flagged]
    return max(tracks, key=lambda t: (len(project.annotations_of_track(t.token)), -t.number))


def _click_item(qtbot, tree, item) -> None:
    tree.scrollToItem(item)
    rect = tree.visualItemRect(item)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def _accept_dialog(qtbot, window, text: str) -> None:
    dialog = window.review.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.editor.setPlainText(text)
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=2_000)
    window.activateWindow()  # the offscreen platform does not hand activation back by itself
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    assert window.view.hasFocus()


def test_review_flow_reject_comment_fix_accept_reopen(qtbot, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(review_settings, "settings_path", lambda: tmp_path / "settings.json")
    monkeypatch.setenv("SWEEPLABEL_AUTHOR", "qa-lead")
    seq = generate_sequence(tmp_path / "seq", frames=8, beams=32, seed=3)
    project_path = tmp_path / "p.sweeplabel"
    opened = open_project(seq, project_path)
    project, store = opened.project, opened.store

    from sweeplabel.assist.checks import run_checks

    track = _clean_track(project, run_checks(project))
    anns = project.annotations_of_track(track.token)
    victim = anns[len(anns) // 2]
    good_yaw = victim.box.yaw_rad
    project.execute(commands.set_box(project, victim.token, victim.box.rotated(math.pi), text="Inject flip"))

    window = MainWindow(project, store)
    qtbot.addWidget(window)
    window.resize(1300, 800)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    assert project.author == "qa-lead"

    # review mode: the QA dock opens and the checks run
    qtbot.keyClick(window.view, Qt.Key.Key_F7)
    review, panel = window.review, window.review.panel
    assert review.active and review.controller.enabled
    flips = [i for i in panel.finding_items() if i.data(0, Qt.ItemDataRole.UserRole).check == "heading_flip"]
    assert len(flips) == 1, [i.text(4) for i in flips]
    flip = flips[0].data(0, Qt.ItemDataRole.UserRole)
    assert (flip.track_token, flip.frame_index) == (track.token, victim.frame_index)

    # click the finding: jump to its frame, its box selected
    panel.group.setCurrentIndex(1)  # by track: the tree regroups, the row is still there
    item = next(i for i in panel.finding_items() if i.data(0, Qt.ItemDataRole.UserRole).key == flip.key)
    _click_item(qtbot, panel.findings_tree, item)
    assert window.frame_index == victim.frame_index
    assert window.editor.selected == victim.token
    window.view.setFocus()

    # keyboard stepping goes on to another finding and comes back
    qtbot.keyClick(window.view, Qt.Key.Key_F8)
    assert review.controller.current.key != flip.key
    qtbot.keyClick(window.view, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert review.controller.current.key == flip.key
    assert window.editor.selected == victim.token

    # reject, comment, reply
    qtbot.keyClick(window.view, Qt.Key.Key_X, ALT)
    assert project.annotation(victim.token).review_state == ReviewState.REJECTED
    assert project.track(track.token).review_state == ReviewState.REJECTED
    assert project.annotation(victim.token).reviewed_by == "qa-lead"
    qtbot.keyClick(window.view, Qt.Key.Key_C, ALT)
    _accept_dialog(qtbot, window, "heading flipped here")
    (comment,) = project.comments.values()
    assert (comment.annotation_token, comment.author, comment.is_open) == (victim.token, "qa-lead", True)
    qtbot.keyClick(window.view, Qt.Key.Key_P, ALT)
    _accept_dialog(qtbot, window, "will fix")
    assert [r.text for r in project.comment(comment.token).replies] == ["will fix"]
    qtbot.waitUntil(lambda: panel.comments_tree.topLevelItemCount() == 1, timeout=2_000)
    window.go_to_frame(0, wait=True)  # the comment's row brings the box back
    assert window.frame_index == 0
    panel.tabs.setCurrentIndex(1)
    _click_item(qtbot, panel.comments_tree, panel.comments_tree.topLevelItem(0))
    assert (window.frame_index, window.editor.selected) == (victim.frame_index, victim.token)
    assert review.controller.current_comment == comment.token
    panel.tabs.setCurrentIndex(0)
    window.view.setFocus()

    # fix: flip the heading back with the editor's key; the finding goes away incrementally
    qtbot.keyClick(window.view, Qt.Key.Key_H)
    assert abs(math.remainder(project.annotation(victim.token).box.yaw_rad - good_yaw, 2 * math.pi)) < 1e-9
    qtbot.waitUntil(lambda: not any(i.data(0, Qt.ItemDataRole.UserRole).check == "heading_flip"
                                    for i in panel.finding_items()), timeout=3_000)
    qtbot.keyClick(window.view, Qt.Key.Key_D, ALT)  # mark fixed
    assert project.annotation(victim.token).review_state == ReviewState.FIXED

    # accept the whole track over the panel's range (set to the track's frames on selection)
    first, last = panel.track_range()
    assert (first, last) == (anns[0].frame_index, anns[-1].frame_index)
    qtbot.keyClick(window.view, Qt.Key.Key_A, ALT | Qt.KeyboardModifier.ShiftModifier)
    assert {a.review_state for a in project.annotations_of_track(track.token)} == {ReviewState.ACCEPTED}
    assert project.track(track.token).review_state == ReviewState.ACCEPTED
    qtbot.keyClick(window.view, Qt.Key.Key_R, ALT)  # resolve the comment
    assert project.comment(comment.token).state == CommentState.RESOLVED

    # the review strip shows the track all green; the time statistics know the track
    assert review.strip.isVisible()
    assert set(review.strip.states.values()) == {ReviewState.ACCEPTED}
    assert len(review.strip.states) == len(anns)
    panel.tabs.setCurrentIndex(2)
    stats = review.controller.activity.stats()
    assert stats.steps >= 8 and stats.per_track_s.get(track.token, 0.0) > 0.0
    assert stats.per_frame_s.get(victim.frame_index, 0.0) > 0.0
    assert "Active annotation time" in panel.time_label.text()
    assert panel.time_tree.topLevelItem(0).childCount() >= 1
    panel.tabs.setCurrentIndex(0)
    assert "qa-lead" in panel.summary.text()

    qtbot.wait(20)  # the panels' coalesced refreshes
    assert "1 accepted" not in panel.summary.text() and "0 rejected" in panel.summary.text()
    shot_dir = os.environ.get("SWEEPLABEL_SCREENSHOT_DIR")
    image = window.grab().toImage()
    assert not image.isNull()
    image.save(str((tmp_path if not shot_dir else __import__("pathlib").Path(shot_dir)) / "review_mode.png"))

    window.close()
    opened.close()

    # reopen: verdicts, comment, reply, resolution and the activity log persist
    again = open_project(project_path)
    try:
        p2 = again.project
        assert p2.annotation(victim.token).review_state == ReviewState.ACCEPTED
        assert p2.track(track.token).review_state == ReviewState.ACCEPTED
        c2 = p2.comment(comment.token)
        assert (c2.text, c2.author, c2.state) == ("heading flipped here", "qa-lead", CommentState.RESOLVED)
        assert [r.text for r in c2.replies] == ["will fix"]
        assert abs(math.remainder(p2.annotation(victim.token).box.yaw_rad - good_yaw, 2 * math.pi)) < 1e-9
        assert any(k.startswith(META_KEY) for k in again.store.meta())
        assert any(a == "qa-lead" for _t, a, _x in again.store.history_entries(100))
    finally:
        again.close()


def test_author_dialog_verdict_undo_and_frame_comment(qtbot, tmp_path, monkeypatch, scene_project) -> None:
    monkeypatch.setattr(review_settings, "settings_path", lambda: tmp_path / "settings.json")
    monkeypatch.delenv("SWEEPLABEL_AUTHOR", raising=False)
    project = scene_project
    window = MainWindow(project)
    qtbot.addWidget(window)
    window.actions_by_id["review_mode"].trigger()
    review = window.review
    assert review.active and window.actions_by_id["review_mode"].isChecked()

    dialog = review.ask_author()
    dialog.name.setText("Grace")
    dialog.accept()
    assert project.author == "Grace" and review_settings.load_author() == "Grace"

    token = project.annotations_in_frame(0)[0].token
    window.editor.select(token)
    window.actions_by_id["accept_box"].trigger()
    assert project.annotation(token).review_state == ReviewState.ACCEPTED
    assert project.annotation(token).reviewed_by == "Grace"
    assert review.strip.states[0] == ReviewState.ACCEPTED
    window.actions_by_id["undo"].trigger()
    assert project.annotation(token).review_state == ReviewState.UNREVIEWED
    qtbot.waitUntil(lambda: review.strip.states.get(0) == ReviewState.UNREVIEWED, timeout=2_000)

    window.editor.deselect()
    assert review.controller.add_comment("ground looks wrong here") is not None
    (comment,) = project.comments.values()
    assert (comment.frame_index, comment.track_token, comment.author) == (0, None, "Grace")
    assert review.controller.toggle_resolved(comment.token)
    assert not project.comment(comment.token).is_open
    window.close()
