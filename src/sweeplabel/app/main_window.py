"""MainWindow: the 3D view, panels, toolbars and actions of the annotation editor (wiring)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeyEvent
from pathlib import Path

from PySide6.QtWidgets import (
    QApplication, QDockWidget, QLabel, QMainWindow, QMessageBox, QProgressBar, QToolBar, QWidget,
)

from sweeplabel.io import OpenedProject, ProjectStore, SweeplabelIOError, open_project
from sweeplabel.model import Annotation, ModelError, Project, SchemaError, Source
from sweeplabel.viewer import ColorMode, FrameScene, create_renderer
from sweeplabel.viewer.frame_data import is_big_cloud
from sweeplabel.viewer.frame_scene import empty_frame_data

from .actions import ALL_ACTIONS, MENUS, NAVIGATION_ACTIONS, TOOL_ACTIONS, VIEW_ACTIONS, current_keymap, make_actions
from .assist_actions import AssistController
from .assist_ops import flagged_frames
from .display_bar import DisplayBar
from .input_clock import InputClock
from .edit_ops import NUDGES
from .class_palette import ClassKeys
from .editor import TOOLS, EditorController
from .empty_hint import EmptyStateHint
from .export_dialog import open_export_dialog, save_now
from .file_menu import FileMenu, file_slots
from .frame_loader import FrameLoader
from .keyboard_focus import KeyboardFocus
from .panels import PropertiesPanel, TimelinePanel, TrackListPanel
from .panels.camera_panel import CameraDock
from .panels.subviews import SubViews
from .panels.score_filter import ScoreFilterPanel
from .rescore_action import RescoreController
from .review import ReviewMode, review_slots
from .save_status import SaveStatus, close_quietly
from .render_view import RenderView
from .session_state import SessionKeeper
from .shortcuts_dialog import ShortcutsDialog
from .tool_warmup import ToolWarmup
from .track_bulk_bar import TrackBulkBar
from .view_tools import ViewTools

DEFAULT_WINDOW_SIZE_PX = (1400, 900)
SIDE_DOCK_WIDTHS_PX = (300, 420)  # track list on the left, properties and box views on the right
STATUS_MESSAGE_MS = 10_000
ZOOM_STEP = 0.8
_MODEL_SIGNALS = (
    "annotation_added", "annotation_removed", "annotation_changed", "track_added", "track_changed", "track_removed",
)


def status_text(frame_index: int | None, n_frames: int, n_points: int, n_boxes: int,
                in_box: int | None = None, tool: str | None = None) -> str:
    """``frame i/n · N points · K boxes[ · M in box][ · tool]`` (1-based frame number)."""
    if frame_index is None:
        return "no frames"
    boxes = "box" if n_boxes == 1 else "boxes"
    text = f"frame {frame_index + 1}/{n_frames} · {n_points} points · {n_boxes} {boxes}"
    if in_box is not None:
        text += f" · {in_box} in box"
    if tool is not None:
        text += f" · {tool}"
    return text


class _KeyReleaseFilter(QObject):
    """Ends the undo merge run when a (non auto-repeat) key is released."""

    def __init__(self, on_release, parent: QObject) -> None:  # noqa: ANN001
        super().__init__(parent)
        self._on_release = on_release

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if event.type() == QEvent.Type.KeyRelease and isinstance(event, QKeyEvent) and not event.isAutoRepeat():
            self._on_release()
        return False


class MainWindow(QMainWindow):
    """The editor. ``go_to_frame`` shows cached frames at once and loads the others on
    a worker thread (``frame_shown`` fires when a frame is on screen)."""

    def __init__(self, project: Project, store: ProjectStore | None = None,
                 parent: QWidget | None = None, *, owned: OpenedProject | None = None,
                 start_renderer_early: bool = False) -> None:
        super().__init__(parent)
        self.owned = owned  # closed with the window (a project this window opened itself)
        self.error_box: QMessageBox | None = None
        self.project = project
        self.store = store
        self.scene = FrameScene(project, create_renderer())  # a render process unless SWEEPLABEL_RENDER=inprocess
        if start_renderer_early and hasattr(self.scene.renderer, "start"):
            self.scene.renderer.start()  # Open3D starts up in the child while the first frame loads here
        self.view = RenderView(self.scene, self)
        self.setCentralWidget(self.view)
        self.resize(*DEFAULT_WINDOW_SIZE_PX)
        self.loader = FrameLoader(project.sequence, self)
        self.editor = EditorController(project, self.scene, self)
        self.tools = ViewTools(self.view, self.editor, self)
        self.keymap = current_keymap()
        self._target_frame: int | None = None
        self._last_step = 1
        self._closed = False
        self.status_label = QLabel(self)
        self.statusBar().addWidget(self.status_label, 1)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("load_progress")
        self.progress_bar.setMaximumWidth(220)
        self.progress_bar.setFormat("loading %p%")
        self.progress_bar.hide()
        self.statusBar().addPermanentWidget(self.progress_bar)
        self.save_status = SaveStatus(self, store)  # "NOT SAVED" banner, retries, copy on quit
        self.assist = AssistController(self)  # smart propagation, interpolation, pre-annotation, object view
        self.tool_warmup = ToolWarmup(self)  # "preparing tools…" while the kernels load in the background
        self.editor.not_ready = self.tool_warmup.not_ready
        self.tool_warmup.start_after_first_render()  # the first sweep first, then the compiler
        self.file_menu = FileMenu(self)  # open dialogs, recent list, drag and drop
        self.class_keys = ClassKeys(self)  # Alt+1..9 and the class palette
        self.actions_by_id = make_actions(self, ALL_ACTIONS, self._slots(), self.keymap)
        self._build_toolbars()
        self._build_menus()
        self._build_docks()
        self.assist.install()
        self.rescore = RescoreController(self)  # Assist > Re-score from this project
        self._key_filter = _KeyReleaseFilter(self.editor.end_merge, self)
        QApplication.instance().installEventFilter(self._key_filter)
        self.input_clock = InputClock(self.view)  # input -> image latencies (bench_editor)
        self.input_clock.install()
        self.class_keys.install()
        self.keyboard_focus = KeyboardFocus(self)  # Enter/Escape back to the view; fields pass shortcuts on
        self.keyboard_focus.install()
        self._connect()
        self.review = ReviewMode(self)  # QA dock, review strip, reviewer name
        self._size_side_docks()
        self.cameras = CameraDock(self)  # camera images with projected points and boxes (sizes its own column)
        self._update_title()
        if len(project.sequence):  # a big LAS/LAZ streams in the background, with progress
            self.go_to_frame(0, wait=not is_big_cloud(project.sequence[0]))
        self._update_status()
        self.empty_hint = EmptyStateHint(self)  # what to do first, until the first box
        self.empty_hint.install()
        self.session = SessionKeeper(self)  # reopen where you left: frame, camera, tool, class, display
        self.session.install()
        self.view.setFocus()  # keys go to the actions, not to a spin box of a panel

    # -- navigation -----------------------------------------------------------------
    @property
    def frame_index(self) -> int | None:
        return self.scene.frame_index

    @property
    def target_frame(self) -> int | None:
        """The frame asked for last (shown, or still loading)."""
        return self._target_frame if self._target_frame is not None else self.scene.frame_index

    def go_to_frame(self, frame_index: int, wait: bool = False) -> None:
        """Show a frame (clamped): at once when cached (or ``wait``), else when its
        load on the worker thread finishes; no-op when it is already shown."""
        n_frames = len(self.project.sequence)
        if n_frames == 0:
            return
        frame_index = min(max(frame_index, 0), n_frames - 1)
        if frame_index == self.scene.frame_index and self._target_frame in (None, frame_index):
            return
        current = self.target_frame
        if current is not None and frame_index != current:
            self._last_step = 1 if frame_index > current else -1
        self._target_frame = frame_index
        data = self.loader.request(frame_index)
        if data is None and wait:
            self.loader.wait_idle()
            QApplication.processEvents()  # deliver the worker's signal
            data = self.loader.cached(frame_index)
        if data is not None:
            self._show(data)
        else:
            self.status_label.setText(f"loading frame {frame_index + 1}/{n_frames} …")

    def frame_on_screen(self, frame_index: int) -> bool:
        """The frame is shown and its image is painted (nothing left to load or render)."""
        return (self.scene.frame_index == frame_index and self._target_frame in (None, frame_index)
                and not self.view.render_pending)

    def step_frame(self, delta: int) -> None:
        self.go_to_frame((self.target_frame or 0) + delta)

    def _on_frame_loaded(self, frame_index: int, data: object) -> None:
        if frame_index == self._target_frame:
            self._show(data)

    def _on_partial(self, frame_index: int, data: object) -> None:
        """Part of a big cloud: show it now (the target stays pending until it is all in)."""
        if frame_index != self.target_frame:
            return
        target = self._target_frame
        self.scene.show_data(data)  # type: ignore[arg-type]
        self._target_frame = target
        self.timeline.set_current(frame_index)
        self.view.request_render()

    def _on_load_progress(self, frame_index: int, done: int, total: int) -> None:
        """A big cloud streams in: show how far (only for the frame asked for)."""
        if frame_index != self.target_frame or total <= 0:
            return
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(round(1000 * done / total))
        self.progress_bar.setVisible(done < total)

    def _on_frame_failed(self, frame_index: int, message: str) -> None:
        if frame_index != self._target_frame:
            return
        self.scene.show_data(empty_frame_data(self.project, frame_index))
        self.statusBar().showMessage(f"frame {frame_index + 1}: could not load points: {message}", STATUS_MESSAGE_MS)
        self._after_frame_change()

    def _show(self, data: object) -> None:
        self.scene.selected = self.editor.token_in_frame(data.frame_index)  # type: ignore[attr-defined]
        self.scene.show_data(data)  # type: ignore[arg-type]
        self._after_frame_change()

    def _after_frame_change(self) -> None:
        frame_index = self.scene.frame_index
        self._target_frame = None
        self.progress_bar.hide()
        self.editor.follow_frame()
        self.timeline.set_current(frame_index)
        self._update_marks()
        self._update_status()
        self.view.request_render()
        self.loader.prefetch(frame_index, self._last_step)

    # -- camera ---------------------------------------------------------------------
    def reset_view(self) -> None:
        self.scene.renderer.fit_camera()
        self.view.request_render()

    def birds_eye_view(self) -> None:
        self.scene.renderer.camera.birds_eye()
        self.view.request_render()

    def focus_selected(self) -> None:
        token = self.editor.selected
        if token is None:
            self.statusBar().showMessage("Select a box first", STATUS_MESSAGE_MS)
            return
        box = self.scene.to_render(self.project.annotation(token).box)
        camera = self.scene.renderer.camera
        camera.target = box.center_m.copy()
        camera.distance_m = max(float(box.size_lwh_m.max()) * 3.0, 6.0)
        self.view.request_render()

    def zoom(self, factor: float) -> None:
        self.scene.renderer.camera.zoom(factor)
        self.view.request_render()

    # -- display --------------------------------------------------------------------
    def set_display_options(self, options: object) -> None:
        self.scene.set_options(options)  # type: ignore[arg-type]
        self._update_status()
        self.view.request_render()

    def _toggle_ground(self) -> None:
        opts = self.display_bar.options
        self.display_bar.set_options(opts.evolve(hide_ground=not opts.hide_ground))

    def _next_color_mode(self) -> None:
        modes = list(ColorMode)
        opts = self.display_bar.options
        self.display_bar.set_options(opts.evolve(color_mode=modes[(modes.index(opts.color_mode) + 1) % len(modes)]))

    def _point_size(self, delta_px: float) -> None:
        opts = self.display_bar.options
        self.display_bar.set_options(opts.evolve(point_size_px=min(max(opts.point_size_px + delta_px, 1.0), 10.0)))

    def set_tool(self, tool: str) -> None:
        self.editor.set_tool(tool)

    def _on_tool_changed(self, tool: str) -> None:
        self.view.rect_mode = tool == "rectangle"
        if tool == "rectangle":
            self.birds_eye_view()
        self.actions_by_id[f"tool_{tool}"].setChecked(True)
        self._update_status()

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(ALL_ACTIONS, self.keymap, self)
        dialog.setModal(False)
        dialog.show()
        self.shortcuts_dialog = dialog
        return dialog

    # -- files ----------------------------------------------------------------------
    def show_error(self, title: str, text: str) -> QMessageBox:
        """A non-blocking error dialog; the window stays usable."""
        box = QMessageBox(QMessageBox.Icon.Critical, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("error_dialog")
        box.open()
        self.error_box = box
        return box

    def open_path(self, path: Path | str) -> "MainWindow | None":
        """Open a sequence or project in a new window; an error becomes a dialog naming it."""
        path = Path(path)
        if path.name == "sequence.json":
            path = path.parent
        already = self._window_showing(path)
        if already is not None:  # one window per project: a second writer would be refused anyway
            already.raise_()
            already.activateWindow()
            return already
        try:
            opened = open_project(path)
        except (SweeplabelIOError, ModelError, SchemaError, OSError, ValueError) as exc:
            self.show_error("Could not open", f"Could not open {path}:\n{exc}")
            return None
        window = MainWindow(opened.project, opened.store, owned=opened, start_renderer_early=True)
        window.show()
        self.other_windows = [*getattr(self, "other_windows", []), window]
        return window

    @staticmethod
    def _window_showing(path: Path) -> "MainWindow | None":
        """The open window of this dataset or project file, if there is one."""
        target = path.resolve()
        for widget in QApplication.topLevelWidgets():
            if not isinstance(widget, MainWindow) or widget._closed or not widget.isVisible():
                continue
            store_path = widget.store.path.resolve() if widget.store is not None else None
            root = widget.project.sequence.root
            if target == store_path or (root is not None and Path(root).resolve() == target):
                return widget
        return None

    # -- wiring ---------------------------------------------------------------------
    def _slots(self) -> dict[str, object]:
        ed = self.editor
        slots: dict[str, object] = {
            "quit": QApplication.closeAllWindows,
            "first_frame": lambda: self.go_to_frame(0),
            "previous_frame": lambda: self.step_frame(-1),
            "next_frame": lambda: self.step_frame(+1),
            "last_frame": lambda: self.go_to_frame(len(self.project.sequence) - 1),
            "play_pause": lambda: self.timeline.toggle_play(),
            "reset_view": self.reset_view,
            "birds_eye": self.birds_eye_view,
            "focus_selected": self.focus_selected,
            "toggle_ground": self._toggle_ground,
            "zoom_in": lambda: self.zoom(ZOOM_STEP),
            "zoom_out": lambda: self.zoom(1.0 / ZOOM_STEP),
            "undo": self.project.undo.undo,
            "redo": self.project.undo.redo,
            "delete": ed.delete,
            "delete_track": ed.delete_track,
            "copy": ed.copy,
            "paste": ed.paste,
            "propagate_next": lambda: ed.propagate(1),
            "propagate_5": lambda: ed.propagate(5),
            "deselect": lambda: (ed.deselect(), ed.set_tool("select")),
            "select_next_box": lambda: ed.select_step(+1),
            "select_previous_box": lambda: ed.select_step(-1),
            "flip_heading": ed.flip,
            "snap_to_ground": ed.snap_to_ground,
            "refit_box": ed.refit,
            "color_mode_next": self._next_color_mode,
            "point_size_up": lambda: self._point_size(+0.5),
            "point_size_down": lambda: self._point_size(-0.5),
            "toggle_subviews": lambda: self.subviews_dock.setVisible(not self.subviews_dock.isVisible()),
            "shortcuts": self.show_shortcuts,
        }
        for tool in TOOLS:
            slots[f"tool_{tool}"] = lambda t=tool: self.set_tool(t)
        for nudge in NUDGES:
            slots[nudge.id] = lambda n=nudge: ed.nudge(n)
        slots.update(review_slots(self))
        slots.update(file_slots(self))
        slots["save_now"] = lambda: save_now(self)
        slots["export"] = lambda: open_export_dialog(self)
        slots.update(self.class_keys.slots())
        slots.update(self.assist.slots())
        return slots

    def _build_toolbars(self) -> None:
        toolbar = QToolBar("Navigation", self)
        toolbar.setObjectName("navigation_toolbar")
        toolbar.setMovable(False)
        for spec in NAVIGATION_ACTIONS + VIEW_ACTIONS:
            if spec is VIEW_ACTIONS[0]:
                toolbar.addSeparator()
            if spec.toolbar:
                toolbar.addAction(self.actions_by_id[spec.id])
        toolbar.addSeparator()
        group = QActionGroup(self)
        for spec in TOOL_ACTIONS:
            action: QAction = self.actions_by_id[spec.id]
            action.setCheckable(True)
            group.addAction(action)
            toolbar.addAction(action)
        self.actions_by_id["tool_select"].setChecked(True)
        toolbar.addSeparator()
        toolbar.addAction(self.actions_by_id["propagate_next"])
        toolbar.addAction(self.actions_by_id["shortcuts"])
        self.addToolBar(toolbar)
        self.addToolBarBreak()
        self.display_bar = DisplayBar(self.project.schema, self.scene.options, self)
        self.addToolBar(self.display_bar)

    def _build_menus(self) -> None:
        for title, specs in MENUS:
            menu = self.menuBar().addMenu(title)
            for spec in specs:
                menu.addAction(self.actions_by_id[spec.id])
            if title == "&File":
                self.file_menu.install(menu)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        self.timeline = TimelinePanel(len(self.project.sequence), self)
        self.track_list = TrackListPanel(self.project, self)
        self.properties = PropertiesPanel(self.project, self)
        self.subviews = SubViews(self)
        self._dock("Timeline", self.timeline, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tracks_dock = self._dock("Tracks", self.track_list, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("Properties", self.properties, Qt.DockWidgetArea.RightDockWidgetArea)
        self.subviews_dock = self._dock("Box views", self.subviews, Qt.DockWidgetArea.RightDockWidgetArea)
        self.score_filter = ScoreFilterPanel(self.store, self)  # hides auto boxes under a score (per project)
        self.scene.annotation_filter = self.score_filter.keep
        self._dock("Auto score", self.score_filter, Qt.DockWidgetArea.LeftDockWidgetArea)

        self.track_bulk = TrackBulkBar(self)  # multi-select: delete, class, accept, reject
        self.track_bulk.install()
        self.resizeDocks([self.subviews_dock], [320], Qt.Orientation.Vertical)

    def _size_side_docks(self) -> None:
        """The 3D view takes what the side columns leave: give them their working widths."""
        self.resizeDocks([self.tracks_dock, self.subviews_dock], list(SIDE_DOCK_WIDTHS_PX),
                         Qt.Orientation.Horizontal)

    def _connect(self) -> None:
        for name in _MODEL_SIGNALS:
            getattr(self.project.events, name).connect(self._on_model_changed)
        self.project.undo.changed.connect(self._update_title)
        if self.store is not None:
            self.store.on_saved.append(self._update_title)
        self.loader.loaded.connect(self._on_frame_loaded)
        self.loader.failed.connect(self._on_frame_failed)
        self.loader.progress.connect(self._on_load_progress)
        self.loader.partial.connect(self._on_partial)
        self.timeline.frame_requested.connect(self.go_to_frame)
        self.timeline.frame_shown = self.frame_on_screen
        self.view.frame_rendered.connect(self.timeline.frame_painted)
        self.track_list.track_activated.connect(self.activate_track)
        self.editor.selection_changed.connect(self._on_selection_changed)
        self.editor.tool_changed.connect(self._on_tool_changed)
        self.editor.message.connect(lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS))
        self.view.render_failed.connect(lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS))
        self.properties.box_edited.connect(lambda box, key: self.editor.set_box(box, key, "Set value"))
        self.properties.category_edited.connect(self.editor.set_category)
        self.properties.attribute_edited.connect(self.editor.set_attribute)
        self.subviews.box_edited.connect(lambda box, key: self.editor.set_box(self.scene.to_world(box), key, "Drag box"))
        self.subviews.drag_finished.connect(self.editor.end_merge)
        self.save_status.changed.connect(self._update_title)
        for spin in self.properties.spins.values():  # a typed value is a finished step
            spin.editingFinished.connect(self.editor.end_merge)
        self.display_bar.options_changed.connect(self.set_display_options)
        self.display_bar.finished.connect(self.view.setFocus)
        self.properties.finished.connect(self.view.setFocus)
        self.display_bar.category_changed.connect(lambda name: setattr(self.editor, "category", name))
        self.score_filter.threshold_changed.connect(self._on_model_changed)

    def _disconnect(self) -> None:
        for name in _MODEL_SIGNALS:
            getattr(self.project.events, name).disconnect(self._on_model_changed)
        self.project.undo.changed.disconnect(self._update_title)
        if self.store is not None and self._update_title in self.store.on_saved:
            self.store.on_saved.remove(self._update_title)

    def activate_track(self, track_token: str) -> None:
        """Select the track's box in this frame, or jump to its nearest frame."""
        anns = self.project.annotations_of_track(track_token)
        if not anns:
            return
        here = self.target_frame or 0
        ann = min(anns, key=lambda a: abs(a.frame_index - here))
        self.editor.selected_track = track_token
        if ann.frame_index != self.scene.frame_index:
            self.go_to_frame(ann.frame_index, wait=True)
        self.editor.select(ann.token)

    # -- model -> view ----------------------------------------------------------------
    def _on_model_changed(self, *args: object) -> None:
        entity = args[-1] if args else None
        if isinstance(entity, Annotation) and entity.frame_index != self.scene.frame_index:
            old = args[0] if len(args) == 2 else None
            if not (isinstance(old, Annotation) and old.frame_index == self.scene.frame_index):
                self._update_marks()
                self.track_list.schedule_refresh()
                return
        self.scene.refresh_annotations()
        if self.editor.selected is not None and self.project.get_annotation(self.editor.selected) is None:
            self.editor.follow_frame()
        self._refresh_selection_views()
        self._update_marks()
        self.track_list.schedule_refresh()
        self._update_status()
        self.view.request_render()

    def _on_selection_changed(self, token: object) -> None:
        track = self.project.annotation(token).track_token if token else None  # type: ignore[arg-type]
        self.track_list.show_selected(track)
        self._refresh_selection_views()
        self._update_marks()
        self._update_status()
        self.view.request_render()

    def _refresh_selection_views(self) -> None:
        token = self.editor.selected
        self.properties.show_annotation(token)
        ann = self.project.get_annotation(token) if token else None
        data = self.scene.data
        self.subviews.show_box(self.scene.to_render(ann.box) if ann else None, data.xyz_m if data else None)
        self.assist.object_view.set_in_box_count(self.scene.n_in_selected if ann else None)  # the one count

    def _update_marks(self) -> None:
        track = self.editor.selected_track
        anns = self.project.annotations_of_track(track) if track and self.project.get_track(track) else []
        self.timeline.set_marks(set(self.project.frames_with_annotations()), {a.frame_index for a in anns},
                                {a.frame_index for a in anns if a.source == Source.MANUAL})
        self.timeline.set_flagged(flagged_frames(self.project, track))  # propagation stops

    def _update_title(self) -> None:
        """``<project> — all changes saved — sweeplabel`` (the store saves every step)."""
        name = self.store.path.name if self.store is not None else self.project.sequence.name
        if self.store is None:
            state = "not saved (no project file)"
        elif self.save_status.not_saved:
            state = self.save_status.title_state()
        elif self.store.has_unsaved_changes:
            state = "saving…"
        else:
            state = "all changes saved"
        self.setWindowTitle(f"{name} — {state} — sweeplabel")
        stack = self.project.undo
        self.actions_by_id["undo"].setEnabled(stack.can_undo)
        self.actions_by_id["undo"].setText(f"Undo {stack.undo_text}".strip())
        self.actions_by_id["redo"].setEnabled(stack.can_redo)
        self.actions_by_id["redo"].setText(f"Redo {stack.redo_text}".strip())

    def _update_status(self) -> None:
        scene = self.scene
        if scene.frame_index is None and self._target_frame is not None:
            self.status_label.setText(f"loading frame {self._target_frame + 1}/{scene.n_frames} …")
            return
        in_box = scene.n_in_selected if self.editor.selected is not None else None
        self.status_label.setText(status_text(scene.frame_index, scene.n_frames, scene.n_points, scene.n_boxes,
                                              in_box, TOOLS[self.editor.tool]))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self._closed:
            super().closeEvent(event)
            return
        if not self.save_status.confirm_close():  # unsaved work: copy elsewhere, discard or stay
            event.ignore()
            return
        self.save_status.detach()
        self._closed = True
        self.session.save()
        self.timeline.set_playing(False)
        QApplication.instance().removeEventFilter(self._key_filter)
        QApplication.instance().removeEventFilter(self.input_clock)
        self.keyboard_focus.remove()
        self.empty_hint.remove()
        self.loader.shutdown()
        self._disconnect()
        self.review.shutdown()
        self.assist.shutdown()
        self.view.release()
        close_quietly(self.owned)  # the user chose: a failing final save raises no more
        super().closeEvent(event)
