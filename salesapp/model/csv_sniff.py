"""Encoding, separator, BOM and compression detection shared by the data and id-list readers.

Only the first block of a file is looked at, so sniffing costs the same for a file of any size; the
full read is left to pandas (training data) or streamed (`stream_lines`, id files).
Only regular files are opened: a FIFO or a device would block or never end.
"""

from __future__ import annotations

import gzip
import os
import stat
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from salesapp.errors import InputError

SAMPLE_BYTES = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
# Excel's "Unicode text" is UTF-16 (little-endian, with a BOM), tab-separated.
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
UTF16_LINE_ENDS = {"utf-16-le": b"\n\x00", "utf-16-be": b"\x00\n"}
SEPARATORS = (",", ";", "\t")
# A CSV of ids compresses a few times over; only runs of repeated bytes compress by hundreds.
# Past this ratio of the file's size (and past the floor, which lets small, repetitive files through) it is a bomb.
MAX_INFLATION_RATIO = 100
INFLATION_FLOOR_BYTES = 16 * 1024 * 1024
# No row of a CSV of ids is this long; a longer one is refused instead of held whole.
MAX_LINE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Sniffed:
    """How to read one CSV file: what pandas needs plus the decoded first lines."""

    encoding: str          # "utf-8-sig" (UTF-8, BOM stripped if present), "cp1251", "utf-16"
                           # (with its BOM) or "utf-16-le" / "utf-16-be" (without)
    sep: str
    compression: str | None  # "gzip" or None
    header: str            # first line, decoded, without the line end
    utf16: str | None = None  # "utf-16-le" or "utf-16-be" for a UTF-16 file: its byte order
    bom: bytes = b""       # the BOM the file starts with, to drop before decoding its blocks


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a plain file"


def open_regular(path: str | Path) -> BinaryIO:
    """Open a regular file for binary reading; anything else is refused before it is read.

    Opened non-blocking and checked on the open descriptor, so a FIFO never blocks the open and a
    file swapped for one between a check and the open is still caught.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror or exc})", path) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise InputError(f"is {_kind(mode)}, not a regular file; give a CSV file", path)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_sample(path: Path) -> tuple[bytes, str | None]:
    """Return the first bytes of the file (decompressed if gzip) and the compression used."""
    try:
        with open_regular(path) as fh:
            raw = fh.read(SAMPLE_BYTES)
            if raw.startswith(GZIP_MAGIC):
                fh.seek(0)
                with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                    return gz.read(SAMPLE_BYTES), "gzip"
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot be read ({exc})", path) from None
    return raw, None


def stream_blocks(path: Path, compression: str | None, block_bytes: int,
                  line_end: bytes = b"\n") -> Iterator[bytes]:
    """The file's bytes (inflated if gzip) in blocks that end at a line end (the last may not).

    ``line_end`` is b"\n", or a UTF-16 one (b"\n\x00"), found only at an even offset. A .gz that
    inflates past MAX_INFLATION_RATIO x its size (and INFLATION_FLOOR_BYTES) is refused as soon
    as it does, with InputError: the read stops there, never holding more than a block.
    """
    try:
        with open_regular(path) as raw:
            source = gzip.GzipFile(fileobj=raw, mode="rb") if compression == "gzip" else raw
            inflated, rest, lines, at = 0, b"", 0, 0   # at: the stream offset of `rest`
            while block := source.read(block_bytes):
                inflated += len(block)
                # Against the bytes read so far, not the file's size: a bomb stops at its start.
                if compression == "gzip" and inflated > max(MAX_INFLATION_RATIO * raw.tell(),
                                                            INFLATION_FLOOR_BYTES):
                    raise InputError(
                        f"inflates to more than {MAX_INFLATION_RATIO} times its size "
                        f"({inflated / 2**20:,.0f} MB so far); this is not a CSV of ids, or "
                        "unpack it first", path)
                data = rest + block
                cut = _past_last_line_end(data, line_end, at)
                if cut == 0:
                    rest = data
                    if len(rest) > MAX_LINE_BYTES:
                        raise InputError(f"is longer than {MAX_LINE_BYTES // 2**20} MB without a "
                                         "line end; this is not a CSV of ids", path, lines + 1)
                    continue
                piece = data[:cut]
                lines += piece.count(line_end)
                yield piece
                rest, at = data[cut:], at + cut
            if rest:
                yield rest
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot be read to the end ({exc})", path) from None


def _past_last_line_end(data: bytes, line_end: bytes, at: int) -> int:
    """The offset just past the last line end in data (0: none); data starts at stream offset
    `at`, and a two-byte (UTF-16) line end counts only at an even stream offset."""
    pos = data.rfind(line_end)
    if len(line_end) > 1:
        while pos >= 0 and (at + pos) % 2:
            pos = data.rfind(line_end, 0, pos + 1)
    return pos + len(line_end) if pos >= 0 else 0


def line_of_offset(raw: bytes, offset: int) -> int:
    """1-based line number of a byte offset (as an editor shows it)."""
    return raw.count(b"\n", 0, offset) + 1


def _looks_binary(raw: bytes) -> bool:
    # Text CSVs never hold NUL bytes; a few other control bytes in a row mean a binary format.
    if b"\x00" in raw:
        return True
    controls = sum(raw.count(bytes([c])) for c in range(1, 32) if c not in (9, 10, 13))
    return controls > max(8, len(raw) // 100)


def _cyrillic_share(text: str) -> float:
    """Share of the non-ASCII letters in text that are Cyrillic: CP1251 text is mostly Cyrillic."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return 1.0
    cyr = sum(1 for ch in non_ascii if "CYRILLIC" in unicodedata.name(ch, ""))
    return cyr / len(non_ascii)


