"""``sweeplabel snapshot``: one PNG per camera; the box outline pixels are where the projection puts them."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sweeplabel.cli import main  # noqa: E402
from sweeplabel.io import read_sequence  # noqa: E402
from sweeplabel.io.kitti import KittiObject, camera_from_box, format_label_line, read_calib  # noqa: E402
from sweeplabel.kernels import project_to_cameras  # noqa: E402
from sweeplabel.model import default_schema  # noqa: E402
from sweeplabel.model.camera import projection_matrices  # noqa: E402

from io_cameras_data import KITTI_000008_CAR, kitti_camera_dataset  # noqa: E402


def _labelled_kitti(shared_data, tmp_path) -> Path:
    root = kitti_camera_dataset(shared_data, tmp_path)
    calib = read_calib(root / "calib" / "000008.txt")
    loc, dims, ry = camera_from_box(KITTI_000008_CAR, calib.T_cam_velo)
    obj = KittiObject("Car", 0.0, 0, 0.0, (0.0, 0.0, 0.0, 0.0), dims, loc, ry)
    (root / "label_2").mkdir()
    (root / "label_2" / "000008.txt").write_text(format_label_line(obj, 2) + "\n")
    return root


def _rgb(qimage, u, v):
    c = qimage.pixel(int(u), int(v))
    return np.array([(c >> 16) & 255, (c >> 8) & 255, c & 255])


def test_snapshot_outline_pixels_follow_the_projection(shared_data, tmp_path, capsys):
    from PySide6.QtGui import QImage

    root = _labelled_kitti(shared_data, tmp_path)
    out = tmp_path / "snap"
    assert main(["snapshot", str(root), "--frame", "0", "--out", str(out), "--no-points"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["000008_image_2.png"]
    shot = QImage(str(out / "000008_image_2.png"))
    original = QImage(str(shared_data / "kitti_camera" / "image_2" / "000008.png"))
    assert (shot.width(), shot.height()) == (1242, 375)
    # where the kernel puts the box edges, the snapshot has the class colour
    frame = read_sequence(root).sequence.frames[0]
    box = next(iter(read_sequence(root).annotations)).box
    P, wh = projection_matrices(frame.cameras, frame.T_world_sensor)
    proj = project_to_cameras(np.zeros((0, 3), np.float32), box.to_array()[None], P, wh)
    car_rgb = np.array(default_schema().category("vehicle.car").color_rgb) * 255
    hits = 0
    segs = [s for s in proj.edges_px[0, 0] if np.isfinite(s[0])]
    assert len(segs) >= 10
    for u0, v0, u1, v1 in segs:
        for t in (0.3, 0.5, 0.7):
            u, v = u0 + t * (u1 - u0), v0 + t * (v1 - v0)
            if not (1 <= u < 1241 and 1 <= v < 374):
                continue
            near = min(np.abs(_rgb(shot, u + du, v + dv) - car_rgb).max() for du in (-1, 0, 1) for dv in (-1, 0, 1))
            hits += near < 40
    assert hits >= 20
    # away from the box the image is untouched
    u0, v0, u1, v1 = proj.bbox_px[0, 0]
    for u, v in ((50, 50), (1000, 100), (1200, 300), (u1 + 30, 40)):
        assert (_rgb(shot, u, v) == _rgb(original, u, v)).all()


def test_snapshot_errors_name_the_camera(shared_data, tmp_path, capsys):
    root = _labelled_kitti(shared_data, tmp_path)
    assert main(["snapshot", str(root), "--out", str(tmp_path / "o"), "--camera", "CAM_BACK"]) == 2
    assert "image_2" in capsys.readouterr().err
    assert main(["snapshot", str(root), "--frame", "5", "--out", str(tmp_path / "o")]) == 2


def test_snapshot_with_the_3d_view(shared_data, tmp_path):
    from PySide6.QtGui import QImage

    root = _labelled_kitti(shared_data, tmp_path)
    out = tmp_path / "snap"
    assert main(["snapshot", str(root), "--out", str(out), "--with-3d"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["000008_3d.png", "000008_image_2.png"]
    view = QImage(str(out / "000008_3d.png"))
    assert view.width() == 1280 and len({view.pixel(x, y) for x in range(0, 1280, 16) for y in range(0, 800, 16)}) > 20
