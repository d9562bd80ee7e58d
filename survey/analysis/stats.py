"""Interval estimates, vectorised: Wilson score interval and Newcombe's hybrid score
interval for a difference of two proportions (method 10 in Newcombe 1998). Percent units."""
from __future__ import annotations

import numpy as np

Z95 = 1.959963984540054


def _wilson_frac(count, base, z):
    x = np.asarray(count, dtype=float)
    n = np.asarray(base, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0)
    low = np.where(bad, np.nan, low)
    high = np.where(bad, np.nan, high)
    return p, low, high


def wilson(count, base, z: float = Z95):
    """Wilson score 95% interval, in percent. Scalars or arrays; base 0 gives NaN."""
    _, low, high = _wilson_frac(count, base, z)
    return low * 100, high * 100


def newcombe(count_a, base_a, count_b, base_b, z: float = Z95):
    """Difference a - b in percentage points with Newcombe's hybrid Wilson interval."""
    p1, l1, u1 = _wilson_frac(count_a, base_a, z)
    p2, l2, u2 = _wilson_frac(count_b, base_b, z)
    with np.errstate(invalid="ignore"):
        d = p1 - p2
        low = d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        high = d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return d * 100, low * 100, high * 100
