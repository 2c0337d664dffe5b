"""Reopen where you left: the frame, the camera, the tool, the new-box class and the
display settings are kept in the project (``ProjectStore.set_meta("session_state", …)``)
and restored when the project opens again. Saved a moment after each change of frame,
tool, class or display, and on close."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer

from sweeplabel.viewer import ColorMode, DisplayOptions
from sweeplabel.viewer.frame_data import is_big_cloud

if TYPE_CHECKING:
    from .main_window import MainWindow

META_KEY = "session_state"
SAVE_DELAY_MS = 1_000


@dataclass
class SessionState:
    """What the window looked like. ``frame_index0`` is 0-based (the app shows it + 1);
    the camera target is in the world frame (metres)."""

    frame_index0: int = 0
    camera_target_world_m: list[float] = field(default_factory=lambda: [0.0, 0.0, 0.0])
    camera_distance_m: float = 30.0
    camera_azimuth_rad: float = 0.0
    camera_elevation_rad: float = 0.5
    tool: str = "select"
    new_box_category: str = ""
    color_mode: str = ColorMode.HEIGHT.value
    point_size_px: float = 2.0
    hide_ground: bool = False
    range_limit_m: float | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> "SessionState | None":
        """The saved state; None when absent or unreadable (a damaged entry is ignored)."""
        try:
            data = json.loads(text)
            known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
            state = cls(**known)
            state.camera_target_world_m = [float(v) for v in state.camera_target_world_m][:3]
            if len(state.camera_target_world_m) != 3:
                return None
            return state
        except (ValueError, TypeError, AttributeError):
            return None

    @property
    def display_options(self) -> DisplayOptions:
        try:
            mode = ColorMode(self.color_mode)
        except ValueError:
            mode = ColorMode.HEIGHT
        return DisplayOptions(mode, float(self.point_size_px), bool(self.hide_ground),
                              None if self.range_limit_m is None else float(self.range_limit_m))


def capture(window: "MainWindow") -> SessionState:
    """The window's state now."""
    camera = window.scene.renderer.camera
    opts = window.display_bar.options
    frame = window.target_frame
    return SessionState(
        frame_index0=int(frame or 0),
        camera_target_world_m=[float(v) for v in np.asarray(camera.target) + window.scene.render_origin_m],
        camera_distance_m=float(camera.distance_m), camera_azimuth_rad=float(camera.azimuth_rad),
        camera_elevation_rad=float(camera.elevation_rad), tool=window.editor.tool,
        new_box_category=window.editor.category, color_mode=ColorMode(opts.color_mode).value,
        point_size_px=float(opts.point_size_px), hide_ground=bool(opts.hide_ground),
        range_limit_m=opts.range_limit_m)


class SessionKeeper(QObject):
    """Restores the saved state into a window and keeps it saved."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        self._restoring = False

    def saved(self) -> SessionState | None:
        store = self.window.store
        if store is None:
            return None
        text = store.meta().get(META_KEY)
        return SessionState.from_json(text) if text else None

    def install(self) -> None:
        """Restore, then save a moment after each change."""
        self.restore()
        win = self.window
        win.loader.loaded.connect(lambda *_: self.schedule())
        win.editor.tool_changed.connect(lambda _t: self.schedule())
        win.display_bar.options_changed.connect(lambda _o: self.schedule())
        win.display_bar.category_changed.connect(lambda _c: self.schedule())
        win.timeline.frame_requested.connect(lambda _f: self.schedule())

    def schedule(self) -> None:
        if self.window.store is not None and not self._restoring:
            self._timer.start()

    def save(self) -> None:
        store = self.window.store
        if store is None or self.window.scene.frame_index is None:
            return
        try:
            store.set_meta(META_KEY, capture(self.window).to_json())
        except Exception as exc:  # noqa: BLE001 - a closed/locked store must not break closing
            self.window.statusBar().showMessage(f"could not keep the view state: {exc}", 5_000)

    def restore(self) -> bool:
        state = self.saved()
        win = self.window
        if state is None or len(win.project.sequence) == 0:
            return False
        self._restoring = True
        try:
            names = win.project.schema.category_names
            if state.new_box_category in names:
                combo = win.display_bar.category
                combo.setCurrentIndex(combo.findData(state.new_box_category))
                win.editor.category = state.new_box_category
            win.display_bar.set_options(state.display_options)
            if state.tool in ("select", "one_click", "rectangle", "place"):
                win.editor.set_tool(state.tool)
            frame = min(max(int(state.frame_index0), 0), len(win.project.sequence) - 1)
            win.go_to_frame(frame, wait=not is_big_cloud(win.project.sequence[frame]))
            if win.scene.frame_index is None:  # the first frame is still loading: it will fit the camera
                def once(*_args: object) -> None:
                    win.loader.loaded.disconnect(once)
                    self._apply_camera(state)
                win.loader.loaded.connect(once)
            else:
                self._apply_camera(state)
        finally:
            self._restoring = False
        return True

    def _apply_camera(self, state: SessionState) -> None:
        win = self.window
        camera = win.scene.renderer.camera
        camera.target = np.asarray(state.camera_target_world_m, dtype=np.float64) - win.scene.render_origin_m
        camera.distance_m = float(state.camera_distance_m)
        camera.azimuth_rad = float(state.camera_azimuth_rad)
        camera.elevation_rad = float(state.camera_elevation_rad)
        camera.__post_init__()  # clamps to the camera's limits
        win.view.request_render()
