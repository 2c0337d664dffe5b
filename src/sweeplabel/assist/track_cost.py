"""Correction cost counted the way a person works through a sequence (track by track), next
to the per-frame count of ``evaluate.CorrectionCost``.

Both sides use the same editor and the same action model (``assist.correction``):

* A box of a track the person has already made or fixed is carried into the next frame
  (copy forward / interpolation: no action); it costs only the nudges that bring it to 3D
  IoU >= 0.7 with that frame's truth. A track's first box is a placement plus nudges.
* **By hand**: every truth track is made that way, frame after frame.
* **From the pre-annotation**: per frame, the predicted boxes are paired with the truth
  (Hungarian on BEV IoU, pairs over ``PAIR_MIN_BEV_IOU``). A paired box costs its nudges, or
  a delete plus the carried box's nudges when that is cheaper; a predicted track of a wrong
  class costs one class fix for the whole track (once per truth class it is given); a
  predicted track that pairs with no truth box in any frame is deleted with one action; an
  unpaired box of a track that does pair elsewhere is deleted alone (1); a truth box with no
  pair is carried or created as by hand. Predictions flagged ``ignore`` cost nothing, nor do
  those overlapping an ignored truth box.
* The editor can give one box's size to its whole track (``unify_track_size``: a nudge and
  the command, 2 actions). The count is made twice, without and with that step at the first
  box of each predicted track that needs a fix, and the cheaper way is reported."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..model import Box
from .correction import GOOD_IOU, create_actions, fix_actions
from .iou import iou_matrix

PAIR_MIN_BEV_IOU = 0.1
IGNORE_MIN_BEV_IOU = 0.01


@dataclass
class TrackCost:
    """Actions per kind of the track-by-track count, and the hand-labelling baseline."""

    track_deletes: int = 0
    box_deletes: int = 0
    creates: int = 0
    create_actions: int = 0
    nudges: int = 0
    class_fixes: int = 0
    size_fixes: int = 0  # track-wide size steps (2 actions each)
    manual_creates: int = 0
    manual: int = 0

    @property
    def total(self) -> int:
        return (self.track_deletes + self.box_deletes + self.create_actions + self.nudges + self.class_fixes
                + 2 * self.size_fixes)

    @property
    def ratio(self) -> float:
        """How many times fewer actions than labelling the sequence by hand."""
        return self.manual / self.total if self.total else float("inf")

    def as_dict(self) -> dict[str, float | int | None]:
        return {"total": self.total, "track_deletes": self.track_deletes, "box_deletes": self.box_deletes,
                "creates": self.creates, "create_actions": self.create_actions, "nudges": self.nudges,
                "class_fixes": self.class_fixes, "size_fixes": self.size_fixes, "manual": self.manual, "manual_creates": self.manual_creates,
                "ratio": self.ratio if self.total else None}

    def format_text(self) -> str:
        return (f"correction, track by track: {self.total} actions ({self.track_deletes} false tracks deleted, "
                f"{self.box_deletes} single boxes deleted, {self.creates} boxes created = {self.create_actions} "
                f"actions, {self.nudges} nudges, {self.class_fixes} class fixes, {self.size_fixes} track sizes set); by hand {self.manual} "
                f"({self.manual_creates} tracks made)" + (f" -> {self.ratio:.2f}x fewer" if self.total else ""))


def _carry(carried: dict[str, Box], track_id: str, gt: Box, default_lwh: np.ndarray,
           yaw_rad: float | None) -> tuple[int, bool]:
    """(actions, created) to get a truth box without a usable prediction."""
    if track_id in carried:
        return fix_actions(carried[track_id], gt, GOOD_IOU), False
    return create_actions(gt, default_lwh, GOOD_IOU, yaw_rad), True


def _pairs(preds: Sequence, care: Sequence) -> list[tuple[int, int]]:
    if not preds or not care:
        return []
    iou = iou_matrix([p.box for p in preds], [t.box for t in care])
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] >= PAIR_MIN_BEV_IOU]


def track_correction_cost(predicted: Mapping[int, Sequence], truth: Mapping[int, Sequence],
                          default_size: Callable[[str], np.ndarray],
                          place_yaw_rad: Mapping[int, float] | None = None) -> TrackCost:
    """The track-by-track count over frames of ``EvalBox`` (those with a ``group`` only);
    ``place_yaw_rad`` as in ``evaluate.evaluate_frames``."""
    yaws = place_yaw_rad or {}
    return min((_count(predicted, truth, default_size, size_fix, yaws) for size_fix in (False, True)),
               key=lambda c: c.total)


def _count(predicted: Mapping[int, Sequence], truth: Mapping[int, Sequence],
           default_size: Callable[[str], np.ndarray], size_fix: bool, yaws: Mapping[int, float]) -> TrackCost:
    frames = sorted(set(predicted) | set(truth))
    per_frame = []
    paired_tracks: set[str] = set()
    for f in frames:
        preds = [p for p in predicted.get(f, ()) if p.group and not p.ignore]
        gts = [t for t in truth.get(f, ()) if t.group]
        care = [t for t in gts if not t.ignore]
        ign = [t for t in gts if t.ignore]
        near_ign = (iou_matrix([p.box for p in preds], [t.box for t in ign]).max(axis=1) >= IGNORE_MIN_BEV_IOU
                    if preds and ign else np.zeros(len(preds), dtype=bool))
        pairs = _pairs(preds, care)
        paired_tracks |= {preds[r].track_id for r, _ in pairs}
        per_frame.append((yaws.get(f), preds, care, near_ign, pairs))
    cost = TrackCost()
    hand: dict[str, Box] = {}
    carried: dict[str, Box] = {}
    fixed_class: set[tuple[str, str]] = set()
    deleted: set[str] = set()
    sized: dict[str, np.ndarray | None] = {}  # predicted track -> the size given to it (None: left)
    for yaw, preds, care, near_ign, pairs in per_frame:
        for t in care:  # by hand
            n, created = _carry(hand, t.track_id, t.box, default_size(t.category), yaw)
            cost.manual += n
            cost.manual_creates += int(created)
            hand[t.track_id] = t.box
        paired_p = {r: c for r, c in pairs}
        paired_t = {c for _, c in pairs}
        for r, c in pairs:
            p, t = preds[r], care[c]
            box = p.box if sized.get(p.track_id) is None else p.box.with_size(sized[p.track_id])
            own = fix_actions(box, t.box, GOOD_IOU)
            if size_fix and own and p.track_id not in sized:
                resized = fix_actions(p.box.with_size(t.box.size_lwh_m), t.box, GOOD_IOU)
                sized[p.track_id] = t.box.size_lwh_m if resized < own else None
                if resized < own:
                    cost.size_fixes += 1
                    own = resized
            alt = fix_actions(carried[t.track_id], t.box, GOOD_IOU) + 1 if t.track_id in carried else own + 1
            cost.nudges += own if own <= alt else alt - 1
            cost.box_deletes += int(alt < own)  # the auto box goes, the carried one stays
            if p.category != t.category and (p.track_id, t.category) not in fixed_class:
                fixed_class.add((p.track_id, t.category))
                cost.class_fixes += 1
        for r, p in enumerate(preds):
            if r in paired_p or near_ign[r]:
                continue
            if p.track_id not in paired_tracks:
                if p.track_id not in deleted:
                    deleted.add(p.track_id)
                    cost.track_deletes += 1
            else:
                cost.box_deletes += 1
        for c, t in enumerate(care):
            if c not in paired_t:
                n, created = _carry(carried, t.track_id, t.box, default_size(t.category), yaw)
                cost.nudges += 0 if created else n
                cost.creates += int(created)
                cost.create_actions += n if created else 0
            carried[t.track_id] = t.box
    return cost
