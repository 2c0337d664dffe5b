"""Thresholds and severities of the automatic checks, stored as JSON in the project
store's meta table (key ``check_settings``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Mapping

from .base import CHECKS, Severity

META_KEY = "check_settings"


def _speeds() -> dict[str, float]:
    return {"": 70.0, "vehicle": 70.0, "vehicle.bicycle": 20.0, "vehicle.cyclist": 20.0,
            "human": 8.0, "animal": 25.0, "movable_object": 5.0, "static_object": 2.0}


def _accels() -> dict[str, float]:
    return {"": 15.0, "vehicle": 15.0, "vehicle.bicycle": 10.0, "vehicle.cyclist": 10.0,
            "human": 10.0, "animal": 15.0, "movable_object": 10.0, "static_object": 10.0}


@dataclass
class CheckSettings:
    """Every threshold the checks use. Per-class maps are keyed by category prefix
    (the longest matching prefix wins, "" is the fallback)."""

    # points in the box, not counting the bottom ``ignore_bottom_m`` (ground under the box)
    min_points_error: int = 1
    min_points_warning: int = 5
    ignore_bottom_m: float = 0.2
    # one size per rigid track: |size - median| > max(tol_m, ratio * median) on any axis
    size_tolerance_m: float = 0.3
    size_tolerance_ratio: float = 0.1
    # heading between consecutive boxes of a track
    max_yaw_jump_deg: float = 30.0
    # plausible motion (bird's-eye view, world frame)
    max_speed_mps: dict[str, float] = field(default_factory=_speeds)
    max_accel_mps2: dict[str, float] = field(default_factory=_accels)
    # missing frames inside a track
    max_gap_frames: int = 0
    # boxes of different tracks in one frame (BEV IoU)
    overlap_iou: float = 0.05
    duplicate_iou: float = 0.5
    # box bottom vs the ground around it
    max_float_m: float = 0.35
    max_sink_m: float = 0.35
    ground_margin_m: float = 2.5
    sunk_max_range_m: float = 40.0  # beyond, the ground is too sparse to call a box sunk
    min_ground_points: int = 8
    # point-cloud range: None = the farthest point of each frame
    max_range_m: float | None = None
    range_tolerance_m: float = 0.0
    # attribute groups every box must carry besides its category's (e.g. "visibility")
    required_frame_attributes: tuple[str, ...] = ()
    # check name -> severity override; checks to skip
    severities: dict[str, str] = field(default_factory=dict)
    disabled: tuple[str, ...] = ()

    def severity(self, check: str) -> Severity:
        override = self.severities.get(check)
        return Severity(override) if override else CHECKS[check].severity

    def enabled(self, check: str) -> bool:
        return check not in self.disabled

    def for_class(self, table: Mapping[str, float], category: str) -> float | None:
        best = None
        for prefix, value in table.items():
            if category == prefix or category.startswith(prefix + ".") or prefix == "":
                if best is None or len(prefix) > len(best[0]):
                    best = (prefix, value)
        return None if best is None else float(best[1])

    # -- JSON ------------------------------------------------------------------------
    def to_json(self) -> str:
        data = asdict(self)
        data["required_frame_attributes"] = list(self.required_frame_attributes)
        data["disabled"] = list(self.disabled)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "CheckSettings":
        """Unknown keys are ignored, missing ones take the defaults."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("check settings must be a JSON object")
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "CheckSettings":
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        for key in ("required_frame_attributes", "disabled"):
            if key in kwargs:
                kwargs[key] = tuple(kwargs[key])
        settings = cls(**kwargs)
        for name, sev in settings.severities.items():
            Severity(sev)  # raises ValueError on a bad name
        return settings


def load_settings(store: Any) -> CheckSettings:
    """The settings saved in a ``ProjectStore`` (defaults when none are)."""
    text = store.meta().get(META_KEY)
    return CheckSettings.from_json(text) if text else CheckSettings()


def save_settings(store: Any, settings: CheckSettings) -> None:
    store.set_meta(META_KEY, settings.to_json())
