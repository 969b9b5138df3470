"""The model card as text a shop manager can read (Help -> About the model)."""

from __future__ import annotations

from salesapp.model.backtest_report import backtest_text
from salesapp.model.ranges_report import ranges_text
from salesapp.ui.months import month_label


def card_text(card: dict, version: str) -> str:
    """Months trained on, the backtest beside the naive baselines, the ranges' tails, shops and
    items."""
    lines = [f"Model version {version}"]
    if "months" in card:
        lines.append(f"Trained on {card['months']} months "
                     f"({month_label(0)} – {month_label(int(card['months']) - 1)}).")
    if "forecast_block" in card:
        lines.append(f"Forecasts {month_label(int(card['forecast_block']))}.")
    if card.get("backtest", {}).get("origins"):
        lines.append(backtest_text(card["backtest"], lambda m: month_label(int(m))))
    if card.get("ranges") and (text := ranges_text(card["ranges"])):
        lines.append(text)
    if card.get("oracle_rmse") is not None:
        lines.append(f"Best reachable (oracle) RMSE: {card['oracle_rmse']:.4f}")
    lines.append(f"Shops: {card.get('shops', '?')} ({card.get('open_shops', '?')} open); "
                 f"items: {card.get('items', '?')}.")
    if card.get("event_shops"):
        lines.append("Not forecast: shops that only ran sale events ("
                     + ", ".join(str(s) for s in card["event_shops"]) + ").")
    return "\n".join(lines)


def card_html(card: dict, version: str) -> str:
    """`card_text` as rich text in a fixed-width font: the backtest's columns stay aligned and
    its rows unwrapped in the About box."""
    from html import escape
    return f"<pre>{escape(card_text(card, version))}</pre>"
