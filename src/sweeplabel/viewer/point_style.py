"""How points are drawn: colour mode, point size, hidden ground, range limit, the
selected box's points highlighted, and a point budget while the camera moves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from .colormap import colormap, height_colors
from .frame_data import FrameData
from .geometry import PointLayer

GROUND_RGB = np.array([0.45, 0.36, 0.26], dtype=np.float32)
NON_GROUND_RGB = np.array([0.55, 0.80, 0.65], dtype=np.float32)
OUTSIDE_BOX_RGB = np.array([0.40, 0.42, 0.46], dtype=np.float32)
HIGHLIGHT_RGB = np.array([1.0, 0.95, 0.25], dtype=np.float32)


class ColorMode(str, Enum):
    HEIGHT = "height"
    INTENSITY = "intensity"
    GROUND = "ground"
    CLASS = "class"  # points inside a box take its class colour


@dataclass(frozen=True)
class DisplayOptions:
    color_mode: ColorMode = ColorMode.HEIGHT
    point_size_px: float = 2.0
    hide_ground: bool = False
    range_limit_m: float | None = None  # BEV distance from the sensor; None = all

    def evolve(self, **changes: object) -> "DisplayOptions":
        return replace(self, **changes)


def visible_mask(data: FrameData, options: DisplayOptions) -> np.ndarray:
    """Points shown under the options (hidden ground, range limit)."""
    keep = np.ones(len(data), dtype=bool)
    if options.hide_ground:
        keep &= ~data.ground
    if options.range_limit_m is not None:
        d = np.hypot(data.xyz_m[:, 0] - data.sensor_m[0], data.xyz_m[:, 1] - data.sensor_m[1])
        keep &= d <= options.range_limit_m
    return keep


def point_colors(data: FrameData, options: DisplayOptions, z_range_m: tuple[float, float],
                 box_labels: np.ndarray | None = None, box_rgb: np.ndarray | None = None) -> np.ndarray:
    """(N, 3) float32 colours of all points under ``options.color_mode``.

    ``box_labels`` (N,) int: index into ``box_rgb`` (M, 3) of the box holding each point, -1 none."""
    mode = options.color_mode
    if mode is ColorMode.INTENSITY:
        return colormap(data.intensity)
    if mode is ColorMode.GROUND:
        return np.where(data.ground[:, None], GROUND_RGB, NON_GROUND_RGB).astype(np.float32)
    if mode is ColorMode.CLASS:
        colors = np.tile(OUTSIDE_BOX_RGB, (len(data), 1))
        if box_labels is not None and box_rgb is not None and len(box_rgb):
            inside = box_labels >= 0
            colors[inside] = np.asarray(box_rgb, dtype=np.float32)[box_labels[inside]]
        return colors
    return height_colors(data.xyz_m[:, 2], z_range_m)


def styled_layer(data: FrameData, options: DisplayOptions, z_range_m: tuple[float, float], *,
                 box_labels: np.ndarray | None = None, box_rgb: np.ndarray | None = None,
                 highlight: np.ndarray | None = None, base_colors: np.ndarray | None = None) -> PointLayer:
    """The drawable layer: visible points, coloured (``base_colors`` if given, e.g. cached),
    the ``highlight`` mask (N,) bright."""
    colors = point_colors(data, options, z_range_m, box_labels, box_rgb) if base_colors is None else base_colors
    if highlight is not None and np.any(highlight):
        colors = colors.copy()
        colors[highlight] = HIGHLIGHT_RGB
    keep = visible_mask(data, options)
    return PointLayer(np.ascontiguousarray(data.xyz_m[keep]), np.ascontiguousarray(colors[keep]))


def decimated(layer: PointLayer, budget: int) -> PointLayer:
    """At most ``budget`` points (a regular stride), for drawing while the camera moves."""
    n = len(layer)
    if n <= budget:
        return layer
    stride = int(np.ceil(n / budget))
    return PointLayer(np.ascontiguousarray(layer.xyz_m[::stride]), np.ascontiguousarray(layer.colors_rgb[::stride]))
