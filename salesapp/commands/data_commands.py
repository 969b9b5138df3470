"""`salesapp generate-data OUT [--scale S] [--seed N]`: a synthetic data set and its oracle."""

from __future__ import annotations

import argparse

from salesapp.errors import InputError


def generate_data(args: argparse.Namespace) -> int:
    """Write a synthetic data set (and its oracle) into args.out; prints a one-line summary."""
    from salesapp.model.synthetic import generate

    if not args.scale > 0:
        raise InputError(f"--scale must be a positive number, not {args.scale:g}")
    info = generate(args.out, scale=args.scale, seed=args.seed)
    print(f"wrote {info['rows']:,} sales rows, {info['items']:,} items and "
          f"{info['test_pairs']:,} forecast pairs to {args.out}")
    return 0
