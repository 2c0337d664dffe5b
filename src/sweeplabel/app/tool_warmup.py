"""Prepare the point tools in the background: the Numba kernels load (or, on an empty
cache, compile: seconds) on a worker thread when the window opens, behind a visible
"preparing tools…" label, instead of freezing the window at the first one-click. Until
they are ready the tools that need them say so and do nothing (the UI never waits).

On an empty cache the compiling runs in a child process (``python -m sweeplabel.kernels``):
Numba's compiler holds the GIL for seconds at a time, which would make the window
stutter; the child fills the cache, then this process loads the kernels from it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel

if TYPE_CHECKING:
    from .main_window import MainWindow

PREPARING_TEXT = "preparing tools…"
START_DELAY_MS = 500  # after the first image: its paint (and a --screenshot) need not share the GIL
NOT_READY_MESSAGE = ("Preparing tools (loading the point kernels; the first run compiles them, "
                     "`sweeplabel warmup` does it ahead) — try again in a moment")


def _kernel_cache_dirs() -> list[Path]:
    import sweeplabel.kernels as kernels

    dirs = [Path(kernels.__file__).parent / "__pycache__"]
    if os.environ.get("NUMBA_CACHE_DIR"):
        dirs.append(Path(os.environ["NUMBA_CACHE_DIR"]))
    return dirs


def kernel_cache_looks_warm() -> bool:
    """Numba's cache holds the point-in-box kernels (``warmup`` compiles them all at once)."""
    for folder in _kernel_cache_dirs():
        if folder.is_dir() and next(folder.rglob("boxes.*.nbi"), None) is not None:
            return True
    return False


def compile_in_child(timeout_s: float = 600.0) -> bool:
    """Fill Numba's cache in a child process (no GIL shared with the UI); True when it did."""
    src = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        done = subprocess.run([sys.executable, "-m", "sweeplabel.kernels"], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout_s, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


class ToolWarmup(QObject):
    """Runs ``kernels.warmup`` once per process on a worker thread."""

    finished = Signal(float)  # seconds spent
    _done = threading.Event()
    _started = False
    _lock = threading.Lock()
    seconds: float | None = None

    def __init__(self, window: "MainWindow") -> None:
        super().__init__(window)
        self.window = window
        self.label = QLabel(PREPARING_TEXT, window)
        self.label.setObjectName("preparing_tools")
        self.label.setToolTip("The point kernels load in the background; one-click and re-fit wait for them")
        window.statusBar().addPermanentWidget(self.label)
        self.label.setVisible(not self.ready)
        self.finished.connect(self._on_finished)

    @property
    def ready(self) -> bool:
        return ToolWarmup._done.is_set()

    def start_after_first_render(self) -> None:
        """Start once the first sweep is on screen: the first image should not share the
        CPU (and the GIL) with the compiler. A tool asked for earlier starts it at once."""
        view = self.window.view

        def go() -> None:
            try:
                view.frame_rendered.disconnect(go)
            except (RuntimeError, TypeError):
                pass
            QTimer.singleShot(START_DELAY_MS, self, self.start)  # let the first image be painted first

        view.frame_rendered.connect(go)

    def start(self) -> None:
        """Start the warm-up (once per process); the label goes when it is done."""
        if self.ready:
            self.label.hide()
            return
        if getattr(self, "_requested", False):
            return
        self._requested = True
        cls = ToolWarmup
        with cls._lock:
            first = not cls._started
            cls._started = True
        if first:
            threading.Thread(target=self._run, name="sweeplabel-warmup", daemon=True).start()
        else:
            threading.Thread(target=self._wait_other, name="sweeplabel-warmup-wait", daemon=True).start()

    def _run(self) -> None:
        t0 = time.perf_counter()
        try:
            from sweeplabel.assist.warmup import prepare_assists

            if not kernel_cache_looks_warm():
                compile_in_child()
            prepare_assists()
        finally:
            ToolWarmup.seconds = time.perf_counter() - t0
            ToolWarmup._done.set()
            self.finished.emit(ToolWarmup.seconds)

    def _wait_other(self) -> None:
        ToolWarmup._done.wait()
        self.finished.emit(ToolWarmup.seconds or 0.0)

    def _on_finished(self, seconds: float) -> None:
        self.label.hide()
        if seconds > 2.0:
            self.window.statusBar().showMessage(f"Tools ready ({seconds:.0f} s to prepare them)", 5_000)

    def not_ready(self) -> bool:
        """For the tools: True while the kernels load (starting the load if it has not begun)."""
        if not self.ready:
            self.start()
        return not self.ready

    def wait(self, timeout_s: float = 300.0) -> bool:
        """Block until the kernels are ready (tests, benchmarks)."""
        return ToolWarmup._done.wait(timeout_s)
