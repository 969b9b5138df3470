"""Import LightGBM without its optional scikit-learn wrappers (Qt-free, no other project import).

The app uses only LightGBM's core API (Booster, Dataset, train). On import LightGBM probes for
scikit-learn, and importing scikit-learn costs about two seconds (more on a loaded machine) of every
start-up: the window, `--self-test`, `predict` and `work` all pay it through the Predictor.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType


def import_lightgbm() -> ModuleType:
    """Return the `lightgbm` module, importing it with the scikit-learn probe turned off.

    If LightGBM or scikit-learn is already imported nothing is blocked (the import is just looked
    up). The block is lifted at once, so other code can still `import sklearn` afterwards.
    """
    if "lightgbm" in sys.modules or "sklearn" in sys.modules:
        return importlib.import_module("lightgbm")
    # A None entry in sys.modules makes `import sklearn` raise ImportError inside lightgbm, which
    # it treats as "scikit-learn not installed".
    sys.modules["sklearn"] = None  # type: ignore[assignment]
    try:
        return importlib.import_module("lightgbm")
    finally:
        del sys.modules["sklearn"]
