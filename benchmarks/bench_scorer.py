"""Scored pre-annotation on the real recordings (then synthetic): per class group, matching
per frame at BEV IoU 0.5 (Hungarian); truth boxes with fewer than 5 points are ignore
regions; for KITTI only the camera's field of view counts (auto boxes outside it are
dropped, KITTI labels nothing there). False auto boxes per frame, seconds per sweep.

Usage: python benchmarks/bench_scorer.py [--rules] [--min-score S] [--sets kitti_tracking kitti_object ...]"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_assist import DATA, in_camera_view, machine, point_counts  # noqa: E402

from sweeplabel.assist.metrics import LabeledBox, evaluate  # noqa: E402
from sweeplabel.assist.preannotate import PreannotateParams, preannotate_sequence  # noqa: E402
from sweeplabel.assist.scorer import group_of  # noqa: E402
from sweeplabel.io import read_sequence  # noqa: E402

SETS = {
    "kitti_tracking": ("KITTI tracking 0000, 8 frames (camera view)", "kitti_tracking_0000", True),
    "kitti_object": ("KITTI object 000000-000002, independent frames (camera view)", "kitti_object", True),
    "av2": ("Argoverse 2 sensor sample, 2 sweeps (360 deg)", "av2_sensor_sample", False),
    "sustech": ("SUSTechPOINTS, 3 scans (labels not exhaustive)", "sustech_points_example", False),
    "nuscenes": ("nuScenes LIDAR_TOP keyframe, 1 sweep", "nuscenes_mmdet3d_demo", False),
}
GROUPS = ("vehicle", "pedestrian", "cyclist")


def truth_of(loaded, min_points: int = 5):
    counts = point_counts(loaded)
    cat = {t.token: t.category for t in loaded.tracks}
    truth, ignore = defaultdict(list), defaultdict(list)
    for a in loaded.annotations:
        g = group_of(cat[a.track_token])
        if g == "background":
            continue
        (truth if counts[a.token] >= min_points else ignore)[a.frame_index].append(LabeledBox(a.track_token, a.box, g))
    return truth, ignore


def scores(loaded, auto, camera: bool, min_iou: float = 0.5):
    truth, ignore = truth_of(loaded)
    if camera:
        auto = in_camera_view(loaded, auto)
    pred = defaultdict(list)
    for k, t in enumerate(auto):
        for f, b in t.boxes.items():
            pred[f].append(LabeledBox(str(k), b, group_of(t.category)))
    out = {}
    for g in GROUPS:
        sel = lambda d: {f: [x for x in v if x.category == g] for f, v in d.items()}  # noqa: E731
        out[g] = evaluate(sel(pred), sel(truth), min_iou, sel(ignore))
    # false boxes of any group: predictions matching no truth box of any group
    every = evaluate(pred, truth, min_iou, ignore)
    frames = len(loaded.sequence)
    return out, every.false_positives / max(frames, 1)


def run_set(key: str, params: PreannotateParams, sweep: list[float] | None = None) -> None:
    title, folder, camera = SETS[key]
    path = DATA / folder
    if not path.exists():
        print(f"\n{title}: not found at {path}: skipped")
        return
    try:
        loaded = read_sequence(path)
    except Exception as exc:  # noqa: BLE001 - a set this branch cannot read yet (AV2)
        print(f"\n{title}: cannot read ({type(exc).__name__}: {exc}): skipped")
        return
    start = time.perf_counter()
    auto = preannotate_sequence(loaded.sequence, params)
    seconds = (time.perf_counter() - start) / len(loaded.sequence)
    groups, fp_per_frame = scores(loaded, auto, camera)
    print(f"\n{title}: {seconds:.2f} s/sweep, {fp_per_frame:.1f} false auto boxes/frame")
    print("  group        truth  recall  precision  mean BEV IoU")
    for g, r in groups.items():
        n = r.true_positives + r.false_negatives
        print(f"  {g:<11} {n:6d}  {r.recall:6.2f}  {r.precision:9.2f}  {r.mean_bev_iou:8.2f}")
    if sweep and auto and auto[0].score is not None:
        print("  by threshold: " + "  ".join(f"{g[:3]} R/P" for g in GROUPS) + "  false/frame")
        for thr in sweep:
            kept = [t for t in auto if t.score >= thr]
            gr, fpf = scores(loaded, kept, camera)
            cells = "  ".join(f"{gr[g].recall:.2f}/{gr[g].precision:.2f}" for g in GROUPS)
            print(f"  >= {thr:.2f}     {cells}  {fpf:5.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", action="store_true", help="the old size rules (no scorer)")
    ap.add_argument("--min-score", type=float, default=None)
    ap.add_argument("--model", default=None, help="a scorer model file (default: the shipped one)")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--sweep", type=float, nargs="*", default=None,
                    help="also report each score threshold (run with a low --min-score)")
    args = ap.parse_args()
    params = PreannotateParams(use_scorer=not args.rules, scorer_path=args.model)
    if args.min_score is not None:
        params = PreannotateParams(use_scorer=not args.rules, scorer_path=args.model, min_score=args.min_score)
    print(f"bench_scorer on {machine()}; {'size rules' if args.rules else 'scorer'}, min score {params.min_score}")
    for key in args.sets:
        run_set(key, params, args.sweep)


if __name__ == "__main__":
    main()
