"""QA review records: comments (issues) pinned to objects, the reviewer's name,
and review-state summaries. Pure Python; edits go through ``commands``."""

from __future__ import annotations

import getpass
import os
from collections import Counter
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Iterable

from .entities import ReviewState

AUTHOR_ENV = "SWEEPLABEL_AUTHOR"


def default_author() -> str:
    """The annotator name: ``$SWEEPLABEL_AUTHOR``, else the OS user name, else "unknown"."""
    name = os.environ.get(AUTHOR_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser() or "unknown"
    except Exception:  # no user database entry (containers) or no USER variable
        return "unknown"


class CommentState(str, Enum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Reply:
    """One message in a comment's thread."""

    author: str
    time_s: float
    text: str


@dataclass(frozen=True)
class Comment:
    """An issue raised by a reviewer, pinned to a track, an annotation or a 3D point
    (world frame) in a frame. Any subset of the anchors may be set, at least one.

    Immutable: replies and state changes produce a new ``Comment`` with the same token,
    so every edit is a ``Change`` on the undo stack."""

    token: str
    text: str
    author: str
    created_s: float
    frame_index: int | None = None
    track_token: str | None = None
    annotation_token: str | None = None
    point_m: tuple[float, float, float] | None = None
    state: CommentState = CommentState.OPEN
    replies: tuple[Reply, ...] = field(default_factory=tuple)
    resolved_by: str = ""
    resolved_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", CommentState(self.state))
        object.__setattr__(self, "replies", tuple(self.replies))
        if self.point_m is not None:
            object.__setattr__(self, "point_m", tuple(float(v) for v in self.point_m))
            if len(self.point_m) != 3:
                raise ValueError(f"comment {self.token}: point_m needs 3 values")
        if self.frame_index is not None:
            object.__setattr__(self, "frame_index", int(self.frame_index))
        if self.track_token is None and self.annotation_token is None and self.frame_index is None:
            raise ValueError(f"comment {self.token}: pin it to a track, an annotation or a frame")
        if self.point_m is not None and self.frame_index is None:
            raise ValueError(f"comment {self.token}: a point needs its frame")

    @property
    def is_open(self) -> bool:
        return self.state == CommentState.OPEN

    @property
    def last_activity_s(self) -> float:
        times = [self.created_s, self.resolved_s] + [r.time_s for r in self.replies]
        return max(times)

    def evolve(self, **changes: Any) -> "Comment":
        return replace(self, **changes)


def aggregate_state(states: Iterable[ReviewState]) -> ReviewState:
    """One state for many boxes: any rejected -> rejected; else any unreviewed ->
    unreviewed; else any changed since review -> changed; else any fixed -> fixed
    (awaits re-review); else accepted."""
    seen = set(states)
    for state in (ReviewState.REJECTED, ReviewState.UNREVIEWED, ReviewState.CHANGED, ReviewState.FIXED):
        if state in seen:
            return state
    return ReviewState.ACCEPTED if seen else ReviewState.UNREVIEWED


@dataclass(frozen=True)
class ReviewProgress:
    """Counts of boxes and tracks per review state, and open/resolved comments."""

    annotations: dict[str, int]
    tracks: dict[str, int]
    open_comments: int
    resolved_comments: int

    @property
    def reviewed_fraction(self) -> float:
        """Share of boxes with a standing verdict (accepted, rejected or fixed; a box
        changed since review needs one again), 0..1."""
        total = sum(self.annotations.values())
        done = (total - self.annotations.get(ReviewState.UNREVIEWED.value, 0)
                - self.annotations.get(ReviewState.CHANGED.value, 0))
        return done / total if total else 1.0


def review_progress(project: Any) -> ReviewProgress:
    """Summarise a ``Project``'s review states and comments."""
    anns = Counter(a.review_state.value for a in project.annotations.values())
    tracks = Counter(t.review_state.value for t in project.tracks.values())
    comments = list(project.comments.values())
    n_open = sum(c.is_open for c in comments)
    full = {s.value: 0 for s in ReviewState}
    return ReviewProgress({**full, **anns}, {**full, **tracks}, n_open, len(comments) - n_open)
