"""Item ids typed by the user or imported from a CSV file, with one-sentence problems.

Used by the window (text box and CSV drop) and by `--items` / `--file` of the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from salesapp.errors import InputError
from salesapp.model.csv_sniff import sniff
from salesapp.model.id_values import (
    EXPONENT,
    FRACTION,
    ID_LIMIT,
    NOT_ID,
    OUT_OF_RANGE,
    id_value,
    is_space_grouped,
    join_groups,
    normalise_dashes,
)

__all__ = ["ID_LIMIT", "AmbiguousColumnError", "IdParse", "parse_id_text", "read_id_csv",
           "read_id_file"]

MAX_RANGE_WIDTH = 100_000
MAX_SHOWN_CHARS = 24               # a 5,000-digit token is named by its start and length
MAX_LISTED_LINES = 10
ID_COLUMN = "item_id"
# Valid cells remembered so that a repeated id is checked once: the catalogue's ids fit, and a
# file of millions of distinct ids holds no second copy of them as text.
KNOWN_CELLS = 100_000
_PARTS = re.compile(r"[,;\t\r\n]+")   # what always separates two ids; a space may group digits
_RANGE = re.compile(r"^([^-]+)-([^-]+)$")
_SPACED_DASH = re.compile(r"(\d)\s+-\s+(\d)")


@dataclass
class IdParse:
    """Valid ids (unique, first-seen order) and one sentence per problem found."""

    ids: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    column: str | None = None   # the CSV column used (read_id_csv only)
    rows: int = 0               # data rows read from the CSV (read_id_csv only)
    rejected: list[str] = field(default_factory=list)   # typed tokens not understood, in order
    notes: list[str] = field(default_factory=list)      # how an unusual token was read
    sheet: str | None = None    # the workbook's sheet read (Excel files only)

    def summary(self) -> str:
        """One sentence for the user: how many ids, and the problems if any."""
        n = len(self.ids)
        text = f"{n} item id{'' if n == 1 else 's'}"
        where = [f"column {self.column!r}"] if self.column is not None else []
        where += [f"sheet {self.sheet!r}"] if self.sheet is not None else []
        if where:
            text += f" read from {', '.join(where)} ({self.rows} rows)"
        if self.problems or self.notes:
            text += "; " + "; ".join(p.rstrip(".") for p in self.problems + self.notes)
        return text + "."


class AmbiguousColumnError(InputError):
    """The CSV has several columns and none is named item_id: the user must pick one."""

    def __init__(self, path: str | Path, columns: list[str], sheet: str | None = None):
        self.columns = list(columns)
        self.sheet = sheet   # the Excel sheet whose columns these are
        super().__init__(f"no column is named item_id; choose one of: {', '.join(columns)}",
                         path, 1)


def _shown(token: str) -> str:
    if len(token) <= MAX_SHOWN_CHARS:
        return repr(token)
    return f"{token[:12] + '…'!r} ({len(token):,} characters)"


_TOKEN_REASONS = {
    NOT_ID: "is not an item id or a range like 100-110",
    FRACTION: "is not a whole number",
    EXPONENT: "is in scientific notation; write the id in full",
    OUT_OF_RANGE: f"is out of range: item ids are whole numbers from 0 to {ID_LIMIT - 1}",
}


def _token_ids(token: str, position: int) -> tuple[list[int], str | None]:
    value = id_value(token)
    if isinstance(value, int):
        return [value], None
    match = _RANGE.match(token) if value == NOT_ID else None
    if not match:
        return [], f"{_shown(token)} (item {position}) {_TOKEN_REASONS[value]}"
    low, high = id_value(match.group(1)), id_value(match.group(2))
    if OUT_OF_RANGE in (low, high):
        return [], f"{_shown(token)} (item {position}) {_TOKEN_REASONS[OUT_OF_RANGE]}"
    if not (isinstance(low, int) and isinstance(high, int)):
        return [], f"{_shown(token)} (item {position}) {_TOKEN_REASONS[NOT_ID]}"
    if low > high:
        return [], f"range {token!r} (item {position}) is reversed; write {high}-{low}"
    if high - low + 1 > MAX_RANGE_WIDTH:
        return [], (f"range {token!r} (item {position}) spans {high - low + 1:,} ids, "
                    f"more than {MAX_RANGE_WIDTH:,}")
    return list(range(low, high + 1)), None


def _tokens(text: str, notes: list[str]) -> list[str]:
    """The tokens of typed text: parts between commas, semicolons, tabs and line ends, each
    split at its spaces unless the whole part is digits grouped in threes (`1 050`)."""
    text = join_groups(normalise_dashes(text or ""))
    # "100 - 110" is one range: glue the dash before splitting on spaces.
    text = _SPACED_DASH.sub(r"\1-\2", text)
    tokens = []
    for part in _PARTS.split(text):
        part = part.strip()
        # grouped only if that reading is an id: "3 100 100 100" is four ids, not 3,100,100,100
        if is_space_grouped(part) and type(id_value(part)) is int:
            tokens.append(part)
            notes.append(f"{part!r} read as one id, {id_value(part)} (digits in groups of "
                         "three); separate ids with commas")
        else:
            tokens.extend(part.split())
    return tokens


def parse_id_text(text: str) -> IdParse:
    """Parse ids separated by commas, semicolons, tabs, new lines or spaces, with ranges.

    The rule for each id is `id_values.id_value`'s (the same as for files); a range is at most
    MAX_RANGE_WIDTH ids wide. A bad token is one problem sentence naming it and its position,
    kept in ``rejected``; the other tokens still count.
    """
    result, seen = IdParse(), {}
    for position, token in enumerate(_tokens(text, result.notes), start=1):
        ids, problem = _token_ids(token, position)
        if problem:
            result.problems.append(problem)
            result.rejected.append(token)
        seen.update(dict.fromkeys(ids))
    result.ids = list(seen)
    return result


def choose_column(path: Path, names: list[str], column: str | None) -> int:
    if column is not None:
        if column not in names:
            raise InputError(f"has no column {column!r}", path, 1, column)
        return names.index(column)
    for i, name in enumerate(names):
        if name.lower() == ID_COLUMN:
            return i
    if len(names) == 1:
        return 0
    raise AmbiguousColumnError(path, names)


class LineList:
    """The first MAX_LISTED_LINES line (or sheet row) numbers of one kind of problem, and how
    many there were."""

    def __init__(self, one: str, many: str, unit: str = "line"):
        self.one, self.many, self.count, self.first, self.unit = one, many, 0, [], unit

    def add(self, line: int) -> None:
        self.count += 1
        if len(self.first) < MAX_LISTED_LINES:
            self.first.append(line)

    def sentence(self) -> str | None:
        if not self.count:
            return None
        shown = ", ".join(map(str, self.first))
        if self.count == 1:
            return f"1 {self.one}: {self.unit} {shown}"
        more = f", … (first {MAX_LISTED_LINES})" if self.count > MAX_LISTED_LINES else ""
        return f"{self.count:,} {self.many}: {self.unit}s {shown}{more}"


def bad_cell_lists(unit: str = "line") -> dict[str, LineList]:
    """One list of lines per kind of cell that is not an id, in the order they are reported."""
    ids = f"ids are 0 to {ID_LIMIT - 1}"
    kinds = {
        NOT_ID: ("row is not an item id", "rows are not item ids"),
        FRACTION: ("row is not a whole number", "rows are not whole numbers"),
        EXPONENT: ("row is in scientific notation like 1e3 (write the id in full)",
                   "rows are in scientific notation like 1e3 (write the ids in full)"),
        OUT_OF_RANGE: (f"row is out of range ({ids})", f"rows are out of range ({ids})"),
    }
    return {kind: LineList(one, many, unit) for kind, (one, many) in kinds.items()}


class _IdFileReader:
    """One pass over an id file: the chosen column's ids, the bad lines by kind."""

    def __init__(self, path: Path, sniffed, fields: int, index: int):
        self.path, self.sniffed, self.fields, self.index = path, sniffed, fields, index
        self.seen: dict[int, None] = {}
        self.known_cells: dict[str, None] = {}   # cells already checked and valid
        self.rows = 0
        self.bad_cells = bad_cell_lists()
        self.not_ids = self.bad_cells[NOT_ID]
        self.ragged = LineList(f"line has not the header's {fields} fields",
                                f"lines have not the header's {fields} fields")
        self.unclosed = LineList("line has an unclosed quote", "lines have an unclosed quote")

    def problems(self) -> list[str]:
        lists = (*self.bad_cells.values(), self.ragged, self.unclosed)
        return [s for s in (kind.sentence() for kind in lists) if s]

    def take(self, text: str, lines: list[str], first: int) -> None:
        """Data lines numbered from `first` (1-based); ``text`` is them joined by line ends."""
        self.rows += len(lines)
        if not self._take_whole_block(text, lines):
            self._take_lines(lines, first)

    def _take_whole_block(self, text: str, lines: list[str]) -> bool:
        """The common block (no quotes, every line well-formed, every cell an id) in C loops:
        the cells by one regex, each distinct cell checked once. False: look line by line."""
        if '"' in text:
            return False
        if self.fields == 1:
            if self.sniffed.sep in text:
                return False
            cells = lines
        else:
            cells = self._pattern().findall(text)
            if len(cells) != len(lines):
                return False   # some line has another number of fields (or is blank)
        known = self.known_cells
        new = [cell for cell in dict.fromkeys(cells) if cell not in known]
        values = [id_value(cell) for cell in new]
        if not all(type(v) is int for v in values):
            return False
        self.seen.update(dict.fromkeys(values))
        if len(known) < KNOWN_CELLS:
            known.update(dict.fromkeys(new))
        return True

    def _pattern(self):
        if getattr(self, "_cells_re", None) is None:
            sep = re.escape(self.sniffed.sep)
            field = f"[^{sep}\\n]*"
            before = f"(?:{field}{sep}){{{self.index}}}"
            after = f"(?:{sep}{field}){{{self.fields - self.index - 1}}}"
            self._cells_re = re.compile(f"^{before}({field}){after}$", re.MULTILINE)
        return self._cells_re

    def _take_lines(self, lines: list[str], first: int) -> None:
        import csv

        sep, fields, index, seen = self.sniffed.sep, self.fields, self.index, self.seen
        for number, line in enumerate(lines, start=first):
            if fields == 1 and sep not in line and '"' not in line:
                cell = line
            elif '"' in line:
                if line.count('"') % 2:   # a quoted field never spans lines in an id file
                    self.unclosed.add(number)
                    continue
                parts = next(csv.reader([line], delimiter=sep))
                if len(parts) != fields:
                    self.ragged.add(number) if line.strip() else self.not_ids.add(number)
                    continue
                cell = parts[index]
            else:
                parts = line.split(sep)
                if len(parts) != fields:
                    self.ragged.add(number) if line.strip() else self.not_ids.add(number)
                    continue
                cell = parts[index]
            value = id_value(cell)
            if type(value) is int:
                seen[value] = None
            else:
                self.bad_cells[value].add(number)


