"""The project store: one SQLite file (``<name>.sweeplabel``) in WAL mode.

The store listens to the project's signals, collects the changed entities and
writes them in one transaction each time the undo stack reports a finished step
(push outside a merge run, end of a drag, macro end, undo, redo). Killing the
process loses at most the step in flight.

Opening checks the file (``PRAGMA quick_check``, the tables) and takes the
project's lock (one writer, see ``store_lock``); ``read_only=True`` opens with
``mode=ro`` and never migrates in place. A failed save keeps the changes pending
(retried on the next step or by ``retry()``) and is reported through
``on_save_failed``; it never raises inside the undo stack's signal.
"""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable

from ..model import Annotation, Comment, ModelError, Project, Track
from .errors import ProjectStoreError
from .store_lock import ProjectLock
from .store_write import Pending
from .store_write import all_entities as _all_entities
from .store_write import write_pending as _write_pending
from .store_write import write_step as _write_step
from .store_rows import (
    ANNOTATION_COLUMNS,
    COMMENT_COLUMNS,
    TRACK_COLUMNS,
    read_rows,
    row_to_annotation,
    row_to_comment,
    row_to_track,
)
from .store_schema import (  # noqa: F401 - re-exported
    APPLICATION_ID,
    SCHEMA_VERSION,
    SQLITE_MAGIC,
    check_header,
    check_project_file,
    cannot_open,
    check_tables,
    connect,
    damaged,
    expected_columns,
    migrate,
    quick_check,
    read_version,
)

