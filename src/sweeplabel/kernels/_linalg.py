"""Closed-form 3x3 symmetric eigen-solver and plane fit from moments (Numba)."""
from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def eig3_sym(a00, a11, a22, a01, a02, a12):
    """Eigenvalues (descending, clamped >= 0) and the unit eigenvector of the smallest one.

    Trigonometric closed form for symmetric 3x3 matrices; eigenvector from the largest
    cross product of two rows of ``A - lambda_min I``.
    """
    p1 = a01 * a01 + a02 * a02 + a12 * a12
    q = (a00 + a11 + a22) / 3.0
    if p1 == 0.0:
        # diagonal: eigenvalues are the diagonal entries
        l_hi = max(a00, max(a11, a22))
        l_lo = min(a00, min(a11, a22))
        l_mid = a00 + a11 + a22 - l_hi - l_lo
        if a22 == l_lo:
            vx, vy, vz = 0.0, 0.0, 1.0
        elif a11 == l_lo:
            vx, vy, vz = 0.0, 1.0, 0.0
        else:
            vx, vy, vz = 1.0, 0.0, 0.0
        return max(l_hi, 0.0), max(l_mid, 0.0), max(l_lo, 0.0), vx, vy, vz
    b00 = a00 - q
    b11 = a11 - q
    b22 = a22 - q
    p2 = b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * p1
    p = math.sqrt(p2 / 6.0)
    det = b00 * (b11 * b22 - a12 * a12) - a01 * (a01 * b22 - a12 * a02) + a02 * (a01 * a12 - b11 * a02)
    r = det / (2.0 * p * p * p)
    if r <= -1.0:
        phi = math.pi / 3.0
    elif r >= 1.0:
        phi = 0.0
    else:
        phi = math.acos(r) / 3.0
    l_hi = q + 2.0 * p * math.cos(phi)
    l_lo = q + 2.0 * p * math.cos(phi + 2.0 * math.pi / 3.0)
    l_mid = 3.0 * q - l_hi - l_lo
    # rows of A - l_lo I
    r0x, r0y, r0z = a00 - l_lo, a01, a02
    r1x, r1y, r1z = a01, a11 - l_lo, a12
    r2x, r2y, r2z = a02, a12, a22 - l_lo
    c0x = r0y * r1z - r0z * r1y
    c0y = r0z * r1x - r0x * r1z
    c0z = r0x * r1y - r0y * r1x
    c1x = r0y * r2z - r0z * r2y
    c1y = r0z * r2x - r0x * r2z
    c1z = r0x * r2y - r0y * r2x
    c2x = r1y * r2z - r1z * r2y
    c2y = r1z * r2x - r1x * r2z
    c2z = r1x * r2y - r1y * r2x
    n0 = c0x * c0x + c0y * c0y + c0z * c0z
    n1 = c1x * c1x + c1y * c1y + c1z * c1z
    n2 = c2x * c2x + c2y * c2y + c2z * c2z
    if n0 >= n1 and n0 >= n2:
        vx, vy, vz, nn = c0x, c0y, c0z, n0
    elif n1 >= n2:
        vx, vy, vz, nn = c1x, c1y, c1z, n1
    else:
        vx, vy, vz, nn = c2x, c2y, c2z, n2
    if nn > 0.0:
        inv = 1.0 / math.sqrt(nn)
        vx *= inv
        vy *= inv
        vz *= inv
    else:
        vx, vy, vz = 0.0, 0.0, 1.0
    return max(l_hi, 0.0), max(l_mid, 0.0), max(l_lo, 0.0), vx, vy, vz


@njit(cache=True, inline="always")
def plane_from_moments(n, sx, sy, sz, sxx, syy, szz, sxy, sxz, syz, plane):
    """Fit a plane from raw moments into ``plane`` = [nx, ny, nz, d, mx, my, mz, l0, l1, l2].

    Covariance with divisor n - 1; normal = smallest eigenvector with nz >= 0;
    ``d = -normal . mean``; l0 >= l1 >= l2 are the covariance eigenvalues. With n == 0
    the previous plane is kept (as upstream Patchwork++ does).
    """
    if n == 0:
        return
    inv_n = 1.0 / n
    mx = sx * inv_n
    my = sy * inv_n
    mz = sz * inv_n
    inv_d = 1.0 / (n - 1) if n > 1 else 1.0
    c00 = (sxx - n * mx * mx) * inv_d
    c11 = (syy - n * my * my) * inv_d
    c22 = (szz - n * mz * mz) * inv_d
    c01 = (sxy - n * mx * my) * inv_d
    c02 = (sxz - n * mx * mz) * inv_d
    c12 = (syz - n * my * mz) * inv_d
    l0, l1, l2, vx, vy, vz = eig3_sym(c00, c11, c22, c01, c02, c12)
    if vz < 0.0:
        vx, vy, vz = -vx, -vy, -vz
    plane[0] = vx
    plane[1] = vy
    plane[2] = vz
    plane[3] = -(vx * mx + vy * my + vz * mz)
    plane[4] = mx
    plane[5] = my
    plane[6] = mz
    plane[7] = l0
    plane[8] = l1
    plane[9] = l2


def eig3_sym_np(cov: np.ndarray):
    """NumPy twin: (l0, l1, l2, normal) via ``np.linalg.eigh``."""
    w, v = np.linalg.eigh(cov)
    w = np.maximum(w, 0.0)
    return w[2], w[1], w[0], v[:, 0]
