"""The one rule for what counts as an item id, for ids typed, pasted, and read from CSV or Excel.

- ASCII digits: `5037`. A spreadsheet's whole number `5037.0` is the same id.
- Digits grouped in threes by a space, a non-breaking space (U+00A0), a narrow one (U+202F) or a
  thin one (U+2009): `1 050` is 1050, as a spreadsheet or a report shows it. In typed text a
  plain space also separates ids, so there it groups only a whole part between commas (and the
  reading is noted); the other spaces group wherever they stand.
- Refused, each with its reason: a fraction (`2.5`), scientific notation (`1e3`: a spreadsheet
  shows long numbers rounded that way, so the id written in full is asked for), anything
  outside 0 <= id < ID_LIMIT, and anything else (`²`, `٣`, `-5`, `abc`).
- Ranges (typed only): `100-110`, also with an en dash, an em dash or a minus sign, and with
  spaces around the dash.
"""

from __future__ import annotations

import re

# Ids are 0 <= id < ID_LIMIT everywhere (typed, CSV, stored): the data's ids are int32, and Qt's
# sort role and the store's JSON rows then hold every id exactly.
ID_LIMIT = 2**31
MAX_DIGITS = len(str(ID_LIMIT))   # a longer token is out of range without converting it

# The rule in one line, for the id box's tooltip and `--items`' help.
RULE_TEXT = ("ids separated by commas or spaces, ranges 100-110; 1 050 is one id, 444.0 is 444; "
             "1e3 is refused (write the id in full)")

# What a value that is not an id is: the key of its reason (typed) or its kind of bad row (files).
NOT_ID, FRACTION, EXPONENT, OUT_OF_RANGE = "not an id", "fraction", "exponent", "out of range"

GROUP_SPACES = "\u00a0\u202f\u2009\u2007"     # never a separator between two ids
DASHES = "\u2010\u2011\u2012\u2013\u2014\u2212\ufe63\uff0d"
_DASH_TABLE = str.maketrans(dict.fromkeys(DASHES, "-"))
# A grouped number: the first group never starts with 0 (a zero-padded list is not one).
_GROUPED = re.compile(f"[1-9][0-9]{{0,2}}(?:[ {GROUP_SPACES}][0-9]{{3}})+")
_WHOLE = re.compile(r"([0-9]+)(?:\.0*)?")
_FRACTION = re.compile(r"[0-9]*\.[0-9]+|[0-9]+\.")
_EXPONENT = re.compile(r"[0-9]*\.?[0-9]+[eE][+-]?[0-9]+")
_GROUPED_HARD = re.compile(f"(?<![0-9.])[1-9][0-9]{{0,2}}(?:[{GROUP_SPACES}][0-9]{{3}})+(?![0-9])")
_GROUPED_PLAIN = re.compile(r"[1-9][0-9]{0,2}(?: [0-9]{3})+")
_GROUP_SPACE = re.compile(f"[ {GROUP_SPACES}]")


def id_value(text: str) -> int | str:
    """The id a cell or token stands for, or the kind of value it is instead (NOT_ID, ...)."""
    text = text.strip()
    if text.isascii() and text.isdigit():
        digits = text
    elif (match := _WHOLE.fullmatch(text)) is not None:
        digits = match.group(1)
    elif _GROUPED.fullmatch(text):
        digits = _GROUP_SPACE.sub("", text)
    elif _FRACTION.fullmatch(text):
        return FRACTION
    elif _EXPONENT.fullmatch(text):
        return EXPONENT
    else:
        return NOT_ID
    if len(digits.lstrip("0")) > MAX_DIGITS:
        return OUT_OF_RANGE
    value = int(digits)
    return value if value < ID_LIMIT else OUT_OF_RANGE


def normalise_dashes(text: str) -> str:
    """En dash, em dash, minus sign and the like as an ASCII hyphen, so `100–105` is a range."""
    return text.translate(_DASH_TABLE)


def join_groups(text: str) -> str:
    """`1 050` with a non-breaking, narrow or thin space written as `1050`: those spaces group
    digits, they never separate two ids."""
    return _GROUPED_HARD.sub(lambda m: _GROUP_SPACE.sub("", m.group(0)), text)


def is_space_grouped(text: str) -> bool:
    """True for digits grouped in threes by plain spaces (`1 050`, `12 345 678`)."""
    return _GROUPED_PLAIN.fullmatch(text) is not None
