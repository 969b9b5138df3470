"""The sales history the desk holds for the user (Qt-free): monthly sums per (month, shop,
item) plus the items, categories and shops, under `user_data_dir()/"history"`.

The API the window and the commands use:

- `folder()`: where the history lives.
- `load() -> WorkingHistory`: the current history, checked; on a fresh machine the bundled
  default data's (made once, no training). A damaged one is set aside and `notice` on the
  result says so in one sentence.
- `plan_import(source) -> ImportPlan`: read and check a folder or a list of 1C files; nothing
  is written. `plan.overlap` lists the months already held.
- `apply_import(plan, replace=False) -> ImportReport`: write it (OverlapError for held months
  unless `replace`); `report.line()` is the one line to show.
- `import_folder(source, replace=False)`: both at once.

The first import replaces the bundled default data whole (it is a stand-in until the user's own
sales arrive); every later one adds months, or replaces those it is told to.
"""

from __future__ import annotations

from pathlib import Path

from salesapp.history.errors import (
    ConcurrentImport,
    DamagedHistory,
    HistoryError,
    OverlapError,
)
from salesapp.history.held import WorkingHistory
from salesapp.history.importer import ImportPlan, ImportReport

__all__ = ["ConcurrentImport", "DamagedHistory", "HistoryError", "ImportPlan", "ImportReport",
           "OverlapError", "WorkingHistory", "apply_import", "folder", "import_folder", "load",
           "plan_import"]

SEED_ATTEMPTS = 2   # a second process seeding at the same moment wins once; then read its copy


def folder() -> Path:
    """The folder of the held history: `user_data_dir()/"history"` (SALESAPP_HOME moves it)."""
    from salesapp.paths import user_data_dir
    return user_data_dir() / "history"


def load() -> WorkingHistory:
    """The current held history, every file checked.

    A generation that fails its checks is renamed aside (`damaged-...`) and the one before it is
    used, or the bundled default data once none is left; the returned history's `notice` is
    then one sentence saying what happened. Raises HistoryError if the folder cannot be written
    (a fresh machine's default history is written there on first use).
    """
    from salesapp.history import months, storage
    root, notices = folder(), []
    for _ in range(SEED_ATTEMPTS + len(storage.generations(root))):
        found = storage.generations(root)
        if not found:
            hist = _seed_default(root)
            if hist is None:
                continue
        else:
            try:
                hist = storage.read_generation(found[-1])
            except DamagedHistory as exc:
                kept = storage.set_aside(found[-1], exc.reason)
                notices.append(f"the held sales history {found[-1].name} was damaged "
                               f"({exc.reason}) and was moved aside to {kept.name}")
                continue
        if notices:
            what = ("the bundled default data" if hist.is_default
                    else f"the history before it, {months.span(hist.months)}")
            text = "; ".join(notices)
            hist.notice = text[0].upper() + text[1:] + f"; now using {what}."
        return hist
    raise HistoryError(f"the held sales history in {root} could not be read or made")


def _seed_default(root: Path) -> WorkingHistory | None:
    """Write the bundled default data's history as the first generation (None: another process
    wrote one first)."""
    from salesapp.history import importer
    from salesapp.history.held import ORIGIN_DEFAULT
    from salesapp.paths import default_data_dir
    plan = importer.default_plan(default_data_dir())
    try:
        return importer.apply_import(plan, root, origin=ORIGIN_DEFAULT).history
    except ConcurrentImport:
        return None


def plan_import(source, held: WorkingHistory | None = None) -> ImportPlan:
    """Read and check `source` (a folder, or a list of 1C files) against the held history
    (`load()` if not given); InputError naming file, line and column if anything is wrong.
    Nothing is written."""
    from salesapp.history import importer
    return importer.plan_import(source, held if held is not None else load())


def apply_import(plan: ImportPlan, replace: bool = False) -> ImportReport:
    """Write a checked plan as the new held history (atomically: all of it or nothing).

    OverlapError (nothing changed) if it holds months already held and not `replace`;
    ConcurrentImport if another import changed the history since the plan was made.
    """
    from salesapp.history import importer
    return importer.apply_import(plan, folder(), replace=replace)


def import_folder(source, replace: bool = False) -> ImportReport:
    """`apply_import(plan_import(source), replace)`."""
    return apply_import(plan_import(source), replace=replace)
