"""The model bundle: LightGBM text model, JSON card/state, CSV tables, npz history, SHA-256 manifest.

Nothing in a bundle is unpickled: the history is read with `allow_pickle=False`, the rest is text.
The manifest is checked before any file is parsed, so a swapped or truncated file is refused.
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from salesapp.errors import BundleError
from salesapp.model.features import MonthlyHistory

if TYPE_CHECKING:
    import pandas as pd

MANIFEST = "manifest.json"
FILES = ("model.txt", "card.json", "state.json", "history.npz", "items.csv", "categories.csv",
         "shops.csv")


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(out: Path) -> str:
    """Hash every bundle file into manifest.json; returns the model version."""
    manifest = {name: sha256(out / name) for name in FILES}
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
    text = mpath.read_text(encoding="utf-8")
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BundleError(f"{mpath} is not valid JSON (line {exc.lineno})") from None
    for name in FILES:
        if name not in manifest:
            raise BundleError(f"{mpath} does not list {name}; the bundle is incomplete")
        path = d / name
        if not path.is_file():
            raise BundleError(f"model bundle {d} is missing {name}")
        if sha256(path) != manifest[name]:
            raise BundleError(f"{path} does not match its SHA-256 in {MANIFEST}; "
                              "the bundle was modified or damaged, retrain or reinstall it")
    return version_of(text)


def save_history(path: Path, hist: MonthlyHistory) -> None:
    """Monthly history as plain numpy arrays (no objects, so no pickle)."""
    np.savez_compressed(path, month=hist.month, shop=hist.shop, item=hist.item, cnt=hist.cnt,
                        price=hist.price)


def load_history(path: Path) -> MonthlyHistory:
    """Read the history written by `save_history`, refusing pickled content."""
    with np.load(path, allow_pickle=False) as z:
        return MonthlyHistory(z["month"], z["shop"], z["item"], z["cnt"], z["price"])


def write_bundle(out: str | Path, model_text: str, card: dict, state: dict,
                 hist: MonthlyHistory, tables: dict) -> str:
    """Write every bundle file and the manifest; `tables`: name -> DataFrame. Returns the version."""
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    (d / "model.txt").write_text(model_text, encoding="utf-8")
    (d / "card.json").write_text(json.dumps(card, indent=1, sort_keys=True), encoding="utf-8")
    (d / "state.json").write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    save_history(d / "history.npz", hist)
    for name in ("items", "categories", "shops"):
        tables[name].to_csv(d / f"{name}.csv", index=False, encoding="utf-8")
    return write_manifest(d)


def shop_aliases(directory: str | Path) -> dict[int, int]:
    """Duplicate shop id -> kept id that the bundle's history was merged under ({} if none)."""
    state = json.loads((Path(directory) / "state.json").read_text(encoding="utf-8"))
    return {int(k): int(v) for k, v in state.get("shop_aliases", {}).items()}


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


def read_columns(path: Path, *names: str) -> dict[str, list[str]]:
    """Named columns of one of the bundle's CSV tables, as text (we wrote them: no sniffing).

    The csv module rather than pandas: the prediction path then never imports pandas.
    """
    with open(path, encoding="utf-8", newline="") as f:
        header, *rows = (row for row in csv.reader(f) if row)   # blank lines: no rows
    columns = list(zip(*rows)) if rows else [() for _ in header]
    return {n: list(columns[header.index(n)]) for n in names}
