"""The project: a sequence, a schema, tracks and annotations, an undo stack.

All edits go through commands (see ``commands``) pushed with ``project.execute``.
The low-level ``_put_*`` methods are for commands and loaders only."""

from __future__ import annotations

import time
from typing import Callable, Iterable

from psygnal import Signal

from .entities import Annotation, Track
from .review import Comment, default_author
from .schema import LabelSchema, default_schema_for
from .sequence import Sequence
from .review_guard import mark_changed_since_review
from .undo import UndoStack


class ModelError(ValueError):
    """An edit that would break the model's invariants."""


class ProjectEvents:
    """Signals the model emits; viewer, app and store listen."""

    track_added = Signal(Track)
    track_removed = Signal(Track)
    track_changed = Signal(Track, Track)  # old, new
    annotation_added = Signal(Annotation)
    annotation_removed = Signal(Annotation)
    annotation_changed = Signal(Annotation, Annotation)  # old, new
    comment_added = Signal(Comment)
    comment_removed = Signal(Comment)
    comment_changed = Signal(Comment, Comment)  # old, new


class Project:
    """Labels of one sequence. Holds at most one annotation per (track, frame).

    ``author`` names who edits (stamped on review verdicts, comments and the store's
    history); ``clock()`` gives the time in seconds (replaceable in tests). Without ``schema``
    the default one, its class sizes those of the sequence's source (KITTI data: KITTI's means)."""

    def __init__(self, sequence: Sequence, schema: LabelSchema | None = None,
                 author: str | None = None) -> None:
        self.sequence = sequence
        self.schema = schema or default_schema_for(sequence.format)
        self.events = ProjectEvents()
        self.undo = UndoStack(self)
        self.author: str = author or default_author()
        self.clock: Callable[[], float] = time.time
        self._comments: dict[str, Comment] = {}
        self._tracks: dict[str, Track] = {}
        self._annotations: dict[str, Annotation] = {}
        self._by_frame: dict[int, set[str]] = {}
        self._by_track: dict[str, dict[int, str]] = {}

    # -- queries -------------------------------------------------------------------
    @property
    def tracks(self) -> dict[str, Track]:
        return dict(self._tracks)

    @property
    def annotations(self) -> dict[str, Annotation]:
        return dict(self._annotations)

    @property
    def comments(self) -> dict[str, Comment]:
        return dict(self._comments)

    def comment(self, token: str) -> Comment:
        try:
            return self._comments[token]
        except KeyError:
            raise ModelError(f"no comment {token}") from None

    def comments_of_track(self, track_token: str) -> list[Comment]:
        """Comments pinned to the track or to one of its boxes, oldest first."""
        return sorted((c for c in self._comments.values() if c.track_token == track_token),
                      key=lambda c: (c.created_s, c.token))

    def comments_in_frame(self, frame_index: int) -> list[Comment]:
        return sorted((c for c in self._comments.values() if c.frame_index == frame_index),
                      key=lambda c: (c.created_s, c.token))

    def track(self, token: str) -> Track:
        try:
            return self._tracks[token]
        except KeyError:
            raise ModelError(f"no track {token}") from None

    def annotation(self, token: str) -> Annotation:
        try:
            return self._annotations[token]
        except KeyError:
            raise ModelError(f"no annotation {token}") from None

    def get_track(self, token: str) -> Track | None:
        return self._tracks.get(token)

    def get_annotation(self, token: str) -> Annotation | None:
        return self._annotations.get(token)

    def annotations_in_frame(self, frame_index: int) -> list[Annotation]:
        """The frame's annotations ordered by track number."""
        anns = [self._annotations[t] for t in self._by_frame.get(frame_index, ())]
        return sorted(anns, key=lambda a: (self._tracks[a.track_token].number, a.token))

    def annotations_of_track(self, track_token: str) -> list[Annotation]:
        """The track's annotations ordered by frame."""
        frames = self._by_track.get(track_token, {})
        return [self._annotations[frames[i]] for i in sorted(frames)]

    def annotation_at(self, track_token: str, frame_index: int) -> Annotation | None:
        token = self._by_track.get(track_token, {}).get(frame_index)
        return self._annotations[token] if token else None

    def next_track_number(self) -> int:
        return max((t.number for t in self._tracks.values()), default=-1) + 1

    def frames_with_annotations(self) -> list[int]:
        return sorted(i for i, toks in self._by_frame.items() if toks)

    # -- editing -------------------------------------------------------------------
    def execute(self, command: "Command") -> None:  # noqa: F821 - see commands
        """Apply a command and record it on the undo stack (an edit of an accepted box or
        track marks it changed since review: see ``review_guard``)."""
        self.undo.push(mark_changed_since_review(self, command))

    def _put_track(self, before: Track | None, after: Track | None, emit: bool = True) -> None:
        """Replace ``before`` by ``after`` (either may be None: insert / delete)."""
        if before is not None and self._tracks.get(before.token) != before:
            raise ModelError(f"track {before.token} is not in the expected state")
        if after is None:
            assert before is not None
            if self._by_track.get(before.token):
                raise ModelError(f"track {before.token} still has annotations")
            del self._tracks[before.token]
            self._by_track.pop(before.token, None)
            if emit:
                self.events.track_removed.emit(before)
            return
        if before is None and after.token in self._tracks:
            raise ModelError(f"track {after.token} exists already")
        if not self.schema.has_category(after.category):
            raise ModelError(f"unknown category {after.category!r}")
        self._tracks[after.token] = after
        self._by_track.setdefault(after.token, {})
        if emit:
            if before is None:
                self.events.track_added.emit(after)
            else:
                self.events.track_changed.emit(before, after)

    def _put_annotation(
        self, before: Annotation | None, after: Annotation | None, emit: bool = True
    ) -> None:
        if before is not None:
            if self._annotations.get(before.token) != before:
                raise ModelError(f"annotation {before.token} is not in the expected state")
            self._unindex(before)
        if after is None:
            assert before is not None
            del self._annotations[before.token]
            if emit:
                self.events.annotation_removed.emit(before)
            return
        try:
            self._check_annotation(before, after)
        except ModelError:
            if before is not None:
                self._index(before)
            raise
        self._annotations[after.token] = after
        self._index(after)
        if emit:
            if before is None:
                self.events.annotation_added.emit(after)
            else:
                self.events.annotation_changed.emit(before, after)

    def _put_comment(self, before: Comment | None, after: Comment | None, emit: bool = True) -> None:
        """Replace ``before`` by ``after`` (None: insert / delete). Anchors may point at
        boxes deleted later: the comment stays (the issue is still worth reading)."""
        if before is not None and self._comments.get(before.token) != before:
            raise ModelError(f"comment {before.token} is not in the expected state")
        if after is None:
            assert before is not None
            del self._comments[before.token]
            if emit:
                self.events.comment_removed.emit(before)
            return
        if before is None and after.token in self._comments:
            raise ModelError(f"comment {after.token} exists already")
        if after.frame_index is not None and not 0 <= after.frame_index < len(self.sequence):
            raise ModelError(f"comment {after.token}: frame {after.frame_index} outside the sequence")
        self._comments[after.token] = after
        if emit:
            if before is None:
                self.events.comment_added.emit(after)
            else:
                self.events.comment_changed.emit(before, after)

    def _check_annotation(self, before: Annotation | None, after: Annotation) -> None:
        if before is None and after.token in self._annotations:
            raise ModelError(f"annotation {after.token} exists already")
        if after.track_token not in self._tracks:
            raise ModelError(f"annotation {after.token}: no track {after.track_token}")
        if not 0 <= after.frame_index < len(self.sequence):
            raise ModelError(
                f"annotation {after.token}: frame {after.frame_index} outside 0..{len(self.sequence) - 1}"
            )
        other = self._by_track.get(after.track_token, {}).get(after.frame_index)
        if other is not None and other != after.token:
            raise ModelError(
                f"track {self._tracks[after.track_token].number} already has a box in frame {after.frame_index}"
            )

    def _index(self, ann: Annotation) -> None:
        self._by_frame.setdefault(ann.frame_index, set()).add(ann.token)
        self._by_track.setdefault(ann.track_token, {})[ann.frame_index] = ann.token

    def _unindex(self, ann: Annotation) -> None:
        self._by_frame.get(ann.frame_index, set()).discard(ann.token)
        self._by_track.get(ann.track_token, {}).pop(ann.frame_index, None)

    def load(self, tracks: Iterable[Track], annotations: Iterable[Annotation],
             comments: Iterable[Comment] = ()) -> None:
        """Fill an empty project (from a store or an import) without commands or signals."""
        if self._tracks or self._annotations or self._comments:
            raise ModelError("load() needs an empty project")
        for t in tracks:
            self._put_track(None, t, emit=False)
        for a in annotations:
            self._put_annotation(None, a, emit=False)
        for c in comments:
            self._put_comment(None, c, emit=False)
