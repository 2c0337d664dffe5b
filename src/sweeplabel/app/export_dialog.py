"""File > Export…: format and destination, the QA check first (its errors listed, with
"Export anyway"), a cancellable progress bar and a summary. The check and the export run
on a worker thread; the dialog is window-modal meanwhile, so nothing edits the project
under the writer. The last choices are kept in the project (``ProjectStore.set_meta``)."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit,
    QListWidget, QProgressBar, QPushButton, QVBoxLayout,
)

from sweeplabel.assist.checks import CheckSettings, load_settings
from sweeplabel.io.export import FORMATS

from .export_job import FORMAT_LABELS, ExportResult, blocking_findings, finding_text, run_export

if TYPE_CHECKING:
    from .main_window import MainWindow

META_KEY = "export_choices"


class _Bridge(QObject):
    progress = Signal(int, int)
    checked = Signal(object)  # list[Finding]
    finished = Signal(object)  # ExportResult
    failed = Signal(str)


def _in_thread(work: Callable[[], Any], done: Signal, failed: Signal) -> threading.Thread:
    def body() -> None:
        try:
            result = work()
        except Exception as exc:  # noqa: BLE001 - any failure becomes a message in the dialog
            failed.emit(f"{type(exc).__name__}: {exc}")
            return
        done.emit(result)

    thread = threading.Thread(target=body, name="sweeplabel-export", daemon=True)
    thread.start()
    return thread


def default_destination(window: "MainWindow", format: str) -> Path:
    """``<project folder>/<name>-<format>`` (or beside the current directory without a store)."""
    base = window.store.path.parent if window.store is not None else Path.cwd()
    return base / f"{window.project.sequence.name}-{format}"


class ExportDialog(QDialog):
    """Check, export, summarise. ``state`` is ``choose``, ``checking``, ``blocked``,
    ``exporting`` or ``done``."""

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.setObjectName("export_dialog")
        self.setWindowTitle("Export labels")
        self.window_ = window
        self.state = "choose"
        self.result: ExportResult | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._bridge = _Bridge(self)
        self._bridge.progress.connect(self._on_progress)
        self._bridge.checked.connect(self._on_checked)
        self._bridge.finished.connect(self._on_finished)
        self._bridge.failed.connect(self._on_failed)
        self._build()
        self._restore_choices()

    # -- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        self.format = QComboBox(self)
        self.format.setObjectName("export_format")
        for name in FORMATS:
            self.format.addItem(FORMAT_LABELS.get(name, name), name)
        self.destination = QLineEdit(self)
        self.destination.setObjectName("export_destination")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.destination, 1)
        row.addWidget(browse)
        self.run_checks = QCheckBox("Run the QA check first", self)
        self.run_checks.setChecked(True)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Destination folder:", row)
        form.addRow("", self.run_checks)
        self.message = QLabel("", self)
        self.message.setObjectName("export_message")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.findings = QListWidget(self)
        self.findings.setObjectName("export_findings")
        self.findings.hide()
        self.progress = QProgressBar(self)
        self.progress.setObjectName("export_progress")
        self.progress.setFormat("%v / %m frames")
        self.progress.hide()
        self.buttons = QDialogButtonBox(self)
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("export_start")
        self.anyway_button = self.buttons.addButton("Export anyway", QDialogButtonBox.ButtonRole.AcceptRole)
        self.anyway_button.setObjectName("export_anyway")
        self.anyway_button.hide()
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("export_cancel")
        self.export_button.clicked.connect(self.start)
        self.anyway_button.clicked.connect(self.export_anyway)
        self.cancel_button.clicked.connect(self.cancel)
        self.format.currentIndexChanged.connect(self._on_format_changed)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.findings, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.buttons)
        self.resize(640, 420)

    def _browse(self) -> None:
        dialog = QFileDialog(self, "Export into folder", self.destination.text())
        dialog.setObjectName("export_folder_dialog")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.fileSelected.connect(self.destination.setText)
        dialog.open()
        self.folder_dialog = dialog

    # -- remembered choices ---------------------------------------------------------------
    def _store_choices(self) -> dict[str, Any]:
        store = self.window_.store
        if store is None:
            return {}
        try:
            data = json.loads(store.meta().get(META_KEY, "{}"))
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def _restore_choices(self) -> None:
        data = self._store_choices()
        index = self.format.findData(data.get("format", "kitti"))
        self.format.setCurrentIndex(max(index, 0))
        self.run_checks.setChecked(bool(data.get("run_checks", True)))
        dests = data.get("destinations", {})
        fmt = self.format_name
        self.destination.setText(dests.get(fmt) if isinstance(dests, dict) and dests.get(fmt)
                                 else str(default_destination(self.window_, fmt)))

    def _save_choices(self) -> None:
        store = self.window_.store
        if store is None:
            return
        data = self._store_choices()
        dests = data.get("destinations") if isinstance(data.get("destinations"), dict) else {}
        dests[self.format_name] = self.destination.text()
        store.set_meta(META_KEY, json.dumps({"format": self.format_name, "run_checks": self.run_checks.isChecked(),
                                             "destinations": dests}))

    def _on_format_changed(self, _index: int) -> None:
        dests = self._store_choices().get("destinations", {})
        fmt = self.format_name
        self.destination.setText(dests.get(fmt) if isinstance(dests, dict) and dests.get(fmt)
                                 else str(default_destination(self.window_, fmt)))

    @property
    def format_name(self) -> str:
        return str(self.format.currentData())

    # -- the flow -----------------------------------------------------------------------
    def _set_state(self, state: str) -> None:
        self.state = state
        busy = state in ("checking", "exporting")
        for w in (self.format, self.destination, self.run_checks, self.export_button):
            w.setEnabled(not busy and state != "done")
        self.anyway_button.setVisible(state == "blocked")
        self.export_button.setVisible(state != "blocked")
        self.cancel_button.setText("Close" if state == "done" else "Cancel")
        self.progress.setVisible(busy or state == "done")

    def start(self) -> None:
        """Export button: check first (when asked), else export."""
        if not self.destination.text().strip():
            self.message.setText("Choose a destination folder first.")
            return
        self._save_choices()
        if not self.run_checks.isChecked():
            self._export()
            return
        self._set_state("checking")
        self.message.setText("Checking the labels…")
        self.progress.setRange(0, 0)  # busy indicator
        project = self.window_.project
        settings = load_settings(self.window_.store) if self.window_.store is not None else CheckSettings()
        self._thread = _in_thread(lambda: blocking_findings(project, settings), self._bridge.checked,
                                  self._bridge.failed)

    def _on_checked(self, findings: list) -> None:
        if self.state != "checking":
            return
        if not findings:
            self._export()
            return
        self.findings.clear()
        for f in findings:
            self.findings.addItem(finding_text(f))
        self.findings.show()
        self.message.setText(f"The check found {len(findings)} error{'s' if len(findings) != 1 else ''}. "
                             "Fix them first, or export anyway.")
        self._set_state("blocked")

    def export_anyway(self) -> None:
        self._export()

    def _export(self) -> None:
        self._cancel.clear()
        self._set_state("exporting")
        out_dir = Path(self.destination.text().strip()).expanduser()
        self.message.setText(f"Writing {FORMAT_LABELS.get(self.format_name, self.format_name)} to {out_dir} …")
        self.progress.setRange(0, max(len(self.window_.project.sequence), 1))
        self.progress.setValue(0)
        project, fmt, cancel, bridge = self.window_.project, self.format_name, self._cancel, self._bridge
        self._thread = _in_thread(lambda: run_export(project, fmt, out_dir, bridge.progress.emit, cancel),
                                  bridge.finished, bridge.failed)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _on_finished(self, result: ExportResult) -> None:
        self.result = result
        self._set_state("done")
        self.message.setText(result.text())
        self.findings.clear()
        self.findings.setVisible(bool(result.files_written))
        for path in result.files_written[:200]:
            self.findings.addItem(str(path))
        status = self.window_.statusBar()
        status.showMessage(result.text().splitlines()[0], 10_000)

    def _on_failed(self, message: str) -> None:
        self._set_state("choose")
        self.progress.hide()
        self.message.setText(f"Export failed: {message}")

    def cancel(self) -> None:
        """Cancel the running export (files written so far stay whole), or close."""
        if self.state == "exporting":
            self._cancel.set()
            self.message.setText("Cancelling…")
            return
        if self.state == "checking":
            self.state = "choose"  # the check's answer is dropped when it comes
        self.reject()

    def wait(self, timeout_s: float = 30.0) -> None:
        """Join the worker (tests and shutdown)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def done(self, code: int) -> None:  # noqa: D401 - Qt API
        if self.state == "exporting":
            self._cancel.set()
        super().done(code)


def open_export_dialog(window: "MainWindow") -> ExportDialog:
    """Show the export dialog (window-modal, non-blocking)."""
    dialog = ExportDialog(window)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.open()
    window.export_dialog = dialog
    return dialog


def save_now(window: "MainWindow") -> None:
    """Ctrl+S: flush the store now and say so."""
    store = window.store
    if store is None:
        window.statusBar().showMessage("Nothing to save to: this sequence was opened without a project file", 10_000)
        return
    store.flush()
    window._update_title()
    window.statusBar().showMessage(f"Saved: all changes are in {store.path}", 10_000)


__all__ = ["ExportDialog", "META_KEY", "open_export_dialog", "save_now"]
