"""SceneRenderer: named geometries + an orbit camera -> an RGB image, headless.

Wraps ``open3d.visualization.rendering.OffscreenRenderer``. Open3D 0.20 aborts the
process (a Filament precondition) when two OffscreenRenderers are alive at once and
one is destroyed, so at most one exists per process: a SceneRenderer takes the slot
lazily in ``render()`` and releases any other's first; the other re-creates its own
renderer (and re-adds its geometries) the next time it renders."""

from __future__ import annotations

import os
import weakref
from typing import Mapping

import numpy as np

from .camera import OrbitCamera
from .geometry import POINTS_NAME, PointLayer, Wireframe
from .open3d_import import o3d, rendering  # Open3D without plotly/dash
from .point_style import decimated
from .render_defaults import DEFAULT_BACKGROUND_RGB, DEFAULT_LOD_BUDGET, LOD_POINTS_NAME

__all__ = ["DEFAULT_BACKGROUND_RGB", "DEFAULT_LOD_BUDGET", "LOD_POINTS_NAME", "SceneRenderer", "to_line_set",
           "to_point_cloud"]

RENDER_EFFECTS_ENV = "SWEEPLABEL_RENDER_EFFECTS"
_slot_owner: "weakref.ReferenceType[SceneRenderer] | None" = None


def to_point_cloud(layer: PointLayer) -> o3d.geometry.PointCloud:
    """An Open3D (legacy) point cloud of the float32 render-frame positions.

    Not the tensor API on purpose: Open3D counts tensor allocations and makes the
    process exit with status 1 when any is still alive at exit (isl-org/Open3D#3666),
    which Qt/pybind teardown order makes likely; legacy clouds are not counted. The
    positions were already made render-relative, so float64 storage loses nothing."""
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(layer.xyz_m.astype(np.float64)))
    cloud.colors = o3d.utility.Vector3dVector(np.asarray(layer.colors_rgb, dtype=np.float64))
    return cloud


def to_line_set(wire: Wireframe) -> o3d.geometry.LineSet:
    lines = o3d.geometry.LineSet(
        o3d.utility.Vector3dVector(wire.vertices_m.astype(np.float64)),
        o3d.utility.Vector2iVector(wire.edges.astype(np.int32)),
    )
    lines.colors = o3d.utility.Vector3dVector(wire.colors_rgb.astype(np.float64))
    return lines


def point_material(point_size_px: float) -> rendering.MaterialRecord:
    material = rendering.MaterialRecord()
    material.shader = "defaultUnlit"
    material.point_size = float(point_size_px)
    return material


def line_material(line_width_px: float) -> rendering.MaterialRecord:
    material = rendering.MaterialRecord()
    material.shader = "unlitLine"
    material.line_width = float(line_width_px)
    return material


