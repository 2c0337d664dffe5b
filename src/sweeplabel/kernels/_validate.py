"""Argument checks shared by the kernels: clear ``ValueError`` instead of Numba typing errors."""
from __future__ import annotations

import numpy as np

__all__ = ["check_points", "check_boxes", "check_device", "check_positive", "check_vector"]


def _describe(a: object) -> str:
    if isinstance(a, np.ndarray):
        return f"array dtype={a.dtype}, shape={a.shape}, C-contiguous={a.flags.c_contiguous}"
    return type(a).__name__


def check_points(points: object, name: str = "points", min_cols: int = 3) -> np.ndarray:
    """Return ``points`` if it is a C-contiguous float32 (N, >=min_cols) array, else raise."""
    if not isinstance(points, np.ndarray):
        raise ValueError(f"{name}: expected a numpy float32 array of shape (N, {min_cols}+), got {_describe(points)}")
    if points.dtype != np.float32:
        raise ValueError(f"{name}: expected dtype float32, got {points.dtype} (use .astype(np.float32))")
    if points.ndim != 2 or points.shape[1] < min_cols:
        raise ValueError(f"{name}: expected shape (N, {min_cols}+), got {points.shape}")
    if not points.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array (use np.ascontiguousarray)")
    return points


def check_boxes(boxes: object, name: str = "boxes") -> np.ndarray:
    """Return ``boxes`` if it is a C-contiguous float64 (M, 7) array of finite boxes with sizes >= 0."""
    if not isinstance(boxes, np.ndarray):
        raise ValueError(f"{name}: expected a numpy float64 array of shape (M, 7), got {_describe(boxes)}")
    if boxes.dtype != np.float64:
        raise ValueError(f"{name}: expected dtype float64, got {boxes.dtype}")
    if boxes.ndim != 2 or boxes.shape[1] != 7:
        raise ValueError(f"{name}: expected shape (M, 7) [cx, cy, cz, length, width, height, yaw], got {boxes.shape}")
    if not boxes.flags.c_contiguous:
        raise ValueError(f"{name}: expected a C-contiguous array (use np.ascontiguousarray)")
    if boxes.size and not np.isfinite(boxes).all():
        raise ValueError(f"{name}: contains NaN or inf")
    if boxes.size and (boxes[:, 3:6] < 0).any():
        raise ValueError(f"{name}: length, width and height must be >= 0")
    return boxes


def check_vector(v: object, name: str, size: int) -> np.ndarray:
    """Return ``v`` as a finite float64 vector of ``size`` elements, else raise."""
    try:
        arr = np.asarray(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected {size} numbers, got {_describe(v)}") from None
    if arr.shape != (size,):
        raise ValueError(f"{name}: expected shape ({size},), got {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or inf")
    return np.ascontiguousarray(arr)


def check_positive(value: object, name: str, allow_zero: bool = False) -> float:
    """Return ``value`` as a finite float > 0 (or >= 0), else raise."""
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected a number, got {value!r}") from None
    if not np.isfinite(f) or f < 0 or (f == 0 and not allow_zero):
        raise ValueError(f"{name}: expected a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return f


def check_device(device: str) -> str:
    """Resolve ``device`` ("cpu", "cuda", "auto") to "cpu" or "cuda"."""
    if device not in ("cpu", "cuda", "auto"):
        raise ValueError(f"device: expected 'cpu', 'cuda' or 'auto', got {device!r}")
    if device == "cpu":
        return "cpu"
    from . import _cuda_support

    ok = _cuda_support.cuda_available()
    if device == "cuda" and not ok:
        raise ValueError("device: 'cuda' requested but numba.cuda reports no usable GPU")
    return "cuda" if ok else "cpu"
