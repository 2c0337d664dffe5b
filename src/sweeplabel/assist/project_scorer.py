"""Learning from the project: the annotator's own decisions as training data, and
re-scoring the remaining auto boxes with the model they give.

The store keeps a log of what the pre-annotation proposed (``CANDIDATES_META_KEY`` in the
project's meta: token, frame, box, class and frame features of every auto box), written
when the pre-annotation is applied. At training time each logged candidate is:
- a positive of its track's class group if its box is still there and a person accepted,
  fixed or edited it;
- a negative (background) if it is gone (deleted) and no box a person made overlaps it
  in that frame (a box re-drawn by hand is a positive of its own);
- left out while it is still an unreviewed auto box (nobody has judged it).
Every box a person made (manual, propagated, interpolated, or reviewed) is a positive,
its features computed from the frame's points inside it."""

from __future__ import annotations

import copy
import json
from typing import Iterable, Mapping

import numpy as np

from ..kernels import GroundSegmenter, points_in_boxes_csr
from ..model import Annotation, Box, Change, Command, Project, ReviewState, Source, Track
from .classify import PreannotateParams
from .iou import bev_iou
from .object_view import points_about
from .scorer import GROUPS, Scorer, group_of, object_score, with_track
from .scorer_features import object_features, track_features
from .scorer_train import Rows
from .track_cleanup import AutoTrack

CANDIDATES_META_KEY = "scorer.candidates"
SCORER_MODEL_META_KEY = "scorer.model"  # a project's own (or its team's) model file
_LOG_VERSION = 1


# -- the candidate log ------------------------------------------------------------------------
def candidate_log(command: Command, auto_tracks: list[AutoTrack]) -> str:
    """JSON log of the auto boxes a pre-annotation command adds (see the module docstring)."""
    records, k = [], -1
    for change in command.changes:
        after = change.after
        if change.before is None and isinstance(after, Track):
            k += 1
        elif change.before is None and isinstance(after, Annotation) and 0 <= k < len(auto_tracks):
            feats = (auto_tracks[k].box_features or {}).get(after.frame_index)
            records.append({"token": after.token, "track": after.track_token, "frame": after.frame_index,
                            "category": auto_tracks[k].category, "box": [float(v) for v in after.box.to_array()],
                            "features": None if feats is None else [None if not np.isfinite(v) else float(v)
                                                                    for v in feats]})
    return json.dumps({"version": _LOG_VERSION, "candidates": records})


def project_params(meta: Mapping[str, str], params: PreannotateParams = PreannotateParams()) -> PreannotateParams:
    """The pre-annotation settings of a project: its scorer model if one is set (and exists)."""
    from dataclasses import replace
    from pathlib import Path

    model = meta.get(SCORER_MODEL_META_KEY)
    return replace(params, scorer_path=model) if model and Path(model).is_file() else params


def read_candidate_log(meta: Mapping[str, str]) -> list[dict]:
    """The logged candidates of a project's meta ([] when none was logged)."""
    text = meta.get(CANDIDATES_META_KEY)
    if not text:
        return []
    data = json.loads(text)
    return list(data.get("candidates", [])) if isinstance(data, dict) else []


def _features_of(record: dict) -> np.ndarray | None:
    f = record.get("features")
    return None if f is None else np.array([np.nan if v is None else v for v in f], dtype=np.float64)


# -- features of boxes people made --------------------------------------------------------------
def box_frame_features(project: Project, frame_index: int, annotations: list[Annotation],
                       params: PreannotateParams = PreannotateParams()) -> list[np.ndarray]:
    """Frame features of each box from the frame's points inside it (grown 0.1 m) above
    the local ground (as a cluster of the pre-annotation would hold them)."""
    from .preannotate import local_ground, not_ground
    from .scored import sensor_intensity

    frame = project.sequence[frame_index]
    sensor_pts = frame.load_points()
    ground = GroundSegmenter(method=params.ground_method).segment(np.ascontiguousarray(sensor_pts[:, :3],
                                                                                        dtype=np.float32))
    origin = frame.T_world_sensor[:3, 3].copy()
    pts = points_about(frame, origin, sensor_pts)
    grid = local_ground(pts, ground, params)
    objects = not_ground(ground, pts[:, 2] - grid.height_at(pts[:, :2]), params)
    intensity = sensor_intensity(sensor_pts)
    boxes = np.array([a.box.translated(-origin).with_size(a.box.size_lwh_m + 0.2).to_array() for a in annotations])
    offsets, idx = points_in_boxes_csr(pts, boxes.reshape(-1, 7))
    out = []
    for k, a in enumerate(annotations):
        sel = idx[offsets[k]:offsets[k + 1]]
        sel = sel[objects[sel]]
        ground_z = grid.local_height(a.box.center_m[:2] - origin[:2]) if len(sel) else 0.0
        sel = sel[pts[sel, 2] - ground_z > params.min_height_m]
        box7 = a.box.translated(-origin).to_array()
        out.append(object_features(pts[sel], ground_z, box7, None if intensity is None else intensity[sel]))
    return out


