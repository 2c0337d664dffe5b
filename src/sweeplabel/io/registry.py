"""Choose a reader for a path by pattern and sniffing.

A reader module registers a ``SequenceReader``; ``read_sequence(path)`` asks each
reader's ``sniff`` in priority order and uses the first that says yes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..model import Annotation, Sequence, Track
from .errors import FormatError, UnsupportedFormatError


@dataclass
class LoadedSequence:
    """What a reader returns: the sequence and any labels stored with it."""

    sequence: Sequence
    tracks: list[Track] = field(default_factory=list)
    annotations: list[Annotation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SequenceReader:
    """``sniff(path) -> bool`` is cheap (names, a few header bytes);
    ``read(path) -> LoadedSequence`` does the work. Lower priority is asked first."""

    name: str
    sniff: Callable[[Path], bool]
    read: Callable[[Path], LoadedSequence]
    priority: int = 100


_READERS: dict[str, SequenceReader] = {}


def register_reader(reader: SequenceReader) -> SequenceReader:
    _READERS[reader.name] = reader
    return reader


def readers() -> list[SequenceReader]:
    _load_builtin_readers()
    return sorted(_READERS.values(), key=lambda r: (r.priority, r.name))


def find_reader(path: Path) -> SequenceReader:
    path = Path(path)
    if not path.exists():
        raise UnsupportedFormatError(path, "no such file or folder")
    for reader in readers():
        if reader.sniff(path):
            return reader
    names = ", ".join(r.name for r in readers())
    raise UnsupportedFormatError(path, f"not a sequence any reader recognises (tried: {names})")


def read_sequence(path: Path | str) -> LoadedSequence:
    """Open a sequence folder or dataset root with the reader that recognises it.
    Every failure is a :class:`SweeplabelIOError` (an unreadable file: its path and why)."""
    path = Path(path)
    reader = find_reader(path)
    try:
        return reader.read(path)
    except OSError as exc:  # permissions, a folder where a file was expected, I/O errors
        where = Path(exc.filename) if exc.filename else path
        raise FormatError(where, f"cannot read ({exc.strerror or type(exc).__name__})") from None


_BUILTIN_MODULES = (
    "sweeplabel.io.sequence_folder",
    "sweeplabel.io.kitti",
    "sweeplabel.io.kitti_tracking",
    "sweeplabel.io.nuscenes",
    "sweeplabel.io.sustech",
    "sweeplabel.io.pcd",
    "sweeplabel.io.las",
    "sweeplabel.io.ply_bin",
    "sweeplabel.io.labels_json",
    "sweeplabel.io.av2",
    "sweeplabel.io.openlabel",
)
_loaded = False


def _load_builtin_readers() -> None:
    """Import the reader modules once; each registers itself on import."""
    global _loaded
    if _loaded:
        return
    import importlib

    for name in _BUILTIN_MODULES:
        importlib.import_module(name)
    _loaded = True
