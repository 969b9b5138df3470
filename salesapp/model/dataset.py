"""Loading and validating the user's sales data directory into a cleaned `SalesData`.

Every check is vectorised: a numpy mask per rule, and only the first offending row is turned into
an `InputError` naming the file, the line as an editor shows it (header = line 1) and the column.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.errors import InputError
from salesapp.model import cleaning
from salesapp.model.csv_sniff import Sniffed, full_file_encoding, sniff
from salesapp.model.schema import (
    ALL_FILES,
    DATE_FORMAT,
    EXTENSIONS,
    FIRST_YEAR,
    INT_LIMITS,
    SALES,
    Column,
    FileSpec,
)

HEADER_LINES = 1


@dataclass
class SalesData:
    """The loaded, validated and cleaned data set.

    - `sales`: one row per daily record: `date_block_num` int8, `shop_id` int8, `item_id`
      int16/int32, `item_price` float32, `item_cnt_day` float32 (`date` is dropped once checked
      against `date_block_num`).
    - `items` (`item_id`, `item_name`, `item_category_id`), `categories` (`item_category_id`,
      `item_category_name`), `shops` (`shop_id`, `shop_name`), `test` (`ID`, `shop_id`,
      `item_id`) or None.
    - `shop_aliases`: duplicate shop id -> kept shop id, already applied to `sales` and `test`.
    - `event_shops`: shops that only ran sale events (a few lone months of activity).
    - `cleaning_report`: `outliers_dropped`, `negative_prices_fixed`, `thresholds`
      (see `salesapp.model.cleaning`).
    """

    sales: pd.DataFrame
    items: pd.DataFrame
    categories: pd.DataFrame
    shops: pd.DataFrame
    test: pd.DataFrame | None
    shop_aliases: dict[int, int] = field(default_factory=dict)
    event_shops: list[int] = field(default_factory=list)
    cleaning_report: dict = field(default_factory=dict)


def find_file(directory: Path, spec: FileSpec) -> Path | None:
    """The first existing file among the spec's accepted names, plain or gzip-compressed."""
    for name in spec.names:
        for ext in EXTENSIONS:
            candidate = directory / f"{name}{ext}"
            if candidate.is_file():
                return candidate
    return None


def _line(data: pd.DataFrame | pd.Series, row: int) -> int:
    """Editor line of positional row: the index keeps each row's position in the file."""
    return int(data.index[row]) + HEADER_LINES + 1


