"""Store integrity: schema version under WAL, idempotent migrations, read-only opens,
damaged files, one writer, drags as one transaction, failures that never poison."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io import ProjectStore, ProjectStoreError, SchemaVersionError
from sweeplabel.io.store import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION
from sweeplabel.io.store_lock import ProjectLockedError, read_holder
from sweeplabel.model import Box, ModelError, Project, ReviewState, Source, commands as cmd

from support import make_sequence


def make_store(path: Path, n_tracks: int = 3) -> Project:
    """A closed project file with ``n_tracks`` tracks of 3 boxes, review states and a comment."""
    project = Project(make_sequence(10))
    with ProjectStore.create(path, {"sequence_path": "mem"}) as store:
        store.attach(project)
        for i in range(n_tracks):
            project.execute(cmd.create_track(project, "vehicle.car", 0, Box([i * 5.0, 0, 0], [4, 2, 1.5], 0.1)))
        for track in list(project.tracks):
            project.execute(cmd.put_annotations(project, [(track, f, Box([f, 1, 0], [4, 2, 1.5])) for f in (1, 2)], Source.MANUAL))
        token = next(iter(project.annotations))
        project.execute(cmd.set_annotation_attributes(project, token, {"motion": "vehicle.parked"}))
        project.execute(cmd.set_review_state(project, [token], ReviewState.ACCEPTED))
        project.execute(cmd.add_comment(project, "check this", track_token=next(iter(project.tracks)), token="c1"))
    return project


def load(path: Path, read_only: bool = False) -> Project:
    p = Project(make_sequence(10))
    with ProjectStore.open(path, read_only=read_only) as store:
        store.load_into(p)
        store.read_comments()
        store.history_entries()
    return p


# -- 8: schema version, migrations, read-only ----------------------------------------------
def crash_copy(path: Path, dest: Path, change) -> None:
    """``dest``: the files a crash would leave after ``change(conn)`` was committed into
    the WAL but not checkpointed into the main file (whose header is then stale)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    change(conn)
    shutil.copy(path, dest)
    shutil.copy(f"{path}-wal", f"{dest}-wal")
    conn.close()


def test_a_newer_schema_only_in_the_wal_is_refused(tmp_path):
    make_store(tmp_path / "p.sweeplabel")
    crashed = tmp_path / "crashed.sweeplabel"
    crash_copy(tmp_path / "p.sweeplabel", crashed,
               lambda c: c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}"))
    assert int.from_bytes(crashed.read_bytes()[60:64], "big") == SCHEMA_VERSION  # the stale header
    with pytest.raises(SchemaVersionError, match="newer sweeplabel"):
        ProjectStore.open(crashed)
    with pytest.raises(SchemaVersionError, match="newer sweeplabel"):
        ProjectStore.open(crashed, read_only=True)


def test_a_migration_that_runs_twice_does_not_fail(tmp_path):
    """The tables are at the current schema but the version lags (as a stale header
    made older builds believe): the migrations run again and skip what is there."""
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    p = load(path)
    assert len(p.annotations) == 9 and len(p.comments) == 1
    with ProjectStore.open(path) as store:
        assert store.schema_version == SCHEMA_VERSION


def v1_file(path: Path) -> None:
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


def test_read_only_open_never_migrates_in_place(tmp_path):
    path = tmp_path / "old.sweeplabel"
    v1_file(path)
    before = path.read_bytes()
    p = load(path, read_only=True)
    assert [a.token for a in p.annotations.values()] == ["a1"]
    assert path.read_bytes() == before
    assert sorted(f.name for f in tmp_path.iterdir()) == ["old.sweeplabel"]
    with ProjectStore.open(path, read_only=True) as store:
        with pytest.raises(ProjectStoreError, match="read-only"):
            store.set_meta("x", "y")


