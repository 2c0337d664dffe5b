"""Tracks and annotations: immutable records with stable uuid tokens."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import Any, Mapping

from .geometry import Box


def new_token() -> str:
    """A fresh stable id (uuid4 hex), as nuScenes uses for its tokens."""
    return uuid.uuid4().hex


class Source(str, Enum):
    """Where an annotation came from."""

    MANUAL = "manual"
    INTERPOLATED = "interpolated"
    PROPAGATED = "propagated"
    AUTO = "auto"


class ReviewState(str, Enum):
    """QA state of an annotation or a track."""

    UNREVIEWED = "unreviewed"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FIXED = "fixed"
    CHANGED = "changed"  # edited after a reviewer accepted it: awaits review again


# Per-box import bookkeeping: the identity of one imported box and values measured for
# it alone (its token, its line in the file, KITTI's 2D box, alpha, truncation and
# occlusion, nuScenes visibility). A copy of the box is a new box and carries none of them.
IMPORT_BOOKKEEPING_KEYS = frozenset({
    "nuscenes_token", "nuscenes_visibility_token", "nuscenes_num_radar_pts",
    "kitti_truncated", "kitti_occluded", "kitti_alpha", "kitti_bbox", "kitti_import_box",
    "kitti_line", "kitti_score",
})


def copyable_attributes(attributes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The attributes a copy of a box may take over (``IMPORT_BOOKKEEPING_KEYS`` dropped)."""
    return {k: v for k, v in (attributes or {}).items() if k not in IMPORT_BOOKKEEPING_KEYS}


def _frozen_attrs(attrs: Mapping[str, Any] | None) -> dict[str, Any]:
    return dict(sorted((attrs or {}).items()))


def _checked_score(score: float | None) -> float | None:
    if score is None:
        return None
    value = float(score)
    if not 0.0 <= value <= 1.0:  # also refuses NaN
        raise ValueError(f"score must be in [0, 1], got {score!r}")
    return value


@dataclass(frozen=True)
class Track:
    """One physical object followed through the sequence.

    ``number`` is the small integer annotators see (and KITTI tracking exports).
    ``review_state`` is the QA verdict on the track as a whole (identity, class,
    static attributes); each box has its own as well."""

    token: str
    category: str
    number: int
    attributes: Mapping[str, Any] = field(default_factory=dict)
    review_state: ReviewState = ReviewState.UNREVIEWED
    reviewed_by: str = ""
    reviewed_s: float = 0.0
    score: float | None = None  # machine confidence in [0, 1] (auto tracks); None = not scored

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", _frozen_attrs(self.attributes))
        object.__setattr__(self, "review_state", ReviewState(self.review_state))
        object.__setattr__(self, "reviewed_s", float(self.reviewed_s))
        object.__setattr__(self, "score", _checked_score(self.score))

    def evolve(self, **changes: Any) -> "Track":
        return replace(self, **changes)


@dataclass(frozen=True)
class Annotation:
    """A box of one track in one frame, with per-frame (dynamic) attributes."""

    token: str
    track_token: str
    frame_index: int
    box: Box
    attributes: Mapping[str, Any] = field(default_factory=dict)
    source: Source = Source.MANUAL
    review_state: ReviewState = ReviewState.UNREVIEWED
    reviewed_by: str = ""  # who set review_state last ("" = nobody yet)
    reviewed_s: float = 0.0  # when (seconds since the epoch; 0 = never)
    score: float | None = None  # machine confidence in [0, 1] (auto boxes); None = not scored

    def __post_init__(self) -> None:
        object.__setattr__(self, "attributes", _frozen_attrs(self.attributes))
        object.__setattr__(self, "score", _checked_score(self.score))
        object.__setattr__(self, "source", Source(self.source))
        object.__setattr__(self, "reviewed_s", float(self.reviewed_s))
        object.__setattr__(self, "review_state", ReviewState(self.review_state))
        object.__setattr__(self, "frame_index", int(self.frame_index))

    def evolve(self, **changes: Any) -> "Annotation":
        return replace(self, **changes)
