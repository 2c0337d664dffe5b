"""A height colormap for point clouds (pure NumPy)."""

from __future__ import annotations

import numpy as np

# Anchors of a muted ramp (slate -> teal -> sage -> sand -> coral -> pale): readable on
# a dark background at every height, and dimmer than the saturated class colours of
# the box wireframes, so boxes stand out from the ground whatever their class.
_RAMP_POSITIONS = np.array([0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
_RAMP_RGB = np.array(
    [
        [0.30, 0.33, 0.42],
        [0.33, 0.52, 0.58],
        [0.52, 0.70, 0.50],
        [0.86, 0.80, 0.48],
        [0.93, 0.58, 0.42],
        [0.98, 0.90, 0.85],
    ]
)


def colormap(values: np.ndarray) -> np.ndarray:
    """Map values in [0, 1] (clipped) to (N, 3) float32 RGB in [0, 1]."""
    t = np.clip(np.asarray(values, dtype=np.float64).reshape(-1), 0.0, 1.0)
    rgb = np.empty((t.size, 3), dtype=np.float32)
    for channel in range(3):
        rgb[:, channel] = np.interp(t, _RAMP_POSITIONS, _RAMP_RGB[:, channel])
    return rgb


def height_range_m(z_m: np.ndarray, low_pct: float = 2.0, high_pct: float = 98.0) -> tuple[float, float]:
    """A robust (z_min, z_max) for colouring: percentiles, never an empty interval."""
    z = np.asarray(z_m, dtype=np.float64).reshape(-1)
    z = z[np.isfinite(z)]
    if z.size == 0:
        return (-2.0, 3.0)
    lo, hi = np.percentile(z, [low_pct, high_pct])
    if hi - lo < 0.5:
        mid = (lo + hi) / 2.0
        lo, hi = mid - 0.25, mid + 0.25
    return (float(lo), float(hi))


def height_colors(z_m: np.ndarray, z_range_m: tuple[float, float]) -> np.ndarray:
    """(N, 3) float32 RGB colouring each height within ``z_range_m`` (clipped outside)."""
    lo, hi = z_range_m
    span = max(hi - lo, 1e-6)
    return colormap((np.asarray(z_m, dtype=np.float64) - lo) / span)
