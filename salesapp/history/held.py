"""`WorkingHistory`: the sales history the desk holds, as monthly sums plus the reference tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from salesapp.history import months as month_names
from salesapp.model import cleaning
from salesapp.model.features import MonthlyHistory

ORIGIN_DEFAULT = "default"   # seeded from the bundled default data; the first import replaces it
ORIGIN_IMPORT = "import"

# the columns in the order a bundle trained from the files keeps them
ITEM_COLUMNS = ["item_id", "item_category_id", "item_name"]
CATEGORY_COLUMNS = ["item_category_name", "item_category_id"]
SHOP_COLUMNS = ["shop_name", "shop_id"]


@dataclass
class WorkingHistory:
    """The held history: what a model is trained on, without the daily rows.

    - `raw`: monthly sums per (month, shop, item) under the shop ids the imported files used,
      cleaned month by month (`salesapp.history.monthly_cleaning`); `monthly()` gives them with
      duplicate shops merged, which is what training and a bundle use.
    - `items` (item_id, item_category_id, item_name), `categories` (item_category_name,
      item_category_id), `shops` (shop_name, shop_id): every row ever imported, the newest
      import's row winning for an id.
    - `meta`: `origin` ("default" or "import"), `months` (block as text -> daily_rows,
      outliers_dropped, negative_prices_fixed, quantiles, first_date, last_date, imported) and
      `imports` (one entry per import: when, source, files, months_added, months_replaced,
      daily_rows).
    - `folder`: the generation folder it was read from (None before it is written);
      `notice`: one sentence when a damaged history was set aside on the way (else None).
    """

    raw: MonthlyHistory
    items: pd.DataFrame
    categories: pd.DataFrame
    shops: pd.DataFrame
    meta: dict
    folder: Path | None = None
    notice: str | None = None
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def months(self) -> list[int]:
        """The month blocks held, in order."""
        return sorted(int(m) for m in self.meta["months"])

    @property
    def is_default(self) -> bool:
        """True while the history is still the bundled default data (no import yet)."""
        return self.meta.get("origin") == ORIGIN_DEFAULT

    @property
    def last_import(self) -> dict | None:
        """The newest entry of meta["imports"], or None."""
        imports = self.meta.get("imports") or []
        return imports[-1] if imports else None

    @property
    def first_date(self) -> str | None:
        """dd.mm.yyyy of the first daily row held."""
        return self._date("first_date", min)

    @property
    def last_date(self) -> str | None:
        """dd.mm.yyyy of the last daily row held."""
        return self._date("last_date", max)

    def _date(self, key: str, pick) -> str | None:
        dates = [m[key] for m in self.meta["months"].values()]
        if not dates:
            return None
        return pick(dates, key=lambda d: tuple(reversed(d.split("."))))

    @property
    def daily_rows(self) -> int:
        """Daily rows the monthly sums were made of (after cleaning)."""
        return sum(int(m["daily_rows"]) for m in self.meta["months"].values())

    def _activity(self) -> pd.DataFrame:
        return pd.DataFrame({"shop_id": self.raw.shop, "date_block_num": self.raw.month})

    @property
    def shop_aliases(self) -> dict[int, int]:
        """Duplicate shop id -> kept id, detected over every month held (the loader's rule)."""
        if "aliases" not in self._cache:
            self._cache["aliases"] = cleaning.detect_shop_aliases(self.shops, self._activity())
        return self._cache["aliases"]

    def monthly(self) -> MonthlyHistory:
        """Monthly sums with duplicate shops merged, sorted by (month, shop, item): the
        `MonthlyHistory` that `train_history` takes and a bundle keeps.

        Merged shops never sold in the same month (the alias rule), so merging only relabels
        rows: no two rows fall on the same (month, shop, item).
        """
        if "monthly" not in self._cache:
            raw, aliases = self.raw, self.shop_aliases
            shop = raw.shop
            if aliases:
                lookup = np.arange(max(int(shop.max(initial=0)), *aliases) + 1, dtype=np.int16)
                for old, new in aliases.items():
                    lookup[old] = new
                shop = lookup[shop]
            order = np.lexsort((raw.item, shop, raw.month))
            self._cache["monthly"] = MonthlyHistory(raw.month[order], shop[order],
                                                    raw.item[order], raw.cnt[order],
                                                    raw.price[order])
        return self._cache["monthly"]

    def sales_frame(self) -> pd.DataFrame:
        """`monthly()` as a frame with the loader's column names (date_block_num, shop_id,
        item_id, item_cnt_month, item_price): for the cleaning and evaluation helpers."""
        h = self.monthly()
        return pd.DataFrame({"date_block_num": h.month, "shop_id": h.shop, "item_id": h.item,
                             "item_cnt_month": h.cnt, "item_price": h.price})

    @property
    def event_shops(self) -> list[int]:
        """Shops that only ran sale events (the loader's rule, on the merged shops)."""
        return cleaning.find_event_shops(self.sales_frame())

    def open_shops(self) -> list[int]:
        """The shops a forecast of the month after the history covers (the loader's rule)."""
        return cleaning.open_shops(self.sales_frame(), self.event_shops)

    def summary(self) -> str:
        """One line: months held, monthly rows, items, shops."""
        return (f"{month_names.span(self.months)}, {len(self.raw.month):,} monthly sums, "
                f"{len(self.items):,} items, {len(self.shops):,} shops")
