"""Exports of forecasts, Qt-free: the two layouts and the CSV and Excel writers.

The window's export, `salesapp predict` and `salesapp results` all go through here, so that one
layout has one set of columns wherever it is written.
"""
