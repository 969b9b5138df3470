"""`salesapp generate-data OUT [--scale S] [--seed N] [--regime NAME]`: a synthetic data set and its
oracle; `--regime list` names the regimes."""

from __future__ import annotations

import argparse

from salesapp.commands.argument_checks import writable_folder_for
from salesapp.errors import InputError

# Sales rows per unit of --scale: scale 1 is the real 1C data set's size (rows grow in proportion
# to the scale).
ROWS_PER_SCALE = 2_914_000
# Compressed bytes of sales_train.csv.gz per unit of --scale: names the size of a refused scale.
BYTES_PER_SCALE = 12_800_000
# The largest data set made: twice the real one, which `train` still fits in a few GB of memory;
# beyond it generating (all rows in memory at once) and training outgrow a desktop machine.
MAX_SCALE = 2.0


def _amount(n: float) -> str:
    if n >= 1e12:
        return f"{n / 1e12:,.0f} trillion"
    for unit, size in (("billion", 1e9), ("million", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n:,.0f}"


def _bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= size:
            return f"{n / size:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def check_scale(scale: float) -> None:
    """Refuse a --scale that is not positive or makes more data than a desktop can hold."""
    if not scale > 0:
        raise InputError(f"--scale must be a positive number, not {scale:g}")
    if scale > MAX_SCALE:
        raise InputError(
            f"--scale {scale:g} would make about {_amount(scale * ROWS_PER_SCALE)} sales rows "
            f"({_bytes(scale * BYTES_PER_SCALE)} compressed); the largest is {MAX_SCALE:g} "
            f"(about {_amount(MAX_SCALE * ROWS_PER_SCALE)} rows, twice the real data set)")


def generate_data(args: argparse.Namespace) -> int:
    """Write a synthetic data set (and its oracle) into args.out; prints a one-line summary.
    `--regime list` prints the regimes instead."""
    from salesapp.model.regimes import REGIMES

    name = getattr(args, "regime", "default")
    if name == "list":
        for regime in REGIMES.values():
            print(f"{regime.name:16} {regime.summary}")
        return 0
    if name not in REGIMES:
        raise InputError(f"--regime {name!r} is not a regime; the regimes are "
                         f"{', '.join(REGIMES)} (--regime list describes them)")
    check_scale(args.scale)
    writable_folder_for(args.out, "OUT")
    from salesapp.model.synthetic import generate

    info = generate(args.out, scale=args.scale, seed=args.seed, regime=name)
    shown = "" if name == "default" else f" (regime {name})"
    print(f"wrote {info['rows']:,} sales rows, {info['items']:,} items and "
          f"{info['test_pairs']:,} forecast pairs to {args.out}{shown}")
    return 0
