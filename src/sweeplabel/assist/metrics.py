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
    """Match predictions to truth per frame (Hungarian on BEV IoU, kept at >= ``min_bev_iou``),
    all classes together: the evaluation protocol's matching (``assist.evaluate``), one group.

    An id switch is counted when a truth track is matched to a predicted id other than the
    one it was last matched to. Predictions matching an ``ignore`` box (e.g. truth with too
    few points) count neither as true nor as false positives."""
    from .evaluate import EvalBox, evaluate_group

    def boxes(frames: Mapping[int, Sequence[LabeledBox]], ignored: bool = False) -> dict[int, list[EvalBox]]:
        return {f: [EvalBox(b.track_id, b.box, b.category, ignore=ignored, group="all") for b in items]
                for f, items in frames.items()}

    gts = boxes(truth)
    for f, items in boxes(ignore or {}, ignored=True).items():
        gts[f] = gts.get(f, []) + items
    group = evaluate_group(boxes(predicted), gts, "all", "bev", min_bev_iou)
    return EvalResult(group.true_positives, group.false_positives, group.false_negatives, group.id_switches,
                      group.bev_ious, group.ious_3d)
