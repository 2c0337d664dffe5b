"""Annotation time statistics from the command log.

Every finished undo step is one row of the store's history (time, author, text). The
time of a step is the gap since the previous step when that gap is below an idle
cutoff (a longer gap is a break and counts nothing). The history does not say which
tracks and frames a step touched, so the app keeps an ``ActivityLog`` beside it (in
the store's meta table) and the step's time is split evenly over what it touched."""

from __future__ import annotations

import bisect
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sweeplabel.model import Annotation, Comment, Project, Track

IDLE_CUTOFF_S = 120.0
META_KEY = "review.activity"  # chunks under META_KEY + ".<n>", CHUNK_STEPS steps each
MAX_ENTRIES = 50_000
SAVE_EVERY_STEPS = 20
CHUNK_STEPS = 500


@dataclass(frozen=True)
class Step:
    """One finished edit: when, who, and the tracks and frames it touched."""

    time_s: float
    author: str = ""
    tracks: tuple[str, ...] = ()
    frames: tuple[int, ...] = ()


@dataclass
class TimeStats:
    total_s: float = 0.0
    steps: int = 0
    per_author_s: dict[str, float] = field(default_factory=dict)
    per_track_s: dict[str, float] = field(default_factory=dict)
    per_frame_s: dict[int, float] = field(default_factory=dict)


def step_durations(times_s: Sequence[float], idle_cutoff_s: float = IDLE_CUTOFF_S) -> list[float]:
    """Time credited to each step (sorted by time): the gap since the previous one when
    below ``idle_cutoff_s``, else 0 (the first step of a session gets 0 too)."""
    out = []
    for i, t in enumerate(times_s):
        gap = t - times_s[i - 1] if i else float("inf")
        out.append(gap if 0.0 <= gap < idle_cutoff_s else 0.0)
    return out


def time_stats(steps: Iterable[Step], idle_cutoff_s: float = IDLE_CUTOFF_S) -> TimeStats:
    """Active time in total, per author, per track and per frame."""
    ordered = sorted(steps, key=lambda s: s.time_s)
    stats = TimeStats(steps=len(ordered))
    per_author: dict[str, float] = defaultdict(float)
    per_track: dict[str, float] = defaultdict(float)
    per_frame: dict[int, float] = defaultdict(float)
    for step, dt in zip(ordered, step_durations([s.time_s for s in ordered], idle_cutoff_s)):
        stats.total_s += dt
        per_author[step.author] += dt
        for t in step.tracks:
            per_track[t] += dt / len(step.tracks)
        for f in step.frames:
            per_frame[f] += dt / len(step.frames)
    stats.per_author_s, stats.per_track_s, stats.per_frame_s = dict(per_author), dict(per_track), dict(per_frame)
    return stats


def history_steps(store: Any, limit: int = MAX_ENTRIES) -> list[Step]:
    """The store's command log as steps (no track/frame detail)."""
    if store is None:
        return []
    return [Step(t, a) for t, a, text in store.history_entries(limit) if text]


def merge_steps(history: Iterable[Step], detailed: Iterable[Step], tol_s: float = 1.0) -> list[Step]:
    """The history's steps, each with the tracks/frames of the detailed step recorded
    at (nearly) the same time; detailed steps missing from the history are kept too."""
    detailed = sorted(detailed, key=lambda s: s.time_s)
    times = [s.time_s for s in detailed]
    used: set[int] = set()
    out = []

    for step in history:
        i = bisect.bisect_left(times, step.time_s - tol_s)
        match = None
        while i < len(times) and times[i] <= step.time_s + tol_s:
            if i not in used:
                match = i
                break
            i += 1
        if match is None:
            out.append(step)
        else:
            used.add(match)
            d = detailed[match]
            out.append(Step(step.time_s, step.author or d.author, d.tracks, d.frames))
    out.extend(d for i, d in enumerate(detailed) if i not in used)
    return out


