"""Properties of the selected annotation: class, attributes from the schema and exact
numeric fields (world centre, size, yaw in degrees). A typed value becomes one
undoable command; negative sizes and text are refused with a message."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from sweeplabel.model import Box, Project

MIN_SIZE_M = 0.01
FIELDS = (  # name, label, minimum, maximum, decimals, suffix
    ("x", "Centre x", -1e8, 1e8, 3, " m"),
    ("y", "Centre y", -1e8, 1e8, 3, " m"),
    ("z", "Centre z", -1e6, 1e6, 3, " m"),
    ("l", "Length", MIN_SIZE_M, 100.0, 3, " m"),
    ("w", "Width", MIN_SIZE_M, 100.0, 3, " m"),
    ("h", "Height", MIN_SIZE_M, 100.0, 3, " m"),
    ("yaw", "Yaw", -180.0, 180.0, 2, " °"),
)
NO_VALUE = ""


class CheckedSpinBox(QDoubleSpinBox):
    """A spin box that says why it refuses a keystroke (text, a negative size, ...)."""

    refused = Signal(str)

    def validate(self, text: str, pos: int) -> object:  # noqa: D401 - Qt API
        result = super().validate(text, pos)
        state = result[0] if isinstance(result, tuple) else result
        if state == QValidator.State.Invalid:
            bare = text.replace(self.suffix(), "").strip()
            if bare.startswith("-") and self.minimum() >= 0:
                why = f"{self.objectName()} must be positive"
            else:
                why = f"{self.objectName()}: {bare!r} is not a number in {self.minimum():g}..{self.maximum():g}"
            self.refused.emit(why)
        return result


class PropertiesPanel(QWidget):
    """Shows one annotation; emits edits for the controller to run as commands."""

    box_edited = Signal(object, str)  # Box (world), merge key
    category_edited = Signal(str)
    attribute_edited = Signal(str, object)  # group, value or None
    finished = Signal()  # a value was chosen or typed: keys may go back to the 3D view

    def __init__(self, project: Project, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.token: str | None = None
        self._updating = False
        self.title = QLabel("No box selected", self)
        self.category = QComboBox(self)
        self.category.setObjectName("category_combo")
        for cat in project.schema.categories:
            self.category.addItem(cat.label, cat.name)
        self.form = QFormLayout()
        self.form.addRow("Class", self.category)
        self.spins: dict[str, CheckedSpinBox] = {}
        for name, label, lo, hi, decimals, suffix in FIELDS:
            spin = CheckedSpinBox(self)
            spin.setObjectName(name)
            spin.setRange(lo, hi)
            spin.setDecimals(decimals)
            spin.setSuffix(suffix)
            spin.setKeyboardTracking(False)
            spin.setSingleStep(1.0 if name == "yaw" else 0.05)
            if name == "yaw":
                spin.setWrapping(True)
            spin.valueChanged.connect(lambda _v, n=name: self._on_value(n))
            spin.refused.connect(self._refuse)
            spin.lineEdit().returnPressed.connect(self.finished)
            self.form.addRow(label, spin)
            self.spins[name] = spin
        self.attr_form = QFormLayout()
        self.attr_combos: dict[str, QComboBox] = {}
        self._attr_key: tuple | None = ("",)
        self.message = QLabel("", self)
        self.message.setObjectName("properties_message")
        self.message.setStyleSheet("color: #d33;")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(self.form)
        layout.addLayout(self.attr_form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.category.currentIndexChanged.connect(self._on_category)
        self.category.activated.connect(lambda _i: self.finished.emit())
        self.show_annotation(None)

    # -- display --------------------------------------------------------------------
    def show_annotation(self, token: str | None) -> None:
        ann = self.project.get_annotation(token) if token else None
        self.token = ann.token if ann is not None else None
        enabled = ann is not None
        for w in (self.category, *self.spins.values()):
            w.setEnabled(enabled)
        self._updating = True
        try:
            if ann is None:
                self.title.setText("No box selected")
                self._rebuild_attributes(None, {})
                return
            track = self.project.track(ann.track_token)
            self.title.setText(f"Track {track.number} · frame {ann.frame_index + 1} · {ann.source.value}")
            self.category.setCurrentIndex(self.project.schema.category_names.index(track.category))
            box = ann.box
            values = {"x": box.center_m[0], "y": box.center_m[1], "z": box.center_m[2],
                      "l": box.size_lwh_m[0], "w": box.size_lwh_m[1], "h": box.size_lwh_m[2],
                      "yaw": math.degrees(box.yaw_rad)}
            for name, spin in self.spins.items():
                spin.setValue(float(values[name]))
            self._rebuild_attributes(track.category, dict(ann.attributes))
        finally:
            self._updating = False

    def _rebuild_attributes(self, category: str | None, values: dict) -> None:
        key = (category, tuple(sorted(values.items())))
        if key == self._attr_key:  # unchanged (e.g. a nudge): keep the combos
            return
        self._attr_key = key
        while self.attr_form.rowCount():
            self.attr_form.removeRow(0)
        self.attr_combos = {}
        if category is None:
            return
        schema = self.project.schema
        groups = {**schema.category(category).attributes, **schema.frame_attributes}
        for group, allowed in groups.items():
            combo = QComboBox(self)
            combo.setObjectName(f"attr_{group}")
            combo.addItem("—", NO_VALUE)
            for value in allowed:
                combo.addItem(value, value)
            current = values.get(group)
            combo.setCurrentIndex(combo.findData(current) if current in allowed else 0)
            combo.currentIndexChanged.connect(lambda _i, g=group, c=combo: self._on_attribute(g, c))
            combo.activated.connect(lambda _i: self.finished.emit())
            self.attr_form.addRow(group, combo)
            self.attr_combos[group] = combo

    # -- edits ----------------------------------------------------------------------
    def _refuse(self, why: str) -> None:
        self.message.setText(f"Refused: {why}")

    def _on_value(self, name: str) -> None:
        if self._updating or self.token is None:
            return
        v = {n: s.value() for n, s in self.spins.items()}
        try:
            box = Box([v["x"], v["y"], v["z"]], [v["l"], v["w"], v["h"]], math.radians(v["yaw"]))
        except ValueError as exc:
            self._refuse(str(exc))
            return
        self.message.setText("")
        self.box_edited.emit(box, f"field:{name}:{self.token}")

    def _on_category(self) -> None:
        if not self._updating and self.token is not None:
            self.category_edited.emit(self.category.currentData())

    def _on_attribute(self, group: str, combo: QComboBox) -> None:
        if not self._updating and self.token is not None:
            value = combo.currentData()
            self.attribute_edited.emit(group, value if value != NO_VALUE else None)
