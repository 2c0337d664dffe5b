import numpy as np
import pytest

from sweeplabel.kernels import pick_point, points_in_polygon, project_to_screen
from sweeplabel.kernels.reference import pick_point_ref, points_in_polygon_ref, project_to_screen_ref


def look_at_view_proj(eye, target, fov_deg=60.0, aspect=4 / 3, near=0.1, far=200.0):
    f = np.asarray(target, float) - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, [0, 0, 1.0])
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = s, u, -f
    view[:3, 3] = -view[:3, :3] @ eye
    t = 1 / np.tan(np.radians(fov_deg) / 2)
    proj = np.zeros((4, 4))
    proj[0, 0], proj[1, 1] = t / aspect, t
    proj[2, 2], proj[2, 3] = (far + near) / (near - far), 2 * far * near / (near - far)
    proj[3, 2] = -1
    return proj @ view


def test_nearest_along_ray():
    pts = np.array([[5, 0, 0], [3, 0.05, 0], [3, 1, 0], [-2, 0, 0], [8, 0, 0.01]], dtype=np.float32)
    assert pick_point(pts, [0, 0, 0], [1, 0, 0], 0.1) == 1
    assert pick_point(pts, [0, 0, 0], [2, 0, 0], 0.01) == 0  # direction need not be unit
    assert pick_point(pts, [0, 0, 0], [0, 1, 0], 0.1) == -1
    assert pick_point(pts, [0, 0, 0], [1, 0, 0], 0.01, max_distance_m=4.0) == -1
    assert pick_point(pts, [0, 0, 0], [1, 0, 0], 0.0, radius_per_m=0.02) == 1  # cone: 6 cm at 3 m
    assert pick_point(np.zeros((0, 3), np.float32), [0, 0, 0], [1, 0, 0], 1.0) == -1
    nan = np.array([[np.nan, 0, 0], [1, 0, np.inf], [2, 0, 0]], dtype=np.float32)
    assert pick_point(nan, [0, 0, 0], [1, 0, 0], 0.5) == 2


def test_pick_parity_random(kitti_frame):
    rng = np.random.default_rng(0)
    for _ in range(20):
        d = rng.normal(size=3)
        d[2] = -abs(d[2]) * 0.2
        args = (np.zeros(3), d, 0.2)
        assert pick_point(kitti_frame, *args, radius_per_m=0.003) == pick_point_ref(kitti_frame, *args, radius_per_m=0.003)


def test_polygon_rectangle_and_lasso():
    vp = look_at_view_proj(np.array([0.0, 0, 0]), [10.0, 0, 0])
    pts = np.array([[10, 0, 0], [10, 3, 0], [10, -3, 0], [-10, 0, 0], [np.nan, 0, 0]], dtype=np.float32)
    scr = project_to_screen(pts, vp, (640, 480))
    np.testing.assert_allclose(scr[0], [320, 240], atol=1e-6)
    assert scr[1, 0] < 320 < scr[2, 0]  # +y (left) projects to the left of the centre
    assert np.isnan(scr[3]).all() and np.isnan(scr[4]).all()  # behind the camera / NaN
    rect = np.array([[300, 220], [340, 220], [340, 260], [300, 260]], dtype=float)
    assert points_in_polygon(pts, vp, rect, (640, 480)).tolist() == [True, False, False, False, False]
    lasso = np.array([[0, 0], [330, 0], [330, 480], [0, 480]], dtype=float)
    assert points_in_polygon(pts, vp, lasso, (640, 480)).tolist() == [True, True, False, False, False]


def test_polygon_parity(kitti_frame):
    vp = look_at_view_proj(np.array([-5.0, 0, 8]), [15.0, 0, -1])
    rng = np.random.default_rng(1)
    ang = np.sort(rng.uniform(0, 2 * np.pi, 12))
    rad = rng.uniform(80, 200, 12)
    lasso = np.column_stack([320 + rad * np.cos(ang), 240 + rad * np.sin(ang)])
    m = points_in_polygon(kitti_frame, vp, lasso, (640, 480))
    np.testing.assert_array_equal(m, points_in_polygon_ref(kitti_frame, vp, lasso, (640, 480)))
    assert m.sum() > 100
    np.testing.assert_array_equal(project_to_screen(kitti_frame, vp, (640, 480)),
                                  project_to_screen_ref(kitti_frame, vp, (640, 480)))


def test_invalid_arguments():
    pts = np.zeros((3, 3), np.float32)
    with pytest.raises(ValueError, match="direction"):
        pick_point(pts, [0, 0, 0], [0, 0, 0], 0.1)
    with pytest.raises(ValueError, match="origin"):
        pick_point(pts, [0, 0], [1, 0, 0], 0.1)
    with pytest.raises(ValueError, match="radius_m"):
        pick_point(pts, [0, 0, 0], [1, 0, 0], -1)
    with pytest.raises(ValueError, match="view_proj"):
        points_in_polygon(pts, np.eye(3), np.zeros((3, 2)), (10, 10))
    with pytest.raises(ValueError, match="polygon_px"):
        points_in_polygon(pts, np.eye(4), np.zeros((2, 2)), (10, 10))
    with pytest.raises(ValueError, match="viewport_px"):
        points_in_polygon(pts, np.eye(4), np.zeros((3, 2)), (0, 10))
