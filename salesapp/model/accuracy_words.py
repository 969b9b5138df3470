"""Forecast versus actual in words staff can read: how high or low, and beside which naive guess.

Plain text from an `AccuracyReport`'s numbers; the window and `salesapp accuracy` say the same.
"""

from __future__ import annotations

from collections.abc import Callable

FORECAST_LABELS = {"model": "the model", "last_month": "last month's sales",
                   "mean_last3": "the mean of the last 3 months",
                   "seasonal_naive": "the same month a year before", "zero": "a forecast of zero"}
# A bias this small (as a share of the units sold) is "about right": one unit in 200.
ABOUT_RIGHT = 0.005


def _percent(share: float) -> str:
    return f"{abs(share) * 100:.0f} %"


def bias_sentence(forecast_units: float, actual_units: float, month: str) -> str:
    """'Forecasts for Nov 2015 were 12 % high on average (4,210 units forecast, 3,760 sold).'"""
    amounts = f"({forecast_units:,.0f} units forecast, {actual_units:,.0f} sold)"
    if actual_units <= 0:
        return f"Nothing was sold in {month}; the model forecast {forecast_units:,.0f} units."
    share = (forecast_units - actual_units) / actual_units
    if abs(share) < ABOUT_RIGHT:
        return f"Forecasts for {month} were about right on average {amounts}."
    word = "high" if share > 0 else "low"
    return f"Forecasts for {month} were {_percent(share)} {word} on average {amounts}."


def versus_sentence(overall: dict, baseline: str) -> str:
    """'The model beat last month's sales by 18 % (RMSE 0.53 against 0.65).' or the reverse."""
    model, base = overall["model"]["rmse"], overall[baseline]["rmse"]
    label = FORECAST_LABELS[baseline]
    figures = f"(RMSE {model:.2f} against {base:.2f})"
    if not base > 0:
        return f"The model and {label} cannot be told apart here {figures}."
    gain = 1 - model / base
    if abs(gain) < ABOUT_RIGHT:
        return f"The model did as well as {label} {figures}."
    if gain > 0:
        return f"The model beat {label} by {_percent(gain)} {figures}."
    return f"{label[0].upper()}{label[1:]} beat the model by {_percent(model / base - 1)} {figures}."


def typical_miss_sentence(overall: dict) -> str:
    """The mean absolute error as units per item and shop."""
    return (f"A typical forecast missed by {overall['model']['mae']:.2f} units per item and "
            f"shop (mean absolute error).")


def unscored_sentence(unscored: dict) -> str | None:
    """Sales the model could not have forecast, or None if there were none."""
    parts = []
    if unscored["unknown_items"]:
        parts.append(f"{unscored['unknown_items']:,} items the model's product list did not "
                     f"hold ({unscored['unknown_item_units']:,.0f} units)")
    shops = unscored["other_shops"]
    if shops:
        which = "shop " if len(shops) == 1 else "shops "
        parts.append(which + ", ".join(map(str, shops)) + " that the model did not forecast "
                     f"({unscored['other_shop_units']:,.0f} units)")
    return ("Not scored: " + " and ".join(parts) + ".") if parts else None


def summary_sentences(report, month_name: Callable[[int], str]) -> list[str]:
    """Every sentence of the summary, in reading order."""
    month = month_name(report.month)
    shops, items = report.pairs["shop_id"].nunique(), report.pairs["item_id"].nunique()
    lines = [bias_sentence(report.forecast_units, report.actual_units, month),
             versus_sentence(report.overall, "last_month"),
             versus_sentence(report.overall, "mean_last3"),
             typical_miss_sentence(report.overall),
             (f"Scored: {shops:,} shops x {items:,} items of model {report.model_version} "
              "(units per pair clipped to 0-20, as in training).")]
    extra = unscored_sentence(report.unscored)
    return lines + ([extra] if extra else [])


def summary_line(report, month_name: Callable[[int], str]) -> str:
    """One line for a terminal: the bias and the comparison with last month's sales."""
    return " ".join(summary_sentences(report, month_name)[:2])
