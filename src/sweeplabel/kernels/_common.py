"""NumPy helpers shared by the Numba kernels and their reference twins."""
from __future__ import annotations

import numpy as np

#: Columns of :func:`box_params`.
BOX_PARAM_COLS = ("cx", "cy", "cz", "half_l", "half_w", "half_h", "cos_yaw", "sin_yaw")


def box_params(boxes: np.ndarray) -> np.ndarray:
    """(M, 7) boxes -> (M, 8) float64 ``[cx, cy, cz, half_l, half_w, half_h, cos, sin]``.

    Computed once in NumPy so that the Numba kernels and the references use the
    same trigonometric values bit for bit.
    """
    out = np.empty((boxes.shape[0], 8), dtype=np.float64)
    out[:, 0:3] = boxes[:, 0:3]
    out[:, 3:6] = 0.5 * boxes[:, 3:6]
    out[:, 6] = np.cos(boxes[:, 6])
    out[:, 7] = np.sin(boxes[:, 6])
    return out