def _first(mask: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _header_columns(sniffed: Sniffed) -> list[str]:
    return [c.strip().strip('"').strip() for c in sniffed.header.split(sniffed.sep)]


def _check_header(path: Path, sniffed: Sniffed, spec: FileSpec) -> None:
    present = set(_header_columns(sniffed))
    for col in spec.columns:
        if col.name not in present:
            raise InputError(f"the header has no column {col.name!r} (found: "
                             f"{', '.join(sorted(present)) or 'nothing'})", path, 1, col.name)


def _read(path: Path, sniffed: Sniffed, spec: FileSpec, numeric_as_text: bool) -> pd.DataFrame:
    dtypes = {c.name: (str if numeric_as_text or c.kind in ("str", "date") else "float64")
              for c in spec.columns}
    try:
        # No usecols: with it pandas silently accepts rows with too many fields.
        frame = pd.read_csv(path, sep=sniffed.sep, encoding=sniffed.encoding,
                            compression=sniffed.compression, dtype=dtypes,
                            keep_default_na=False, na_values=[""], skipinitialspace=True,
                            skip_blank_lines=False)
        return _drop_blank_lines(frame[list(dtypes)])
    except UnicodeDecodeError:
        # Past the sniffed sample: decide on the whole file (raises at the first bad byte).
        encoding = full_file_encoding(path, sniffed.compression)
        return _read(path, dataclasses.replace(sniffed, encoding=encoding), spec,
                     numeric_as_text)
    except pd.errors.ParserError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise InputError("the row does not have the same number of fields as the header "
                         "(an unquoted separator or quote inside a name?)", path, line) from None
    except (OSError, EOFError) as exc:  # e.g. a truncated .gz
        raise InputError(f"cannot be read to the end ({exc})", path) from None


def _drop_blank_lines(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop rows of blank lines; the index keeps every other row's position for line numbers."""
    first = frame.iloc[:, 0].isna().to_numpy()
    if not first.any():
        return frame
    return frame.loc[~(first & frame.isna().all(axis=1).to_numpy())]


def read_table(path: str | Path, spec: FileSpec) -> pd.DataFrame:
    """Read one file of the schema, checked column by column; returns the final dtypes."""
    path = Path(path)
    sniffed = sniff(path)
    _check_header(path, sniffed, spec)
    try:
        frame = _read(path, sniffed, spec, numeric_as_text=False)
    except ValueError:
        # A non-numeric cell: read again as text to find which one (error path only).
        frame = _read(path, sniffed, spec, numeric_as_text=True)
        _find_non_numeric(path, frame, spec)
        raise InputError("a value is not a number", path) from None
    if frame.empty and spec.key == SALES.key:
        raise InputError("the file has a header but no rows", path, 2)
    for col in spec.columns:
        frame[col.name] = _validated(path, frame[col.name], col)
    return frame


def _find_non_numeric(path: Path, frame: pd.DataFrame, spec: FileSpec) -> None:
    for col in spec.columns:
        if col.kind not in ("int", "float"):
            continue
        text = frame[col.name]
        parsed = pd.to_numeric(text, errors="coerce")
        row = _first((parsed.isna() & text.notna()).to_numpy())
        if row is not None:
            raise InputError(f"{text.iloc[row]!r} is not a number", path, _line(text, row), col.name)


def _validated(path: Path, values: pd.Series, col: Column) -> pd.Series:
    """Check one column (empties, whole numbers, range) and convert it to its final dtype."""
    row = _first(values.isna().to_numpy())
    if row is not None:
        raise InputError("the value is empty", path, _line(values, row), col.name)
    if col.kind in ("str", "date"):
        return values
    arr = values.to_numpy()
    if col.kind == "float":
        return pd.Series(arr.astype(col.dtype), index=values.index, name=col.name)
    rules = [(arr != np.floor(arr), "is not a whole number")]
    if col.minimum is not None:
        rules.append((arr < col.minimum, f"is below {col.minimum:g}"))
    rules.append((arr > INT_LIMITS[col.dtype], f"is above {INT_LIMITS[col.dtype]}"))
    for mask, what in rules:
        row = _first(mask)
        if row is not None:
            raise InputError(f"{arr[row]:g} {what}", path, _line(values, row), col.name)
    return pd.Series(arr.astype(col.dtype), index=values.index, name=col.name)


def parse_dates(path: Path, frame: pd.DataFrame) -> np.ndarray:
    """Parse dd.mm.yyyy dates (once per distinct string) and return each row's month block."""
    codes, uniques = pd.factorize(frame["date"])
    parsed = pd.to_datetime(pd.Series(uniques), format=DATE_FORMAT, errors="coerce")
    bad_unique = parsed.isna().to_numpy()
    row = _first(bad_unique[codes])
    if row is not None:
        raise InputError(f"{frame['date'].iloc[row]!r} is not a date of the form dd.mm.yyyy",
                         path, _line(frame, row), "date")
    blocks = ((parsed.dt.year - FIRST_YEAR) * 12 + parsed.dt.month - 1).to_numpy()
    return blocks[codes]


def check_blocks(path: Path, frame: pd.DataFrame, blocks: np.ndarray) -> None:
    """Each row's date_block_num must be the month of its date (block 0 = January 2013)."""
    row = _first(frame["date_block_num"].to_numpy() != blocks)
    if row is not None:
        raise InputError(
            f"date_block_num {int(frame['date_block_num'].iloc[row])} contradicts the date "
            f"{frame['date'].iloc[row]} (that month is block {int(blocks[row])}, "
            "block 0 = January 2013)", path, _line(frame, row), "date_block_num")


def check_known(path: Path, frame: pd.DataFrame, column: str, known: pd.Series,
                where: str) -> None:
    """Every id in frame[column] must be listed in the reference file `where`."""
    row = _first(~np.isin(frame[column].to_numpy(), known.to_numpy()))
    if row is not None:
        raise InputError(f"{column} {int(frame[column].iloc[row])} is not in {where}",
                         path, _line(frame, row), column)


def check_unique(path: Path, frame: pd.DataFrame, column: str) -> None:
    """A reference file lists each id once (a second name for the same id is ambiguous)."""
    row = _first(frame[column].duplicated().to_numpy())
    if row is not None:
        raise InputError(f"{column} {int(frame[column].iloc[row])} is listed twice",
                         path, _line(frame, row), column)


def _required(directory: Path, spec: FileSpec) -> Path:
    path = find_file(directory, spec)
    if path is None:
        names = " or ".join(f"{n}.csv" for n in spec.names)
        raise InputError(f"the data directory has no {names} (plain or .gz)", directory)
    return path


def load_dataset(directory: str | Path, shop_aliases: dict[int, int] | None = None,
                 clean: bool = True) -> SalesData:
    """Load, validate and clean a data directory of the 1C schema into a `SalesData`.

    ``shop_aliases`` (duplicate shop id -> kept id) replaces the name-based detection when given
    (``{}``: no aliases). ``clean=False`` returns the validated rows without the cleaning steps.
    Raises InputError naming file, line and column for the first problem found.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("is not a directory", directory)
    paths = {spec.key: (_required(directory, spec) if spec.required else
                        find_file(directory, spec)) for spec in ALL_FILES}
    tables = {spec.key: read_table(paths[spec.key], spec)
              for spec in ALL_FILES if paths[spec.key] is not None}
    tables.setdefault("test", None)
    _cross_check(paths, tables)
    tables = {k: (None if t is None else t.reset_index(drop=True)) for k, t in tables.items()}
    sales = tables["sales"].drop(columns="date")
    data = SalesData(sales, tables["items"], tables["categories"], tables["shops"], tables["test"])
    return cleaning.clean(data, shop_aliases) if clean else data


def _cross_check(paths: dict, tables: dict) -> None:
    sales = tables["sales"]
    check_blocks(paths["sales"], sales, parse_dates(paths["sales"], sales))
    items, shops = tables["items"], tables["shops"]
    for key, column in (("items", "item_id"), ("categories", "item_category_id"),
                        ("shops", "shop_id")):
        check_unique(paths[key], tables[key], column)
    check_known(paths["items"], items, "item_category_id",
                tables["categories"]["item_category_id"], paths["categories"].name)
    check_known(paths["sales"], sales, "item_id", items["item_id"], paths["items"].name)
    check_known(paths["sales"], sales, "shop_id", shops["shop_id"], paths["shops"].name)
    if tables["test"] is not None:
        check_known(paths["test"], tables["test"], "item_id", items["item_id"], paths["items"].name)
        check_known(paths["test"], tables["test"], "shop_id", shops["shop_id"], paths["shops"].name)
