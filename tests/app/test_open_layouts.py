"""Every unlabelled layout opens from File > Open folder… / Open file… (Qt's own dialog,
driven as a user would), gets a box of the place tool's verb, and File > Export… writes
the KITTI label line that box must give (computed here from the frame's calibration)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from sweeplabel.io.kitti import calib_of_frame

from .test_file_menu import assert_kitti_line, choose_in_dialog, empty_window, export_kitti_via_menu, own_config  # noqa: F401
from .test_file_menu import synth_root  # noqa: F401 - fixture

pytestmark = pytest.mark.gui


def _copy(src: Path, dst: Path, skip: tuple[str, ...] = ()) -> Path:
    shutil.copytree(src, dst, ignore=lambda d, names: [n for n in names if n in skip])
    return dst


def _file(src: Path, dst_dir: Path) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(src, dst_dir / src.name))


LAYOUTS = {  # name: (action, make(shared, tmp) -> path, frames)
    "kitti-tracking": ("open_folder", lambda d, t: _copy(d / "kitti_tracking_0000", t / "trk",
                                                         ("label_02", "pcd_original")), 8),
    "kitti-object": ("open_folder", lambda d, t: _copy(d / "kitti_object", t / "obj", ("label_2",)), 3),
    "sustech": ("open_folder", lambda d, t: _copy(d / "sustech_points_example", t / "scene", ("label",)), 3),
    "pcd-folder": ("open_folder", lambda d, t: _copy(d / "kitti_tracking_0000" / "pcd_original", t / "pcds"), 8),
    "bin-folder": ("open_folder", lambda d, t: _copy(d / "kitti_object" / "training" / "velodyne", t / "bins"), 3),
    "single-pcd": ("open", lambda d, t: _file(d / "kitti_tracking_0000" / "pcd_original" / "0000000003.pcd",
                                              t / "one"), 1),
    "single-bin": ("open", lambda d, t: _file(d / "kitti_object" / "training" / "velodyne" / "000001.bin",
                                              t / "one"), 1),
    "single-las": ("open", lambda d, t: _file(d / "las_laz" / "simple.las", t / "one"), 1),
}


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_open_unlabelled_layout_create_a_box_and_export_kitti(qtbot, shared_data, synth_root, tmp_path,  # noqa: F811
                                                              layout) -> None:
    action, make, n_frames = LAYOUTS[layout]
    path = make(shared_data, tmp_path)
    window = empty_window(qtbot, synth_root, tmp_path)
    choose_in_dialog(window, action, path)
    assert window.error_box is None, window.error_box.text()
    [new] = window.other_windows
    qtbot.addWidget(new)
    assert len(new.project.sequence) == n_frames and len(new.project.annotations) == 0
    # a car placed on the ground near the middle of frame 1's points, with the place tool's verb
    new.go_to_frame(0, wait=True)
    frame = new.project.sequence[0]
    points = frame.load_points()[:, :3].astype(np.float64)
    spot_xy = np.median(points[:, :2], axis=0) + [8.0, 1.0]
    near = points[np.hypot(*(points[:, :2] - spot_xy).T) < 20]
    ground_z = float(np.percentile(near[:, 2], 5)) if len(near) else float(np.median(points[:, 2]))
    ground_world = frame.T_world_sensor[:3, :3] @ [*spot_xy, ground_z] + frame.T_world_sensor[:3, 3]
    new.set_tool("place")
    token = new.editor.place_default(ground_world - new.scene.render_origin_m, yaw_rad=0.3)
    assert token is not None
    box_sensor = new.project.annotation(token).box.transformed(np.linalg.inv(frame.T_world_sensor))
    dialog = export_kitti_via_menu(qtbot, new, tmp_path / "delivery")
    labels = [p for p in dialog.result.files_written if p.parent.name == "label_2" and p.read_text().strip()]
    assert len(labels) == 1
    assert_kitti_line(labels[0].read_text(), box_sensor, calib_of_frame(frame))
    dialog.close()
    new.close()


def test_nuscenes_without_annotations_opens_from_open_folder(qtbot, shared_data, synth_root, tmp_path) -> None:  # noqa: F811
    root = tmp_path / "nus"
    version = root / "v1.0-test"
    shutil.copytree(shared_data / "lyft_nuscenes_schema_tables" / "v1.01-train", version)
    for table in ("sample_annotation", "instance", "category", "attribute", "visibility", "map"):
        (version / f"{table}.json").unlink()
    window = empty_window(qtbot, synth_root, tmp_path)
    choose_in_dialog(window, "open_folder", root)
    assert window.error_box is None, window.error_box.text()
    [new] = window.other_windows
    qtbot.addWidget(new)
    assert len(new.project.sequence) >= 1 and len(new.project.annotations) == 0
    new.close()
