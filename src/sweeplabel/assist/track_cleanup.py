"""Track clean-up after tracking: cut a track where its velocity changes abruptly across a
gap (it caught another object), stitch tracks of one class that continue or overlap each
other (one object tracked twice), drop fragments nested in a longer track."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..model import Box
from .classify import PreannotateParams
from .interpolation import interpolate_boxes
from .iou import bev_iou
from .tracker import TrackState


@dataclass
class AutoTrack:
    """A pre-annotated track: class, one box per frame, and which frames were observed."""

    category: str
    boxes: dict[int, Box]
    observed_frames: list[int]
    moving: bool
    attributes: dict[str, str] = field(default_factory=dict)
    score: float | None = None  # confidence in [0, 1] (None: the size rules, unscored)
    box_scores: dict[int, float] | None = None  # per observed frame, where scored
    box_features: dict[int, np.ndarray] | None = None  # frame features per observed frame (re-scoring)


def fill_gaps(boxes: dict[int, Box], times_s: dict[int, float]) -> dict[int, Box]:
    """Interpolate the frames between observations (a coasted occlusion)."""
    frames = sorted(boxes)
    missing = [f for f in range(frames[0], frames[-1] + 1) if f not in boxes]
    if not missing:
        return dict(boxes)
    filled = interpolate_boxes([times_s[f] for f in frames], [boxes[f] for f in frames],
                               [times_s[f] for f in missing])
    return {**boxes, **dict(zip(missing, filled))}



def _velocity(frames: list[int], centres: np.ndarray, times_s: dict[int, float]) -> np.ndarray | None:
    """Least-squares BEV velocity of a few observations (None from fewer than two)."""
    if len(frames) < 2:
        return None
    t = np.array([times_s[f] for f in frames])
    if np.ptp(t) <= 0:
        return None
    return np.array([np.polyfit(t - t.mean(), centres[:, k], 1)[0] for k in range(2)])


def split_inconsistent_tracks(states: list[TrackState], times_s: dict[int, float],
                              params: PreannotateParams = PreannotateParams(),
                              window: int = 10) -> list[TrackState]:
    """Cut each track at a gap in its observations where its velocity (a line fitted to up
    to ``window`` centres on each side) changes by more than ``split_speed_change_mps``: a
    coasting track that re-appeared on another object (a parked car, hidden by a passing car,
    whose prediction drifted onto the passing car). The parts keep the observations."""
    out: list[TrackState] = []
    next_id = max((s.track_id for s in states), default=-1) + 1
    for state in states:
        frames = sorted(state.observations)
        centres = np.array([state.observations[f].box.center_m[:2] for f in frames]).reshape(-1, 2)
        cuts = [0]
        for k in range(1, len(frames)):
            if frames[k] - frames[k - 1] < 2:
                continue
            lo, hi = max(cuts[-1], k - window), min(len(frames), k + window)
            before = _velocity(frames[lo:k], centres[lo:k], times_s)
            after = _velocity(frames[k:hi], centres[k:hi], times_s)
            if before is not None and after is not None and \
                    np.linalg.norm(after - before) > params.split_speed_change_mps:
                cuts.append(k)
        if len(cuts) == 1:
            out.append(state)
            continue
        for a, b in zip(cuts, cuts[1:] + [len(frames)]):
            obs = {f: state.observations[f] for f in frames[a:b]}
            last = frames[b - 1]
            part = TrackState(state.track_id if a == 0 else next_id, obs[last].box, times_s[last],
                              hits=len(obs), observations=obs, confirmed=True)
            next_id += a != 0
            out.append(part)
    return out


def stitch_tracks(tracks: list[AutoTrack], times_s: dict[int, float],
                  params: PreannotateParams = PreannotateParams(), window: int = 5) -> list[AutoTrack]:
    """Join tracks of one class and motion where one ends and the other starts within
    ``stitch_max_gap_frames`` frames, at the place the first one's motion (a line fitted to
    its last ``window`` observations) predicts within ``stitch_max_dist_m`` (plus 0.1 m per
    missed frame), or the later one's traced back to the end of the first; static tracks when
    their boxes overlap (BEV IoU >= ``stitch_min_static_iou``; two objects never overlap). The
    later track may start up to ``stitch_max_overlap_frames - 1`` frames before the first ends
    (one object tracked twice for a few frames: a fragment that lived on); on shared frames its
    boxes are kept. An occlusion longer than the tracker coasts through then keeps one id."""
    tracks = sorted(tracks, key=lambda t: t.observed_frames[0])
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(tracks):
            a_end = a.observed_frames[-1]
            best, best_d = None, math.inf
            for j, b in enumerate(tracks):
                b_start = b.observed_frames[0]
                gap = b_start - a_end
                if (j == i or b.category != a.category or b.moving != a.moving or b.observed_frames[-1] <= a_end
                        or not -params.stitch_max_overlap_frames < gap <= params.stitch_max_gap_frames):
                    continue
                if not a.moving:
                    iou = bev_iou(a.boxes[a_end], b.boxes[b_start])
                    d = 1.0 - iou if iou >= params.stitch_min_static_iou else math.inf
                else:
                    fa = a.observed_frames[-window:]
                    va = _velocity(fa, np.array([a.boxes[f].center_m[:2] for f in fa]), times_s)
                    fb = b.observed_frames[:window]
                    vb = _velocity(fb, np.array([b.boxes[f].center_m[:2] for f in fb]), times_s)
                    dt = times_s[b_start] - times_s[a_end]
                    d = math.inf  # the gap bridged by either track's motion (a short one's is noisy)
                    if va is not None:
                        d = float(np.linalg.norm(a.boxes[a_end].center_m[:2] + va * dt - b.boxes[b_start].center_m[:2]))
                    if vb is not None:
                        d = min(d, float(np.linalg.norm(b.boxes[b_start].center_m[:2] - vb * dt
                                                        - a.boxes[a_end].center_m[:2])))
                    steady = len(fa) >= 4 and len(fb) >= 4
                    if d > params.stitch_max_dist_m + 0.1 * max(gap, 0) or (
                            steady and np.linalg.norm(va - vb) > params.split_speed_change_mps):
                        d = math.inf
                if d < best_d:
                    best, best_d = j, d
            if best is not None:
                b = tracks[best]
                if a.moving:
                    boxes = {**a.boxes, **b.boxes}
                else:  # one box for a static object: the one seen in more frames
                    main = a if len(a.observed_frames) >= len(b.observed_frames) else b
                    box = main.boxes[main.observed_frames[0]]
                    boxes = {f: box for f in range(min(a.boxes), max(b.boxes) + 1)}
                observed = sorted(set(a.observed_frames) | set(b.observed_frames))
                tracks[i] = AutoTrack(a.category, fill_gaps(boxes, times_s), observed,
                                      a.moving, a.attributes, _joint_score(a, b), _joint_box_scores(a, b),
                                      _joint_box_features(a, b))
                del tracks[best]
                merged = True
                break
    return tracks


def _joint_score(a: AutoTrack, b: AutoTrack) -> float | None:
    """Score of two stitched tracks: their scores weighted by their observed frames."""
    if a.score is None or b.score is None:
        return a.score if b.score is None else b.score
    na, nb = len(a.observed_frames), len(b.observed_frames)
    return (a.score * na + b.score * nb) / (na + nb)


def _joint_box_scores(a: AutoTrack, b: AutoTrack) -> dict[int, float] | None:
    if a.box_scores is None and b.box_scores is None:
        return None
    return {**(a.box_scores or {}), **(b.box_scores or {})}


def _joint_box_features(a: AutoTrack, b: AutoTrack) -> dict[int, np.ndarray] | None:
    if a.box_features is None and b.box_features is None:
        return None
    return {**(a.box_features or {}), **(b.box_features or {})}


def _precedence(t: AutoTrack) -> tuple[float, float, float]:
    """Which of two overlapping tracks stays: the more confident over its frames (a score
    times up to five observed frames), then the longer, then the larger."""
    confidence = -(t.score if t.score is not None else 1.0) * min(len(t.observed_frames), 5)
    return (confidence, -len(t.observed_frames), -float(np.prod(next(iter(t.boxes.values())).size_lwh_m)))


def drop_nested_tracks(tracks: list[AutoTrack], min_share: float = 0.5, margin_m: float = 0.3,
                       min_iou: float = 0.2) -> list[AutoTrack]:
    """Drop a track whose box centre lies inside the box of a longer (or, as long, larger)
    track, or whose box overlaps it by BEV IoU >= ``min_iou`` (two objects never overlap),
    in at least ``min_share`` of its frames: a fragment of that object (a car's cabin
    tracked apart)."""
    order = sorted(tracks, key=_precedence)
    kept: list[AutoTrack] = []
    for t in order:
        frames = sorted(t.boxes)
        nested = False
        for big in kept:
            inside = sum(1 for f in frames if f in big.boxes and (
                bool(big.boxes[f].contains(t.boxes[f].center_m[None, :], margin_m)[0])
                or bev_iou(big.boxes[f], t.boxes[f]) >= min_iou))
            if inside >= min_share * len(frames):
                nested = True
                break
        if not nested:
            kept.append(t)
    return [t for t in tracks if any(t is k for k in kept)]
