"""The F1 dialog: every action with its key bindings (from the key map), then the mouse
controls. Readable at its default size: the description column wraps."""

from __future__ import annotations

from typing import Mapping

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from .actions import ActionSpec

DEFAULT_SIZE_PX = (900, 680)
MOUSE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("Orbit", "Left drag", "Turn the camera around its target (3D view)"),
    ("Pan", "Right or middle drag", "Move the camera target sideways"),
    ("Zoom", "Wheel", "Closer / farther (3D view and box views)"),
    ("One box view alone", "Double-click a box view", "Show it alone, bigger; again: all three"),
    ("Select", "Left click on a box", "Select it (click empty space to deselect)"),
    ("Move box", "Ctrl + left drag", "Move the selected box on the ground plane"),
    ("Create (one-click)", "Tool 2, click an object", "Fit a box of the chosen class to the points there"),
    ("Create (rectangle)", "Tool 3, drag in bird's-eye view", "Fit a box to the points inside the rectangle"),
    ("Create (place)", "Tool 4, click the ground", "Place a default-size box of the chosen class"),
    ("Resize in a sub-view", "Drag an edge", "Fine steps (about 1 cm per pixel at the default zoom); "
                                             "hold Shift for coarse steps"),
    ("Move in a sub-view", "Drag inside the box", "Move the box in that view's plane"),
    ("Rotate in the top view", "Drag the handle", "Turn the box about its vertical axis"),
    ("Multi-select tracks", "Shift/Ctrl-click rows", "Then Delete, Set class, Accept or Reject them all"),
    ("Open data", "Drop a folder or file on the window", "Same as File > Open folder… / Open file…"),
)


def shortcut_rows(specs: tuple[ActionSpec, ...], keymap: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(action text, keys, description) per action, in spec order."""
    return [(s.text, ", ".join(keymap.get(s.id, ())) or "—", s.tooltip) for s in specs]


def _table(rows: list[tuple[str, str, str]], headers: list[str], name: str, parent: QWidget) -> QTableWidget:
    table = QTableWidget(len(rows), 3, parent)
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(headers)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(r, c, item)
    header = table.horizontalHeader()
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the description takes the rest and wraps
    table.setWordWrap(True)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # follows the wrap
    return table


class ShortcutsDialog(QDialog):
    def __init__(self, specs: tuple[ActionSpec, ...], keymap: Mapping[str, tuple[str, ...]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts and mouse controls")
        self.table = _table(shortcut_rows(specs, keymap), ["Action", "Keys", "What it does"], "shortcuts_table", self)
        self.mouse_table = _table(list(MOUSE_ROWS), ["Action", "Mouse", "What it does"], "mouse_table", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Keys</b> (change them in keymap.toml in your config folder)", self))
        layout.addWidget(self.table, 3)
        layout.addWidget(QLabel("<b>Mouse</b>", self))
        layout.addWidget(self.mouse_table, 2)
        layout.addWidget(buttons)
        self.resize(*DEFAULT_SIZE_PX)
