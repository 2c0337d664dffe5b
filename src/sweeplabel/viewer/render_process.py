"""Rendering in a child process, so the UI thread never waits for Open3D.

Open3D's ``render_to_image`` holds the GIL for the whole (software) render, 0.3-0.9 s
with llvmpipe, so a render *thread* would still freeze the event loop. Here a child
process owns the one SceneRenderer; ``ProcessRenderer`` is a client with the public
API FrameScene and the app use (``set_points``, ``set_wireframes``, ``camera``,
``resize``, ``fit_camera``, ``size_px``, ``render``, ``close`` ...), plus an
asynchronous pair ``submit()`` / ``receive()`` for the view:

* State lives client side (the camera is pure math and travels with each request;
  geometries are sent only when they changed since the last request).
* At most one request is in flight: the client writes only while the child waits for
  a request, so neither side ever blocks on a full pipe. A ``submit()`` while one is
  in flight only marks the view dirty; when the image arrives the next request is sent
  at once with the newest state (stale intermediate states are dropped).
* The child is started with ``python -c`` running ``_child_main`` and two
  pipes (not multiprocessing's spawn, which re-imports the parent's ``__main__``); it
  exits on a ``close`` message or on EOF of its request pipe, so it never outlives the
  app, even when the app crashes. A dead child is reported by ``receive()`` as a
  ``RenderCrashed`` error (never a hang) and is restarted by the next ``submit()``.

* Open3D's Filament renderer keeps about 3 MB per ``render_to_image`` on llvmpipe
  (measured here: 278 -> 633 MB over 100 renders of an unchanged scene; see
  isl-org/Open3D #5352, #6791), so the child reports its resident size with every
  image, and once it has grown ``recycle_growth_bytes`` past its size after its first
  renders, a standby child is started, warmed with the current scene, and swapped in
  between two requests: the user sees no pause and memory stays flat.

``create_renderer()`` picks the mode from ``SWEEPLABEL_RENDER`` (``process`` by
default, ``inprocess`` for the synchronous SceneRenderer)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Mapping

import numpy as np

from .camera import OrbitCamera
from .geometry import POINTS_NAME, PointLayer, Wireframe
from .render_defaults import DEFAULT_BACKGROUND_RGB, DEFAULT_LOD_BUDGET, LOD_POINTS_NAME

RENDER_MODE_ENV = "SWEEPLABEL_RENDER"
MAX_STARTS = 4  # a child that died three times is not started again


def process_rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process in MB (Linux ``/proc``); None when unknown."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


CLOSE_TIMEOUT_S = 1.0  # then SIGKILL: a render in progress is not worth waiting for
RECYCLE_ENV = "SWEEPLABEL_RENDER_RECYCLE_MB"
RECYCLE_GROWTH_MB = 150  # growth past the child's settled size that triggers a swap
SETTLE_RENDERS = 3  # the first child's size after this many renders sets the bound
_CHILD_CODE = ("import sys; from sweeplabel.viewer.render_process import _child_main; "
               "sys.exit(_child_main(*map(int, sys.argv[1:4])))")


class RenderCrashed(RuntimeError):
    """The render process died or failed to render."""


@dataclass
class RenderResult:
    image: np.ndarray  # (H, W, 3) uint8
    request_id: int
    camera: OrbitCamera  # the camera the image was rendered with
    render_s: float  # time inside the child's render()
    latency_s: float  # from submit to receive
    child_rss_bytes: int = 0  # the render process's resident size after this render


@dataclass
class _Child:
    """One render process and its two pipe ends."""

    proc: subprocess.Popen
    send: Connection
    recv: Connection
    finalizer: weakref.finalize


def render_mode() -> str:
    mode = os.environ.get(RENDER_MODE_ENV, "process").strip().lower() or "process"
    if mode not in ("process", "inprocess"):
        raise ValueError(f"{RENDER_MODE_ENV} must be 'process' or 'inprocess', got {mode!r}")
    return mode


def create_renderer(mode: str | None = None, **kwargs):  # noqa: ANN003, ANN201
    """A ProcessRenderer or an in-process SceneRenderer (``SWEEPLABEL_RENDER``)."""
    if (mode or render_mode()) == "process":
        return ProcessRenderer(**kwargs)
    from .renderer import SceneRenderer

    return SceneRenderer(**kwargs)


class ProcessRenderer:
    """A SceneRenderer look-alike whose renders run in a child process."""

    asynchronous = True

    def __init__(
        self,
        width_px: int = 640,
        height_px: int = 480,
        *,
        background_rgb: tuple[float, float, float] = DEFAULT_BACKGROUND_RGB,
        point_size_px: float = 2.0,
        line_width_px: float = 2.0,
    ) -> None:
        self.camera = OrbitCamera()
        self.background_rgb = background_rgb
        self.point_size_px = point_size_px
        self.line_width_px = line_width_px
        self.lod_budget = DEFAULT_LOD_BUDGET
        self.interactive = False
        self._size_px = _checked_size(width_px, height_px)
        self._points: PointLayer | None = None
        self._wires: dict[str, Wireframe] = {}
        self._dirty: set[str] = {"points", "wires"}  # what the child lacks
        self._proc: subprocess.Popen | None = None
        self._send: Connection | None = None
        self._recv: Connection | None = None
        self._in_flight: tuple[int, float, OrbitCamera] | None = None
        self._wanted = False  # a submit() arrived while a request was in flight
        self._next_id = 0
        self._starts = 0
        self._closed = False
        self._finalizer: weakref.finalize | None = None
        self.recycle_growth_bytes = int(float(os.environ.get(RECYCLE_ENV, RECYCLE_GROWTH_MB)) * 2**20)
        self.recycles = 0  # children replaced for memory (not counted as crashes)
        self.child_rss_bytes = 0
        self._child_renders = 0
        self._rss_limit = 0  # bytes; 0 until the first child has settled
        self._standby: _Child | None = None
        self._standby_ready = False
        self._standby_dirty: set[str] = set()
        self._sent_points: PointLayer | None = None  # the points the child holds (for colour deltas)
        self._standby_sent_points: PointLayer | None = None
        self.points_sent = 0  # requests that carried all the points (positions and colours)
        self.colors_sent = 0  # requests that carried only the colours that changed

    # -- SceneRenderer API ----------------------------------------------------------
    @property
    def size_px(self) -> tuple[int, int]:
        return self._size_px

    @property
    def points(self) -> PointLayer | None:
        return self._points

    @property
    def geometry_names(self) -> list[str]:
        names = set(self._wires)
        if self._points is not None:
            names.add(POINTS_NAME)
            if len(self._points) > self.lod_budget:
                names.add(LOD_POINTS_NAME)
        return sorted(names)

    def set_points(self, layer: PointLayer) -> None:
        self._points = layer
        self._dirty.add("points")
        self._standby_dirty.add("points")

    def set_wireframes(self, wires: Mapping[str, Wireframe]) -> None:
        self._wires = dict(wires)
        self._dirty.add("wires")
        self._standby_dirty.add("wires")

    def fit_camera(self) -> None:
        self.camera.reset(self._points.xyz_m if self._points is not None else np.zeros((0, 3)))

    def resize(self, width_px: int, height_px: int) -> None:
        self._size_px = _checked_size(width_px, height_px)

    def render(self, timeout_s: float = 300.0) -> np.ndarray:
        """Synchronous render (waits for the child): the current view as (H, W, 3) uint8."""
        deadline = time.monotonic() + timeout_s
        while self._in_flight is not None:  # finish (and drop) the request in flight
            self._wanted = False
            self._wait(deadline)
            self.receive()
        self.submit()
        self._wanted = False
        while True:
            self._wait(deadline)
            result = self.receive()
            if result is not None:
                return result.image

    def start(self) -> None:
        """Start the child now (it imports Open3D and sets up while the caller loads data)."""
        if self._proc is None:
            self._start_child()

    def close(self) -> None:
        """End the child process (it is started again by the next render)."""
        self._stop_child()

    # -- asynchronous API -----------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A request is in flight or waiting to be sent."""
        return self._in_flight is not None or self._wanted

    def fileno(self) -> int | None:
        """The fd that becomes readable when a result (or EOF) arrives; None without a child."""
        return self._recv.fileno() if self._recv is not None else None

    def submit(self) -> None:
        """Ask for an image of the current state; never blocks on a render.

        Starts the child when there is none. With a request in flight, only remembers
        that a newer image is wanted (sent by ``receive()`` when the current one arrives)."""
        if self._in_flight is not None:
            self._wanted = True
            return
        self._wanted = False
        if self._proc is None:
            self._start_child()
        elif self._standby_is_ready():
            self._swap_in_standby()
        self._send_request()

    def receive(self) -> RenderResult | None:
        """The finished image if one has arrived, else None; never blocks on a render.

        Raises RenderCrashed when the child died (it is restarted by the next submit)."""
        if self._recv is None or self._in_flight is None:
            return None
        try:
            if not self._recv.poll(0):
                if self._proc is not None and self._proc.poll() is not None:
                    raise EOFError
                return None
            kind, request_id, payload, render_s, rss_bytes = self._recv.recv()
        except (EOFError, OSError) as exc:
            code = self._proc.poll() if self._proc is not None else None
            self._stop_child()
            raise RenderCrashed(f"render process died (exit code {code})") from exc
        _, sent_at, camera = self._in_flight
        self._in_flight = None
        if kind == "error":  # the child lives on; the next submit sends everything again
            self._resend_all()
            self._wanted = False
            raise RenderCrashed(f"render failed: {payload}")
        result = RenderResult(payload, request_id, camera, render_s, time.monotonic() - sent_at, rss_bytes)
        self._watch_memory(rss_bytes)
        if self._wanted:
            self.submit()
        return result

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- child management -----------------------------------------------------------
    def _wait(self, deadline: float) -> None:
        while self._in_flight is not None and not self._recv.poll(0.05):  # type: ignore[union-attr]
            if self._proc is not None and self._proc.poll() is not None:
                return  # receive() reports the crash
            if time.monotonic() > deadline:
                raise TimeoutError("render process did not answer")

    def _start_child(self) -> None:
        if self._starts >= MAX_STARTS:
            raise RenderCrashed(f"render process died {self._starts} times; not started again")
        child = self._spawn()
        self._proc, self._send, self._recv, self._finalizer = child.proc, child.send, child.recv, child.finalizer
        self._starts += 1
        self._resend_all()
        self._child_renders = 0

    # -- recycling (Open3D keeps memory per render) ---------------------------------
    def _watch_memory(self, rss_bytes: int) -> None:
        """Start a standby once the child is ``recycle_growth_bytes`` above the size the
        first child settled at (a bound that holds across children; raised only when a
        fresh child already settles near it, e.g. after a switch to much larger clouds)."""
        self.child_rss_bytes = rss_bytes
        self._child_renders += 1
        if self._child_renders == SETTLE_RENDERS and (
                not self._rss_limit or rss_bytes + self.recycle_growth_bytes // 2 > self._rss_limit):
            self._rss_limit = rss_bytes + self.recycle_growth_bytes
        if (self._child_renders > SETTLE_RENDERS and self._standby is None
                and rss_bytes > self._rss_limit):
            self._start_standby()

    def _start_standby(self) -> None:
        """A fresh child, sent the whole scene at once so it is warm when swapped in."""
        try:
            child = self._spawn()
            child.send.send(("render", 0, self._state({"points", "wires"}, full=True)))
        except (OSError, EOFError):
            return  # no standby this time; the current child goes on
        self._standby_sent_points = self._points
        self._standby, self._standby_ready, self._standby_dirty = child, False, set()

    def _standby_is_ready(self) -> bool:
        child = self._standby
        if child is None:
            return False
        if not self._standby_ready:
            try:
                if not child.recv.poll(0):
                    if child.proc.poll() is not None:
                        raise EOFError
                    return False
                kind = child.recv.recv()[0]
            except (EOFError, OSError):
                kind = "error"
            if kind != "image":  # a standby that cannot render is dropped; the old child stays
                self._drop_standby()
                self.recycle_growth_bytes *= 2
                return False
            self._standby_ready = True
        return True

    def _swap_in_standby(self) -> None:
        old = self._finalizer
        child, self._standby = self._standby, None
        assert child is not None
        self._proc, self._send, self._recv, self._finalizer = child.proc, child.send, child.recv, child.finalizer
        self._dirty = set(self._standby_dirty)
        self._standby_dirty = set()
        self._sent_points = self._standby_sent_points
        self._child_renders = 0
        self.recycles += 1
        if old is not None:  # the old child is idle: it exits on "close"; reap it off the UI thread
            threading.Thread(target=old, name="render-child-reaper", daemon=True).start()

    def _drop_standby(self) -> None:
        child, self._standby, self._standby_ready = self._standby, None, False
        if child is not None:
            child.finalizer()

    def _spawn(self) -> _Child:
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        env = dict(os.environ)
        src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
        try:
            proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD_CODE, str(request_r), str(result_w), str(os.getpid())],
                pass_fds=(request_r, result_w), env=env, stdin=subprocess.DEVNULL, close_fds=True,
                stdout=2,  # Open3D's log lines go to stderr, never into the app's stdout
            )
        finally:
            os.close(request_r)
            os.close(result_w)
        send = Connection(request_w, readable=False)
        recv = Connection(result_r, writable=False)
        return _Child(proc, send, recv, weakref.finalize(self, _end_child, proc, send, recv))

    def _resend_all(self) -> None:
        """The child lacks (or may lack) every geometry: send all with the next request."""
        self._dirty |= {"points", "wires"}
        self._sent_points = None

    def _state(self, geometry: set[str], *, full: bool = False) -> dict:
        """The request body: view settings, plus the geometries named in ``geometry``.

        Points whose positions the child already holds travel as a colour delta (the
        indices whose colour changed), or not at all when nothing changed: a moved box
        recolours the points it covers, and must not resend a whole sweep."""
        state = {
            "size": self._size_px,
            "camera": copy.deepcopy(self.camera),
            "interactive": self.interactive,
            "background_rgb": self.background_rgb,
            "point_size_px": self.point_size_px,
            "line_width_px": self.line_width_px,
            "lod_budget": self.lod_budget,
        }
        if "points" in geometry:
            delta = None if full else color_delta(self._sent_points, self._points)
            if delta is None:
                state["points"] = self._points
                self.points_sent += 1
            elif len(delta[0]):
                state["point_colors"] = delta
                self.colors_sent += 1
            if not full:
                self._sent_points = self._points
        if "wires" in geometry:
            state["wires"] = self._wires
        return state

    def _send_request(self) -> None:
        state = self._state(self._dirty)
        self._next_id += 1
        try:
            self._send.send(("render", self._next_id, state))  # type: ignore[union-attr]
        except (OSError, EOFError):
            code = self._proc.poll() if self._proc is not None else None
            self._stop_child()
            raise RenderCrashed(f"render process died (exit code {code})") from None
        self._dirty.clear()
        self._in_flight = (self._next_id, time.monotonic(), state["camera"])

    def _stop_child(self) -> None:
        self._drop_standby()
        self._in_flight = None
        self._wanted = False
        self._resend_all()
        if self._finalizer is not None:
            self._finalizer()
            self._finalizer = None
        self._proc = self._send = self._recv = None


