"""One rule for an id, typed or read from a file: the same values are ids, the same are refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesapp.model.id_input import parse_id_text, read_id_csv, read_id_file

NBSP, NNBSP = "\u00a0", "\u202f"

# (as written, the id it is, or None: refused)
VALUES = [
    ("5037", 5037),
    ("5037.0", 5037),          # a spreadsheet's whole number
    ("1 050", 1050),           # grouped by a plain space
    (f"1{NBSP}050", 1050),     # grouped as a Russian-locale spreadsheet writes it
    (f"12{NNBSP}345{NNBSP}678", 12345678),
    ("1e3", None),             # scientific notation: refused everywhere
    ("1.05E+03", None),
    ("2.5", None),
    ("-4", None),
    ("²", None),
]


@pytest.mark.parametrize(("written", "expected"), VALUES)
def test_typed_csv_and_excel_text_cells_agree(tmp_path, written, expected):
    import openpyxl

    typed = parse_id_text(written)
    path = tmp_path / "ids.csv"
    path.write_text(f"item_id\n{written}\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.append(["item_id"])
    book.active.append([written])   # a text cell, as a pasted or imported column often is
    book.save(tmp_path / "ids.xlsx")
    want = [] if expected is None else [expected]
    for read in (read_id_csv(path), read_id_file(tmp_path / "ids.xlsx")):
        assert typed.ids == want and read.ids == want
        assert bool(typed.problems) == bool(read.problems) == (expected is None)


def test_each_refusal_says_why():
    result = parse_id_text("1e3, 2.5, abc")
    assert result.problems == [
        "'1e3' (item 1) is in scientific notation; write the id in full",
        "'2.5' (item 2) is not a whole number",
        "'abc' (item 3) is not an item id or a range like 100-110",
    ]
    assert result.rejected == ["1e3", "2.5", "abc"]


def test_file_rows_refused_by_kind_with_their_lines(tmp_path):
    path = tmp_path / "ids.csv"
    path.write_text("item_id\n7\n1e3\n2.5\nabc\n8\n", encoding="utf-8")
    result = read_id_csv(path)
    assert result.ids == [7, 8]
    assert result.problems == [
        "1 row is not an item id: line 5",
        "1 row is not a whole number: line 4",
        "1 row is in scientific notation like 1e3 (write the id in full): line 3",
    ]


def test_grouped_ids_in_a_typed_list():
    result = parse_id_text(f"1{NBSP}050, 2 300; 444 1094\n12{NNBSP}345")
    assert result.ids == [1050, 2300, 444, 1094, 12345]
    assert result.problems == []
    # a plain space is ambiguous, so the summary says how it was read; a non-breaking one is not
    assert result.notes == [("'2 300' read as one id, 2300 (digits in groups of three); "
                             "separate ids with commas")]


def test_a_zero_padded_list_is_not_a_grouped_number():
    assert parse_id_text("001 002 003").ids == [1, 2, 3]
    assert parse_id_text("1 2 3").ids == [1, 2, 3]


def test_groups_that_would_be_out_of_range_are_separate_ids():
    result = parse_id_text("3 100 100 100")
    assert result.ids == [3, 100] and result.problems == [] and result.notes == []


@pytest.mark.parametrize("dash", ["-", "\u2013", "\u2014", "\u2212"])
def test_ranges_with_any_dash(dash):
    assert parse_id_text(f"100{dash}103").ids == [100, 101, 102, 103]
    assert parse_id_text(f"100 {dash} 102, 7").ids == [100, 101, 102, 7]


def test_a_range_of_grouped_ends():
    assert parse_id_text(f"1{NBSP}000\u20131{NBSP}002").ids == [1000, 1001, 1002]


@given(st.lists(st.integers(0, 10**7), max_size=40))
def test_space_separated_ids_round_trip_unless_they_read_as_groups_of_three(ids):
    text = " ".join(map(str, ids))
    result = parse_id_text(text)
    if not result.notes:
        assert result.ids == list(dict.fromkeys(ids))
    assert result.problems == []
