"""A kept model's card as the short texts the model list shows (command line and window alike)."""

from __future__ import annotations

from collections.abc import Callable

from salesapp.library.entry import LibraryEntry

COLUMNS = ("version", "forecasts", "trained on", "backtest vs best naive", "size", "created")


def cells(entry: LibraryEntry, month_name: Callable[[int], str]) -> dict[str, str]:
    """Column -> text of one entry (`COLUMNS`); `month_name(block)` names a month."""
    return {"version": entry.version,
            "forecasts": month_name(entry.forecast_block) if entry.forecast_block is not None
            else "?",
            "trained on": period(entry, month_name),
            "backtest vs best naive": backtest(entry),
            "size": size(entry.size_bytes),
            "created": entry.created.astimezone().strftime("%Y-%m-%d %H:%M")
            + (" (bundled)" if entry.builtin else "")}


def period(entry: LibraryEntry, month_name: Callable[[int], str]) -> str:
    """'Jan 2013 – Oct 2015', or '?' when the card does not say."""
    if entry.first_block is None or entry.last_block is None:
        return "?"
    return f"{month_name(entry.first_block)} – {month_name(entry.last_block)}"


def backtest(entry: LibraryEntry) -> str:
    """'RMSE 0.536 vs 0.638 (16 % better)': the model's mean backtest beside the best naive."""
    if entry.backtest_model is None:
        return "no backtest"
    if entry.backtest_naive is None or entry.backtest_ratio is None:
        return f"RMSE {entry.backtest_model:.3f}"
    change = (1 - entry.backtest_ratio) * 100
    word = f"{change:.0f} % better" if change >= 0.5 else \
        f"{-change:.0f} % worse" if change <= -0.5 else "the same"
    return f"RMSE {entry.backtest_model:.3f} vs {entry.backtest_naive:.3f} ({word})"


def size(n: int) -> str:
    """Bytes as kB / MB, one decimal."""
    if n < 1_000_000:
        return f"{n / 1000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def table(entries: list[LibraryEntry], month_name: Callable[[int], str]) -> str:
    """The entries as an aligned plain-text table, a `*` marking the active one."""
    rows = [dict(zip(COLUMNS, COLUMNS))] + [cells(e, month_name) for e in entries]
    widths = {c: max(len(r[c]) for r in rows) for c in COLUMNS}
    marks = [" "] + ["*" if e.active else " " for e in entries]
    return "\n".join(f"{mark} " + "  ".join(r[c].ljust(widths[c]) for c in COLUMNS).rstrip()
                     for mark, r in zip(marks, rows))
