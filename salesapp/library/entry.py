"""One kept model's card summary, read from its bundle folder without loading the model.

Reading is cheap (no numpy, no LightGBM): the manifest's bytes give the version, and card.json is
read only once its SHA-256 matches the manifest, so the figures listed are the trained ones. The
full check of every file is `bundle.verify`, run when a model is activated or loaded.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from salesapp.errors import BundleError

MANIFEST = "manifest.json"   # bundle.MANIFEST: that module imports numpy, the listing must not
CARD = "card.json"
VERSION_RE = re.compile(r"[0-9a-f]{12}")


@dataclass(frozen=True)
class LibraryEntry:
    """A kept model: where it is, whether it is the bundled one or the active one, its card."""

    version: str
    path: Path
    builtin: bool
    active: bool
    forecast_block: int | None      # the month it forecasts (date_block_num)
    first_block: int | None         # the data period it was trained on, months inclusive
    last_block: int | None
    backtest_model: float | None    # mean backtest RMSE of the model ...
    backtest_naive: float | None    # ... and of the best naive baseline (last month, mean of 3)
    size_bytes: int
    created: datetime               # when the bundle was written (UTC)

    @property
    def backtest_ratio(self) -> float | None:
        """Model RMSE / best naive RMSE (below 1: the model beats the naive forecasts)."""
        if self.backtest_model is None or not self.backtest_naive:
            return None
        return self.backtest_model / self.backtest_naive


def manifest_version(directory: Path) -> str:
    """A bundle folder's version from its manifest's bytes (`bundle.version_of`'s rule)."""
    try:
        text = (directory / MANIFEST).read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise BundleError(f"{directory} is not a model bundle: {MANIFEST} is missing") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BundleError(f"{directory / MANIFEST} could not be read ({reason_of(exc)})") from None
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def read_entry(directory: Path, *, builtin: bool, active: bool) -> LibraryEntry:
    """The entry of one bundle folder; BundleError naming the file when it is not sound."""
    version = manifest_version(directory)
    card = _checked_card(directory)
    forecast = _block(card.get("forecast_block"))
    months = _block(card.get("months"))
    first = forecast - months if forecast is not None and months else None
    mean = (card.get("backtest") or {}).get("mean") if isinstance(card.get("backtest"), dict) \
        else None
    model = naive = None
    if isinstance(mean, dict):
        model = _number(mean.get("model"))
        naives = [x for x in (_number(mean.get(k)) for k in ("last_month", "mean_last3"))
                  if x is not None]
        naive = min(naives) if naives else None
    return LibraryEntry(version=version, path=directory, builtin=builtin, active=active,
                        forecast_block=forecast, first_block=first,
                        last_block=forecast - 1 if first is not None else None,
                        backtest_model=model, backtest_naive=naive,
                        size_bytes=_size(directory), created=_created(directory, card))


def _checked_card(directory: Path) -> dict:
    mpath, cpath = directory / MANIFEST, directory / CARD
    try:
        manifest = json.loads(mpath.read_bytes().decode("utf-8"))
        data = cpath.read_bytes()
    except FileNotFoundError as exc:
        raise BundleError(f"model bundle {directory} is missing {Path(exc.filename).name}"
                          ) from None
    except (OSError, ValueError, RecursionError) as exc:
        raise BundleError(f"{mpath} is not a manifest ({reason_of(exc)})") from None
    if not isinstance(manifest, dict) or manifest.get(CARD) != hashlib.sha256(data).hexdigest():
        raise BundleError(f"{cpath} does not match its SHA-256 in {MANIFEST}; "
                          "the bundle was modified or damaged")
    try:
        card = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise BundleError(f"{cpath} is not a model card ({reason_of(exc)})") from None
    if not isinstance(card, dict):
        raise BundleError(f"{cpath} must hold a JSON object, not {type(card).__name__}")
    return card


def _block(value) -> int | None:
    """A month count or block number from the card; None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 10_000:
        return None
    return value


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _size(directory: Path) -> int:
    total = 0
    for path in directory.iterdir():
        try:
            total += path.stat().st_size if path.is_file() else 0
        except OSError:
            continue
    return total


def _created(directory: Path, card: dict) -> datetime:
    """The card's `created` (ISO time) if it has one, else when the manifest was written (the
    library copies bundles keeping their times)."""
    stamp = card.get("created")
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp)
            return when if when.tzinfo else when.replace(tzinfo=UTC)
        except ValueError:
            pass
    try:
        return datetime.fromtimestamp((directory / MANIFEST).stat().st_mtime, UTC)
    except OSError:
        return datetime.fromtimestamp(0, UTC)


def reason_of(exc: BaseException) -> str:
    """An OS error's words (its strerror), else the exception's text or its type's name."""
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