def _end_child(proc: subprocess.Popen, send: Connection, recv: Connection) -> None:
    try:
        send.send(("close", 0, None))  # small: fits the pipe buffer even mid-render
    except (OSError, EOFError, ValueError):
        pass
    for conn in (send, recv):
        try:
            conn.close()
        except OSError:
            pass
    try:
        proc.wait(CLOSE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# -- the child ------------------------------------------------------------------------
def _child_main(request_fd: int, result_fd: int, parent_pid: int = 0) -> int:
    _die_with_parent(parent_pid)
    try:
        os.nice(5)  # the UI process comes first on a busy machine
    except OSError:
        pass
    from .renderer import SceneRenderer

    requests = Connection(request_fd, writable=False)
    results = Connection(result_fd, readable=False)
    renderer: SceneRenderer | None = None
    while True:
        try:
            kind, request_id, state = requests.recv()
        except (EOFError, OSError):
            break
        if kind == "close":
            break
        try:
            if renderer is None:
                renderer = SceneRenderer(*state["size"], background_rgb=state["background_rgb"])
            renderer.resize(*state["size"])
            renderer.point_size_px = state["point_size_px"]
            renderer.line_width_px = state["line_width_px"]
            renderer.lod_budget = state["lod_budget"]
            renderer.interactive = state["interactive"]
            renderer.camera = state["camera"]
            if "points" in state:
                if state["points"] is not None:
                    renderer.set_points(state["points"])
                else:
                    renderer.clear_points()
            if "point_colors" in state:
                renderer.update_colors(*state["point_colors"])
            if "wires" in state:
                renderer.set_wireframes(state["wires"])
            t0 = time.perf_counter()
            image = renderer.render()
            reply = ("image", request_id, image, time.perf_counter() - t0, _rss_bytes())
        except Exception as exc:  # noqa: BLE001 - reported to the client, which stays usable
            reply = ("error", request_id, f"{type(exc).__name__}: {exc}", 0.0, _rss_bytes())
        try:
            results.send(reply)
        except (OSError, EOFError):
            break
    if renderer is not None:
        renderer.close()
    return 0


def color_delta(sent: PointLayer | None, new: PointLayer | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(indices, RGB) of the points whose colour differs between two layers with the same
    positions; None when the positions differ (or either is missing) or more than a
    quarter of the colours changed (then the whole layer is cheaper to send)."""
    if sent is None or new is None or len(sent) != len(new):
        return None
    if sent.xyz_m is not new.xyz_m and not np.array_equal(sent.xyz_m, new.xyz_m):
        return None
    changed = np.flatnonzero(np.any(sent.colors_rgb != new.colors_rgb, axis=1))
    if len(changed) > len(new) // 4:
        return None
    return changed.astype(np.int32), np.ascontiguousarray(new.colors_rgb[changed], dtype=np.float32)


def _rss_bytes() -> int:
    """This process's resident set size (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL when the parent dies, even mid-render (EOF on the request pipe
    covers the rest: the child exits at its next read)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if parent_pid and os.getppid() != parent_pid:  # the parent died before prctl
        os._exit(0)


def _checked_size(width_px: int, height_px: int) -> tuple[int, int]:
    width_px, height_px = int(width_px), int(height_px)
    if width_px < 1 or height_px < 1:
        raise ValueError(f"render size must be positive, got {width_px}x{height_px}")
    return (width_px, height_px)
