"""Choosing a class from the keyboard: class keys (``class_1`` … ``class_9`` in the keymap,
Alt+1…9 by default) for the most used classes, and a palette with type-to-filter
(``class_palette``, C). A choice sets the selected box's class (one undo step) and the
class new boxes get."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from sweeplabel.model import Project

from .actions import N_CLASS_KEYS

if TYPE_CHECKING:
    from .main_window import MainWindow

def ranked_classes(project: Project) -> list[str]:
    """Category names, most boxes in the project first; ties (and unused ones) in schema order."""
    names = project.schema.category_names
    counts: Counter[str] = Counter()
    tracks = project.tracks
    for ann in project.annotations.values():
        track = tracks.get(ann.track_token)
        if track is not None:
            counts[track.category] += 1
    default = project.schema.default_category
    return sorted(names, key=lambda n: (-counts[n], n != default, names.index(n)))


def matches(text: str, name: str, label: str) -> bool:
    """Type-to-filter: every word typed is in the name or label (case-insensitive)."""
    haystack = f"{name} {label}".lower()
    return all(word in haystack for word in text.lower().split())


class ClassPalette(QDialog):
    """A filter field over the class list; Enter applies the highlighted class, Escape closes."""

    def __init__(self, project: Project, on_choose: Callable[[str], None], parent: QWidget | None = None,
                 key_of: dict[str, int] | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("class_palette")
        self.setWindowTitle("Choose class")
        self._on_choose = on_choose
        self.filter = QLineEdit(self)
        self.filter.setObjectName("class_filter_text")
        self.filter.setPlaceholderText("type to filter, Enter applies")
        self.list = QListWidget(self)
        self.list.setObjectName("class_list")
        key_of = key_of or {}
        for name in ranked_classes(project):
            label = project.schema.category(name).label
            key = f"   Alt+{key_of[name]}" if name in key_of else ""
            item = QListWidgetItem(f"{label}  ({name}){key}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setData(Qt.ItemDataRole.UserRole + 1, label)
            self.list.addItem(item)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Class of the selected box and of new boxes:", self))
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        self.filter.textChanged.connect(self._apply_filter)
        self.filter.installEventFilter(self)
        self.list.itemActivated.connect(lambda item: self.choose(item.data(Qt.ItemDataRole.UserRole)))
        self.list.setCurrentRow(0)
        self.resize(380, 460)

    def visible_names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if not self.list.item(i).isHidden()]

    def _apply_filter(self, text: str) -> None:
        first = None
        for i in range(self.list.count()):
            item = self.list.item(i)
            hidden = not matches(text, item.data(Qt.ItemDataRole.UserRole), item.data(Qt.ItemDataRole.UserRole + 1))
            item.setHidden(hidden)
            if not hidden and first is None:
                first = i
        if first is not None:
            self.list.setCurrentRow(first)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if obj is self.filter and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None and not item.isHidden():
                    self.choose(item.data(Qt.ItemDataRole.UserRole))
                return True
            if event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                self._step(-1 if event.key() == Qt.Key.Key_Up else 1)
                return True
        return False

    def _step(self, delta: int) -> None:
        rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        pos = rows.index(current) if current in rows else -1
        self.list.setCurrentRow(rows[min(max(pos + delta, 0), len(rows) - 1)])

    def choose(self, name: str) -> None:
        self.accept()
        self._on_choose(name)


class ClassKeys:
    """The class keys and the palette of one main window."""

    def __init__(self, window: "MainWindow") -> None:
        self.window = window
        self.order = ranked_classes(window.project)[:N_CLASS_KEYS]  # fixed for the session: keys do not move
        self.palette: ClassPalette | None = None

    def slots(self) -> dict[str, Callable[[], None]]:
        slots: dict[str, Callable[[], None]] = {
            f"class_{i + 1}": (lambda i=i: self.choose_key(i)) for i in range(N_CLASS_KEYS)}
        slots["class_palette"] = self.open_palette
        return slots

    def install(self) -> None:
        """Put the class keys in the actions' texts (menus, tooltips and F1 say which class)."""
        schema = self.window.project.schema
        for i, name in enumerate(self.order):
            action = self.window.actions_by_id.get(f"class_{i + 1}")
            if action is not None:
                action.setText(f"Class: {schema.category(name).label}")
        for i in range(len(self.order), N_CLASS_KEYS):
            action = self.window.actions_by_id.get(f"class_{i + 1}")
            if action is not None:
                action.setEnabled(False)

    def choose_key(self, index: int) -> None:
        if index < len(self.order):
            self.choose(self.order[index])

    def choose(self, name: str) -> None:
        """The selected box's class (one undo step) and the new-box class become ``name``."""
        win = self.window
        combo = win.display_bar.category
        combo.setCurrentIndex(combo.findData(name))  # the new-box class (emits category_changed)
        win.editor.category = name
        label = win.project.schema.category(name).label
        if win.editor.selected is not None:
            win.editor.set_category(name)
            win.statusBar().showMessage(f"Class {label} (this box's track and new boxes)", 5_000)
        else:
            win.statusBar().showMessage(f"New boxes: {label}", 5_000)
        win.view.setFocus()

    def open_palette(self) -> ClassPalette:
        key_of = {name: i + 1 for i, name in enumerate(self.order)}
        palette = ClassPalette(self.window.project, self.choose, self.window, key_of)
        palette.finished.connect(lambda _r: self.window.view.setFocus())
        palette.open()
        palette.filter.setFocus()
        self.palette = palette
        return palette
