"""Hot kernels: arrays in, arrays out (Numba on CPU, numba.cuda where marked).

Conventions: points are (N, 3+) C-contiguous float32 (x, y, z first, metres); boxes are
(M, 7) C-contiguous float64 ``[cx, cy, cz, length, width, height, yaw_rad]`` (geometric
centre, yaw about +z, length along the heading). Invalid arguments raise ``ValueError``
naming the argument; NaN/inf points are ignored. Each kernel has a NumPy twin in
:mod:`sweeplabel.kernels.reference`.

Threading: every kernel is serial (one core each): on the 2-core target a prange variant was
no faster cold, and the OpenMP layer stalls after idle. If ``NUMBA_THREADING_LAYER`` is unset,
``numba.config.THREADING_LAYER`` is set to ``workqueue`` (see benchmarks/README.md).
"""
from __future__ import annotations

import os

import numba

if "NUMBA_THREADING_LAYER" not in os.environ:
    # OpenMP (the default here) stalls ~7 ms on the first parallel launch after idle; see
    # benchmarks/README.md. All kernels are serial today; this protects any parallel one.
    numba.config.THREADING_LAYER = "workqueue"

from .boxes import points_in_boxes, points_in_boxes_csr  # noqa: E402
from .cluster import cluster_around, cluster_euclidean  # noqa: E402
from .fit import fit_box  # noqa: E402
from .ground import GridGroundParams, GroundSegmenter, PatchworkParams, segment_ground  # noqa: E402
from .pick import pick_point, points_in_polygon, project_to_screen  # noqa: E402
from .voxel import voxel_downsample  # noqa: E402
from .warmup import kernels_ready, warmup  # noqa: E402

__all__ = [
    "kernels_ready",
    "segment_ground",
    "GroundSegmenter",
    "PatchworkParams",
    "GridGroundParams",
    "points_in_boxes",
    "points_in_boxes_csr",
    "cluster_euclidean",
    "cluster_around",
    "fit_box",
    "pick_point",
    "points_in_polygon",
    "project_to_screen",
    "voxel_downsample",
    "warmup",
]

from .project import CameraProjection, project_to_cameras  # noqa: E402

__all__ += ["CameraProjection", "project_to_cameras"]