class SceneRenderer:
    """Holds the named geometries of one view and renders them offscreen."""

    def __init__(
        self,
        width_px: int = 640,
        height_px: int = 480,
        *,
        background_rgb: tuple[float, float, float] = DEFAULT_BACKGROUND_RGB,
        point_size_px: float = 2.0,
        line_width_px: float = 2.0,
    ) -> None:
        self.camera = OrbitCamera()
        self.background_rgb = background_rgb
        self.point_size_px = point_size_px
        self.line_width_px = line_width_px
        self._size_px = _checked_size(width_px, height_px)
        self._points: PointLayer | None = None
        self._wire_names: set[str] = set()
        self._geometries: dict[str, tuple[object, rendering.MaterialRecord]] = {}
        self._stale: set[str] = set()  # names whose Open3D state lags self._geometries
        self._o3d: rendering.OffscreenRenderer | None = None
        self.lod_budget = DEFAULT_LOD_BUDGET
        self.interactive = False  # True while the camera moves: draw the decimated points

    # -- content --------------------------------------------------------------------
    @property
    def size_px(self) -> tuple[int, int]:
        """(width, height) of the rendered image."""
        return self._size_px

    @property
    def geometry_names(self) -> list[str]:
        return sorted(self._geometries)

    @property
    def points(self) -> PointLayer | None:
        return self._points

    def set_points(self, layer: PointLayer) -> None:
        """Replace the points; above ``lod_budget`` a decimated copy is kept for motion."""
        self._points = layer
        material = point_material(self.point_size_px)
        self._put(POINTS_NAME, to_point_cloud(layer), material)
        lod = decimated(layer, self.lod_budget)
        self._put(LOD_POINTS_NAME, to_point_cloud(lod) if lod is not layer else None, material)

    def update_colors(self, indices: np.ndarray, colors_rgb: np.ndarray) -> None:
        """Recolour the points at ``indices`` (positions unchanged)."""
        if self._points is None:
            raise ValueError("no points to recolour")
        colors = np.array(self._points.colors_rgb, dtype=np.float32, copy=True)
        colors[np.asarray(indices, dtype=np.int64)] = colors_rgb
        self.set_points(PointLayer(self._points.xyz_m, colors))

    def clear_points(self) -> None:
        """Remove the points (and their decimated copy)."""
        self._points = None
        self._put(POINTS_NAME, None, None)
        self._put(LOD_POINTS_NAME, None, None)

    def set_wireframes(self, wires: Mapping[str, Wireframe]) -> None:
        """Replace all wireframes by ``wires`` (names must not be ``"points"``)."""
        for name in self._wire_names - set(wires):
            self._put(name, None, None)
        material = line_material(self.line_width_px)
        for name, wire in wires.items():
            self._put(name, to_line_set(wire), material)
        self._wire_names = set(wires)

    def _put(self, name: str, geometry: object | None, material: rendering.MaterialRecord | None) -> None:
        if geometry is None:
            self._geometries.pop(name, None)
        else:
            self._geometries[name] = (geometry, material)  # type: ignore[assignment]
        self._stale.add(name)

    # -- camera ---------------------------------------------------------------------
    def fit_camera(self) -> None:
        """Reset the camera to its default pose around the current points."""
        self.camera.reset(self._points.xyz_m if self._points is not None else np.zeros((0, 3)))

    # -- rendering ------------------------------------------------------------------
    def resize(self, width_px: int, height_px: int) -> None:
        """Change the image size; the Open3D renderer is re-created on the next render."""
        size = _checked_size(width_px, height_px)
        if size != self._size_px:
            self._size_px = size
            self.close()

    def render(self) -> np.ndarray:
        """The current view as a (height, width, 3) uint8 RGB array."""
        renderer = self._acquire()
        self._sync(renderer.scene)
        if LOD_POINTS_NAME in self._geometries:
            renderer.scene.show_geometry(POINTS_NAME, not self.interactive)
            renderer.scene.show_geometry(LOD_POINTS_NAME, self.interactive)
        self._apply_camera(renderer.scene)
        image = np.asarray(renderer.render_to_image())
        return np.ascontiguousarray(image[:, :, :3], dtype=np.uint8)

    def close(self) -> None:
        """Release the Open3D renderer (geometries are kept and re-added on demand)."""
        global _slot_owner
        if self._o3d is None:
            return
        self._o3d.scene.clear_geometry()
        self._o3d = None
        self._stale = set(self._geometries)
        if _slot_owner is not None and _slot_owner() is self:
            _slot_owner = None

    def _acquire(self) -> rendering.OffscreenRenderer:
        global _slot_owner
        if self._o3d is not None:
            return self._o3d
        other = _slot_owner() if _slot_owner is not None else None
        if other is not None and other is not self:
            other.close()
        width_px, height_px = self._size_px
        self._o3d = rendering.OffscreenRenderer(width_px, height_px)
        self._o3d.scene.set_background([*_encode_srgb(self.background_rgb), 1.0])
        _fast_view(self._o3d.scene.view)
        self._stale = set(self._geometries)
        _slot_owner = weakref.ref(self)
        return self._o3d

    def _sync(self, scene: rendering.Open3DScene) -> None:
        for name in sorted(self._stale):
            if scene.has_geometry(name):
                scene.remove_geometry(name)
            if name in self._geometries:
                geometry, material = self._geometries[name]
                scene.add_geometry(name, geometry, material)
        self._stale.clear()

    def _apply_camera(self, scene: rendering.Open3DScene) -> None:
        cam = self.camera
        width_px, height_px = self._size_px
        near_m, far_m = cam.clip_planes_m()
        scene.camera.set_projection(
            cam.fov_deg, width_px / height_px, near_m, far_m, rendering.Camera.FovType.Vertical
        )
        scene.camera.look_at(cam.target, cam.eye(), cam.up())

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing left to release safely
            pass


def _fast_view(view: rendering.View) -> None:
    """Only what unlit points and lines need: no post-processing (exact colours, no tone
    mapping), no MSAA, no ambient occlusion, no shadows. With Mesa's llvmpipe these
    passes cost most of a render (measured 1280x800, 112k points: 400-900 ms with the
    defaults, 80-200 ms without) and change nothing an unlit material shows but the
    anti-aliasing of edges: points stay crisp squares, lines step at a pixel.
    ``SWEEPLABEL_RENDER_EFFECTS=1`` keeps Open3D's default passes (smoothed lines on a
    GPU; the benchmark's "before")."""
    view.set_post_processing(False)
    if os.environ.get(RENDER_EFFECTS_ENV, "").strip() == "1":
        return
    view.set_antialiasing(False)
    view.set_ambient_occlusion(False)
    view.set_shadowing(False)


def _encode_srgb(rgb: tuple[float, float, float]) -> list[float]:
    """Filament decodes the background colour from sRGB to linear, and with post-
    processing off the linear value reaches the image; encoding first makes the image
    show ``rgb`` as given (point and line colours pass through unchanged)."""
    c = np.clip(np.asarray(rgb, dtype=np.float64), 0.0, 1.0)
    encoded = np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.power(c, 1.0 / 2.4) - 0.055)
    return [float(v) for v in encoded]


def _checked_size(width_px: int, height_px: int) -> tuple[int, int]:
    width_px, height_px = int(width_px), int(height_px)
    if width_px < 1 or height_px < 1:
        raise ValueError(f"render size must be positive, got {width_px}x{height_px}")
    return (width_px, height_px)
