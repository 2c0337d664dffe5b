"""FrameLoader: reads, moves and ground-segments frames on a worker thread, prefetches
the next ones and keeps a few in a cache. Results reach the UI thread by signal."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from sweeplabel.model import Sequence
from sweeplabel.viewer import FrameData, load_frame_data

DEFAULT_CACHE_FRAMES = 8
DEFAULT_PREFETCH = 2


class _Bridge(QObject):
    loaded = Signal(int, object)  # frame index, FrameData
    failed = Signal(int, str)
    progress = Signal(int, int, int)  # frame index, points done, points total
    partial = Signal(int, object)  # frame index, FrameData read so far (big clouds)
    attached = Signal(int, str, object)  # frame index, attachment name, its value (or the Exception)


Attachment = Callable[[Sequence, int], Any]  # run on the worker after the points (e.g. camera images)


def _run_attachments(sequence: Sequence, frame_index: int, attachments: dict[str, Attachment],
                     bridge: _Bridge) -> None:
    for name, make in attachments.items():
        try:
            value = make(sequence, frame_index)
        except Exception as exc:  # noqa: BLE001 - reported to the UI, never lost in a thread
            value = exc
        bridge.attached.emit(frame_index, name, value)


class _LoadJob(QRunnable):
    def __init__(self, sequence: Sequence, frame_index: int, bridge: _Bridge,
                 attachments: dict[str, Attachment] | None = None) -> None:
        super().__init__()
        self.sequence, self.frame_index, self.bridge = sequence, frame_index, bridge
        self.attachments = dict(attachments or {})

    def run(self) -> None:
        try:
            data = load_frame_data(self.sequence, self.frame_index,
                                   progress=lambda done, total: self.bridge.progress.emit(self.frame_index, done, total),
                                   partial=lambda data: self.bridge.partial.emit(self.frame_index, data))
        except Exception as exc:  # noqa: BLE001 - reported to the UI, never lost in a thread
            self.bridge.failed.emit(self.frame_index, f"{type(exc).__name__}: {exc}")
            return
        self.bridge.loaded.emit(self.frame_index, data)  # the points first: the 3D view never waits
        _run_attachments(self.sequence, self.frame_index, self.attachments, self.bridge)


class _AttachJob(QRunnable):
    def __init__(self, sequence: Sequence, frame_index: int, bridge: _Bridge, attachments: dict[str, Attachment]) -> None:
        super().__init__()
        self.sequence, self.frame_index, self.bridge, self.attachments = sequence, frame_index, bridge, attachments

    def run(self) -> None:
        _run_attachments(self.sequence, self.frame_index, self.attachments, self.bridge)


class FrameLoader(QObject):
    """``request(i)`` returns cached data at once or starts a load; ``loaded(i, data)``
    or ``failed(i, message)`` follow on the UI thread."""

    loaded = Signal(int, object)
    failed = Signal(int, str)
    progress = Signal(int, int, int)  # frame index, points read, points in the file (big LAS/LAZ)
    partial = Signal(int, object)  # frame index, the decimated points read so far (big LAS/LAZ)
    attached = Signal(int, str, object)  # frame index, attachment name, value (an Exception when it failed)

    def __init__(self, sequence: Sequence, parent: QObject | None = None, *,
                 cache_frames: int = DEFAULT_CACHE_FRAMES, prefetch: int = DEFAULT_PREFETCH) -> None:
        super().__init__(parent)
        self.sequence = sequence
        self.cache_frames = cache_frames
        self.prefetch_count = prefetch
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)  # one core for loading, the other stays with the UI
        self._cache: OrderedDict[int, FrameData] = OrderedDict()
        self._pending: set[int] = set()
        self._bridge = _Bridge(self)
        self._bridge.loaded.connect(self._on_loaded)
        self._bridge.failed.connect(self._on_failed)
        self._bridge.progress.connect(self.progress)
        self._bridge.partial.connect(self.partial)
        self._attachments: dict[str, Attachment] = {}  # name -> worker function, cached with the frame
        self._attached: dict[int, dict[str, Any]] = {}
        self._attach_pending: set[tuple[int, str]] = set()
        self._bridge.attached.connect(self._on_attached)

    # -- attachments: per-frame extras made on the worker (camera images) ------------------
    def add_attachment(self, name: str, make: Attachment) -> None:
        """Run ``make(sequence, frame_index)`` on the worker for every frame loaded from now on."""
        self._attachments[name] = make

    def attachment(self, frame_index: int, name: str) -> Any:
        """The cached value (None while missing); ``request_attachment`` makes it."""
        return self._attached.get(frame_index, {}).get(name)

    def request_attachment(self, frame_index: int, name: str) -> None:
        key = (frame_index, name)
        if key in self._attach_pending or self.attachment(frame_index, name) is not None:
            return
        self._attach_pending.add(key)
        self.pool.start(_AttachJob(self.sequence, frame_index, self._bridge, {name: self._attachments[name]}))

    def _on_attached(self, frame_index: int, name: str, value: Any) -> None:
        self._attach_pending.discard((frame_index, name))
        if frame_index in self._cache or frame_index in self._pending:
            self._attached.setdefault(frame_index, {})[name] = value
        self.attached.emit(frame_index, name, value)

    def cached(self, frame_index: int) -> FrameData | None:
        data = self._cache.get(frame_index)
        if data is not None:
            self._cache.move_to_end(frame_index)
        return data

    def request(self, frame_index: int) -> FrameData | None:
        """Cached data, or None after starting (or while waiting for) its load."""
        data = self.cached(frame_index)
        if data is None:
            self._start(frame_index)
        return data

    def prefetch(self, frame_index: int, direction: int = 1, count: int | None = None) -> None:
        """Start loading the next ``count`` (default ``prefetch``) frames after ``frame_index``
        in ``direction``; at most ``cache_frames - 2``, so the frames shown stay cached."""
        count = self.prefetch_count if count is None else min(count, max(self.cache_frames - 2, 1))
        for k in range(1, count + 1):
            i = frame_index + direction * k
            if 0 <= i < len(self.sequence) and i not in self._cache:
                self._start(i)

    def _start(self, frame_index: int) -> None:
        if frame_index in self._pending:
            return
        self._pending.add(frame_index)
        for name in self._attachments:
            self._attach_pending.add((frame_index, name))
        self.pool.start(_LoadJob(self.sequence, frame_index, self._bridge, self._attachments))

    def _on_loaded(self, frame_index: int, data: FrameData) -> None:
        self._pending.discard(frame_index)
        self._cache[frame_index] = data
        self._cache.move_to_end(frame_index)
        while len(self._cache) > self.cache_frames:
            evicted, _ = self._cache.popitem(last=False)
            self._attached.pop(evicted, None)
        self.loaded.emit(frame_index, data)

    def _on_failed(self, frame_index: int, message: str) -> None:
        self._pending.discard(frame_index)
        self._attach_pending -= {(frame_index, name) for name in self._attachments}
        self.failed.emit(frame_index, message)

    def wait_idle(self, timeout_ms: int = 30_000) -> bool:
        """Block until queued loads finish (scripts and tests); signals still need the event loop."""
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone(10_000)
