"""Encoding, separator, BOM and compression detection shared by the data and id-list readers.

Only the first block of a file is looked at, so sniffing costs the same for a file of any size; the
full read is left to pandas with the detected settings.
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from salesapp.errors import InputError

SAMPLE_BYTES = 256 * 1024
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class Sniffed:
    """How to read one CSV file: what pandas needs plus the decoded first lines."""

    encoding: str          # "utf-8-sig" (UTF-8, BOM stripped if present) or "cp1251"
    sep: str
    compression: str | None  # "gzip" or None
    header: str            # first line, decoded, without the line end


def read_sample(path: Path) -> tuple[bytes, str | None]:
    """Return the first bytes of the file (decompressed if gzip) and the compression used."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(SAMPLE_BYTES)
        if raw.startswith(GZIP_MAGIC):
            with gzip.open(path, "rb") as fh:
                return fh.read(SAMPLE_BYTES), "gzip"
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot be read ({exc})", path) from exc
    return raw, None


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


def sniff(path: str | Path) -> Sniffed:
    """Detect compression, encoding (UTF-8 with/without BOM, CP1251) and separator of a CSV file.

    Raises InputError for an empty file, a binary file or bytes that are text in neither encoding.
    """
    path = Path(path)
    raw, compression = read_sample(path)
    if not raw.strip(UTF8_BOM + b" \r\n\t"):
        raise InputError("the file is empty", path)
    if _looks_binary(raw):
        raise InputError("this is a binary file, not a CSV text file", path)
    complete = len(raw) < SAMPLE_BYTES
    encoding = detect_encoding(raw, path, complete)
    text = raw.decode(encoding, errors="replace")
    header = text.splitlines()[0] if text else ""
    return Sniffed(encoding, detect_separator(header), compression, header)


def _read_all(path: Path, compression: str | None) -> bytes:
    opener = gzip.open if compression == "gzip" else open
    with opener(path, "rb") as fh:
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
