"""The window's menus and their actions (File, Edit, Models, Help), each bound to a window slot."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence


def _action(window, menu, text, slot, shortcut=None) -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(slot)
    menu.addAction(act)
    return act


def build_menus(window) -> None:
    """File, Edit, Models and Help on `window`'s menu bar; Copy and Re-forecast also on the
    table (see `JobTableView`)."""
    bar = window.menuBar()
    m = bar.addMenu("&File")
    _action(window, m, "&Open ids (CSV, Excel)…", window.open_files, QKeySequence.Open)
    _action(window, m, "&Import sales history…", window.import_sales_history)
    _action(window, m, "&Export results…", window.export_all, "Ctrl+E")
    _action(window, m, "Export &selected…", window.export_selected)
    m.addSeparator()
    _action(window, m, "&Quit", window.close, QKeySequence.Quit)
    m = bar.addMenu("&Edit")
    window.copy_action = _action(window, m, "&Copy", window.copy_selection, QKeySequence.Copy)
    window.copy_action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
    window.table.addAction(window.copy_action)
    window.table.copy_requested.connect(window.copy_selection)
    window.table.remove_requested.connect(window.remove_selected)
    _action(window, m, "&Remove from view", window.remove_selected, QKeySequence.Delete)
    _action(window, m, "Cancel &pending", window.cancel_pending)
    m = bar.addMenu("&Models")
    window.train_action = _action(window, m, "&Train new model", window.train_new_model)
    _action(window, m, "&Manage…", window.manage_models)
    window.reforecast_action = _action(window, m, "&Re-forecast with the active model",
                                       window.reforecast_other_model_rows)
    window.table.addAction(window.reforecast_action)
    window.table.setContextMenuPolicy(Qt.ActionsContextMenu)   # the table's actions, on a click
    m = bar.addMenu("&Help")
    _action(window, m, "&About the model", window.show_model_card)
