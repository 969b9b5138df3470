"""The ranges' held-out figures in the model card as plain text; no numpy (the window imports it)."""

from __future__ import annotations


def _bin_label(b: dict) -> str:
    return f"{b['from']:g}+" if b["to"] is None else f"{b['from']:g}-{b['to']:g}"


def _cells(b: dict | None) -> str:
    if not b or not b["rows"]:
        return f"{'-':>8}{'-':>8}{'-':>8}"
    return f"{b['rows']:>8,}{b['above_p90']:>8.1%}{b['below_p10']:>8.1%}"


def ranges_text(ranges: dict) -> str:
    """Per forecast bin, the share of actuals above P90 and below P10 on backtest months the
    tables did not see, for shops and for item totals; then the pinball loss beside the naive
    range's. "" for a card without ranges."""
    pairs = (ranges.get("pairs") or {}).get("held_out") or {}
    total = (ranges.get("total") or {}).get("held_out") or {}
    if not pairs.get("bins"):
        return ""
    by_total = {b["from"]: b for b in total.get("bins", [])}
    lines = ["Ranges P10-P90 on backtest months their tables did not see (each month bounded by",
             "tables fit on the other months): the share of actual months above P90, below P10",
             f"{'':10}{'per shop':>24}    {'item total':>20}",
             f"{'forecast':10}{'rows':>8}{'>P90':>8}{'<P10':>8}    {'rows':>8}{'>P90':>8}{'<P10':>8}"]
    for b in pairs["bins"]:
        lines.append(f"{_bin_label(b):10}{_cells(b)}    {_cells(by_total.get(b['from']))}")
    lines.append(f"pinball loss (0.1 + 0.9, lower is better): per shop {pairs['pinball']:.3f}, "
                 f"naive range {pairs['pinball_naive']:.3f}")
    if total.get("bins"):
        lines.append(f"  item total {total['pinball']:.3f}, naive range "
                     f"{total['pinball_naive']:.3f}")
    lines.append("(naive range: the pair's own 10th and 90th percentile over its last 12 months)")
    return "\n".join(lines)
