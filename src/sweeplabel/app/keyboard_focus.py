"""Keys stay with the editor: Enter or Escape in any field of the main window returns
focus to the 3D view, and a field never swallows the editor's shortcuts.

Number fields (spin boxes) keep only the keys that type or step a value (characters,
Backspace/Delete, Up/Down, PageUp/PageDown); any other key bound to an action (Right,
End, Home, Ctrl+Shift+Right, Alt+1, F1, ...) commits the typed value (focus leaves the
field first) and then runs the action. Text fields keep their editing keys and pass on
only Alt+… and function-key shortcuts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QWidget

if TYPE_CHECKING:
    from .main_window import MainWindow

_NUMBER_KEYS = {
    Qt.Key.Key_Backspace, Qt.Key.Key_Delete, Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp,
    Qt.Key.Key_PageDown, Qt.Key.Key_Minus, Qt.Key.Key_Plus, Qt.Key.Key_Period, Qt.Key.Key_Comma,
    Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Tab, Qt.Key.Key_Backtab,
    *(Qt.Key(Qt.Key.Key_0.value + i) for i in range(10)),
}
_RETURN_KEYS = {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape}
_MODIFIER_MASK = (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier
                  | Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.MetaModifier)


def key_sequence(event: QKeyEvent) -> QKeySequence:
    mods = event.modifiers() & _MODIFIER_MASK
    return QKeySequence(event.keyCombination().key().value | mods.value)


class KeyboardFocus(QObject):
    """Application event filter for one main window."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self._shortcuts: set[str] | None = None

    def install(self) -> None:
        QApplication.instance().installEventFilter(self)

    def remove(self) -> None:
        QApplication.instance().removeEventFilter(self)

    @property
    def shortcuts(self) -> set[str]:
        """Every key sequence bound to one of the window's actions (portable text)."""
        if self._shortcuts is None:
            self._shortcuts = {s.toString() for a in self.window.actions_by_id.values() for s in a.shortcuts()}
        return self._shortcuts

    def _field(self, obj: QObject) -> QWidget | None:
        """The field of this window (not of a dialog) that ``obj`` belongs to, if any."""
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return None
        widget: QWidget | None = obj
        found: QWidget | None = None
        while widget is not None and widget is not self.window:
            if isinstance(widget, (QAbstractSpinBox, QComboBox)):
                return widget  # a spin box's or combo box's own line edit counts as the box
            if isinstance(widget, QLineEdit) and found is None:
                found = widget
            widget = widget.parentWidget()
        return found

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        field = self._field(obj)
        if field is None or not isinstance(event, QKeyEvent):
            return False
        key = event.key()
        if kind == QEvent.Type.KeyPress:
            if key in _RETURN_KEYS and not (isinstance(field, QComboBox) and field.view().isVisible()):
                QTimer.singleShot(0, self.window.view.setFocus)  # after the field took the value
            return False
        if key in _RETURN_KEYS:  # the field gets it (Escape does not deselect), then the view gets focus
            event.accept()
            return True
        if key_sequence(event).toString() not in self.shortcuts:
            return False
        if self._keeps(field, event):
            return False
        self.window.view.setFocus()  # focus-out commits a typed value before the action runs
        event.ignore()  # not overridden: the window's shortcut fires
        return True

    @staticmethod
    def _keeps(field: QWidget, event: QKeyEvent) -> bool:
        """Does ``field`` keep this key for itself?"""
        mods = event.modifiers() & _MODIFIER_MASK
        if isinstance(field, QAbstractSpinBox):  # typed characters stay (a letter is refused with a message)
            plain = not (mods & ~Qt.KeyboardModifier.ShiftModifier)
            return plain and (event.key() in _NUMBER_KEYS or event.text().isprintable() and event.text() != "")
        if isinstance(field, QComboBox) and not field.isEditable():
            return event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Space) and not mods
        functional = Qt.Key.Key_F1.value <= event.key() <= Qt.Key.Key_F35.value
        return not (functional or mods & Qt.KeyboardModifier.AltModifier)
