"""Render settings shared by the in-process renderer and the render process's client
(kept apart from renderer.py so the UI process need not import Open3D)."""

DEFAULT_BACKGROUND_RGB = (0.07, 0.08, 0.10)
LOD_POINTS_NAME = "points:lod"
DEFAULT_LOD_BUDGET = 150_000  # points drawn while the camera moves
