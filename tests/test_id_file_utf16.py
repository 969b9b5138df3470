"""UTF-16 id files (Excel's "Unicode text": a BOM, tab-separated) are read as text, not binary."""

import gzip

import pytest

from salesapp.errors import InputError
from salesapp.model.id_input import read_id_csv

EXCEL_UNICODE_TEXT = "Название\titem_id\tКол-во\r\nМолоко 1 л\t7\t3\r\nХлеб\t8\t1\r\n"


def test_excel_unicode_text_is_read(tmp_path):
    p = tmp_path / "ids.txt"
    p.write_bytes(EXCEL_UNICODE_TEXT.encode("utf-16"))   # Python writes the BOM, as Excel does
    result = read_id_csv(p)
    assert (result.ids, result.column, result.rows, result.problems) == ([7, 8], "item_id", 2, [])


@pytest.mark.parametrize("encoding", ["utf-16-be", "utf-16-le"])
def test_utf16_either_byte_order_with_a_bom(tmp_path, encoding):
    p = tmp_path / "ids.txt"
    p.write_bytes(("\ufeff" + EXCEL_UNICODE_TEXT).encode(encoding))
    assert read_id_csv(p).ids == [7, 8]


def test_utf16_without_a_bom(tmp_path):
    p = tmp_path / "ids.txt"
    p.write_bytes("item_id\n1\n2\n".encode("utf-16-le"))
    assert read_id_csv(p).ids == [1, 2]


def test_utf16_across_many_blocks_names_its_bad_line(tmp_path, monkeypatch):
    monkeypatch.setattr("salesapp.pacing.ID_FILE_BLOCK", 64)
    rows = "".join(f"{i}\tшт\r\n" for i in range(3000))
    p = tmp_path / "ids.txt"
    p.write_bytes(("item_id\tunit\r\n" + rows + "x\tшт\r\n" + "5\tшт\r\n").encode("utf-16"))
    result = read_id_csv(p)
    assert result.ids == list(range(3000)) and result.rows == 3002
    assert result.problems == ["1 row is not an item id: line 3002"]


def test_gzipped_utf16(tmp_path):
    p = tmp_path / "ids.txt.gz"
    p.write_bytes(gzip.compress(EXCEL_UNICODE_TEXT.encode("utf-16")))
    assert read_id_csv(p).ids == [7, 8]


def test_broken_utf16_is_named_by_its_line(tmp_path):
    good = "item_id\n1\n2\n".encode("utf-16")
    p = tmp_path / "ids.txt"
    p.write_bytes(good + "\ud800".encode("utf-16-le", "surrogatepass") + "3\n".encode("utf-16-le"))
    with pytest.raises(InputError, match="not valid UTF-16") as info:
        read_id_csv(p)
    assert info.value.line == 4


def test_a_real_binary_file_is_still_binary(tmp_path):
    p = tmp_path / "b.csv"
    p.write_bytes(b"\x00\x01\x02\x03" * 300)
    with pytest.raises(InputError, match="binary"):
        read_id_csv(p)
