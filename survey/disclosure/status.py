"""What a cell of a protected table is, and the word a reader sees for it.

The published words are those of indicators.csv, response_rates.csv and the quarterly
return: "ok" (shown), "primary" (hidden because the group is under the minimum, or the
count rule caught it) and "secondary" (hidden so that a primary one cannot be worked out;
it holds at least the minimum). Inside the engine a fourth state, FIXED, marks a cell
nobody can be in by its indicator's published definition (WDES 8 outside Disabled
staff): hidden as primary, but known to every reader to be 0, so no proof counts on room
in it; a reader sees it as "primary".

The statuses are plain small integers in int8 arrays (the numba kernels and numpy masks
compare against them); `Status` names them.
"""
from __future__ import annotations

from enum import IntEnum

import numpy as np


class Status(IntEnum):
    OK = 0
    PRIMARY = 1
    SECONDARY = 2
    FIXED = 3

    @property
    def word(self) -> str:
        """The published word (FIXED is shown as "primary")."""
        return str(STATUS_NAMES[int(self)])


OK, PRIMARY, SECONDARY, FIXED = (int(s) for s in Status)
# the published words, in the order of their codes, and the word for every status value
WORDS = ("ok", "primary", "secondary")
STATUS_NAMES = np.array([*WORDS, "primary"], dtype=object)


def published(status: np.ndarray) -> np.ndarray:
    """Status values as the codes of their published words (indices into WORDS): a cell
    empty by definition (FIXED) reads as primary, its base, 0, being under the minimum."""
    return np.where(status == FIXED, PRIMARY, status)
