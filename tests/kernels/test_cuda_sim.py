"""CUDA variants under the numba.cuda simulator, in a subprocess (the env var must precede numba's import)."""
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import numpy as np
    from sweeplabel.kernels import points_in_boxes
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, (300, 4)).astype(np.float32)
    pts[0] = np.nan
    boxes = np.array([[0, 0, 0, 4, 2, 3, 0.4], [1, 1, 0, 3, 3, 3, -3.1], [0, 0, 0, 0, 0, 0, 0.0]])
    pts[1, :3] = 0
    got = points_in_boxes(pts, boxes, device="cuda")
    auto = points_in_boxes(pts, boxes, device="auto")
    want = points_in_boxes(pts, boxes, device="cpu")
    for g in (got, auto):
        assert (g[0] == want[0]).all() and (g[1] == want[1]).all(), (g, want)
    assert got[0][0] == -1 and got[0][1] == 0

    from sweeplabel.kernels import pick_point, points_in_polygon, segment_ground
    for d in ([1, 0.2, 0.1], [-1, 0.5, 0], [0, 0, 1]):
        assert pick_point(pts, [0, 0, 0], d, 0.5, device="cuda") == pick_point(pts, [0, 0, 0], d, 0.5)
    vp = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0], [0, -1, 0, -0.2], [0, 1, 0, 0]])
    poly = np.array([[100, 100], [500, 150], [300, 400], [50, 300.0]])
    np.testing.assert_array_equal(points_in_polygon(pts, vp, poly, (640, 480), device="cuda"),
                                  points_in_polygon(pts, vp, poly, (640, 480)))
    np.testing.assert_array_equal(segment_ground(pts, method="grid", device="cuda"),
                                  segment_ground(pts, method="grid"))
    assert points_in_boxes(pts[:0], boxes, device="cuda")[0].shape == (0,)
    print("cuda-sim ok", int(want[1].sum()))
    """
)


def test_points_in_boxes_cuda_simulator():
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    res = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "cuda-sim ok" in res.stdout
