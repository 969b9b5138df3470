"""Month names of the data's month blocks (no Qt, no pyqtgraph: the window's start-up needs them)."""

from __future__ import annotations

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(block: int) -> str:
    """'Jan 2013' for date_block_num 0 (the data's first month)."""
    return f"{MONTHS[block % 12]} {2013 + block // 12}"


def iso_month(block) -> str:
    """'2015-11' for date_block_num 34 (exports: sorts and parses as a month); '' if not a block."""
    if isinstance(block, bool) or not isinstance(block, int) or block < 0:
        return ""
    return f"{2013 + block // 12}-{block % 12 + 1:02d}"
