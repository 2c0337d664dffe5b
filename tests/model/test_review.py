"""Review states on tracks and boxes, range verdicts, comments: do, undo, redo."""

from __future__ import annotations

import pytest

from sweeplabel.model import (
    AUTHOR_ENV, Box, CommentState, ModelError, Project, ReviewState, aggregate_state, commands as cmd,
    default_author, review_progress,
)


def snapshot(p: Project):
    tracks = sorted((t.token, t.review_state, t.reviewed_by, t.reviewed_s) for t in p.tracks.values())
    anns = sorted((a.token, a.review_state, a.reviewed_by, a.reviewed_s) for a in p.annotations.values())
    return tracks, anns, sorted(p.comments.items())


def check_undo_redo(p: Project, command) -> None:
    before = snapshot(p)
    p.execute(command)
    after = snapshot(p)
    assert after != before, "the command changed nothing"
    assert p.undo.undo()
    assert snapshot(p) == before
    assert p.undo.redo()
    assert snapshot(p) == after


@pytest.fixture
def reviewed(project: Project) -> tuple[Project, str]:
    """A car track with boxes in frames 0..7, a reviewer called Ada at a fixed clock."""
    project.author = "ada"
    project.clock = lambda: 1000.0
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4.5, 1.9, 1.6])))
    track = next(iter(project.tracks))
    project.execute(cmd.put_annotations(project, [(track, f, Box([f, 0, 0.8], [4.5, 1.9, 1.6]))
                                                  for f in range(1, 8)], cmd.Source.INTERPOLATED))
    return project, track


def test_default_author_from_env(monkeypatch):
    monkeypatch.setenv(AUTHOR_ENV, "grace")
    assert default_author() == "grace"
    assert Project(__import__("support").make_sequence(2)).author == "grace"
    monkeypatch.delenv(AUTHOR_ENV)
    assert default_author()  # the OS user name (or "unknown")


def test_review_track_range_is_one_undoable_step(reviewed):
    p, track = reviewed
    steps = len(p.undo)
    check_undo_redo(p, cmd.review_track_range(p, track, ReviewState.ACCEPTED, 2, 5))
    assert len(p.undo) == steps + 1
    states = {a.frame_index: a.review_state for a in p.annotations_of_track(track)}
    assert [f for f, s in states.items() if s == ReviewState.ACCEPTED] == [2, 3, 4, 5]
    acc = p.annotation_at(track, 3)
    assert (acc.reviewed_by, acc.reviewed_s) == ("ada", 1000.0)
    assert p.track(track).review_state == ReviewState.UNREVIEWED  # the rest is unreviewed
    assert p.undo.undo_text == f"Mark track {p.track(track).number} frames 2..5 accepted"


def test_rejecting_part_rejects_the_track_and_accepting_all_accepts_it(reviewed):
    p, track = reviewed
    check_undo_redo(p, cmd.review_track_range(p, track, ReviewState.REJECTED, 6, None))
    assert p.track(track).review_state == ReviewState.REJECTED
    check_undo_redo(p, cmd.review_track_range(p, track, ReviewState.ACCEPTED))
    assert p.track(track).review_state == ReviewState.ACCEPTED
    assert {a.review_state for a in p.annotations_of_track(track)} == {ReviewState.ACCEPTED}
    with pytest.raises(ModelError, match="empty frame range"):
        cmd.review_track_range(p, track, ReviewState.ACCEPTED, 5, 2)


def test_track_state_and_box_state_commands(reviewed):
    p, track = reviewed
    check_undo_redo(p, cmd.set_track_review_state(p, [track], ReviewState.FIXED))
    assert p.track(track).reviewed_by == "ada"
    token = p.annotation_at(track, 1).token
    check_undo_redo(p, cmd.set_review_state(p, [token], ReviewState.REJECTED))
    assert p.annotation(token).reviewed_s == 1000.0


def test_aggregate_state():
    R = ReviewState
    assert aggregate_state([]) == R.UNREVIEWED
    assert aggregate_state([R.ACCEPTED, R.FIXED]) == R.FIXED
    assert aggregate_state([R.ACCEPTED, R.UNREVIEWED, R.REJECTED]) == R.REJECTED
    assert aggregate_state([R.ACCEPTED] * 3) == R.ACCEPTED


def test_comment_on_annotation_track_and_point(reviewed):
    p, track = reviewed
    ann = p.annotation_at(track, 4)
    check_undo_redo(p, cmd.add_comment(p, "yaw is off", annotation_token=ann.token, token="c1"))
    c1 = p.comment("c1")
    assert (c1.track_token, c1.frame_index, c1.author, c1.created_s, c1.state) == \
        (track, 4, "ada", 1000.0, CommentState.OPEN)
    check_undo_redo(p, cmd.add_comment(p, "wrong class?", track_token=track, token="c2"))
    check_undo_redo(p, cmd.add_comment(p, "missed object here", frame_index=3, point_m=(10, 2, 0.5),
                                       token="c3"))
    assert p.comment("c3").point_m == (10.0, 2.0, 0.5)
    assert [c.token for c in p.comments_of_track(track)] == ["c1", "c2"]
    assert [c.token for c in p.comments_in_frame(3)] == ["c3"]
    with pytest.raises(ModelError):
        cmd.add_comment(p, "nowhere")
    with pytest.raises(ModelError):
        cmd.add_comment(p, "point without frame", point_m=(0, 0, 0))
    with pytest.raises(ModelError):
        cmd.add_comment(p, "  ", track_token=track)


def test_comment_thread_resolve_reopen_edit_delete(reviewed):
    p, track = reviewed
    p.execute(cmd.add_comment(p, "size jumps", track_token=track, token="c"))
    p.author, p.clock = "bob", (lambda: 2000.0)
    check_undo_redo(p, cmd.reply_to_comment(p, "c", "fixed in frame 3"))
    assert [(r.author, r.time_s, r.text) for r in p.comment("c").replies] == [("bob", 2000.0, "fixed in frame 3")]
    check_undo_redo(p, cmd.set_comment_state(p, "c", CommentState.RESOLVED))
    assert (p.comment("c").resolved_by, p.comment("c").resolved_s) == ("bob", 2000.0)
    assert not p.comment("c").is_open
    assert cmd.set_comment_state(p, "c", CommentState.RESOLVED).changes == []
    check_undo_redo(p, cmd.set_comment_state(p, "c", CommentState.OPEN))
    check_undo_redo(p, cmd.edit_comment(p, "c", "size jumps in frame 3"))
    check_undo_redo(p, cmd.delete_comment(p, "c"))
    assert p.comments == {}


def test_review_progress(reviewed):
    p, track = reviewed
    p.execute(cmd.review_track_range(p, track, ReviewState.ACCEPTED, 0, 3))
    p.execute(cmd.add_comment(p, "x", track_token=track))
    prog = review_progress(p)
    assert prog.annotations["accepted"] == 4 and prog.annotations["unreviewed"] == 4
    assert prog.reviewed_fraction == pytest.approx(0.5)
    assert (prog.open_comments, prog.resolved_comments) == (1, 0)
