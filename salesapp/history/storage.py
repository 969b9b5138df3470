"""The held history on disk: numbered generation folders under `user_data_dir()/"history"`.

    history/g000007/   history.npz  items.csv  item_categories.csv  shops.csv  meta.json
                       manifest.json   (SHA-256 of the others, written last)

The current history is the highest-numbered generation. An import writes a complete new folder
under a temporary name and renames it to the next number: a rename is atomic, so a reader sees
the old history or the new one, never half of one, and two imports racing for the same number
cannot both win (the loser's rename fails on the existing folder). The generation before the
current one is kept (a reader may still be in it); older ones are removed.

Everything read back is checked (manifest, then every file's content): the files are ours, but
a disk, a sync tool or a hand can damage them. A damaged generation is renamed to
`damaged-g000007-<time>` and the one before it (or, if none is left, the bundled default data)
is used instead; `load` says so in one sentence.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.errors import InputError
from salesapp.history.errors import ConcurrentImport, DamagedHistory, HistoryError
from salesapp.history.held import (
    CATEGORY_COLUMNS,
    ITEM_COLUMNS,
    ORIGIN_DEFAULT,
    ORIGIN_IMPORT,
    SHOP_COLUMNS,
    WorkingHistory,
)
from salesapp.model import schema
from salesapp.model.bundle import load_history, save_history, sha256, write_table
from salesapp.model.dataset import read_table
from salesapp.model.features import MonthlyHistory

FORMAT = 1
MANIFEST = "manifest.json"
META = "meta.json"
HISTORY = "history.npz"
# The reference tables under the 1C file names: the loader's own checks read them back.
TABLES = {"items": ("items.csv", schema.ITEMS, ITEM_COLUMNS, "item_id"),
          "categories": ("item_categories.csv", schema.CATEGORIES, CATEGORY_COLUMNS,
                         "item_category_id"),
          "shops": ("shops.csv", schema.SHOPS, SHOP_COLUMNS, "shop_id")}
FILES = (HISTORY, META, *(entry[0] for entry in TABLES.values()))
GENERATION = re.compile(r"^g(\d{6})$")
KEEP_GENERATIONS = 2   # the current one and the one before (a reader may still be in it)
ARRAYS = {"month": np.int16, "shop": np.int16, "item": np.int32, "cnt": np.float32,
          "price": np.float32}


def generations(root: Path) -> list[Path]:
    """The generation folders under `root`, oldest first."""
    if not root.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir()
             if (m := GENERATION.match(p.name)) and p.is_dir()]
    return [p for _, p in sorted(found)]


# -- writing ------------------------------------------------------------------------------------

def write_generation(root: Path, hist: WorkingHistory, base: Path | None) -> Path:
    """Write `hist` as the generation after `base` (the one it was planned on; None: the first).

    Raises ConcurrentImport if another generation appeared since `base` was read, and leaves no
    temporary folder behind on any failure.
    """
    current = generations(root)
    if (current[-1] if current else None) != base:
        raise ConcurrentImport("another import changed the held history while this one was "
                               "being checked; nothing of this one was kept, import it again")
    number = int(GENERATION.match(base.name).group(1)) + 1 if base else 1
    target = root / f"g{number:06d}"
    tmp = root / f"tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        try:
            root.mkdir(parents=True, exist_ok=True)
            _write_files(tmp, hist)
        except OSError as exc:   # disk full, permissions: the held history is as it was
            raise HistoryError(f"the held sales history could not be written in {root} "
                               f"({exc.strerror or exc}); it was left as it was") from None
        try:
            os.rename(tmp, target)
        except OSError:
            raise ConcurrentImport("another import wrote the held history at the same time; "
                                   "nothing of this one was kept, import it again") from None
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    _fsync_dir(root)
    _prune(root)
    hist.folder = target
    return target


def _write_files(d: Path, hist: WorkingHistory) -> None:
    d.mkdir()
    save_history(d / HISTORY, hist.raw)
    for key, (name, _, columns, _) in TABLES.items():
        write_table(d / name, getattr(hist, key)[columns])
    (d / META).write_text(json.dumps({"format": FORMAT, **hist.meta}, indent=1, sort_keys=True),
                          encoding="utf-8")
    for name in FILES:
        _fsync(d / name)
    manifest = json.dumps({name: sha256(d / name) for name in FILES}, indent=1, sort_keys=True)
    (d / MANIFEST).write_text(manifest, encoding="utf-8")
    _fsync(d / MANIFEST)
    _fsync_dir(d)


def _fsync(path: Path) -> None:
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name != "posix":   # Windows cannot open a folder for fsync
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune(root: Path) -> None:
    for old in generations(root)[:-KEEP_GENERATIONS]:
        shutil.rmtree(old, ignore_errors=True)
    for tmp in root.glob("tmp-*"):   # left by a killed import (its pid is gone)
        pid = tmp.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(tmp, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # exists but not ours, or a platform without signal 0
        return True
    return True


def set_aside(folder: Path, reason: str) -> Path:
    """Rename a damaged generation out of the way (kept for a person to look at)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept = folder.with_name(f"damaged-{folder.name}-{stamp}")
    n = 1
    while kept.exists():
        kept = folder.with_name(f"damaged-{folder.name}-{stamp}-{n}")
        n += 1
    try:
        os.rename(folder, kept)
    except FileNotFoundError:   # another process set it aside first
        pass
    if kept.exists():
        (kept / "DAMAGED.txt").write_text(reason + "\n", encoding="utf-8")
    return kept


