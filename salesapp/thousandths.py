"""Numbers kept as integer thousandths: the one rule for when that is exact, in two forms.

The Predictor rounds forecasts to 3 decimals, and the job store writes such a float v as the
integer k = round(v * 1000) (JSON writes and reads integers 2-3x faster than floats). That is
done only when k / 1000 == v, so reading k / 1000 gives back the very float that was written, and
only for |k| < 2**62, so that every k fits the int64 arrays of the batch form. `of_list` applies
the rule to a plain list (no numpy: `salesapp submit` and `results` never import it), `of_array`
to a numpy array at once (a batch of 5,100 results holds ~400,000 values). Both agree on every
float (tests/test_thousandths.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

LIMIT = 2**62   # |k| bound: int64 with room to spare


def of_list(values: list) -> list[int] | None:
    """`values` as integer thousandths when the rule holds for every one (all floats), else None."""
    if not all(type(v) is float for v in values):
        return None
    try:
        out = [round(v * 1000) for v in values]
    except (OverflowError, ValueError):   # inf or nan (even after the * 1000)
        return None
    if all(-LIMIT < k < LIMIT and k / 1000 == v for k, v in zip(out, values)):
        return out
    return None


def of_array(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(k, exact) of a float array: int64 thousandths (0 where not exact) and where the rule holds."""
    # Imported here: importing this module must not import numpy.
    import numpy as np

    with np.errstate(all="ignore"):   # inf and nan are simply not exact
        k = np.rint(values * 1000)
        exact = np.isfinite(k) & (np.abs(k) < LIMIT) & (k / 1000 == values)
    return np.where(exact, k, 0).astype(np.int64), exact
