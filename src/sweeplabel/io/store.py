"""The project store: one SQLite file (``<name>.sweeplabel``) in WAL mode.

The store listens to the project's signals, collects the changed entities and
writes them in one transaction each time the undo stack reports a finished step
(push, macro end, undo, redo). Killing the process loses at most the step in flight.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from .. import __version__
from ..model import Annotation, Box, Comment, CommentState, Project, Reply, ReviewState, Source, Track
from .errors import NotAProjectError, ProjectStoreError, SchemaVersionError

APPLICATION_ID = 0x53574C42  # "SWLB" in PRAGMA application_id
SCHEMA_VERSION = 4
SQLITE_MAGIC = b"SQLite format 3\x00"

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


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"attribute value of type {type(value).__name__} cannot be stored")


def check_project_file(path: Path) -> int:
    """Return the schema version of a project file, or raise without changing it."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise ProjectStoreError(path, f"cannot read: {exc.strerror}") from exc
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise NotAProjectError(path, "not a sweeplabel project (expected an SQLite file)", offset=0)
    app_id = int.from_bytes(head[68:72], "big")
    if app_id != APPLICATION_ID:
        raise NotAProjectError(
            path, f"an SQLite file but not a sweeplabel project (application_id {app_id:#x})", offset=68
        )
    version = int.from_bytes(head[60:64], "big")  # PRAGMA user_version
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            path,
            f"written by a newer sweeplabel (project schema {version}, this is {__version__} "
            f"with schema {SCHEMA_VERSION}); upgrade sweeplabel to open it",
            offset=60,
        )
    return version


