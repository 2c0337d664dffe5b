"""The editor's responsiveness: a scripted editing session in the real MainWindow.

1. Event-loop stalls while switching frames: a 2 ms heartbeat timer records the gaps
   between its ticks while the script steps through the sequence (next frame every
   ``--step-ms``), selects a box, nudges it, propagates it. Reported three times: with
   the 3D view hidden (loading, ground segmentation, in-box counting, panels: everything
   but the render), with the view rendering at the window's size in the render process
   (the app's default) and rendering in-process (``SWEEPLABEL_RENDER=inprocess``, the
   old behaviour: the render blocks the event loop).
2. Render time of SceneRenderer at 1920x1080 for ~120k points (one 64-beam sweep) and
   1M points (eight sweeps side by side), full quality and while the camera moves
   (decimated to the LOD budget).

3. Start-up: from the command (``sweeplabel open SEQ --screenshot PNG``, a fresh
   process) to the first sweep on screen (the screenshot is written after the first
   render), with a warm Numba cache and with an empty one (first run), plus the import
   of the app alone. Targets (issue 12): <= 3 s warm, <= 10 s first run.

4. Memory (``--memory-steps N``): RSS of the UI process and of the render process while
   the rendering view steps through N frames; growth after the first 20 (target: <= 200 MB
   over 1,000 frames). The render process is replaced by a warm standby once it grows SWEEPLABEL_RENDER_RECYCLE_MB (150).

Usage: .venv/bin/python benchmarks/bench_editor.py [--frames 12] [--json out.json] [--only-startup]
       [--memory-steps 1000] [--baseline-src ../main/src]
Runs offscreen (QT_QPA_PLATFORM=offscreen unless set); Open3D picks the GPU when there is
one, else Mesa's llvmpipe (software)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from sweeplabel.app import MainWindow  # noqa: E402
from sweeplabel.app.edit_ops import NUDGES  # noqa: E402
from sweeplabel.io import open_project  # noqa: E402
from sweeplabel.io.synthetic import generate_sequence  # noqa: E402
from sweeplabel.kernels import warmup  # noqa: E402
from sweeplabel.viewer import SceneRenderer, load_frame_data, point_layer  # noqa: E402
from sweeplabel.viewer.render_process import RENDER_MODE_ENV  # noqa: E402

HEARTBEAT_MS = 2


class StallMeter:
    """Longest gap between heartbeat ticks (minus the interval) while running."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.gaps_ms: list[float] = []
        self.phase_of_gap: list[str] = []
        self.phase = "switching frames"
        self._last_ns = 0

    def start(self) -> None:
        self.gaps_ms.clear()
        self.phase_of_gap.clear()
        self.clock.start()
        self._last_ns = self.clock.nsecsElapsed()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        self.gaps_ms.append((now - self._last_ns) / 1e6 - HEARTBEAT_MS)
        self.phase_of_gap.append(self.phase)
        self._last_ns = now

    def summary(self) -> dict[str, float]:
        out: dict[str, float] = {"ticks": len(self.gaps_ms)}
        for phase in dict.fromkeys(self.phase_of_gap):
            gaps = sorted(g for g, p in zip(self.gaps_ms, self.phase_of_gap) if p == phase)
            key = phase.replace(" ", "_")
            out[f"{key}_max_stall_ms"] = round(gaps[-1], 1)
            out[f"{key}_p99_stall_ms"] = round(gaps[int(0.99 * (len(gaps) - 1))], 1)
        return out


def run_until(app: QApplication, done, timeout_s: float = 120.0) -> None:  # noqa: ANN001
    end = time.monotonic() + timeout_s
    while not done() and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.0005)