# Migrations: MIGRATIONS[v] upgrades a store at version v-1 to version v.
MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE tracks (
        token TEXT PRIMARY KEY,
        number INTEGER NOT NULL,
        category TEXT NOT NULL,
        attributes TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE annotations (
        token TEXT PRIMARY KEY,
        track_token TEXT NOT NULL REFERENCES tracks(token),
        frame_index INTEGER NOT NULL,
        cx REAL NOT NULL, cy REAL NOT NULL, cz REAL NOT NULL,
        length REAL NOT NULL, width REAL NOT NULL, height REAL NOT NULL,
        yaw REAL NOT NULL,
        attributes TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL,
        review_state TEXT NOT NULL,
        UNIQUE (track_token, frame_index)
    );
    CREATE INDEX annotations_by_frame ON annotations(frame_index);
    """,
    2: """
    ALTER TABLE annotations ADD COLUMN modified_s REAL NOT NULL DEFAULT 0;
    CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        time_s REAL NOT NULL,
        text TEXT NOT NULL
    );
    """,
    3: """
    ALTER TABLE tracks ADD COLUMN review_state TEXT NOT NULL DEFAULT 'unreviewed';
    ALTER TABLE tracks ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE tracks ADD COLUMN reviewed_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE annotations ADD COLUMN reviewed_by TEXT NOT NULL DEFAULT '';
    ALTER TABLE annotations ADD COLUMN reviewed_s REAL NOT NULL DEFAULT 0;
    ALTER TABLE history ADD COLUMN author TEXT NOT NULL DEFAULT '';
    CREATE TABLE comments (
        token TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        author TEXT NOT NULL,
        created_s REAL NOT NULL,
        frame_index INTEGER,
        track_token TEXT,
        annotation_token TEXT,
        px REAL, py REAL, pz REAL,
        state TEXT NOT NULL,
        replies TEXT NOT NULL DEFAULT '[]',
        resolved_by TEXT NOT NULL DEFAULT '',
        resolved_s REAL NOT NULL DEFAULT 0,
        modified_s REAL NOT NULL DEFAULT 0
    );
    CREATE INDEX comments_by_track ON comments(track_token);
    """,
    4: """
    ALTER TABLE tracks ADD COLUMN score REAL;
    ALTER TABLE annotations ADD COLUMN score REAL;
    """,
}


_EXPECTED: dict[str, set[str]] | None = None


def _expected() -> dict[str, set[str]]:
    global _EXPECTED
    if _EXPECTED is None:
        _EXPECTED = expected_columns(MIGRATIONS)
    return _EXPECTED


def _migrate(conn: sqlite3.Connection, from_version: int, path: Path) -> None:
    migrate(conn, from_version, path, MIGRATIONS)


class ProjectStore:
    """One open project file. Use ``create`` or ``open``, then ``attach(project)``."""

    def __init__(self, path: Path, conn: sqlite3.Connection, read_only: bool = False,
                 lock: ProjectLock | None = None) -> None:
        self.path = path
        self._conn = conn
        self.read_only = read_only
        self._lock = lock
        self._pending: Pending = {}
        self._project: Project | None = None
        self.saved_at_s: float | None = None
        self.save_error: ProjectStoreError | None = None  # the last failed save (None: saved)
        self.on_saved: list[Callable[[], None]] = []
        self.on_save_failed: list[Callable[[ProjectStoreError], None]] = []

    # -- open / create --------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, meta: dict[str, str], project: Project | None = None) -> "ProjectStore":
        """Create a new project file (fails if the path exists), with ``project``'s labels
        when given. It is built under a temporary name and renamed when complete, so a
        crash leaves either nothing or the complete project at ``path``."""
        from .. import __version__

        path = Path(path)
        if path.exists():
            raise ProjectStoreError(path, "exists already; open it instead of creating it")
        lock = ProjectLock.acquire(path)
        tmp = path.with_name(path.name + ".creating")
        try:
            for leftover in (tmp, Path(f"{tmp}-journal"), Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
            conn = connect(tmp)
            try:
                with conn:
                    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                _migrate(conn, 0, tmp)
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany("INSERT INTO meta(key, value) VALUES (?, ?)",
                                 sorted({**meta, "created_with": __version__}.items()))
                if project is not None:
                    _write_pending(conn, _all_entities(project), project, time.time())
                conn.execute("COMMIT")
                conn.execute("PRAGMA journal_mode = DELETE")  # single file for the rename
            except sqlite3.Error as exc:
                raise ProjectStoreError(path, f"could not create the project: {exc}") from exc
            finally:
                conn.close()
            _fsync(tmp)
            tmp.replace(path)
            _fsync_dir(path.parent)
        except BaseException:
            tmp.unlink(missing_ok=True)
            lock.release()
            raise
        return cls._open_locked(path, lock)

    @classmethod
    def open(cls, path: Path, read_only: bool = False) -> "ProjectStore":
        """Open an existing project, upgrading an older schema in one transaction.

        ``read_only``: no lock, no migration in place (an older schema is upgraded in a
        copy in memory), every write raises."""
        path = Path(path)
        if read_only:
            return cls._open_read_only(path)
        check_project_file(path)
        return cls._open_locked(path, ProjectLock.acquire(path))

    @classmethod
    def _open_locked(cls, path: Path, lock: ProjectLock) -> "ProjectStore":
        try:
            conn = connect(path)
        except sqlite3.Error as exc:
            lock.release()
            raise cannot_open(path, exc) from exc
        try:
            version = read_version(conn, path)
            quick_check(conn, path)
            if version < SCHEMA_VERSION:
                _migrate(conn, version, path)
            check_tables(conn, path, _expected())
            conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            conn.close()
            lock.release()
            raise damaged(path, exc) from exc
        except BaseException:
            conn.close()
            lock.release()
            raise
        return cls(path, conn, lock=lock)

    @classmethod
    def _open_read_only(cls, path: Path) -> "ProjectStore":
        check_header(path)
        try:
            conn = connect(path, read_only=True)
        except sqlite3.Error as exc:
            raise cannot_open(path, exc) from exc
        try:
            version = read_version(conn, path)
            quick_check(conn, path)
            if version < SCHEMA_VERSION:
                mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                conn.backup(mem)
                conn.close()
                conn = mem
                _migrate(conn, version, path)
            check_tables(conn, path, _expected())
        except sqlite3.Error as exc:
            conn.close()
            raise damaged(path, exc) from exc
        except BaseException:
            conn.close()
            raise
        return cls(path, conn, read_only=True)

    def close(self) -> None:
        """Save what is pending and close; raises ``ProjectStoreError`` when that save
        fails (the file is closed all the same)."""
        try:
            if self._project is not None and not self.read_only:
                self.flush()
        finally:
            self.detach()
            self._conn.close()
            if self._lock is not None:
                self._lock.release()
                self._lock = None

    def __enter__(self) -> "ProjectStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta -----------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        try:
            rows = self._conn.execute("SELECT key, value FROM meta").fetchall()
        except sqlite3.Error as exc:
            raise damaged(self.path, exc) from exc
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in rows):
            raise ProjectStoreError(self.path, "the project file is damaged: table meta holds non-text values")
        return dict(rows)

    def set_meta(self, key: str, value: str) -> None:
        self._writable()
        try:
            with self._conn:
                self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))
        except sqlite3.Error as exc:
            raise ProjectStoreError(self.path, f"could not save {key!r}: {exc}") from exc

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- reading ----------------------------------------------------------------------
    def read_tracks(self) -> list[Track]:
        return read_rows(self._conn, self.path, "tracks", f"SELECT {TRACK_COLUMNS} FROM tracks ORDER BY number",
                         row_to_track)

    def read_comments(self) -> list[Comment]:
        return read_rows(self._conn, self.path, "comments",
                         f"SELECT {COMMENT_COLUMNS} FROM comments ORDER BY created_s, token", row_to_comment)

    def read_annotations(self) -> list[Annotation]:
        return read_rows(self._conn, self.path, "annotations",
                         f"SELECT {ANNOTATION_COLUMNS} FROM annotations ORDER BY frame_index, token",
                         row_to_annotation)

    def load_into(self, project: Project) -> None:
        """Fill an empty project with the stored labels (a damaged store: ``ProjectStoreError``)."""
        tracks, anns, comments = self.read_tracks(), self.read_annotations(), self.read_comments()
        try:
            project.load(tracks, anns, comments)
        except ModelError as exc:
            raise ProjectStoreError(self.path, f"the project file is damaged: {exc}") from None

    # -- writing ----------------------------------------------------------------------
    def attach(self, project: Project) -> None:
        """Persist every finished edit of ``project`` from now on."""
        for sig, slot in self._slots(project):
            sig.connect(slot)
        project.undo.committed.connect(self._on_committed)
        self._project = project

    def detach(self) -> None:
        if self._project is None:
            return
        for sig, slot in self._slots(self._project):
            sig.disconnect(slot, missing_ok=True)
        self._project.undo.committed.disconnect(self._on_committed, missing_ok=True)
        self._project = None

    def _slots(self, project: Project) -> list[tuple[Any, Callable[..., None]]]:
        ev = project.events
        return [(ev.track_added, self._on_track), (ev.track_changed, self._on_track_changed),
                (ev.track_removed, self._on_track_removed), (ev.annotation_added, self._on_ann),
                (ev.annotation_changed, self._on_ann_changed), (ev.annotation_removed, self._on_ann_removed),
                (ev.comment_added, self._on_comment), (ev.comment_changed, self._on_comment_changed),
                (ev.comment_removed, self._on_comment_removed)]

    def _on_track(self, track: Track) -> None:
        self._pending["t:" + track.token] = ("track", track)

    def _on_track_changed(self, old: Track, new: Track) -> None:
        self._on_track(new)

    def _on_track_removed(self, track: Track) -> None:
        self._pending["t:" + track.token] = ("track", None)

    def _on_ann(self, ann: Annotation) -> None:
        self._pending["a:" + ann.token] = ("ann", ann)

    def _on_ann_changed(self, old: Annotation, new: Annotation) -> None:
        self._on_ann(new)

    def _on_ann_removed(self, ann: Annotation) -> None:
        self._pending["a:" + ann.token] = ("ann", None)

    def _on_comment(self, comment: Comment) -> None:
        self._pending["c:" + comment.token] = ("comment", comment)

    def _on_comment_changed(self, old: Comment, new: Comment) -> None:
        self._on_comment(new)

    def _on_comment_removed(self, comment: Comment) -> None:
        self._pending["c:" + comment.token] = ("comment", None)

    @property
    def has_unsaved_changes(self) -> bool:
        return bool(self._pending)

    def _on_committed(self) -> None:
        """The undo stack finished a step: save it. A failure is recorded and reported
        (``save_error``, ``on_save_failed``), never raised into the signal."""
        try:
            self.flush()
        except ProjectStoreError:
            pass

    def retry(self) -> bool:
        """Try again to save what is pending; True when everything is saved."""
        try:
            self.flush()
        except ProjectStoreError:
            return False
        return True

    def flush(self) -> None:
        """Write every pending change in one transaction.

        On an SQLite error (disk full, read-only file, locked) nothing is written and
        the changes stay pending. A change that breaks a constraint is set aside: the
        rest of the step is saved and the error names what was not."""
        if not self._pending:
            return
        try:
            self._writable()
            pending = dict(self._pending)
            failed = _write_step(self._conn, pending, self._project, time.time())
        except sqlite3.Error as exc:
            self._failed(ProjectStoreError(self.path, f"could not save: {_reason(exc)}"))
        except ProjectStoreError as exc:
            self._failed(exc)
        for key, value in pending.items():
            if key not in failed and self._pending.get(key) is value:
                del self._pending[key]
        if failed:
            reasons = "; ".join(sorted(set(failed.values())))
            self._failed(ProjectStoreError(
                self.path, f"could not save {len(failed)} change(s) ({reasons}); the rest is saved"))
        self.saved_at_s = time.time()
        self.save_error = None
        for callback in list(self.on_saved):
            callback()

    def _failed(self, error: ProjectStoreError) -> None:
        self.save_error = error
        for callback in list(self.on_save_failed):
            callback(error)
        raise error

    def _writable(self) -> None:
        if self.read_only:
            raise ProjectStoreError(self.path, "opened read-only: changes are not saved")

    def write_all(self, project: Project) -> None:
        """Write the whole project (after an import) in one transaction."""
        self._pending.update(_all_entities(project))
        self.flush()

    def save_copy(self, dest: Path) -> Path:
        """Write the project with every unsaved change to ``dest`` (a new file), using
        SQLite's backup API; built under a temporary name and renamed when complete."""
        dest = Path(dest)
        tmp = dest.with_name(f".{dest.name}.saving")
        tmp.unlink(missing_ok=True)
        try:
            copy = sqlite3.connect(str(tmp), isolation_level=None)
            try:
                self._conn.backup(copy)
                copy.execute("PRAGMA foreign_keys = ON")
                copy.execute("PRAGMA journal_mode = DELETE")
                failed = _write_step(copy, dict(self._pending), self._project, time.time())
            finally:
                copy.close()
            if failed:
                raise ProjectStoreError(dest, "could not copy: " + "; ".join(sorted(set(failed.values()))))
            _fsync(tmp)
            tmp.replace(dest)
        except sqlite3.Error as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectStoreError(dest, f"could not save a copy: {_reason(exc)}") from exc
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise ProjectStoreError(dest, f"could not save a copy: {exc.strerror or exc}") from exc
        return dest

    def history(self, limit: int = 50) -> list[tuple[float, str]]:
        rows = self._conn.execute("SELECT time_s, text FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(t), str(x)) for t, x in rows]

    def history_entries(self, limit: int = 50) -> list[tuple[float, str, str]]:
        """Newest first: (time_s, author, text) of each saved step."""
        rows = self._conn.execute("SELECT time_s, author, text FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(t), str(a), str(x)) for t, a, x in rows]

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def _reason(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"{text} (the file or its folder is read-only)"
    if "locked" in text:
        return f"{text} (another program holds the file)"
    if "disk I/O error" in text:
        return f"{text} (the file cannot be written: read-only, removed, or a failing disk)"
    return text


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        _fsync(folder)
    except OSError:  # not every file system syncs folders
        pass
