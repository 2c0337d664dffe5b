"""Per-object assists on the real recordings in ../shared/data: one-click, rectangle, propagation.

1. One-click and rectangle: for every vehicle, pedestrian and cyclist truth box with >= ``--min-points``
   LiDAR points in the labelled frames (KITTI object, KITTI tracking 0000, SUSTechPOINTS, nuScenes
   sample; Argoverse 2 when a reader for it is registered), simulate what an annotator does with
   the truth's class chosen: one click at the centroid of the box's points, one click 0.3 m off it
   (four directions: towards / away from the sensor and both sideways, each counted), and one
   rectangle dragged in bird's-eye view around the box's points (axis-aligned, 0.3 m margin). Report
   the share of boxes with 3D IoU >= 0.5 and >= 0.7 with the truth, per dataset and class group, and
   the median time per call. Points and ground are prepared as the editor does (render frame,
   Patchwork++ ground on the sensor-frame sweep).
2. Propagation: for every labelled track of KITTI tracking 0000 and SUSTechPOINTS, start from the true
   box of its first frame and propagate to its last frame. Wherever the propagated box misses the
   truth (3D IoU < 0.7 for vehicles, < 0.5 for pedestrians and cyclists) or the run stops, a person
   touches that frame: the truth is put there as a keyframe and propagation continues from it.
   Reported: mean 3D IoU per frame (before the touch), centre error, touched frames / frames, the
   frames where a vehicle has >= 20 points separately, and time per propagated frame (the
   frames' points read beforehand, as the editor's frame cache holds them). Argoverse 2 (the
   only set with poses) is propagated too, beyond the issue's two sets.

Usage: PYTHONPATH=src .venv/bin/python benchmarks/bench_per_object.py [--min-points 10] [--only kitti_object]"""

from __future__ import annotations

import argparse
import os
import sys
import math
import platform
import time
from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from sweeplabel.assist.iou import bev_iou, iou_3d
from sweeplabel.assist.object_view import points_about
from sweeplabel.assist.one_click import fit_region, propose_box
from sweeplabel.assist.propagation import plan_propagation
try:
    from sweeplabel.assist.propagation import STOP_ATTRIBUTE
except ImportError:  # older code
    STOP_ATTRIBUTE = "propagation_stop"
from sweeplabel.io import LoadedSequence, read_sequence
from sweeplabel.kernels import points_in_boxes, segment_ground
from sweeplabel.model import Box, Frame, Project, Sequence, Source, commands

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SETS = {
    "kitti_object": "kitti_object/training",
    "kitti_tracking_0000": "kitti_tracking_0000/training",
    "sustech": "sustech_points_example",
    "nuscenes": "nuscenes_mmdet3d_demo",
    "av2": "av2_sensor_sample",
}
PROPAGATION_SETS = ("kitti_tracking_0000", "sustech", "av2")  # av2: beyond the issue, the only set with poses
OFFSET_M = 0.3
RECT_MARGIN_M = 0.3
TOUCH_IOU = {"vehicle": 0.7, "pedestrian": 0.5, "cyclist": 0.5}


def group_of(category: str) -> str | None:
    if category.startswith("human.pedestrian"):
        return "pedestrian"
    if category in ("vehicle.cyclist", "vehicle.bicycle", "vehicle.motorcycle"):
        return "cyclist"
    if category.startswith("vehicle."):
        return "vehicle"
    return None


class FramePoints:
    """A frame as the editor holds it: points about the render origin, Patchwork++ ground, sensor."""

    def __init__(self, frame, origin_m: np.ndarray) -> None:
        raw = frame.load_points()
        self.origin_m = origin_m
        self.xyz = points_about(frame, origin_m, raw)
        self.ground = np.asarray(segment_ground(np.ascontiguousarray(raw[:, :3], dtype=np.float32),
                                                method="patchwork"), dtype=bool)
        self.sensor_m = frame.T_world_sensor[:3, 3] - origin_m

    def inside(self, box_world: Box) -> np.ndarray:
        b = box_world.translated(-self.origin_m)
        return points_in_boxes(self.xyz, b.to_array()[None, :])[0] >= 0