def scripted_session(app: QApplication, window: MainWindow, n_frames: int, step_ms: int) -> dict:
    """Step through the frames at ``step_ms`` and edit on the way; returns stall figures."""
    meter = StallMeter()
    meter.start()
    switch_ms: list[float] = []
    edit_ms: list[float] = []
    nudge = next(n for n in NUDGES if n.id == "move_forward")
    for i in range(1, n_frames):
        t0 = time.perf_counter()
        window.go_to_frame(i)
        switch_ms.append((time.perf_counter() - t0) * 1e3)
        run_until(app, lambda i=i: window.frame_index == i)
        if i == 2:  # a little editing on the way, one user event at a time: select, hold a key, propagate
            meter.phase = "editing"
            anns = window.project.annotations_in_frame(i)
            if anns:
                edits = [lambda: window.editor.select(anns[0].token)]
                edits += [lambda: window.editor.nudge(nudge)] * 5  # key auto-repeat at ~30 Hz
                edits += [window.editor.end_merge, lambda: window.editor.propagate(3)]
                for edit in edits:
                    t0 = time.perf_counter()
                    edit()
                    edit_ms.append((time.perf_counter() - t0) * 1e3)
                    run_until(app, lambda: False, 0.033)
            run_until(app, lambda: False, 0.3)  # let deferred panel refreshes run inside the phase
            meter.phase = "switching frames"
        wait_until = time.monotonic() + step_ms / 1000.0
        run_until(app, lambda: time.monotonic() >= wait_until)
    meter.stop()
    return {**meter.summary(), "go_to_frame_call_ms_max": round(max(switch_ms), 1),
            "edit_call_ms_max": round(max(edit_ms, default=0.0), 1)}


def stall_figures(root: Path, n_frames: int, step_ms: int) -> dict:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    out = {}
    runs = (("view_hidden", False, "process"), ("view_rendering", True, "process"),
            ("view_rendering_inprocess", True, "inprocess"))
    for label, visible, mode in runs:
        opened = open_project(root, project_path=Path(tempfile.mkdtemp()) / f"{label}.sweeplabel")
        previous = os.environ.get(RENDER_MODE_ENV)
        os.environ[RENDER_MODE_ENV] = mode
        try:
            window = MainWindow(opened.project, opened.store)
        finally:
            if previous is None:
                os.environ.pop(RENDER_MODE_ENV)
            else:
                os.environ[RENDER_MODE_ENV] = previous
        window.resize(1280, 800)
        if visible:
            window.show()
        else:
            window.view.hide()
            window.show()
        run_until(app, lambda: False, 0.5)
        if visible:  # the first image (render process start-up, first upload) is not part of the figure
            run_until(app, lambda: window.view.render_count > 0 and not window.view.render_pending)
        count0 = window.view.render_count
        out[label] = scripted_session(app, window, n_frames, step_ms)
        out[label]["render_ms_last"] = round(window.view.last_render_s * 1e3, 1)
        out[label]["images_shown"] = window.view.render_count - count0
        window.close()
        opened.close()
    return out


def _wait_shown(app: QApplication, window: MainWindow, timeout_s: float = 10.0) -> None:
    run_until(app, lambda: not window.view.inputs_pending and not window.view.render_pending, timeout_s)


def _new_latencies_ms(window: MainWindow, before: int) -> list[float]:
    return [round(v * 1e3, 1) for v in list(window.view.input_latencies_s)[before:]]


def _mouse(window: MainWindow, kind, x: float, y: float, buttons) -> None:  # noqa: ANN001
    from PySide6.QtCore import QEvent, QPointF, Qt
    from PySide6.QtGui import QMouseEvent

    view = window.view
    pos = QPointF(x, y)
    button = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseMove else Qt.MouseButton.LeftButton
    event = QMouseEvent(kind, pos, QPointF(view.mapToGlobal(pos)), button, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view, event)


