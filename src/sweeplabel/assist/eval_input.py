"""Boxes of a project or dataset, ready for ``assist.evaluate``: scores, ignore flags, views.

* Truth boxes with fewer than ``min_points`` LiDAR points are ignore regions. The count is
  the dataset's own when it gives one (``num_points``, nuScenes ``num_lidar_pts``, AV2
  ``num_interior_pts``), else the points of the frame inside the box (the package's
  ``points_in_boxes_csr`` kernel; overlapping boxes share points).
* KITTI (a frame with ``kitti_calib`` in its meta): only image 2's field of view is
  labelled, so a box whose centre projects outside the image (or lies behind the camera)
  is ignored on both sides; a prediction whose centre projects into a DontCare rectangle
  (``kitti_dontcare`` lines) is ignored.
* One project alone: its ``auto`` boxes (not accepted or fixed by a reviewer) are the
  predictions, every box a person made or accepted is the truth."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np

from ..io.kitti import IMAGE_SIZE_WH, KittiCalib, project_to_image
from ..kernels import points_in_boxes_csr
from ..model import Annotation, Frame, Project, ReviewState, Source, Track, invert_transform
from ..model.geometry import yaw_of_rotation
from .evaluate import EvalBox

MIN_POINTS = 5
POINT_COUNT_KEYS = ("num_points", "nuscenes_num_lidar_pts", "av2_num_interior_pts")
_HUMAN_REVIEW = (ReviewState.ACCEPTED, ReviewState.FIXED)


@dataclass
class EvalInput:
    """Predicted and truth boxes per frame, and what was ignored why."""

    predicted: dict[int, list[EvalBox]] = field(default_factory=dict)
    truth: dict[int, list[EvalBox]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    place_yaw_rad: dict[int, float] = field(default_factory=dict)  # per frame: the ego's heading (world)


def is_prediction(ann: Annotation) -> bool:
    """An auto or imported box no person has accepted or fixed."""
    return ann.source == Source.AUTO and ann.review_state not in _HUMAN_REVIEW


def split_project(project: Project) -> tuple[list[Annotation], list[Annotation]]:
    """(predictions, truth) of one project: auto boxes against the boxes people made or accepted."""
    anns = list(project.annotations.values())
    return [a for a in anns if is_prediction(a)], [a for a in anns if not is_prediction(a)]


def score_of(ann: Annotation, track: Track | None) -> float:
    """The box's confidence, else its track's, else 1.0 (unscored)."""
    if ann.score is not None:
        return ann.score
    if track is not None and track.score is not None:
        return track.score
    return 1.0


def point_counts(frame: Frame, anns: Sequence[Annotation]) -> np.ndarray:
    """LiDAR points per box: the dataset's count where given, else counted in the frame."""
    out = np.full(len(anns), -1, dtype=np.int64)
    for k, a in enumerate(anns):
        for key in POINT_COUNT_KEYS:
            if key in a.attributes:
                out[k] = int(a.attributes[key])
                break
    todo = np.nonzero(out < 0)[0]
    if len(todo):
        points = frame.load_points()[:, :3]
        T = invert_transform(frame.T_world_sensor)
        boxes = np.array([anns[k].box.transformed(T).to_array() for k in todo])
        offsets, _ = points_in_boxes_csr(np.ascontiguousarray(points, dtype=np.float32), boxes)
        out[todo] = np.diff(offsets)
    return out


