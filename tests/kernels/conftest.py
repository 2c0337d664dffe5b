"""Fixtures for the kernel tests (helpers live in kernels_testdata.py)."""
from .kernels_testdata import kitti_frame, kitti_object_ids, kitti_sequence  # noqa: F401
