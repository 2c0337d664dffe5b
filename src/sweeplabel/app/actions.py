"""The main window's actions as data: id, text, shortcuts, tooltip.

Shortcuts come from resources/default_keymap.toml with the user's keymap.toml (in the
user config directory) laid over it, by action id; the specs only name and describe."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Mapping

import platformdirs
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from sweeplabel.resources import load_keymap

from .edit_ops import NUDGES


def user_keymap_path() -> Path:
    """Where a user's key map overrides live."""
    return Path(platformdirs.user_config_dir("sweeplabel")) / "keymap.toml"


def current_keymap() -> dict[str, tuple[str, ...]]:
    """Default bindings with the user's file laid over them."""
    return {k: tuple(v) for k, v in load_keymap(user_keymap_path()).items()}


@dataclass(frozen=True)
class ActionSpec:
    id: str
    text: str
    tooltip: str = ""
    toolbar: bool = True


NAVIGATION_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("first_frame", "First", "First frame"),
    ActionSpec("previous_frame", "Previous", "Previous frame"),
    ActionSpec("next_frame", "Next", "Next frame"),
    ActionSpec("last_frame", "Last", "Last frame"),
    ActionSpec("play_pause", "Play/pause", "Play the sequence at the timeline's rate", toolbar=False),
)

VIEW_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("reset_view", "Reset view", "Fit the camera to the points"),
    ActionSpec("birds_eye", "Bird's-eye", "Look straight down"),
    ActionSpec("focus_selected", "Focus", "Centre the camera on the selected box"),
    ActionSpec("toggle_ground", "Hide ground", "Hide or show the ground points"),
    ActionSpec("zoom_in", "Zoom in", toolbar=False),
    ActionSpec("zoom_out", "Zoom out", toolbar=False),
)

EDIT_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("undo", "Undo", "Undo the last edit", toolbar=False),
    ActionSpec("redo", "Redo", "Redo the last undone edit", toolbar=False),
    ActionSpec("delete", "Delete box", "Delete the selected box", toolbar=False),
    ActionSpec("delete_track", "Delete track", "Delete the selected box's whole track", toolbar=False),
    ActionSpec("copy", "Copy box", toolbar=False),
    ActionSpec("paste", "Paste box", "Paste the copied box into this frame", toolbar=False),
    ActionSpec("propagate_next", "Propagate", "Predict and re-fit the selected track in the next frame; "
               "stops with a flag on a poor fit"),
    ActionSpec("propagate_5", "Propagate N frames", "Smart propagation over the next N frames (N: the toolbar's "
               "spin box); one undo step", toolbar=False),
)

# ASSIST_ACTIONS (slots in app/assist_actions.py) go to an Assist sub-menu of Tools.
ASSIST_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("copy_next", "Copy to next frame", "Copy the selected box unchanged to the next frame", toolbar=False),
    ActionSpec("interpolate_track", "Interpolate track", "Fill the frames between the selected track's keyframes",
               toolbar=False),
    ActionSpec("unify_track_size", "Unify track size", "One size for every box of the selected track", toolbar=False),
    ActionSpec("preannotate", "Pre-annotate sequence…", "Detect and track the objects of every frame as auto boxes",
               toolbar=False),
    ActionSpec("toggle_object_view", "Object view", "Show or hide the selected track's points stacked in its box",
               toolbar=False),
)

SELECTION_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("deselect", "Deselect", "Clear the selection and return to the select tool", toolbar=False),
    ActionSpec("select_next_box", "Next box", "Select the next box of this frame", toolbar=False),
    ActionSpec("select_previous_box", "Previous box", "Select the previous box of this frame", toolbar=False),
)

TOOL_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("tool_select", "Select", "Click a box to select it; drag to orbit; Ctrl+drag moves the selected box"),
    ActionSpec("tool_one_click", "One-click", "Click an object to fit a box of the chosen class"),
    ActionSpec("tool_rectangle", "Rectangle", "Drag a rectangle in bird's-eye view; the box fits the points inside"),
    ActionSpec("tool_place", "Place", "Click the ground to place a default-size box of the chosen class"),
)

BOX_ACTIONS: tuple[ActionSpec, ...] = tuple(ActionSpec(n.id, n.text, toolbar=False) for n in NUDGES) + (
    ActionSpec("flip_heading", "Flip heading", "Turn the box by 180°", toolbar=False),
    ActionSpec("snap_to_ground", "Snap to ground", "Put the box's bottom on the local ground", toolbar=False),
    ActionSpec("refit_box", "Re-fit", "Fit the box to the points in it", toolbar=False),
)

