"""Import LightGBM without its optional scikit-learn and pandas support (Qt-free, no project import).

The app uses only LightGBM's core API (Booster, Dataset, train) on numpy arrays. On import LightGBM
probes for scikit-learn and imports pandas if it is installed, the two slowest imports of the
process: every start-up, the window, `--self-test`, `predict` and `work`, would pay for both
through the Predictor, which needs neither. A process that has already imported pandas (training,
the notebook, a CSV import) keeps LightGBM's pandas support: it costs nothing more there.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_lightgbm() -> ModuleType:
    """Return the `lightgbm` module, importing it with the scikit-learn probe turned off.

    If LightGBM is already imported it is just looked up; scikit-learn or pandas already imported
    is not blocked. The block is lifted at once, so other code can still import both afterwards.
    Callers must hand LightGBM numpy arrays (never frames) when pandas was blocked.
    """
    if "lightgbm" in sys.modules:
        return importlib.import_module("lightgbm")
    # A None entry in sys.modules makes the import raise ImportError inside lightgbm, which it
    # treats as "not installed".
    blocked = [name for name in ("sklearn", "pandas") if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        return importlib.import_module("lightgbm")
    finally:
        for name in blocked:
            del sys.modules[name]
