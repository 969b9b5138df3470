"""The one entry point, `salesapp`: the window and every headless command.

This module only parses arguments and dispatches; the bodies live in `salesapp.commands.*` and are
imported lazily so that `salesapp generate-data` never pays for Qt and the window never pays for
argparse sub-command set-up of the others.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import os
import sys
from collections.abc import Sequence

from salesapp.commands.export_options import add_export_options
from salesapp.errors import InputError, SalesAppError, as_sentence

# sub-command -> "module:function"; each function takes the parsed namespace, returns an exit code.
COMMANDS = {
    "train": "salesapp.commands.model_commands:train",
    "predict": "salesapp.commands.model_commands:predict",
    "submit": "salesapp.commands.queue_commands:submit",
    "work": "salesapp.commands.queue_commands:work",
    "results": "salesapp.commands.queue_commands:results",
    "generate-data": "salesapp.commands.data_commands:generate_data",
    "accuracy": "salesapp.commands.accuracy_commands:accuracy",
    "data": "salesapp.commands.history_commands:data",
    "models": "salesapp.commands.library_commands:models",
}
GUI = "salesapp.commands.gui_commands:gui"
SELF_TEST = "salesapp.commands.gui_commands:self_test"
CHECK_BUNDLE = "_check-bundle"   # salesapp.model.bundle_check.CHECK_COMMAND, kept free of its imports


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR", help="job queue and result store "
                        "(default: the per-user data directory)")
    parser.add_argument("--model", metavar="DIR", help="model bundle (default: the active "
                        "model of the library, `salesapp models list`)")


def _not_used(parser: argparse.ArgumentParser) -> None:
    """Hidden --store/--model on a command that uses neither: given, they are refused (`main`),
    not ignored, so a user who meant a bundle or a store to be read is told it was not."""
    for option in ("--store", "--model"):
        parser.add_argument(option, help=argparse.SUPPRESS)


def _ids_source(parser: argparse.ArgumentParser, required: bool = True) -> None:
    group = parser.add_mutually_exclusive_group(required=required)
    group.add_argument("--items", metavar="IDS", help="item ids: 444,1094 or ranges 100-110 "
                       "(1 050 is one id, 444.0 is 444, 1e3 is refused)")
    group.add_argument("--file", metavar="CSV", help="a CSV, text (UTF-8, CP1251, UTF-16) or "
                       ".xlsx file with an item_id column")
    parser.add_argument("--column", metavar="NAME", help="the --file column holding the item ids, "
                        "when none is named item_id")
    parser.add_argument("--sheet", metavar="NAME", help="the .xlsx sheet to read (default: the "
                        "first)")
    return group


def _pool_size(text: str) -> int:
    """argparse type of `--workers`: a whole number, 0 (automatic) or more."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of worker threads, 1 or more (0: automatic), not {text!r}")
    return value


HORIZONS = (1, 2, 3)   # model.horizons.HORIZONS, kept free of its imports (numpy)


def _horizon(text: str) -> int:
    """argparse type of `predict --horizon`: how many months to forecast, 1 to 3."""
    if text.strip() not in {str(h) for h in HORIZONS}:
        raise argparse.ArgumentTypeError(
            f"must be how many months to forecast: 1 (the next month), 2 or 3, not {text!r}")
    return int(text)


