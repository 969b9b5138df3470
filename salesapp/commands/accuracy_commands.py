"""`salesapp accuracy`: a model's forecast of its month against that month's actual sales, as CSV."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from salesapp.commands.argument_checks import file_in_existing_folder
from salesapp.csv_cells import write_csv
from salesapp.model.forecast_accuracy import FORECASTS, METRICS

PAIR_BASELINES = ("last_month", "mean_last3", "seasonal_naive")   # zero needs no column


def summary_path(out: str | Path) -> Path:
    """Where the overall / per shop / per item block goes beside `out`: NAME-summary.csv."""
    out = Path(out)
    return out.with_name(f"{out.stem}-summary{out.suffix or '.csv'}")


def _r(x: float) -> float:
    return round(float(x), 3)


def pair_rows(report, month: str):
    """One CSV row per scored (item, shop) pair, by item then shop."""
    p = report.pairs
    names = dict(zip(report.exceptions["item_id"], report.exceptions["item_name"]))
    for row in p.itertuples(index=False):
        yield (month, report.month, report.model_version, row.item_id, names.get(row.item_id, ""),
               row.shop_id, _r(row.actual), _r(row.model), _r(row.model - row.actual),
               *(_r(getattr(row, b)) for b in PAIR_BASELINES))


PAIR_HEADER = ["month", "date_block_num", "model_version", "item_id", "item_name", "shop_id",
               "actual", "forecast", "error", *PAIR_BASELINES]
SUMMARY_HEADER = ["month", "model_version", "scope", "shop_id", "item_id", "pairs",
                  "actual_units", "forecast_units",
                  *(f"{f}_{m}" for f in FORECASTS for m in METRICS)]


def summary_rows(report, month: str):
    """The overall row, then one per shop, then one per item (in the exception list's order)."""
    p = report.pairs
    lead = (month, report.model_version)
    yield (*lead, "overall", "", "", len(p), _r(p["actual"].sum()), _r(p["model"].sum()),
           *(_r(report.overall[f][m]) for f in FORECASTS for m in METRICS))
    for scope, table, key in (("shop", report.by_shop, "shop_id"),
                              ("item", report.by_item, "item_id")):
        for row in table.to_dict("records"):
            ids = (row[key], "") if scope == "shop" else ("", row[key])
            yield (*lead, scope, *ids, row["pairs"], _r(row["actual_units"]),
                   _r(row["forecast_units"]),
                   *(_r(row[f"{f}_{m}"]) for f in FORECASTS for m in METRICS))


def accuracy(args) -> int:
    """Score a model's forecast month against its actual sales; write --out and its summary,
    print one line. The sales: --data, else the held history; the model: --model, else (with
    the held history) the kept model of the latest month it covers, else the active one."""
    from salesapp import library
    from salesapp.actual_sales import closed_model_dir, month_sales_for
    from salesapp.model.accuracy_words import summary_line
    from salesapp.model.forecast_accuracy import compare
    from salesapp.model.predictor import Predictor
    from salesapp.ui.months import month_label

    out = file_in_existing_folder(args.out, "--out")
    summary = summary_path(out)
    # without --model and --data: the kept model whose month the held history now covers
    model = args.model or (None if args.data else closed_model_dir())
    predictor = Predictor.load(library.model_dir_for(model), num_threads=os.cpu_count() or 1)
    sales, notice = month_sales_for(predictor, args.data, month_label)
    if notice:
        print(f"salesapp: {notice}", file=sys.stderr)
    report = compare(predictor, sales)
    month = month_label(report.month)
    write_csv(out, PAIR_HEADER, pair_rows(report, month))
    write_csv(summary, SUMMARY_HEADER, summary_rows(report, month))
    print(f"{summary_line(report, month_label)} Pairs in {out}, overall/shops/items in {summary}.")
    return 0
