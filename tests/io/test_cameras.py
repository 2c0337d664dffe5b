"""Cameras from the readers, projected with the one projection kernel (real SUSTechPOINTS / KITTI data)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from matplotlib.path import Path as PolyPath

from sweeplabel.io import read_sequence
from sweeplabel.kernels import points_in_boxes, project_to_cameras
from sweeplabel.kernels.project import box_outline_px
from sweeplabel.model import Box
from sweeplabel.model.camera import projection_matrices

from conftest import SHARED_DATA
from io_cameras_data import KITTI_000008_CAR, kitti_camera_dataset

CAR_MIN_POINTS = 50
INSIDE_SHARE = 0.95


def _hull_shares(points_sensor, boxes_sensor, cam, T_world_sensor=np.eye(4)):
    """(box index, points of the box in the image, share inside its projected hull) per box."""
    P, wh = projection_matrices([cam], T_world_sensor, T_world_sensor)
    proj = project_to_cameras(points_sensor, boxes_sensor, P, wh)
    labels, _ = points_in_boxes(points_sensor, boxes_sensor)
    idx, uv = proj.point_index[0], proj.point_uv_px[0]
    out = []
    for b in range(len(boxes_sensor)):
        mine = labels[idx] == b
        if mine.sum() < CAR_MIN_POINTS:
            continue
        hull = box_outline_px(proj.edges_near_px[0, b])
        inside = PolyPath(hull).contains_points(uv[mine].astype(np.float64), radius=1e-6)
        out.append((b, int(mine.sum()), float(inside.mean())))
    return out, proj


@pytest.fixture(scope="module")
def sustech():
    root = SHARED_DATA / "sustech_points_example"
    if not (root / "camera").is_dir():
        pytest.skip(f"{root}/camera not found (README section 8)")
    return read_sequence(root)


def test_sustech_cameras_are_read(sustech):
    frame = sustech.sequence.frames[0]
    assert [c.name for c in frame.cameras] == ["front", "left", "right"]
    assert all(c.problem is None and c.image_size_wh == (2048, 1536) for c in frame.cameras)
    assert frame.cameras[0].image_path.name == "000965.jpg"
    assert not [w for w in sustech.warnings if "camera" in w or "calib" in w]  # PCD layout notes may stand


def test_sustech_000965_front_cars_inside_projected_hull(sustech):
    frame = sustech.sequence.frames[0]
    assert frame.meta["sustech_id"] == "000965"
    pts = np.ascontiguousarray(frame.load_points()[:, :3], dtype=np.float32)
    front = frame.cameras[0]
    P, wh = projection_matrices([front], frame.T_world_sensor)
    n_in = len(project_to_cameras(pts, np.zeros((0, 7)), P, wh, near_m=0.5).point_index[0])
    assert 14_000 <= n_in <= 15_500  # README section 8: about 14,500-14,900 points land in each image
    cars = [a for a in sustech.annotations if a.frame_index == 0
            and next(t for t in sustech.tracks if t.token == a.track_token).category == "vehicle.car"]
    boxes = np.stack([a.box.to_array() for a in cars])
    shares, _ = _hull_shares(pts, boxes, front)
    assert len(shares) >= 3, shares
    assert all(share >= INSIDE_SHARE for _, _, share in shares), shares


def test_kitti_000008_car_inside_projected_hull(shared_data, tmp_path):
    loaded = read_sequence(kitti_camera_dataset(shared_data, tmp_path))
    frame = loaded.sequence.frames[0]
    (cam,) = frame.cameras
    assert cam.problem is None and cam.image_size_wh == (1242, 375)
    pts = np.ascontiguousarray(frame.load_points()[:, :3], dtype=np.float32)
    shares, proj = _hull_shares(pts, KITTI_000008_CAR.to_array()[None], cam)
    assert len(shares) == 1 and shares[0][1] > 500 and shares[0][2] >= INSIDE_SHARE, shares
    # the projected box sits on the silver car of the image (u 350-610, v 180-350 by eye)
    u0, v0, u1, v1 = proj.bbox_px[0, 0]
    assert 250 < u0 < 370 and 600 < u1 < 700 and 150 < v0 < 200 and 340 < v1 < 420, proj.bbox_px[0, 0]
    # every point of the reduced cloud is in the image (the crop the dataset describes)
    assert len(proj.point_index[0]) == len(pts)


def test_missing_image_and_bad_calibration_name_the_file(shared_data, tmp_path):
    src = shared_data / "sustech_points_example"
    if not (src / "camera").is_dir():
        pytest.skip(f"{src}/camera not found")
    root = tmp_path / "scene"
    for sub in ("lidar", "label"):
        shutil.copytree(src / sub, root / sub)
    (root / "camera" / "front").mkdir(parents=True)
    (root / "camera" / "left").mkdir(parents=True)
    (root / "camera" / "right").mkdir(parents=True)
    (root / "camera" / "front" / "000965.jpg").symlink_to(src / "camera" / "front" / "000965.jpg")
    (root / "camera" / "left" / "000965.jpg").write_bytes(b"not a jpeg")
    shutil.copytree(src / "calib", root / "calib")
    calib = json.loads((src / "calib" / "camera" / "front.json").read_text())
    calib["extrinsic"] = [0.0] * 12 + [0, 0, 0, 1]  # not invertible
    (root / "calib" / "camera" / "right.json").write_text(json.dumps(calib))
    loaded = read_sequence(root)
    assert len(loaded.sequence.frames) == 3  # the frames load
    f0 = loaded.sequence.frames[0]
    cams = {c.name: c for c in f0.cameras}
    assert cams["front"].problem is None
    assert "unreadable" in cams["left"].problem and "000965.jpg" in cams["left"].problem
    assert "right.json" in cams["right"].problem and "not invertible" in cams["right"].problem
    assert "image missing" in loaded.sequence.frames[1].cameras[0].problem
    text = "\n".join(loaded.warnings)
    assert "right.json" in text and "not invertible" in text
    assert f0.load_points().shape[0] > 1000  # the 3D data is unaffected


def test_k_with_zeros_is_a_clear_problem(shared_data, tmp_path):
    src = shared_data / "sustech_points_example"
    if not (src / "camera").is_dir():
        pytest.skip(f"{src}/camera not found")
    root = tmp_path / "scene"
    root.mkdir()
    for sub in ("lidar", "label", "camera", "calib"):
        (root / sub).symlink_to(src / sub) if sub != "calib" else shutil.copytree(src / sub, root / sub)
    calib = json.loads((src / "calib" / "camera" / "front.json").read_text())
    calib["intrinsic"] = [0.0] * 8 + [1.0]
    (root / "calib" / "camera" / "front.json").write_text(json.dumps(calib))
    loaded = read_sequence(root)
    front = loaded.sequence.frames[0].cameras[0]
    assert front.name == "front" and "front.json" in front.problem and "zero focal length" in front.problem
    assert any("front.json" in w for w in loaded.warnings)


def test_nuscenes_tables_describe_cameras(shared_data):
    root = shared_data / "lyft_nuscenes_schema_tables"
    if not root.is_dir():
        pytest.skip(f"{root} not found")
    loaded = read_sequence(root)
    cams = loaded.sequence.frames[0].cameras
    assert len(cams) == 7 and cams[0].name == "CAM_FRONT"
    front = cams[0]
    assert front.image_size_wh == (1920, 1080) and "image missing" in front.problem
    # the front camera looks forward along the ego x axis: a point 20 m ahead of the ego projects
    # near the image centre column
    frame = loaded.sequence.frames[0]
    ego2global = np.array(frame.meta["ego2global"])
    ahead = (ego2global @ [20.0, 0.0, 1.0, 1.0])[:3]
    T_cam_world = front.T_camera_world(frame.T_world_sensor)
    p = front.K @ (T_cam_world[:3, :3] @ ahead + T_cam_world[:3, 3])
    assert p[2] > 15 and abs(p[0] / p[2] - 960) < 200


def test_kitti_tracking_image_02(shared_data, tmp_path):
    from PIL import Image

    src = shared_data / "kitti_tracking_0000" / "training"
    if not src.is_dir():
        pytest.skip(f"{src} not found")
    root = tmp_path / "training"
    root.mkdir()
    for sub in ("velodyne", "label_02", "calib"):
        (root / sub).symlink_to(src / sub)
    (root / "image_02" / "0000").mkdir(parents=True)
    Image.new("RGB", (1242, 375), (90, 90, 90)).save(root / "image_02" / "0000" / "000000.png")
    loaded = read_sequence(root)
    f0, f1 = loaded.sequence.frames[:2]
    (cam,) = f0.cameras
    assert cam.name == "image_02" and cam.problem is None and cam.image_size_wh == (1242, 375)
    assert "image missing" in f1.cameras[0].problem
    assert any("camera images missing" in w for w in loaded.warnings)
    # world -> camera follows the frame pose: a world point fixed ahead of frame 1's sensor
    # projects to the same pixel through frame 1's camera as a sensor-frame point would
    T = f1.cameras[0].T_camera_world(f1.T_world_sensor)
    p_sensor = np.array([15.0, 0.0, 0.0, 1.0])
    p_world = f1.T_world_sensor @ p_sensor
    T_cam_sensor = np.linalg.inv(f1.cameras[0].T_sensor_camera)
    np.testing.assert_allclose(T @ p_world, T_cam_sensor @ p_sensor, atol=1e-6)