def _decoded_blocks(path: Path, sniffed) -> Iterator[tuple[str, int]]:
    """(text of whole lines, number of its first line), decoding as the file turns out to be.

    The sniffed sample decides the encoding; a file that is plain ASCII there and CP1251 later
    switches at the first such block. A byte that is neither raises InputError with its line.
    """
    from salesapp.model.csv_sniff import stream_blocks
    from salesapp.pacing import ID_FILE_BLOCK

    if sniffed.utf16 is not None:
        yield from _utf16_blocks(path, sniffed)
        return
    encoding = "utf-8" if sniffed.encoding == "utf-8-sig" else sniffed.encoding
    line, ascii_so_far, first = 1, True, True
    for block in stream_blocks(path, sniffed.compression, ID_FILE_BLOCK):
        if first:
            block, first = block.removeprefix(sniffed.bom), False
        text, encoding = _decode(block, encoding, ascii_so_far, path, line)
        ascii_so_far = ascii_so_far and block.isascii()
        yield text, line
        line += text.count("\n")


def _decode(block: bytes, encoding: str, ascii_so_far: bool, path: Path,
            line: int) -> tuple[str, str]:
    """The block's text and the encoding it turned out to be in (see `_decoded_blocks`)."""
    from salesapp.model.csv_sniff import detect_encoding, line_of_offset

    try:
        return block.decode(encoding), encoding
    except UnicodeDecodeError as exc:
        if not ascii_so_far:
            raise InputError(f"byte 0x{block[exc.start]:02x} is not {encoding.upper()} text; "
                             "save the file as UTF-8", path,
                             line + block.count(b"\n", 0, exc.start)) from None
        try:
            encoding = detect_encoding(block, path, complete=True)
        except InputError as error:
            error.line = (error.line or 1) + line - 1   # counted in the block: in the file
            raise error from None
        if encoding == "utf-8-sig":
            raise InputError("cannot be decoded as UTF-8", path,
                             line_of_offset(block, exc.start) + line - 1) from None
        return block.decode(encoding), encoding


