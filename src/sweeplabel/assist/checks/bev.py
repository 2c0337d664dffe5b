"""Bird's-eye-view overlap for the QA checks, on the package's one IoU (``assist.iou``)."""

from __future__ import annotations

import numpy as np

from ..iou import bev_iou as _bev_iou
from ..iou import candidate_pairs, footprint

__all__ = ["bev_iou", "candidate_pairs", "footprint"]


def bev_iou(a7: np.ndarray, b7: np.ndarray) -> float:
    """Intersection over union of two boxes' footprints (0 when their heights do not overlap)."""
    if abs(a7[2] - b7[2]) > (a7[5] + b7[5]) / 2:
        return 0.0
    return _bev_iou(a7, b7)
