"""Where the actual sales of a model's forecast month come from: a data folder or the held history.

Qt-free; `salesapp accuracy` and the window's forecast-versus-actual view both read through it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path


def month_sales_for(predictor, data_dir: str | Path | None,
                    month_name: Callable[[int], str]) -> tuple[object, str | None]:
    """(MonthSales of `predictor`'s forecast month, notice or None): from the folder `data_dir`,
    or from the held history (`salesapp.history`) when it is None; the notice is the history's
    sentence about a damaged copy it set aside. InputError naming the month if it is not there.
    """
    from salesapp.model import bundle
    from salesapp.model.forecast_accuracy import month_sales_from_folder, month_sales_from_held

    aliases = bundle.shop_aliases(predictor.directory)
    if data_dir is not None:
        return month_sales_from_folder(data_dir, predictor.forecast_block, aliases,
                                       month_name), None
    from salesapp import history
    held = history.load()
    return month_sales_from_held(held, predictor.forecast_block, aliases, month_name), held.notice


def held_months() -> list[int]:
    """The months the held history holds (it is read, so off the GUI thread)."""
    from salesapp import history
    return history.load().months


def latest_closed(forecast_months: Sequence[int | None], held: Sequence[int]) -> int | None:
    """Index of the model whose forecast month is the latest one `held` covers (the first of
    equals), or None: the model whose forecasts can now be judged."""
    covered = [(m, -n) for n, m in enumerate(forecast_months) if m is not None and m in set(held)]
    return -max(covered)[1] if covered else None


def closed_model_dir() -> Path | None:
    """The kept model (library) whose forecast month is the latest the held history covers."""
    from salesapp import library
    entries = library.entries()
    at = latest_closed([e.forecast_block for e in entries], held_months())
    return None if at is None else entries[at].path
