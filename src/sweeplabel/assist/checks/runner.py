"""Run the checks over a project, and keep the findings current as boxes change:
only the tracks and frames an edit touched are checked again."""

from __future__ import annotations

from typing import Iterable

import numpy as np
from psygnal import Signal

from ...model import Annotation, Project, ReviewState, Track
from .base import Finding, Severity
from .frame_checks import FrameData, run_frame_checks
from .points import FramePoints
from .settings import CheckSettings
from .track_checks import TrackData, run_track_checks


class CheckRunner:
    """Findings of a project. ``attach()`` listens to the project's events and
    re-checks the touched tracks and frames after each finished undo step."""

    findings_changed = Signal()

    def __init__(self, project: Project, settings: CheckSettings | None = None,
                 use_points: bool = True, frame_points: FramePoints | None = None) -> None:
        self.project = project
        self.settings = settings or CheckSettings()
        self.frame_points = frame_points or (FramePoints(project.sequence) if use_points else None)
        self._by_track: dict[str, list[Finding]] = {}
        self._by_frame: dict[int, list[Finding]] = {}
        self._dirty_tracks: set[str] = set()
        self._dirty_frames: set[int] = set()
        self._attached = False
        self._timestamps_s = np.array([f.timestamp_s for f in project.sequence], dtype=np.float64)

    # -- running -----------------------------------------------------------------------
    def run_all(self) -> list[Finding]:
        """Check everything from scratch."""
        self._by_track.clear()
        self._by_frame.clear()
        self._dirty_tracks = set(self.project.tracks)
        self._dirty_frames = set(self.project.frames_with_annotations())
        self.update()
        return self.findings

    def update(self) -> bool:
        """Re-check the dirty tracks and frames; True when anything was re-checked."""
        if not self._dirty_tracks and not self._dirty_frames:
            return False
        tracks, self._dirty_tracks = self._dirty_tracks, set()
        frames, self._dirty_frames = self._dirty_frames, set()
        for token in tracks:
            self._check_track(token)
        for index in frames:
            self._check_frame(index)
        self.findings_changed.emit()
        return True

    def set_settings(self, settings: CheckSettings) -> None:
        self.settings = settings
        self.run_all()

    def _check_track(self, token: str) -> None:
        track = self.project.get_track(token)
        anns = self.project.annotations_of_track(token) if track is not None else []
        if track is None or not anns:
            self._by_track.pop(token, None)
            return
        td = TrackData.build(track, anns, self._timestamps_s, self.project.schema)
        self._by_track[token] = run_track_checks(td, self.settings, self.project.schema)

    def _check_frame(self, index: int) -> None:
        fd = FrameData.build(self.project, index)
        if not fd.anns:
            self._by_frame.pop(index, None)
            return
        self._by_frame[index] = run_frame_checks(fd, self.settings, self.frame_points)

    # -- results -----------------------------------------------------------------------
    @property
    def findings(self) -> list[Finding]:
        """All findings, ordered by frame, track number and check."""
        every = [f for fs in self._by_track.values() for f in fs] + \
                [f for fs in self._by_frame.values() for f in fs]
        return sorted(every, key=self._order)

    def _order(self, f: Finding) -> tuple:
        track = self.project.get_track(f.track_token) if f.track_token else None
        return (f.frame_index if f.frame_index is not None else -1,
                track.number if track else -1, f.check, f.key)

    def findings_for_track(self, token: str) -> list[Finding]:
        return [f for f in self.findings if f.track_token == token]

    def findings_in_frame(self, index: int) -> list[Finding]:
        return [f for f in self.findings if f.frame_index == index]

    # -- incremental -------------------------------------------------------------------
    def attach(self, auto_update: bool = True) -> None:
        """Mark what each edit touches; with ``auto_update`` re-check at every finished step."""
        ev = self.project.events
        ev.annotation_added.connect(self._on_ann)
        ev.annotation_removed.connect(self._on_ann)
        ev.annotation_changed.connect(self._on_ann_changed)
        ev.track_added.connect(self._on_track)
        ev.track_removed.connect(self._on_track)
        ev.track_changed.connect(self._on_track_changed)
        if auto_update:
            self.project.undo.committed.connect(self.update)
        self._attached = True

    def detach(self) -> None:
        ev = self.project.events
        for sig, slot in ((ev.annotation_added, self._on_ann), (ev.annotation_removed, self._on_ann),
                          (ev.annotation_changed, self._on_ann_changed), (ev.track_added, self._on_track),
                          (ev.track_removed, self._on_track), (ev.track_changed, self._on_track_changed)):
            sig.disconnect(slot, missing_ok=True)
        self.project.undo.committed.disconnect(self.update, missing_ok=True)
        self._attached = False

    def _on_ann(self, ann: Annotation) -> None:
        self._dirty_tracks.add(ann.track_token)
        self._dirty_frames.add(ann.frame_index)

    def _on_ann_changed(self, old: Annotation, new: Annotation) -> None:
        if old.box == new.box and old.track_token == new.track_token and old.frame_index == new.frame_index \
                and old.attributes == new.attributes:
            return  # review state or source only: no check looks at those
        self._on_ann(old)
        self._on_ann(new)

    def _on_track(self, track: Track) -> None:
        self._dirty_tracks.add(track.token)

    def _on_track_changed(self, old: Track, new: Track) -> None:
        if (old.category, dict(old.attributes)) != (new.category, dict(new.attributes)):
            self._dirty_tracks.add(new.token)


def is_waived(project: Project, finding: Finding) -> bool:
    """A finding on a box (or, for track-level findings, a track) a reviewer accepted."""
    if finding.annotation_token:
        ann = project.get_annotation(finding.annotation_token)
        if ann is not None:
            return ann.review_state == ReviewState.ACCEPTED
    if finding.track_token:
        track = project.get_track(finding.track_token)
        return track is not None and track.review_state == ReviewState.ACCEPTED
    return False


def worst(findings: Iterable[Finding]) -> Severity | None:
    ranked = sorted((f.severity for f in findings), key=lambda s: s.rank)
    return ranked[-1] if ranked else None


def run_checks(project: Project, settings: CheckSettings | None = None, use_points: bool = True) -> list[Finding]:
    """All findings of a project (one-shot, no listening)."""
    return CheckRunner(project, settings, use_points).run_all()
