"""Assist > "Re-score from this project": fit the scorer on the annotator's decisions in
this project (accepted, fixed, drawn and deleted boxes; continuing the project's or the
shipped model) on a worker thread, then re-score the remaining auto boxes in one undo step.
The fitted model is written beside the project file and becomes its model."""

from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

from sweeplabel.assist.project_scorer import (
    CANDIDATES_META_KEY, SCORER_MODEL_META_KEY, project_rows, read_candidate_log, rescore_command,
)
from sweeplabel.assist.scorer import default_model_path
from sweeplabel.assist.scorer_train import fit_scorer

ACTION_TEXT = "Re-score from this project"


class _Bridge(QObject):
    finished = Signal(object)  # the fitted Scorer
    failed = Signal(str)


class _FitJob(QRunnable):
    def __init__(self, project, candidates: list[dict], base: Path, out: Path, bridge: _Bridge) -> None:  # noqa: ANN001
        super().__init__()
        self.project, self.candidates, self.base, self.out, self.bridge = project, candidates, base, out, bridge

    def run(self) -> None:  # noqa: D102 - QRunnable
        try:
            rows = project_rows(self.project, self.candidates)
            counts = rows.counts()
            if counts["background"] == 0 or counts["background"] == sum(counts.values()):
                self.bridge.failed.emit("nothing to learn from yet: accept, fix or delete some auto boxes first")
                return
            self.bridge.finished.emit(fit_scorer(rows, self.out, rounds=100, init_model=self.base))
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a crash of the app
            self.bridge.failed.emit(f"{type(exc).__name__}: {exc}")


class RescoreController(QObject):
    """Owns the action; ``done(str)`` after each run ("applied" or "failed")."""

    done = Signal(str)

    def __init__(self, window) -> None:  # noqa: ANN001 - the MainWindow
        super().__init__(window)
        self.window = window
        self.action = QAction(ACTION_TEXT, window)
        self.action.setObjectName("rescore_from_project")
        self.action.setToolTip("Learn from the boxes accepted, fixed or deleted here; re-score the auto boxes")
        self.action.triggered.connect(self.start)
        self._bridge = _Bridge(self)
        self._bridge.finished.connect(self._apply)
        self._bridge.failed.connect(self._fail)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._candidates: list[dict] = []
        menu = self._assist_menu()
        if menu is not None:
            menu.addAction(self.action)

    def _assist_menu(self) -> QMenu | None:
        """The menu holding "Pre-annotate" (Tools > Assist)."""
        pre = self.window.actions_by_id.get("preannotate")
        return next((m for m in self.window.findChildren(QMenu) if pre in m.actions()), None)

    def _paths(self) -> tuple[Path, Path]:
        store = self.window.store
        meta = store.meta() if store is not None else {}
        own = meta.get(SCORER_MODEL_META_KEY)
        base = Path(own) if own and Path(own).is_file() else default_model_path()
        folder = store.path.parent if store is not None else Path(tempfile.gettempdir())
        stem = store.path.stem if store is not None else "project"
        return base, folder / f"{stem}.scorer.txt"

    def start(self) -> None:
        store = self.window.store
        self._candidates = read_candidate_log(store.meta()) if store is not None else []
        if not self._candidates:
            self._fail(f"no pre-annotation log in this project ({CANDIDATES_META_KEY}): run Pre-annotate first")
            return
        self.action.setEnabled(False)
        base, out = self._paths()
        self.window.statusBar().showMessage("Re-scoring: learning from this project...")
        self._pool.start(_FitJob(self.window.project, self._candidates, base, out, self._bridge))

    def wait(self, timeout_ms: int = 60_000) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def _apply(self, scorer) -> None:  # noqa: ANN001
        self.action.setEnabled(True)
        project = self.window.project
        command = rescore_command(project, scorer, self._candidates)
        if command.changes:
            project.execute(command)
        if self.window.store is not None:
            self.window.store.set_meta(SCORER_MODEL_META_KEY, str(scorer.path))
        n = sum(1 for c in command.changes if c.after is not None and hasattr(c.after, "number"))
        self.window.statusBar().showMessage(f"Re-scored {n} auto tracks from this project (Undo restores the "
                                            "old scores)", 10_000)
        self.done.emit("applied")

    def _fail(self, text: str) -> None:
        self.action.setEnabled(True)
        self.window.statusBar().showMessage(f"Re-score: {text}", 10_000)
        self.done.emit("failed")
