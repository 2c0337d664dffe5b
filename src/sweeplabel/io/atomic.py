"""Atomic file writes: a temporary file in the target folder, then ``os.replace``.

A failed or interrupted export leaves the earlier file untouched (the rename is
atomic on POSIX and Windows when both paths are on one filesystem). Written files
get the permissions the umask allows (0644 under 022), not mkstemp's 0600.
Inside ``confined_to(root)`` every write must land under ``root``."""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Iterator

from .errors import SweeplabelIOError

TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")  # ".NAME.xxxxxxxx.tmp" (mkstemp)
_confined: contextvars.ContextVar[tuple[Path, list[Path]] | None] = contextvars.ContextVar(
    "sweeplabel_write_root", default=None)


class WriteError(SweeplabelIOError):
    """An output that cannot be written (no space, not a folder, no permission, outside the target)."""


def current_umask() -> int:
    """The process umask, read without changing it where the OS tells it (Linux)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def confined_to(root: Path | str) -> Iterator[list[Path]]:
    """Refuse, inside the block, any atomic write outside ``root``; yields the list of
    files written so far (resolved paths)."""
    written: list[Path] = []
    token = _confined.set((Path(root).resolve(), written))
    try:
        yield written
    finally:
        _confined.reset(token)


def _check_target(path: Path) -> Path:
    confined = _confined.get()
    resolved = path.parent.resolve().joinpath(path.name)
    if confined is not None:
        root, written = confined
        try:
            resolved.relative_to(root)
        except ValueError:
            raise WriteError(path, f"refused: the export may only write inside {root}") from None
        written.append(resolved)
    return resolved


@contextlib.contextmanager
def atomic_open(path: Path | str, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it onto ``path`` when
    the block ends without an exception, delete it otherwise."""
    path = Path(path)
    _check_target(path)
    binary = "b" in mode
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir():
            raise IsADirectoryError(21, "a folder has this name")
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError(path, f"cannot write: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, encoding=None if binary else encoding,
                       newline=None if binary else "\n") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        if isinstance(exc, OSError):
            raise WriteError(path, f"cannot write: {exc.strerror or exc}") from None
        raise


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically."""
    with atomic_open(path, "w") as handle:
        handle.write(text)


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as handle:
        handle.write(data)


def remove_stale_temporaries(root: Path) -> list[Path]:
    """Delete the ``.NAME.xxxxxxxx.tmp`` files an interrupted write left under ``root``."""
    removed = []
    if not root.is_dir():
        return removed
    for path in root.rglob(".*.tmp"):
        if path.is_file() and TEMP_NAME.match(path.name):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed
