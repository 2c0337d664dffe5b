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
)

VIEW_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("reset_view", "Reset view", "Fit the camera to the points"),
    ActionSpec("birds_eye", "Bird's-eye", "Look straight down"),
)

EDIT_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("undo", "Undo", "Undo the last edit", toolbar=False),
    ActionSpec("redo", "Redo", "Redo the last undone edit", toolbar=False),
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
        action.triggered.connect(slots[spec.id])
        parent.addAction(action)
        actions[spec.id] = action
    return actions
