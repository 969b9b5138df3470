"""The window's menus and their actions (File, Edit, Models, Help), each bound to a window slot."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence


def _action(window, menu, text, slot, shortcut=None) -> QAction:
    act = QAction(text, window)
    if shortcut is not None:
        act.setShortcut(QKeySequence(shortcut))
    act.triggered.connect(slot)
    menu.addAction(act)
    return act


EXPORT_KEY = "Ctrl+E"


class WindowKeys(QObject):
    """Keeps the window's own shortcuts working in its text boxes: a line edit takes Ctrl+E
    (end of line, on Linux) before any shortcut, so File -> Export would not run from there."""

    def __init__(self, keys, parent=None):
        super().__init__(parent)
        self._keys = [QKeySequence(k) for k in keys]

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.ShortcutOverride and any(
                QKeySequence(event.keyCombination()) == k for k in self._keys):
            event.ignore()   # not the box's: the window's shortcut takes it
            return True
        return False


def build_menus(window) -> None:
    """File, Edit, Models and Help on `window`'s menu bar; Copy and Re-forecast also on the
    table (see `JobTableView`)."""
    bar = window.menuBar()
    m = bar.addMenu("&File")
    _action(window, m, "&Open ids (CSV, Excel)…", window.open_files, QKeySequence.Open)
    _action(window, m, "&Import sales history…", window.import_sales_history)
    window.export_action = _action(window, m, "&Export results…", lambda: window.export_all(),
                                   EXPORT_KEY)
    _action(window, m, "Export &selected…", lambda: window.export_selected())
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
    m.addSeparator()
    _action(window, m, "Clear &history…", lambda: window.clear_history())
    m = bar.addMenu("&Models")
    window.train_action = _action(window, m, "&Train new model", window.train_new_model)
    _action(window, m, "&Manage…", window.manage_models)
    window.reforecast_action = _action(window, m, "&Re-forecast with the active model",
                                       window.reforecast_other_model_rows)
    window.table.addAction(window.reforecast_action)
    window.table.setContextMenuPolicy(Qt.ActionsContextMenu)   # the table's actions, on a click
    _action(window, m, "How last month's &forecasts did…", window.show_accuracy)
    m = bar.addMenu("&Help")
    _action(window, m, "&User guide", window.show_user_guide, QKeySequence.HelpContents)
    _action(window, m, "&About the model", window.show_model_card)
    window.window_keys = WindowKeys([EXPORT_KEY], window)
    for box in (window.input, window.filter_box):
        box.installEventFilter(window.window_keys)
