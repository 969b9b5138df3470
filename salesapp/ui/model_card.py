"""The model card as text a shop manager can read (Help -> About the model)."""

from __future__ import annotations

from salesapp.ui.months import month_label


def card_text(card: dict, version: str) -> str:
    """Months trained on, validation RMSE beside the baselines, shops and items."""
    lines = [f"Model version {version}"]
    if "months" in card:
        lines.append(f"Trained on {card['months']} months "
                     f"({month_label(0)} – {month_label(int(card['months']) - 1)}).")
    if "forecast_block" in card:
        lines.append(f"Forecasts {month_label(int(card['forecast_block']))}.")
    val = card.get("validation") or {}
    if val:
        month = card.get("validation_month")
        where = f" on {month_label(int(month))}" if month is not None else ""
        lines.append(f"Validation RMSE{where} (clipped 0–20, lower is better):")
        lines += [f"    {name}: {rmse:.4f}" for name, rmse in sorted(val.items(), key=lambda x: x[1])]
    if card.get("oracle_rmse") is not None:
        lines.append(f"Best reachable (oracle) RMSE: {card['oracle_rmse']:.4f}")
    lines.append(f"Shops: {card.get('shops', '?')} ({card.get('open_shops', '?')} open); "
                 f"items: {card.get('items', '?')}.")
    return "\n".join(lines)
