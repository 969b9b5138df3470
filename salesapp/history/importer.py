"""Importing sales files into the held history: read and check everything, then write.

`plan_import` reads the files with the loader's checks (`salesapp.model.dataset`: one sentence
naming file, line and column), cleans them month by month and works out what would change;
nothing is written. `apply_import` then writes the new history as a whole new generation
(`salesapp.history.storage`), or refuses months already held unless told to replace them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.errors import InputError
from salesapp.history import months as month_names
from salesapp.history import storage
from salesapp.history.errors import OverlapError
from salesapp.history.held import (
    CATEGORY_COLUMNS,
    ITEM_COLUMNS,
    ORIGIN_DEFAULT,
    ORIGIN_IMPORT,
    SHOP_COLUMNS,
    WorkingHistory,
)
from salesapp.history.monthly_cleaning import clean_months
from salesapp.model import schema
from salesapp.model.dataset import (
    check_blocks,
    check_known,
    check_unique,
    find_file,
    parse_dates,
    read_table,
)
from salesapp.model.features import MonthlyHistory, monthly_history

REFERENCE = {"items": (schema.ITEMS, "item_id", ITEM_COLUMNS, "items"),
             "categories": (schema.CATEGORIES, "item_category_id", CATEGORY_COLUMNS,
                            "categories"),
             "shops": (schema.SHOPS, "shop_id", SHOP_COLUMNS, "shops")}
SPECS = {spec.key: spec for spec in schema.ALL_FILES}


@dataclass
class ImportPlan:
    """What an import would do, checked and ready to write (nothing is written yet).

    `months`: the month blocks in the files; `overlap`: those the history already holds
    (apply with replace=True to replace them); `replaces_default`: the held history is still the
    bundled default data, which the import replaces whole. `monthly`: the files' cleaned monthly
    sums; `tables`: the reference tables after the import; `month_meta`: what the history will
    record of each month.
    """

    source: str
    files: dict[str, Path]
    months: list[int]
    overlap: list[int]
    replaces_default: bool
    monthly: MonthlyHistory
    tables: dict[str, pd.DataFrame]
    month_meta: dict[str, dict]
    held: WorkingHistory

    @property
    def daily_rows(self) -> int:
        """Daily rows kept after cleaning."""
        return sum(m["daily_rows"] for m in self.month_meta.values())

    @property
    def outliers_dropped(self) -> int:
        """Daily rows dropped as absurd (price or count far above the month's usual ones)."""
        return sum(m["outliers_dropped"] for m in self.month_meta.values())


@dataclass
class ImportReport:
    """What an import did: months added and replaced, rows, and the history it left."""

    months_added: list[int]
    months_replaced: list[int]
    replaced_default: bool
    daily_rows: int
    outliers_dropped: int
    history: WorkingHistory = field(repr=False)

    def line(self) -> str:
        """One line for the user: what changed, then what the history now holds."""
        parts = ["replaced the bundled default data"] if self.replaced_default else []
        if self.months_replaced:
            parts.append(f"replaced {month_names.listing(self.months_replaced)}")
        if self.months_added:
            parts.append(f"added {month_names.listing(self.months_added)}")
        n = self.outliers_dropped
        dropped = f" ({n:,} absurd row{'s' if n != 1 else ''} dropped)" if n else ""
        h = self.history
        return (f"{', '.join(parts)}: {self.daily_rows:,} daily sales rows{dropped}; the "
                f"history now holds {month_names.span(h.months)}, {len(h.items):,} items, "
                f"{len(h.shops):,} shops")


def source_files(source) -> dict[str, Path]:
    """The 1C files of `source`, key -> path: a folder (found as the loader finds them) or a
    list of files (known by their names: sales_train.csv, items.csv, ...)."""
    paths = [Path(source)] if isinstance(source, str | Path) else [Path(p) for p in source]
    if len(paths) == 1 and paths[0].is_dir():
        found = {spec.key: find_file(paths[0], spec) for spec in schema.ALL_FILES}
        files = {k: p for k, p in found.items() if p is not None}
        where = paths[0]
    else:
        files, where = {}, paths[0].parent if paths else Path(".")
        for path in paths:
            key = _key_of(path)
            if key in files:
                raise InputError(f"two files are the same kind of file ({files[key].name} and "
                                 f"{path.name}); give one", path)
            files[key] = path
    if "sales" not in files:
        raise InputError("the data directory has no sales_train.csv or train.csv (plain or .gz)",
                         where)
    return files


def _key_of(path: Path) -> str:
    if not path.is_file():
        raise InputError("does not exist or is not a file", path)
    name = path.name.lower()
    for ext in sorted(schema.EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            base = name[:-len(ext)]
            for spec in schema.ALL_FILES:
                if base in spec.names:
                    return spec.key
    known = ", ".join(f"{n}.csv" for spec in schema.ALL_FILES for n in spec.names)
    raise InputError(f"is not one of the sales data files ({known}, plain or .gz)", path)


def plan_import(source, held: WorkingHistory) -> ImportPlan:
    """Read and check the files of `source` against `held`; nothing is written.

    Raises InputError naming file, line and column for the first problem found: a bad value,
    a date that contradicts its date_block_num, an item or shop in the sales that neither the
    files nor the held tables know. A first import (the held history is the bundled default)
    needs every reference file; a later one takes the held tables for files it lacks.
    """
    files = source_files(source)
    fresh = held.is_default
    sales = read_table(files["sales"], schema.SALES)
    blocks = parse_dates(files["sales"], sales)
    check_blocks(files["sales"], sales, blocks)
    tables, read = _tables(files, held, fresh)
    _check_ids(files, sales, tables, read, fresh)
    dates = _month_dates(sales, blocks)
    held_q = {} if fresh else {int(m): v["quantiles"] for m, v in held.meta["months"].items()}
    cleaned, report = clean_months(sales.drop(columns="date").reset_index(drop=True), held_q)
    month_meta = {str(m): {**r, **dates[m]} for m, r in report.items() if r["daily_rows"]}
    months = sorted(int(m) for m in month_meta)
    overlap = [] if fresh else sorted(set(months) & set(held.months))
    return ImportPlan(str(source if isinstance(source, str | Path) else files["sales"].parent),
                      files, months, overlap, fresh, monthly_history(cleaned), tables, month_meta,
                      held)


def _tables(files: dict, held: WorkingHistory, fresh: bool
            ) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(the reference tables after the import, the files' own rows with their line numbers);
    a file's row wins over the held row of the same id."""
    merged, read = {}, {}
    for key, (spec, id_col, columns, _) in REFERENCE.items():
        path = files.get(key)
        if path is None:
            if fresh:
                raise InputError(f"the first import needs {spec.names[0]}.csv beside the sales "
                                 "(the held history is still the bundled default data)",
                                 files["sales"].parent)
            merged[key] = getattr(held, key)
            continue
        read[key] = new = read_table(path, spec)
        check_unique(path, new, id_col)
        new = new[columns]
        if not fresh:
            kept = getattr(held, key)
            new = pd.concat([kept[~kept[id_col].isin(new[id_col])], new])
        merged[key] = new.sort_values(id_col, kind="stable").reset_index(drop=True)
    return merged, read


def _where(files: dict, key: str, fresh: bool) -> str:
    noun = REFERENCE[key][3]
    path = files.get(key)
    if path is None:
        return f"the history's {noun} (no {REFERENCE[key][0].names[0]}.csv was imported)"
    return path.name if fresh else f"{path.name} or the history's {noun}"


def _check_ids(files: dict, sales: pd.DataFrame, tables: dict, read: dict, fresh: bool) -> None:
    """The loader's cross-checks, against the tables as they will be after the import."""
    if "items" in read:
        check_known(files["items"], read["items"], "item_category_id",
                    tables["categories"]["item_category_id"], _where(files, "categories", fresh))
    check_known(files["sales"], sales, "item_id", tables["items"]["item_id"],
                _where(files, "items", fresh))
    check_known(files["sales"], sales, "shop_id", tables["shops"]["shop_id"],
                _where(files, "shops", fresh))


def _month_dates(sales: pd.DataFrame, blocks: np.ndarray) -> dict[int, dict[str, str]]:
    """first_date and last_date (dd.mm.yyyy) of every month block in the rows."""
    codes, uniques = pd.factorize(sales["date"])
    parsed = pd.to_datetime(pd.Series(uniques), format=schema.DATE_FORMAT).to_numpy()
    frame = pd.DataFrame({"block": blocks, "day": parsed[codes]})
    span = frame.groupby("block")["day"].agg(["min", "max"])
    fmt = schema.DATE_FORMAT
    return {int(b): {"first_date": pd.Timestamp(r["min"]).strftime(fmt),
                     "last_date": pd.Timestamp(r["max"]).strftime(fmt)}
            for b, r in span.iterrows()}


def apply_import(plan: ImportPlan, root: Path, replace: bool = False,
                 origin: str = ORIGIN_IMPORT) -> ImportReport:
    """Write the planned history as a new generation under `root`; the report of what changed.

    Months already held are refused (OverlapError naming them, nothing changed) unless
    `replace`, which replaces exactly those months. Raises ConcurrentImport if another import
    changed the history since the plan was made.
    """
    if plan.overlap and not replace:
        raise OverlapError(plan.source, plan.overlap, plan.held.months)
    held, fresh = plan.held, plan.replaces_default
    raw = plan.monthly if fresh else _combined(held.raw, plan.monthly, plan.months)
    when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    new_months = {k: {**v, "imported": when} for k, v in plan.month_meta.items()}
    months = new_months if fresh else {**{k: v for k, v in held.meta["months"].items()
                                          if int(k) not in plan.months}, **new_months}
    added = [m for m in plan.months if m not in plan.overlap]
    entry = {"when": when, "source": plan.source,
             "files": sorted(p.name for p in plan.files.values()),
             "months_added": added, "months_replaced": plan.overlap,
             "daily_rows": plan.daily_rows}
    imports = ([] if fresh else list(held.meta["imports"])) + [entry]
    meta = {"origin": origin, "months": dict(sorted(months.items(), key=lambda kv: int(kv[0]))),
            "imports": imports}
    hist = WorkingHistory(raw, plan.tables["items"], plan.tables["categories"],
                          plan.tables["shops"], meta)
    storage.write_generation(root, hist, held.folder if held.folder else None)
    return ImportReport(added, plan.overlap, fresh and origin == ORIGIN_IMPORT,
                        plan.daily_rows, plan.outliers_dropped, hist)


def _combined(held: MonthlyHistory, new: MonthlyHistory, months: list[int]) -> MonthlyHistory:
    """The held rows outside `months` plus the new rows, sorted by (month, shop, item)."""
    keep = ~np.isin(held.month, np.asarray(months, dtype=np.int16))
    parts = {k: np.concatenate([getattr(held, k)[keep], getattr(new, k).astype(
        getattr(held, k).dtype)]) for k in ("month", "shop", "item", "cnt", "price")}
    order = np.lexsort((parts["item"], parts["shop"], parts["month"]))
    return MonthlyHistory(**{k: v[order] for k, v in parts.items()})


def default_plan(data_dir: Path) -> ImportPlan:
    """The plan that seeds a fresh machine's history from the bundled default data."""
    empty = MonthlyHistory(*(np.empty(0, d) for d in storage.ARRAYS.values()))
    blank = WorkingHistory(empty, pd.DataFrame(columns=ITEM_COLUMNS),
                           pd.DataFrame(columns=CATEGORY_COLUMNS),
                           pd.DataFrame(columns=SHOP_COLUMNS),
                           {"origin": ORIGIN_DEFAULT, "months": {}, "imports": []})
    return plan_import(data_dir, blank)
