"""The long CSV of `salesapp results`: one row per (item, shop, month), failures and unknown ids one
row each.

Columns `exports.layouts.LONG_COLUMNS`, byte for byte what `csv.writer` writes to a UTF-8 file
for `layouts.long_rows`, every cell by the export rule of `salesapp.csv_cells`. A store's export is
hundreds of thousands of rows, so a row costs no Python bytecode of its own: an item's rows of a
month are one `bytes.join` over a frame of pieces (item prefix, shop cells, forecast text, range
texts, month and line end) whose shop cells are made once per list of shops, and whose number
texts come from one dict lookup per value (the number's JSON text -> the same text, and the
empty cells after it where a forecast has no range, accepted only where it is what `csv.writer`
writes for that number). The text is built as UTF-8 bytes: only the item prefix holds Cyrillic,
which would make every chunk a string of wider characters to encode again on write.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator

from salesapp.csv_cells import cell_text
from salesapp.errors import StoreError
from salesapp.exports.layouts import LONG_COLUMNS, Entry, item_cells, long_rows
from salesapp.exports.result_months import months_of
from salesapp.model.unknown_items import UNKNOWN_ITEM
from salesapp.pacing import EXPORT_PARTS_KEPT
from salesapp.store.result_codec import range_fits

COLUMNS = list(LONG_COLUMNS)
UNRANGED = ",,,"   # after a forecast without a range: the empty error and range cells


def csv_row(cells: list) -> str:
    """One line of several cells by the export rule (`csv_cells.cell_text`), csv.writer's text."""
    return ",".join(map(cell_text, cells)) + "\r\n"


def _prefix(row, block) -> bytes:
    """The item's cells of its rows of month `block` (an `ExportRow`), UTF-8, without the
    comma that follows."""
    item = item_cells(Entry(row.item_id, {**_head(row), "forecast_block": block}))
    return ",".join(map(cell_text, item)).encode()


def _head(row) -> dict:
    """The item's fields of an `ExportRow`, as a result dict holds them."""
    return {"item_name": row.item_name, "category_name": row.category_name,
            "forecast_block": row.forecast_block, "model_version": row.model_version,
            "status": "ok"}


def _number_of(text: bytes):
    """The number a JSON text (bytes) is, if `csv.writer` writes it as that same text; else
    KeyError (`Infinity`, `1E5`, `null`, a string...)."""
    try:
        value = json.loads(text)
    except ValueError:
        raise KeyError(text) from None
    if type(value) not in (int, float) or repr(value).encode() != text:
        raise KeyError(text)
    return value


class _NumberTexts(dict):
    """JSON text of a number (bytes) -> its CSV text followed by `suffix` (bytes).

    Filled on first use: an export meets a few thousand distinct values. A text that is not what
    `csv.writer` writes for the number it reads as raises KeyError (`_number_of`): the item then
    goes the whole-result way.
    """

    def __init__(self, suffix: bytes):
        super().__init__()
        self._suffix = suffix

    def __missing__(self, text: bytes) -> bytes:
        _number_of(text)
        self[text] = out = text + self._suffix
        return out


class _NumberValues(dict):
    """An array item's JSON text (bytes) -> the number it is, or None for anything else (a
    range holding it does not fit): the range check reads the values without decoding each
    array again. Any JSON number counts, as when the array is decoded whole."""

    def __missing__(self, text: bytes):
        try:
            value = json.loads(text)
        except ValueError:   # a piece of a nested array or of a text
            value = None
        if type(value) not in (int, float):
            value = None
        self[text] = value
        return value


def _tokens(array_json: str) -> list[bytes]:
    """The items of a JSON array's text of numbers, as bytes (no decoding)."""
    values = array_json[1:-1].encode()
    return values.split(b",") if values else []


def _texts(tokens: list[bytes], table: _NumberTexts) -> list[bytes]:
    """Each number of an array's `_tokens` through `table` (KeyError: one it does not take)."""
    return list(map(table.__getitem__, tokens))


