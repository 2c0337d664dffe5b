"""The File menu's opening side: Open folder…, Open file…, the recent list and drag and
drop onto the window. Every route ends in ``MainWindow.open_path``: a readable choice
opens in a new window, an unreadable one gets the reader's message in a dialog and the
window stays as it was.

The dialogs are Qt's own (``DontUseNativeDialog``) and opened non-blocking, so tests
(and scripts) can drive them: ``file_menu.dialog.selectFile(p); file_menu.dialog.accept()``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import platformdirs
from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QMenu

from sweeplabel.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from .main_window import MainWindow

MAX_RECENT = 10
FILE_FILTER = ("Point clouds, projects and sequences (*.sweeplabel sequence.json *.bin *.pcd *.ply *.las *.laz "
               "*.json *.feather);;All files (*)")


def recent_path() -> Path:
    """Where the recent list lives (user config directory)."""
    return Path(platformdirs.user_config_dir("sweeplabel")) / "recent.json"


def read_recent() -> list[Path]:
    """Recently opened paths, newest first; a missing or damaged file is an empty list."""
    try:
        items = json.loads(recent_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [Path(p) for p in items if isinstance(p, str)][:MAX_RECENT] if isinstance(items, list) else []


def remember_recent(path: Path | str) -> list[Path]:
    """Put ``path`` first in the recent list (no duplicates, at most MAX_RECENT)."""
    path = Path(path).resolve()
    items = [path, *(p for p in read_recent() if p != path)][:MAX_RECENT]
    target = recent_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, json.dumps([str(p) for p in items], indent=1))
    except OSError:
        pass  # a read-only config directory costs the list, not the open
    return items


def file_slots(window: "MainWindow") -> dict[str, Callable[[], None]]:
    """Slots of the opening actions; they look ``window.file_menu`` up when triggered."""
    return {
        "open": lambda: window.file_menu.ask_open_file(),
        "open_folder": lambda: window.file_menu.ask_open_folder(),
    }


class FileMenu(QObject):
    """Open dialogs, the Open recent sub-menu and drops, for one window."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.dialog: QFileDialog | None = None
        self.recent_menu: QMenu | None = None

    def install(self, file_menu: QMenu) -> None:
        """Add Open recent after the open actions; accept drops on the window."""
        before = self.window.actions_by_id.get("save_now") or self.window.actions_by_id["quit"]
        self.recent_menu = QMenu("Open &recent", file_menu)
        self.recent_menu.setObjectName("recent_menu")
        self.recent_menu.aboutToShow.connect(self.refresh_recent)
        file_menu.insertMenu(before, self.recent_menu)
        self.refresh_recent()
        self.window.setAcceptDrops(True)
        self.window.installEventFilter(self)

    # -- dialogs ----------------------------------------------------------------------
    def _dialog(self, title: str, mode: QFileDialog.FileMode) -> QFileDialog:
        dialog = QFileDialog(self.window, title)
        dialog.setObjectName("open_dialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(mode)
        if mode == QFileDialog.FileMode.Directory:
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        else:
            dialog.setNameFilter(FILE_FILTER)
        recent = read_recent()
        if recent:
            start = recent[0] if recent[0].is_dir() else recent[0].parent
            dialog.setDirectory(str(start.parent if mode == QFileDialog.FileMode.Directory else start))
        dialog.fileSelected.connect(self.open)
        dialog.open()
        self.dialog = dialog
        return dialog

    def ask_open_file(self) -> QFileDialog:
        """A single scan (.pcd, .bin, .ply, .las/.laz), a sequence.json or a .sweeplabel project."""
        return self._dialog("Open a file: point cloud, sequence or project", QFileDialog.FileMode.ExistingFile)

    def ask_open_folder(self) -> QFileDialog:
        """A dataset folder (KITTI, nuScenes, SUSTechPOINTS, a folder of scans, ...)."""
        return self._dialog("Open a dataset folder", QFileDialog.FileMode.Directory)

    # -- opening ------------------------------------------------------------------------
    def open(self, path: Path | str) -> "MainWindow | None":
        """Open ``path`` in a new window and remember it; an error is a dialog."""
        if not str(path):
            return None
        window = self.window.open_path(path)
        if window is not None:
            remember_recent(path)
            self.refresh_recent()
        return window

    def refresh_recent(self) -> None:
        menu = self.recent_menu
        if menu is None:
            return
        menu.clear()
        recent = read_recent()
        for i, path in enumerate(recent):
            action = menu.addAction(f"&{(i + 1) % 10} {path.name}  —  {path.parent}")
            action.setToolTip(str(path))
            action.setData(str(path))
            action.triggered.connect(lambda _c=False, p=path: self.open(p))
        if not recent:
            menu.addAction("(nothing opened yet)").setEnabled(False)

    # -- drag and drop ------------------------------------------------------------------
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.window and event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if _dropped_paths(event):  # type: ignore[arg-type]
                event.acceptProposedAction()  # type: ignore[attr-defined]
                return True
        elif obj is self.window and event.type() == QEvent.Type.Drop:
            paths = _dropped_paths(event)  # type: ignore[arg-type]
            if paths:
                event.acceptProposedAction()  # type: ignore[attr-defined]
                self.open(paths[0])
                return True
        return False


def _dropped_paths(event: QDragEnterEvent | QDropEvent) -> list[Path]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
