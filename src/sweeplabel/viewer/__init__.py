"""Open3D rendering: model -> named geometries, an orbit camera, offscreen images.

Imports Open3D and NumPy, never Qt; the app paints the images this layer returns."""

from .camera import OrbitCamera
from .colormap import colormap, height_colors, height_range_m
from .frame_data import FrameData, label_points, load_frame_data, points_in_box_mask
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
from .picking import camera_ray, pick_box, project_points_px, ray_box_hit_m, ray_plane_z, view_proj_matrix
from .point_style import ColorMode, DisplayOptions, decimated, styled_layer
from .render_process import ProcessRenderer, RenderCrashed, RenderResult, create_renderer, render_mode

_OPEN3D_NAMES = ("SceneRenderer", "to_line_set", "to_point_cloud")


def __getattr__(name: str):  # noqa: ANN202 - the Open3D side loads on first use (the UI process renders elsewhere)
    if name in _OPEN3D_NAMES:
        from . import renderer

        return getattr(renderer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "ColorMode", "DisplayOptions", "points_in_box_mask", "FrameData", "camera_ray", "decimated", "label_points", "load_frame_data",
    "pick_box", "project_points_px", "ray_box_hit_m", "ray_plane_z", "styled_layer", "view_proj_matrix",
    "FrameLoadError", "FrameScene", "OrbitCamera", "POINTS_NAME", "PointLayer", "SceneRenderer", "WIREFRAME_EDGES",
    "Wireframe", "annotation_wireframes", "box_geometry_name", "box_vertices_m", "box_wireframe",
    "colormap", "height_colors", "height_range_m", "point_layer", "to_line_set", "to_point_cloud",
    "to_render_frame", "ProcessRenderer", "RenderCrashed", "RenderResult", "create_renderer", "render_mode",
]
