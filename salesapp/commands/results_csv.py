"""The long CSV of `salesapp results`: one row per (item, shop), failures and unknown ids one row each.

Columns `exports.layouts.LONG_COLUMNS`, byte for byte what `csv.writer` writes to a UTF-8 file
for `layouts.long_rows`, every cell by the export rule of `salesapp.csv_cells`. 5,100 items x 44
shops is 224,400 rows, so a row costs no Python bytecode of its own: an item's rows are one
`bytes.join` over a frame of pieces (item prefix, shop cell, forecast text + line end) whose shop
cells are made once per list of shops, and whose forecast texts come from one dict lookup per
value (the number's JSON text -> the same text and the line end, accepted only where it is what
`csv.writer` writes for that number). The text is built as UTF-8 bytes: only the item prefix holds
Cyrillic, which would make every chunk a string of wider characters to encode again on write.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator

from salesapp.csv_cells import cell_text
from salesapp.errors import StoreError
from salesapp.exports.layouts import LONG_COLUMNS, Entry, item_cells, long_rows
from salesapp.model.unknown_items import UNKNOWN_ITEM

COLUMNS = list(LONG_COLUMNS)
END = ",\r\n"   # the empty error cell and csv.writer's line end


def csv_row(cells: list) -> str:
    """One line of several cells by the export rule (`csv_cells.cell_text`), csv.writer's text."""
    return ",".join(map(cell_text, cells)) + "\r\n"


def _prefix(row) -> bytes:
    """The item's cells of its rows (an `ExportRow`), UTF-8, without the comma that follows."""
    item = item_cells(Entry(row.item_id, _head(row)))
    return ",".join(map(cell_text, item)).encode()


def _head(row) -> dict:
    """The item's fields of an `ExportRow`, as a result dict holds them."""
    return {"item_name": row.item_name, "category_name": row.category_name,
            "forecast_block": row.forecast_block, "model_version": row.model_version,
            "status": "ok"}


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

    def __init__(self, shop_names: dict | None = None):
        self._shop_names = shop_names or {}
        self._line_end_of = _LineEnds()   # one lookup per row
        self._shops_json = None         # shop ids of the last exported row, and its frame
        self._frame: list[bytes] = []

    def failure(self, item_id: int, reason: str, model_version: str | None = None) -> bytes:
        """The one row of a job that failed."""
        return self._rows([Entry(item_id, {"model_version": model_version}, reason)])[0]

    def result(self, item_id: int, stored: dict) -> tuple[bytes, int]:
        """CSV bytes of one done job's rows (stored or unpacked result) and how many rows."""
        return self._rows([Entry(item_id, stored)])

    def _rows(self, entries: list) -> tuple[bytes, int]:
        lines = [csv_row(r) for r in long_rows(entries, self._shop_names)]
        return "".join(lines).encode(), len(lines)

    def exported(self, row) -> tuple[bytes, int] | None:
        """CSV bytes and row count of a `store.export_rows()` row; None: read the whole result.

        Needs the stored result's shop ids and forecasts as JSON text (the current layout).
        """
        if row.status != "ok":
            return self._rows([Entry(row.item_id, {**_head(row), "status": row.status,
                                                   "error": row.error})])
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
        frame[0::3] = [_prefix(row)] * n
        frame[2::3] = texts
        return b"".join(frame), n

    def _frame_of(self, shops_json: str) -> list:
        # Every result of a bundle names the same open shops: their cells are made once. The
        # frame holds (prefix, shop cells, forecast + line end) per shop; slots 0 and 2 are
        # filled per item.
        if shops_json != self._shops_json:
            names = self._shop_names
            cells = [f",{cell_text(s)},{cell_text(names.get(s, ''))},".encode()
                     for s in json.loads(shops_json)]
            self._shops_json, self._frame = shops_json, [b""] * (3 * len(cells))
            self._frame[1::3] = cells
        return self._frame



def result_chunks(store, on_bad: Callable[[int, str], None], tally: Counter | None = None,
                  shop_names: dict | None = None) -> Iterator[tuple[bytes, int]]:
    """(UTF-8 CSV bytes, rows) per finished job, in item id order: results, failures, unknown ids.

    A result the store cannot read is skipped and named to `on_bad(item_id, why)`: one bad row
    costs that item's rows, not the export. `tally` counts the items written by kind:
    "forecast", UNKNOWN_ITEM, "failed".
    """
    rows = ResultRows(shop_names)
    tally = Counter() if tally is None else tally
    for row in store.export_rows():
        if row.state == "failed":
            tally["failed"] += 1
            yield rows.failure(row.item_id, row.job_error or "failed", row.model_version), 1
        elif row.bad_result is not None:
            on_bad(row.item_id, row.bad_result)
        elif row.has_result:
            tally["forecast" if row.status == "ok" else UNKNOWN_ITEM] += 1
            chunk = rows.exported(row)
            if chunk is None:   # an older layout, or numbers written otherwise: the whole result
                try:
                    stored = next(store.results_of([(row.model_version, row.item_id)],
                                                   packed=True))
                    stored.setdefault("model_version", row.model_version)   # the fast path's
                    chunk = rows.result(row.item_id, stored)
                except (StoreError, TypeError, ValueError, AttributeError) as exc:
                    on_bad(row.item_id, f"its stored result cannot be read ({exc})")
                    continue
            yield chunk


def stored_entries(store, on_bad: Callable[[int, str], None],
                   tally: Counter | None = None) -> Iterator[Entry]:
    """`exports.layouts.Entry` per finished job, in item id order: results, failures, unknown ids.

    For the layouts the fast CSV does not write (wide, xlsx, another separator). A result the
    store cannot read is named to `on_bad(item_id, why)` and skipped, and `tally` counts, as in
    `result_chunks`.
    """
    tally = Counter() if tally is None else tally
    for row in store.export_rows():
        if row.state == "failed":
            tally["failed"] += 1
            yield Entry(row.item_id, {"model_version": row.model_version},
                        row.job_error or "failed")
        elif row.bad_result is not None:
            on_bad(row.item_id, row.bad_result)
        elif row.has_result:
            tally["forecast" if row.status == "ok" else UNKNOWN_ITEM] += 1
            result = _parts(row)
            if result is None:   # an older layout, or numbers written otherwise: the whole result
                try:
                    result = next(store.results_of([(row.model_version, row.item_id)],
                                                   packed=True))
                    result.setdefault("model_version", row.model_version)
                except (StoreError, TypeError, ValueError, AttributeError) as exc:
                    on_bad(row.item_id, f"its stored result cannot be read ({exc})")
                    continue
            yield Entry(row.item_id, result)


def _parts(row) -> dict | None:
    """The result of an `ExportRow` from its exported parts; None: read it whole."""
    head = {**_head(row), "status": row.status, "error": row.error}
    if row.status != "ok":
        return head
    if row.shop_ids_json is None or row.forecasts_json is None:
        return None
    shops, values = json.loads(row.shop_ids_json), json.loads(row.forecasts_json)
    if len(shops) != len(values) or not all(type(v) in (int, float) and math.isfinite(v)
                                            for v in values):
        return None
    return {**head, "shop_ids": shops, "forecasts": values}