class ActivityLog:
    """Records which tracks and frames each finished step of a project touched.

    Listens to the project's events and its undo stack; ``save()`` keeps the log in the
    store's meta table (also every ``SAVE_EVERY_STEPS`` steps)."""

    def __init__(self, project: Project, store: Any = None) -> None:
        self.project = project
        self.store = store
        self.steps: list[Step] = self._load()
        self._tracks: dict[str, None] = {}
        self._frames: dict[int, None] = {}
        self._unsaved = 0
        ev = project.events
        self._connections = [
            (ev.annotation_added, self._on_ann), (ev.annotation_removed, self._on_ann),
            (ev.annotation_changed, self._on_ann_changed), (ev.track_added, self._on_track),
            (ev.track_removed, self._on_track), (ev.track_changed, self._on_track_changed),
            (ev.comment_added, self._on_comment), (ev.comment_removed, self._on_comment),
            (ev.comment_changed, self._on_comment_changed),
        ]
        for sig, slot in self._connections:
            sig.connect(slot)
        project.undo.committed.connect(self._on_committed)

    def _load(self) -> list[Step]:
        if self.store is None:
            return []
        meta = self.store.meta()
        chunks = sorted((int(k.rsplit(".", 1)[1]), v) for k, v in meta.items()
                        if k.startswith(META_KEY + ".") and k.rsplit(".", 1)[1].isdigit())
        steps: list[Step] = []
        for _n, text in chunks:
            try:
                rows = json.loads(text)
                steps.extend(Step(float(t), str(a), tuple(map(str, tr)), tuple(map(int, fr)))
                             for t, a, tr, fr in rows)
            except (ValueError, TypeError):  # a damaged chunk only costs the statistics
                continue
        return steps

    def save(self) -> None:
        """Rewrite only the chunks that hold unsaved steps."""
        if self.store is None or not self._unsaved:
            return
        first = (len(self.steps) - self._unsaved) // CHUNK_STEPS
        try:
            for n in range(first, (len(self.steps) - 1) // CHUNK_STEPS + 1):
                rows = [[s.time_s, s.author, list(s.tracks), list(s.frames)]
                        for s in self.steps[n * CHUNK_STEPS:(n + 1) * CHUNK_STEPS]]
                self.store.set_meta(f"{META_KEY}.{n}", json.dumps(rows, separators=(",", ":")))
        except Exception:  # noqa: BLE001 - a closed store: only the statistics are lost
            return
        self._unsaved = 0

    def close(self) -> None:
        for sig, slot in self._connections:
            sig.disconnect(slot, missing_ok=True)
        self.project.undo.committed.disconnect(self._on_committed, missing_ok=True)
        self.save()

    def _on_ann(self, ann: Annotation) -> None:
        self._tracks[ann.track_token] = None
        self._frames[ann.frame_index] = None

    def _on_ann_changed(self, old: Annotation, new: Annotation) -> None:
        self._on_ann(old)
        self._on_ann(new)

    def _on_track(self, track: Track) -> None:
        self._tracks[track.token] = None

    def _on_track_changed(self, _old: Track, new: Track) -> None:
        self._on_track(new)

    def _on_comment(self, comment: Comment) -> None:
        if comment.track_token:
            self._tracks[comment.track_token] = None
        if comment.frame_index is not None:
            self._frames[comment.frame_index] = None

    def _on_comment_changed(self, _old: Comment, new: Comment) -> None:
        self._on_comment(new)

    def _on_committed(self) -> None:
        if not self._tracks and not self._frames:
            return
        self.steps.append(Step(self.project.clock(), self.project.author, tuple(self._tracks), tuple(self._frames)))
        self._tracks, self._frames = {}, {}
        self._unsaved += 1
        if self._unsaved >= SAVE_EVERY_STEPS:
            self.save()

    def stats(self, idle_cutoff_s: float = IDLE_CUTOFF_S) -> TimeStats:
        """Statistics over the store's history merged with this log."""
        return time_stats(merge_steps(history_steps(self.store), self.steps), idle_cutoff_s)


def format_duration(seconds: float) -> str:
    """``1 h 02 min``, ``3 min 05 s``, ``12 s``."""
    s = int(round(seconds))
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60:02d} min"
    if s >= 60:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s} s"