def load(name: str):
    path = DATA / SETS[name]
    if not path.exists():
        return None
    try:
        return read_sequence(path)
    except Exception as exc:  # noqa: BLE001 - a set without a reader is reported and skipped
        print(f"# {name}: skipped ({type(exc).__name__}: {str(exc)[:120]})")
        return None


def offsets(sensor_xy: np.ndarray, centroid_xy: np.ndarray) -> list[np.ndarray]:
    ray = centroid_xy - sensor_xy
    ray = ray / max(float(np.linalg.norm(ray)), 1e-9)
    side = np.array([-ray[1], ray[0]])
    return [-ray * OFFSET_M, ray * OFFSET_M, side * OFFSET_M, -side * OFFSET_M]


def run_one_click(name: str, loaded, min_points: int, rows: dict, times: dict) -> None:
    cats = {t.token: t.category for t in loaded.tracks}
    schema = Project(loaded.sequence).schema
    origin = loaded.sequence.render_origin_m
    by_frame = defaultdict(list)
    for a in loaded.annotations:
        by_frame[a.frame_index].append(a)
    for f, anns in sorted(by_frame.items()):
        fp = FramePoints(loaded.sequence[f], origin)
        for a in anns:
            cat = cats[a.track_token]
            group = group_of(cat)
            if group is None:
                continue
            inside = fp.inside(a.box)
            if int(inside.sum()) < min_points:
                continue
            default = np.asarray(schema.category(cat).default_size_lwh_m)
            truth = a.box.translated(-origin)
            centroid = fp.xyz[inside].mean(axis=0).astype(np.float64)
            key = (name, group)
            for kind, seeds in (("click", [centroid]),
                                ("click_off", [centroid + np.r_[d, 0.0] for d in offsets(fp.sensor_m[:2], centroid[:2])])):
                for seed in seeds:
                    t0 = time.perf_counter()
                    box = propose_box(fp.xyz, seed, default, ground_mask=fp.ground, sensor_xy_m=fp.sensor_m[:2],
                                      **_class_kw(propose_box, cat, schema), **_sensor_z_kw(propose_box, fp))
                    times[kind].append(time.perf_counter() - t0)
                    rows[key][kind].append(iou_3d(box, truth) if box is not None else 0.0)
                    rows[key][kind + "_bev"].append(bev_iou(box, truth) if box is not None else 0.0)
            pts = fp.xyz[inside]
            lo, hi = pts[:, :2].min(axis=0) - RECT_MARGIN_M, pts[:, :2].max(axis=0) + RECT_MARGIN_M
            rect = np.all((fp.xyz[:, :2] >= lo) & (fp.xyz[:, :2] <= hi), axis=1)
            t0 = time.perf_counter()
            box = fit_region(fp.xyz, rect, ground_mask=fp.ground, **_class_kw(fit_region, cat, schema, fp),
                             **_sensor_z_kw(fit_region, fp))
            times["rectangle"].append(time.perf_counter() - t0)
            rows[key]["rectangle"].append(iou_3d(box, truth) if box is not None else 0.0)
            rows[key]["rectangle_bev"].append(bev_iou(box, truth) if box is not None else 0.0)
            rows[key]["n"].append(int(inside.sum()))


def _class_kw(fn, category: str, schema, fp: FramePoints | None = None) -> dict:
    """Class-aware keywords where the function takes them (the same script measures older code)."""
    import inspect
    params = inspect.signature(fn).parameters
    kw = {}
    if "prior" in params:
        from sweeplabel.assist.class_prior import prior_for
        kw["prior"] = prior_for(schema, category)
    if fp is not None and "sensor_xy_m" in params:
        kw["sensor_xy_m"] = fp.sensor_m[:2]
    return kw


def _sensor_z_kw(fn, fp: FramePoints) -> dict:
    """The sensor's height where the function takes it (the same script measures older code)."""
    import inspect
    return {"sensor_z_m": float(fp.sensor_m[2])} if "sensor_z_m" in inspect.signature(fn).parameters else {}