class CameraView:
    """KITTI image 2's field of view and DontCare rectangles of one frame."""

    def __init__(self, frame: Frame) -> None:
        self.calib = KittiCalib.from_meta(frame.meta["kitti_calib"])
        self.size_wh = tuple(frame.meta.get("kitti_image_size_wh", IMAGE_SIZE_WH))
        self.T_sensor_world = invert_transform(frame.T_world_sensor)
        rects = [[float(v) for v in dc["fields"][3:7]] for dc in frame.meta.get("kitti_dontcare", [])]
        self.dontcare = np.array(rects, dtype=np.float64).reshape(-1, 4)

    @staticmethod
    def of(frame: Frame) -> "CameraView | None":
        return CameraView(frame) if frame.meta.get("kitti_calib") else None

    def _pixels(self, anns: Sequence[Annotation]) -> tuple[np.ndarray, np.ndarray]:
        centres = np.array([a.box.center_m for a in anns]).reshape(-1, 3)
        local = centres @ self.T_sensor_world[:3, :3].T + self.T_sensor_world[:3, 3]
        return project_to_image(local, self.calib)

    def inside(self, anns: Sequence[Annotation]) -> np.ndarray:
        """Whether each box's centre projects into the image, in front of the camera."""
        uv, depth = self._pixels(anns)
        w, h = self.size_wh
        with np.errstate(invalid="ignore"):
            return (depth > 0) & (uv[:, 0] >= 0) & (uv[:, 0] < w) & (uv[:, 1] >= 0) & (uv[:, 1] < h)

    def in_dontcare(self, anns: Sequence[Annotation]) -> np.ndarray:
        """Whether each box's centre projects into a DontCare rectangle."""
        if not len(self.dontcare):
            return np.zeros(len(anns), dtype=bool)
        uv, depth = self._pixels(anns)
        r = self.dontcare
        with np.errstate(invalid="ignore"):
            hit = ((uv[:, None, 0] >= r[None, :, 0]) & (uv[:, None, 0] <= r[None, :, 2])
                   & (uv[:, None, 1] >= r[None, :, 1]) & (uv[:, None, 1] <= r[None, :, 3]))
        return (depth > 0) & hit.any(axis=1)


def _by_frame(anns: Iterable[Annotation]) -> dict[int, list[Annotation]]:
    out: dict[int, list[Annotation]] = {}
    for a in anns:
        out.setdefault(a.frame_index, []).append(a)
    return out


def prepare(frames: Sequence[Frame], predicted: Iterable[Annotation], pred_tracks: dict[str, Track],
            truth: Iterable[Annotation], truth_tracks: dict[str, Track], min_points: int = MIN_POINTS,
            camera_view: bool = True) -> EvalInput:
    """Flag ignore regions and score every box; ``frames`` carry the points and calibration."""
    out = EvalInput()
    pred_by, truth_by = _by_frame(predicted), _by_frame(truth)
    counts = {"few": 0, "view_truth": 0, "view_pred": 0, "dontcare": 0}
    for f in sorted(set(pred_by) | set(truth_by)):
        frame = frames[f]
        out.place_yaw_rad[f] = yaw_of_rotation(frame.T_world_sensor[:3, :3])
        view = CameraView.of(frame) if camera_view else None
        gts, preds = truth_by.get(f, []), pred_by.get(f, [])
        few = point_counts(frame, gts) < min_points if gts else np.zeros(0, bool)
        gt_out = ~view.inside(gts) if view and gts else np.zeros(len(gts), bool)
        p_out = ~view.inside(preds) if view and preds else np.zeros(len(preds), bool)
        p_dc = view.in_dontcare(preds) if view and preds else np.zeros(len(preds), bool)
        counts["few"] += int((few & ~gt_out).sum())
        counts["view_truth"] += int(gt_out.sum())
        counts["view_pred"] += int(p_out.sum())
        counts["dontcare"] += int((p_dc & ~p_out).sum())
        out.truth[f] = [EvalBox(a.track_token, a.box, truth_tracks[a.track_token].category,
                                score_of(a, truth_tracks.get(a.track_token)), bool(i or o))
                        for a, i, o in zip(gts, few, gt_out)]
        out.predicted[f] = [EvalBox(a.track_token, a.box, pred_tracks[a.track_token].category,
                                    score_of(a, pred_tracks.get(a.track_token)), bool(o or d))
                            for a, o, d in zip(preds, p_out, p_dc)]
    out.notes.append(f"ignore regions: {counts['few']} truth boxes with < {min_points} points")
    if counts["view_truth"] or counts["view_pred"] or counts["dontcare"]:
        out.notes.append(f"camera view: {counts['view_truth']} truth and {counts['view_pred']} predicted boxes "
                         f"outside image 2 ignored, {counts['dontcare']} predictions in DontCare regions")
    return out


def prepare_project(project: Project, min_points: int = MIN_POINTS, camera_view: bool = True) -> EvalInput:
    """One project: its auto boxes against the boxes people made or accepted."""
    preds, truth = split_project(project)
    return prepare(project.sequence.frames, preds, project.tracks, truth, project.tracks, min_points, camera_view)
