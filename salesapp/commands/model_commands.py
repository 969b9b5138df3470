"""`salesapp train` (a bundle from a data directory) and `salesapp predict` (forecasts to a CSV)."""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import os
import shutil
import sys
from pathlib import Path

import pandas as pd

from salesapp.commands.argument_checks import writable_folder_for
from salesapp.commands.export_options import export_target
from salesapp.commands.id_arguments import requested_ids
from salesapp.errors import InputError, listed_ids
from salesapp.exports.layouts import Entry, table
from salesapp.exports.writers import write_table
from salesapp.model import bundle, cleaning
from salesapp.model.backtest_report import backtest_text, horizons_text
from salesapp.model.evaluation import oracle_rmse
from salesapp.model.features import monthly_history
from salesapp.model.ranges_report import ranges_text
from salesapp.model.training import train_horizons

# a model's backtest needs one month to fit on, one to choose its rounds on and one to score
MIN_MONTHS = 3


def _fingerprint(sales: pd.DataFrame) -> str:
    h = hashlib.sha256(pd.util.hash_pandas_object(sales, index=False).to_numpy().tobytes())
    return h.hexdigest()[:16]


def _versions() -> dict:
    return {p: md.version(p) for p in ("lightgbm", "numpy", "pandas")}


def _no_progress(_stage: str, _fraction: float) -> None:
    pass


def train_bundle(data_dir: str | Path, out: str | Path, seed: int = 0, threads: int = 0,
                 progress=_no_progress) -> dict:
    """Load, train, evaluate and write a bundle; returns the card. `progress(stage, fraction)`
    hears the stages of `training_progress.STAGES` as they advance."""
    from salesapp.model.dataset import load_dataset
    progress("reading", 0.0)
    data = load_dataset(data_dir)
    hist = monthly_history(data.sales)
    progress("reading", 1.0)
    source = {"data_fingerprint": _fingerprint(data.sales), "oracle_rmse": oracle_rmse(data_dir)}
    return _train_and_write(out, hist, data, cleaning.open_shops(data.sales, data.event_shops),
                            source, seed, threads, progress)


def train_held_bundle(out: str | Path, seed: int = 0, threads: int = 0,
                      progress=_no_progress) -> dict:
    """Train on the held sales history (`salesapp.history.load()`) and write a bundle; returns
    the card (its `data_months`: the first and last month trained on)."""
    from salesapp import history
    from salesapp.history import months
    from salesapp.paths import default_data_dir
    progress("reading", 0.0)
    held = history.load()
    if held.notice:
        print(f"salesapp: {held.notice}", file=sys.stderr)
    if len(held.months) < MIN_MONTHS:
        raise InputError(f"the held history holds only {months.span(held.months)}; training "
                         f"needs at least {MIN_MONTHS} months: import more (salesapp data import "
                         "DIR)")
    hist = held.monthly()
    fingerprint = hashlib.sha256(b"".join(getattr(hist, f).tobytes() for f in
                                          ("month", "shop", "item", "cnt", "price")))
    source = {"data_fingerprint": fingerprint.hexdigest()[:16], "trained_from": "held history",
              "data_months": [held.months[0], held.months[-1]],
              # the default data's oracle holds only while the history is that data
              "oracle_rmse": oracle_rmse(default_data_dir()) if held.is_default else None}
    progress("reading", 1.0)
    return _train_and_write(out, hist, held, held.open_shops(), source, seed, threads, progress)


def _train_and_write(out, hist, data, open_shops: list[int], source: dict, seed: int,
                     threads: int, progress) -> dict:
    """Train on `hist`, write the bundle with `data`'s tables, shops and aliases; the card."""
    boosters, info = train_horizons(hist, data.items, seed, threads, progress)
    progress("saving", 0.0)
    last = int(hist.month.max())
    card = {**info, **source, "seed": seed, "versions": _versions(),
            "shops": len(data.shops), "items": len(data.items),
            "open_shops": len(open_shops), "event_shops": list(data.event_shops),
            "forecast_block": last + 1}
    state = {"forecast_block": last + 1, "open_shops": open_shops,
             "shop_aliases": {str(k): int(v) for k, v in sorted(data.shop_aliases.items())}}
    tables = {"items": data.items[["item_id", "item_category_id", "item_name"]],
              "categories": data.categories, "shops": data.shops}
    later = tuple(boosters[h].model_to_string() for h in sorted(boosters) if h != 1)
    card["model_version"] = bundle.write_bundle(out, boosters[1].model_to_string(), card, state,
                                                hist, tables, later)
    progress("saving", 1.0)
    return card


def train(args) -> int:
    """Train on every month of --data (without it: the held sales history), write the bundle
    to --out (without it: into the model library, not made active), print the metrics.

    --progress: stdout is one JSON line per step instead (`model.training_progress`), the
    metrics go to stderr; --nice N: run N nice levels lower (the window's training child).
    """
    if args.out:
        writable_folder_for(args.out, "--out")
    if getattr(args, "nice", 0):
        _lower_priority(args.nice)
    lines = None
    if getattr(args, "progress", False):
        from salesapp.model.training_progress import ProgressLines
        lines = ProgressLines()
    card, where = _trained(args, lines or _no_progress)
    report = sys.stderr if lines else sys.stdout
    if args.out:
        print(f"model {card['model_version']} written to {args.out}", file=report)
    else:
        print(f"model {card['model_version']} kept in the model library (not active yet: "
              f"salesapp models activate {card['model_version']})", file=report)
    print(backtest_text(card["backtest"]), file=report)
    if text := horizons_text(card):
        print(text, file=report)
    if card.get("ranges") and (text := ranges_text(card["ranges"])):
        print(text, file=report)
    if card["oracle_rmse"] is not None:
        print(f"oracle RMSE (month {card['forecast_block']}, expected vs realised): "
              f"{card['oracle_rmse']:.4f}", file=report)
    if lines:
        lines.done(card["model_version"], str(where))
    return 0


