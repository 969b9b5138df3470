"""Sales Forecast Desk: next month's sales per shop for product items, on one laptop, offline."""

__version__ = "0.1.0"
