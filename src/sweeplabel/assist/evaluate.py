"""The evaluation protocol: predicted boxes against the truth, per class group and frame.

* Class groups (``GROUPS``): vehicles (car, van, truck, bus, trailer, police car, ambulance),
  pedestrians (adult, child, police officer, construction worker, sitting) and cyclists and
  riders (cyclist, bicycle, motorcycle); a category of another schema joins a group through
  its KITTI type (Car/Van/Truck, Pedestrian/Person_sitting, Cyclist). Other classes are not
  evaluated.
* Each group is evaluated at two criteria, each its own Hungarian assignment per frame
  (``scipy.optimize.linear_sum_assignment`` on the IoU): BEV IoU >= 0.5 and 3D IoU >= 0.7
  for vehicles, BEV IoU >= 0.5 and 3D IoU >= 0.3 for the others.
* Ignore regions: a truth box flagged ``ignore`` (fewer than 5 LiDAR points, outside the
  labelled view) is neither a hit nor a miss, and a prediction matching one at the
  criterion is not counted; a prediction flagged ``ignore`` (outside the labelled view, in
  a KITTI DontCare region) is not counted either. ``assist.eval_input`` sets the flags.
* Figures: TP/FP/FN, precision and recall of all predictions and at the score threshold
  with the best F1, average precision over the confidence (``score``; all-point
  interpolated area under the precision/recall curve, one assignment per frame), mean BEV
  and 3D IoU of the matches, id switches (a truth track matched to another predicted
  track than the last time) and MOTA = 1 - (FN + FP + IDSW) / truth boxes.
* Correction cost (``CorrectionCost``): the fewest actions of the scripted annotator
  (``assist.correction``) that turn the predictions of a frame into its truth, over the
  three groups: delete a false box (1), create a missed one (a placement + nudges), fix a
  box (nudges to 3D IoU >= 0.7), fix a class (1); boxes are paired across classes by a
  Hungarian assignment minimising the actions. ``manual`` is the cost of drawing every
  truth box from nothing, frame by frame (no copying between frames).
* ``track_cost`` counts the same actions track by track, as a person works through a
  sequence (a box carried to the next frame, one delete per false track, one class fix per
  track; ``assist.track_cost``), against labelling every track by hand the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from ..model import Box, LabelSchema
from .correction import GOOD_IOU, create_actions, fix_actions
from .iou import iou_matrix
from .track_cost import TrackCost, track_correction_cost


@dataclass(frozen=True)
class ClassGroup:
    """A class group, its categories and its two match thresholds."""

    name: str
    categories: tuple[str, ...]
    kitti_types: tuple[str, ...]
    min_bev_iou: float
    min_iou_3d: float


GROUPS: tuple[ClassGroup, ...] = (
    ClassGroup("vehicles", ("vehicle.car", "vehicle.van", "vehicle.truck", "vehicle.bus.rigid",
                            "vehicle.bus.bendy", "vehicle.trailer", "vehicle.emergency.police",
                            "vehicle.emergency.ambulance"), ("Car", "Van", "Truck"), 0.5, 0.7),
    ClassGroup("pedestrians", ("human.pedestrian.adult", "human.pedestrian.child",
                               "human.pedestrian.police_officer", "human.pedestrian.construction_worker",
                               "human.pedestrian.sitting"), ("Pedestrian", "Person_sitting"), 0.5, 0.3),
    ClassGroup("cyclists", ("vehicle.cyclist", "vehicle.bicycle", "vehicle.motorcycle"), ("Cyclist",), 0.5, 0.3),
)
COST_MIN_BEV_IOU = 0.01  # a prediction overlapping an ignore region this much needs no deletion


def group_of(category: str, schema: LabelSchema | None = None,
             groups: Sequence[ClassGroup] = GROUPS) -> str | None:
    """The group of a category: by name, else through the schema's KITTI type."""
    for g in groups:
        if category in g.categories:
            return g.name
    if schema is not None and schema.has_category(category):
        kitti = schema.category(category).kitti_type
        for g in groups:
            if kitti in g.kitti_types:
                return g.name
    return None


@dataclass(frozen=True)
class EvalBox:
    """One box as evaluated: world frame, its track id, class, confidence, ignore flag."""

    track_id: str
    box: Box
    category: str
    score: float = 1.0
    ignore: bool = False
    group: str | None = None


FrameBoxes = Mapping[int, Sequence[EvalBox]]


