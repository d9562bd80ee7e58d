"""Wilson and Newcombe intervals against hand-computed / published values."""
from __future__ import annotations

import numpy as np
import pytest

from survey.analysis import newcombe, wilson


@pytest.mark.parametrize("count,base,low,high", [
    (0, 10, 0.00, 27.75),      # epitools / Newcombe (1998) table I style values
    (5, 10, 23.66, 76.34),
    (30, 96, 22.85, 41.09),    # WRES 5 BME 30.21% of 96 in the trust report (30/96 = 31.25%)
    (10, 10, 72.25, 100.0),
    (81, 263, 25.53, 36.62),   # Newcombe (1998) single-proportion example: 0.2553 to 0.3662
])
def test_wilson_known_values(count, base, low, high):
    lo, hi = wilson(count, base)
    assert lo == pytest.approx(low, abs=0.005)
    assert hi == pytest.approx(high, abs=0.005)


def test_wilson_vectorised_and_empty_base():
    lo, hi = wilson(np.array([0, 1]), np.array([0, 4]))
    assert np.isnan(lo[0]) and np.isnan(hi[0]) and 0 < lo[1] < hi[1] < 100


def test_newcombe_published_example():
    # Newcombe (1998) method 10, 56/70 vs 48/80: difference 0.2000, 95% CI 0.0524 to 0.3339
    d, lo, hi = newcombe(56, 70, 48, 80)
    assert d == pytest.approx(20.00, abs=0.01)
    assert lo == pytest.approx(5.24, abs=0.01)
    assert hi == pytest.approx(33.39, abs=0.01)
