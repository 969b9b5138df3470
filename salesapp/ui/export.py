"""The export dialog: which rows, which layout, which file (CSV or Excel), remembered per user.

The writing itself is `salesapp.exports` (the same columns as `salesapp predict` and `results`).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtCore import QLocale, QStandardPaths
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from salesapp.csv_cells import neutralise, to_tsv
from salesapp.exports.writers import EXCEL_COMMA, EXCEL_SEMICOLON, CsvStyle, with_suffix
from salesapp.ui.settings import app_settings

__all__ = ["ExportChoice", "ExportDialog", "MonthsShown", "documents_folder", "neutralise", "to_tsv"]

SCOPES = ("shown", "all", "selected")
LAYOUT_TEXT = {"long": "One row per item and shop (long)",
               "wide": "One row per item, a column per shop (wide)"}
# format key -> (words, format, CSV style)
FORMATS = {"xlsx": ("Excel workbook (.xlsx)", "xlsx", EXCEL_COMMA),
           "csv": ("CSV: comma separator, decimal point (.csv)", "csv", EXCEL_COMMA),
           "csv-semicolon": ("CSV: semicolon separator, decimal comma (.csv)", "csv",
                             EXCEL_SEMICOLON)}
DEFAULT_NAME = "forecasts"


class ExportChoice(NamedTuple):
    """What the user chose: the file (with its extension), rows, layout, format, CSV style, and
    the months (`exports.layouts.table`'s `months` and `block`: None, None for every month)."""

    path: Path
    scope: str
    layout: str
    fmt: str
    style: CsvStyle
    months: int | None = None
    block: int | None = None


class MonthsShown(NamedTuple):
    """The months the table can show: their labels, and which one it shows (0: the next)."""

    labels: tuple[str, ...]
    picked: int
    picked_block: int | None   # None: each row's own next month


def documents_folder() -> Path:
    """The user's documents folder (their home when the system names none)."""
    place = QStandardPaths.writableLocation(QStandardPaths.DocumentsLocation)
    return Path(place) if place and Path(place).is_dir() else Path.home()


def locale_format() -> str:
    """The CSV format of the user's locale: semicolons where the decimal mark is a comma."""
    return "csv-semicolon" if QLocale().decimalPoint() == "," else "csv"


class ExportDialog(QDialog):
    """Asks what to export; `choice()` after `exec()` returns Accepted. Remembers the folder,
    the layout and the format for next time (`settings.app_settings`)."""

    def __init__(self, counts: dict[str, int], filtered: bool, scope: str = "shown",
                 parent: QWidget | None = None, months: MonthsShown | None = None):
        super().__init__(parent)
        self.setWindowTitle("Export forecasts")
        self._settings = app_settings()
        self.rows = QComboBox()
        shown = (f"Rows the filter shows ({counts['shown']:,} of {counts['all']:,})" if filtered
                 else f"All rows ({counts['all']:,})")
        self.rows.addItem(shown, "shown")
        if filtered:
            self.rows.addItem(f"All rows ({counts['all']:,})", "all")
        self.rows.addItem(f"Selected rows ({counts['selected']:,})", "selected")
        if not counts["selected"]:
            self.rows.model().item(self.rows.count() - 1).setEnabled(False)
        self._pick(self.rows, scope if scope != "selected" or counts["selected"] else "shown")
        self.layout_box = QComboBox()
        for key, text in LAYOUT_TEXT.items():
            self.layout_box.addItem(text, key)
        self._pick(self.layout_box, self._settings.value("export/layout", "long"))
        # a model of several months: all of them, or the one the table shows
        self._months = months
        self.months_box = QComboBox()
        if months is not None and len(months.labels) > 1:
            self.months_box.addItem(f"Every month forecast ({months.labels[0]} – "
                                    f"{months.labels[-1]})", "all")
            self.months_box.addItem(f"Only {months.labels[months.picked]}, the month the table "
                                    "shows", "shown")
            self._pick(self.months_box, self._settings.value("export/months", "all"))
        self.format_box = QComboBox()
        for key, (text, _, _) in FORMATS.items():
            self.format_box.addItem(text, key)
        self._pick(self.format_box, self._settings.value("export/format", locale_format()))
        folder = Path(self._settings.value("export/folder", "") or documents_folder())
        self.file = QLineEdit(str(folder / (DEFAULT_NAME + self._suffix())))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.format_box.currentIndexChanged.connect(self._on_format_changed)
        file_row = QHBoxLayout()
        file_row.addWidget(self.file, 1)
        file_row.addWidget(browse)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        buttons.button(QDialogButtonBox.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Rows:", self.rows)
        form.addRow("Layout:", self.layout_box)
        if self.months_box.count():
            form.addRow("Months:", self.months_box)
        form.addRow("Format:", self.format_box)
        form.addRow("File:", file_row)
        form.addRow(buttons)
        self.resize(620, self.sizeHint().height())

    @staticmethod
    def _pick(box: QComboBox, key) -> None:
        index = box.findData(key)
        if index >= 0 and box.model().item(index).isEnabled():
            box.setCurrentIndex(index)

    def _format_key(self) -> str:
        return self.format_box.currentData()

    def _suffix(self) -> str:
        return ".xlsx" if FORMATS[self._format_key()][1] == "xlsx" else ".csv"

    def _on_format_changed(self) -> None:
        # a name the dialog proposed follows the format; one with another extension is the user's
        path = Path(self.file.text())
        if path.suffix.lower() in (".csv", ".xlsx"):
            self.file.setText(str(path.with_suffix(self._suffix())))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export forecasts", self.file.text(),
                                              "Excel workbooks (*.xlsx);;CSV files (*.csv);;"
                                              "All files (*)")
        if path:
            self.file.setText(path)

    def choice(self) -> ExportChoice:
        """The user's choice; the file gets the format's extension when it was given none, and
        a .xlsx or .csv name picks that format."""
        key = self._format_key()
        _, fmt, style = FORMATS[key]
        path = Path(self.file.text().strip()).expanduser()
        suffix = path.suffix.lower()
        if suffix == ".xlsx":
            fmt = "xlsx"
        elif suffix == ".csv" and fmt == "xlsx":
            fmt, style, key = "csv", FORMATS[locale_format()][2], locale_format()
        path = with_suffix(path, fmt)
        months = block = None
        if self.months_box.currentData() == "shown":
            # the next month is each row's own, as the table shows it; a later one is that month
            months, block = ((1, None) if self._months.picked_block is None
                             else (None, self._months.picked_block))
        return ExportChoice(path, self.rows.currentData(), self.layout_box.currentData(), fmt,
                            style, months, block)

    def accept(self) -> None:
        """Remember the folder, layout and format, then close."""
        if not self.file.text().strip():
            self.file.setFocus()
            return
        choice = self.choice()
        s = self._settings
        s.setValue("export/folder", str(choice.path.parent))
        s.setValue("export/layout", choice.layout)
        s.setValue("export/format", self._format_key())
        if self.months_box.count():
            s.setValue("export/months", self.months_box.currentData())
        super().accept()