def detect_encoding(raw: bytes, path: Path, complete: bool) -> str:
    """Return "utf-8-sig" or "cp1251" for the sample, or raise InputError at the first bad byte.

    ``complete`` says the sample is the whole file; otherwise a multi-byte character cut at the end
    of the sample is not an error.
    """
    body = raw.removeprefix(UTF8_BOM)
    try:
        body.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(body) - 3:
            return "utf-8-sig"
        utf8_bad = exc.start + (len(raw) - len(body))
    if raw.startswith(UTF8_BOM):
        # A BOM promises UTF-8: the bad byte is the error, not a different encoding.
        raise _undecodable(raw, utf8_bad, path)
    try:
        text = raw.decode("cp1251")
    except UnicodeDecodeError:
        raise _undecodable(raw, utf8_bad, path) from None
    if _cyrillic_share(text) < 0.8:
        raise _undecodable(raw, utf8_bad, path)
    return "cp1251"


def _undecodable(raw: bytes, offset: int, path: Path) -> InputError:
    return InputError(
        f"byte 0x{raw[offset]:02x} is neither UTF-8 nor Windows-1251 (CP1251) text; "
        "save the file as UTF-8", path, line_of_offset(raw, offset))


def detect_separator(header: str) -> str:
    """The separator that occurs most in the header line (outside quotes); "," if none does."""
    outside, quoted = [], False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted:
            outside.append(ch)
    plain = "".join(outside)
    counts = {sep: plain.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda s: counts[s])
    return best if counts[best] else ","


def _utf16_order(raw: bytes) -> str | None:
    """"utf-16-le" / "utf-16-be" when the sample is UTF-16 text (a BOM, or Latin text with a NUL
    in every other byte), else None."""
    if raw[:2] in UTF16_BOMS:
        return UTF16_BOMS[raw[:2]]
    sample = raw[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even_nuls, odd_nuls = sample[0::2].count(0), sample[1::2].count(0)
    if even_nuls == 0 and odd_nuls > 0.6 * half:
        return "utf-16-le"
    if odd_nuls == 0 and even_nuls > 0.6 * half:
        return "utf-16-be"
    return None


def _sniff_utf16(path: Path, raw: bytes, compression: str | None, order: str) -> Sniffed:
    bom = raw[:2] if raw[:2] in UTF16_BOMS else b""
    body = raw[len(bom):]
    body = body[:len(body) // 2 * 2]
    complete = len(raw) < SAMPLE_BYTES
    try:
        text = body.decode(order)
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(body) - 4:   # a surrogate pair cut by the sample
            text = body[:exc.start].decode(order)
        else:
            line = body[:exc.start].decode(order, errors="replace").count("\n") + 1
            raise InputError("is not valid UTF-16 text; save the file as UTF-8", path,
                             line) from None
    if not text.strip("\ufeff \r\n\t"):
        raise InputError("the file is empty", path)
    controls = sum(text.count(chr(c)) for c in range(32) if c not in (9, 10, 13))
    if controls > max(8, len(text) // 100):
        raise InputError("this is a binary file, not a CSV text file", path)
    header = text.splitlines()[0] if text else ""
    return Sniffed("utf-16" if bom else order, detect_separator(header), compression, header,
                   utf16=order, bom=bom)


def sniff(path: str | Path) -> Sniffed:
    """Detect compression, encoding (UTF-8 with/without BOM, CP1251, UTF-16 as Excel's "Unicode
    text" writes it) and separator of a CSV file.

    Raises InputError for an empty file, a binary file or bytes that are text in no such encoding.
    """
    path = Path(path)
    raw, compression = read_sample(path)
    order = _utf16_order(raw)
    if order is not None:
        return _sniff_utf16(path, raw, compression, order)
    if not raw.strip(UTF8_BOM + b" \r\n\t"):
        raise InputError("the file is empty", path)
    if _looks_binary(raw):
        raise InputError("this is a binary file, not a CSV text file", path)
    complete = len(raw) < SAMPLE_BYTES
    encoding = detect_encoding(raw, path, complete)
    text = raw.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text else ""
    return Sniffed(encoding, detect_separator(header), compression, header,
                   bom=UTF8_BOM if raw.startswith(UTF8_BOM) else b"")


def _read_all(path: Path, compression: str | None) -> bytes:
    with open_regular(path) as fh:
        if compression == "gzip":
            with gzip.GzipFile(fileobj=fh, mode="rb") as gz:
                return gz.read()
        return fh.read()


def full_file_encoding(path: Path, compression: str | None) -> str:
    """After a UTF-8 read failed past the sniffed sample: the whole file's encoding, or the error.

    A file whose first block is plain ASCII can still be CP1251 further down; only this error path
    pays for decoding the whole file.
    """
    raw = _read_all(path, compression)
    encoding = detect_encoding(raw, path, complete=True)
    if encoding == "utf-8-sig":  # decodes as a whole after all: nothing to locate
        raise InputError("cannot be decoded as UTF-8", path)
    return encoding
