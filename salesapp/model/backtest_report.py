"""The backtest in the model card as plain text; no numpy or pandas (the window imports it)."""

from __future__ import annotations

SEGMENTS = ("pairs_with_history", "new_to_shop", "new_to_chain")


BASELINE_LABELS = {"model": "model", "last_month": "last month", "mean_last3": "mean of 3",
                   "seasonal_naive": "seasonal", "zero": "zero"}
SEGMENT_LABELS = {"pairs_with_history": "pairs with history", "new_to_shop": "items new to a shop",
                  "new_to_chain": "items new to the chain"}


def backtest_text(backtest: dict, month_name=lambda m: f"month {m}") -> str:
    """The backtest as a plain-text table: a row per origin, the mean, then the mean by segment."""
    cols = list(BASELINE_LABELS)
    width = max(len(v) for v in BASELINE_LABELS.values())
    labels = [month_name(o["month"]) for o in backtest["origins"]] + ["mean"] + \
        [SEGMENT_LABELS[s] for s in SEGMENTS]
    lead = max(len(x) for x in labels) + 2
    lines = ["Backtest RMSE (clipped 0-20, lower is better): each month forecast by a model",
             "fit only on the months before it; naive: last month, mean of last 3, seasonal",
             "naive (a year before) and zero; ratio: model / best of last month and mean of 3",
             " " * lead + "  ".join(BASELINE_LABELS[c].rjust(width) for c in cols)
             + "     ratio"]

    def row(label: str, s: dict, note: str = "") -> str:
        cells = "  ".join(f"{s[c]:.4f}".rjust(width) if c in s else "-".rjust(width)
                          for c in cols)
        ratio = f"{s['model_vs_best_naive']:.3f}" if "model_vs_best_naive" in s else "-"
        return f"{label.ljust(lead)}{cells}  {ratio.rjust(8)}{note}"

    for o, label in zip(backtest["origins"], labels):
        lines.append(row(label, o))
    mean = backtest["mean"]
    if mean:
        lines.append(row("mean", mean))
        lines.append("by segment, mean over the months:")
        for name in SEGMENTS:
            seg = mean.get("segments", {}).get(name, {})
            lines.append(row(SEGMENT_LABELS[name], seg))
        lines.append("pairs in the months: " + ", ".join(
            f"{SEGMENT_LABELS[n]} {sum(o['segments'][n]['rows'] for o in backtest['origins']):,}"
            for n in SEGMENTS))
    lines += [f"{label}: {o['rows']:,} pairs, {o['rounds']} rounds, fit on months "
              f"{o['train_months'][0]}-{o['train_months'][1]}"
              for o, label in zip(backtest["origins"], labels)]
    return "\n".join(lines)


def horizons_text(card: dict, month_name=lambda m: f"month {m}") -> str:
    """A line per month after the next that the card's bundle forecasts (its model's own
    backtest: mean RMSE, the best naive forecast made at the same origin, the ratio); "" for a
    card without them."""
    lines = []
    for h, entry in sorted((card.get("horizons") or {}).items(), key=lambda kv: int(kv[0])):
        mean = (entry.get("backtest") or {}).get("mean") or {}
        origins = (entry.get("backtest") or {}).get("origins") or []
        if "model" not in mean:
            continue
        naive = min(mean.get("last_month", float("inf")), mean.get("mean_last3", float("inf")))
        months = (f" over {month_name(origins[0]['month'])}-{month_name(origins[-1]['month'])}"
                  if origins else "")
        lines.append(f"{h} months ahead (a model of its own, {entry.get('rounds')} rounds): "
                     f"backtest RMSE {mean['model']:.4f}{months}, best naive from the same "
                     f"origin {naive:.4f}, ratio {mean.get('model_vs_best_naive', float('nan')):.3f}")
    return "\n".join(lines)
