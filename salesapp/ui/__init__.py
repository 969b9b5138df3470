"""Widgets: the main window, the job table, the detail panel, CSV import and export."""
