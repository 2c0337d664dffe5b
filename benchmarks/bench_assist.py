"""Tracking assist and pre-annotation against ground truth.

1. Pre-annotation quality on synthetic sequences (exact truth) and on the KITTI tracking
   sample in ../shared/data (if present): precision, recall, mean BEV and 3D IoU of the
   matches, id switches, per class. Truth boxes with fewer than ``--min-points`` LiDAR
   points are "ignore" boxes: a prediction on one is neither a hit nor a false positive.
2. Annotation effort of a scripted annotator who brings every visible truth box (>=
   ``--min-points`` points) to 3D IoU >= 0.7: once with manual placement + copy to the
   next frame, once with pre-annotation + one-click + re-fit + smart propagation +
   interpolation. Actions: a placement, a copy, a nudge (one drag sets one of centre,
   yaw, length/width, height to the truth), a one-click, a re-fit, a propagate, an
   interpolate, an accept (per track), the pre-annotation run itself.

Usage: .venv/bin/python benchmarks/bench_assist.py [--frames 30] [--seeds 0 1 2] [--beams 64]"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import numpy as np

from sweeplabel.assist.correction import GOOD_IOU, nudged, placement
from sweeplabel.assist.interpolation import interpolate_track
from sweeplabel.assist.metrics import LabeledBox, bev_iou, evaluate, iou_3d
from sweeplabel.assist.object_view import points_about
from sweeplabel.assist.preannotate import AutoTrack, preannotate_sequence, preannotation_command
from sweeplabel.assist.propagation import plan_propagation, refit_box
from sweeplabel.assist.size import unify_track_size
from sweeplabel.io import LoadedSequence, read_sequence
from sweeplabel.io.synthetic import generate_sequence
from sweeplabel.kernels import points_in_boxes
from sweeplabel.model import Box, Project, Source, commands as cmd

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CLASSES = ("vehicle.car", "vehicle.cyclist", "human.pedestrian.adult")
KEY_IOUS = (GOOD_IOU, 0.9)


# -- quality ---------------------------------------------------------------------------------
def point_counts(loaded: LoadedSequence) -> dict[str, int]:
    """Points inside each truth box (from the annotation when the reader gives it)."""
    out, by_frame = {}, defaultdict(list)
    for a in loaded.annotations:
        if "num_points" in a.attributes:
            out[a.token] = int(a.attributes["num_points"])
        else:
            by_frame[a.frame_index].append(a)
    for f, anns in by_frame.items():
        frame = loaded.sequence[f]
        origin = frame.T_world_sensor[:3, 3]
        pts = points_about(frame, origin)
        boxes = np.array([a.box.translated(-origin).to_array() for a in anns])
        counts = points_in_boxes(pts, boxes)[1]
        out.update({a.token: int(c) for a, c in zip(anns, counts)})
    return out


def quality(loaded: LoadedSequence, auto: list[AutoTrack], category: str | None, min_points: int,
            min_iou: float, counts: dict[str, int]):
    cat = {t.token: t.category for t in loaded.tracks}
    truth, ignore, pred = defaultdict(list), defaultdict(list), defaultdict(list)
    for a in loaded.annotations:
        if category and cat[a.track_token] != category:
            continue
        (truth if counts[a.token] >= min_points else ignore)[a.frame_index].append(
            LabeledBox(a.track_token, a.box, cat[a.track_token]))
    for k, t in enumerate(auto):
        if category and t.category != category:
            continue
        for f, b in t.boxes.items():
            pred[f].append(LabeledBox(str(k), b, t.category))
    return evaluate(pred, truth, min_iou, ignore)


def print_quality(name: str, loaded: LoadedSequence, auto: list[AutoTrack], min_points: int,
                  seconds: float, classes=CLASSES) -> dict:
    counts = point_counts(loaded)
    print(f"\n{name}: {len(loaded.sequence)} frames, {seconds / len(loaded.sequence) * 1000:.0f} ms/frame, "
          f"{len(auto)} auto tracks {dict(Counter(t.category for t in auto))}")
    print(f"  {'class':24s} {'match':>7s} {'prec':>6s} {'recall':>6s} {'BEV':>6s} {'3D':>6s} {'IDsw':>5s}"
          f" {'TP':>5s} {'FP':>5s} {'FN':>5s}")
    rows = {}
    for c in list(classes) + [None]:
        for min_iou in (0.1, 0.5):
            r = quality(loaded, auto, c, min_points, min_iou, counts)
            if r.true_positives + r.false_negatives + r.false_positives == 0:
                continue
            rows[(c, min_iou)] = r
            print(f"  {c or 'all':24s} {'BEV' + str(min_iou):>7s} {r.precision:6.3f} {r.recall:6.3f} "
                  f"{r.mean_bev_iou:6.3f} {r.mean_iou_3d:6.3f} {r.id_switches:5d} {r.true_positives:5d} "
                  f"{r.false_positives:5d} {r.false_negatives:5d}")
    return rows


# -- effort ---------------------------------------------------------------------------------
def manual_effort(visible: dict[int, Box], default_lwh: np.ndarray) -> int:
    frames = sorted(visible)
    box, n = nudged(placement(visible[frames[0]], default_lwh), visible[frames[0]])
    actions = 1 + n
    for f in frames[1:]:
        box, n = nudged(box, visible[f])  # copy to the next frame (world pose kept), then nudge
        actions += 1 + n
    return actions


def one_click(project: Project, f: int, gt: Box, default_lwh: np.ndarray,
              target_iou: float = GOOD_IOU) -> tuple[Box, int]:
    """A one-click proposal at the object's point nearest its centre (+ nudges); a manual
    placement when no proposal comes back. Returns (box, actions)."""
    try:
        from sweeplabel.assist.one_click import propose_box
    except ImportError:  # the one-click module is another engineer's; fall back to a placement
        propose_box = None
    frame = project.sequence[f]
    origin = frame.T_world_sensor[:3, 3]
    pts = points_about(frame, origin)
    rel = gt.translated(-origin)
    inside = rel.contains(pts)
    box = None
    if propose_box is not None and inside.any():
        seed = pts[inside][np.argmin(np.linalg.norm(pts[inside, :2] - rel.center_m[:2], axis=1))]
        proposal = propose_box(pts, seed, default_lwh, sensor_xy_m=np.zeros(2))
        box = proposal.translated(origin) if proposal is not None else None
    if box is None:
        box = placement(gt, default_lwh)
    fixed, n = nudged(box, gt, target_iou)
    return fixed, 1 + n


def fix_frame(project: Project, token: str | None, f: int, gt: Box, default_lwh: np.ndarray,
              target_iou: float = GOOD_IOU) -> tuple[Box, int]:
    """Bring frame f to IoU >= 0.7 the cheapest way: nudge the box there, re-fit it
    (+ nudges), or one-click (+ nudges) when there is none."""
    cur = project.annotation_at(token, f) if token else None
    if cur is None:
        return one_click(project, f, gt, default_lwh, target_iou)
    options = [nudged(cur.box, gt, target_iou)]
    refit, _ = refit_box(project.sequence[f], cur.box)
    if refit is not None:
        box, n = nudged(refit, gt, target_iou)
        options.append((box, 1 + n))
    return min(options, key=lambda o: o[1])


def _good(project: Project, token: str | None, f: int, gt: Box) -> bool:
    ann = project.annotation_at(token, f) if token else None
    return ann is not None and iou_3d(ann.box, gt) >= GOOD_IOU


def _put(project: Project, token: str | None, category: str, f: int, box: Box) -> str:
    if token is None:
        project.execute(cmd.create_track(project, category, f, box))
        return max(project.tracks.values(), key=lambda t: t.number).token
    project.execute(cmd.put_annotations(project, [(token, f, box)], Source.MANUAL))
    return token


def _auto_project(loaded: LoadedSequence, auto: AutoTrack | None) -> tuple[Project, str | None]:
    project = Project(loaded.sequence)
    if auto is None:
        return project, None
    project.execute(preannotation_command(project, [auto]))
    return project, next(iter(project.tracks))


def propagation_effort(project: Project, token: str | None, category: str, visible: dict[int, Box],
                       default_lwh: np.ndarray, size_fix: bool = False, key_iou: float = GOOD_IOU,
                       propagate_all: bool = False) -> int:
    """Walk the frames; fix each bad one, then propagate over the run of bad frames after it.
    With ``size_fix`` the annotator first sets the size at the first bad frame (a nudge) and
    gives it to the whole track (size unification): two actions. With ``propagate_all`` each
    fix is propagated over all the frames after it (re-tracking from a good keyframe)."""
    frames = sorted(visible)
    actions = 0
    kept_auto = token is not None
    if size_fix:
        bad = [f for f in frames if not _good(project, token, f, visible[f])]
        if token is None or not bad:
            return 10**9
        gt = visible[bad[0]]
        project.execute(unify_track_size(project, token, size_lwh_m=gt.size_lwh_m, force=True))
        actions += 2
    for k, f in enumerate(frames):
        if _good(project, token, f, visible[f]):
            continue
        box, n = fix_frame(project, token, f, visible[f], default_lwh, key_iou)
        token = _put(project, token, category, f, box)
        actions += n
        run = frames[-1] - f if propagate_all else 0
        for g in frames[k + 1:]:
            if propagate_all or _good(project, token, g, visible[g]):
                break
            run = g - f
        if run:
            report = plan_propagation(project, token, f, run)
            project.execute(report.command)
            actions += 1
            kept_auto = True
    return actions + (1 if kept_auto else 0)  # accept the track's boxes


def interpolation_effort(project: Project, category: str, visible: dict[int, Box], default_lwh: np.ndarray,
                         key_iou: float = GOOD_IOU) -> int:
    """Keyframes at both ends by one-click, interpolate; each bad frame fixed and re-interpolated."""
    frames = sorted(visible)
    box, actions = one_click(project, frames[0], visible[frames[0]], default_lwh, key_iou)
    token = _put(project, None, category, frames[0], box)
    if len(frames) > 1:
        box, n = one_click(project, frames[-1], visible[frames[-1]], default_lwh, key_iou)
        _put(project, token, category, frames[-1], box)
        project.execute(interpolate_track(project, token))
        actions += n + 1
    for f in frames[1:-1]:
        if _good(project, token, f, visible[f]):
            continue
        box, n = fix_frame(project, token, f, visible[f], default_lwh, key_iou)
        _put(project, token, category, f, box)
        project.execute(interpolate_track(project, token))
        actions += n + 1
    return actions + 1  # accept


def effort(loaded: LoadedSequence, auto: list[AutoTrack], min_points: int) -> dict:
    counts = point_counts(loaded)
    schema = Project(loaded.sequence).schema
    manual = assisted = 0
    by_track = []
    for track in loaded.tracks:
        visible = {a.frame_index: a.box for a in loaded.annotations
                   if a.track_token == track.token and counts[a.token] >= min_points}
        if not visible:
            continue
        default = np.array(schema.category(track.category).default_size_lwh_m)
        m = manual_effort(visible, default)
        best = max(auto, key=lambda t: sum(1 for f, b in visible.items() if f in t.boxes
                                           and bev_iou(t.boxes[f], b) >= 0.3), default=None)
        covered = best is not None and any(f in best.boxes and bev_iou(best.boxes[f], b) >= 0.3
                                           for f, b in visible.items())
        # the simulated annotator takes the cheapest way: keyframes made just good (0.7) or
        # accurate (0.9) for what follows, with or without a size fix for the whole track,
        # propagating over the bad frames after a fix or over all of them
        a_prop = min(propagation_effort(*_auto_project(loaded, best if covered else None), track.category,
                                        visible, default, size_fix, key, every)
                     for size_fix in (False, True) for key in KEY_IOUS for every in (False, True))
        a_interp = min(interpolation_effort(Project(loaded.sequence), track.category, visible, default, key)
                       for key in KEY_IOUS)
        a = min(a_prop, a_interp, m)  # the assisted editor keeps the manual tools
        manual += m
        assisted += a
        by_track.append((track.category, len(visible), m, a, covered, a_prop, a_interp, track.number))
    assisted += 1  # running the pre-annotation
    return {"manual": manual, "assisted": assisted, "tracks": len(by_track), "ratio": manual / max(assisted, 1),
            "boxes": sum(t[1] for t in by_track), "covered": sum(t[4] for t in by_track), "by_track": by_track}


def in_camera_view(loaded: LoadedSequence, auto: list[AutoTrack], half_fov_deg: float = 42.0) -> list[AutoTrack]:
    """KITTI labels only objects in the front camera's view: keep the auto boxes whose
    centre lies ahead of the LiDAR within +-``half_fov_deg`` (the camera's ~84 degrees)."""
    out = []
    for t in auto:
        kept = {}
        for f, b in t.boxes.items():
            T = loaded.sequence[f].T_world_sensor
            local = T[:3, :3].T @ (b.center_m - T[:3, 3])
            if local[0] > 0 and abs(np.degrees(np.arctan2(local[1], local[0]))) <= half_fov_deg:
                kept[f] = b
        if kept:
            out.append(AutoTrack(t.category, kept, t.observed_frames, t.moving, t.attributes))
    return out


# -- main -----------------------------------------------------------------------------------
def machine() -> str:
    cpu = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=30)
    ap.add_argument("--beams", type=int, nargs="+", default=[64, 32])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--min-points", type=int, default=20)
    ap.add_argument("--no-effort", action="store_true")
    args = ap.parse_args()
    print(f"bench_assist {date.today().isoformat()} on {machine()}")
    totals = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for beams in args.beams:
            for seed in args.seeds:
                folder = generate_sequence(Path(tmp) / f"s{beams}-{seed}", frames=args.frames, beams=beams, seed=seed)
                loaded = read_sequence(folder)
                start = time.perf_counter()
                auto = preannotate_sequence(loaded.sequence)
                seconds = time.perf_counter() - start
                print_quality(f"synthetic {beams} beams seed {seed}", loaded, auto, args.min_points, seconds)
                if not args.no_effort:
                    e = effort(loaded, auto, args.min_points)
                    totals.update({k: e[k] for k in ("manual", "assisted", "boxes", "tracks", "covered")})
                    print(f"  effort: {e['tracks']} tracks / {e['boxes']} visible boxes ({e['covered']} tracks "
                          f"pre-annotated): manual+copy {e['manual']} actions, assisted {e['assisted']} "
                          f"-> {e['ratio']:.1f}x fewer")
    if totals:
        print(f"\neffort over all synthetic sequences: manual+copy {totals['manual']}, assisted "
              f"{totals['assisted']} actions for {totals['boxes']} boxes in {totals['tracks']} tracks "
              f"-> {totals['manual'] / max(totals['assisted'], 1):.1f}x fewer")
    kitti = DATA / "kitti_tracking_0000"
    if kitti.is_dir():
        loaded = read_sequence(kitti)
        start = time.perf_counter()
        auto = in_camera_view(loaded, preannotate_sequence(loaded.sequence))
        seconds = time.perf_counter() - start
        print_quality("KITTI tracking 0000 (sample, auto boxes in the camera's view)", loaded, auto,
                      args.min_points, seconds,
                      classes=("vehicle.car", "vehicle.cyclist", "human.pedestrian.adult", "vehicle.van"))
        if not args.no_effort:
            e = effort(loaded, auto, args.min_points)
            print(f"  effort: manual+copy {e['manual']}, assisted {e['assisted']} -> {e['ratio']:.1f}x fewer")
    else:
        print(f"\nKITTI tracking sample not found at {kitti}: skipped")


if __name__ == "__main__":
    main()
