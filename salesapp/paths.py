"""Where things live: bundled resources (source tree or a PyInstaller bundle) and per-user data.

Every read of a bundled file goes through `resource_path`, so the same code works from a checkout
and from the frozen app (`sys._MEIPASS`). User data (the store, logs) goes only under the per-user
directories, never next to the executable, which may be read-only.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "SalesForecastDesk"


def bundle_root() -> Path:
    """The folder holding `weights/`, `data/` and `resources/`: the checkout or the frozen bundle."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. `resource_path("resources", "icons", "done.svg")`."""
    return bundle_root().joinpath(*parts)


def default_model_dir() -> Path:
    """The bundled default model bundle (trained on the bundled default data)."""
    return resource_path("weights")


def default_data_dir() -> Path:
    """The bundled default data set."""
    return resource_path("data")


def user_data_dir() -> Path:
    """Per-user data folder; `SALESAPP_HOME` overrides it (tests and portable installs)."""
    override = os.environ.get("SALESAPP_HOME")
    base = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return base


def default_store_dir() -> Path:
    """The job queue and result store used when `--store` is not given."""
    return user_data_dir() / "store"


def user_log_dir() -> Path:
    """Where the rotating log file is written."""
    override = os.environ.get("SALESAPP_HOME")
    if override:
        return Path(override) / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
