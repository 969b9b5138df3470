"""The window's layout kept: column widths across a change of the table's model, and the
window's size and column widths remembered between sessions (QSettings).

The sort is not restored: rows come back after the start a slice at a time and are appended
unsorted (`JobTableModel.sort`), so a restored sort arrow would promise an order the rows lack.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray

from salesapp.ui.settings import app_settings


def column_widths(table) -> list[int]:
    """The widths of the table's columns, in order."""
    return [table.columnWidth(c) for c in range(table.horizontalHeader().count())]


def set_column_widths(table, widths) -> None:
    """Give the table's columns these widths (a saved list may be shorter or longer)."""
    for col, width in enumerate(list(widths)[:table.horizontalHeader().count()]):
        if int(width) > 0:
            table.setColumnWidth(col, int(width))


def save_layout(window) -> None:
    """Remember the window's geometry and the table's column widths."""
    s = app_settings()
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("table/widths", [str(w) for w in column_widths(window.table)])


def restore_layout(window) -> None:
    """Give the window the geometry and column widths saved last time (if any)."""
    s = app_settings()
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    widths = s.value("table/widths", [])
    try:
        set_column_widths(window.table, [int(w) for w in
                                         ([widths] if isinstance(widths, str) else widths or [])])
    except (TypeError, ValueError):   # a file edited by hand: the default widths stay
        pass
