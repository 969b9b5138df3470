"""The model bundle: LightGBM text model, JSON card/state, CSV tables, npz history, SHA-256 manifest.

Nothing in a bundle is unpickled: the history is read with `allow_pickle=False`, the rest is text.
The manifest is checked before any file is parsed, so a swapped or truncated file is refused.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from salesapp.errors import BundleError
from salesapp.model.features import MonthlyHistory
from salesapp.model.id_input import ID_LIMIT  # one id range everywhere

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
FILES = ("model.txt", "card.json", "state.json", "history.npz", "items.csv", "categories.csv",
         "shops.csv")
# the models of the months after the next (`horizons`), in order: a bundle has none (trained
# before horizons, or asked for the next month only) or the first few; checked as model.txt is
HORIZON_FILES = ("model_h2.txt", "model_h3.txt")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out: Path) -> str:
    """Hash every bundle file (and the horizon models it has) into manifest.json; returns the
    model version."""
    names = FILES + tuple(n for n in HORIZON_FILES if (out / n).is_file())
    manifest = {name: sha256(out / name) for name in names}
    text = json.dumps(manifest, indent=1, sort_keys=True)
    (out / MANIFEST).write_text(text, encoding="utf-8")
    return version_of(text)


def version_of(manifest_text: str) -> str:
    """Model version: the first 12 hex chars of the manifest's SHA-256."""
    return hashlib.sha256(manifest_text.encode("utf-8")).hexdigest()[:12]


def verify(directory: str | Path) -> str:
    """Check every file against the manifest; returns the version or raises BundleError."""
    d = Path(directory)
    mpath = d / MANIFEST
    if not mpath.is_file():
        raise BundleError(f"{d} is not a model bundle: {MANIFEST} is missing")
    text, manifest = _json_file(mpath)
    if not isinstance(manifest, dict):
        raise BundleError(f"{mpath} is not a manifest: it must be an object of file names and "
                          "SHA-256s")
    for name in FILES + horizon_files(manifest, mpath):
        if name not in manifest:
            raise BundleError(f"{mpath} does not list {name}; the bundle is incomplete")
        if not isinstance(manifest[name], str):
            raise BundleError(f"{mpath}: the SHA-256 of {name} is not text")
        path = d / name
        if not path.is_file():
            raise BundleError(f"model bundle {d} is missing {name}")
        if sha256(path) != manifest[name]:
            raise BundleError(f"{path} does not match its SHA-256 in {MANIFEST}; "
                              "the bundle was modified or damaged, retrain or reinstall it")
    return version_of(text)


def horizon_files(manifest: dict, mpath: Path) -> tuple[str, ...]:
    """The HORIZON_FILES a manifest lists: the first few, with none left out before the last."""
    listed = tuple(n for n in HORIZON_FILES if n in manifest)
    if listed != HORIZON_FILES[:len(listed)]:
        missing = next(n for n in HORIZON_FILES if n not in manifest)
        raise BundleError(f"{mpath} lists {listed[-1]} but not {missing}; the bundle is "
                          "incomplete")
    return listed


def _json_file(path: Path) -> tuple[str, object]:
    """(text, parsed) of one of the bundle's JSON files; BundleError for bytes that are not JSON."""
    try:
        text = path.read_bytes().decode("utf-8")
        return text, json.loads(text)
    except UnicodeDecodeError as exc:
        raise BundleError(f"{path} is not text (byte {exc.start + 1} is not UTF-8); "
                          "the bundle is damaged, retrain or reinstall it") from None
    except json.JSONDecodeError as exc:
        raise BundleError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno})"
                          ) from None
    except RecursionError:
        raise BundleError(f"{path} is nested too deeply to be one of our JSON files") from None
    except OSError as exc:
        raise BundleError(f"{path} could not be read ({exc.strerror or exc})") from None


def read_json_object(path: Path) -> dict:
    """A JSON object file of the bundle (card.json, state.json); BundleError if it is not one."""
    data = _json_file(path)[1]
    if not isinstance(data, dict):
        raise BundleError(f"{path} must hold a JSON object, not {type(data).__name__}")
    return data




