"""Model -> render-ready arrays, as small pure functions (no Open3D, no Qt).

The render frame is the world frame shifted by the sequence's render origin, so
float32 keeps centimetres even for UTM-sized world coordinates (DESIGN.md §2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from sweeplabel.model import BOX_EDGES, Annotation, Box, Project
from sweeplabel.model.geometry import transform_points

from .colormap import height_colors

HEADING_EDGE = (8, 9)  # centre -> centre of the front face, after the 8 corners
WIREFRAME_EDGES = np.array(BOX_EDGES + (HEADING_EDGE,), dtype=np.int32)
POINTS_NAME = "points"
BOX_NAME_PREFIX = "box:"


@dataclass(frozen=True, eq=False)
class PointLayer:
    """Points ready to draw: (N, 3) float32 render-frame xyz and (N, 3) float32 RGB."""

    xyz_m: np.ndarray
    colors_rgb: np.ndarray

    def __len__(self) -> int:
        return int(self.xyz_m.shape[0])


@dataclass(frozen=True, eq=False)
class Wireframe:
    """Line segments ready to draw: vertices (V, 3) float32, edges (E, 2) int32 into
    the vertices, one RGB colour per edge (E, 3) float32."""

    vertices_m: np.ndarray
    edges: np.ndarray
    colors_rgb: np.ndarray


def to_render_frame(
    points_sensor_m: np.ndarray, T_world_sensor: np.ndarray, render_origin_m: np.ndarray
) -> np.ndarray:
    """(N, 3+) sensor-frame points -> (N, 3) float32 in the render frame.

    Transforms and subtracts in float64 and casts last, which keeps the precision."""
    world_m = transform_points(np.asarray(T_world_sensor, dtype=np.float64), points_sensor_m)
    return (world_m - np.asarray(render_origin_m, dtype=np.float64)).astype(np.float32)


def point_layer(xyz_render_m: np.ndarray, z_range_m: tuple[float, float]) -> PointLayer:
    """Colour render-frame points by height (``z_range_m`` in render-frame z)."""
    xyz = np.ascontiguousarray(xyz_render_m, dtype=np.float32)
    colors = height_colors(xyz[:, 2], z_range_m)
    return PointLayer(xyz, colors)


def box_vertices_m(box: Box, render_origin_m: np.ndarray) -> np.ndarray:
    """(10, 3) float32: the 8 corners (``Box.corners`` order), the centre and the
    centre of the front face (the heading marker's two ends), in the render frame."""
    front_m = box.center_m + box.heading_vector() * (box.size_lwh_m[0] / 2.0)
    world_m = np.vstack([box.corners(), box.center_m, front_m])
    return (world_m - np.asarray(render_origin_m, dtype=np.float64)).astype(np.float32)


def box_wireframe(box: Box, render_origin_m: np.ndarray, color_rgb: tuple[float, float, float]) -> Wireframe:
    """The box's 12 edges plus the heading line (13 segments), all in one colour."""
    colors = np.tile(np.asarray(color_rgb, dtype=np.float32), (len(WIREFRAME_EDGES), 1))
    return Wireframe(box_vertices_m(box, render_origin_m), WIREFRAME_EDGES.copy(), colors)


def box_geometry_name(annotation_token: str) -> str:
    return f"{BOX_NAME_PREFIX}{annotation_token}"


def annotation_wireframes(project: Project, frame_index: int,
                          keep: Callable[[Annotation], bool] | None = None) -> dict[str, Wireframe]:
    """Named wireframes of the frame's annotations (those ``keep`` accepts), coloured by
    their track's class."""
    origin_m = project.sequence.render_origin_m
    wires: dict[str, Wireframe] = {}
    for ann in project.annotations_in_frame(frame_index):
        if keep is not None and not keep(ann):
            continue
        category = project.schema.category(project.track(ann.track_token).category)
        wires[box_geometry_name(ann.token)] = box_wireframe(ann.box, origin_m, category.color_rgb)
    return wires


def merged_wireframe(wires: list[Wireframe]) -> Wireframe:
    """All wireframes as one (one Open3D geometry draws, uploads and syncs much faster
    than dozens of small ones)."""
    if not wires:
        return Wireframe(np.zeros((0, 3), np.float32), np.zeros((0, 2), np.int32), np.zeros((0, 3), np.float32))
    offsets = np.cumsum([0] + [len(w.vertices_m) for w in wires[:-1]])
    return Wireframe(np.vstack([w.vertices_m for w in wires]),
                     np.vstack([w.edges + off for w, off in zip(wires, offsets)]).astype(np.int32),
                     np.vstack([w.colors_rgb for w in wires]).astype(np.float32))
