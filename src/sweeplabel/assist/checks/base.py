"""Findings, severities and the registry of automatic QA checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any


class Severity(str, Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]


@dataclass(frozen=True)
class Finding:
    """One problem a check found: where (frame, track, box) and what."""

    check: str
    severity: Severity
    message: str
    frame_index: int | None
    track_token: str | None
    annotation_token: str | None = None
    other_track_token: str | None = None
    value: float | None = None

    @property
    def key(self) -> str:
        """Stable identity across re-runs (for UI selection and diffing)."""
        return f"{self.check}:{self.track_token}:{self.frame_index}:{self.other_track_token}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check, "severity": self.severity.value, "message": self.message,
            "frame_index": self.frame_index, "track_token": self.track_token,
            "annotation_token": self.annotation_token, "other_track_token": self.other_track_token,
            "value": self.value,
        }


@dataclass(frozen=True)
class CheckInfo:
    """A registered check. ``scope`` is "track" (re-run when a track's boxes change)
    or "frame" (re-run when a frame's boxes change)."""

    name: str
    scope: str
    severity: Severity
    description: str
    needs_points: bool = False


CHECKS: dict[str, CheckInfo] = {}

# Checks of the issue that this model cannot express, with the reason.
SKIPPED_CHECKS: dict[str, str] = {
    "class_change": "the model stores one category per track (no per-box override), "
                    "so a class cannot change within a track",
}


def describe(name: str, scope: str, severity: Severity, description: str,
             needs_points: bool = False) -> None:
    """Register a check's metadata (its code lives in track_checks / frame_checks)."""
    CHECKS[name] = CheckInfo(name, scope, severity, description, needs_points)
