"""Cameras: the projection kernel, and the frame-switch stall with the camera panel shown.

1. ``project_to_cameras``: 120k points and 100 boxes into the 3 SUSTechPOINTS cameras
   (2048x1536), median of ``--repeat`` calls, Numba kernel vs its NumPy twin.
2. Event-loop stalls while switching frames in the real MainWindow on the SUSTechPOINTS scene
   (3 scans, 3 JPEG cameras each): a 2 ms heartbeat (bench_editor.StallMeter) while the script
   steps 0, 1, 2, 1, 0, ... every ``--step-ms``; with the camera dock shown and hidden, with
   the loader's cache (default) and without it (every switch decodes the images anew), plus
   the time of one camera-panel redraw on the UI thread (draw of 3 tiles after an edit).

Usage: .venv/bin/python benchmarks/bench_cameras.py [--repeat 50] [--switches 16] [--json out.json]
Needs ../shared/data/sustech_points_example (README section 8)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # the NumPy twin's matmuls: no BLAS threads spinning on 2 cores

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_editor import StallMeter, run_until  # noqa: E402

from sweeplabel.io import read_sequence  # noqa: E402
from sweeplabel.kernels import project_to_cameras  # noqa: E402
from sweeplabel.kernels.reference import project_to_cameras_ref  # noqa: E402
from sweeplabel.model import Project  # noqa: E402
from sweeplabel.model.camera import projection_matrices  # noqa: E402

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sustech_points_example"


def _median_ms(fn, repeat: int) -> float:
    fn()  # compile / warm
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def kernel_figures(repeat: int) -> dict:
    loaded = read_sequence(DATA)
    frame = loaded.sequence.frames[0]
    rng = np.random.default_rng(0)
    real = frame.load_points()[:, :3]
    reps = -(-120_000 // len(real))
    pts = np.ascontiguousarray(np.tile(real, (reps, 1))[:120_000] + rng.normal(0, 0.05, (120_000, 3)),
                               dtype=np.float32)
    boxes = np.column_stack([rng.uniform(-40, 40, (100, 2)), rng.uniform(-1, 1, 100),
                             rng.uniform(0.5, 12, (100, 3)), rng.uniform(-np.pi, np.pi, 100)])
    P, wh = projection_matrices(frame.cameras, frame.T_world_sensor, frame.T_world_sensor)
    numba_ms = _median_ms(lambda: project_to_cameras(pts, boxes, P, wh), repeat)
    numpy_ms = _median_ms(lambda: project_to_cameras_ref(pts, boxes, P, wh), max(3, repeat // 10))
    landed = sum(len(i) for i in project_to_cameras(pts, boxes, P, wh).point_index)
    return {"points": len(pts), "boxes": len(boxes), "cameras": len(P), "points_in_images": landed,
            "numba_median_ms": round(numba_ms, 2), "numpy_median_ms": round(numpy_ms, 2),
            "speedup": round(numpy_ms / numba_ms, 1)}


def stall_figures(switches: int, step_ms: int) -> dict:
    from PySide6.QtWidgets import QApplication

    from sweeplabel.app import MainWindow
    from sweeplabel.model import Box

    app = QApplication.instance() or QApplication(sys.argv[:1])
    out = {}
    for label, shown, cached in (("cameras_shown", True, True), ("cameras_hidden", False, True),
                                 ("cameras_shown_no_cache", True, False), ("cameras_hidden_no_cache", False, False)):
        loaded = read_sequence(DATA)
        project = Project(loaded.sequence)
        project.load(loaded.tracks, loaded.annotations)
        window = MainWindow(project)
        window.resize(1400, 900)
        if not cached:
            window.loader.cache_frames, window.loader.prefetch_count = 1, 0
        window.cameras.dock.setVisible(shown)
        window.show()
        run_until(app, lambda: False, 1.0)
        if shown:
            run_until(app, lambda: window.cameras.panel.large.view is not None
                      and window.cameras.panel.large.view.image is not None)
        meter = StallMeter()
        meter.start()
        order = [1, 2, 1, 0] * (switches // 4 + 1)
        for i in order[:switches]:
            window.go_to_frame(i)
            run_until(app, lambda i=i: window.frame_index == i)
            if shown:  # until the cameras of this frame are drawn
                run_until(app, lambda i=i: window.cameras._key is not None and window.cameras._key[0] == i
                          and window.cameras.panel.large.view is not None
                          and window.cameras.panel.large.view.image is not None, 30)
            end = time.monotonic() + step_ms / 1000.0
            run_until(app, lambda: time.monotonic() >= end)
        meter.stop()
        out[label] = meter.summary()
        if shown:  # one redraw after an edit (boxes only, points reused), on the UI thread
            ann = project.annotations_in_frame(window.frame_index)[0]
            wall, cpu = [], []
            for k in range(10):
                window.editor.set_box(Box(ann.box.center_m + [0.01 * (k + 1), 0, 0], ann.box.size_lwh_m, ann.box.yaw_rad))
                t0, c0 = time.perf_counter(), time.thread_time()
                window.cameras.refresh()
                wall.append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.thread_time() - c0) * 1e3)
                app.processEvents()
            out[label]["redraw_after_edit_ms_median"] = round(statistics.median(wall), 1)
            out[label]["redraw_after_edit_cpu_ms_median"] = round(statistics.median(cpu), 1)
            wall, cpu = [], []
            for _ in range(5):
                window.cameras._key = None  # a full redraw: projection of all points + 3 tiles
                t0, c0 = time.perf_counter(), time.thread_time()
                window.cameras.refresh()
                wall.append((time.perf_counter() - t0) * 1e3)
                cpu.append((time.thread_time() - c0) * 1e3)
            out[label]["full_redraw_ms_median"] = round(statistics.median(wall), 1)
            out[label]["full_redraw_cpu_ms_median"] = round(statistics.median(cpu), 1)
        window.close()
        app.processEvents()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--switches", type=int, default=16)
    parser.add_argument("--step-ms", type=int, default=150)
    parser.add_argument("--no-gui", action="store_true", help="kernel figures only")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"bench_cameras: {DATA} not found", file=sys.stderr)
        return 2
    figures = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
               "load_average": os.getloadavg(),
               "date": time.strftime("%Y-%m-%d"), "kernel": kernel_figures(args.repeat)}
    print(json.dumps(figures["kernel"]))
    if not args.no_gui:
        figures["stalls"] = stall_figures(args.switches, args.step_ms)
        print(json.dumps(figures["stalls"], indent=1))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
