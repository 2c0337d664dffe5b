"""Lazy detection of numba.cuda (a real GPU or the simulator under NUMBA_ENABLE_CUDASIM=1)."""
from __future__ import annotations

import functools


@functools.lru_cache(maxsize=1)
def cuda_available() -> bool:
    """True when numba.cuda can run kernels (GPU present, or the CUDA simulator is enabled)."""
    try:
        from numba import cuda

        return bool(cuda.is_available())
    except Exception:  # noqa: BLE001 - any driver/toolkit problem means "no GPU"
        return False
