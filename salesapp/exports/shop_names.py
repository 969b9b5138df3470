"""Shop names for an export, read from a model bundle's shops.csv without loading the model."""

from __future__ import annotations

import csv
from pathlib import Path

SHOPS = "shops.csv"


def shop_names_of(model_dir: str | Path) -> tuple[dict[int, str], str | None]:
    """({shop id: name}, None), or ({}, why) when the bundle's shop table cannot be read: an
    export without names is still an export (its shop_name cells are then empty)."""
    path = Path(model_dir) / SHOPS
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        return {int(r["shop_id"]): r["shop_name"] or "" for r in rows}, None
    except OSError as exc:
        return {}, f"{path} cannot be read ({exc.strerror or exc})"
    except (KeyError, ValueError, TypeError, csv.Error, UnicodeDecodeError):
        return {}, f"{path} is not a table of shop_id and shop_name"
