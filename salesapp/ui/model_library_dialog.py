"""Models → Manage…: the kept models with their cards; the user makes one active."""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from salesapp.library import ModelLibrary, entry_text
from salesapp.ui.months import month_label

HEADERS = ("", *entry_text.COLUMNS)   # the first column: "active"
INTRO = ("Every model trained is kept here. The active model answers new forecasts; rows "
         "forecast by another model stay in the table in grey italics until you ask again "
         "(Models → Re-forecast with the active model). A model you go back to answers from "
         "the results it already computed.")


class ModelLibraryDialog(QDialog):
    """Lists the library (a small table: a few dozen models at most) and activates one through
    the window's session, which loads it in the background."""

    def __init__(self, session, parent=None):
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Models")
        self.resize(980, 320)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_button)
        self.table.itemDoubleClicked.connect(lambda _item: self.activate_selected())
        self.note = QLabel()
        self.note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        self.activate_button = QPushButton("Activate")
        buttons.addButton(self.activate_button, QDialogButtonBox.ActionRole)
        self.activate_button.clicked.connect(self.activate_selected)
        buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(intro)
        box.addWidget(self.table, 1)
        box.addWidget(self.note)
        box.addWidget(buttons)
        self.entries = []
        session.model_changed.connect(self._on_model_changed)
        session.model_refused.connect(self._on_refused)
        self.refresh()

    def refresh(self) -> None:
        """Read the library again and show it, the active model in bold."""
        lib = ModelLibrary(self.session.library_root)
        self.entries = lib.entries()
        self.table.setRowCount(len(self.entries))
        bold = QFont()
        bold.setBold(True)
        answering = self._answering()
        for row, entry in enumerate(self.entries):
            texts = entry_text.cells(entry, month_label)
            active = entry.version == answering
            cells = ["active" if active else "", *(texts[c] for c in entry_text.COLUMNS)]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if active:
                    item.setFont(bold)
                if col:
                    item.setToolTip(f"model {entry.version}, kept in {entry.path}")
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        if lib.notices:
            self._say("\n".join(lib.notices), error=True)
        self._update_button()

    def selected_version(self) -> str | None:
        """The version of the selected row, if any."""
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()].version if rows else None

    def select_version(self, version: str) -> None:
        """Select the row of a version (tests, and after a refresh)."""
        for row, entry in enumerate(self.entries):
            if entry.version == version:
                self.table.selectRow(row)

    def activate_selected(self) -> None:
        """Activate: load the selected model in the background; it answers once loaded."""
        version = self.selected_version()
        if version is None:
            return
        if self.session.switch_model(version):
            self._say(f"Loading model {version}…")
            self.activate_button.setEnabled(False)
        else:
            self._say("The model cannot be changed now: the window is still loading, or "
                      "another model is being loaded.", error=True)

    def _answering(self) -> str | None:
        """The model the window answers with (a `--model` bundle may not be the library's
        active one); the library's active one until the engine is there."""
        predictor = self.session.predictor
        if predictor is not None:
            return predictor.version
        return next((e.version for e in self.entries if e.active), None)

    def _update_button(self) -> None:
        version = self.selected_version()
        self.activate_button.setEnabled(version is not None and version != self._answering())

    def _on_model_changed(self) -> None:
        version = self.session.predictor.version
        self.refresh()
        self.select_version(version)
        self._say(f"Model {version} is active.")

    def _on_refused(self, sentence: str) -> None:
        self.refresh()
        self._say(sentence, error=True)

    def _say(self, text: str, error: bool = False) -> None:
        self.note.setText(text)
        self.note.setStyleSheet("color: #b3261e" if error else "")

