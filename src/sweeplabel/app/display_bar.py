"""The display toolbar: colour mode, point size, hidden ground, range limit, and the
class new boxes get."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLabel, QToolBar, QWidget

from sweeplabel.model import LabelSchema
from sweeplabel.viewer import ColorMode, DisplayOptions

COLOR_MODE_LABELS = {ColorMode.HEIGHT: "Height", ColorMode.INTENSITY: "Intensity",
                     ColorMode.GROUND: "Ground", ColorMode.CLASS: "In-box class"}
NO_RANGE_LIMIT_M = 0.0  # the spin box's "off" value


class DisplayBar(QToolBar):
    options_changed = Signal(object)  # DisplayOptions
    category_changed = Signal(str)
    finished = Signal()  # a choice was made: keys may go back to the 3D view

    def __init__(self, schema: LabelSchema, options: DisplayOptions, parent: QWidget | None = None) -> None:
        super().__init__("Display", parent)
        self.setObjectName("display_toolbar")
        self._options = options
        self.addWidget(QLabel(" New box: ", self))
        self.category = QComboBox(self)
        self.category.setObjectName("new_box_category")
        for cat in schema.categories:
            self.category.addItem(cat.label, cat.name)
        self.category.setCurrentIndex(schema.category_names.index(schema.default_category))
        self.addWidget(self.category)
        self.addSeparator()
        self.addWidget(QLabel(" Colour: ", self))
        self.color_mode = QComboBox(self)
        self.color_mode.setObjectName("color_mode")
        for mode, label in COLOR_MODE_LABELS.items():
            self.color_mode.addItem(label, mode)
        self.addWidget(self.color_mode)
        self.point_size = QDoubleSpinBox(self)
        self.point_size.setObjectName("point_size")
        self.point_size.setRange(1.0, 10.0)
        self.point_size.setSingleStep(0.5)
        self.point_size.setSuffix(" px")
        self.addWidget(self.point_size)
        self.hide_ground = QCheckBox("Hide ground", self)
        self.hide_ground.setObjectName("hide_ground")
        self.addWidget(self.hide_ground)
        self.range_limit = QDoubleSpinBox(self)
        self.range_limit.setObjectName("range_limit")
        self.range_limit.setRange(NO_RANGE_LIMIT_M, 500.0)
        self.range_limit.setSingleStep(10.0)
        self.range_limit.setSpecialValueText("no range limit")
        self.range_limit.setPrefix("≤ ")
        self.range_limit.setSuffix(" m")
        self.addWidget(self.range_limit)
        self.set_options(options)
        self.color_mode.currentIndexChanged.connect(self._emit)
        self.point_size.valueChanged.connect(self._emit)
        self.hide_ground.toggled.connect(self._emit)
        self.range_limit.valueChanged.connect(self._emit)
        self.category.currentIndexChanged.connect(lambda _i: self.category_changed.emit(self.category.currentData()))
        for combo in (self.category, self.color_mode):
            combo.activated.connect(lambda _i: self.finished.emit())
        self.hide_ground.clicked.connect(lambda _c: self.finished.emit())

    @property
    def options(self) -> DisplayOptions:
        return self._options

    def set_options(self, options: DisplayOptions) -> None:
        """Show ``options`` (emits ``options_changed`` once when they differ)."""
        changed = options != self._options
        self._options = options
        widgets = (self.color_mode, self.point_size, self.hide_ground, self.range_limit)
        for w in widgets:
            w.blockSignals(True)
        self.color_mode.setCurrentIndex(list(COLOR_MODE_LABELS).index(options.color_mode))
        self.point_size.setValue(options.point_size_px)
        self.hide_ground.setChecked(options.hide_ground)
        self.range_limit.setValue(options.range_limit_m or NO_RANGE_LIMIT_M)
        for w in widgets:
            w.blockSignals(False)
        if changed:
            self.options_changed.emit(options)

    def _emit(self) -> None:
        limit = self.range_limit.value()
        self._options = DisplayOptions(self.color_mode.currentData(), self.point_size.value(),
                                       self.hide_ground.isChecked(), limit if limit > NO_RANGE_LIMIT_M else None)
        self.options_changed.emit(self._options)