def in_memory(sequence: Sequence) -> Sequence:
    """The sequence with every frame's points read once (as the editor's frame cache holds
    them), so the propagation time is the assist's, not the file reader's."""
    frames = []
    for f in sequence.frames:
        pts = f.load_points()
        frames.append(Frame(f.index, f.timestamp_s, f.T_world_sensor, lambda pts=pts: pts, f.source_path, f.meta))
    return Sequence(sequence.name, frames, sequence.root, sequence.format, sequence.meta)


def run_propagation(name: str, loaded, rows: list, times: list, from_files: bool = False) -> None:
    if not from_files:  # the assist's time, not the file reader's
        loaded = LoadedSequence(in_memory(loaded.sequence), loaded.tracks, loaded.annotations, loaded.warnings)
    cats = {t.token: t.category for t in loaded.tracks}
    truth_of = defaultdict(dict)
    for a in loaded.annotations:
        truth_of[a.track_token][a.frame_index] = a.box
    cache: dict[int, FramePoints] = {}
    origin = loaded.sequence.render_origin_m
    for track in loaded.tracks:
        group = group_of(cats[track.token])
        truth = truth_of[track.token]
        if group is None or len(truth) < 2:
            continue
        frames = sorted(truth)
        project = Project(loaded.sequence)
        project.execute(commands.create_track(project, track.category, frames[0], truth[frames[0]]))
        token = next(iter(project.tracks))
        start, touched, per_frame, flagged_ok = frames[0], 0, [], 0
        while start < frames[-1]:
            t0 = time.perf_counter()
            report = plan_propagation(project, token, start, frames[-1] - start)
            n_steps = max(len(report.steps), 1)
            times.append((time.perf_counter() - t0) / n_steps)
            if os.environ.get("BENCH_SLOW_MS") and times[-1] * 1e3 > float(os.environ["BENCH_SLOW_MS"]):
                print(f"slow: {name} track {track.number} from frame {start}: {times[-1] * 1e3:.1f} ms/step",
                      file=sys.stderr)
            project.execute(report.command)
            touch = None
            for f in range(start + 1, frames[-1] + 1):
                if f not in truth:
                    continue
                ann = project.annotation_at(token, f)
                if f not in cache:
                    cache[f] = FramePoints(loaded.sequence[f], origin)
                n_pts = int(cache[f].inside(truth[f]).sum())
                iou = iou_3d(ann.box, truth[f]) if ann is not None else 0.0
                err = float(np.linalg.norm(ann.box.center_m - truth[f].center_m)) if ann is not None else math.nan
                per_frame.append((f, iou, err, n_pts))
                if ann is None or iou < TOUCH_IOU[group]:
                    touch = f
                    break
                flagged_ok += STOP_ATTRIBUTE in ann.attributes  # a look, not an edit: a flagged box that is right
            if touch is None:
                break
            touched += 1
            project.execute(commands.put_annotations(project, [(token, touch, truth[touch])], Source.MANUAL))
            start = touch
        rows.append({"set": name, "track": track.number, "category": track.category, "group": group,
                     "frames": len(frames) - 1, "touched": touched, "per_frame": per_frame, "flagged_ok": flagged_ok})


