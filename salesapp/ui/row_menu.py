"""The job table's context menu: what can be done with the rows under the mouse."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

AGAIN = ("failed", "cancelled")   # statuses "Forecast again" applies to


def build_row_menu(window) -> QMenu:
    """The menu of `window.table`'s rows (shown on a right click: `show_row_menu`)."""
    menu = QMenu(window.table)
    menu.addAction(window.copy_action)
    window.copy_ids_action = menu.addAction("Copy item &ids", window.copy_ids)
    window.again_action = menu.addAction("&Forecast again", window.forecast_again)
    window.export_selected_action = menu.addAction("&Export selected…", window.export_selected)
    menu.addSeparator()
    window.remove_action_menu = menu.addAction("&Remove from view", window.remove_selected)
    window.table.setContextMenuPolicy(Qt.CustomContextMenu)
    window.table.customContextMenuRequested.connect(lambda pos: show_row_menu(window, menu, pos))
    return menu


def prepare_row_menu(window) -> None:
    """Enable the menu's actions for the rows selected now."""
    rows = [window.model.row_at(r) for r in window.selection.rows()]
    for action in (window.copy_action, window.copy_ids_action, window.export_selected_action,
                   window.remove_action_menu):
        action.setEnabled(bool(rows))
    window.again_action.setEnabled(any(r.status in AGAIN for r in rows))


def show_row_menu(window, menu: QMenu, pos) -> None:
    """Right click at `pos` (viewport coordinates): a row not selected is selected first."""
    index = window.table.indexAt(pos)
    if index.isValid() and not window.table.selectionModel().isRowSelected(index.row()):
        window.table.selectRow(index.row())
    prepare_row_menu(window)
    menu.popup(window.table.viewport().mapToGlobal(pos))
