"""Automatic QA checks of tracked sequences.

``run_checks(project)`` gives every finding at once; ``CheckRunner`` keeps findings
current while boxes change (it re-checks only the touched tracks and frames).
Thresholds and severities live in ``CheckSettings`` (saved in the project store)."""

from .base import CHECKS, SKIPPED_CHECKS, CheckInfo, Finding, Severity
from .frame_checks import FrameData, run_frame_checks
from .points import FrameCloud, FramePoints, PointStats, boxes_to_sensor, point_stats
from .runner import CheckRunner, is_waived, run_checks, worst
from .settings import META_KEY, CheckSettings, load_settings, save_settings
from .track_checks import TrackData, run_track_checks

__all__ = [
    "CHECKS", "SKIPPED_CHECKS", "META_KEY", "CheckInfo", "CheckRunner", "CheckSettings", "Finding",
    "FrameCloud", "FrameData", "FramePoints", "PointStats", "Severity", "TrackData", "boxes_to_sensor", "is_waived",
    "load_settings", "point_stats", "run_checks", "run_frame_checks", "run_track_checks",
    "save_settings", "worst",
]
