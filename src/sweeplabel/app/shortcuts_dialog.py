"""A dialog listing every action with its key bindings (from the key map)."""

from __future__ import annotations

from typing import Mapping

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from .actions import ActionSpec


def shortcut_rows(specs: tuple[ActionSpec, ...], keymap: Mapping[str, tuple[str, ...]]) -> list[tuple[str, str, str]]:
    """(action text, keys, description) per action, in spec order."""
    return [(s.text, ", ".join(keymap.get(s.id, ())) or "—", s.tooltip) for s in specs]


class ShortcutsDialog(QDialog):
    def __init__(self, specs: tuple[ActionSpec, ...], keymap: Mapping[str, tuple[str, ...]],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(specs, keymap)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setObjectName("shortcuts_table")
        self.table.setHorizontalHeaderLabels(["Action", "Keys", "What it does"])
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)
