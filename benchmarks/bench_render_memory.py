"""Memory over a long sequence: step through N frames with the view rendering in the
render process (the app's default), and report the resident size of both processes.

Frames come from a synthetic 32-beam sequence (``--distinct`` generated frames shown
in turn, so 1,000 frames do not need 1,000 generated sweeps; every frame is a new
point upload and a new render, which is what grows Open3D). Target (issue 12): neither
process grows by more than 200 MB after the first 20 frames.

    .venv/bin/python benchmarks/bench_render_memory.py --frames 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def rss_mb(pid: int | None = None) -> float:
    path = f"/proc/{pid or 'self'}/statm"
    with open(path, "rb") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--distinct", type=int, default=30)
    ap.add_argument("--size", default="960x640", help="view size WxH (px)")
    ap.add_argument("--no-recycle", action="store_true", help="measure without the render-process recycling")
    args = ap.parse_args(argv)
    from sweeplabel.io import read_sequence
    from sweeplabel.io.synthetic import generate_sequence
    from sweeplabel.model import Project
    from sweeplabel.viewer.frame_scene import FrameScene
    from sweeplabel.viewer.render_process import ProcessRenderer

    width, height = map(int, args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = generate_sequence(Path(tmp) / "seq", frames=args.distinct, beams=32, seed=5)
        loaded = read_sequence(folder)
        project = Project(loaded.sequence)
        project.load(loaded.tracks, loaded.annotations)
        renderer = ProcessRenderer(width, height)
        if args.no_recycle:
            renderer.recycle_growth_bytes = 1 << 60
        scene = FrameScene(project, renderer)
        samples: list[tuple[int, float, float]] = []
        t0 = time.perf_counter()
        for i in range(args.frames):
            scene.show_frame(i % args.distinct)
            if i == 0:
                renderer.fit_camera()
            scene.render()
            samples.append((i, rss_mb(), renderer.child_rss_bytes / 2**20))
            if i % 100 == 0:
                print(f"frame {i}: main {samples[-1][1]:.0f} MB, render {samples[-1][2]:.0f} MB, "
                      f"recycles {renderer.recycles}", file=sys.stderr, flush=True)
        elapsed = time.perf_counter() - t0
        renderer.close()
    base = samples[min(19, len(samples) - 1)]
    peak_main = max(s[1] for s in samples[20:]) if len(samples) > 20 else base[1]
    peak_child = max(s[2] for s in samples[20:]) if len(samples) > 20 else base[2]
    print(f"frames {args.frames} ({args.distinct} distinct sweeps, ~{scene.n_points} points), view {args.size}, "
          f"{elapsed / args.frames * 1000:.0f} ms/frame")
    print(f"main process:   {base[1]:.0f} MB at frame 20, peak after {peak_main:.0f} MB "
          f"(+{peak_main - base[1]:.0f} MB), last {samples[-1][1]:.0f} MB")
    print(f"render process: {base[2]:.0f} MB at frame 20, peak after {peak_child:.0f} MB "
          f"(+{peak_child - base[2]:.0f} MB), last {samples[-1][2]:.0f} MB; recycled {renderer.recycles} times")
    ok = peak_main - base[1] <= 200 and peak_child - base[2] <= 200
    print("target (<= 200 MB growth after frame 20, both processes):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
