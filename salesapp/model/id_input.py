"""Item ids typed by the user or imported from a CSV file, with one-sentence problems.

Used by the window (text box and CSV drop) and by `--items` / `--file` of the CLI.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from salesapp.errors import InputError
from salesapp.model.csv_sniff import full_file_encoding, sniff

if TYPE_CHECKING:   # numpy and pandas are imported where a CSV is read: typed ids need neither
    import numpy as np
    import pandas as pd

MAX_RANGE_WIDTH = 100_000
# Ids are 0 <= id < ID_LIMIT everywhere (typed, CSV, stored): the data's ids are int32, and Qt's
# sort role and the store's JSON rows then hold every id exactly.
ID_LIMIT = 2**31
_MAX_DIGITS = len(str(ID_LIMIT))   # a longer token is out of range without converting it
MAX_SHOWN_CHARS = 24               # a 5,000-digit token is named by its start and length
MAX_LISTED_LINES = 10
ID_COLUMN = "item_id"
_SPLIT = re.compile(r"[\s,;]+")
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_SPACED_DASH = re.compile(r"(\d)\s+-\s+(\d)")


@dataclass
class IdParse:
    """Valid ids (unique, first-seen order) and one sentence per problem found."""

    ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    column: str | None = None   # the CSV column used (read_id_csv only)
    rows: int = 0               # data rows read from the CSV (read_id_csv only)

    def summary(self) -> str:
        """One sentence for the user: how many ids, and the problems if any."""
        n = len(self.ids)
        text = f"{n} item id{'' if n == 1 else 's'}"
        if self.column is not None:
            text += f" read from column {self.column!r} ({self.rows} rows)"
        if self.problems:
            text += "; " + "; ".join(p.rstrip(".") for p in self.problems)
        return text + "."


class AmbiguousColumnError(InputError):
    """The CSV has several columns and none is named item_id: the user must pick one."""

    def __init__(self, path: str | Path, columns: list[str]):
        self.columns = list(columns)
        super().__init__(f"no column is named item_id; choose one of: {', '.join(columns)}",
                         path, 1)



def _shown(token: str) -> str:
    if len(token) <= MAX_SHOWN_CHARS:
        return repr(token)
    return f"{token[:12] + '…'!r} ({len(token):,} characters)"


def _whole_number(text: str) -> int | None:
    """The value of a token of ASCII digits; None for anything else (``²``, ``①``, ``٣``)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS else None


def _is_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _out_of_range(token: str, position: int) -> str:
    return (f"{_shown(token)} (item {position}) is out of range: item ids are whole numbers "
            f"from 0 to {ID_LIMIT - 1}")


def _token_ids(token: str, position: int) -> tuple[list[int], str | None]:
    if _is_digits(token):
        value = _whole_number(token)
        if value is None or value >= ID_LIMIT:
            return [], _out_of_range(token, position)
        return [value], None
    match = _RANGE.match(token)
    if not match or not (_is_digits(match.group(1)) and _is_digits(match.group(2))):
        return [], f"{_shown(token)} (item {position}) is not an item id or a range like 5030-5040"
    low, high = _whole_number(match.group(1)), _whole_number(match.group(2))
    if low is None or high is None or max(low, high) >= ID_LIMIT:
        return [], _out_of_range(token, position)
    if low > high:
        return [], f"range {token!r} (item {position}) is reversed; write {high}-{low}"
    if high - low + 1 > MAX_RANGE_WIDTH:
        return [], (f"range {token!r} (item {position}) spans {high - low + 1:,} ids, "
                    f"more than {MAX_RANGE_WIDTH:,}")
    return list(range(low, high + 1)), None


def parse_id_text(text: str) -> IdParse:
    """Parse ids separated by spaces, commas, semicolons or new lines, with inclusive ranges.

    A range is at most MAX_RANGE_WIDTH ids wide; a bad token is one problem sentence naming it and
    its position, and the other tokens still count.
    """
    result, seen = IdParse(), {}
    # "5030 - 5040" is one range: glue the dash before splitting on spaces.
    tokens = [t for t in _SPLIT.split(_SPACED_DASH.sub(r"\1-\2", text or "")) if t]
    for position, token in enumerate(tokens, start=1):
        ids, problem = _token_ids(token, position)
        if problem:
            result.problems.append(problem)
        seen.update(dict.fromkeys(ids))
    result.ids = list(seen)
    return result


def _read_columns(path: Path, header: bool, encoding: str | None = None):
    import pandas as pd

    sniffed = sniff(path)
    if encoding is not None:
        sniffed = dataclasses.replace(sniffed, encoding=encoding)
    try:
        frame = pd.read_csv(path, sep=sniffed.sep, encoding=sniffed.encoding,
                            compression=sniffed.compression, dtype=str, keep_default_na=False,
                            header=0 if header else None, skip_blank_lines=False)
    except UnicodeDecodeError:
        # Past the sniffed sample: decide on the whole file (raises at the first bad byte).
        return _read_columns(path, header, full_file_encoding(path, sniffed.compression))
    except pd.errors.ParserError as exc:
        raise InputError(f"is not a well-formed CSV file ({str(exc).strip()})", path) from None
    except (OSError, EOFError) as exc:  # e.g. a truncated .gz
        raise InputError(f"cannot be read to the end ({exc})", path) from None
    return frame


def _choose_column(path: Path, frame: pd.DataFrame, column: str | None) -> str:
    names = [str(c).strip() for c in frame.columns]
    if column is not None:
        if column not in names:
            raise InputError(f"has no column {column!r}", path, 1, column)
        return column
    for name in names:
        if name.lower() == ID_COLUMN:
            return name
    if len(names) == 1:
        return names[0]
    raise AmbiguousColumnError(path, names)


def _header_is_data(name: str) -> bool:
    return name.strip().isdigit()


def _summarise_bad(lines: np.ndarray) -> str:
    shown = ", ".join(str(n) for n in lines[:MAX_LISTED_LINES])
    if len(lines) == 1:
        return f"1 row is not an item id: line {shown}"
    more = f", … (first {MAX_LISTED_LINES})" if len(lines) > MAX_LISTED_LINES else ""
    return f"{len(lines)} rows are not item ids: lines {shown}{more}"


def read_id_csv(path: str | Path, column: str | None = None) -> IdParse:
    """Read item ids from a CSV file (UTF-8 with/without BOM or CP1251; `,` `;` or tab).

    The id column is `item_id` (any case), the only column, or ``column``; otherwise
    AmbiguousColumnError carries ``.columns``. Invalid rows become one summarised problem.
    """
    import numpy as np
    import pandas as pd

    path = Path(path)
    frame = _read_columns(path, header=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    first_line = 2
    if frame.shape[1] == 1 and column is None and _header_is_data(frame.columns[0]):
        frame, first_line = _read_columns(path, header=False), 1  # single column, no header
        frame.columns = ["item_id"]
        name = None
    else:
        name = _choose_column(path, frame, column)
    text = frame[name or "item_id"].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64")
    ok = np.isfinite(values) & (values >= 0) & (values == np.floor(values)) & (values < ID_LIMIT)
    result = IdParse(ids=pd.unique(values[ok]).astype(np.int64).tolist(), column=name,
                     rows=len(frame))
    bad_lines = np.flatnonzero(~ok) + first_line
    if bad_lines.size:
        result.problems.append(_summarise_bad(bad_lines))
    return result
