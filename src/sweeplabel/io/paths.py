"""Names taken from data (frame ids, sequence ids, versions, table file names) before
they become paths: a crafted label file must never write or read outside its folder."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from .errors import FormatError


def plain_name(value: object, what: str, source: Path | str | None = None) -> str:
    """``value`` as one plain file-name component, else a FormatError naming ``what``.

    Refused: empty, ``.``/``..``, anything with a slash, a backslash, a NUL or a drive."""
    name = str(value)
    bad = (not name or name in (".", "..") or any(c in name for c in "/\\\x00")
           or (len(name) > 1 and name[1] == ":"))
    if bad:
        raise FormatError(source, f"{what} {name!r} is not a plain file name (no folders, '..' or absolute paths)")
    return name


def inside(root: Path, relative: str, what: str, source: Path | str | None = None) -> Path:
    """``root / relative`` for a relative path read from data; refused when it is absolute
    or leaves ``root`` (after resolving ``..`` and links)."""
    rel = PurePosixPath(str(relative).replace("\\", "/"))
    if rel.is_absolute() or not str(relative) or ".." in rel.parts or "\x00" in str(relative):
        raise FormatError(source, f"{what} {str(relative)!r} points outside {root}")
    path = Path(root) / Path(*rel.parts)
    try:
        path.resolve().relative_to(Path(root).resolve())
    except ValueError:
        raise FormatError(source, f"{what} {str(relative)!r} points outside {root}") from None
    return path
