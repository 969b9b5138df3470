"""Item ids typed as text or read from real CSV files of every accepted shape."""

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesapp.errors import InputError
from salesapp.model.id_input import AmbiguousColumnError, parse_id_text, read_id_csv


def test_text_separators_ranges_and_duplicates():
    result = parse_id_text("5037, 5320;5037\n22 5030-5033\t7")
    assert result.ids == [5037, 5320, 22, 5030, 5031, 5032, 5033, 7]
    assert result.problems == []


def test_text_bad_token_named_with_position():
    result = parse_id_text("5037, abc, 12")
    assert result.ids == [5037, 12]
    assert result.problems == ["'abc' (item 2) is not an item id or a range like 100-110"]


def test_text_reversed_and_too_wide_ranges_refused():
    result = parse_id_text("40-30 1-200000 -5")
    assert result.ids == []
    assert "reversed" in result.problems[0]
    assert "200,000" in result.problems[1]
    assert "'-5'" in result.problems[2]


def test_text_empty():
    result = parse_id_text("  \n ")
    assert (result.ids, result.problems) == ([], [])
    assert result.summary() == "0 item ids."


def test_summary_mentions_problems():
    summary = parse_id_text("1 2 x").summary()
    assert summary.startswith("2 item ids; 'x' (item 3)") and summary.endswith(".")


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_competition_test_file(tmp_path):
    p = write(tmp_path / "test.csv", "ID,shop_id,item_id\n0,5,5037\n1,5,5320\n2,4,5037\n")
    result = read_id_csv(p)
    assert (result.ids, result.column, result.rows) == ([5037, 5320], "item_id", 3)


def test_csv_cp1251_semicolon_with_cyrillic_names(tmp_path):
    text = 'Название;ITEM_ID\n"Игра; ""Ведьмак"", делюкс";22\nФильм;33\n'
    result = read_id_csv(write(tmp_path / "a.csv", text, "cp1251"))
    assert (result.ids, result.column) == ([22, 33], "ITEM_ID")


def test_csv_bom_tab_separated(tmp_path):
    p = write(tmp_path / "a.csv", "\ufeffitem_id\tname\n7\tа, б\n8\tв\n")
    assert read_id_csv(p).ids == [7, 8]


def test_csv_single_column_with_and_without_header(tmp_path):
    assert read_id_csv(write(tmp_path / "h.csv", "ids\n3\n4\n")).ids == [3, 4]
    result = read_id_csv(write(tmp_path / "n.csv", "3\n4\n3\n"))
    assert result.ids == [3, 4] and result.rows == 3


def test_csv_gzip(tmp_path):
    p = tmp_path / "a.csv.gz"
    p.write_bytes(gzip.compress(b"item_id\n1\n2\n"))
    assert read_id_csv(p).ids == [1, 2]


def test_csv_ambiguous_columns(tmp_path):
    p = write(tmp_path / "a.csv", "shop,item\n1,2\n")
    with pytest.raises(AmbiguousColumnError) as info:
        read_id_csv(p)
    assert info.value.columns == ["shop", "item"]
    assert read_id_csv(p, column="item").ids == [2]


def test_csv_bad_rows_summarised_with_lines(tmp_path):
    values = ["1", "x", "-4", "", "2.5", "3"] + ["bad"] * 20
    result = read_id_csv(write(tmp_path / "a.csv", "item_id\n" + "\n".join(values) + "\n"))
    assert result.ids == [1, 3]
    expected = ("23 rows are not item ids: lines 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, "
                "… (first 10)")
    assert result.problems == [expected, "1 row is not a whole number: line 6"]


def test_csv_empty_and_binary(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_id_csv(write(tmp_path / "e.csv", ""))
    b = tmp_path / "b.csv"
    b.write_bytes(b"PK\x03\x04\x00\x00" + bytes(range(256)))
    with pytest.raises(InputError, match="binary"):
        read_id_csv(b)


def test_csv_hundred_thousand_ids(tmp_path):
    # Speed is measured in benchmarks/bench_load.py; here only correctness at that size.
    p = write(tmp_path / "big.csv", "item_id\n" + "\n".join(str(i) for i in range(100_000)) + "\n")
    result = read_id_csv(p)
    assert result.ids == list(range(100_000)) and result.problems == []


def test_text_spaced_range():
    assert parse_id_text("5030 - 5032, 7").ids == [5030, 5031, 5032, 7]


def test_csv_cp1251_after_a_long_ascii_start(tmp_path):
    # Cyrillic only past the sniffed sample: the whole file decides the encoding.
    text = "item_id,name\n" + "1,abc\n" * 60_000 + "2,Игра\n"
    assert read_id_csv(write(tmp_path / "a.csv", text, "cp1251")).ids == [1, 2]


def test_csv_undecodable_byte_late_in_file(tmp_path):
    p = tmp_path / "a.csv"
    p.write_bytes(b"item_id\n" + b"1\n" * 150_000 + b"x\x98\n")
    with pytest.raises(InputError) as info:
        read_id_csv(p)
    assert info.value.line == 150_002


@given(st.lists(st.integers(0, 10**7), max_size=40), st.sampled_from([",", ";", "\n", ", ", "\t"]))
def test_text_round_trip(ids, sep):
    result = parse_id_text(sep.join(map(str, ids)))
    assert result.ids == list(dict.fromkeys(ids)) and result.problems == []


@given(st.text(max_size=60))
def test_text_never_raises_and_keeps_ids_in_range(text):
    result = parse_id_text(text)
    assert all(0 <= i < 2**31 for i in result.ids)


def test_text_out_of_range_and_non_ascii_digits_named():
    result = parse_id_text(f"5037,² ٣ 2147483647 2147483648 1-{2**40}")
    assert result.ids == [5037, 2147483647]
    assert [p.split(" (item")[0] for p in result.problems] == \
        ["'²'", "'٣'", "'2147483648'", f"'1-{2**40}'"]
