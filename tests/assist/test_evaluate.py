"""The evaluation protocol on hand-made cases, and the one IoU against an independent computation."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.spatial import ConvexHull, HalfspaceIntersection

from sweeplabel.assist.checks.bev import bev_iou as checks_bev_iou
from sweeplabel.assist.eval_input import prepare, prepare_project
from sweeplabel.assist.evaluate import EvalBox, evaluate_frames
from sweeplabel.assist.iou import bev_iou, iou_3d
from sweeplabel.assist.metrics import bev_iou as metrics_bev_iou
from sweeplabel.io.kitti import default_calib, project_to_image
from sweeplabel.model import Annotation, Box, Frame, Project, Sequence, Source, Track

CAR = Box([10.0, 0.0, -0.9], [4.0, 2.0, 1.6], 0.0)


# -- the one IoU ---------------------------------------------------------------------------
def _halfspaces(box: Box) -> np.ndarray:
    """The footprint as 4 half-planes n.x + d <= 0 (an independent description of the box)."""
    c, s = math.cos(box.yaw_rad), math.sin(box.yaw_rad)
    u, v = np.array([c, s]), np.array([-s, c])
    half_l, half_w = box.size_lwh_m[:2] / 2
    centre = box.center_m[:2]
    rows = []
    for n, h in ((u, half_l), (-u, half_l), (v, half_w), (-v, half_w)):
        rows.append([*n, -(n @ centre) - h])
    return np.array(rows)


def _scipy_bev_iou(a: Box, b: Box) -> float:
    """BEV IoU by scipy's half-space intersection (Qhull) and convex hull area."""
    halfspaces = np.vstack([_halfspaces(a), _halfspaces(b)])
    inner = 0.5 * (a.center_m[:2] + b.center_m[:2])
    if not (halfspaces[:, :2] @ inner + halfspaces[:, 2] < -1e-9).all():
        return float("nan")  # no interior point known: skip this pair
    inter = ConvexHull(HalfspaceIntersection(halfspaces, inner).intersections).volume
    return inter / (a.size_lwh_m[0] * a.size_lwh_m[1] + b.size_lwh_m[0] * b.size_lwh_m[1] - inter)


def test_iou_hand_computed():
    rotated = CAR.rotated(math.pi / 2)  # 4x2 and 2x4 on one centre: overlap 2x2 = 4, union 12
    assert bev_iou(CAR, rotated) == pytest.approx(1 / 3)
    assert iou_3d(CAR, rotated) == pytest.approx(1 / 3)
    square = Box([0, 0, 0], [2, 2, 1], 0.0)
    octagon = 8 * (math.sqrt(2) - 1)  # 2x2 square and itself turned 45 degrees
    assert bev_iou(square, square.rotated(math.pi / 4)) == pytest.approx(octagon / (8 - octagon))
    assert iou_3d(CAR, CAR.translated([0, 0, 0.8])) == pytest.approx(0.8 / 2.4)  # half the height shared
    assert bev_iou(CAR, CAR.translated([1.0, 0, 0])) == pytest.approx(6 / 10)
    assert bev_iou(CAR, CAR.translated([10.0, 0, 0])) == 0.0


def test_iou_matches_scipy_halfspaces():
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(300):
        a = Box([*rng.uniform(-2, 2, 2), 0], [*rng.uniform(0.5, 5, 2), 1], rng.uniform(-math.pi, math.pi))
        b = Box([*rng.uniform(-2, 2, 2), 0], [*rng.uniform(0.5, 5, 2), 1], rng.uniform(-math.pi, math.pi))
        expected = _scipy_bev_iou(a, b)
        if math.isnan(expected):
            continue
        assert bev_iou(a, b) == pytest.approx(expected, abs=1e-9)
        checked += 1
    assert checked > 100


def test_one_iou_for_metrics_and_checks():
    a, b = CAR, CAR.rotated(0.3).translated([0.5, 0.2, 0])
    assert metrics_bev_iou(a, b) == bev_iou(a, b) == checks_bev_iou(a.to_array(), b.to_array())


# -- the protocol on hand-made frames -------------------------------------------------------
def _box(track: str, box: Box, category: str = "vehicle.car", score: float = 1.0, ignore: bool = False):
    return EvalBox(track, box, category, score, ignore)


def test_exact_match():
    ev = evaluate_frames({0: [_box("p", CAR)]}, {0: [_box("t", CAR)]})
    for kind in ("bev", "3d"):
        r = ev.result("vehicles", kind)
        assert (r.true_positives, r.false_positives, r.false_negatives) == (1, 0, 0)
        assert r.precision == r.recall == r.average_precision == r.mota == 1.0
        assert r.mean_bev_iou == r.mean_iou_3d == pytest.approx(1.0)
    assert ev.cost.total == 0 and ev.cost.kept_good == 1 and ev.cost.manual >= 1


