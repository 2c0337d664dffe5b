"""Packaged data: the default label schema and the default key map."""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def read_text(name: str) -> str:
    """The text of a packaged resource file."""
    return resources.files(__name__).joinpath(name).read_text("utf-8")


def default_keymap() -> dict[str, list[str]]:
    """``action -> key sequences`` from default_keymap.toml (sections flattened)."""
    return _flatten(tomllib.loads(read_text("default_keymap.toml")))


def load_keymap(user_file: Path | None = None) -> dict[str, list[str]]:
    """The default key map with the user's file (if it exists) laid over it.

    A malformed user file raises ``ValueError`` naming the file and the problem."""
    keymap = default_keymap()
    if user_file is None or not Path(user_file).is_file():
        return keymap
    try:
        user = _flatten(tomllib.loads(Path(user_file).read_text("utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{user_file}: {exc}") from exc
    unknown = sorted(set(user) - set(keymap))
    if unknown:
        raise ValueError(f"{user_file}: unknown actions {unknown}; known: {sorted(keymap)}")
    keymap.update(user)
    return keymap


def _flatten(table: dict) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            out[key] = list(value)
        else:
            raise ValueError(f"key map entry {key!r} must be a list of key sequences")
    return out