class ProjectStore:
    """One open project file. Use ``create`` or ``open``, then ``attach(project)``."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._pending: dict[str, tuple[str, Track | Annotation | Comment | None]] = {}
        self._project: Project | None = None
        self.saved_at_s: float | None = None
        self.on_saved: list[Callable[[], None]] = []

    # -- open / create --------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, meta: dict[str, str]) -> "ProjectStore":
        """Create a new project file (fails if the path exists)."""
        path = Path(path)
        if path.exists():
            raise ProjectStoreError(path, "exists already; open it instead of creating it")
        tmp = path.with_name(path.name + ".creating")
        tmp.unlink(missing_ok=True)
        conn = _connect(tmp)
        try:
            with conn:
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            _migrate(conn, 0, tmp)
            with conn:
                conn.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    sorted({**meta, "created_with": __version__}.items()),
                )
            conn.execute("PRAGMA journal_mode = DELETE")  # single file for the rename
        finally:
            conn.close()
        tmp.replace(path)
        return cls.open(path)

    @classmethod
    def open(cls, path: Path) -> "ProjectStore":
        """Open an existing project, upgrading an older schema in one transaction."""
        path = Path(path)
        version = check_project_file(path)
        conn = _connect(path)
        try:
            if version < SCHEMA_VERSION:
                _migrate(conn, version, path)
            conn.execute("PRAGMA journal_mode = WAL")
        except Exception:
            conn.close()
            raise
        return cls(path, conn)

    def close(self) -> None:
        if self._project is not None:
            self.flush()
            self.detach()
        self._conn.close()

    def __enter__(self) -> "ProjectStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- meta -----------------------------------------------------------------------
    def meta(self) -> dict[str, str]:
        return dict(self._conn.execute("SELECT key, value FROM meta"))

    def set_meta(self, key: str, value: str) -> None:
        with self._conn:
            self._conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def schema_version(self) -> int:
        return int(self._conn.execute("PRAGMA user_version").fetchone()[0])

    # -- reading ----------------------------------------------------------------------
    def read_tracks(self) -> list[Track]:
        rows = self._conn.execute("SELECT token, category, number, attributes, review_state, reviewed_by,"
                                  " reviewed_s, score FROM tracks ORDER BY number")
        return [Track(t, c, n, json.loads(a), ReviewState(r), by, when, score)
                for t, c, n, a, r, by, when, score in rows]

    def read_comments(self) -> list[Comment]:
        rows = self._conn.execute(
            "SELECT token, text, author, created_s, frame_index, track_token, annotation_token,"
            " px, py, pz, state, replies, resolved_by, resolved_s FROM comments ORDER BY created_s, token"
        )
        return [_row_to_comment(r) for r in rows]

    def read_annotations(self) -> list[Annotation]:
        rows = self._conn.execute(
            "SELECT token, track_token, frame_index, cx, cy, cz, length, width, height, yaw,"
            " attributes, source, review_state, reviewed_by, reviewed_s, score FROM annotations"
            " ORDER BY frame_index, token"
        )
        return [_row_to_annotation(r) for r in rows]

    def load_into(self, project: Project) -> None:
        """Fill an empty project with the stored labels."""
        project.load(self.read_tracks(), self.read_annotations(), self.read_comments())

    # -- writing ----------------------------------------------------------------------
    def attach(self, project: Project) -> None:
        """Persist every finished edit of ``project`` from now on."""
        ev = project.events
        ev.track_added.connect(self._on_track)
        ev.track_changed.connect(self._on_track_changed)
        ev.track_removed.connect(self._on_track_removed)
        ev.annotation_added.connect(self._on_ann)
        ev.annotation_changed.connect(self._on_ann_changed)
        ev.annotation_removed.connect(self._on_ann_removed)
        ev.comment_added.connect(self._on_comment)
        ev.comment_changed.connect(self._on_comment_changed)
        ev.comment_removed.connect(self._on_comment_removed)
        project.undo.committed.connect(self.flush)
        self._project = project

    def detach(self) -> None:
        if self._project is None:
            return
        ev = self._project.events
        for sig in (ev.track_added, ev.track_changed, ev.track_removed, ev.annotation_added,
                    ev.annotation_changed, ev.annotation_removed):
            sig.disconnect(self._on_track, missing_ok=True)
            sig.disconnect(self._on_track_changed, missing_ok=True)
            sig.disconnect(self._on_track_removed, missing_ok=True)
            sig.disconnect(self._on_ann, missing_ok=True)
            sig.disconnect(self._on_ann_changed, missing_ok=True)
            sig.disconnect(self._on_ann_removed, missing_ok=True)
        ev.comment_added.disconnect(self._on_comment, missing_ok=True)
        ev.comment_changed.disconnect(self._on_comment_changed, missing_ok=True)
        ev.comment_removed.disconnect(self._on_comment_removed, missing_ok=True)
        self._project.undo.committed.disconnect(self.flush, missing_ok=True)
        self._project = None

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

    def flush(self) -> None:
        """Write every pending change in one transaction."""
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        now_s = time.time()
        text = self._project.undo.last_step_text if self._project is not None else ""
        author = self._project.author if self._project is not None else ""
        try:
            with self._conn:  # one transaction: commits on success, rolls back on error
                self._conn.execute("BEGIN IMMEDIATE")
                for key, (_kind, entity) in _ordered(pending):
                    self._write(key, entity, now_s)
                self._conn.execute("INSERT INTO history(time_s, text, author) VALUES (?, ?, ?)",
                                   (now_s, text, author))
        except sqlite3.Error as exc:
            for key, value in pending.items():
                self._pending.setdefault(key, value)
            raise ProjectStoreError(self.path, f"could not save: {exc}") from exc
        self.saved_at_s = now_s
        for callback in list(self.on_saved):
            callback()

    def write_all(self, project: Project) -> None:
        """Write the whole project (after an import) in one transaction."""
        for track in project.tracks.values():
            self._on_track(track)
        for ann in project.annotations.values():
            self._on_ann(ann)
        for comment in project.comments.values():
            self._on_comment(comment)
        self.flush()

    def _write(self, key: str, entity: Track | Annotation | Comment | None, now_s: float) -> None:
        token = key[2:]
        c = self._conn
        if key.startswith("c:"):
            _write_comment(c, token, entity, now_s)  # type: ignore[arg-type]
        elif key.startswith("t:"):
            if entity is None:
                c.execute("DELETE FROM tracks WHERE token = ?", (token,))
            else:
                assert isinstance(entity, Track)
                c.execute(
                    "INSERT OR REPLACE INTO tracks(token, number, category, attributes, review_state,"
                    " reviewed_by, reviewed_s, score) VALUES (?,?,?,?,?,?,?,?)",
                    (entity.token, entity.number, entity.category, _json(dict(entity.attributes)),
                     entity.review_state.value, entity.reviewed_by, entity.reviewed_s, entity.score),
                )
        elif entity is None:
            c.execute("DELETE FROM annotations WHERE token = ?", (token,))
        else:
            assert isinstance(entity, Annotation)
            b = entity.box
            c.execute(
                "INSERT OR REPLACE INTO annotations(token, track_token, frame_index, cx, cy, cz,"
                " length, width, height, yaw, attributes, source, review_state, modified_s,"
                " reviewed_by, reviewed_s, score) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (entity.token, entity.track_token, entity.frame_index, *map(float, b.center_m),
                 *map(float, b.size_lwh_m), float(b.yaw_rad), _json(dict(entity.attributes)),
                 entity.source.value, entity.review_state.value, now_s, entity.reviewed_by,
                 entity.reviewed_s, entity.score),
            )

    def history(self, limit: int = 50) -> list[tuple[float, str]]:
        rows = self._conn.execute("SELECT time_s, text FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(t), str(x)) for t, x in rows]

    def history_entries(self, limit: int = 50) -> list[tuple[float, str, str]]:
        """Newest first: (time_s, author, text) of each saved step."""
        rows = self._conn.execute("SELECT time_s, author, text FROM history ORDER BY id DESC LIMIT ?", (limit,))
        return [(float(t), str(a), str(x)) for t, a, x in rows]

    def integrity_check(self) -> str:
        return str(self._conn.execute("PRAGMA integrity_check").fetchone()[0])


def _ordered(pending: dict[str, tuple[str, Any]]) -> Iterator[tuple[str, tuple[str, Any]]]:
    """Deletions of annotations first, then tracks (inserts before their boxes),
    then the other annotation writes, so foreign keys hold at every statement; then comments."""
    items = list(pending.items())
    yield from ((k, v) for k, v in items if k.startswith("a:") and v[1] is None)
    yield from ((k, v) for k, v in items if k.startswith("t:"))
    yield from ((k, v) for k, v in items if k.startswith("a:") and v[1] is not None)
    yield from ((k, v) for k, v in items if k.startswith("c:"))  # comments: no foreign keys


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _migrate(conn: sqlite3.Connection, from_version: int, path: Path) -> None:
    """Run migrations from_version+1 .. SCHEMA_VERSION in one transaction."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        for version in range(from_version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[version].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        conn.execute("ROLLBACK")
        raise ProjectStoreError(path, f"could not upgrade the project schema: {exc}") from exc


