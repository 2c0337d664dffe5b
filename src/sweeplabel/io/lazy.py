"""Heavy libraries a reader needs only when it reads: imported at first use, so that
finding a reader (every reader module is imported to sniff a path) costs no start-up
time. ``scipy.spatial`` takes ~0.25 s to import here and pyarrow ~0.12 s, and the app
opens a synthetic or KITTI folder without either."""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """Stands for module ``name``; the first attribute access imports it."""

    def __init__(self, name: str, attribute: str | None = None) -> None:
        self._name = name
        self._attribute = attribute

    def _target(self) -> Any:
        module = importlib.import_module(self._name)
        return getattr(module, self._attribute) if self._attribute else module

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)


Rotation: Any = LazyModule("scipy.spatial.transform", "Rotation")  # scipy's Rotation class
