import numpy as np
import pytest

from sweeplabel.kernels import fit_box
from sweeplabel.kernels.reference import fit_box_ref


def box_surface(rng, box, n=1500, visible_only=False):
    """Points sampled on the side faces and top of ``box`` (optionally the two faces seen from the origin)."""
    cx, cy, cz, l, w, h, yaw = box
    u = rng.uniform(-0.5, 0.5, n)
    face = rng.integers(0, 4, n)
    lx = np.where(face < 2, u * l, np.where(face == 2, l / 2, -l / 2))
    ly = np.where(face == 0, w / 2, np.where(face == 1, -w / 2, u * w))
    z = rng.uniform(cz - h / 2, cz + h / 2, n)
    x = cx + lx * np.cos(yaw) - ly * np.sin(yaw)
    y = cy + lx * np.sin(yaw) + ly * np.cos(yaw)
    pts = np.column_stack([x, y, z])
    if visible_only:  # keep faces whose outward normal points to the sensor at the origin
        nx = np.where(face < 2, 0.0, np.where(face == 2, 1.0, -1.0))
        ny = np.where(face == 0, 1.0, np.where(face == 1, -1.0, 0.0))
        wx = nx * np.cos(yaw) - ny * np.sin(yaw)
        wy = nx * np.sin(yaw) + ny * np.cos(yaw)
        pts = pts[(wx * -x + wy * -y) > 0]
    return np.ascontiguousarray(pts.astype(np.float32))


def yaw_err(a, b, period=np.pi):
    d = (a - b) % period
    return min(d, period - d)


@pytest.mark.parametrize("yaw", [0.0, 0.4, -1.2, 1.55, 3.0])
def test_recovers_yaw_and_size(yaw):
    rng = np.random.default_rng(7)
    truth = np.array([12.0, -4.0, -0.9, 4.5, 1.9, 1.6, yaw])
    pts = box_surface(rng, truth)
    b = fit_box(pts)
    assert yaw_err(b[6], yaw) < np.radians(2)
    np.testing.assert_allclose(b[3:6], truth[3:6], atol=0.05)
    np.testing.assert_allclose(b[:3], truth[:3], atol=0.05)
    assert -np.pi / 2 < b[6] <= np.pi / 2
    np.testing.assert_allclose(b, fit_box_ref(pts), atol=1e-9)


def test_ground_and_prior():
    rng = np.random.default_rng(8)
    truth = np.array([10.0, 5.0, -0.9, 4.4, 1.8, 1.6, 0.5])
    pts = box_surface(rng, truth, visible_only=True)
    b = fit_box(pts, ground_z_m=-1.7)
    assert abs((b[2] - b[5] / 2) - (-1.7)) < 1e-9
    prior = truth.copy()
    prior[6] += 0.1  # previous frame's yaw, slightly off
    prior[:2] += 0.3
    bp = fit_box(pts, prior_box=prior)
    np.testing.assert_allclose(bp[3:6], prior[3:6])  # size kept
    assert yaw_err(bp[6], truth[6], 2 * np.pi) < np.radians(2)  # heading kept near the prior
    np.testing.assert_allclose(bp[:2], truth[:2], atol=0.1)  # anchored on the visible faces
    np.testing.assert_allclose(bp, fit_box_ref(pts, prior_box=prior), atol=1e-9)
    # the same scene seen from a sensor elsewhere: anchoring follows the sensor position
    shift = np.array([100.0, -50.0, 0.0], dtype=np.float32)
    moved = np.ascontiguousarray(pts + shift)
    prior_m = prior.copy()
    prior_m[:3] += shift
    bm = fit_box(moved, prior_box=prior_m, sensor_xy_m=(100.0, -50.0))
    np.testing.assert_allclose(bm[:2] - shift[:2], bp[:2], atol=1e-3)
    np.testing.assert_allclose(bm, fit_box_ref(moved, prior_box=prior_m, sensor_xy_m=(100.0, -50.0)), atol=1e-9)
    # the yaw stays within the window even if another orientation fits better
    bq = fit_box(pts, prior_box=np.r_[truth[:6], truth[6] + 0.6], max_yaw_dev_rad=0.2)
    assert abs(bq[6] - (truth[6] + 0.6)) <= 0.2 + 1e-9


def test_edge_cases():
    one = np.array([[1, 2, 3]], dtype=np.float32)
    np.testing.assert_allclose(fit_box(one), [1, 2, 3, 0, 0, 0, 0], atol=1e-6)
    with_nan = np.array([[np.nan, 0, 0], [0, 0, 0], [1, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=np.float32)
    b = fit_box(with_nan)
    np.testing.assert_allclose(b[3:6], [1, 1, 1], atol=1e-6)
    with pytest.raises(ValueError, match="points"):
        fit_box(np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="prior_box"):
        fit_box(one, prior_box=[0, 0, 0])
    with pytest.raises(ValueError, match="trim_fraction"):
        fit_box(one, trim_fraction=0.7)
