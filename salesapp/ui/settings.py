"""The window's remembered choices (QSettings): an INI file in the per-user data folder.

There rather than Qt's default place, so that `SALESAPP_HOME` (tests, portable installs) keeps
them with the rest of the user's data.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

from salesapp.paths import user_data_dir

SETTINGS_FILE = "window.ini"


def app_settings() -> QSettings:
    """The settings of this user (read and written at once; Qt syncs them to disk)."""
    return QSettings(str(user_data_dir() / SETTINGS_FILE), QSettings.IniFormat)
