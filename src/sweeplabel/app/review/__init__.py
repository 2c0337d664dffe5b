"""Review mode of the editor: QA panel (findings, comments, time statistics), keyboard
verdicts over boxes and track ranges, comments with replies, and a per-track review
strip under the timeline."""

from .controller import ReviewController
from .mode import ReviewMode, review_slots
from .qa_panel import QAPanel
from .time_stats import ActivityLog, Step, TimeStats, step_durations, time_stats
from .widgets import ReviewStrip

__all__ = ["ActivityLog", "QAPanel", "ReviewController", "ReviewMode", "ReviewStrip", "Step", "TimeStats",
           "review_slots", "step_durations", "time_stats"]
