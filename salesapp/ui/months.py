"""Month names of the data's month blocks (no Qt, no pyqtgraph: the window's start-up needs them)."""

from __future__ import annotations

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(block: int) -> str:
    """'Jan 2013' for date_block_num 0 (the data's first month)."""
    return f"{MONTHS[block % 12]} {2013 + block // 12}"
