"""The scored pre-annotation run over a sequence: detect and score each frame, then either
track (a sequence: confirmation by two hits, re-scoring with the track's features) or
keep each frame's candidates on their own (one frame, independent frames)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from ..kernels import GroundSegmenter
from ..model import Sequence
from .classify import PreannotateParams
from .ego_motion import back_to_frames, ego_offsets_m, has_poses, shifted_sequence
from .scored import finalize_scored, is_independent, score_detections, score_track
from .scorer import GROUPS, Scorer, load_scorer, object_score
from .track_cleanup import AutoTrack, drop_nested_tracks, split_inconsistent_tracks, stitch_tracks
from .tracker import Detection, MultiObjectTracker, TrackState

# the groups tracked in the ego-motion frame of a pose-less moving sequence: people and riders
# (the model calls a walker's stride a bicycle in some frames: one tracker keeps the person whole);
# vehicles stay in the sensor frame (tracked in the ego frame they gained recall on SUSTechPOINTS
# but lost precision: benchmarks/README.md, score3 and ped5)
_EGO_GROUPS = ("pedestrian", "cyclist")
ProgressFn = Callable[[int, int], None]
CancelFn = Callable[[], bool]


@dataclass
class DetectionRun:
    """What one run saw: the scored detections of each frame and the confirmed tracks."""

    detections: dict[int, list[Detection]] = field(default_factory=dict)
    tracks: list[TrackState] = field(default_factory=list)
    times_s: dict[int, float] = field(default_factory=dict)
    independent: bool = False
    # people and riders tracked apart in the ego-motion frame (``person_offsets``: a pose-less
    # moving sequence): their tracks, in that frame
    person_tracks: list[TrackState] = field(default_factory=list)


def detect_sequence(sequence: Sequence, params: PreannotateParams, scorer: Scorer | None,
                    progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                    frames: list[int] | None = None, total: int | None = None,
                    independent: bool | None = None,
                    person_offsets: dict[int, np.ndarray] | None = None) -> DetectionRun:
    """Detect (and, with a scorer, score and filter) every frame; track unless independent
    (``independent``: None, from the sequence's kind). With ``person_offsets`` (each frame's
    ego position, ``ego_motion``) the candidates scored as people or riders are tracked apart,
    each moved by its frame's offset (``person_tracks``, in that frame)."""
    from .preannotate import PreannotationCancelled, detect_frame

    indices = list(range(len(sequence))) if frames is None else list(frames)
    run = DetectionRun(independent=is_independent(sequence) if independent is None else independent)
    segmenter = GroundSegmenter(method=params.ground_method)
    tracker = None if run.independent else MultiObjectTracker(params.tracker)
    people = None if tracker is None or person_offsets is None else MultiObjectTracker(params.tracker)
    total = total or len(indices) + 1
    for k, i in enumerate(indices):
        if cancel is not None and cancel():
            raise PreannotationCancelled(f"cancelled before frame {i}")
        frame = sequence[i]
        run.times_s[i] = frame.timestamp_s
        if run.independent:
            segmenter = GroundSegmenter(method=params.ground_method)  # no state across unrelated frames
        dets = detect_frame(frame, segmenter, params)
        if scorer is not None:
            dets = score_detections(frame, dets, scorer, params.candidate_min_score)
        run.detections[i] = dets
        dets_tracked = dets
        if people is not None:
            in_ego = [tracked_in_ego_frame(d) for d in dets]
            people.step(i, frame.timestamp_s, [shifted_detection(d, person_offsets[i]) for d, e in zip(dets, in_ego) if e])
            dets_tracked = [d for d, e in zip(dets, in_ego) if not e]
        if tracker is not None:
            tracker.step(i, frame.timestamp_s, dets_tracked)
        if progress is not None:
            progress(k + 1, total)
    if tracker is not None:
        run.tracks = split_inconsistent_tracks(tracker.tracks(), run.times_s, params)
    if people is not None:
        run.person_tracks = split_inconsistent_tracks(people.tracks(), run.times_s, params)
    return run


def tracked_in_ego_frame(det: Detection) -> bool:
    """A scored candidate whose most likely object group (frame level) is a person or a rider."""
    probs = getattr(det.payload, "probs", None)
    return probs is not None and GROUPS[1 + int(np.argmax(probs[1:]))] in _EGO_GROUPS