def test_box_turned_90_degrees_is_no_match_but_one_yaw_fix():
    ev = evaluate_frames({0: [_box("p", CAR.rotated(math.pi / 2))]}, {0: [_box("t", CAR)]})
    r = ev.result("vehicles", "bev")
    assert (r.true_positives, r.false_positives, r.false_negatives) == (0, 1, 1)
    assert r.precision == r.recall == 0.0
    assert ev.cost.total == 1 and ev.cost.fix_actions == 1 and ev.cost.deletes == 0  # one yaw nudge


def test_vehicle_3d_threshold_is_stricter_than_bev():
    lifted = CAR.translated([0.6, 0, 0.3])  # BEV IoU 6.8/9.2 = 0.74, 3D IoU 8.84/16.76 = 0.53
    ev = evaluate_frames({0: [_box("p", lifted)]}, {0: [_box("t", CAR)]})
    assert bev_iou(lifted, CAR) == pytest.approx(6.8 / 9.2)
    assert iou_3d(lifted, CAR) == pytest.approx(8.84 / 16.76)
    assert ev.result("vehicles", "bev").true_positives == 1
    assert ev.result("vehicles", "3d").true_positives == 0


def test_class_fix_and_false_box_cost():
    preds = {0: [_box("p", CAR, "vehicle.van"), _box("q", CAR.translated([0, 30, 0]))]}
    ev = evaluate_frames(preds, {0: [_box("t", CAR)]})
    assert ev.result("vehicles", "bev").true_positives == 1  # van and car are both vehicles
    assert ev.result("vehicles", "bev").false_positives == 1
    assert (ev.cost.class_fixes, ev.cost.deletes, ev.cost.total) == (1, 1, 2)


def test_scores_give_average_precision_and_best_threshold():
    far = [_box(f"f{k}", CAR.translated([0, 10 * (k + 1), 0]), score=0.2) for k in range(3)]
    ev = evaluate_frames({0: [_box("p", CAR, score=0.9), *far]}, {0: [_box("t", CAR)]})
    r = ev.result("vehicles", "bev")
    assert r.precision == pytest.approx(0.25)
    assert r.average_precision == pytest.approx(1.0)
    assert r.best_threshold() == (pytest.approx(0.9), 1.0, 1.0)


def test_id_switch_and_mota():
    truth = {f: [_box("t", CAR.translated([f, 0, 0]))] for f in range(3)}
    preds = {f: [_box("a" if f < 2 else "b", CAR.translated([f, 0, 0]))] for f in range(3)}
    r = evaluate_frames(preds, truth).result("vehicles", "bev")
    assert r.id_switches == 1
    assert r.mota == pytest.approx(1 - 1 / 3)


# -- ignore regions from frames (point counts, KITTI view, DontCare) ---------------------------
def _frame(points: np.ndarray | None = None, kitti: bool = False, dontcare=()) -> Frame:
    pts = np.zeros((0, 4), np.float32) if points is None else points.astype(np.float32)
    meta = {}
    if kitti:
        meta = {"kitti_calib": default_calib().to_meta(),
                "kitti_dontcare": [{"line": 0, "fields": ["-1", "-1", "-10", *map(str, r), "-1", "-1", "-1",
                                                          "-1000", "-1000", "-1000", "-10"]} for r in dontcare]}
    return Frame(0, 0.0, loader=lambda: pts, meta=meta)


def _run(frame: Frame, preds: list[tuple[Box, str]], truth: list[tuple[Box, str]]):
    tracks = {"P": Track("P", "vehicle.car", 1), "T": Track("T", "vehicle.car", 2)}
    p = [Annotation(f"p{k}", "P", 0, b, source=Source.AUTO) for k, (b, _) in enumerate(preds)]
    t = [Annotation(f"t{k}", "T", 0, b, attributes=({"num_points": int(n)} if n else {}))
         for k, (b, n) in enumerate(truth)]
    data = prepare([frame], p, tracks, t, tracks)
    return evaluate_frames(data.predicted, data.truth).result("vehicles", "bev"), data


