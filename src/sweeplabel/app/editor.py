"""EditorController: selection, the active tool and every box edit as one command.

Qt only for signals; geometry comes from the FrameScene's prepared frame data (render
frame), boxes go to the model in the world frame."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from sweeplabel.assist.class_prior import prior_for
from sweeplabel.assist.one_click import fit_region, propose_box, refit_box, snap_to_ground
from sweeplabel.model import Box, Command, ModelError, Project, SchemaError, commands
from sweeplabel.viewer import FrameScene

from .assist_ops import execute_edit
from .edit_ops import (
    ClipboardItem,
    Nudge,
    copy_items,
    flip_command,
    nudge_command,
    paste_commands,
    propagate_command,
    reclass_command,
)

TOOLS = {"select": "Select", "one_click": "One-click box", "rectangle": "Rectangle fit (BEV)",
         "place": "Place default box"}


class EditorController(QObject):
    """What the user selected, which tool is active, and the edit verbs."""

    selection_changed = Signal(object)  # annotation token or None
    tool_changed = Signal(str)
    message = Signal(str)  # a short user-facing note (refusals, "nothing selected", ...)

    def __init__(self, project: Project, scene: FrameScene, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.scene = scene
        self.selected: str | None = None
        self.selected_track: str | None = None
        self.tool = "select"
        self.category = project.schema.default_category
        self.clipboard: list[ClipboardItem] = []
        self.not_ready = None  # () -> bool: True while the tools' kernels load (app/tool_warmup.py)

    # -- selection ------------------------------------------------------------------
    @property
    def frame_index(self) -> int | None:
        return self.scene.frame_index

    def select(self, token: str | None) -> None:
        if token is not None and self.project.get_annotation(token) is None:
            token = None
        self.selected = token
        if token is not None:
            self.selected_track = self.project.annotation(token).track_token
        self.scene.select(token)
        self.selection_changed.emit(token)

    def deselect(self) -> None:
        self.selected_track = None
        self.select(None)

    def token_in_frame(self, frame_index: int) -> str | None:
        """The selected track's annotation in ``frame_index``, if any."""
        if self.selected_track is None or self.project.get_track(self.selected_track) is None:
            return None
        ann = self.project.annotation_at(self.selected_track, frame_index)
        return ann.token if ann is not None else None

    def follow_frame(self) -> None:
        """After a frame change (or an undo): keep the selected track selected."""
        token = self.token_in_frame(self.frame_index) if self.frame_index is not None else None
        self.selected = token
        self.scene.select(token)
        self.selection_changed.emit(token)

    def select_step(self, delta: int) -> None:
        anns = self.scene.frame_annotations()
        if not anns:
            return
        tokens = [a.token for a in anns]
        i = tokens.index(self.selected) + delta if self.selected in tokens else (0 if delta > 0 else -1)
        self.select(tokens[i % len(tokens)])

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; expected one of {list(TOOLS)}")
        self.tool = tool
        self.tool_changed.emit(tool)

    # -- running commands -----------------------------------------------------------
    def run(self, command: Command) -> bool:
        try:
            execute_edit(self.project, command)  # re-interpolates a track whose keyframe changed
        except (ModelError, SchemaError, ValueError) as exc:
            self.message.emit(str(exc))
            return False
        return True

    def _need_selection(self) -> str | None:
        if self.selected is None or self.project.get_annotation(self.selected) is None:
            self.message.emit("Select a box first")
            return None
        return self.selected

    def nudge(self, nudge: Nudge) -> None:
        token = self._need_selection()
        if token is not None:
            self.run(nudge_command(self.project, token, nudge))

    def end_merge(self) -> None:
        """A key or the mouse was released: the next edit starts a new undo step."""
        self.project.undo.end_merge()

    def set_box(self, box: Box, merge_key: str | None = None, text: str = "Edit box") -> None:
        token = self._need_selection()
        if token is not None:
            self.run(commands.set_box(self.project, token, box, merge_key=merge_key, text=text))

    def flip(self) -> None:
        token = self._need_selection()
        if token is not None:
            self.run(flip_command(self.project, token))

    def delete(self) -> None:
        token = self._need_selection()
        if token is not None and self.run(commands.delete_annotations(self.project, [token])):
            self.follow_frame()

    def delete_track(self) -> None:
        token = self._need_selection()
        if token is not None:
            track = self.project.annotation(token).track_token
            if self.run(commands.delete_track(self.project, track)):
                self.deselect()

    def copy(self) -> None:
        token = self._need_selection()
        if token is not None:
            self.clipboard = copy_items(self.project, [token])
            self.message.emit(f"Copied 1 box")

    def paste(self) -> None:
        if not self.clipboard or self.frame_index is None:
            self.message.emit("Nothing to paste")
            return
        frame = self.frame_index
        try:
            with self.project.undo.macro("Paste"):
                for cmd in paste_commands(self.project, self.clipboard, frame):
                    self.project.execute(cmd)
        except (ModelError, SchemaError) as exc:
            self.message.emit(str(exc))
            return
        pasted = self.project.annotations_in_frame(frame)
        last = self.clipboard[-1]
        match = [a for a in pasted if a.track_token == last.track_token] or pasted[-1:]
        if match:
            self.select(match[0].token)

    def propagate(self, n_frames: int = 1) -> None:
        token = self._need_selection()
        if token is not None:
            self.run(propagate_command(self.project, token, n_frames))

    def set_category(self, category: str) -> None:
        """Change the selected track's class; boxes still at the old class's default size
        take the new class's (one undo step, said in the status bar)."""
        token = self._need_selection()
        if token is None:
            return
        track = self.project.annotation(token).track_token
        if self.project.track(track).category == category:
            return
        recls = reclass_command(self.project, track, category)
        if self.run(recls.command) and recls.resized:
            size = self.project.schema.category(category).default_size_lwh_m
            self.message.emit(f"{recls.resized} box{'es' if recls.resized != 1 else ''} had the "
                              f"{recls.old_label} size: now {recls.new_label} size "
                              f"{size[0]:.2f} × {size[1]:.2f} × {size[2]:.2f} m")

    def set_attribute(self, group: str, value: str | None) -> None:
        token = self._need_selection()
        if token is not None and self.project.annotation(token).attributes.get(group) != value:
            self.run(commands.set_annotation_attributes(self.project, token, {group: value}))

    # -- geometry-based edits -------------------------------------------------------
    def _points(self) -> tuple[np.ndarray, np.ndarray] | None:
        if self.not_ready is not None and self.not_ready():  # the point kernels are still being prepared
            from .tool_warmup import NOT_READY_MESSAGE

            self.message.emit(NOT_READY_MESSAGE)
            return None
        data = self.scene.data
        if data is None or len(data) == 0:
            self.message.emit("No points in this frame")
            return None
        return data.xyz_m, data.ground

    def snap_to_ground(self) -> None:
        token = self._need_selection()
        pts = self._points()
        if token is None or pts is None:
            return
        box = snap_to_ground(self.scene.to_render(self.project.annotation(token).box), pts[0], pts[1])
        if box is None:
            self.message.emit("No ground near the box")
            return
        self.run(commands.set_box(self.project, token, self.scene.to_world(box), text="Snap to ground"))

    def refit(self) -> None:
        token = self._need_selection()
        pts = self._points()
        if token is None or pts is None:
            return
        data = self.scene.data
        ann = self.project.annotation(token)
        prior = prior_for(self.project.schema, self.project.track(ann.track_token).category)
        box = refit_box(pts[0], self.scene.to_render(ann.box), ground_mask=pts[1],
                        sensor_xy_m=data.sensor_m[:2] if data is not None else None, prior=prior)
        if box is None:
            self.message.emit("Too few points in the box to fit")
            return
        self.run(commands.set_box(self.project, token, self.scene.to_world(box), text="Re-fit box"))

    def _create(self, box_render: Box | None, what: str) -> str | None:
        if box_render is None or self.frame_index is None:
            self.message.emit(f"{what}: no object found there")
            return None
        cmd = commands.create_track(self.project, self.category, self.frame_index, self.scene.to_world(box_render))
        if not self.run(cmd):
            return None
        token = cmd.changes[1].after.token  # type: ignore[union-attr]
        self.select(token)
        return token

    def create_at_point(self, seed_render_m: np.ndarray) -> str | None:
        """One-click: a box fitted to the object under ``seed_render_m``."""
        pts = self._points()
        if pts is None:
            return None
        data = self.scene.data
        prior = prior_for(self.project.schema, self.category)
        box = propose_box(pts[0], seed_render_m, prior.mean_lwh_m, ground_mask=pts[1],
                          sensor_xy_m=data.sensor_m[:2] if data is not None else None, prior=prior,
                          sensor_z_m=float(data.sensor_m[2]) if data is not None else None)
        return self._create(box, "One-click")

    def create_in_region(self, inside: np.ndarray) -> str | None:
        """Rectangle tool: a box fitted to the points selected by ``inside`` (N,) bool."""
        pts = self._points()
        if pts is None:
            return None
        data = self.scene.data
        box = fit_region(pts[0], inside, ground_mask=pts[1], prior=prior_for(self.project.schema, self.category),
                         sensor_xy_m=data.sensor_m[:2] if data is not None else None,
                         sensor_z_m=float(data.sensor_m[2]) if data is not None else None)
        return self._create(box, "Rectangle")

    def place_default(self, ground_render_m: np.ndarray, yaw_rad: float = 0.0) -> str | None:
        """A default-size box of the chosen class standing at ``ground_render_m``."""
        size = np.asarray(self.project.schema.category(self.category).default_size_lwh_m)
        centre = np.asarray(ground_render_m, dtype=np.float64) + [0.0, 0.0, size[2] / 2.0]
        return self._create(Box(centre, size, yaw_rad), "Place")
