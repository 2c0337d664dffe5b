"""The reviewer's name: ``$SWEEPLABEL_AUTHOR``, else the settings file, else the OS user."""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs

from sweeplabel.model.review import AUTHOR_ENV, default_author


def settings_path() -> Path:
    return Path(platformdirs.user_config_dir("sweeplabel")) / "settings.json"


def _read() -> dict:
    try:
        data = json.loads(settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load_author() -> str:
    env = os.environ.get(AUTHOR_ENV, "").strip()
    if env:
        return env
    name = str(_read().get("author", "")).strip()
    return name or default_author()


def configured_author() -> str | None:
    """The name set by ``$SWEEPLABEL_AUTHOR`` or the settings file, None when neither."""
    env = os.environ.get(AUTHOR_ENV, "").strip()
    return env or str(_read().get("author", "")).strip() or None


def save_author(name: str) -> None:
    """Remember the name in the settings file (other keys kept; written atomically)."""
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {**_read(), "author": name.strip()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    tmp.replace(path)