def _dense_points(box: Box, n: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    local = rng.uniform(-0.45, 0.45, (n, 3)) * box.size_lwh_m
    return np.c_[local + box.center_m, np.zeros(n)]


def test_truth_box_with_three_points_is_an_ignore_region():
    points = _dense_points(CAR, 3)
    r, data = _run(_frame(points), [(CAR, "")], [(CAR, "")])  # counted in the frame: 3 points
    assert data.truth[0][0].ignore
    assert (r.true_positives, r.false_positives, r.false_negatives, r.ignored_predictions) == (0, 0, 0, 1)
    r, _ = _run(_frame(_dense_points(CAR, 40)), [(CAR, "")], [(CAR, "")])
    assert r.true_positives == 1


def test_kitti_dontcare_region_ignores_a_prediction():
    ghost = CAR.translated([5, 3, 0])
    uv, _ = project_to_image(ghost.center_m[None], default_calib())
    u, v = uv[0]
    frame = _frame(_dense_points(CAR, 50), kitti=True, dontcare=[(u - 20, v - 10, u + 20, v + 10)])
    r, _ = _run(frame, [(CAR, ""), (ghost, "")], [(CAR, "")])
    assert (r.true_positives, r.false_positives, r.ignored_predictions) == (1, 0, 1)
    r, _ = _run(_frame(_dense_points(CAR, 50), kitti=True), [(CAR, ""), (ghost, "")], [(CAR, "")])
    assert r.false_positives == 1  # without the DontCare line it is a false box


def test_boxes_outside_the_kitti_camera_view_are_ignored_on_both_sides():
    behind = CAR.translated([-20, 0, 0])  # behind the car: outside image 2
    side = Box([5.0, 15.0, -0.9], [4, 2, 1.6], 0.0)  # ahead, 72 degrees left: outside the field of view
    frame = _frame(np.r_[_dense_points(CAR, 50), _dense_points(behind, 50)], kitti=True)
    r, data = _run(frame, [(CAR, ""), (side, "")], [(CAR, ""), (behind, "")])
    assert [b.ignore for b in data.truth[0]] == [False, True]
    assert [b.ignore for b in data.predicted[0]] == [False, True]
    assert (r.true_positives, r.false_positives, r.false_negatives) == (1, 0, 0)
    r, _ = _run(_frame(frame.load_points()), [(CAR, ""), (side, "")], [(CAR, ""), (behind, "")])
    assert (r.false_positives, r.false_negatives) == (1, 1)  # all around (no calibration): counted


def test_one_project_auto_against_people():
    seq = Sequence("s", [Frame(0, 0.0, loader=lambda: _dense_points(CAR, 60).astype(np.float32))])
    project = Project(seq)
    tracks = [Track("A", "vehicle.car", 1, score=0.8), Track("M", "vehicle.car", 2)]
    anns = [Annotation("a", "A", 0, CAR.translated([0.2, 0, 0]), source=Source.AUTO),
            Annotation("m", "M", 0, CAR, source=Source.MANUAL)]
    project.load(tracks, anns)
    data = prepare_project(project)
    assert [b.track_id for b in data.predicted[0]] == ["A"] and data.predicted[0][0].score == 0.8
    assert [b.track_id for b in data.truth[0]] == ["M"]
    r = evaluate_frames(data.predicted, data.truth).result("vehicles", "3d")
    assert r.true_positives == 1


def test_cli_evaluate_json(shared_data, capsys):
    from sweeplabel.cli import main

    root = shared_data / "kitti_object"
    assert main(["evaluate", str(root), str(root), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    vehicles = next(g for g in out["groups"] if g["group"] == "vehicles" and g["criterion"] == "3d>=0.7")
    assert vehicles["precision"] == vehicles["recall"] == 1.0 and vehicles["tp"] >= 1
    assert out["correction_cost"]["total"] == 0


def test_cli_evaluate_one_project_file(shared_data, tmp_path, capsys):
    """A project file alone: its auto boxes against the boxes people made (here: the imported labels)."""
    from sweeplabel.cli import main
    from sweeplabel.io import open_project
    from sweeplabel.model import commands as cmd

    project_file = tmp_path / "object.sweeplabel"
    opened = open_project(shared_data / "kitti_object", project_file)
    try:
        project = opened.project
        car = next(a for a in project.annotations.values()
                   if project.track(a.track_token).category == "vehicle.car")
        project.execute(cmd.create_track(project, "vehicle.car", car.frame_index, car.box, source=Source.AUTO))
        far = car.box.translated([0.0, 40.0, 0.0])  # left of the camera's view: ignored
        project.execute(cmd.create_track(project, "vehicle.car", car.frame_index, far, source=Source.AUTO))
    finally:
        opened.close()
    assert main(["evaluate", str(project_file), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    vehicles = next(g for g in out["groups"] if g["group"] == "vehicles" and g["criterion"] == "bev>=0.5")
    assert (vehicles["tp"], vehicles["fp"], vehicles["ignored_predictions"]) == (1, 0, 1)
    assert vehicles["fn"] >= 1  # the other labelled vehicles have no auto box