def latency_figures(root: Path, repeat: int = 8, pause_s: float = 0.4) -> dict:
    """Input -> image on screen, as a person uses the window at its default size with the
    view rendering (render process): a nudge (key I on a selected box), ten nudges at
    key-repeat rate (30 Hz: until the last one shows), a frame switch (key Right, the
    next frame prefetched as it is when a person steps), an orbit drag (mouse moves at
    60 Hz for 3 s: images per second) and playback at 10 fps for 4 s (frames shown per
    second; playback never skips a frame, it slows down and says so)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtTest import QTest

    app = QApplication.instance() or QApplication(sys.argv[:1])
    opened = open_project(root, project_path=Path(tempfile.mkdtemp()) / "latency.sweeplabel")
    window = MainWindow(opened.project, opened.store)
    window.show()
    view = window.view
    run_until(app, lambda: view.render_count > 0 and not view.render_pending)
    window.activateWindow()
    view.setFocus()
    out: dict[str, object] = {"window_px": [window.width(), window.height()], "view_px": [view.width(), view.height()]}

    switch = []  # key Right: the next frame on screen
    for _ in range(repeat):
        target = (window.target_frame or 0) + 1
        run_until(app, lambda: False, pause_s)
        before = len(view.input_latencies_s)
        QTest.keyClick(view, Qt.Key.Key_Right)
        run_until(app, lambda t=target: window.frame_on_screen(t) and not view.inputs_pending)
        switch.append(max(_new_latencies_ms(window, before), default=float("nan")))
    out["frame_switch_ms"] = switch

    anns = window.project.annotations_in_frame(window.scene.frame_index)
    window.editor.select(anns[0].token)
    _wait_shown(app, window)
    nudges, handler_ms, render_ms = [], [], []
    for _ in range(repeat):
        run_until(app, lambda: False, pause_s)
        before = len(view.input_latencies_s)
        t0 = time.perf_counter()
        QTest.keyClick(view, Qt.Key.Key_I)  # returns once the key's handler has run
        handler_ms.append(round((time.perf_counter() - t0) * 1e3, 1))
        _wait_shown(app, window)
        nudges.append(max(_new_latencies_ms(window, before), default=float("nan")))
        render_ms.append(round(view.last_render_s * 1e3, 1))
    out["nudge_ms"] = nudges
    out["nudge_handler_ms"] = handler_ms  # the UI thread's share: edit, store, panels, wireframes
    out["nudge_render_ms"] = render_ms  # the render process's share

    run_until(app, lambda: False, pause_s)
    before = len(view.input_latencies_s)
    for _ in range(10):
        QTest.keyClick(view, Qt.Key.Key_I)
        run_until(app, lambda: False, 1 / 30)
    last_key = time.monotonic()
    _wait_shown(app, window)
    out["ten_nudges_settle_after_last_ms"] = round((time.monotonic() - last_key) * 1e3, 1)
    out["ten_nudges_latency_ms"] = _new_latencies_ms(window, before)

    run_until(app, lambda: False, pause_s)
    cx, cy = view.width() / 2, view.height() / 2
    count0 = view.render_count
    _mouse(window, QEvent.Type.MouseButtonPress, cx, cy, Qt.MouseButton.LeftButton)
    t0 = time.monotonic()
    k = 0
    while time.monotonic() - t0 < 3.0:
        k += 1
        _mouse(window, QEvent.Type.MouseMove, cx + 2 * (k % 200), cy, Qt.MouseButton.LeftButton)
        run_until(app, lambda: False, 1 / 60)
    orbit_s = time.monotonic() - t0
    out["orbit_updates_per_s"] = round((view.render_count - count0) / orbit_s, 2)
    _mouse(window, QEvent.Type.MouseButtonRelease, cx, cy, Qt.MouseButton.NoButton)
    _wait_shown(app, window)

    window.go_to_frame(0)
    run_until(app, lambda: window.frame_on_screen(0))
    window.timeline.rate.setValue(10.0)
    count0 = view.render_count
    window.timeline.set_playing(True)
    t0 = time.monotonic()
    run_until(app, lambda: not window.timeline.playing or time.monotonic() - t0 > 4.0)
    play_s = time.monotonic() - t0
    note = window.timeline.rate_note.text()
    window.timeline.set_playing(False)
    out["playback_chosen_fps"] = 10.0
    out["playback_frames_advanced"] = window.timeline.frames_played
    out["playback_images_shown"] = view.render_count - count0
    out["playback_shown_fps"] = round(window.timeline.frames_played / play_s, 2)
    out["playback_rate_note"] = note
    renderer = window.scene.renderer
    out["requests_with_all_points"] = getattr(renderer, "points_sent", None)
    out["requests_with_colour_delta"] = getattr(renderer, "colors_sent", None)
    out["render_ms_last"] = round(view.last_render_s * 1e3, 1)
    for key in ("frame_switch_ms", "nudge_ms"):
        vals = [v for v in out[key] if v == v]  # type: ignore[union-attr]
        out[key.replace("_ms", "_median_ms")] = round(statistics.median(vals), 1) if vals else None
        out[key.replace("_ms", "_max_ms")] = max(vals) if vals else None
    out["targets"] = {"nudge_ms": 200, "frame_switch_ms": 400, "orbit_updates_per_s": 5,
                      "playback": "every frame at the chosen rate, or a lower rate shown"}
    window.close()
    opened.close()
    return out


def memory_figures(root: Path, steps: int, sample_every: int = 10) -> dict:
    """RSS of the UI process and the render process while the view steps through
    ``steps`` frames (the sequence's frames over and over), each one rendered."""
    from sweeplabel.viewer.render_process import process_rss_mb

    app = QApplication.instance() or QApplication(sys.argv[:1])
    opened = open_project(root, project_path=Path(tempfile.mkdtemp()) / "memory.sweeplabel")
    window = MainWindow(opened.project, opened.store)
    window.resize(1280, 800)
    window.show()
    run_until(app, lambda: window.view.render_count > 0 and not window.view.render_pending)
    n = len(opened.project.sequence)
    samples = []
    children = set()
    for step in range(1, steps + 1):
        count = window.view.render_count
        window.go_to_frame(step % n)
        run_until(app, lambda c=count: window.view.render_count > c and not window.view.render_pending)
        children.add(window.scene.renderer.pid)
        if step % sample_every == 0:
            samples.append((step, process_rss_mb(os.getpid()), process_rss_mb(window.scene.renderer.pid)))
    window.close()
    opened.close()
    after20 = [s for s in samples if s[0] >= 20] or samples
    grow = lambda i: round(max(s[i] or 0 for s in after20) - (after20[0][i] or 0), 1)  # noqa: E731
    return {"steps": steps, "samples_step_ui_mb_render_mb": [(s, round(u or 0), round(r or 0)) for s, u, r in samples],
            "ui_growth_after_20_mb": grow(1), "render_growth_after_20_mb": grow(2),
            "render_processes_used": len(children), "target_growth_mb": 200}


def render_figures(root: Path, width_px: int = 1920, height_px: int = 1080, repeat: int = 3) -> dict:
    opened = open_project(root, project_path=Path(tempfile.mkdtemp()) / "render.sweeplabel")
    seq = opened.project.sequence
    sweeps = [load_frame_data(seq, i).xyz_m for i in range(min(8, len(seq)))]
    one = sweeps[0]
    many = np.vstack([s + np.float32([200.0 * k, 0.0, 0.0]) for k, s in enumerate(sweeps)])
    if len(many) < 1_000_000:
        reps = int(np.ceil(1_000_000 / len(many)))
        many = np.vstack([many + np.float32([0.0, 150.0 * r, 0.0]) for r in range(reps)])
    many = np.ascontiguousarray(many[:1_000_000])
    results = {}
    renderer = SceneRenderer(width_px, height_px)
    for label, xyz in (("120k", one), ("1M", many)):
        renderer.set_points(point_layer(xyz, (-2.0, 3.0)))
        renderer.fit_camera()
        renderer.render()  # upload + first frame
        for mode in ("full", "moving"):
            renderer.interactive = mode == "moving"
            times = []
            for k in range(repeat):
                renderer.camera.orbit(0.05, 0.0)
                t0 = time.perf_counter()
                renderer.render()
                times.append(time.perf_counter() - t0)
            results[f"{label}_{mode}_ms"] = round(statistics.median(times) * 1e3, 1)
        renderer.interactive = False
        results[f"{label}_points"] = len(xyz)
    results["lod_budget_points"] = renderer.lod_budget
    renderer.close()
    opened.close()
    return results


def _time_command(argv: list[str], env: dict[str, str], wait_for: Path | None = None,
                  timeout_s: float = 300.0) -> float:
    """Seconds from launching ``argv`` to ``wait_for`` existing (or to its exit)."""
    import subprocess

    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        if wait_for is not None and wait_for.exists() and wait_for.stat().st_size > 0:
            elapsed = time.perf_counter() - t0
            break
        if proc.poll() is not None:
            elapsed = time.perf_counter() - t0
            break
        if time.perf_counter() - t0 > timeout_s:
            proc.kill()
            raise TimeoutError(" ".join(argv))
        time.sleep(0.01)
    proc.wait(timeout_s)
    if proc.returncode not in (0, None) and (wait_for is None or not wait_for.exists()):
        raise RuntimeError(f"{' '.join(argv)} exited with {proc.returncode}")
    return elapsed


def _wait_for_kernel_compilers(timeout_s: float = 300.0) -> float:
    """Wait until no ``python -m sweeplabel.kernels`` runs (a first run leaves its
    background compiler running after the window quits: it fills the cache for the next
    start); the warm figures must not share the CPU with it. Returns the seconds waited."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        busy = False
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if b"sweeplabel.kernels" in cmdline.read_bytes():
                    busy = True
                    break
            except OSError:
                continue
        if not busy:
            break
        time.sleep(0.5)
    return time.perf_counter() - t0


def startup_figures(root: Path, tmp: Path, src: Path | None = None, repeat: int = 3) -> dict:
    """Command -> first visible sweep (screenshot after the first render), warm and first run.

    ``src``: the source tree to start (default: this checkout), e.g. a baseline's."""
    env = dict(os.environ)
    src = src or Path(__file__).resolve().parents[1] / "src"
    env["PYTHONPATH"] = str(src)
    tag = "base" if src != Path(__file__).resolve().parents[1] / "src" else "this"
    project = tmp / f"{tag}.sweeplabel"
    cli = [sys.executable, "-m", "sweeplabel.cli", "open", str(root), "--project", str(project)]
    out: dict[str, object] = {"src": str(src)}
    imports = [_time_command([sys.executable, "-c", "import sweeplabel.app.main_window"], env) for _ in range(repeat)]
    out["import_app_s"] = round(statistics.median(imports), 2)
    cold_env = {**env, "NUMBA_CACHE_DIR": str(tmp / f"{tag}-empty-numba-cache")}
    shot = tmp / f"{tag}-cold.png"  # first run: no project file yet, no compiled kernels
    out["first_run_s"] = round(_time_command([*cli, "--screenshot", str(shot)], cold_env, shot), 2)
    out["first_run_compiler_after_exit_s"] = round(_wait_for_kernel_compilers(), 1)
    warm = []
    for i in range(repeat):  # the project file and the kernels exist now
        shot = tmp / f"{tag}-warm{i}.png"
        warm.append(_time_command([*cli, "--screenshot", str(shot)], env, shot))
    out["warm_s"] = [round(v, 2) for v in warm]
    out["warm_median_s"] = round(statistics.median(warm), 2)
    out["targets_s"] = {"warm": 3.0, "first_run": 10.0}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--step-ms", type=int, default=150, help="time between frame switches")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--only-startup", action="store_true", help="measure start-up only")
    parser.add_argument("--only-latency", action="store_true", help="measure input -> image latencies only")
    parser.add_argument("--memory-steps", type=int, default=0,
                        help="frames to step through for the memory figure (the issue's: 1000)")
    parser.add_argument("--baseline-src", type=Path, help="also time start-up of this source tree (ratios)")
    args = parser.parse_args()
    warmup()
    stalls = renders = memory = latency = None
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        root = generate_sequence(Path(tmp) / "seq", frames=max(args.frames, 40) if args.only_latency else args.frames, beams=64, seed=3)
        print(f"generated {args.frames} frames in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        if args.only_latency:
            latency = latency_figures(root)
            print(json.dumps(latency, indent=1))
            return 0
        startup = startup_figures(root, Path(tmp))
        if args.baseline_src:
            base = startup_figures(root, Path(tmp), args.baseline_src.resolve())
            startup = {"this": startup, "baseline": base,
                       "ratio_warm": round(startup["warm_median_s"] / base["warm_median_s"], 2),
                       "ratio_first_run": round(startup["first_run_s"] / base["first_run_s"], 2),
                       "ratio_import": round(startup["import_app_s"] / base["import_app_s"], 2)}
        if args.memory_steps:
            memory = memory_figures(root, args.memory_steps)
        if not args.only_startup:
            latency = latency_figures(root)
            stalls = stall_figures(root, args.frames, args.step_ms)
            renders = render_figures(root)
    report = {"machine": f"{platform.processor() or platform.machine()} x{os.cpu_count()}",
              "loadavg": Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else None,
              "startup": startup, "latency": latency, "memory": memory, "stalls": stalls, "render_1920x1080": renders}
    print(json.dumps(report, indent=1))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
