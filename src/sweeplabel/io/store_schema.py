"""Schema of the project store: versions, idempotent migrations, checks on open.

The version is read with ``PRAGMA user_version`` on a connection (never from the
file header: under WAL the header is stale until a checkpoint, e.g. after a crash).
Each migration can run twice (a column or table already there is skipped), so a
version number that lags behind the tables never breaks an open."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

from .. import __version__
from .errors import NotAProjectError, ProjectStoreError, SchemaVersionError

APPLICATION_ID = 0x53574C42  # "SWLB" in PRAGMA application_id
SCHEMA_VERSION = 4
SQLITE_MAGIC = b"SQLite format 3\x00"

_ADD_COLUMN = re.compile(r"^\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)
_CREATE = re.compile(r"^\s*CREATE\s+(TABLE|INDEX)\s+(?!IF\s)", re.IGNORECASE)


def damaged(path: Path, exc: BaseException) -> ProjectStoreError:
    """The one error for a project file SQLite cannot read."""
    return ProjectStoreError(path, f"the project file is damaged and was not opened ({exc}); "
                                   "restore it from a backup or a saved copy")


def connect(path: Path, read_only: bool = False, timeout_s: float = 1.0) -> sqlite3.Connection:
    """A connection with foreign keys on; ``read_only`` opens with ``mode=ro`` (never writes)."""
    if read_only:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False, timeout=timeout_s)
        try:
            conn.execute("PRAGMA user_version").fetchone()
        except sqlite3.OperationalError:
            if os.access(Path(path).resolve().parent, os.W_OK) and not _immutable(Path(path).parent):
                raise
            # a WAL file in a folder nobody can write: no -shm can exist, so no writer either
            conn.close()
            conn = sqlite3.connect(uri + "&immutable=1", uri=True, isolation_level=None,
                                   check_same_thread=False, timeout=timeout_s)
    else:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=timeout_s)
    conn.execute("PRAGMA foreign_keys = ON")
    if not read_only:
        conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _immutable(folder: Path) -> bool:
    """A folder where no file can be created (read-only mount, chattr +i; root ignores modes)."""
    probe = folder / f".sweeplabel-probe-{os.getpid()}"
    try:
        probe.touch()
    except OSError:
        return True
    probe.unlink(missing_ok=True)
    return False


def cannot_open(path: Path, exc: BaseException) -> ProjectStoreError:
    """Opening failed for another reason than damage (permissions, a full or read-only disk)."""
    return ProjectStoreError(path, f"cannot open the project file ({exc}): is it or its folder read-only, "
                                   "or the disk full?")


def check_header(path: Path) -> None:
    """Refuse a file that is not an SQLite file, without changing it."""
    try:
        with Path(path).open("rb") as fh:
            head = fh.read(100)
    except OSError as exc:
        raise ProjectStoreError(path, f"cannot read: {exc.strerror}") from exc
    if len(head) < 100 or not head.startswith(SQLITE_MAGIC):
        raise NotAProjectError(path, "not a sweeplabel project (expected an SQLite file)", offset=0)


def read_version(conn: sqlite3.Connection, path: Path) -> int:
    """The schema version (``PRAGMA user_version``) after checking the application id;
    a newer schema is refused."""
    try:
        app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise damaged(path, exc) from exc
    if app_id != APPLICATION_ID:
        raise NotAProjectError(
            path, f"an SQLite file but not a sweeplabel project (application_id {app_id:#x})", offset=68)
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            path,
            f"written by a newer sweeplabel (project schema {version}, this is {__version__} "
            f"with schema {SCHEMA_VERSION}); upgrade sweeplabel to open it",
            offset=60,
        )
    return version


def check_project_file(path: Path) -> int:
    """Return the schema version of a project file, or raise without changing it."""
    path = Path(path)
    check_header(path)
    try:
        conn = connect(path, read_only=True)
    except sqlite3.Error as exc:
        raise cannot_open(path, exc) from exc
    try:
        return read_version(conn, path)
    finally:
        conn.close()


FULL_CHECK_MAX_BYTES = 64 << 20  # below this size the thorough integrity_check is cheap


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """``PRAGMA quick_check`` (``integrity_check`` for files up to 64 MiB, which also
    compares indexes with their tables): refuse a damaged file with a clear message."""
    try:
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        pragma = "integrity_check" if pages * page_size <= FULL_CHECK_MAX_BYTES else "quick_check"
        rows = [str(r[0]) for r in conn.execute(f"PRAGMA {pragma}(5)")]
    except sqlite3.Error as exc:
        raise damaged(path, exc) from exc
    if rows != ["ok"]:
        text = "; ".join(" ".join(r.split()) for r in rows if "in database main" not in r)
        raise damaged(path, text)


def migrate(conn: sqlite3.Connection, from_version: int, path: Path,
            migrations: dict[int, str]) -> None:
    """Run migrations from_version+1 .. SCHEMA_VERSION in one transaction (idempotent)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
        for version in range(from_version + 1, SCHEMA_VERSION + 1):
            for statement in migrations[version].split(";"):
                if statement.strip():
                    _run_idempotent(conn, statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise ProjectStoreError(path, f"could not upgrade the project schema: {exc}") from exc


def _run_idempotent(conn: sqlite3.Connection, statement: str) -> None:
    match = _ADD_COLUMN.match(statement)
    if match:
        table, column = match.groups()
        if column in _columns(conn, table):
            return
    statement = _CREATE.sub(lambda m: m.group(0) + "IF NOT EXISTS ", statement, count=1)
    conn.execute(statement)


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {str(r[1]) for r in conn.execute(f"PRAGMA table_info({table})")}


def expected_columns(migrations: dict[int, str]) -> dict[str, set[str]]:
    """Table -> columns of a store at SCHEMA_VERSION (built in memory)."""
    mem = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate(mem, 0, Path(":memory:"), migrations)
        tables = [str(r[0]) for r in mem.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                                 " AND name NOT LIKE 'sqlite_%'")]
        return {t: _columns(mem, t) for t in tables}
    finally:
        mem.close()


def check_tables(conn: sqlite3.Connection, path: Path, expected: dict[str, set[str]]) -> None:
    """Every table and column of the current schema is there."""
    try:
        for table, columns in sorted(expected.items()):
            have = _columns(conn, table)
            if not have:
                raise ProjectStoreError(path, f"the project file is damaged: table {table!r} is missing")
            missing = sorted(columns - have)
            if missing:
                raise ProjectStoreError(
                    path, f"the project file is damaged: table {table!r} lacks column(s) {', '.join(missing)}")
    except sqlite3.Error as exc:
        raise damaged(path, exc) from exc
