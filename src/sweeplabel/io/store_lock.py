"""One writer per project: a lock file beside it (``<project>.lock``).

The writer holds an ``flock`` on the lock file for as long as the project is open
and writes who it is (user@host, pid, since when) into it. The kernel drops the
flock when the process dies, so a lock left by a killed process is stale by
construction: the next open takes it over. A second open while the lock is held
is refused with a message naming the holder."""

from __future__ import annotations

import fcntl
import getpass
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import ProjectStoreError


class ProjectLockedError(ProjectStoreError):
    """The project is open for writing in another sweeplabel process."""


@dataclass(frozen=True)
class LockHolder:
    user: str
    host: str
    pid: int
    since_s: float

    def describe(self) -> str:
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.since_s))
        return f"{self.user}@{self.host} (pid {self.pid}) since {since}"


def lock_path(project_path: Path) -> Path:
    return Path(project_path).with_name(Path(project_path).name + ".lock")


def me() -> LockHolder:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return LockHolder(user, socket.gethostname(), os.getpid(), time.time())


class ProjectLock:
    """Held while a project is open for writing; ``release()`` on close."""

    def __init__(self, project_path: Path, fd: int, holder: LockHolder) -> None:
        self.project_path = Path(project_path)
        self.path = lock_path(project_path)
        self._fd: int | None = fd
        self.holder = holder

    @classmethod
    def acquire(cls, project_path: Path) -> "ProjectLock":
        """Take the lock or raise ``ProjectLockedError`` naming who holds it."""
        path = lock_path(project_path)
        for _attempt in range(5):
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise ProjectStoreError(project_path, f"cannot be opened for editing: cannot create its lock "
                                                      f"file {path.name} ({exc.strerror}; is the folder "
                                                      "read-only?)") from exc
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                who = holder.describe() if holder else "another sweeplabel process"
                raise ProjectLockedError(
                    project_path, f"is open in another sweeplabel by {who}; close it there first "
                                  "(`sweeplabel check` and `report` can read it meanwhile)") from None
            except OSError:  # no locking on this file system: one writer is not enforced
                pass
            if _same_file(fd, path):
                holder = me()
                _write_holder(fd, holder)
                return cls(project_path, fd, holder)
            os.close(fd)  # the file was removed by its last holder meanwhile: try again
        raise ProjectStoreError(project_path, f"could not take its lock file {path.name}")

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None


def read_holder(project_path: Path) -> LockHolder | None:
    """Who holds the project's lock now (None: nobody)."""
    path = lock_path(project_path)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd)
        return None  # nobody holds it: stale content of a killed process
    finally:
        os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except OSError:
        return False


def _read_holder(fd: int) -> LockHolder | None:
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
        return LockHolder(str(data["user"]), str(data["host"]), int(data["pid"]), float(data["since_s"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(fd: int, holder: LockHolder) -> None:
    data = json.dumps({"user": holder.user, "host": holder.host, "pid": holder.pid,
                       "since_s": holder.since_s}).encode()
    os.ftruncate(fd, 0)
    os.pwrite(fd, data, 0)
