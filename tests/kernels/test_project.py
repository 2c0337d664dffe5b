"""Camera projection kernel: near-plane and border clipping, parity with the NumPy twin."""
import numpy as np
import pytest

from sweeplabel.kernels import project_to_cameras
from sweeplabel.kernels.reference import project_to_cameras_ref

# A camera at the origin looking along +x (x forward, y left, z up in the input frame).
K = np.array([[500.0, 0, 320], [0, 500.0, 240], [0, 0, 1]])
R_CAM = np.array([[0, -1.0, 0], [0, 0, -1.0], [1.0, 0, 0]])  # input -> camera (x right, y down, z fwd)
P_FWD = K @ np.c_[R_CAM, np.zeros(3)]
WH = (640, 480)


def _cams():
    yaw = np.radians(120)
    Rz = np.array([[np.cos(yaw), np.sin(yaw), 0], [-np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    P_side = K @ np.c_[R_CAM @ Rz, [0.2, -0.1, 0.5]]
    return np.stack([P_FWD, P_side, K @ np.c_[R_CAM, [0, 0, 3.0]]]), np.array([WH, WH, (800, 600)])


def test_points_in_front_and_inside_only():
    pts = np.array([[10, 0, 0], [-10, 0, 0], [10, 100, 0], [0.05, 0, 0], [np.nan, 0, 0]], np.float32)
    proj = project_to_cameras(pts, np.zeros((0, 7)), P_FWD, [WH])
    assert proj.point_index[0].tolist() == [0]
    np.testing.assert_allclose(proj.point_uv_px[0][0], [320, 240])
    assert proj.point_depth_m[0][0] == pytest.approx(10.0)


def test_edge_behind_camera_is_clipped_not_dropped():
    # a long box from 5 m behind to 5 m in front of the camera: every long edge crosses the plane
    box = np.array([[0.0, 0.0, 0.0, 10.0, 2.0, 1.0, 0.0]])
    proj = project_to_cameras(np.zeros((0, 3), np.float32), box, P_FWD, [WH], near_m=0.5)
    near = proj.edges_near_px[0, 0]
    long_edges = [1, 3, 5, 7]  # corners 1-2, 3-0, 5-6, 7-4 run along the length
    assert np.isfinite(near[long_edges]).all()  # kept, with one end on the near plane
    # the end on the near plane projects far out (w = 0.5): y = +-1 -> u = 320 -+ 1000
    us = near[long_edges][:, [0, 2]]
    assert np.abs(us - 320).max() == pytest.approx(1000.0)
    # the rear face (corners 2, 3, 6, 7) is behind the camera: its edges are gone
    assert np.isnan(near[[2, 6, 10, 11]]).all()
    # border clipping: every visible segment lies inside the image rectangle
    seg = proj.edges_px[0, 0]
    vis = np.isfinite(seg[:, 0])
    assert vis.sum() >= 8
    assert (seg[vis][:, 0::2] >= -1e-9).all() and (seg[vis][:, 0::2] <= WH[0] + 1e-9).all()
    assert (seg[vis][:, 1::2] >= -1e-9).all() and (seg[vis][:, 1::2] <= WH[1] + 1e-9).all()
    # the unclipped 2D box extends beyond the image on both sides
    u0, v0, u1, v1 = proj.bbox_px[0, 0]
    assert u0 < 0 and u1 > WH[0]


def test_box_behind_is_invisible():
    box = np.array([[-10.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.3]])
    proj = project_to_cameras(np.zeros((0, 3), np.float32), box, P_FWD, [WH])
    assert np.isnan(proj.edges_px).all() and np.isnan(proj.bbox_px).all()


def test_parity_with_reference():
    rng = np.random.default_rng(3)
    pts = rng.uniform(-40, 40, (20_000, 4)).astype(np.float32)
    pts[:, 2] = rng.uniform(-2, 3, len(pts))
    boxes = np.column_stack([rng.uniform(-25, 25, (60, 2)), rng.uniform(-1, 1, 60),
                             rng.uniform(0.5, 12, (60, 3)), rng.uniform(-np.pi, np.pi, 60)])
    P, wh = _cams()
    got = project_to_cameras(pts, boxes, P, wh, near_m=0.3)
    ref = project_to_cameras_ref(pts, boxes, P, wh, near_m=0.3)
    for c in range(3):
        np.testing.assert_array_equal(got.point_index[c], ref.point_index[c])
        np.testing.assert_allclose(got.point_uv_px[c], ref.point_uv_px[c], rtol=1e-6, atol=1e-3)
        np.testing.assert_allclose(got.point_depth_m[c], ref.point_depth_m[c], rtol=1e-6)
        assert len(got.point_index[c]) > 500
    for a, b in ((got.edges_px, ref.edges_px), (got.edges_near_px, ref.edges_near_px), (got.bbox_px, ref.bbox_px)):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True)
    assert np.isfinite(got.edges_px).any() and np.isnan(got.edges_px).any()


def test_invalid_cameras():
    pts = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match="P:"):
        project_to_cameras(pts, np.zeros((0, 7)), np.eye(3), [WH])
    with pytest.raises(ValueError, match="image_wh"):
        project_to_cameras(pts, np.zeros((0, 7)), P_FWD, [(0, 10)])