# -- 11: damaged files ----------------------------------------------------------------------
SQL_DAMAGE = [
    "UPDATE annotations SET attributes = '{not json' WHERE rowid = (SELECT max(rowid) FROM annotations)",
    "UPDATE annotations SET attributes = '[1, 2]' WHERE rowid = (SELECT min(rowid) FROM annotations)",
    "UPDATE tracks SET attributes = 'null'",
    "UPDATE annotations SET cx = 'far away' WHERE rowid = (SELECT min(rowid) + 1 FROM annotations)",
    "UPDATE annotations SET frame_index = 'two' WHERE rowid = (SELECT min(rowid) FROM annotations)",
    "UPDATE annotations SET frame_index = 99 WHERE rowid = (SELECT min(rowid) FROM annotations)",
    "UPDATE annotations SET length = -4 WHERE rowid = (SELECT min(rowid) FROM annotations)",
    "UPDATE annotations SET yaw = 1e999 WHERE rowid = (SELECT min(rowid) FROM annotations)",
    "UPDATE annotations SET review_state = 'maybe'",
    "UPDATE annotations SET source = x'00ff'",
    "UPDATE tracks SET number = 1.5",
    "UPDATE tracks SET category = 'vehicle.spaceship'",
    "UPDATE comments SET replies = '{\"a\": 1}'",
    "UPDATE comments SET replies = '[{\"author\": 1}]'",
    "UPDATE comments SET created_s = 'yesterday'",
    "UPDATE meta SET value = '{' WHERE key = 'sequence_path'",
    "PRAGMA foreign_keys = OFF; DELETE FROM tracks WHERE token = (SELECT min(track_token) FROM annotations)",
    "DROP TABLE comments",
    "DROP TABLE history",
    "ALTER TABLE annotations DROP COLUMN score",
    "ALTER TABLE tracks RENAME TO old_tracks",
    "DROP INDEX annotations_by_frame",
]


def open_or_one_clear_error(path: Path) -> str:
    """'ok' or 'refused'; anything else (a traceback) fails the test."""
    try:
        load(path)
    except ProjectStoreError as exc:
        assert str(path) in str(exc), exc
        assert "\n" not in str(exc)
        return "refused"
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:  # what opened is sound: never a damaged file opened without a word
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    return "ok"


@pytest.mark.parametrize("sql", SQL_DAMAGE)
def test_damaged_rows_and_tables_give_one_clear_error(tmp_path, sql):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    conn = sqlite3.connect(path, isolation_level=None)
    for statement in sql.split(";"):
        conn.execute(statement)
    conn.close()
    outcome = open_or_one_clear_error(path)
    if "DROP INDEX" not in sql and "meta" not in sql:
        assert outcome == "refused"


