"""`salesapp models list | activate VERSION | add DIR`: the library of kept models."""

from __future__ import annotations

import sys

from salesapp.library import ModelLibrary, entry_text
from salesapp.ui.months import month_label  # plain text, no Qt


def models(args) -> int:
    """Run one `models` action on the user's library; damaged parts found are said on stderr."""
    lib = ModelLibrary()
    try:
        return {"list": _list, "activate": _activate, "add": _add}[args.models_command](lib, args)
    finally:
        for sentence in lib.notices:
            print(f"salesapp: {sentence}", file=sys.stderr)


def _list(lib: ModelLibrary, args) -> int:
    entries = lib.entries()
    print(entry_text.table(entries, month_label))
    print(f"salesapp: {len(entries)} model(s) in {lib.root}; * is the active one.",
          file=sys.stderr)
    return 0


def _activate(lib: ModelLibrary, args) -> int:
    return _made_active(lib, args.version)


def _made_active(lib: ModelLibrary, version: str) -> int:
    entry = lib.activate(version)
    print(f"salesapp: model {entry.version} is active (forecasts "
          f"{entry_text.cells(entry, month_label)['forecasts']}).", file=sys.stderr)
    return 0


def _add(lib: ModelLibrary, args) -> int:
    version = lib.add(args.dir)
    print(f"salesapp: model {version} is in the library.", file=sys.stderr)
    if args.activate:
        return _made_active(lib, version)
    return 0
