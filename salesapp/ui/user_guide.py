"""Help -> User guide: the short page of `resources/user_guide.html`, in a window of its own."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QTextBrowser, QVBoxLayout

from salesapp.paths import resource_path

GUIDE = ("resources", "user_guide.html")


class UserGuide(QDialog):
    """The user guide, non-modal: it can stay open beside the table."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Sales Forecast Desk: user guide")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setHtml(resource_path(*GUIDE).read_text(encoding="utf-8"))
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        self.setModal(False)
        self.resize(720, 640)
