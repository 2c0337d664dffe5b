"""Compile (or load from Numba's cache) every kernel ahead of first use."""
from __future__ import annotations

import threading
import time

import numpy as np

__all__ = ["warmup", "kernels_ready"]

_READY = threading.Event()


def kernels_ready() -> bool:
    """``warmup()`` has finished in this process: every kernel is compiled or loaded, so
    a call costs its run time only (before that, a first call may compile for seconds)."""
    return _READY.is_set()


def warmup() -> float:
    """Run each kernel once on a tiny cloud; returns the seconds spent.

    With ``cache=True`` kernels load from ``__pycache__`` after the first run of the
    package; call this at application start (e.g. in a background thread) or via
    ``sweeplabel warmup``.
    """
    from .boxes import points_in_boxes, points_in_boxes_csr
    from .cluster import cluster_around, cluster_euclidean
    from .fit import fit_box
    from .ground import segment_ground
    from .pick import pick_point, points_in_polygon
    from .project import project_to_cameras
    from .voxel import voxel_downsample

    t0 = time.perf_counter()
    rng = np.random.default_rng(0)
    pts = np.ascontiguousarray(rng.uniform(-10, 10, (64, 4)).astype(np.float32))
    boxes = np.array([[0.0, 0.0, 0.0, 4.0, 2.0, 1.5, 0.3]])
    points_in_boxes(pts, boxes)
    points_in_boxes_csr(pts, boxes)
    segment_ground(pts)
    segment_ground(pts, method="grid")
    cluster_euclidean(pts, 1.0, 1)
    cluster_around(pts, pts[0, :3], 1.0)
    fit_box(pts)
    fit_box(pts, prior_box=boxes[0])
    pick_point(pts, np.zeros(3), np.ones(3), 0.5)
    points_in_polygon(pts, np.eye(4), np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0]]), (10.0, 10.0))
    project_to_cameras(pts, boxes, np.array([[1.0, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 1]]), [(10.0, 10.0)])
    voxel_downsample(pts, 0.5)
    voxel_downsample(pts, 0.5, method="centroid")
    _READY.set()
    return time.perf_counter() - t0

