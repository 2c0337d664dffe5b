"""One frame numbering for people: frames are numbered from 1 in the app, the status bar,
``sweeplabel check``, the report and every message. Code and files keep 0-based indices
(``Frame.index``, ``frame_index`` in JSON and the project store); convert only when
writing text for a person, with ``frame_number``."""

from __future__ import annotations

FIRST_FRAME_NUMBER = 1


def frame_number(frame_index0: int) -> int:
    """The number a person sees for the 0-based frame index ``frame_index0``."""
    return int(frame_index0) + FIRST_FRAME_NUMBER


def frame_text(frame_index0: int | None) -> str:
    """``frame 3`` (1-based), or ``whole sequence`` when the finding has no frame."""
    return "whole sequence" if frame_index0 is None else f"frame {frame_number(frame_index0)}"
