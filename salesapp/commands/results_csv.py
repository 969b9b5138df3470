"""The CSV of `salesapp results`: one row per (item, shop), failures and unknown ids one row each.

Columns `item_id,item_name,shop_id,forecast,error`, byte for byte what `csv.writer` writes, text
cells that a spreadsheet would run as formulas neutralised. 5,100 items x 44 shops is 224,400 rows:
the rows of a result are formatted from its stored integer thousandths through one table of texts
(`repr(k / 1000)`, what `csv.writer` writes for the float), not through a float each.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from salesapp.store.result_codec import shop_columns

FORMULA_START = ("=", "+", "-", "@")
COLUMNS = ["item_id", "item_name", "shop_id", "forecast", "error"]
END = ",\r\n"   # the empty error cell and csv.writer's line end
# Forecasts are clipped to [0, 20] units: 20,001 texts cover every one (others are formatted).
_TABLE_SIZE = 20_001


def neutralise(cell):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(cell, str) and cell.startswith(FORMULA_START):
        return "'" + cell
    return cell


def csv_line(cells: list) -> str:
    """One CSV line exactly as `csv.writer` writes it (quoting, `\\r\\n`)."""
    buf = io.StringIO()
    csv.writer(buf).writerow(cells)
    return buf.getvalue()


class ResultRows:
    """Formats stored results as CSV text; keeps the texts shared by every result."""

    def __init__(self):
        self._milli = [repr(k / 1000) for k in range(_TABLE_SIZE)]
        self._milli_of_text = dict(zip(map(str, range(_TABLE_SIZE)), self._milli))
        self._shops: list = []          # shop ids of the last result, and their cells
        self._shop_cells: list[str] = []
        self._shops_json = ""           # the same for results read as JSON text
        self._json_cells: list[str] = []

    def failure(self, item_id: int, reason: str) -> str:
        """The one row of a job that failed."""
        return csv_line([item_id, "", "", "", neutralise(reason)])

    def result(self, item_id: int, stored: dict) -> tuple[str, int]:
        """CSV text of one done job's rows (stored or unpacked result) and how many rows."""
        name = neutralise(stored.get("item_name") or "")
        if stored.get("status") != "ok":
            return csv_line([item_id, name, "", "", neutralise(stored.get("error") or "")]), 1
        shops, values, milli = shop_columns(stored)
        if not shops:
            return "", 0
        # Only the text cells can carry a formula; ids and forecasts are numbers. The id and name
        # are formatted once per item.
        start = csv_line([item_id, name])[:-2]
        cells = [c + t for c, t in zip(self._cells(shops), self._texts(values, milli))]
        return start + (END + start).join(cells) + END, len(cells)

    def exported(self, row) -> tuple[str, int] | None:
        """CSV text and row count of a `store.export_rows()` row; None: read the whole result.

        Needs the stored result's shop ids and thousandths as JSON text (the current layout).
        """
        if row.status != "ok":
            name = neutralise(row.item_name or "")
            return csv_line([row.item_id, name, "", "", neutralise(row.error or "")]), 1
        if row.shop_ids_json is None or row.forecasts_milli_json is None:
            return None
        texts = row.forecasts_milli_json[1:-1]
        try:
            texts = [self._milli_of_text[k] for k in texts.split(",")] if texts else []
        except KeyError:   # outside the table (rare): the whole result is read
            return None
        cells = [c + t for c, t in zip(self._cells_of_json(row.shop_ids_json), texts)]
        if not cells:
            return "", 0
        start = csv_line([row.item_id, neutralise(row.item_name or "")])[:-2]
        return start + (END + start).join(cells) + END, len(cells)

    def _cells_of_json(self, shops_json: str) -> list[str]:
        if shops_json != self._shops_json:
            self._shops_json = shops_json
            self._json_cells = [f",{s}," for s in json.loads(shops_json)]
        return self._json_cells

    def _cells(self, shops: list) -> list[str]:
        # Every result of a bundle names the same open shops: their cells are made once.
        if shops != self._shops:
            self._shops, self._shop_cells = list(shops), [f",{s}," for s in shops]
        return self._shop_cells

    def _texts(self, values: list, milli: bool) -> list[str]:
        if not milli:
            return [f"{v}" for v in values]
        if values and 0 <= min(values) and max(values) < _TABLE_SIZE:
            table = self._milli
            return [table[k] for k in values]
        return [repr(k / 1000) for k in values]


def result_chunks(store) -> Iterator[tuple[str, int]]:
    """(CSV text, rows) per finished job, in item id order: results, failures, unknown ids."""
    rows = ResultRows()
    for row in store.export_rows():
        if row.state == "failed":
            yield rows.failure(row.item_id, row.job_error or "failed"), 1
        elif row.has_result:
            text = rows.exported(row)
            if text is None:   # an older or non-thousandths layout: the whole stored result
                stored = next(store.results_of([(row.model_version, row.item_id)], packed=True))
                text = rows.result(row.item_id, stored)
            yield text
