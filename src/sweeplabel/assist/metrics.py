"""Detection / tracking quality against ground truth (precision, recall, mean IoU, id switches).
The box overlap lives in ``assist.iou`` (re-exported here for the callers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..model import Box
from .iou import bev_intersection_m2, bev_iou, bev_iou_matrix, iou_3d

__all__ = ["EvalResult", "LabeledBox", "bev_intersection_m2", "bev_iou", "bev_iou_matrix", "evaluate", "iou_3d"]


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