# -- per group and criterion ------------------------------------------------------------------
@dataclass
class GroupResult:
    """Detection and tracking figures of one group at one criterion."""

    group: str
    kind: str  # "bev" or "3d"
    min_iou: float
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    ignored_predictions: int = 0
    id_switches: int = 0
    bev_ious: list[float] = field(default_factory=list)
    ious_3d: list[float] = field(default_factory=list)
    scored: list[tuple[float, bool]] = field(default_factory=list)  # (score, is a hit) per counted prediction

    @property
    def num_truth(self) -> int:
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        n = self.true_positives + self.false_positives
        return self.true_positives / n if n else 0.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.num_truth if self.num_truth else 0.0

    @property
    def mota(self) -> float:
        if not self.num_truth:
            return 0.0
        return 1.0 - (self.false_negatives + self.false_positives + self.id_switches) / self.num_truth

    @property
    def mean_bev_iou(self) -> float:
        return float(np.mean(self.bev_ious)) if self.bev_ious else 0.0

    @property
    def mean_iou_3d(self) -> float:
        return float(np.mean(self.ious_3d)) if self.ious_3d else 0.0

    def _curve(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(score, precision, recall) after each prediction, best score first."""
        if not self.scored:
            return np.zeros(0), np.zeros(0), np.zeros(0)
        order = sorted(self.scored, key=lambda s: -s[0])
        scores = np.array([s for s, _ in order])
        hits = np.cumsum([h for _, h in order])
        n = np.arange(1, len(order) + 1)
        return scores, hits / n, hits / max(self.num_truth, 1)

    @property
    def average_precision(self) -> float:
        """Area under the precision/recall curve (precision made monotone, all points)."""
        _, prec, rec = self._curve()
        if not len(prec) or not self.num_truth:
            return 0.0
        envelope = np.maximum.accumulate(prec[::-1])[::-1]
        steps = np.diff(np.concatenate([[0.0], rec]))
        return float(np.sum(steps * envelope))

    def best_threshold(self) -> tuple[float, float, float]:
        """(score threshold, precision, recall) with the best F1 (keep predictions >= threshold)."""
        scores, prec, rec = self._curve()
        if not len(scores):
            return 1.0, 0.0, 0.0
        last = np.r_[scores[1:] != scores[:-1], True]  # cut only between different scores
        f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
        f1 = np.where(last, f1, -1.0)
        k = int(np.argmax(f1))
        return float(scores[k]), float(prec[k]), float(rec[k])

    def as_dict(self) -> dict[str, float | int | str]:
        thr, p, r = self.best_threshold()
        return {"group": self.group, "criterion": f"{self.kind}>={self.min_iou}", "precision": self.precision,
                "recall": self.recall, "average_precision": self.average_precision, "best_score_threshold": thr,
                "best_precision": p, "best_recall": r, "mean_bev_iou": self.mean_bev_iou,
                "mean_iou_3d": self.mean_iou_3d, "tp": self.true_positives, "fp": self.false_positives,
                "fn": self.false_negatives, "ignored_predictions": self.ignored_predictions,
                "id_switches": self.id_switches, "mota": self.mota}


def _hungarian(iou: np.ndarray, min_iou: float) -> list[tuple[int, int]]:
    if not iou.size:
        return []
    rows, cols = linear_sum_assignment(-iou)
    return [(int(r), int(c)) for r, c in zip(rows, cols) if iou[r, c] >= min_iou]


def _boxes(items: Sequence[EvalBox]) -> np.ndarray:
    return np.array([b.box.to_array() for b in items]).reshape(-1, 7)


def _match_frame(result: GroupResult, preds: list[EvalBox], truth: list[EvalBox],
                 last_match: dict[str, str]) -> None:
    kind, thr = result.kind, result.min_iou
    counted = [p for p in preds if not p.ignore]
    result.ignored_predictions += len(preds) - len(counted)
    care = [t for t in truth if not t.ignore]
    ign = [t for t in truth if t.ignore]
    iou = iou_matrix(_boxes(counted), _boxes(care), kind)
    pairs = _hungarian(iou, thr)
    matched = {r for r, _ in pairs}
    for r, c in pairs:
        p, t = counted[r], care[c]
        result.true_positives += 1
        result.scored.append((p.score, True))
        result.bev_ious.append(float(iou[r, c]) if kind == "bev" else iou_matrix(_boxes([p]), _boxes([t]))[0, 0])
        result.ious_3d.append(float(iou[r, c]) if kind == "3d" else iou_matrix(_boxes([p]), _boxes([t]), "3d")[0, 0])
        if t.track_id in last_match and last_match[t.track_id] != p.track_id:
            result.id_switches += 1
        last_match[t.track_id] = p.track_id
    result.false_negatives += len(care) - len(pairs)
    rest = [p for i, p in enumerate(counted) if i not in matched]
    if rest and ign:
        on_ignore = iou_matrix(_boxes(rest), _boxes(ign), kind).max(axis=1) >= thr
        result.ignored_predictions += int(on_ignore.sum())
        rest = [p for p, hit in zip(rest, on_ignore) if not hit]
    result.false_positives += len(rest)
    result.scored.extend((p.score, False) for p in rest)


def evaluate_group(predicted: FrameBoxes, truth: FrameBoxes, group: str, kind: str, min_iou: float) -> GroupResult:
    """One group at one criterion over all frames (boxes must carry their ``group``)."""
    result = GroupResult(group, kind, min_iou)
    last_match: dict[str, str] = {}
    for f in sorted(set(predicted) | set(truth)):
        preds = [b for b in predicted.get(f, ()) if b.group == group]
        gts = [b for b in truth.get(f, ()) if b.group == group]
        _match_frame(result, preds, gts, last_match)
    return result


# -- correction cost ---------------------------------------------------------------------------
@dataclass
class CorrectionCost:
    """Actions that turn the predictions into the truth (see the module docstring)."""

    deletes: int = 0
    creates: int = 0
    create_actions: int = 0
    fixed_boxes: int = 0
    fix_actions: int = 0
    class_fixes: int = 0
    kept_good: int = 0
    manual: int = 0

    @property
    def total(self) -> int:
        return self.deletes + self.create_actions + self.fix_actions + self.class_fixes

    @property
    def ratio(self) -> float:
        """How many times fewer actions than drawing every box by hand."""
        return self.manual / self.total if self.total else float("inf")

    def as_dict(self) -> dict[str, float | int]:
        return {"total": self.total, "deletes": self.deletes, "creates": self.creates,
                "create_actions": self.create_actions, "fixed_boxes": self.fixed_boxes,
                "fix_actions": self.fix_actions, "class_fixes": self.class_fixes, "kept_good": self.kept_good,
                "manual": self.manual, "ratio": self.ratio if self.total else None}


def _frame_cost(cost: CorrectionCost, preds: list[EvalBox], truth: list[EvalBox],
                default_size: Callable[[str], np.ndarray], place_yaw_rad: float | None = None) -> None:
    care = [t for t in truth if not t.ignore]
    counted = [p for p in preds if not p.ignore]
    ign = [t for t in truth if t.ignore]
    create = np.array([create_actions(t.box, default_size(t.category), yaw_rad=place_yaw_rad) for t in care],
                      dtype=float)
    cost.manual += int(create.sum())
    delete = np.ones(len(counted))
    if counted and ign:
        delete[iou_matrix(_boxes(counted), _boxes(ign)).max(axis=1) >= COST_MIN_BEV_IOU] = 0.0
    saving = np.zeros((len(counted), len(care)))
    fixes: dict[tuple[int, int], tuple[int, int]] = {}
    overlap = iou_matrix(_boxes(counted), _boxes(care))
    for i, j in zip(*np.nonzero(overlap > 0)):
        n_fix = fix_actions(counted[i].box, care[j].box, GOOD_IOU)
        n_class = int(counted[i].category != care[j].category)
        fixes[(i, j)] = (n_fix, n_class)
        saving[i, j] = min(0.0, n_fix + n_class - delete[i] - create[j])
    pairs = [(r, c) for r, c in _hungarian(-saving, 1e-9)] if saving.size else []
    paired_p, paired_t = {r for r, _ in pairs}, {c for _, c in pairs}
    for r, c in pairs:
        n_fix, n_class = fixes[(r, c)]
        cost.fixed_boxes += int(n_fix > 0)
        cost.kept_good += int(n_fix == 0 and n_class == 0)
        cost.fix_actions += n_fix
        cost.class_fixes += n_class
    cost.deletes += int(sum(delete[i] for i in range(len(counted)) if i not in paired_p))
    missed = [j for j in range(len(care)) if j not in paired_t]
    cost.creates += len(missed)
    cost.create_actions += int(sum(create[j] for j in missed))


# -- the whole protocol ----------------------------------------------------------------------
@dataclass
class Evaluation:
    """Per-group results at each criterion, and the correction cost."""

    results: list[GroupResult]
    cost: CorrectionCost
    frames: int
    notes: list[str] = field(default_factory=list)
    track_cost: TrackCost | None = None  # the track-by-track count (``assist.track_cost``)

    def result(self, group: str, kind: str) -> GroupResult:
        return next(r for r in self.results if r.group == group and r.kind == kind)

    def as_dict(self) -> dict:
        return {"frames": self.frames, "groups": [r.as_dict() for r in self.results],
                "correction_cost": self.cost.as_dict(), "notes": list(self.notes),
                "track_correction_cost": self.track_cost.as_dict() if self.track_cost else None}

    def format_text(self) -> str:
        head = (f"{'group':12s} {'match':>8s} {'prec':>6s} {'recall':>6s} {'AP':>6s} {'best@':>6s} {'P':>6s}"
                f" {'R':>6s} {'BEV':>6s} {'3D':>6s} {'TP':>5s} {'FP':>5s} {'FN':>5s} {'ign':>4s} {'IDsw':>4s}"
                f" {'MOTA':>6s}")
        lines = [f"{self.frames} frames", head]
        for r in self.results:
            thr, p, rec = r.best_threshold()
            lines.append(f"{r.group:12s} {r.kind + '>=' + format(r.min_iou, 'g'):>8s} {r.precision:6.3f} "
                         f"{r.recall:6.3f} {r.average_precision:6.3f} {thr:6.2f} {p:6.3f} {rec:6.3f} "
                         f"{r.mean_bev_iou:6.3f} {r.mean_iou_3d:6.3f} {r.true_positives:5d} {r.false_positives:5d} "
                         f"{r.false_negatives:5d} {r.ignored_predictions:4d} {r.id_switches:4d} {r.mota:6.3f}")
        c = self.cost
        lines.append(f"correction: {c.total} actions ({c.deletes} deletes, {c.creates} creates = "
                     f"{c.create_actions} actions, {c.fixed_boxes} boxes fixed = {c.fix_actions} nudges, "
                     f"{c.class_fixes} class fixes, {c.kept_good} kept as they are); by hand {c.manual}"
                     + (f" -> {c.ratio:.2f}x fewer" if c.total else " -> nothing to correct"))
        if self.track_cost is not None:
            lines.append(self.track_cost.format_text())
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _with_groups(frames: FrameBoxes, schema: LabelSchema | None, groups: Sequence[ClassGroup]) -> dict[int, list[EvalBox]]:
    out: dict[int, list[EvalBox]] = {}
    for f, items in frames.items():
        out[f] = [b if b.group is not None else
                  EvalBox(b.track_id, b.box, b.category, b.score, b.ignore, group_of(b.category, schema, groups))
                  for b in items]
    return out


def evaluate_frames(predicted: FrameBoxes, truth: FrameBoxes, schema: LabelSchema | None = None,
                    groups: Sequence[ClassGroup] = GROUPS,
                    default_size: Callable[[str], np.ndarray] | None = None,
                    notes: Iterable[str] = (), place_yaw_rad: Mapping[int, float] | None = None) -> Evaluation:
    """Run the protocol over frames of predicted and truth boxes (world frame).
    ``place_yaw_rad``: per frame, the heading a placed box gets (the ego's, as the app's
    Place tool); None: the truth's heading (a placement needs no yaw fix)."""
    pred, gt = _with_groups(predicted, schema, groups), _with_groups(truth, schema, groups)
    results = []
    for g in groups:
        results.append(evaluate_group(pred, gt, g.name, "bev", g.min_bev_iou))
        results.append(evaluate_group(pred, gt, g.name, "3d", g.min_iou_3d))
    if default_size is None:
        if schema is None:
            from ..model import default_schema
            schema = default_schema()
        sizes = schema

        def default_size(category: str) -> np.ndarray:
            name = category if sizes.has_category(category) else sizes.default_category
            return np.array(sizes.category(name).default_size_lwh_m)
    cost = CorrectionCost()
    frames = sorted(set(pred) | set(gt))
    for f in frames:
        _frame_cost(cost, [b for b in pred.get(f, ()) if b.group], [b for b in gt.get(f, ()) if b.group], default_size,
                    None if place_yaw_rad is None else place_yaw_rad.get(f))
    track_cost = track_correction_cost(pred, gt, default_size, place_yaw_rad)
    return Evaluation(results, cost, len(frames), list(notes), track_cost)
