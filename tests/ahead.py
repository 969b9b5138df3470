"""Results with months ahead: a real result's own, or built from it in the agreed "ahead" format
where its bundle has no horizons (the tests of the window and the exports work with either)."""

from __future__ import annotations


def with_ahead(result: dict, months: int = 2) -> dict:
    """`result` (a real forecast) with `months` months after its own: its own when its model
    gave them (a bundle with horizons), else month k's forecasts are the next month's scaled
    by 1 - k/10 (so that each month differs), its range likewise."""
    out = dict(result)
    if result.get("status") != "ok" or "ahead" in result:
        return out
    ahead = []
    for k in range(1, months + 1):
        scale = 1 - k / 10
        values = [round(f * scale, 3) for _, f in result["shops"]]
        month = {"forecast_block": result["forecast_block"] + k, "total": round(sum(values), 3),
                 "forecasts": values}
        if "p10" in result:
            month.update(p10=[round(min(v, lo * scale), 3) for v, lo in zip(values, result["p10"])],
                         p90=[round(max(v, hi * scale), 3) for v, hi in zip(values, result["p90"])],
                         total_p10=round(min(month["total"], result["total_p10"] * scale), 3),
                         total_p90=round(max(month["total"], result["total_p90"] * scale), 3))
        ahead.append(month)
    out["ahead"] = ahead
    return out
