"""Month blocks (date_block_num, 0 = January 2013) as the calendar months staff read."""

from __future__ import annotations

from collections.abc import Iterable

from salesapp.model.schema import FIRST_YEAR

NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def label(block: int) -> str:
    """'Jan 2013' for block 0."""
    return f"{NAMES[block % 12]} {FIRST_YEAR + block // 12}"


def runs(blocks: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive runs of the distinct blocks, as (first, last) pairs in order."""
    out: list[tuple[int, int]] = []
    for b in sorted({int(b) for b in blocks}):
        if out and b == out[-1][1] + 1:
            out[-1] = (out[-1][0], b)
        else:
            out.append((b, b))
    return out


def listing(blocks: Iterable[int]) -> str:
    """The blocks as ranges of calendar months: 'Jan 2013 - Mar 2013, Oct 2015' ('' if none)."""
    return ", ".join(label(a) if a == b else f"{label(a)} - {label(b)}" for a, b in runs(blocks))


def span(blocks: Iterable[int]) -> str:
    """First to last month and how many, naming the missing ones if there are gaps:
    'Jan 2013 - Oct 2015 (34 months)', 'Jan 2013 - Oct 2015 (33 months; Mar 2014 missing)'."""
    held = sorted({int(b) for b in blocks})
    if not held:
        return "no months"
    count = f"{len(held)} month{'s' if len(held) != 1 else ''}"
    if len(held) == 1:
        return f"{label(held[0])} (1 month)"
    missing = sorted(set(range(held[0], held[-1] + 1)) - set(held))
    gaps = f"; {listing(missing)} missing" if missing else ""
    return f"{label(held[0])} - {label(held[-1])} ({count}{gaps})"