def _whole(path: Path, key: str, value: object) -> int:
    """`value` as an id-range whole number (JSON int, not bool), else BundleError naming `key`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < ID_LIMIT:
        raise BundleError(f"{path}: {key} must be a whole number from 0 to {ID_LIMIT - 1}, "
                          f"not {_short(value)}")
    return value


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, float) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_state(directory: str | Path) -> tuple[int, list[int]]:
    """(forecast_block, open_shops) from state.json, checked: BundleError naming the key if wrong.

    The manifest vouches only that the file is the one it lists, so the values are checked too:
    a block or shop id out of range would overflow the int64 features or forecast nonsense.
    """
    path = Path(directory) / "state.json"
    state = read_json_object(path)
    for key in ("forecast_block", "open_shops"):
        if key not in state:
            raise BundleError(f"{path} has no {key}; the bundle is incomplete")
    block = _whole(path, "forecast_block", state["forecast_block"])
    shops = state["open_shops"]
    if not isinstance(shops, list) or not shops:
        raise BundleError(f"{path}: open_shops must be a non-empty list of shop ids, not "
                          f"{_short(shops)}")
    ids = [_whole(path, f"open_shops item {n + 1}", s) for n, s in enumerate(shops)]
    if len(set(ids)) != len(ids):
        dup = next(i for n, i in enumerate(ids) if i in ids[:n])
        raise BundleError(f"{path}: open_shops lists shop {dup} more than once")
    return block, ids


def save_history(path: Path, hist: MonthlyHistory) -> None:
    """Monthly history as plain numpy arrays (no objects, so no pickle)."""
    np.savez_compressed(path, month=hist.month, shop=hist.shop, item=hist.item, cnt=hist.cnt,
                        price=hist.price)


def load_history(path: Path) -> MonthlyHistory:
    """Read the history written by `save_history`, refusing pickled content."""
    with np.load(path, allow_pickle=False) as z:
        return MonthlyHistory(z["month"], z["shop"], z["item"], z["cnt"], z["price"])


def write_bundle(out: str | Path, model_text: str, card: dict, state: dict,
                 hist: MonthlyHistory, tables: dict, horizon_texts: tuple[str, ...] = ()) -> str:
    """Write every bundle file and the manifest; `tables`: name -> DataFrame; `horizon_texts`:
    the models of the months after the next, in order (HORIZON_FILES). Returns the version."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    if len(horizon_texts) > len(HORIZON_FILES):
        raise ValueError(f"a bundle holds at most {len(HORIZON_FILES) + 1} months' models")
    (d / "model.txt").write_text(model_text, encoding="utf-8")
    for name in HORIZON_FILES:   # a folder written again keeps no model of an earlier bundle
        (d / name).unlink(missing_ok=True)
    for name, text in zip(HORIZON_FILES, horizon_texts):
        (d / name).write_text(text, encoding="utf-8")
    (d / "card.json").write_text(json.dumps(card, indent=1, sort_keys=True), encoding="utf-8")
    (d / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    save_history(d / "history.npz", hist)
    for name in ("items", "categories", "shops"):
        write_table(d / f"{name}.csv", tables[name])
    return write_manifest(d)


def shop_aliases(directory: str | Path) -> dict[int, int]:
    """Duplicate shop id -> kept id that the bundle's history was merged under ({} if none)."""
    path = Path(directory) / "state.json"
    aliases = read_json_object(path).get("shop_aliases", {})
    try:
        return {int(k): _whole(path, f"shop_aliases {k!r}", v) for k, v in aliases.items()}
    except (AttributeError, ValueError, TypeError):
        raise BundleError(f"{path}: shop_aliases must map shop ids to shop ids") from None


def alias_pairs(pairs: pd.DataFrame, directory: str | Path) -> pd.DataFrame:
    """(shop_id, item_id) pairs with duplicate shop ids replaced by the id their history is under.

    The loader merges a shop's two ids into one; a test.csv that still names the other id must
    be forecast from the merged history, not as a shop that never sold anything.
    """
    aliases = shop_aliases(directory)
    if not aliases:
        return pairs
    shop = pairs["shop_id"].to_numpy(np.int64)
    import pandas as pd
    return pairs.assign(shop_id=pd.Series(shop).replace(aliases).to_numpy(np.int64))


def write_table(path: Path, table: pd.DataFrame) -> None:
    """One of the bundle's CSV tables, in the form `read_columns` reads back exactly.

    `csv.writer` with its `\r\n` line end quotes any cell holding a comma, a quote, `\n` or
    `\r`. pandas' `to_csv` ends lines with `\n` and so leaves a bare `\r` in a name unquoted,
    which the reader takes for the end of the row (the bundle then did not load). Missing
    values are empty cells, as pandas writes them.
    """
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(list(table.columns))
        writer.writerows([_cell(v) for v in row]
                         for row in table.itertuples(index=False, name=None))


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def read_columns(path: Path, *names: str) -> dict[str, list[str]]:
    """Named columns of one of the bundle's CSV tables, as text (we wrote them: no sniffing).

    The csv module rather than pandas: the prediction path then never imports pandas.
    """
    with open(path, encoding="utf-8", newline="") as f:
        header, *rows = (row for row in csv.reader(f) if row)   # blank lines: no rows
    columns = list(zip(*rows)) if rows else [() for _ in header]
    return {n: list(columns[header.index(n)]) for n in names}
