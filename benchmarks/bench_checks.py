"""QA checks: a full run and an incremental re-check after one edit, on a 200-frame,
50-track sequence of synthetic boxes (no points: the track and overlap checks), plus the
point-based checks of one 64-beam synthetic frame. Prints milliseconds and the ratio
full / incremental.

Usage: .venv/bin/python benchmarks/bench_checks.py [--frames 200] [--tracks 50] [--edits 50]"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sweeplabel.assist.checks import CheckRunner, CheckSettings, FrameData, FramePoints, run_frame_checks
from sweeplabel.model import Annotation, Box, Frame, Project, Sequence, Track, commands as cmd, new_token

CLASSES = (("vehicle.car", (4.5, 1.9, 1.6), 9.0, {"motion": "vehicle.moving"}),
           ("vehicle.cyclist", (1.8, 0.6, 1.7), 4.5, {"rider": "cycle.with_rider"}),
           ("human.pedestrian.adult", (0.7, 0.6, 1.75), 1.4, {"activity": "pedestrian.moving"}))


def box_project(n_frames: int, n_tracks: int, seed: int = 0) -> Project:
    """Tracks on parallel lanes 4 m apart (no overlaps), gently turning, 10 Hz."""
    rng = np.random.default_rng(seed)
    frames = [Frame(i, 0.1 * i, np.eye(4)) for i in range(n_frames)]
    p = Project(Sequence("bench", frames))
    tracks, anns = [], []
    for k in range(n_tracks):
        cat, size, speed, attrs = CLASSES[k % len(CLASSES)]
        track = Track(new_token(), cat, k, {})
        x0, y0, yaw0 = rng.uniform(-50, 50), 4.0 * k, rng.choice([0.0, math.pi])
        rate = rng.uniform(-0.002, 0.002)
        for i in range(n_frames):
            t = 0.1 * i
            yaw = yaw0 + rate * t
            x = x0 + speed * t * math.cos(yaw0)
            anns.append(Annotation(new_token(), track.token, i, Box([x, y0, size[2] / 2], size, yaw), attrs))
        tracks.append(track)
    p.load(tracks, anns)
    return p


def bench_boxes(n_frames: int, n_tracks: int, n_edits: int) -> dict[str, float]:
    p = box_project(n_frames, n_tracks)
    runner = CheckRunner(p, use_points=False)
    full_ms = []
    for _ in range(3):
        t0 = time.perf_counter()
        findings = runner.run_all()
        full_ms.append(1e3 * (time.perf_counter() - t0))
    assert findings == [], [f.message for f in findings[:5]]
    runner.attach()
    rng = np.random.default_rng(1)
    edit_ms, check_ms = [], []
    tokens = list(p.annotations)
    for _ in range(n_edits):
        a = p.annotation(tokens[int(rng.integers(len(tokens)))])
        t0 = time.perf_counter()
        p.execute(cmd.set_box(p, a.token, a.box.translated([0.05, 0.0, 0.0])))  # re-check runs inside
        edit_ms.append(1e3 * (time.perf_counter() - t0))
        runner.detach()
        t1 = time.perf_counter()
        p.execute(cmd.set_box(p, a.token, a.box))  # the same edit without the checks
        check_ms.append(edit_ms[-1] - 1e3 * (time.perf_counter() - t1))
        runner.attach()
        runner.update()
    return {"boxes": len(p.annotations), "full_ms": min(full_ms), "edit_ms": statistics.median(edit_ms),
            "edit_p95_ms": float(np.percentile(edit_ms, 95)), "recheck_ms": statistics.median(check_ms)}


def bench_points() -> dict[str, float]:
    from sweeplabel.io import open_project
    from sweeplabel.io.synthetic import generate_sequence

    with tempfile.TemporaryDirectory() as tmp:
        folder = generate_sequence(Path(tmp) / "seq", frames=2, beams=64, seed=7)
        opened = open_project(folder, project_path=Path(tmp) / "seq.sweeplabel")
        p = opened.project
        fp = FramePoints(p.sequence)
        t0 = time.perf_counter()
        fp.get(1)
        load_ms = 1e3 * (time.perf_counter() - t0)
        fd = FrameData.build(p, 1)
        settings = CheckSettings()
        run_frame_checks(fd, settings, fp)  # compile / warm
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            run_frame_checks(FrameData.build(p, 1), settings, fp)
            times.append(1e3 * (time.perf_counter() - t0))
        n_points = len(fp.get(1).xyz)
        opened.close()
    return {"points": n_points, "boxes": len(fd.anns), "load_and_ground_ms": load_ms,
            "frame_recheck_ms": statistics.median(times)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--tracks", type=int, default=50)
    ap.add_argument("--edits", type=int, default=50)
    ap.add_argument("--no-points", action="store_true")
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cpus, loadavg {open('/proc/loadavg').read().split()[:3]}")
    r = bench_boxes(args.frames, args.tracks, args.edits)
    print(f"boxes: {args.frames} frames x {args.tracks} tracks = {r['boxes']} boxes (no points)")
    print(f"  full run            {r['full_ms']:8.1f} ms")
    print(f"  one edit + re-check {r['edit_ms']:8.2f} ms median, {r['edit_p95_ms']:.2f} ms p95 "
          f"(re-check alone {r['recheck_ms']:.2f} ms)")
    print(f"  full / incremental  {r['full_ms'] / r['edit_ms']:8.0f}x")
    if not args.no_points:
        q = bench_points()
        print(f"points: one 64-beam synthetic frame, {q['points']} points, {q['boxes']} boxes")
        print(f"  load + ground segmentation (once per frame, cached) {q['load_and_ground_ms']:.1f} ms")
        print(f"  frame re-check (all frame checks, points cached)    {q['frame_recheck_ms']:.1f} ms")


if __name__ == "__main__":
    main()
