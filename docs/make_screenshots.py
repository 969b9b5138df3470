"""The README's screenshots (docs/screenshot_*.png) from the real window, offscreen, on a
session of ids the bundled model knows: the empty window, the window mid-batch, and one done
item's detail with its chart.

Usage: python docs/make_screenshots.py   (a fresh per-user folder in a temporary directory)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))
SIZE = (1200, 720)


def _wait(app, done, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while not done():
        if time.monotonic() > end:
            raise SystemExit("the window did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        os.environ["SALESAPP_HOME"] = home   # no one's settings, store or models
        from PySide6.QtWidgets import QAbstractItemView

        from salesapp.commands.gui_commands import _application, open_window

        app = _application()
        window = open_window(Path(home) / "store", None)
        window.resize(*SIZE)
        window.show()
        _wait(app, lambda: window.isVisible())
        window.grab().save(str(DOCS / "screenshot_empty.png"))
        ids = [int(i) for i in window.session.predictor.item_ids]   # every item it knows
        window.session.submit_ids(ids)
        model = window.model
        _wait(app, lambda: model.counts()["done"] >= len(ids) // 5)
        window.grab().save(str(DOCS / "screenshot_mid_batch.png"))
        _wait(app, lambda: model.counts()["done"] == len(ids) and not model.pending_updates())
        history = window.session.predictor.history
        best = max((model.row_for(i) for i in ids if len(history(i)) > 6),
                   key=lambda r: r.result["total"])
        window.selection.select_ids([best.item_id], best.item_id)
        _wait(app, lambda: str(best.item_id) in window.detail.title.text())
        for _ in range(50):   # the reasons arrive from their thread
            app.processEvents()
            time.sleep(0.02)
        # once the detail has its size: the table's height is what is left of it
        window.table.scrollTo(window.table.currentIndex(), QAbstractItemView.PositionAtTop)
        app.processEvents()
        window.grab().save(str(DOCS / "screenshot_detail.png"))
        window.close()


if __name__ == "__main__":
    main()