# -- reading ------------------------------------------------------------------------------------

def read_generation(d: Path) -> WorkingHistory:
    """Read and check one generation folder; DamagedHistory(reason) if anything is wrong."""
    _verify_manifest(d)
    meta = _read_meta(d)
    tables = {key: _read_table(d, key) for key in TABLES}
    raw = _read_arrays(d)
    _check_consistent(d, raw, tables, meta)
    return WorkingHistory(raw, tables["items"], tables["categories"], tables["shops"], meta, d)


def _verify_manifest(d: Path) -> None:
    path = d / MANIFEST
    if not path.is_file():
        raise DamagedHistory(d, f"{MANIFEST} is missing (an import was cut off?)")
    manifest = _json(path)
    if not isinstance(manifest, dict):
        raise DamagedHistory(d, f"{MANIFEST} is not an object of file names and SHA-256s")
    for name in FILES:
        if not (d / name).is_file():
            raise DamagedHistory(d, f"{name} is missing")
        if manifest.get(name) != sha256(d / name):
            raise DamagedHistory(d, f"{name} does not match its SHA-256 in {MANIFEST}")


def _json(path: Path):
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, OSError) as exc:
        raise DamagedHistory(path.parent, f"{path.name} is not readable JSON ({exc})") from None


def _read_meta(d: Path) -> dict:
    meta = _json(d / META)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DamagedHistory(d, f"{META} is not a history description of format {FORMAT}")
    meta = {k: v for k, v in meta.items() if k != "format"}
    if meta.get("origin") not in (ORIGIN_DEFAULT, ORIGIN_IMPORT):
        raise DamagedHistory(d, f"{META} has no valid origin")
    months, imports = meta.get("months"), meta.get("imports")
    if not isinstance(months, dict) or not months or not isinstance(imports, list):
        raise DamagedHistory(d, f"{META} must list the months held and the imports")
    for key, month in months.items():
        _check_month(d, key, month)
    for n, entry in enumerate(imports, 1):
        _check_import(d, n, entry)
    return meta


