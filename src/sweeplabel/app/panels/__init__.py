"""Dock panels of the editor: timeline, track list, properties, sub-views."""

from .properties import PropertiesPanel
from .timeline import TimelinePanel
from .track_list import TrackListPanel

__all__ = ["PropertiesPanel", "TimelinePanel", "TrackListPanel"]