def shifted_detection(det: Detection, offset_m: np.ndarray) -> Detection:
    """The detection moved by ``offset_m`` (world), its sensor position with it."""
    return replace(det, box=det.box.translated(offset_m),
                   payload=replace(det.payload, origin_m=np.asarray(det.payload.origin_m) + offset_m))


def preannotate_scored(sequence: Sequence, params: PreannotateParams = PreannotateParams(),
                       progress: ProgressFn | None = None, cancel: CancelFn | None = None,
                       frames: list[int] | None = None, scorer: Scorer | None = None) -> list[AutoTrack]:
    """Scored auto tracks of a sequence (the project is not touched); only those scoring at
    least ``params.min_score`` are kept."""
    scorer = scorer or load_scorer(params.scorer_path)
    indices = list(range(len(sequence))) if frames is None else list(frames)
    total = len(indices) + 1
    offsets, independent, person_offsets = _tracking_frames(sequence, indices, params)
    run = detect_sequence(sequence if offsets is None else shifted_sequence(sequence, offsets), params, scorer,
                          progress, cancel, indices, total, independent, person_offsets)
    result = single_frame_tracks(run, params) if run.independent else sequence_tracks(run, scorer, params)
    if person_offsets is not None:
        result += back_to_frames(sequence_tracks(run, scorer, params, run.person_tracks), person_offsets)
    if offsets is not None:
        result = back_to_frames(result, offsets)
    if progress is not None:
        progress(total, total)
    return result


def _pose_less_offsets(sequence: Sequence, indices: list[int], params: PreannotateParams) -> dict | None:
    """For a sequence without poses whose static scene moves between frames by more than the
    tracker's gate: each frame's ego position from that shift (``ego_motion``); None otherwise
    (poses, one frame, independent frames, or a scene that stands still)."""
    if len(indices) < 2 or is_independent(sequence) or has_poses(sequence, indices):
        return None
    return ego_offsets_m(sequence, indices, min_step_m=params.tracker.max_center_dist_m)


def _tracking_frames(sequence: Sequence, indices: list[int], params: PreannotateParams
                     ) -> tuple[dict | None, bool | None, dict | None]:
    """How a pose-less moving sequence is tracked: ``(offsets, independent, person_offsets)``.
    ``ego_motion_without_poses``: everything in the ego-motion frame (``offsets``); else
    ``untrackable_as_independent``: frame by frame; else ``person_ego_tracking``: people and riders
    in the ego-motion frame (a standing or walking person moves less than the gate there), vehicles
    in each sensor's frame. ``independent`` None: from the sequence's kind."""
    wanted = params.ego_motion_without_poses or params.untrackable_as_independent or params.person_ego_tracking
    shift = _pose_less_offsets(sequence, indices, params) if wanted else None
    if shift is None:
        return None, None, None
    if params.ego_motion_without_poses:
        return shift, None, None
    if params.untrackable_as_independent:
        return None, True, None
    return None, None, shift if params.person_ego_tracking else None


def sequence_tracks(run: DetectionRun, scorer: Scorer, params: PreannotateParams,
                    states: list[TrackState] | None = None) -> list[AutoTrack]:
    """The kept auto tracks of ``states`` (default: the run's tracks)."""
    out = []
    for state in run.tracks if states is None else states:
        group, score, box_scores = score_track(state, run.times_s, scorer)
        if score >= params.min_score:
            auto = finalize_scored(state, group, score, run.times_s, params, box_scores)
            if auto.score >= params.min_score:
                out.append(auto)
    return drop_nested_tracks(stitch_tracks(out, run.times_s, params))


def single_frame_tracks(run: DetectionRun, params: PreannotateParams) -> list[AutoTrack]:
    """One one-box track per candidate and frame (no tracker, no confirmation)."""
    out: list[AutoTrack] = []
    for f, dets in run.detections.items():
        in_frame = []
        for d in dets:
            g, s = object_score(d.payload.probs)
            if s[0] >= params.min_score:
                state = TrackState(0, d.box, run.times_s[f], observations={f: d}, confirmed=True)
                auto = finalize_scored(state, GROUPS[int(g[0])], float(s[0]), run.times_s, params)
                if auto.score >= params.min_score:
                    in_frame.append(auto)
        out += drop_nested_tracks(in_frame)
    return out
