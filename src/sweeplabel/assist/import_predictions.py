"""Detector results from elsewhere as scored ``auto`` boxes, linked into tracks.

Tracking-by-detection with the project's tracker (``assist.tracker``): one tracker per
class, fed the frames the results cover in time order, every detection kept (a
detector's box is never dropped for lack of a second hit: ``min_hits = 1``; the score
is there to filter). Files that carry tracks already (the tool's JSON, OpenLABEL) keep
them. Each box's score goes to ``Annotation.score``; a track's score is the mean of its
boxes'. The whole import is one command (one undo step); the file is read completely
before anything changes, so a bad file leaves the project as it was."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..io.errors import FormatError
from ..io.predictions import PredictedBox, PredictionSet, read_predictions
from ..model import Annotation, Change, Command, Project, Source, Track, new_token
from .tracker import Detection, MultiObjectTracker, TrackerParams

IMPORT_TRACKER = TrackerParams(min_hits=1)
# results at a low rate (nuScenes key frames: 2 Hz) move further between frames than the
# tracker's 1.5 m gate for a first match: the gate grows to this speed times the frame gap
GATE_SPEED_MPS = 15.0


@dataclass(frozen=True)
class LinkedTrack:
    """One object: its class and its detections by frame."""

    category: str
    boxes: dict[int, PredictedBox]

    @property
    def score(self) -> float | None:
        scores = [b.score for b in self.boxes.values() if b.score is not None]
        return float(np.mean(scores)) if scores else None


@dataclass(frozen=True)
class ImportSummary:
    path: Path
    format: str
    tracks: int
    boxes: int
    frames: int
    warnings: tuple[str, ...] = ()

    def one_line(self) -> str:
        return (f"imported {self.format} predictions: {self.boxes} boxes in {self.tracks} tracks "
                f"over {self.frames} frames from {self.path}")


def link_predictions(predictions: PredictionSet, times_s: dict[int, float],
                     params: TrackerParams = IMPORT_TRACKER) -> list[LinkedTrack]:
    """Group the boxes into tracks: by the file's own track keys where every box has one,
    otherwise with one tracker per class over the covered frames in time order."""
    boxes = predictions.boxes
    if boxes and all(b.track_key for b in boxes):
        keyed: dict[str, list[PredictedBox]] = {}
        for b in boxes:
            keyed.setdefault(b.track_key, []).append(b)  # type: ignore[arg-type]
        return [LinkedTrack(group[0].category, {b.frame_index: b for b in group}) for group in keyed.values()]
    frames = sorted(set(predictions.frames) | {b.frame_index for b in boxes}, key=lambda f: (times_s[f], f))
    linked: list[LinkedTrack] = []
    for category in sorted({b.category for b in boxes}):
        tracker = MultiObjectTracker(params)
        by_frame: dict[int, list[PredictedBox]] = {}
        for b in boxes:
            if b.category == category:
                by_frame.setdefault(b.frame_index, []).append(b)
        for f in frames:
            tracker.step(f, times_s[f], [Detection(b.box, category, payload=b) for b in by_frame.get(f, [])])
        for state in tracker.tracks():
            linked.append(LinkedTrack(category, {f: d.payload for f, d in sorted(state.observations.items())}))
    return sorted(linked, key=lambda t: (min(t.boxes), t.category))


def gated_for(params: TrackerParams, times_s: list[float]) -> TrackerParams:
    """``params`` with the first-match gate widened to ``GATE_SPEED_MPS`` times the median
    gap between the covered frames (never narrowed)."""
    gaps = np.diff(sorted(times_s))
    gaps = gaps[gaps > 0]
    if not len(gaps):
        return params
    gate_m = max(params.max_center_dist_m, GATE_SPEED_MPS * float(np.median(gaps)))
    return replace(params, max_center_dist_m=gate_m)


def import_command(project: Project, linked: list[LinkedTrack], label: str) -> Command:
    """One command adding every linked track as ``auto`` boxes with their scores."""
    changes: list[Change] = []
    number = project.next_track_number()
    for k, item in enumerate(linked):
        track = Track(new_token(), item.category, number + k, score=item.score)
        changes.append(Change(None, track))
        for f, b in sorted(item.boxes.items()):
            changes.append(Change(None, Annotation(new_token(), track.token, f, b.box, b.attributes,
                                                   Source.AUTO, score=b.score)))
    boxes = sum(len(t.boxes) for t in linked)
    return Command(f"Import {label} predictions ({boxes} boxes, {len(linked)} tracks)", changes)


def import_predictions(project: Project, path: Path | str, format: str,
                       params: TrackerParams = IMPORT_TRACKER, min_score: float = 0.0) -> ImportSummary:
    """Read detector results for the project's sequence and add them as one undo step.

    ``min_score`` drops boxes scored below it before linking. Raises ``FormatError`` (and
    changes nothing) when the file is bad."""
    predictions = read_predictions(path, format, project.sequence, project.schema)
    if min_score > 0:
        predictions.boxes = [b for b in predictions.boxes if b.score is None or b.score >= min_score]
    unknown = sorted({b.category for b in predictions.boxes if not project.schema.has_category(b.category)})
    if unknown:
        raise FormatError(path, f"classes not in the project's label schema: {', '.join(unknown)}")
    times = {f.index: f.timestamp_s for f in project.sequence.frames}
    linked = link_predictions(predictions, times, gated_for(params, [times[f] for f in predictions.frames]))
    project.execute(import_command(project, linked, format))
    return ImportSummary(Path(path), format, len(linked), sum(len(t.boxes) for t in linked),
                         len(predictions.frames), tuple(predictions.warnings))
