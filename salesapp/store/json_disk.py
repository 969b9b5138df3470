"""A diskcache `Disk` that writes JSON inside SQLite and refuses to read pickles.

diskcache pickles by default, and even its `JSONDisk` still unpickles any row whose mode column says
pickle, so a store file that someone else can write would run their code (CVE-2025-69872). This
disk never calls pickle: keys must be `str`, values are JSON bytes kept in the Cache table, and a
row in pickle mode (or a pickled key, or a value in a side file) raises `PickleRefusedError`.
"""

from __future__ import annotations

import json
import json.encoder
import json.scanner

import orjson
from diskcache import Cache, Disk
from diskcache.core import MODE_PICKLE, MODE_RAW, UNKNOWN

from salesapp.errors import StoreError
from salesapp.store.cache_sql import BoundedCache

# Larger than any value we could write, so diskcache never moves a value to a side file.
HUGE = 2**62

# Passed on every open: diskcache keeps settings in the database and the last opener wins.
STORE_SETTINGS = {
    "eviction_policy": "none",  # the default silently drops entries past 1 GB
    "cull_limit": 0,
    "size_limit": HUGE,
    "sqlite_synchronous": 2,  # FULL: a committed job survives a power cut
    "disk_min_file_size": HUGE,
    "tag_index": True,  # job state lives in the tag column; counts and lease scans use it
    # diskcache memory-maps the file: a database truncated under a running worker then kills
    # it with SIGBUS instead of an I/O error the store can name.
    "sqlite_mmap_size": 0,
}


def _not_json(value):
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# One encoder and one scanner for the process: `json.dumps` builds its C encoder again on every
# call, and a batch writes thousands of rows. UTF-8 text instead of `\uXXXX` escapes (Cyrillic
# names) is smaller and encodes faster; no circular check (values are plain trees built by us).
# NaN and Infinity are refused (ValueError): they are not JSON, and SQLite's JSON functions and
# every other reader of the store would fail on the row.
_C_ENCODE = (json.encoder.c_make_encoder(None, _not_json, json.encoder.encode_basestring, None,
                                         ":", ",", False, False, False)
             if json.encoder.c_make_encoder is not None else None)
_PY_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False,
                               allow_nan=False)


def _not_a_json_number(name: str):
    raise ValueError(f"{name} is not JSON")


# Reading refuses NaN and Infinity as writing does: a row holding them was not written by us.
_DECODER = json.JSONDecoder(parse_constant=_not_a_json_number)
_SCAN = json.scanner.make_scanner(_DECODER)


def encode_json(value) -> bytes:
    """`value` as compact UTF-8 JSON bytes (what `json.dumps` writes, without ASCII escapes; a
    float may be spelt otherwise, `0.00001` for `1e-05`, and reads back the same).

    orjson writes the same text several times faster (a batch of results is mostly floats), but
    writes NaN and Infinity as null instead of refusing them, and refuses what it does not know
    (ints past 64 bits, keys that are not text): those values take the `json` module's way,
    which refuses or writes them as before. A NaN shows as one `null` more than the value's own
    top-level Nones (counted in C); a value with Nones nested deeper, or a text holding "null",
    merely takes the slower way too.
    """
    try:
        data = orjson.dumps(value)
    except TypeError:   # orjson.JSONEncodeError
        return _encode_plain(value)
    if b"null" in data and data.count(b"null") != _top_level_nones(value):
        return _encode_plain(value)
    return data


def _top_level_nones(value) -> int:
    if value is None:
        return 1
    if type(value) is dict:
        return list(value.values()).count(None)
    if type(value) is list:
        return value.count(None)
    return 0


def _encode_plain(value) -> bytes:
    """`encode_json` by the `json` module's C encoder (NaN and Infinity raise ValueError)."""
    if _C_ENCODE is None:
        return _PY_ENCODER.encode(value).encode("utf-8")
    return "".join(_C_ENCODE(value, 0)).encode("utf-8")


def decode_json(data: bytes):
    """The value of JSON bytes; anything but one complete JSON document raises like `json.loads`."""
    try:
        text = data.decode("utf-8")
        value, end = _SCAN(text, 0)
    except (UnicodeDecodeError, StopIteration):
        return json.loads(data, parse_constant=_not_a_json_number)   # other encodings, or its error
    return value if end == len(text) else json.loads(data, parse_constant=_not_a_json_number)


class PickleRefusedError(StoreError):
    """A row of the store is not plain JSON (pickle mode, pickled key or side file): never read."""


class JsonOnlyDisk(Disk):
    """Keys are `str`, values are JSON bytes inside SQLite; pickle rows are refused, not loaded."""

    def put(self, key):
        """Key as stored: only `str` keys (tuple keys do not round-trip, diskcache #54/#181)."""
        if type(key) is not str:
            raise TypeError(f"store keys must be str, not {type(key).__name__}")
        return super().put(key)

    def get(self, key, raw):
        """Key as read back; a pickled key (raw = 0) is refused."""
        if not raw:
            raise PickleRefusedError("the store holds a pickled key; it was refused, not loaded")
        return super().get(key, raw)

    def store(self, value, read, key=UNKNOWN):
        """Encode `value` as JSON bytes kept in the database row (never a file, never pickle)."""
        if read:
            raise TypeError("the store keeps JSON values only, not file handles")
        data = encode_json(value)
        size, mode, filename, db_value = super().store(data, False, key=key)
        if mode != MODE_RAW or filename is not None:
            raise StoreError("the store would have written a side file; its settings are wrong")
        return size, mode, filename, db_value

    def fetch(self, mode, filename, value, read):
        """Decode a row's value; pickle rows and side files raise `PickleRefusedError`."""
        if mode == MODE_RAW and filename is None and value is not None:
            return decode_json(bytes(value))
        what = "pickle" if mode == MODE_PICKLE else f"mode {mode}"
        raise PickleRefusedError(f"the store holds a row in {what}; it was refused, not loaded")


def open_cache(directory: str, timeout: float) -> Cache:
    """A diskcache `Cache` over `directory` with our disk and settings; busy waits bounded."""
    return BoundedCache(directory, timeout=timeout, disk=JsonOnlyDisk, **STORE_SETTINGS)
