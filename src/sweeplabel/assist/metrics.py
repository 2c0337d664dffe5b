"""Box overlap (bird's-eye-view and 3D IoU of yaw-rotated boxes) and detection /
tracking quality against ground truth (precision, recall, mean IoU, id switches)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..model import Box


def _footprint(box: Box) -> np.ndarray:
    """(4, 2) BEV corners, counter-clockwise (``Box.corners`` lists them clockwise)."""
    return box.corners()[3::-1, :2]


def _clip(subject: list[np.ndarray], a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
    """Sutherland-Hodgman: keep the part of ``subject`` left of the directed edge a->b."""
    def side(p: np.ndarray) -> float:
        return float((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0]))

    out: list[np.ndarray] = []
    n = len(subject)
    for i in range(n):
        p, q = subject[i], subject[(i + 1) % n]
        sp, sq = side(p), side(q)
        if sp >= 0:
            out.append(p)
        if (sp >= 0) != (sq >= 0):
            t = sp / (sp - sq)
            out.append(p + t * (q - p))
    return out


def _area(poly: list[np.ndarray]) -> float:
    if len(poly) < 3:
        return 0.0
    xy = np.asarray(poly)
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def bev_intersection_m2(a: Box, b: Box) -> float:
    """Area of the overlap of the two footprints (square metres)."""
    if np.linalg.norm(a.center_m[:2] - b.center_m[:2]) > 0.5 * (
            np.linalg.norm(a.size_lwh_m[:2]) + np.linalg.norm(b.size_lwh_m[:2])):
        return 0.0
    poly = list(_footprint(a))
    clip = _footprint(b)
    for i in range(4):
        poly = _clip(poly, clip[i], clip[(i + 1) % 4])
        if not poly:
            return 0.0
    return _area(poly)


def bev_iou(a: Box, b: Box) -> float:
    """Intersection over union of the footprints (0..1)."""
    inter = bev_intersection_m2(a, b)
    union = a.size_lwh_m[0] * a.size_lwh_m[1] + b.size_lwh_m[0] * b.size_lwh_m[1] - inter
    return float(inter / union) if union > 0 else 0.0


def iou_3d(a: Box, b: Box) -> float:
    """Intersection over union of the volumes (upright boxes, 0..1)."""
    inter_bev = bev_intersection_m2(a, b)
    if inter_bev <= 0:
        return 0.0
    lo = max(a.center_m[2] - a.size_lwh_m[2] / 2, b.center_m[2] - b.size_lwh_m[2] / 2)
    hi = min(a.center_m[2] + a.size_lwh_m[2] / 2, b.center_m[2] + b.size_lwh_m[2] / 2)
    inter = inter_bev * max(0.0, hi - lo)
    union = a.volume_m3 + b.volume_m3 - inter
    return float(inter / union) if union > 0 else 0.0


def bev_iou_matrix(boxes_a: Sequence[Box], boxes_b: Sequence[Box]) -> np.ndarray:
    """(len(a), len(b)) BEV IoU; pairs whose circumscribed circles miss are 0 without clipping."""
    out = np.zeros((len(boxes_a), len(boxes_b)))
    if not len(boxes_a) or not len(boxes_b):
        return out
    ca = np.array([b.center_m[:2] for b in boxes_a])
    cb = np.array([b.center_m[:2] for b in boxes_b])
    ra = np.array([0.5 * np.linalg.norm(b.size_lwh_m[:2]) for b in boxes_a])
    rb = np.array([0.5 * np.linalg.norm(b.size_lwh_m[:2]) for b in boxes_b])
    dist = np.linalg.norm(ca[:, None, :] - cb[None, :, :], axis=2)
    for i, j in zip(*np.nonzero(dist <= ra[:, None] + rb[None, :])):
        out[i, j] = bev_iou(boxes_a[i], boxes_b[j])
    return out


# -- sequence evaluation ----------------------------------------------------------------
@dataclass(frozen=True)
class LabeledBox:
    """A box with its track id and class, as evaluated."""

    track_id: str
    box: Box
    category: str


@dataclass
class EvalResult:
    """Detection and tracking figures over a sequence (matches at BEV IoU >= threshold)."""

    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    id_switches: int = 0
    bev_ious: list[float] = field(default_factory=list)
    ious_3d: list[float] = field(default_factory=list)

    @property
    def precision(self) -> float:
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else 0.0

    @property
    def recall(self) -> float:
        n = self.true_positives + self.false_negatives
        return self.true_positives / n if n else 0.0

    @property
    def mean_bev_iou(self) -> float:
        return float(np.mean(self.bev_ious)) if self.bev_ious else 0.0

    @property
    def mean_iou_3d(self) -> float:
        return float(np.mean(self.ious_3d)) if self.ious_3d else 0.0

    def as_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "mean_bev_iou": self.mean_bev_iou,
                "mean_iou_3d": self.mean_iou_3d, "tp": self.true_positives, "fp": self.false_positives,
                "fn": self.false_negatives, "id_switches": self.id_switches}


def evaluate(predicted: Mapping[int, Sequence[LabeledBox]], truth: Mapping[int, Sequence[LabeledBox]],
             min_bev_iou: float = 0.1, ignore: Mapping[int, Sequence[LabeledBox]] | None = None) -> EvalResult:
    """Match predictions to truth per frame (Hungarian on BEV IoU, kept at >= ``min_bev_iou``).

    An id switch is counted when a truth track is matched to a predicted id other than the
    one it was last matched to. Predictions matching an ``ignore`` box (e.g. truth with too
    few points) count neither as true nor as false positives."""
    result = EvalResult()
    last_match: dict[str, str] = {}
    for frame in sorted(set(predicted) | set(truth)):
        preds, gts = list(predicted.get(frame, ())), list(truth.get(frame, ()))
        iou = bev_iou_matrix([p.box for p in preds], [g.box for g in gts])
        from scipy.optimize import linear_sum_assignment  # deferred: scipy.optimize costs ~1 s at start-up

        rows, cols = linear_sum_assignment(-iou) if iou.size else (np.array([], int), np.array([], int))
        matched_p, matched_g = set(), set()
        for r, c in zip(rows, cols):
            if iou[r, c] < min_bev_iou:
                continue
            matched_p.add(r)
            matched_g.add(c)
            result.true_positives += 1
            result.bev_ious.append(float(iou[r, c]))
            result.ious_3d.append(iou_3d(preds[r].box, gts[c].box))
            gid, pid = gts[c].track_id, preds[r].track_id
            if gid in last_match and last_match[gid] != pid:
                result.id_switches += 1
            last_match[gid] = pid
        result.false_negatives += len(gts) - len(matched_g)
        rest = [p for i, p in enumerate(preds) if i not in matched_p]
        ign = list((ignore or {}).get(frame, ()))
        if rest and ign:
            hit = bev_iou_matrix([p.box for p in rest], [g.box for g in ign]).max(axis=1) >= min_bev_iou
            rest = [p for p, h in zip(rest, hit) if not h]
        result.false_positives += len(rest)
    return result
