"""`salesapp data import DIR|FILES [--replace]` and `salesapp data show`: the held history."""

from __future__ import annotations

import argparse
import sys


def data(args: argparse.Namespace) -> int:
    """Dispatch `salesapp data ACTION`."""
    return {"import": data_import, "show": data_show}[args.action](args)


def data_import(args: argparse.Namespace) -> int:
    """Import a folder (or files) of 1C sales data into the held history; one line on stdout."""
    from salesapp import history
    source = args.source[0] if len(args.source) == 1 else args.source
    held = history.load()
    _tell(held.notice)
    report = history.apply_import(history.plan_import(source, held), replace=args.replace)
    print(report.line())
    return 0


def data_show(args: argparse.Namespace) -> int:
    """Print what the held history holds: months, rows, items, shops, the last import."""
    from salesapp import history
    held = history.load()
    _tell(held.notice)
    for line in [*show_lines(held), *model_lines(held)]:
        print(line)
    return 0


def model_lines(held) -> list[str]:
    """What the active model was trained on beside what is held: the months it has not seen."""
    from salesapp import library
    from salesapp.history import months
    kept = library.default_library()
    active = next((e for e in kept.entries() if e.active), None)
    for notice in kept.notices:
        _tell(notice)
    if active is None or active.forecast_block is None:
        return []
    seen = active.forecast_block - 1
    lines = [(f"active model: {active.version}, trained on months up to {months.label(seen)}, "
             f"forecasts {months.label(active.forecast_block)}")]
    newer = [m for m in held.months if m > seen]
    if newer:
        lines.append(f"not in the active model: {months.listing(newer)} (salesapp train makes a "
                     "model of the whole history)")
    return lines


def show_lines(held) -> list[str]:
    """The lines of `data show` for a held history."""
    from salesapp.history import months
    aliases = held.shop_aliases
    merged = f" ({len(aliases)} merged into others)" if aliases else ""
    lines = [f"history: {held.folder}",
             f"months: {months.span(held.months)}, {held.first_date} to {held.last_date}",
             (f"rows: {len(held.raw.month):,} monthly sums (month x shop x item) of "
             f"{held.daily_rows:,} daily sales rows"),
             (f"items: {len(held.items):,} in {len(held.categories):,} categories; "
             f"shops: {len(held.shops):,}{merged}")]
    last = held.last_import
    if held.is_default:
        lines.append("last import: none yet (the bundled default data; the first import "
                     "replaces it)")
    elif last:
        changed = ", ".join(part for part in (
            f"added {months.listing(last['months_added'])}" if last["months_added"] else "",
            f"replaced {months.listing(last['months_replaced'])}" if last["months_replaced"]
            else "") if part)
        lines.append(f"last import: {last['when'].replace('T', ' ').rstrip('Z')} UTC from "
                     f"{last['source']} ({changed})")
    return lines


def _tell(notice: str | None) -> None:
    if notice:
        print(f"salesapp: {notice}", file=sys.stderr)
