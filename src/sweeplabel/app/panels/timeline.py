"""Frame timeline: a slider over the frames, a strip marking annotated frames and the
selected track's keyframes (manual boxes), play/pause at a chosen rate.

Playback never skips a frame: a tick advances only once the current frame is on
screen (``frame_shown``), so on a slow machine the rate drops rather than frames, and
the panel says the rate it reaches ("showing 6.1 fps") whenever that is below the one
chosen."""

from __future__ import annotations

import time
from collections import deque
from typing import Callable

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

ANNOTATED_RGB = QColor(90, 150, 220)
KEYFRAME_RGB = QColor(250, 200, 60)
TRACK_RGB = QColor(160, 200, 240)
CURRENT_RGB = QColor(240, 240, 240)
FLAG_RGB = QColor(240, 70, 60)  # a propagation stopped on this box: check it


class FrameStrip(QWidget):
    """One cell per frame: annotated frames blue, the selected track's frames light,
    its keyframes (manual boxes) yellow, the current frame outlined."""

    frame_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_frames = 0
        self.current = 0
        self.annotated: set[int] = set()
        self.track_frames: set[int] = set()
        self.keyframes: set[int] = set()
        self.flagged: set[int] = set()
        self.setMinimumHeight(14)
        self.setMaximumHeight(14)

    def set_marks(self, annotated: set[int], track_frames: set[int], keyframes: set[int]) -> None:
        self.annotated, self.track_frames, self.keyframes = annotated, track_frames, keyframes
        self.update()

    def _cell(self, i: int) -> QRectF:
        w = self.width() / max(self.n_frames, 1)
        return QRectF(i * w, 0, max(w - 1, 1), self.height())

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(40, 42, 48))
        for i in range(self.n_frames):
            color = None
            if i in self.keyframes:
                color = KEYFRAME_RGB
            elif i in self.track_frames:
                color = TRACK_RGB
            elif i in self.annotated:
                color = ANNOTATED_RGB
            if color is not None:
                painter.fillRect(self._cell(i), color)
            if i in self.flagged:  # a red bar over the lower half
                cell = self._cell(i)
                painter.fillRect(cell.adjusted(0, cell.height() / 2, 0, 0), FLAG_RGB)
        painter.setPen(CURRENT_RGB)
        painter.drawRect(self._cell(self.current).adjusted(0, 0, 0, -1))
        painter.end()

    def mousePressEvent(self, event) -> None:  # noqa: N802, ANN001
        if self.n_frames:
            i = int(event.position().x() / max(self.width(), 1) * self.n_frames)
            self.frame_clicked.emit(min(max(i, 0), self.n_frames - 1))


class TimelinePanel(QWidget):
    """Emits ``frame_requested`` for the slider, the strip and playback ticks."""

    frame_requested = Signal(int)

    def __init__(self, n_frames: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_frames = n_frames
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("frame_slider")
        self.slider.setRange(0, max(n_frames - 1, 0))
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrow keys belong to the actions
        self.strip = FrameStrip(self)
        self.strip.n_frames = n_frames
        self.label = QLabel(self)
        self.play_button = QPushButton("Play", self)
        self.play_button.setObjectName("play_button")
        self.play_button.setCheckable(True)
        self.play_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.rate = QDoubleSpinBox(self)
        self.rate.setObjectName("play_rate")
        self.rate.setRange(0.5, 30.0)
        self.rate.setValue(10.0)
        self.rate.setSuffix(" fps")
        self.rate_note = QLabel(self)
        self.rate_note.setObjectName("play_rate_note")
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.frame_shown: Callable[[int], bool] | None = None  # set by the window: is frame i on screen?
        self._advances_s: deque[float] = deque(maxlen=64)
        self.frames_played = 0  # frames advanced by playback since Play
        self._overdue = False  # a tick found the frame not on screen yet

        top = QHBoxLayout()
        top.addWidget(self.play_button)
        top.addWidget(self.rate)
        top.addWidget(self.rate_note)
        top.addWidget(self.slider, 1)
        top.addWidget(self.label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        layout.addLayout(top)
        layout.addWidget(self.strip)

        self.slider.valueChanged.connect(self.frame_requested)
        self.strip.frame_clicked.connect(self.frame_requested)
        self.play_button.toggled.connect(self.set_playing)
        self.rate.valueChanged.connect(self._apply_rate)
        self.set_current(0)

    @property
    def playing(self) -> bool:
        return self.timer.isActive()

    def set_current(self, frame_index: int) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(frame_index)
        self.slider.blockSignals(False)
        self.strip.current = frame_index
        self.strip.update()
        self.label.setText(f"{frame_index + 1}/{self.n_frames}")

    def set_marks(self, annotated: set[int], track_frames: set[int], keyframes: set[int]) -> None:
        self.strip.set_marks(annotated, track_frames, keyframes)

    def set_flagged(self, frames: set[int]) -> None:
        """Frames whose box of the selected track carries a propagation stop flag."""
        self.strip.flagged = set(frames)
        self.strip.update()

    def toggle_play(self) -> None:
        self.play_button.setChecked(not self.play_button.isChecked())

    def set_playing(self, playing: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(playing)
        self.play_button.blockSignals(False)
        self.play_button.setText("Pause" if playing else "Play")
        self._advances_s.clear()
        self.rate_note.setText("")
        if playing:
            self.frames_played = 0
            self._apply_rate()
            self.timer.start()
        else:
            self.timer.stop()

    def shown_rate_fps(self) -> float | None:
        """Frames per second playback reached over its last advances (None: too few)."""
        times = [t for t in self._advances_s if t >= time.monotonic() - 2.0]
        if len(times) < 3:
            return None
        return (len(times) - 1) / max(times[-1] - times[0], 1e-6)

    def _apply_rate(self) -> None:
        self.timer.setInterval(round(1000.0 / self.rate.value()))

    def _tick(self) -> None:
        current = self.slider.value()
        if self.frame_shown is not None and not self.frame_shown(current):
            self._overdue = True  # wait for it (the rate drops, no frame is skipped)
            return
        self._overdue = False
        nxt = current + 1
        if nxt >= self.n_frames:
            self.set_playing(False)
            return
        self._advances_s.append(time.monotonic())
        self.frames_played += 1
        self._update_rate_note()
        self.frame_requested.emit(nxt)

    def frame_painted(self) -> None:
        """The view painted a frame: a tick that had to wait advances now, not a tick later."""
        if self._overdue and self.playing:
            self._tick()
            if not self._overdue:
                self.timer.start()  # the next frame one interval from now

    def _update_rate_note(self) -> None:
        fps = self.shown_rate_fps()
        slow = fps is not None and fps < 0.9 * self.rate.value()
        self.rate_note.setText(f"showing {fps:.1f} fps" if slow else "")