N_CLASS_KEYS = 9
CLASS_ACTIONS: tuple[ActionSpec, ...] = tuple(
    ActionSpec(f"class_{i}", f"Class key {i}", f"Give the selected box's track (and new boxes) class key {i}: "
               "the project's most used classes first, then the schema's order", toolbar=False)
    for i in range(1, N_CLASS_KEYS + 1)
) + (ActionSpec("class_palette", "Choose class…", "Type to filter the classes; Enter applies to the selected "
                "box and to new boxes", toolbar=False),)

DISPLAY_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("color_mode_next", "Next colour mode", "Height → intensity → ground → class", toolbar=False),
    ActionSpec("point_size_up", "Bigger points", toolbar=False),
    ActionSpec("point_size_down", "Smaller points", toolbar=False),
    ActionSpec("toggle_subviews", "Sub-views", "Show or hide the top/side/front views", toolbar=False),
)

FILE_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_folder", "Open folder…", "Open a dataset folder (labelled or not) in a new window",
               toolbar=False),
    ActionSpec("open", "Open file…", "Open a point cloud, a sequence.json or a .sweeplabel project in a new window",
               toolbar=False),
    ActionSpec("save_now", "Save", "Save now (every step is saved already; this says so)", toolbar=False),
    ActionSpec("export", "Export…", "Check, then write the labels as KITTI, nuScenes, JSON, ...", toolbar=False),
    ActionSpec("quit", "Quit", "Close every window (everything is saved already)", toolbar=False),
)

HELP_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("shortcuts", "Shortcuts", "List every key binding", toolbar=False),
)

REVIEW_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("review_mode", "Review mode", "Show the QA panel and the review strip; run the checks", toolbar=False),
    ActionSpec("next_finding", "Next finding", "Jump to the next open QA finding", toolbar=False),
    ActionSpec("previous_finding", "Prev. finding", "Jump to the previous open QA finding", toolbar=False),
    ActionSpec("accept_box", "Accept box", "Accept the selected box", toolbar=False),
    ActionSpec("reject_box", "Reject box", "Reject the selected box", toolbar=False),
    ActionSpec("mark_fixed", "Mark fixed", "Mark the selected box fixed (awaits re-review)", toolbar=False),
    ActionSpec("accept_track_range", "Accept range", "Accept the selected track over the QA panel's frames",
               toolbar=False),
    ActionSpec("reject_track_range", "Reject range", "Reject the selected track over the QA panel's frames",
               toolbar=False),
    ActionSpec("add_comment", "Comment…", "Pin a comment to the selected box (or track, or frame)", toolbar=False),
    ActionSpec("reply_comment", "Reply…", "Reply to the chosen comment", toolbar=False),
    ActionSpec("resolve_comment", "Resolve", "Resolve (or reopen) the chosen comment", toolbar=False),
    ActionSpec("set_author", "Reviewer name…", "Name stamped on verdicts and comments", toolbar=False),
)

# REVIEW_ACTIONS go to a Review sub-menu of Tools (app/review/mode.py).
MENUS: tuple[tuple[str, tuple[ActionSpec, ...]], ...] = (
    ("&File", FILE_ACTIONS),
    ("&Edit", EDIT_ACTIONS + SELECTION_ACTIONS),
    ("&View", NAVIGATION_ACTIONS + VIEW_ACTIONS + DISPLAY_ACTIONS),
    ("&Tools", TOOL_ACTIONS),
    ("&Box", BOX_ACTIONS + CLASS_ACTIONS),
    ("&Help", HELP_ACTIONS),
)

ALL_ACTIONS: tuple[ActionSpec, ...] = (
    FILE_ACTIONS + NAVIGATION_ACTIONS + VIEW_ACTIONS + EDIT_ACTIONS + SELECTION_ACTIONS + TOOL_ACTIONS + BOX_ACTIONS
    + DISPLAY_ACTIONS + HELP_ACTIONS + REVIEW_ACTIONS + ASSIST_ACTIONS + CLASS_ACTIONS
)


def make_actions(
    parent: QWidget,
    specs: tuple[ActionSpec, ...],
    slots: Mapping[str, Callable[[], None]],
    keymap: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, QAction]:
    """One QAction per spec, triggering ``slots[spec.id]``, bound to the keys that
    ``keymap`` (default: ``current_keymap()``) lists for its id."""
    keymap = current_keymap() if keymap is None else keymap
    actions: dict[str, QAction] = {}
    for spec in specs:
        action = QAction(spec.text, parent)
        action.setObjectName(spec.id)
        keys = tuple(keymap.get(spec.id, ()))
        action.setShortcuts([QKeySequence(k) for k in keys])
        shortcut_hint = ", ".join(keys)
        action.setToolTip(f"{spec.tooltip or spec.text} ({shortcut_hint})" if keys else spec.tooltip)
        action.triggered.connect(lambda _checked=False, slot=slots[spec.id]: slot())
        parent.addAction(action)
        actions[spec.id] = action
    return actions
