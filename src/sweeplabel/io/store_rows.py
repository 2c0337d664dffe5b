"""Rows of the project store <-> model entities, with one clear error per bad value.

A row whose value has the wrong type, or whose JSON column does not parse, raises
``ProjectStoreError`` naming the file, the table, the row's token and the column."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any, Callable

import numpy as np

from ..model import Annotation, Box, Comment, CommentState, Reply, ReviewState, Source, Track
from .errors import ProjectStoreError

TRACK_COLUMNS = "token, category, number, attributes, review_state, reviewed_by, reviewed_s, score"
ANNOTATION_COLUMNS = ("token, track_token, frame_index, cx, cy, cz, length, width, height, yaw, attributes,"
                      " source, review_state, reviewed_by, reviewed_s, score")
COMMENT_COLUMNS = ("token, text, author, created_s, frame_index, track_token, annotation_token,"
                   " px, py, pz, state, replies, resolved_by, resolved_s")


class BadValue(ValueError):
    """One column of one row holds something else than expected."""

    def __init__(self, column: str, expected: str, value: object) -> None:
        super().__init__(f"column {column}: expected {expected}, found {_show(value)}")


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"attribute value of type {type(value).__name__} cannot be stored")


def _str(value: object, column: str) -> str:
    if not isinstance(value, str):
        raise BadValue(column, "text", value)
    return value


def _int(value: object, column: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadValue(column, "an integer", value)
    return value


def _float(value: object, column: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BadValue(column, "a finite number", value)
    return float(value)


def _opt(convert: Callable[[object, str], Any], value: object, column: str) -> Any:
    return None if value is None else convert(value, column)


def _json_object(value: object, column: str, kind: type = dict) -> Any:
    try:
        parsed = json.loads(_str(value, column))
    except (ValueError, RecursionError) as exc:
        raise BadValue(column, "JSON", value) from exc
    if not isinstance(parsed, kind):
        raise BadValue(column, f"a JSON {'object' if kind is dict else 'list'}", value)
    return parsed


def _enum(enum: type, value: object, column: str) -> Any:
    try:
        return enum(_str(value, column))
    except ValueError:
        raise BadValue(column, "one of " + ", ".join(e.value for e in enum), value) from None


def row_to_track(row: tuple) -> Track:
    t, c, n, a, r, by, when, score = row
    return Track(_str(t, "token"), _str(c, "category"), _int(n, "number"), _json_object(a, "attributes"),
                 _enum(ReviewState, r, "review_state"), _str(by, "reviewed_by"), _float(when, "reviewed_s"),
                 _opt(_float, score, "score"))


def row_to_annotation(row: tuple) -> Annotation:
    (token, track, frame, cx, cy, cz, length, width, height, yaw, attrs, source, review,
     reviewed_by, reviewed_s, score) = row
    centre = [_float(v, k) for v, k in ((cx, "cx"), (cy, "cy"), (cz, "cz"))]
    size = [_float(v, k) for v, k in ((length, "length"), (width, "width"), (height, "height"))]
    return Annotation(
        token=_str(token, "token"),
        track_token=_str(track, "track_token"),
        frame_index=_int(frame, "frame_index"),
        box=Box(centre, size, _float(yaw, "yaw")),
        attributes=_json_object(attrs, "attributes"),
        source=_enum(Source, source, "source"),
        review_state=_enum(ReviewState, review, "review_state"),
        reviewed_by=_str(reviewed_by, "reviewed_by"),
        reviewed_s=_float(reviewed_s, "reviewed_s"),
        score=_opt(_float, score, "score"),
    )


def row_to_comment(row: tuple) -> Comment:
    (token, text, author, created_s, frame, track, ann, px, py, pz, state, replies, by, when) = row
    try:
        thread = tuple(Reply(str(r["author"]), float(r["time_s"]), str(r["text"]))
                       for r in _json_object(replies, "replies", list))
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, BadValue):
            raise
        raise BadValue("replies", "a list of {author, time_s, text}", replies) from exc
    point = None if px is None else tuple(_float(v, k) for v, k in ((px, "px"), (py, "py"), (pz, "pz")))
    return Comment(_str(token, "token"), _str(text, "text"), _str(author, "author"), _float(created_s, "created_s"),
                   _opt(_int, frame, "frame_index"), _opt(_str, track, "track_token"),
                   _opt(_str, ann, "annotation_token"), point, _enum(CommentState, state, "state"), thread,
                   _str(by, "resolved_by"), _float(when, "resolved_s"))


def read_rows(conn: sqlite3.Connection, path: Path, table: str, sql: str,
              convert: Callable[[tuple], Any]) -> list[Any]:
    """Run ``sql`` and convert every row; any failure is one ``ProjectStoreError``."""
    from .store_schema import damaged

    try:
        rows = conn.execute(sql).fetchall()
    except sqlite3.Error as exc:
        raise damaged(path, exc) from exc
    out = []
    for row in rows:
        try:
            out.append(convert(row))
        except (ValueError, TypeError) as exc:
            raise ProjectStoreError(
                path, f"the project file is damaged: table {table}, row {_show(row[0])}: {exc}") from None
    return out