def _trained(args, progress) -> tuple[dict, Path]:
    """Train as `args` say; (card, the bundle's folder). Without --out the bundle is written
    into the library's staging folder and kept there (none is left behind on a failure)."""
    from salesapp import library
    staging = None if args.out else library.default_library().staging_dir()
    out = Path(args.out) if args.out else staging
    try:
        if args.data:
            card = train_bundle(args.data, out, args.seed, args.threads, progress)
        else:
            card = train_held_bundle(out, args.seed, args.threads, progress)
        if staging is None:
            return card, out.resolve()
        kept = library.default_library()
        version = kept.add(staging, move=True)
        shutil.rmtree(staging, ignore_errors=True)   # left by add when it was kept already
        return card, (kept.root / version if (kept.root / version).is_dir() else kept.builtin)
    except BaseException:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _lower_priority(steps: int) -> None:
    try:
        os.nice(steps)
    except (OSError, AttributeError):   # not permitted, or not on this system: a nicety only
        pass


def predict(args) -> int:
    """Write forecasts in `--layout long` or `wide` (`exports.layouts`, the columns of the
    window's export and of `results`) or, with --pairs, an ID,item_cnt_month submission with
    the pair's P10 and P90 after it (`p10,p90`; not with a bundle trained before ranges).
    --horizon N: the next N months, a set of rows per month (with --pairs a `month` column
    after them); a model without horizons refuses N > 1 in one sentence.

    Ids without a forecast are rows saying why, and one line on stderr (a count and the first
    few). The --pairs file is read with the loader's checks and its duplicate shop ids mapped
    to the ids the bundle's history is under.
    """
    from salesapp.library import model_dir_for
    from salesapp.model.predictor import Predictor
    target = export_target(args)
    if args.pairs and target.layout != "long":
        raise InputError("--pairs writes a submission (ID,item_cnt_month); --layout does not "
                         "apply to it, leave it out")
    model_dir = model_dir_for(args.model, say=lambda s: print(f"salesapp: {s}", file=sys.stderr))
    # one call in a process of its own: LightGBM may use every core (the window's and `work`'s
    # pool threads each get their share instead)
    predictor = Predictor.load(model_dir, num_threads=os.cpu_count() or 1)
    months = getattr(args, "horizon", 1)
    if months > len(predictor.horizons):
        raise InputError(f"--horizon {months} asks for {months} months, and model "
                         f"{predictor.version} forecasts {_months(len(predictor.horizons))} "
                         "(trained before horizons); retrain it (salesapp train) or leave "
                         "--horizon out")
    if args.pairs:
        from salesapp.model import schema
        from salesapp.model.dataset import read_table
        # The loader's checks: a bad file is one sentence naming the line and column.
        test = bundle.alias_pairs(read_table(args.pairs, schema.TEST), model_dir)
        header, rows = _pairs_rows(predictor, test, months)
        _write(target, header, rows)
        return 0
    results = predictor.predict(requested_ids(args))
    header, rows = table(target.layout, (Entry(r["item_id"], r) for r in results),
                         predictor.shop_names, months)
    _write(target, header, rows)
    unknown = [r for r in results if r["status"] != "ok"]
    if unknown:
        print(f"salesapp: {_unknown_summary(unknown)}", file=sys.stderr)
    return 0


def _months(n: int) -> str:
    return "the next month only" if n == 1 else f"{n} months"


def _pairs_rows(predictor, test: pd.DataFrame, months: int) -> tuple[list[str], list]:
    """The submission's header and rows: the competition's ID,item_cnt_month first (scripts
    that read those keep working), then p10,p90 (a bundle with ranges); with more than one
    month a `month` column (the date_block_num forecast) and a set of rows per month."""
    rows, width = [], 2
    for h, (forecast, p10, p90) in zip(range(1, months + 1),
                                      predictor.predict_pairs_months(test, months)):
        columns = [test["ID"].tolist(), forecast.tolist()]
        if p10 is not None:
            columns += [p10.round(3).tolist(), p90.round(3).tolist()]
        width = len(columns)
        if months > 1:
            columns.append([predictor.forecast_block + h - 1] * len(test))
        rows.extend(zip(*columns))
    header = ["ID", "item_cnt_month", "p10", "p90"][:width] + (["month"] if months > 1 else [])
    return header, rows


def _write(target, header, rows) -> None:
    try:
        write_table(target.path, target.fmt, header, rows, target.style)
    except OSError as exc:
        raise InputError(f"cannot write the forecasts there ({exc.strerror or exc})",
                         target.path) from None


UNKNOWN_SHOWN = 10   # ids named in the one line about unknown ids; the rest are counted


def _unknown_summary(failed: list[dict]) -> str:
    """One line for any number of ids without a forecast: millions must not be a line each."""
    if len(failed) == 1:
        return failed[0]["error"]
    shown = listed_ids((r["item_id"] for r in failed), UNKNOWN_SHOWN)
    return (f"{len(failed):,} ids have no forecast (not in the model's product list; listed "
            f"in the file with the reason): {shown}")
