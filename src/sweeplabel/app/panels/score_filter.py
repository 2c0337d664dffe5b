"""Auto-box score filter: a slider hiding the auto boxes scoring under a threshold (live),
the threshold kept per project in the store's meta; the track order by score."""

from __future__ import annotations

from typing import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget

from sweeplabel.model import Annotation, Source, Track

SCORE_THRESHOLD_META_KEY = "auto_score_threshold"
_STEPS = 100


def shown(annotation: Annotation, threshold: float) -> bool:
    """Boxes people made, and unscored ones, are always shown; auto boxes from ``threshold``."""
    return annotation.source != Source.AUTO or annotation.score is None or annotation.score >= threshold


def by_score(tracks: Iterable[Track]) -> list[Track]:
    """Tracks without a score (made by people) first by number, then scored ones, most
    confident first."""
    return sorted(tracks, key=lambda t: (t.score is not None, -(t.score or 0.0), t.number))


class ScoreFilterPanel(QWidget):
    """``threshold_changed(float)`` after each move; ``keep(annotation)`` is the filter."""

    threshold_changed = Signal(float)

    def __init__(self, store=None, parent: QWidget | None = None) -> None:  # noqa: ANN001 - a ProjectStore
        super().__init__(parent)
        self.store = store
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("auto_score_slider")
        self.slider.setRange(0, _STEPS)
        self.slider.setToolTip("Hide auto boxes scoring less than this")
        self.label = QLabel(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Auto score ≥", self))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.setValue(round(self._stored() * _STEPS))
        self._show_value()
        self.slider.valueChanged.connect(self._on_moved)

    @property
    def threshold(self) -> float:
        return self.slider.value() / _STEPS

    def set_threshold(self, value: float) -> None:
        self.slider.setValue(round(min(max(value, 0.0), 1.0) * _STEPS))

    def keep(self, annotation: Annotation) -> bool:
        return shown(annotation, self.threshold)

    def _stored(self) -> float:
        if self.store is None:
            return 0.0
        try:
            return min(max(float(self.store.meta().get(SCORE_THRESHOLD_META_KEY, "0")), 0.0), 1.0)
        except ValueError:
            return 0.0

    def _show_value(self) -> None:
        self.label.setText(f"{self.threshold:.2f}")

    def _on_moved(self, _value: int) -> None:
        self._show_value()
        if self.store is not None:
            self.store.set_meta(SCORE_THRESHOLD_META_KEY, f"{self.threshold:.2f}")
        self.threshold_changed.emit(self.threshold)