def share(values: list[float], threshold: float) -> float:
    return 100.0 * float(np.mean(np.asarray(values) >= threshold)) if values else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--min-points", type=int, default=10)
    ap.add_argument("--only", nargs="*", default=None, help="dataset names (default: all)")
    ap.add_argument("--no-propagation", action="store_true")
    ap.add_argument("--no-click", action="store_true", help="propagation only")
    ap.add_argument("--from-files", action="store_true", help="propagation reads each sweep from its file (as the app does)")
    args = ap.parse_args()
    names = args.only or list(SETS)
    print(f"# bench_per_object  {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC  {platform.processor() or platform.machine()}"
          f"  Python {platform.python_version()}")
    from sweeplabel.assist.warmup import prepare_assists
    print(f"# assists prepared as the app does after its first image ({prepare_assists():.2f} s); "
          "times below exclude it")
    rows = defaultdict(lambda: defaultdict(list))
    times = defaultdict(list)
    prop_rows, prop_times = [], []
    for name in names:
        loaded = load(name)
        if loaded is None:
            continue
        if not args.no_click:
            run_one_click(name, loaded, args.min_points, rows, times)
        if name in PROPAGATION_SETS and not args.no_propagation:
            run_propagation(name, loaded, prop_rows, prop_times, args.from_files)
    print(f"\n## One-click / rectangle (objects with >= {args.min_points} points; % with 3D IoU >= 0.5 / >= 0.7)\n")
    print("| set | class | objects | median pts | click 0.5 | click 0.7 | click 0.3 m off 0.5 | off 0.7 | rectangle 0.5 | rectangle 0.7 |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (name, group), r in sorted(rows.items()):
        print(f"| {name} | {group} | {len(r['n'])} | {int(np.median(r['n']))} | "
              + " | ".join(f"{share(r[k], t):.0f}" for k in ("click", "click_off", "rectangle") for t in (0.5, 0.7)) + " |")
    print("\n% with BEV IoU >= 0.5 (click / click 0.3 m off / rectangle):\n")
    for (name, group), r in sorted(rows.items()):
        print(f"{name} {group}: " + " / ".join(f"{share(r[k + '_bev'], 0.5):.0f}" for k in ("click", "click_off", "rectangle")))
    for k, v in times.items():
        print(f"time {k}: median {1e3 * np.median(v):.1f} ms, p95 {1e3 * np.percentile(v, 95):.1f} ms over {len(v)} calls"
              f" (max {1e3 * np.max(v):.1f} ms, first call {1e3 * v[0]:.1f} ms)")
    if prop_rows:
        print("\n## Propagation from the true first box (touch: 3D IoU < 0.7 vehicles, < 0.5 others)\n")
        print("| set | track | class | frames | mean 3D IoU | mean centre err m | touched | vehicle >=20 pts: mean IoU / centre err |")
        print("|---|---|---|---|---|---|---|---|")
        for r in prop_rows:
            pf = r["per_frame"]
            ious = [p[1] for p in pf]
            errs = [p[2] for p in pf if not math.isnan(p[2])]
            big = [p for p in pf if p[3] >= 20] if r["group"] == "vehicle" else []
            errs_big = [p[2] for p in big if not math.isnan(p[2])]
            bigtxt = f"{np.mean([p[1] for p in big]):.2f} / {np.mean(errs_big) if errs_big else math.nan:.2f}" if big else "-"
            print(f"| {r['set']} | {r['track']} | {r['category']} | {r['frames']} | {np.mean(ious):.2f} | "
                  f"{np.mean(errs) if errs else math.nan:.2f} | {r['touched']} | {bigtxt} |")
        for name in PROPAGATION_SETS:
            rs = [r for r in prop_rows if r["set"] == name]
            if not rs:
                continue
            pf = [p for r in rs for p in r["per_frame"]]
            veh = [p for r in rs if r["group"] == "vehicle" for p in r["per_frame"] if p[3] >= 20]
            tot = sum(r["frames"] for r in rs)
            print(f"{name}: {len(rs)} tracks, {tot} frames propagated, touched {sum(r['touched'] for r in rs)} "
                  f"({100.0 * sum(r['touched'] for r in rs) / max(tot, 1):.0f} %), flagged but right (a look) "
                  f"{sum(r.get('flagged_ok', 0) for r in rs)}; mean 3D IoU {np.mean([p[1] for p in pf]):.2f};"
                  f" vehicles >= 20 pts: mean 3D IoU {np.mean([p[1] for p in veh]) if veh else math.nan:.2f}, "
                  f"centre err {np.nanmean([p[2] for p in veh]) if veh else math.nan:.2f} m over {len(veh)} frames")
        where = "points read from the files" if args.from_files else "points in memory"
        print(f"time per propagated frame ({where}): median {1e3 * np.median(prop_times):.1f} ms, max {1e3 * np.max(prop_times):.1f} ms")


if __name__ == "__main__":
    main()