def _check_month(d: Path, key: str, month) -> None:
    ok = (key.isdigit() and int(key) <= schema.INT_LIMITS[np.int8] and isinstance(month, dict)
          and all(_count(month.get(k)) for k in ("daily_rows", "outliers_dropped",
                                                 "negative_prices_fixed"))
          and isinstance(month.get("quantiles"), dict)
          and all(isinstance(month["quantiles"].get(c), float | int) for c in
                  ("item_price", "item_cnt_day"))
          and all(isinstance(month.get(k), str) and _block_of(month[k]) == int(key)
                  for k in ("first_date", "last_date")))
    if not ok:
        raise DamagedHistory(d, f"{META}: the entry of month {key!r} is incomplete or wrong")


def _check_import(d: Path, n: int, entry) -> None:
    ok = (isinstance(entry, dict)
          and all(isinstance(entry.get(k), str) for k in ("when", "source"))
          and isinstance(entry.get("files"), list)
          and all(isinstance(entry.get(k), list) and all(_count(m) for m in entry[k])
                  for k in ("months_added", "months_replaced"))
          and _count(entry.get("daily_rows")))
    if not ok:
        raise DamagedHistory(d, f"{META}: import {n} is incomplete or wrong")


def _count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _block_of(date: str) -> int | None:
    m = re.fullmatch(r"(\d\d)\.(\d\d)\.(\d{4})", date)
    return (int(m.group(3)) - schema.FIRST_YEAR) * 12 + int(m.group(2)) - 1 if m else None


def _read_table(d: Path, key: str) -> pd.DataFrame:
    name, spec, columns, id_col = TABLES[key]
    try:
        frame = read_table(d / name, spec)
    except InputError as exc:
        raise DamagedHistory(d, str(exc)) from None
    if frame[id_col].duplicated().any():
        raise DamagedHistory(d, f"{name} lists an {id_col} twice")
    return frame[columns].reset_index(drop=True)


def _read_arrays(d: Path) -> MonthlyHistory:
    try:
        with np.load(d / HISTORY, allow_pickle=False) as z:
            arrays = {k: z[k] for k in ARRAYS}
    except (ValueError, KeyError, OSError, EOFError) as exc:   # pickled, missing key, bad zip
        raise DamagedHistory(d, f"{HISTORY} cannot be read ({exc})") from None
    n = len(arrays["month"])
    for k, dtype in ARRAYS.items():
        a = arrays[k]
        if a.dtype != dtype or a.ndim != 1 or len(a) != n:
            raise DamagedHistory(d, f"{HISTORY}: {k} is not a column of {n} {np.dtype(dtype)}")
    return load_history(d / HISTORY)


def _check_consistent(d: Path, raw: MonthlyHistory, tables: dict, meta: dict) -> None:
    """The arrays against meta and the tables: months, known ids, finite values, unique keys."""
    held = np.array(sorted(int(m) for m in meta["months"]), dtype=np.int16)
    if not np.array_equal(np.unique(raw.month), held):
        raise DamagedHistory(d, f"the months in {HISTORY} are not the months {META} lists")
    checks = [(np.isin(raw.shop, tables["shops"]["shop_id"].to_numpy()), "a shop not in shops.csv"),
              (np.isin(raw.item, tables["items"]["item_id"].to_numpy()), "an item not in items.csv"),
              (np.isfinite(raw.cnt) & np.isfinite(raw.price), "a value that is not a number")]
    for ok, what in checks:
        if not ok.all():
            raise DamagedHistory(d, f"{HISTORY} holds {what}")
    key = (raw.month.astype(np.int64) << 40) | (raw.shop.astype(np.int64) << 32) | raw.item
    if len(key) > 1 and not (np.diff(key) > 0).all():
        raise DamagedHistory(d, f"{HISTORY} is not one sorted row per (month, shop, item)")
    cats = tables["categories"]["item_category_id"].to_numpy()
    if not np.isin(tables["items"]["item_category_id"].to_numpy(), cats).all():
        raise DamagedHistory(d, "items.csv names a category not in item_categories.csv")
