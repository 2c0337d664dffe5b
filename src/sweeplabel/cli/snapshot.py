"""``sweeplabel snapshot INPUT --frame N --out DIR [--camera NAME]``: one PNG per camera with
the frame's points and projected boxes (for bug reports and QA)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("snapshot", help="write PNGs of a frame's cameras with the projected boxes")
    p.add_argument("input", help="a .sweeplabel project or a dataset with cameras")
    p.add_argument("--frame", type=int, default=0, help="frame index (0-based, default 0)")
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument("--camera", help="only this camera (default: every camera of the frame)")
    p.add_argument("--no-points", action="store_true", help="boxes only, no projected points")
    p.add_argument("--with-3d", action="store_true", help="also write the 3D view (<frame>_3d.png, Open3D)")
    p.set_defaults(func=cmd_snapshot)


def cmd_snapshot(args: argparse.Namespace) -> int:
    from .qa import _loaded

    with _loaded(Path(args.input)) as (project, _settings):
        code = write_snapshots(project, args.frame, Path(args.out), args.camera, not args.no_points)
        if code == 0 and args.with_3d:
            write_3d_view(project, args.frame, Path(args.out))
        return code


def write_snapshots(project, frame_index: int, out_dir: Path, camera: str | None = None,
                    show_points: bool = True) -> int:
    """Write ``<out>/<frame id>_<camera>.png`` for each camera; returns the exit code."""
    import numpy as np

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # no window is shown
    from PySide6.QtWidgets import QApplication

    from ..app.camera_images import decode_camera_image
    from ..app.panels.camera_draw import draw_frame
    from ..model.geometry import transform_points

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - QPainter needs one (a widgets one: tests share it)
    n = len(project.sequence)
    if not 0 <= frame_index < n:
        print(f"sweeplabel: error: --frame {frame_index}: expected 0..{n - 1}", file=sys.stderr)
        return 2
    frame = project.sequence[frame_index]
    cams = [c for c in frame.cameras if camera is None or c.name == camera]
    if not cams:
        names = ", ".join(c.name for c in frame.cameras) or "none"
        print(f"sweeplabel: error: frame {frame_index} has no camera {camera or ''} (cameras: {names})".replace("  ", " "),
              file=sys.stderr)
        return 2
    images = [decode_camera_image(c, None) for c in cams]
    points = frame.load_points()
    xyz = (transform_points(frame.T_world_sensor, points[:, :3].astype(np.float64))
           - project.sequence.render_origin_m).astype(np.float32)
    stem = frame_stem(frame, frame_index)
    written = 0
    for view in draw_frame(project, frame_index, images, xyz, show_points=show_points):
        if view.image is None:
            print(f"camera {view.name}: not written: {view.problem}", file=sys.stderr)
            continue
        path = out_dir / f"{stem}_{view.name}.png"
        write_png(view.image, path)
        print(f"wrote {path} ({len(view.box_edges)} boxes)")
        written += 1
    return 0 if written else 1


def frame_stem(frame, frame_index: int) -> str:  # noqa: ANN001
    return str(frame.meta.get("kitti_id") or frame.meta.get("sustech_id") or f"{frame_index:06d}")


def write_png(image, path: Path) -> None:  # noqa: ANN001 - a QImage
    """PNG bytes written atomically (temporary name, then rename)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from ..io.atomic import write_bytes_atomic

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    write_bytes_atomic(path, bytes(data))


def write_3d_view(project, frame_index: int, out_dir: Path, size_px: tuple[int, int] = (1280, 800)) -> Path:  # noqa: ANN001
    """The frame in the 3D view (in-process Open3D render, camera fitted), as ``<frame>_3d.png``."""
    import numpy as np
    from PySide6.QtGui import QImage

    from ..viewer import FrameScene, create_renderer

    scene = FrameScene(project, create_renderer("inprocess", width_px=size_px[0], height_px=size_px[1]))
    scene.show_frame(frame_index)
    rgb = np.ascontiguousarray(scene.render()[:, :, :3])
    image = QImage(rgb.data, rgb.shape[1], rgb.shape[0], rgb.strides[0], QImage.Format.Format_RGB888).copy()
    path = out_dir / f"{frame_stem(project.sequence[frame_index], frame_index)}_3d.png"
    write_png(image, path)
    print(f"wrote {path} (3D view)")
    return path
