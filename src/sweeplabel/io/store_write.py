"""Writing entities into the project store: one transaction per step, foreign keys
holding at every statement, a change that breaks a constraint set aside (never
blocking the rest of the step or the steps after it)."""

from __future__ import annotations

import sqlite3
from typing import Any, Iterator

from ..model import Annotation, Comment, Project, Track
from .store_rows import to_json

Pending = dict[str, tuple[str, Any]]


def all_entities(project: Project) -> Pending:
    pending: Pending = {}
    for track in project.tracks.values():
        pending["t:" + track.token] = ("track", track)
    for ann in project.annotations.values():
        pending["a:" + ann.token] = ("ann", ann)
    for comment in project.comments.values():
        pending["c:" + comment.token] = ("comment", comment)
    return pending


def write_step(conn: sqlite3.Connection, pending: Pending, project: Project | None,
                now_s: float) -> dict[str, str]:
    """One transaction: the pending changes and one history row. Returns the changes
    that break a constraint (key -> reason), set aside so they never block the rest."""
    text = project.undo.last_step_text if project is not None else ""
    author = project.author if project is not None else ""
    conn.execute("BEGIN IMMEDIATE")
    try:
        try:
            conn.execute("SAVEPOINT step")
            write_pending(conn, pending, project, now_s)
            conn.execute("RELEASE step")
            failed: dict[str, str] = {}
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO step")
            conn.execute("RELEASE step")
            failed = _write_isolated(conn, pending, project, now_s)
        conn.execute("INSERT INTO history(time_s, text, author) VALUES (?, ?, ?)", (now_s, text, author))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return failed


def write_pending(conn: sqlite3.Connection, pending: Pending, project: Project | None, now_s: float) -> None:
    for key, (_kind, entity) in _ordered(pending):
        _write(conn, key, entity, now_s)


def _write_isolated(conn: sqlite3.Connection, pending: Pending, project: Project | None,
                    now_s: float) -> dict[str, str]:
    """Each change in its own savepoint; a box whose track row is missing (deleted
    by another process) brings the track it belongs to in this project."""
    failed: dict[str, str] = {}
    for key, (_kind, entity) in _ordered(pending):
        conn.execute("SAVEPOINT one")
        try:
            try:
                _write(conn, key, entity, now_s)
            except sqlite3.IntegrityError:
                track = project.get_track(entity.track_token) \
                    if project is not None and isinstance(entity, Annotation) else None
                if track is None:
                    raise
                _write(conn, "t:" + track.token, track, now_s)
                _write(conn, key, entity, now_s)
            conn.execute("RELEASE one")
        except sqlite3.IntegrityError as exc:
            conn.execute("ROLLBACK TO one")
            conn.execute("RELEASE one")
            failed[key] = str(exc)
    return failed


def _write(conn: sqlite3.Connection, key: str, entity: Track | Annotation | Comment | None, now_s: float) -> None:
    token = key[2:]
    c = conn
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
                (entity.token, entity.number, entity.category, to_json(dict(entity.attributes)),
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
             *map(float, b.size_lwh_m), float(b.yaw_rad), to_json(dict(entity.attributes)),
             entity.source.value, entity.review_state.value, now_s, entity.reviewed_by,
             entity.reviewed_s, entity.score),
        )


def _ordered(pending: Pending) -> Iterator[tuple[str, tuple[str, Any]]]:
    """Deletions of annotations first, then tracks (inserts before their boxes),
    then the other annotation writes, so foreign keys hold at every statement; then comments."""
    items = list(pending.items())
    yield from ((k, v) for k, v in items if k.startswith("a:") and v[1] is None)
    yield from ((k, v) for k, v in items if k.startswith("t:"))
    yield from ((k, v) for k, v in items if k.startswith("a:") and v[1] is not None)
    yield from ((k, v) for k, v in items if k.startswith("c:"))  # comments: no foreign keys


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
         comment.track_token, comment.annotation_token, *p, comment.state.value, to_json(replies),
         comment.resolved_by, comment.resolved_s, now_s),
    )
