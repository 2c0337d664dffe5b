"""Review states and comments in the store; a schema-2 file upgrades to schema 3."""

from __future__ import annotations

import sqlite3

import pytest
from pathlib import Path

from sweeplabel.io import ProjectStore
from sweeplabel.io.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from sweeplabel.model import Box, CommentState, Project, ReviewState, commands as cmd

from support import make_sequence


def reload(path: Path) -> Project:
    p = Project(make_sequence(10))
    with ProjectStore.open(path, read_only=True) as store:  # beside the open writer
        store.load_into(p)
    return p


def review_snapshot(p: Project):
    return (sorted((t.token, t.review_state, t.reviewed_by, t.reviewed_s) for t in p.tracks.values()),
            sorted((a.token, a.review_state, a.reviewed_by, a.reviewed_s) for a in p.annotations.values()),
            sorted(p.comments.items()))


def test_states_and_comments_persist_and_undo_is_saved(tmp_path):
    project = Project(make_sequence(10), author="ada")
    project.clock = lambda: 1234.5
    store = ProjectStore.create(tmp_path / "p.sweeplabel", {"sequence_path": "mem"})
    store.attach(project)
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0.8], [4.5, 1.9, 1.6])))
    track = next(iter(project.tracks))
    project.execute(cmd.put_annotations(project, [(track, f, Box([f, 0, 0.8], [4.5, 1.9, 1.6]))
                                                  for f in range(1, 6)], cmd.Source.PROPAGATED))
    project.execute(cmd.review_track_range(project, track, ReviewState.REJECTED, 3, 5))
    ann = project.annotation_at(track, 4)
    project.execute(cmd.add_comment(project, "box too long", annotation_token=ann.token, token="c1"))
    project.execute(cmd.add_comment(project, "missed cyclist", frame_index=2, point_m=(5, 1, 0.9), token="c2"))
    project.author = "bob"
    project.execute(cmd.reply_to_comment(project, "c1", "shortened"))
    project.execute(cmd.set_comment_state(project, "c1", CommentState.RESOLVED))
    assert not store.has_unsaved_changes
    assert review_snapshot(reload(store.path)) == review_snapshot(project)
    again = reload(store.path)
    c1 = again.comment("c1")
    assert (c1.author, c1.created_s, c1.state, c1.resolved_by) == ("ada", 1234.5, CommentState.RESOLVED, "bob")
    assert [(r.author, r.text) for r in c1.replies] == [("bob", "shortened")]
    assert again.comment("c2").point_m == (5.0, 1.0, 0.9)
    assert again.track(track).review_state == ReviewState.REJECTED
    assert again.annotation_at(track, 4).reviewed_by == "ada"
    # undo is saved too: the comment's resolution and the reply go away
    project.undo.undo()
    project.undo.undo()
    assert review_snapshot(reload(store.path)) == review_snapshot(project)
    assert reload(store.path).comment("c1").replies == ()
    assert [a for _t, a, _x in store.history_entries(3)] == ["bob", "bob", "bob"]
    store.close()


def test_schema_2_store_upgrades_to_current(tmp_path):
    path = tmp_path / "v2.sweeplabel"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for version in (1, 2):
        for statement in MIGRATIONS[version].split(";"):
            if statement.strip():
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute("INSERT INTO meta VALUES ('sequence_path', 'mem')")
    conn.execute("INSERT INTO tracks VALUES ('t1', 7, 'vehicle.car', '{}')")
    conn.execute("INSERT INTO annotations VALUES ('a1','t1',2,1,2,3,4,2,1.5,0.25,'{}','manual','accepted', 5.0)")
    conn.execute("INSERT INTO history(time_s, text) VALUES (1.0, 'Create Car')")
    conn.close()
    assert SCHEMA_VERSION == 4
    with ProjectStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        (track,) = store.read_tracks()
        assert (track.token, track.review_state, track.reviewed_by) == ("t1", ReviewState.UNREVIEWED, "")
        (ann,) = store.read_annotations()
        assert (ann.review_state, ann.reviewed_by, ann.reviewed_s) == (ReviewState.ACCEPTED, "", 0.0)
        assert (track.score, ann.score) == (None, None)  # schema 4: not scored
        assert store.read_comments() == []
        assert store.history_entries() == [(1.0, "", "Create Car")]
    # the upgraded file takes new review data
    p = Project(make_sequence(10), author="ada")
    with ProjectStore.open(path) as store:
        store.load_into(p)
        store.attach(p)
        p.execute(cmd.set_track_review_state(p, ["t1"], ReviewState.ACCEPTED))
        p.execute(cmd.add_comment(p, "ok", track_token="t1", token="c"))
    again = reload(path)
    assert again.track("t1").review_state == ReviewState.ACCEPTED
    assert again.comment("c").author == "ada"


def test_scores_persist_and_round_trip_through_json(tmp_path):
    """An auto box's and track's confidence survives the store and the JSON export."""
    from sweeplabel.io.labels_json import read_labels_json, write_labels_json
    from sweeplabel.model import Annotation, Box, Source, Track
    from sweeplabel.model.undo import Change, Command

    p = Project(make_sequence(3))
    path = tmp_path / "s.sweeplabel"
    with ProjectStore.create(path, {"sequence_path": "mem"}) as store:
        store.attach(p)
        track = Track("t1", "vehicle.car", 1, score=0.83)
        ann = Annotation("a1", "t1", 0, Box([1, 2, 0], [4, 2, 1.5], 0.1), source=Source.AUTO, score=0.61)
        p.execute(Command("Pre-annotate", [Change(None, track), Change(None, ann)]))
    again = reload(path)
    assert again.track("t1").score == 0.83
    assert again.annotation("a1").score == 0.61
    out = tmp_path / "labels.json"
    write_labels_json(out, p.sequence, p.tracks.values(), p.annotations.values())
    loaded = read_labels_json(out)
    assert loaded.tracks[0].score == 0.83 and loaded.annotations[0].score == 0.61
    with pytest.raises(ValueError, match="score"):
        Annotation("a2", "t1", 0, Box([0, 0, 0], [1, 1, 1], 0.0), score=1.5)
