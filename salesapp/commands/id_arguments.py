"""The item ids of `--items` / `--file`, shared by `predict` and `submit`."""

from __future__ import annotations

import sys

from salesapp.errors import InputError


def requested_ids(args) -> list[int]:
    """Valid ids of the mutually exclusive --items/--file; problems go to stderr, none valid raises."""
    from salesapp.model.id_input import AmbiguousColumnError, parse_id_text, read_id_file

    column, sheet = getattr(args, "column", None), getattr(args, "sheet", None)
    if not args.file and (column or sheet):
        raise InputError("--column and --sheet are for --file")
    try:
        parsed = (read_id_file(args.file, column, sheet) if args.file
                  else parse_id_text(args.items))
    except AmbiguousColumnError as exc:   # the window asks; here the option is the answer
        raise InputError("no column is named item_id; name one with --column: "
                         f"{', '.join(exc.columns)}", args.file, 1) from None
    where = f"{args.file}: " if args.file else ""
    for problem in parsed.problems:
        print(f"salesapp: {where}{problem}", file=sys.stderr)
    if not parsed.ids:
        raise InputError("no valid item ids given", args.file)
    return parsed.ids
