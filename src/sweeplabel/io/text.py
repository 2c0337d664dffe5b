"""Text and JSON input for every reader: UTF-8 only, one clear ``FormatError`` (file,
line, byte offset) for anything else, and strict numbers.

* A UTF-8 byte-order mark is skipped (Windows editors write one; the text is the same).
* UTF-16/UTF-32 (a BOM or NUL bytes between ASCII) and any invalid UTF-8 byte are refused.
* JSON: numbers of at most ``MAX_NUMBER_CHARS`` characters (no 5000-digit integers), at
  most ``MAX_JSON_DEPTH`` nested arrays/objects. NaN/Infinity are read (Python's json
  writes them, e.g. mmdet3d velocities); readers check finiteness where values are used."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from .errors import FormatError

UTF8_BOM = b"\xef\xbb\xbf"
MAX_JSON_DEPTH = 200
MAX_NUMBER_CHARS = 100
_WIDE_BOMS = ((b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"), (b"\xfe\xff", "UTF-16"),
              (b"\xff\xfe", "UTF-16"))
_ASCII_INT = re.compile(r"[+-]?[0-9]+\Z")
_ASCII_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def line_at(raw: bytes | str, offset: int) -> int:
    """1-based line number of byte/character ``offset``."""
    newline = b"\n" if isinstance(raw, bytes) else "\n"
    return raw.count(newline, 0, max(offset, 0)) + 1


def decode_utf8(path: Path, raw: bytes) -> str:
    """``raw`` as text; FormatError for UTF-16/32 and for invalid UTF-8 (line and byte)."""
    for bom, name in _WIDE_BOMS:
        if raw.startswith(bom):
            raise FormatError(path, f"{name} text (byte-order mark {bom.hex(' ')}); expected UTF-8", line=1, offset=0)
    start = len(UTF8_BOM) if raw.startswith(UTF8_BOM) else 0
    try:
        text = raw[start:].decode("utf-8")
    except UnicodeDecodeError as err:
        at = start + err.start
        if b"\x00" in raw[:64] and len(raw) > 1:
            raise FormatError(path, "UTF-16 or UTF-32 text (NUL bytes between characters); expected UTF-8",
                              line=line_at(raw, at), offset=at) from None
        raise FormatError(path, f"not UTF-8 text: byte 0x{raw[at]:02x} ({err.reason}); expected UTF-8",
                          line=line_at(raw, at), offset=at) from None
    nul = text.find("\x00")
    if nul >= 0:
        at = start + len(text[:nul].encode("utf-8"))
        raise FormatError(path, "NUL byte in text (UTF-16/32 or binary data?); expected UTF-8 text",
                          line=line_at(raw, at), offset=at)
    return text


def read_text(path: Path | str) -> str:
    """The UTF-8 text of a file (see ``decode_utf8``)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise FormatError(path, "file is missing") from None
    except IsADirectoryError:
        raise FormatError(path, "expected a file, found a folder") from None
    return decode_utf8(path, raw)


def parse_int(text: str) -> int:
    """An ASCII whole number (no '١٢', '1_000', '0x10' or 5000 digits); ValueError otherwise."""
    if len(text) > MAX_NUMBER_CHARS or not _ASCII_INT.match(text):
        raise ValueError(text)
    return int(text)


def parse_float(text: str) -> float:
    """A finite ASCII decimal number (no 'nan', 'inf', '1e400', '1_0', '١٢'); ValueError otherwise."""
    if len(text) > MAX_NUMBER_CHARS or not _ASCII_FLOAT.match(text):
        raise ValueError(text)
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


# -- JSON --------------------------------------------------------------------------------------
class _BadNumber(ValueError):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _json_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _BadNumber(text)
    return float(text)


def _json_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _BadNumber(text)
    return int(text)


def _too_deep(text: str, limit: int) -> int | None:
    """Offset of the first bracket nested deeper than ``limit`` (outside strings)."""
    depth, in_string, escape = 0, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return i
        elif ch in "]}":
            depth -= 1
    return None


def _find_number(text: str, number: str) -> int:
    """Offset of the token ``number`` outside strings (first match; 0 when not found)."""
    pattern = re.compile(r'(?<![\w."])' + re.escape(number[:MAX_NUMBER_CHARS]))
    m = pattern.search(text)
    return m.start() if m else 0


def loads_json(path: Path, text: str) -> Any:
    """``json.loads`` with every failure a FormatError at a line (and column)."""
    deep = _too_deep(text, MAX_JSON_DEPTH) if text.count("[") + text.count("{") > MAX_JSON_DEPTH else None
    if deep is not None:
        raise FormatError(path, f"JSON nested deeper than {MAX_JSON_DEPTH} levels (column "
                          f"{deep - text.rfind(chr(10), 0, deep)})", line=line_at(text, deep))
    try:
        return json.loads(text, parse_float=_json_float, parse_int=_json_int)
    except json.JSONDecodeError as err:
        raise FormatError(path, f"invalid JSON: {err.msg} (column {err.colno})", line=err.lineno) from None
    except _BadNumber as err:
        at = _find_number(text, err.text)
        shown = err.text if len(err.text) <= 24 else err.text[:20] + f"... ({len(err.text)} characters)"
        raise FormatError(path, f"JSON number {shown!r}: expected a number of at most "
                          f"{MAX_NUMBER_CHARS} characters (column {at - text.rfind(chr(10), 0, at)})",
                          line=line_at(text, at)) from None
    except (RecursionError, ValueError) as err:  # ValueError: int digit limit; defensive
        raise FormatError(path, f"invalid JSON ({type(err).__name__}: {str(err)[:80]})", line=1) from None


def read_json(path: Path | str) -> Any:
    """A JSON file's value (UTF-8, strict numbers, bounded depth); FormatError otherwise."""
    path = Path(path)
    return loads_json(path, read_text(path))