def _write_comment(c: sqlite3.Connection, token: str, comment: Comment | None, now_s: float) -> None:
    if comment is None:
        c.execute("DELETE FROM comments WHERE token = ?", (token,))
        return
    p = comment.point_m or (None, None, None)
    replies = [{"author": r.author, "time_s": r.time_s, "text": r.text} for r in comment.replies]
    c.execute(
        "INSERT OR REPLACE INTO comments(token, text, author, created_s, frame_index, track_token,"
        " annotation_token, px, py, pz, state, replies, resolved_by, resolved_s, modified_s)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (comment.token, comment.text, comment.author, comment.created_s, comment.frame_index,
         comment.track_token, comment.annotation_token, *p, comment.state.value, _json(replies),
         comment.resolved_by, comment.resolved_s, now_s),
    )


def _row_to_comment(row: tuple) -> Comment:
    (token, text, author, created_s, frame, track, ann, px, py, pz, state, replies, by, when) = row
    thread = tuple(Reply(str(r["author"]), float(r["time_s"]), str(r["text"])) for r in json.loads(replies))
    return Comment(token, text, author, float(created_s), frame, track, ann,
                   None if px is None else (px, py, pz), CommentState(state), thread, by, float(when))


def _row_to_annotation(row: tuple) -> Annotation:
    (token, track, frame, cx, cy, cz, length, width, height, yaw, attrs, source, review,
     reviewed_by, reviewed_s, score) = row
    return Annotation(
        token=token,
        track_token=track,
        frame_index=frame,
        box=Box([cx, cy, cz], [length, width, height], yaw),
        attributes=json.loads(attrs),
        source=Source(source),
        review_state=ReviewState(review),
        reviewed_by=reviewed_by,
        reviewed_s=reviewed_s,
        score=score,
    )