def project_track_features(boxes: list[tuple[int, np.ndarray]], times_s: Mapping[int, float]) -> np.ndarray:
    """Track features from a track's boxes ``(frame, [cx, cy, cz, l, w, h, yaw])`` (the
    project's boxes stand in for the clusters: travel is the centres' span)."""
    boxes = sorted(boxes, key=lambda fb: fb[0])
    arr = np.array([b for _, b in boxes]).reshape(-1, 7)
    frames = [f for f, _ in boxes]
    t = np.array([times_s[f] for f in frames])
    travel = float(np.linalg.norm(arr[-1, :2] - arr[0, :2])) if len(arr) > 1 else 0.0
    span = frames[-1] - frames[0] + 1 if frames else 1
    return track_features(arr[:, 3:6], arr[:, :3], t, span, travel)


def _is_human(a: Annotation) -> bool:
    return a.source != Source.AUTO or a.review_state in (ReviewState.ACCEPTED, ReviewState.FIXED)


def project_rows(project: Project, candidates: list[dict],
                 params: PreannotateParams = PreannotateParams()) -> Rows:
    """Training rows from one project's decisions (see the module docstring)."""
    times = {f.index: f.timestamp_s for f in project.sequence}
    anns = project.annotations
    tracks = project.tracks
    human = [a for a in anns.values() if _is_human(a)]
    human_by_frame: dict[int, list[Annotation]] = {}
    for a in human:
        human_by_frame.setdefault(a.frame_index, []).append(a)
    track_feats = {t: project_track_features([(a.frame_index, a.box.to_array()) for a in project.annotations_of_track(t)],
                                             times) for t in tracks}
    rows = Rows()
    logged = {}
    for rec in candidates:
        logged[rec["token"]] = rec
        feats = _features_of(rec)
        if feats is None:
            continue
        current = anns.get(rec["token"])
        box = Box.from_array(np.array(rec["box"]))
        if current is None:
            if any(bev_iou(box, h.box) >= 0.3 for h in human_by_frame.get(rec["frame"], ())):
                continue  # replaced by a box drawn by hand: that one is the positive
            rows.add(with_track(feats)[0], 0)
        elif _is_human(current):
            g = GROUPS.index(group_of(tracks[current.track_token].category))
            rows.add(with_track(feats, track_feats[current.track_token])[0], g)
            rows.add(with_track(feats)[0], g)
    for f, items in sorted(human_by_frame.items()):
        fresh = [a for a in items if a.token not in logged or _features_of(logged[a.token]) is None]
        if not fresh:
            continue
        for a, feats in zip(fresh, box_frame_features(project, f, fresh, params)):
            g = GROUPS.index(group_of(tracks[a.track_token].category))
            rows.add(with_track(feats, track_feats[a.track_token])[0], g)
            rows.add(with_track(feats)[0], g)
    return rows


# -- re-scoring ------------------------------------------------------------------------------
def rescore_command(project: Project, scorer: Scorer, candidates: list[dict]) -> Command:
    """One command giving every auto track (all its boxes unreviewed ``auto``) and its boxes
    the new model's score: the mean over its logged boxes of the best object group's
    probability (tracks without logged features keep their score)."""
    feats = {r["token"]: _features_of(r) for r in candidates}
    times = {f.index: f.timestamp_s for f in project.sequence}
    rows, owners = [], []
    auto_tracks = []
    for token, track in project.tracks.items():
        anns = project.annotations_of_track(token)
        if not anns or not all(a.source == Source.AUTO and a.review_state == ReviewState.UNREVIEWED for a in anns):
            continue
        tf = project_track_features([(a.frame_index, a.box.to_array()) for a in anns], times)
        have = [feats[a.token] for a in anns if feats.get(a.token) is not None]
        if not have:
            continue
        auto_tracks.append((track, anns))
        rows.append(with_track(np.array(have), tf))
        owners += [len(auto_tracks) - 1] * len(have)
    changes: list[Change] = []
    if rows:
        _, score = object_score(scorer.probabilities(np.vstack(rows)))
        per_track = np.bincount(owners, weights=score) / np.maximum(np.bincount(owners), 1)
        for (track, anns), s in zip(auto_tracks, per_track):
            s = float(np.clip(s, 0.0, 1.0))
            changes.append(Change(track, _with_score(track, s)))
            changes += [Change(a, _with_score(a, s)) for a in anns]
    return Command(f"Re-score {len(auto_tracks)} auto tracks", changes)


def _with_score(entity, score: float):  # noqa: ANN001, ANN202 - a Track or an Annotation
    """A copy with another score in [0, 1] (``evolve`` re-validates every field: 10x slower
    for the thousands of boxes of a long project)."""
    new = copy.copy(entity)
    object.__setattr__(new, "score", score)
    return new


def rescore_project(project: Project, scorer: Scorer, candidates: list[dict]) -> int:
    """Re-score the project's auto tracks as one undo step; returns how many."""
    cmd = rescore_command(project, scorer, candidates)
    if cmd.changes:
        project.execute(cmd)
    return sum(1 for c in cmd.changes if isinstance(c.after, Track))


def training_rows(projects: Iterable[tuple[Project, Mapping[str, str]]],
                  params: PreannotateParams = PreannotateParams()) -> Rows:
    """Rows from several (project, store meta) pairs."""
    rows = Rows()
    for project, meta in projects:
        rows.extend(project_rows(project, read_candidate_log(meta), params))
    return rows
