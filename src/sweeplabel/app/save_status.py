"""Whether the work is saved, said plainly: a red "NOT SAVED" banner in the status bar
and the title while the project store cannot write (disk full, read-only or locked
file). The work stays in memory; the store retries on the next step and on a timer;
on quit the user is offered to save a copy elsewhere (SQLite's backup API)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QPushButton, QWidget

from sweeplabel.io import OpenedProject, ProjectStore, ProjectStoreError, SweeplabelIOError

RETRY_MS = 5_000
BANNER_STYLE = "background: #c62828; color: white; font-weight: bold; padding: 2px 8px;"


class SaveStatus(QObject):
    """Watches a store's saves; shows the banner, retries, guards the quit."""

    changed = Signal()  # saved / not saved flipped (the window re-titles)

    def __init__(self, window: QMainWindow, store: ProjectStore | None, retry_ms: int = RETRY_MS) -> None:
        super().__init__(window)
        self.window = window
        self.store = store
        self.banner = QWidget(window)
        self.banner.setObjectName("save_banner")
        self.banner.setStyleSheet(BANNER_STYLE)
        layout = QHBoxLayout(self.banner)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self.banner)
        self.label.setObjectName("save_banner_text")
        self.copy_button = QPushButton("Save a copy…", self.banner)
        self.copy_button.setObjectName("save_copy_button")
        self.copy_button.clicked.connect(self.save_copy_interactive)
        layout.addWidget(self.label)
        layout.addWidget(self.copy_button)
        self.banner.hide()
        window.statusBar().addPermanentWidget(self.banner)
        self.timer = QTimer(self)
        self.timer.setInterval(retry_ms)
        self.timer.timeout.connect(self.retry)
        if store is not None:
            store.on_saved.append(self._on_saved)
            store.on_save_failed.append(self._on_failed)
            if store.save_error is not None:
                self._on_failed(store.save_error)
            elif store.read_only:
                self.label.setText("READ-ONLY — changes are NOT SAVED (save a copy to keep them)")
                self.banner.show()

    # -- state ----------------------------------------------------------------------
    @property
    def not_saved(self) -> bool:
        """A save failed and changes are still only in memory."""
        return self.store is not None and (self.store.save_error is not None or self.store.read_only)

    def title_state(self) -> str:
        """What the title says while not saved."""
        return "READ-ONLY — NOT SAVED" if self.store is not None and self.store.read_only else "NOT SAVED"

    def _on_failed(self, error: ProjectStoreError) -> None:
        read_only = self.store is not None and self.store.read_only
        then = "save a copy to keep it." if read_only else f"retrying every {max(1, self.timer.interval() // 1000)} s."
        self.label.setText(f"NOT SAVED — {error.message}. Your work is kept in memory; {then}")
        self.label.setToolTip(str(error))
        self.banner.show()
        if not self.timer.isActive() and not (self.store is not None and self.store.read_only):
            self.timer.start()
        self.changed.emit()

    def _on_saved(self) -> None:
        if self.banner.isVisible() or self.timer.isActive():
            self.banner.hide()
            self.timer.stop()
            self.window.statusBar().showMessage("Saved: every change is in the project file again", 10_000)
        self.changed.emit()

    def retry(self) -> bool:
        """Try to save what is pending now; True when everything is saved."""
        return self.store is None or self.store.retry()

    def detach(self) -> None:
        self.timer.stop()
        if self.store is not None:
            for callbacks, fn in ((self.store.on_saved, self._on_saved), (self.store.on_save_failed, self._on_failed)):
                if fn in callbacks:
                    callbacks.remove(fn)

    # -- quitting -------------------------------------------------------------------
    def confirm_close(self) -> bool:
        """May the window close? Saves what it can; when changes remain unsaved, asks
        whether to save a copy elsewhere, quit without saving, or stay."""
        if self.store is None:
            return True
        project = getattr(self.window, "project", None)
        if project is not None:
            project.undo.end_merge()  # a drag in progress is a finished step now
        if not self.store.has_unsaved_changes or self.retry():
            return True
        choice = self.ask_unsaved(str(self.store.save_error or "changes are not saved"))
        if choice == QMessageBox.StandardButton.Save:
            return self.save_copy_interactive()
        return choice == QMessageBox.StandardButton.Discard

    def ask_unsaved(self, reason: str) -> QMessageBox.StandardButton:
        """The quit question (replaceable in tests: a modal dialog blocks)."""
        box = QMessageBox(QMessageBox.Icon.Warning, "Changes are NOT SAVED",
                          f"Your latest changes are NOT SAVED in the project file:\n{reason}\n\n"
                          "Save a copy of the whole project elsewhere?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self.window)
        box.button(QMessageBox.StandardButton.Save).setText("Save a copy…")
        box.button(QMessageBox.StandardButton.Discard).setText("Quit without saving")
        return QMessageBox.StandardButton(box.exec())

    def ask_copy_path(self) -> str:
        """Where to write the copy ('' = cancelled; replaceable in tests)."""
        start = str(Path.home() / self.store.path.name) if self.store is not None else ""
        path, _ = QFileDialog.getSaveFileName(self.window, "Save a copy of the project", start,
                                              "sweeplabel projects (*.sweeplabel)")
        return path

    def save_copy_interactive(self) -> bool:
        """Ask for a place and write the copy; True when it was written."""
        if self.store is None:
            return False
        while True:
            path = self.ask_copy_path()
            if not path:
                return False
            try:
                written = self.store.save_copy(Path(path))
            except SweeplabelIOError as exc:
                self.label.setText(f"NOT SAVED — the copy failed too: {exc.message}")
                self.banner.show()
                continue  # ask again: another place
            self.window.statusBar().showMessage(f"Saved a copy with every change to {written}", 30_000)
            return True


def close_quietly(owned: OpenedProject | None) -> str | None:
    """Close a project on quit; a final save failure becomes a returned message."""
    if owned is None:
        return None
    try:
        owned.close()
    except SweeplabelIOError as exc:
        return str(exc)
    return None
