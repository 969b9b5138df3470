"""The CSV of `salesapp results`: one row per (item, shop), failures and unknown ids one row each.

Columns `item_id,item_name,shop_id,forecast,error`, byte for byte what `csv.writer` writes to a
UTF-8 file, every cell by the export rule of `salesapp.csv_cells`. 5,100 items x 44
shops is 224,400 rows, so a row costs no Python bytecode of its own: an item's rows are one
`bytes.join` over a frame of pieces (item prefix, shop cell, forecast text + line end) whose shop
cells are made once per list of shops, and whose forecast texts come from one dict lookup per
value (the number's JSON text -> the same text and the line end, accepted only where it is what
`csv.writer` writes for that number). The text is built as UTF-8 bytes: only the item prefix holds
Cyrillic, which would make every chunk a string of wider characters to encode again on write.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator

from salesapp.csv_cells import cell_text
from salesapp.errors import StoreError
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.store.result_codec import shop_columns

COLUMNS = ["item_id", "item_name", "shop_id", "forecast", "error"]
END = ",\r\n"   # the empty error cell and csv.writer's line end


def csv_row(cells: list) -> str:
    """One line of several cells by the export rule (`csv_cells.cell_text`), csv.writer's text."""
    return ",".join(map(cell_text, cells)) + "\r\n"


def _prefix(item_id: int, name) -> bytes:
    """The first two cells of an item's rows, UTF-8, without the comma that follows."""
    return f"{cell_text(item_id)},{cell_text(name or '')}".encode()


class _LineEnds(dict):
    """JSON text of a number (bytes) -> its CSV text and the line's end (bytes).

    Filled on first use: an export meets a few thousand distinct values. A text that is not what
    `csv.writer` writes for the number it reads as (`Infinity`, `1E5`, `null`, a string...)
    raises KeyError: the item then goes the whole-result way.
    """

    def __missing__(self, text: bytes) -> bytes:
        try:
            value = json.loads(text)
        except ValueError:
            raise KeyError(text) from None
        if type(value) not in (int, float) or repr(value).encode() != text:
            raise KeyError(text)
        self[text] = line_end = text + END.encode()
        return line_end


class ResultRows:
    """Formats stored results as CSV bytes; keeps the texts shared by every result."""

    def __init__(self):
        self._line_end_of = _LineEnds()   # one lookup per row
        self._shops: list = []          # shop ids of the last result, and their cells
        self._shop_cells: list[str] = []
        self._shops_json = None         # shop ids of the last exported row, and its frame
        self._frame: list[bytes] = []

    def failure(self, item_id: int, reason: str) -> bytes:
        """The one row of a job that failed."""
        return csv_row([item_id, "", "", "", reason]).encode()

    def result(self, item_id: int, stored: dict) -> tuple[bytes, int]:
        """CSV bytes of one done job's rows (stored or unpacked result) and how many rows."""
        if stored.get("status") != "ok":
            return self._error_row(item_id, stored.get("item_name"), stored.get("error")), 1
        shops, values = shop_columns(stored)
        if not shops:
            return b"", 0
        # Only the text cells can carry a formula; ids and forecasts are numbers.
        start = _prefix(item_id, stored.get("item_name")).decode()
        cells = [c + cell_text(v) for c, v in zip(self._cells(shops), values)]
        return (start + (END + start).join(cells) + END).encode(), len(cells)

    def exported(self, row) -> tuple[bytes, int] | None:
        """CSV bytes and row count of a `store.export_rows()` row; None: read the whole result.

        Needs the stored result's shop ids and forecasts as JSON text (the current layout).
        """
        if row.status != "ok":
            return self._error_row(row.item_id, row.item_name, row.error), 1
        if row.shop_ids_json is None or row.forecasts_json is None:
            return None
        frame = self._frame_of(row.shop_ids_json)
        n = len(frame) // 3
        values = row.forecasts_json[1:-1].encode()
        try:
            texts = list(map(self._line_end_of.__getitem__, values.split(b","))) if values else []
        except KeyError:   # outside the table (rare): the whole result is read
            return None
        if len(texts) != n:   # shops and values differ in length: zip's rows, the slow way
            return None
        if not n:
            return b"", 0
        frame[0::3] = [_prefix(row.item_id, row.item_name)] * n
        frame[2::3] = texts
        return b"".join(frame), n

    def _error_row(self, item_id: int, name, error) -> bytes:
        return csv_row([item_id, name or "", "", "", error or ""]).encode()

    def _frame_of(self, shops_json: str) -> list:
        # Every result of a bundle names the same open shops: their cells are made once. The
        # frame holds (prefix, shop cell, forecast + line end) per shop; slots 0 and 2 are
        # filled per item.
        if shops_json != self._shops_json:
            cells = [f",{cell_text(s)},".encode() for s in json.loads(shops_json)]
            self._shops_json, self._frame = shops_json, [b""] * (3 * len(cells))
            self._frame[1::3] = cells
        return self._frame

    def _cells(self, shops: list) -> list[str]:
        if shops != self._shops:
            self._shops, self._shop_cells = list(shops), [f",{cell_text(s)}," for s in shops]
        return self._shop_cells


def result_chunks(store, on_bad: Callable[[int, str], None],
                  tally: Counter | None = None) -> Iterator[tuple[bytes, int]]:
    """(UTF-8 CSV bytes, rows) per finished job, in item id order: results, failures, unknown ids.

    A result the store cannot read is skipped and named to `on_bad(item_id, why)`: one bad row
    costs that item's rows, not the export. `tally` counts the items written by kind:
    "forecast", UNKNOWN_ITEM, "failed".
    """
    rows = ResultRows()
    tally = Counter() if tally is None else tally
    for row in store.export_rows():
        if row.state == "failed":
            tally["failed"] += 1
            yield rows.failure(row.item_id, row.job_error or "failed"), 1
        elif row.bad_result is not None:
            on_bad(row.item_id, row.bad_result)
        elif row.has_result:
            tally["forecast" if row.status == "ok" else UNKNOWN_ITEM] += 1
            chunk = rows.exported(row)
            if chunk is None:   # an older layout, or numbers written otherwise: the whole result
                try:
                    stored = next(store.results_of([(row.model_version, row.item_id)],
                                                   packed=True))
                    chunk = rows.result(row.item_id, stored)
                except (StoreError, TypeError, ValueError, AttributeError) as exc:
                    on_bad(row.item_id, f"its stored result cannot be read ({exc})")
                    continue
            yield chunk
