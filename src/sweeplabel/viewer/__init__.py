"""Open3D rendering: model -> named geometries, an orbit camera, offscreen images.

Imports Open3D and NumPy, never Qt; the app paints the images this layer returns."""

from .camera import OrbitCamera
from .colormap import colormap, height_colors, height_range_m
from .frame_scene import FrameLoadError, FrameScene
from .geometry import (
    POINTS_NAME,
    WIREFRAME_EDGES,
    PointLayer,
    Wireframe,
    annotation_wireframes,
    box_geometry_name,
    box_vertices_m,
    box_wireframe,
    point_layer,
    to_render_frame,
)
from .renderer import SceneRenderer, to_line_set, to_point_cloud

__all__ = [
    "FrameLoadError", "FrameScene", "OrbitCamera", "POINTS_NAME", "PointLayer", "SceneRenderer", "WIREFRAME_EDGES",
    "Wireframe", "annotation_wireframes", "box_geometry_name", "box_vertices_m", "box_wireframe",
    "colormap", "height_colors", "height_range_m", "point_layer", "to_line_set", "to_point_cloud",
    "to_render_frame",
]