class ResultRows:
    """Formats stored results as CSV bytes; keeps the texts shared by every result."""

    def __init__(self, shop_names: dict | None = None):
        self._shop_names = shop_names or {}
        self._unranged_of = _NumberTexts(UNRANGED.encode())   # one lookup per row
        self._text_of = _NumberTexts(b"")
        self._value_of = _NumberValues()
        self._frames: dict = {}         # (shop ids JSON, ranged) of the last row -> its frame
        self._tails: dict = {}          # (category, month, version) -> their cells' text
        self._parts: dict = {}          # see `_parts_of`
        self._month_ends: dict = {}     # month -> the text ending its rows

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

        Needs the stored result's shop ids and forecasts (and its range) as JSON text (the
        current layout). A range that does not fit its forecasts (`range_fits`) is left
        out, as the whole result's rows leave it out; the months after the next (`ahead`)
        follow it, each checked as `result_months` checks them.
        """
        if row.status != "ok":
            return self._rows([Entry(row.item_id, {**_head(row), "status": row.status,
                                                   "error": row.error})])
        if row.shop_ids_json is None or row.forecasts_json is None:
            return None
        try:
            ranged, parts = self._parts_of(row)
            first = self._month_rows(row, row.forecast_block, row.shop_ids_json, ranged, parts)
        except (KeyError, ValueError):   # not numbers as written here (rare): the whole result
            return None
        if first is None:   # shops and values differ in length: the slow way
            return None
        if row.ahead_json is None or not first[1]:
            return first
        chunks, n = [first[0]], first[1]
        for month in _ahead_months(row):
            if month.ranged:
                texts = [self._text_of[repr(v).encode()] for v in month.forecasts]
                parts = (texts, [self._text_of[repr(v).encode()] for v in month.p10],
                         [self._text_of[repr(v).encode()] for v in month.p90])
            else:
                parts = ([self._unranged_of[repr(v).encode()] for v in month.forecasts],)
            chunk, rows = self._month_rows(row, month.block, row.shop_ids_json, month.ranged,
                                           parts)
            chunks.append(chunk)
            n += rows
        return b"".join(chunks), n

    def _parts_of(self, row) -> tuple[bool, tuple]:
        """(whether the row's range fits, the number texts of its first month: forecasts with
        the empty cells after them, or forecasts, P10s and P90s). KeyError: a number not as
        written here. Kept by the texts they come from: items forecast alike (many cold ones)
        are checked and looked up once."""
        key = (row.forecasts_json, row.p10_json, row.p90_json, row.total, row.total_p10,
               row.total_p90)
        found = self._parts.get(key)
        if found is not None:
            return found
        forecasts = _tokens(row.forecasts_json)
        lo, hi = self._range_of(row, forecasts)
        if lo is not None:
            found = True, (_texts(forecasts, self._text_of), _texts(lo, self._text_of),
                           _texts(hi, self._text_of))
        else:
            found = False, (_texts(forecasts, self._unranged_of),)
        if len(self._parts) >= EXPORT_PARTS_KEPT:
            self._parts.clear()
        self._parts[key] = found
        return found

    def _month_rows(self, row, block, shops_json: str, ranged: bool,
                    parts: tuple) -> tuple[bytes, int] | None:
        """CSV bytes and rows of one month of an export row: its number texts `parts`
        (forecasts with the empty cells after them, or forecasts, P10s and P90s) laid into
        the frame of its shops; None when their lengths differ."""
        frame = self._frame_of(shops_json, ranged)
        width = 8 if ranged else 4
        n = len(frame) // width
        if any(len(p) != n for p in parts):
            return None
        if not n:
            return b"", 0
        frame[0::width] = [self._prefix(row, block)] * n
        for slot, texts in zip((2, 4, 6), parts):
            frame[slot::width] = texts
        end = self._month_ends.get((type(block), block))   # (1 and 1.0 are one key)
        if end is None:
            end = self._month_ends[type(block), block] = f",{cell_text(block)}\r\n".encode()
        frame[width - 1::width] = [end] * n
        return b"".join(frame), n

    def _prefix(self, row, block) -> bytes:
        """`_prefix` of a row's month `block`, the cells after its name made once per category,
        month and model version (an export has few)."""
        cells = (row.category_name, block, row.model_version)
        key = (*cells, *map(type, cells))   # 1 and 1.0 are one dict key, not one text
        tail = self._tails.get(key)
        if tail is None:
            head = {**_head(row), "forecast_block": block}
            tail = self._tails[key] = ",".join(
                map(cell_text, item_cells(Entry(row.item_id, head))[2:]))
        return f"{row.item_id},{cell_text(row.item_name or '')},{tail}".encode()

    def _range_of(self, row, forecasts: list[bytes]) -> tuple[list, list] | tuple[None, None]:
        """The tokens of an `ExportRow`'s P10s and P90s, or (None, None): no range, or one that
        does not fit its forecasts (`result_codec.range_fits`, on the tokens' values)."""
        if row.p10_json is None or row.p90_json is None:
            return None, None
        lo, hi = _tokens(row.p10_json), _tokens(row.p90_json)
        value = self._value_of.__getitem__
        if range_fits(list(map(value, forecasts)), list(map(value, lo)), list(map(value, hi)),
                      row.total, row.total_p10, row.total_p90):
            return lo, hi
        return None, None

    def _frame_of(self, shops_json: str, ranged: bool) -> list:
        # Every result of a bundle names the same open shops: their cells are made once. The
        # frame holds, per shop, (prefix, shop cells, forecast + the empty cells, month + line
        # end) or, with a range, (prefix, shop cells, forecast, ",,", p10, ",", p90, month +
        # line end); the prefix, the numbers and the month are filled per item and month.
        key = (shops_json, ranged)
        if key not in self._frames:
            names = self._shop_names
            cells = [f",{cell_text(s)},{cell_text(names.get(s, ''))},".encode()
                     for s in json.loads(shops_json)]
            width = 8 if ranged else 4
            frame = [b""] * (width * len(cells))
            frame[1::width] = cells
            if ranged:
                frame[3::8] = [b",,"] * len(cells)
                frame[5::8] = [b","] * len(cells)
            self._frames = {key: frame}
        return self._frames[key]


def _ahead_months(row) -> list:
    """The checked months after the next of an `ExportRow` (`result_months.months_of`)."""
    try:
        view = {"status": "ok", "forecast_block": row.forecast_block,
                "shop_ids": json.loads(row.shop_ids_json),
                "forecasts": json.loads(row.forecasts_json), "total": row.total,
                "ahead": json.loads(row.ahead_json)}
    except (TypeError, ValueError):
        return []
    return months_of(view)[1:]


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
    out = {**head, "shop_ids": shops, "forecasts": values, "total": row.total}
    try:   # the layouts check the range and the months after the next against the forecasts
        if row.p10_json is not None:
            out.update(p10=json.loads(row.p10_json), p90=json.loads(row.p90_json or "null"),
                       total_p10=row.total_p10, total_p90=row.total_p90)
        if row.ahead_json is not None:
            out["ahead"] = json.loads(row.ahead_json)
    except ValueError:
        return None
    return out