def build_parsers() -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """The window's parser and the sub-commands' parser."""
    gui = argparse.ArgumentParser(prog="salesapp", description="Sales Forecast Desk. Sub-commands: "
                                  + ", ".join(COMMANDS) + " (salesapp COMMAND --help).")
    gui.add_argument("files", nargs="*", metavar="FILES", help="CSV files of item ids to import")
    gui.add_argument("--self-test", action="store_true",
                     help="offscreen smoke test of the real window, queue and workers")
    _common(gui)

    cmd = argparse.ArgumentParser(prog="salesapp")
    sub = cmd.add_subparsers(dest="command", required=True)

    p = sub.add_parser("train", help="train a model bundle on every month of a data directory "
                       "(without --data: on the held sales history, salesapp data show)")
    p.add_argument("--data", metavar="DIR", help="1C sales data (default: the held history)")
    p.add_argument("--out", metavar="DIR", help="where to write the bundle (default: into the "
                   "model library)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=0, help="LightGBM threads (0: all cores)")
    p.add_argument("--progress", action="store_true",
                   help="print one JSON line per training step on stdout (the metrics go to stderr)")
    p.add_argument("--nice", type=int, default=0, metavar="N",
                   help="run N levels below normal CPU priority (0-19)", choices=range(20))
    _not_used(p)

    p = sub.add_parser("predict", help="forecast items (long format) or test pairs (submission)")
    g = _ids_source(p)
    g.add_argument("--pairs", metavar="CSV", help="test.csv (ID,shop_id,item_id) -> ID,item_cnt_month")
    p.add_argument("--horizon", type=_horizon, default=1, metavar="N",
                   help="forecast the next N months (1-3, default 1): a month column, a set of "
                   "rows per month")
    p.add_argument("--out", required=True, metavar="FILE")
    add_export_options(p)
    _common(p)

    p = sub.add_parser("submit", help="enqueue jobs in a store (headless)")
    _ids_source(p)
    _common(p)

    p = sub.add_parser("work", help="run the queued jobs with the worker pool until none is left")
    p.add_argument("--workers", type=_pool_size, default=0, help="pool size (0: automatic)")
    _common(p)

    p = sub.add_parser("results", help="write the results of a store to a CSV or xlsx file")
    p.add_argument("--out", required=True, metavar="FILE")
    add_export_options(p)
    _common(p)

    p = sub.add_parser("models", help="the library of kept models: list, activate, add")
    models = p.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    models.add_parser("list", help="every kept model with its card; * marks the active one")
    a = models.add_parser("activate", help="make a kept model the active one")
    a.add_argument("version", metavar="VERSION", help="its version, or the start of it")
    a = models.add_parser("add", help="check a model bundle and keep it in the library")
    a.add_argument("dir", metavar="DIR")
    a.add_argument("--activate", action="store_true", help="and make it the active one")

    p = sub.add_parser("generate-data", help="synthetic data of the 1C sales schema")
    p.add_argument("out", metavar="OUT")
    p.add_argument("--scale", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--regime", default="default", metavar="NAME",
                   help="family of dynamics (see --regime list)")
    _not_used(p)

    p = sub.add_parser("accuracy", help="a model's forecast month against that month's actual "
                       "sales (CSV per item and shop, and a summary)")
    p.add_argument("--data", metavar="DIR",
                   help="sales data in the 1C schema that covers the model's forecast month "
                   "(default: the sales history the desk holds, see salesapp data)")
    p.add_argument("--out", required=True, metavar="CSV",
                   help="per item and shop rows; the overall, per shop and per item block goes "
                   "to NAME-summary.csv beside it")
    p.add_argument("--model", metavar="DIR", help="the model bundle that forecast the month "
                   "(default: with the held history, the kept model of the latest month it "
                   "covers; else the active model)")

    p = sub.add_parser("data", help="the sales history the desk holds: import, show")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("import", help="add a folder (or files) of 1C sales data: a whole "
                           "history or new months")
    a.add_argument("source", nargs="+", metavar="DIR", help="a folder, or the files themselves")
    a.add_argument("--replace", action="store_true",
                   help="replace the months the history already holds instead of refusing")
    actions.add_parser("show", help="months, rows, items and shops held; the last import")
    return gui, cmd


def _install_crash_handler() -> None:
    if sys.excepthook is sys.__excepthook__:   # `python -m salesapp` installed it already
        from salesapp.logging_setup import install_excepthook, show_to_user
        install_excepthook(show_to_user)


def _call(target: str, args: argparse.Namespace) -> int:
    module, func = target.split(":")
    return int(getattr(importlib.import_module(module), func)(args) or 0)


def _refuse_unused(args: argparse.Namespace) -> None:
    if args.command not in ("train", "generate-data"):
        return
    given = [o for o in ("store", "model") if getattr(args, o, None) is not None]
    if given:
        uses = "--data and --out" if args.command == "train" else "OUT"
        raise InputError(f"{args.command} does not use --{given[0]} (it uses {uses} only); "
                         f"leave --{given[0]} out")


def _refuse_unknown_command(argv: list[str]) -> None:
    """A first word that is neither a command nor a file is a mistyped command, not a file to
    import (the window would open only to say the file is missing)."""
    if not argv or argv[0].startswith("-") or os.path.exists(argv[0]):
        return
    word = argv[0]
    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    if close:   # a plain SalesAppError: InputError would end the question with a full stop
        raise SalesAppError(f"unknown command {word!r}; did you mean {close[0]}?")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit status (0 on success).

    Without ``argv`` this is the program itself (the `salesapp` console script, `python -m
    salesapp`): the crash handler goes in first, as `salesapp.__main__` does, so that an
    unexpected error is logged and told in one sentence. A call with ``argv`` (a test, a
    notebook) leaves the caller's hooks alone.
    """
    if argv is None:
        _install_crash_handler()
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == CHECK_BUNDLE:   # hidden: a bundle's trial run (model.bundle_check)
        from salesapp.model.bundle_check import child_main
        return child_main(argv[1:])
    gui_parser, cmd_parser = build_parsers()
    try:
        if argv and argv[0] in COMMANDS:
            args = cmd_parser.parse_args(argv)
            _refuse_unused(args)
            return _call(COMMANDS[args.command], args)
        _refuse_unknown_command(argv)
        args = gui_parser.parse_args(argv)
        return _call(SELF_TEST if args.self_test else GUI, args)
    except SalesAppError as exc:
        print(f"salesapp: {as_sentence(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("salesapp: interrupted; queued jobs stay in the store.", file=sys.stderr)
        return 130
