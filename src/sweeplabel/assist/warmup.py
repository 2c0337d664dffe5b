"""Get the assists ready ahead of their first use: compile or load every kernel and
import the SciPy parts the assists use (``scipy.signal`` for the scene shift,
``scipy.optimize`` for matching: about a second together, deliberately not imported at
start-up). The app runs this on a worker thread after the first image."""

from __future__ import annotations

import time


def prepare_assists() -> float:
    """Kernels warm, heavy imports done; returns the seconds spent."""
    from ..kernels import warmup

    t0 = time.perf_counter()
    warmup()
    import scipy.optimize  # noqa: F401
    import scipy.signal  # noqa: F401

    return time.perf_counter() - t0
