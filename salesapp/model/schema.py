"""The file schema of the 1C sales data: files, columns, and the kind and dtype of each."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Block 0 is January 2013: block = (year - 2013) * 12 + month - 1.
FIRST_YEAR = 2013
DATE_FORMAT = "%d.%m.%Y"


@dataclass(frozen=True)
class Column:
    """One expected column: its name, kind ("int", "float", "str", "date") and final dtype."""

    name: str
    kind: str
    dtype: object = None
    minimum: float | None = None  # smallest valid value (ids are never negative)


@dataclass(frozen=True)
class FileSpec:
    """One file of the data set: accepted base names (first match wins) and its columns."""

    key: str
    names: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = True


SALES = FileSpec("sales", ("sales_train", "train"), (
    Column("date", "date"),
    Column("date_block_num", "int", np.int8, 0),
    Column("shop_id", "int", np.int8, 0),
    Column("item_id", "int", np.int32, 0),
    Column("item_price", "float", np.float32),
    Column("item_cnt_day", "float", np.float32),
))
ITEMS = FileSpec("items", ("items",), (
    Column("item_name", "str"),
    Column("item_id", "int", np.int32, 0),
    Column("item_category_id", "int", np.int16, 0),
))
CATEGORIES = FileSpec("categories", ("item_categories",), (
    Column("item_category_name", "str"),
    Column("item_category_id", "int", np.int16, 0),
))
SHOPS = FileSpec("shops", ("shops",), (
    Column("shop_name", "str"),
    Column("shop_id", "int", np.int8, 0),
))
TEST = FileSpec("test", ("test",), (
    Column("ID", "int", np.int32, 0),
    Column("shop_id", "int", np.int8, 0),
    Column("item_id", "int", np.int32, 0),
), required=False)

ALL_FILES = (SALES, ITEMS, CATEGORIES, SHOPS, TEST)
EXTENSIONS = (".csv", ".csv.gz")

# Largest value each integer dtype can hold, to refuse ids that would wrap around.
INT_LIMITS = {np.int8: 127, np.int16: 32767, np.int32: 2**31 - 1}