def mutate(data: bytes, rng: np.random.Generator) -> bytes:
    buf = bytearray(data)
    kind = rng.integers(4)
    if kind == 0:  # truncate
        return bytes(buf[: int(rng.integers(0, len(buf)))])
    if kind == 1:  # flip bits anywhere
        for pos in rng.integers(0, len(buf), size=int(rng.integers(1, 16))):
            buf[pos] ^= 1 << int(rng.integers(8))
    elif kind == 2:  # overwrite a run of bytes in one page with noise
        start = int(rng.integers(0, len(buf)))
        run = rng.integers(0, 256, size=min(int(rng.integers(1, 200)), len(buf) - start), dtype=np.uint8)
        buf[start:start + len(run)] = run.tobytes()
    else:  # zero a whole page
        page = 4096 * int(rng.integers(0, max(1, len(buf) // 4096)))
        buf[page:page + 4096] = bytes(min(4096, len(buf) - page))
    return bytes(buf)


def test_many_mutated_project_files_open_or_give_one_clear_error(tmp_path):
    original = tmp_path / "orig.sweeplabel"
    make_store(original, n_tracks=40)
    data = original.read_bytes()
    rng = np.random.default_rng(13)
    outcomes = {"ok": 0, "refused": 0}
    for i in range(150):
        path = tmp_path / f"m{i}.sweeplabel"
        path.write_bytes(mutate(data, rng))
        outcomes[open_or_one_clear_error(path)] += 1
        for leftover in tmp_path.glob(f"m{i}.sweeplabel*"):
            leftover.unlink()
    assert outcomes["refused"] > 20 and outcomes["ok"] > 5, outcomes


# -- 9: one writer ----------------------------------------------------------------------------
HOLDER = textwrap.dedent(
    """
    import sys, time
    from sweeplabel.io import ProjectStore
    store = ProjectStore.open(sys.argv[1])
    print("open", flush=True)
    time.sleep(60)
    """
)


def test_a_second_writer_is_refused_with_who_and_since(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    child = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "open"
        with pytest.raises(ProjectLockedError) as err:
            ProjectStore.open(path)
        message = str(err.value)
        assert str(path) in message and f"pid {child.pid}" in message and "since" in message
        assert "@" in message
        assert read_holder(path).pid == child.pid  # type: ignore[union-attr]
        assert len(load(path, read_only=True).annotations) == 9  # readers still read
    finally:
        child.kill()
        child.wait()
    # the holder was killed: its lock is stale and the next writer takes it
    assert read_holder(path) is None
    with ProjectStore.open(path) as store:
        assert len(store.read_annotations()) == 9


def test_same_process_second_open_is_refused_until_the_first_closes(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    first = ProjectStore.open(path)
    with pytest.raises(ProjectLockedError, match="is open in another sweeplabel"):
        ProjectStore.open(path)
    first.close()
    ProjectStore.open(path).close()
    assert not (tmp_path / "p.sweeplabel.lock").exists()


def attached(path: Path) -> tuple[Project, ProjectStore]:
    project = Project(make_sequence(10))
    store = ProjectStore.open(path)
    store.load_into(project)
    store.attach(project)
    return project, store


def test_a_track_deleted_behind_our_back_does_not_poison_later_saves(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    project, store = attached(path)
    track = next(iter(project.tracks))
    token = project.annotations_of_track(track)[0].token
    raw = sqlite3.connect(path, isolation_level=None)  # another program deletes the track
    raw.execute("DELETE FROM annotations WHERE track_token = ?", (track,))
    raw.execute("DELETE FROM tracks WHERE token = ?", (track,))
    raw.close()
    project.execute(cmd.set_box(project, token, Box([7, 7, 0], [4, 2, 1.5])))
    assert store.save_error is None and not store.has_unsaved_changes
    other = next(t for t in project.tracks if t != track)
    project.execute(cmd.set_track_category(project, other, "vehicle.truck"))
    store.close()
    again = load(path)
    assert again.annotation(token).box.center_m[0] == 7  # the box and its track are kept
    assert again.track(other).category == "vehicle.truck"


def test_a_change_that_cannot_be_saved_never_blocks_the_steps_after_it(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    project, store = attached(path)
    track = next(iter(project.tracks))
    raw = sqlite3.connect(path, isolation_level=None)  # a constraint another program added
    raw.execute("CREATE TRIGGER no_frame_5 BEFORE INSERT ON annotations WHEN NEW.frame_index = 5"
                " BEGIN SELECT RAISE(ABORT, 'frame 5 is closed'); END")
    raw.close()
    failed_messages: list[str] = []
    store.on_save_failed.append(lambda err: failed_messages.append(str(err)))
    project.execute(cmd.put_annotations(project, [(track, 5, Box([5, 5, 0], [4, 2, 1.5]))], Source.MANUAL))
    assert store.save_error is not None and failed_messages
    assert "could not save 1 change" in failed_messages[0] and str(path) in failed_messages[0]
    other = next(t for t in project.tracks if t != track)
    project.execute(cmd.set_track_category(project, other, "vehicle.truck"))  # a later step
    token = project.annotations_of_track(other)[0].token
    project.execute(cmd.set_box(project, token, Box([9, 9, 0], [4, 2, 1.5])))
    with ProjectStore.open(path, read_only=True) as reader:
        saved = {a.token: a for a in reader.read_annotations()}
        tracks = {t.token: t for t in reader.read_tracks()}
    assert tracks[other].category == "vehicle.truck"
    assert saved[token].box.center_m[0] == 9
    assert store.has_unsaved_changes  # the refused box stays pending (and is reported)
    with pytest.raises(ProjectStoreError, match="could not save 1 change"):
        store.close()


def test_a_failed_undo_or_redo_keeps_its_step(project):
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0], [4, 2, 1.5])))
    ann = next(iter(project.annotations.values()))
    project._put_annotation(ann, ann.evolve(frame_index=3))  # the model moved under the stack
    with pytest.raises(ModelError):
        project.undo.undo()
    assert project.undo.can_undo and project.undo.undo_text == "Create Car"
    project._put_annotation(project.annotation(ann.token), ann)  # put back: the undo works
    assert project.undo.undo() and not project.annotations
    project.execute(cmd.create_track(project, "vehicle.car", 0, Box([0, 0, 0], [4, 2, 1.5])))
    project.undo.undo()
    blocker = next(iter(project.tracks.values())) if project.tracks else None
    assert blocker is None
    redo_text = project.undo.redo_text
    track = project.undo._undone[-1].changes[0].after  # the track the redo re-creates
    project._put_track(None, track)  # something else created it meanwhile
    with pytest.raises(ModelError):
        project.undo.redo()
    assert project.undo.can_redo and project.undo.redo_text == redo_text


# -- 6: a drag is one step, one transaction, one history row ----------------------------------
def test_a_drag_is_one_transaction_and_one_history_row(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    project, store = attached(path)
    token = next(iter(project.annotations))
    rows_before = len(store.history(1000))
    start_x = float(project.annotation(token).box.center_m[0])
    for i in range(1, 21):  # 20 mouse moves; each also re-computes a follower (as with interpolation)
        project.execute(cmd.set_box(project, token, Box([start_x + 0.1 * i, 0, 0], [4, 2, 1.5]),
                                    merge_key="drag:1", text="Drag box"))
        follower = [a for a in project.annotations_of_track(project.annotation(token).track_token)
                    if a.token != token][0]
        project.execute(cmd.set_box(project, follower.token, follower.box.translated([0.01, 0, 0]),
                                    merge_key="drag:1", text="Interpolate"))
        if i == 10:  # mid-drag: nothing half-finished is written
            with ProjectStore.open(path, read_only=True) as reader:
                mid = {a.token: a for a in reader.read_annotations()}
            assert float(mid[token].box.center_m[0]) == start_x
    assert len(store.history(1000)) == rows_before
    project.undo.end_merge()  # mouse released
    assert len(store.history(1000)) == rows_before + 1
    assert store.history(1)[0][1] == "Drag box"
    assert len(project.undo) == 1  # one undo step for the whole drag
    store.close()
    assert load(path).annotation(token).box.center_m[0] == pytest.approx(start_x + 2.0)


def test_the_next_step_commits_an_unfinished_drag_first(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    project, store = attached(path)
    token = next(iter(project.annotations))
    rows_before = len(store.history(1000))
    for i in range(5):
        project.execute(cmd.set_box(project, token, Box([float(i), 0, 0], [4, 2, 1.5]), merge_key="k"))
    assert len(store.history(1000)) == rows_before  # the drag is still going on
    project.execute(cmd.set_annotation_attributes(project, token, {"motion": "vehicle.moving"}))
    assert [t for _, t in store.history(2)] == ["Set attributes", "Edit box"]
    assert len(store.history(1000)) == rows_before + 2
    store.close()


def test_a_file_locked_by_another_program_is_reported_and_saved_once_free(tmp_path):
    path = tmp_path / "p.sweeplabel"
    make_store(path)
    project, store = attached(path)
    other = sqlite3.connect(path, isolation_level=None)  # e.g. a database browser writing
    other.execute("BEGIN EXCLUSIVE")
    project.execute(cmd.create_track(project, "vehicle.car", 4, Box([0, 0, 0], [4, 2, 1.5])))
    assert store.save_error is not None and "locked" in str(store.save_error)
    assert store.has_unsaved_changes
    other.execute("ROLLBACK")
    other.close()
    assert store.retry() and store.save_error is None
    store.close()
    assert len(load(path).tracks) == 4