def _utf16_blocks(path: Path, sniffed) -> Iterator[tuple[str, int]]:
    """`_decoded_blocks` of a UTF-16 file: blocks cut at its two-byte line ends."""
    from salesapp.model.csv_sniff import UTF16_LINE_ENDS, stream_blocks
    from salesapp.pacing import ID_FILE_BLOCK

    order, line, first = sniffed.utf16, 1, True
    for block in stream_blocks(path, sniffed.compression, ID_FILE_BLOCK, UTF16_LINE_ENDS[order]):
        if first:
            block, first = block.removeprefix(sniffed.bom), False
        try:
            text = block.decode(order)
        except UnicodeDecodeError as exc:
            line += block[:exc.start].decode(order, errors="replace").count("\n")
            raise InputError("is not valid UTF-16 text; save the file as UTF-8", path,
                             line) from None
        yield text, line
        line += text.count("\n")


def read_id_csv(path: str | Path, column: str | None = None) -> IdParse:
    """Read item ids from a CSV file (UTF-8 with/without BOM or CP1251; `,` `;` or tab; .gz).

    Streamed a block at a time, keeping only the chosen column's ids: memory grows with the
    distinct ids, not with the file. The id column is `item_id` (any case), the only column, or
    ``column``; otherwise AmbiguousColumnError carries ``.columns``. A row that is not an id, a
    line with another number of fields than the header, or an unclosed quote is skipped and
    named by its line (summarised per kind); the other rows still count. Only regular files are
    read, and a .gz that inflates like a bomb is refused (InputError).
    """
    import csv

    path = Path(path)
    sniffed = sniff(path)
    names = [c.strip() for c in next(csv.reader([sniffed.header.lstrip("\ufeff")],
                                                delimiter=sniffed.sep), [""])]
    has_header = not (len(names) == 1 and column is None and _header_is_data(names[0]))
    index = choose_column(path, names, column) if has_header else 0
    reader = _IdFileReader(path, sniffed, len(names), index)
    for text, line in _decoded_blocks(path, sniffed):
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()   # the end of the last line, not an empty line
        if line == 1 and has_header:
            lines, line, text = lines[1:], 2, text.partition("\n")[2]
        reader.take(text, lines, line)
    return IdParse(ids=list(reader.seen), problems=reader.problems(),
                   column=names[index] if has_header else None, rows=reader.rows)


def _header_is_data(name: str) -> bool:
    return type(id_value(name)) is int


def read_id_file(path: str | Path, column: str | None = None, sheet: str | None = None,
                 ask_sheet: bool = False) -> IdParse:
    """Read item ids from a CSV/text file (`read_id_csv`) or an Excel workbook (`read_id_xlsx`:
    ``sheet``, else the first one, or AmbiguousSheetError when ``ask_sheet`` and it has several).

    A workbook is told by its content (a ZIP holding a workbook), not by its name.
    """
    from salesapp.model.id_xlsx import is_workbook, read_id_xlsx

    if is_workbook(path):
        return read_id_xlsx(path, column, sheet, ask_sheet)
    return read_id_csv(path, column)
