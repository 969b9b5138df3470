"""Finding items by name in the id box: a completer over the bundle's product list.

The box holds a list of ids, so only its last part (after the last comma or semicolon) is
completed, and only once it holds a letter: typing ids must not pop a list up at every digit.
Picking an entry (click, or Enter; Enter also takes the only entry left) puts that item's id in
place of the words typed; the next Enter sends the box. Qt would pass the picking Enter on to
the box, sending it before the pick is written.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QStringListModel, Qt
from PySide6.QtWidgets import QCompleter

SEPARATOR = " · "
MIN_LETTERS = 2            # one letter matches most of the list: it only slows the typing
VISIBLE_ENTRIES = 12
_LAST_PART = re.compile(r"[^,;\n]*$")
_NOTHING = "\x00"          # a prefix no entry contains: the popup closes


def entry_text(item_id: int, name: str, category: str) -> str:
    """An entry as the popup shows it (and as the typed words are matched against)."""
    return f"{item_id}{SEPARATOR}{name}{SEPARATOR}{category}" if category else \
        f"{item_id}{SEPARATOR}{name}"


class ItemCompleter(QCompleter):
    """Completes the id box's last part by item name, id or category: any part of the entry,
    any case (Cyrillic too); `set_catalogue` fills it once the model is loaded."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._entries = QStringListModel(self)
        self.setModel(self._entries)
        self.setFilterMode(Qt.MatchContains)
        self.setCaseSensitivity(Qt.CaseInsensitive)
        self.setCompletionMode(QCompleter.PopupCompletion)
        self.setMaxVisibleItems(VISIBLE_ENTRIES)
        self._typed = ""   # the box's text as typed: a highlighted entry already replaced it

    def set_catalogue(self, catalogue) -> None:
        """(item_id, name, category name) of every item the model knows."""
        self._entries.setStringList([entry_text(*entry) for entry in catalogue])

    def eventFilter(self, watched, event) -> bool:
        """Enter in the list picks (the highlighted entry, or the only one) and goes no further."""
        popup = self.popup()
        if (watched is popup and event.type() == QEvent.KeyPress
                and event.key() in (Qt.Key_Return, Qt.Key_Enter)):
            index = popup.currentIndex()
            if not index.isValid() and self.completionCount() == 1:
                index = popup.model().index(0, 0)
            if index.isValid():
                popup.hide()
                self.widget().setText(self.pathFromIndex(index))
                return True
        return super().eventFilter(watched, event)

    def splitPath(self, path: str) -> list[str]:
        """Match the last part of the box only, and only once it holds enough letters."""
        self._typed = path
        words = _LAST_PART.search(path).group(0).strip()
        if sum(ch.isalpha() for ch in words) < MIN_LETTERS:
            return [_NOTHING]
        return [words]

    def pathFromIndex(self, index) -> str:
        """The box's text with its last part replaced by the picked item's id."""
        item_id = str(index.data()).split(SEPARATOR, 1)[0]
        text = self._typed
        head = text[:len(text) - len(_LAST_PART.search(text).group(0))]
        spaced = head if not head or head.endswith(" ") else head + " "
        return f"{spaced}{item_id}, "
