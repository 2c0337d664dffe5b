"""The SQLite project store: autosave per step, crash safety, versions, bad files."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sweeplabel.io import NotAProjectError, ProjectStore, SchemaVersionError
from sweeplabel.io.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from sweeplabel.model import Box, Project, ReviewState, Source, commands as cmd

from support import make_sequence


def new_store(tmp_path: Path, project: Project) -> ProjectStore:
    store = ProjectStore.create(tmp_path / "p.sweeplabel", {"sequence_path": "mem"})
    store.attach(project)
    return store


def reload(path: Path, n_frames: int = 10) -> Project:
    p = Project(make_sequence(n_frames))
    with ProjectStore.open(path, read_only=True) as store:  # beside the open writer
        store.load_into(p)
    return p


def state(p: Project):
    return sorted((a.token, a.track_token, a.frame_index, tuple(a.box.to_array()), a.source,
                   a.review_state, tuple(a.attributes.items())) for a in p.annotations.values())


def test_every_step_is_saved_and_reloads_identically(tmp_path, project):
    store = new_store(tmp_path, project)
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([1, 2, 0.5], [4.1, 1.8, 1.5], 3.0)))
    token = project.annotations_in_frame(0)[0].token
    track = project.annotation(token).track_token
    project.execute(cmd.put_annotations(project, [(track, f, Box([f, 2, 0.5], [4.1, 1.8, 1.5], -3.1))
                                                  for f in range(1, 6)], Source.PROPAGATED))
    project.execute(cmd.set_annotation_attributes(project, token, {"motion": "vehicle.parked", "kitti_occluded": 2}))
    project.execute(cmd.set_review_state(project, [token], ReviewState.REJECTED))
    assert not store.has_unsaved_changes
    # read back through a second connection while the first is still open (WAL)
    assert state(reload(store.path)) == state(project)
    project.undo.undo()
    project.undo.undo()
    assert state(reload(store.path)) == state(project)
    store.close()
    again = reload(tmp_path / "p.sweeplabel")
    assert state(again) == state(project)
    assert again.track(track).category == "vehicle.car"


def test_a_batch_is_one_transaction(tmp_path, project):
    store = new_store(tmp_path, project)
    n_before = len(store.history())
    with project.undo.macro("30 boxes"):
        for i in range(30):
            project.execute(cmd.create_track(project, "vehicle.car", i % 10, Box([i, 0, 0], [4, 2, 1.5])))
    assert len(store.history()) == n_before + 1
    assert len(reload(store.path).annotations) == 30
    store.close()


def test_deleting_a_track_with_boxes_is_saved(tmp_path, project):
    store = new_store(tmp_path, project)
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0], [4, 2, 1.5])))
    track = next(iter(project.tracks))
    project.execute(cmd.delete_track(project, track))
    assert reload(store.path).tracks == {}
    project.undo.undo()
    assert set(reload(store.path).tracks) == {track}
    store.close()


CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, {tests!r})
    from support import make_sequence
    from sweeplabel.io import ProjectStore
    from sweeplabel.model import Box, Project, commands as cmd
    project = Project(make_sequence(10))
    store = ProjectStore.open({path!r})
    store.attach(project)
    tokens = []
    k = 0
    while True:
        if k % 3 == 2 and tokens:
            token = tokens[(k * 7) % len(tokens)]
            x = float(k)
            project.execute(cmd.set_box(project, token, Box([x, 1, 0], [4, 2, 1.5])))
        else:
            project.execute(cmd.create_track(project, "vehicle.car", k % 10, Box([float(k), 0, 0], [4, 2, 1.5])))
            token = max(project.annotations.values(), key=lambda a: a.box.center_m[0] if a.box.center_m[1] == 0 else -1).token
            tokens.append(token)
            x = float(k)
        print(token, x, flush=True)
        k += 1
    """
)


def test_sigkill_during_burst_keeps_every_committed_edit(tmp_path):
    path = tmp_path / "crash.sweeplabel"
    ProjectStore.create(path, {"sequence_path": "mem"}).close()
    code = CHILD.format(tests=str(Path(__file__).resolve().parents[1]), path=str(path))
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    reported: dict[str, float] = {}
    lines = 0
    assert child.stdout is not None
    for line in child.stdout:
        token, x = line.split()
        reported[token] = float(x)
        lines += 1
        if lines >= 400:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    for line in child.stdout.read().splitlines():  # reported before the kill, still in the pipe
        fields = line.split()
        if len(fields) == 2:
            reported[fields[0]] = float(fields[1])
    with ProjectStore.open(path) as store:
        assert store.integrity_check() == "ok"
        stored = {a.token: float(a.box.center_m[0]) for a in store.read_annotations()}
    # everything reported as done (printed after its step committed) is there, with its
    # last value; only the edit in flight at the kill, never reported, may be missing
    missing = set(reported) - set(stored)
    assert not missing
    differing = [t for t in reported if stored[t] != reported[t]]
    assert not differing
    assert len(stored) >= len(reported)


def test_old_schema_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sweeplabel"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    for statement in MIGRATIONS[1].split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO meta VALUES ('sequence_path', 'mem')")
    conn.execute("INSERT INTO tracks VALUES ('t1', 7, 'vehicle.car', '{}')")
    conn.execute("INSERT INTO annotations VALUES ('a1','t1',2,1,2,3,4,2,1.5,0.25,'{}','manual','unreviewed')")
    conn.close()
    with ProjectStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        anns = store.read_annotations()
        assert [(a.token, a.frame_index, a.box.yaw_rad) for a in anns] == [("a1", 2, 0.25)]
        assert store.history() == []


def test_not_a_project_is_refused_and_left_unchanged(tmp_path):
    text = tmp_path / "notes.sweeplabel"
    text.write_bytes(b"hello, these are my notes\n" * 10)
    other = tmp_path / "other.sweeplabel"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (a)")
    conn.commit()
    conn.close()
    for path, message in ((text, "expected an SQLite file"), (other, "not a sweeplabel project")):
        before = path.read_bytes()
        with pytest.raises(NotAProjectError, match=message) as err:
            ProjectStore.open(path)
        assert str(path) in str(err.value)
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.sweeplabel", "other.sweeplabel"]


def test_newer_schema_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "future.sweeplabel"
    ProjectStore.create(path, {"sequence_path": "mem"}).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(SchemaVersionError, match="newer sweeplabel"):
        ProjectStore.open(path)
    assert path.read_bytes() == before


def test_create_refuses_to_overwrite(tmp_path):
    path = tmp_path / "p.sweeplabel"
    ProjectStore.create(path, {}).close()
    with pytest.raises(Exception, match="exists already"):
        ProjectStore.create(path, {})


def test_history_names_each_step_including_undo_and_redo(tmp_path, project):
    store = new_store(tmp_path, project)
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0], [4, 2, 1.5])))
    project.undo.undo()
    project.undo.redo()
    assert [text for _, text in store.history(3)] == ["Redo Create Car", "Undo Create Car", "Create Car"]
    store.close()
