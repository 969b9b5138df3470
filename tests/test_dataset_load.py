"""load_dataset on real small files: good variants load, bad ones name file, line, column."""

import gzip

import numpy as np
import pytest

from salesapp.errors import InputError
from salesapp.model.dataset import load_dataset

SHOPS = ('shop_name,shop_id\n'
         '"!Якутск Орджоникидзе, 56 фран",0\n'
         'Москва ТЦ "Семеновский",1\n'
         '"Якутск Орджоникидзе, 56",2\n')
CATEGORIES = 'item_category_name,item_category_id\n"Игры - PS4, ""Лицензия""",0\nКино - DVD,1\n'
ITEMS = ('item_name,item_id,item_category_id\n'
         '"Ведьмак 3: Дикая Охота, ""Издание""",10,0\n'
         'Фильм (DVD),11,1\n'
         '"Игра, ""с кавычками""",12,0\n')
SALES_ROWS = [
    "02.01.2013,0,0,10,999.0,1.0",
    "03.01.2013,0,1,11,149.0,2.0",
    "05.02.2013,1,0,12,299.0,-1.0",
    "06.03.2013,2,2,10,899.0,1.0",
    "07.04.2013,3,2,11,149.0,3.0",
    "07.04.2013,3,1,12,299.0,1.0",
]
SALES_HEADER = "date,date_block_num,shop_id,item_id,item_price,item_cnt_day"
TEST = "ID,shop_id,item_id\n0,2,10\n1,1,11\n2,0,12\n"


def write_dir(root, sales_rows=None, encoding="utf-8", sales_name="sales_train.csv",
              sep=",", bom=False, test=True, **overrides):
    """Write a small data directory; overrides replace a file's text (key = file stem)."""
    rows = SALES_ROWS if sales_rows is None else sales_rows
    texts = {"shops.csv": SHOPS, "item_categories.csv": CATEGORIES, "items.csv": ITEMS,
             sales_name: "\n".join([SALES_HEADER, *rows]) + "\n"}
    if test:
        texts["test.csv"] = TEST
    for stem, text in overrides.items():
        texts[f"{stem}.csv"] = text
    root.mkdir(exist_ok=True)
    for name, text in texts.items():
        if sep != ",":
            text = text.replace(",", sep) if name.startswith(("sales", "train", "test")) else text
        data = ("\ufeff" if bom else "") + text
        raw = data.encode(encoding)
        if name.endswith(".gz"):
            raw = gzip.compress(raw)
        (root / name).write_bytes(raw)
    return root


def error_of(directory, **kwargs) -> InputError:
    with pytest.raises(InputError) as info:
        load_dataset(directory, **kwargs)
    return info.value


def test_good_directory_loads_with_dtypes_and_names(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d"))
    assert list(data.sales.columns) == ["date_block_num", "shop_id", "item_id", "item_price",
                                        "item_cnt_day"]
    assert data.sales["shop_id"].dtype == np.int8
    assert data.sales["item_price"].dtype == np.float32
    assert data.items.loc[0, "item_name"] == 'Ведьмак 3: Дикая Охота, "Издание"'
    assert data.categories.loc[0, "item_category_name"] == 'Игры - PS4, "Лицензия"'
    assert data.test is not None and len(data.test) == 3
    assert (data.sales["item_cnt_day"] < 0).sum() == 1  # returns kept


def test_train_csv_gz_and_no_test(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d", sales_name="train.csv.gz", test=False))
    assert len(data.sales) == len(SALES_ROWS)
    assert data.test is None


def test_all_files_gzipped(tmp_path):
    d = write_dir(tmp_path / "d")
    for path in list(d.iterdir()):
        (d / (path.name + ".gz")).write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    assert len(load_dataset(d).items) == 3


def test_cp1251_is_detected_and_read(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d", encoding="cp1251"))
    assert data.shops.loc[1, "shop_name"] == 'Москва ТЦ "Семеновский"'


def test_utf8_bom_loads(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d", bom=True))
    assert "shop_name" in data.shops.columns and "date_block_num" in data.sales.columns


def test_semicolon_separator_loads(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d", sep=";"))
    assert len(data.sales) == len(SALES_ROWS) and len(data.test) == 3


def test_missing_column(tmp_path):
    d = write_dir(tmp_path / "d", items="item_name,item_id\nA,10\n")
    err = error_of(d)
    assert (err.path.endswith("items.csv"), err.line, err.column) == (True, 1, "item_category_id")


def test_non_numeric_id(tmp_path):
    rows = SALES_ROWS[:2] + ["05.02.2013,1,0,abc,299.0,1.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (4, "item_id")
    assert "'abc' is not a number" in str(err)


def test_fractional_and_negative_ids(tmp_path):
    rows = SALES_ROWS[:1] + ["05.02.2013,1,0,10.5,299.0,1.0"]
    assert error_of(write_dir(tmp_path / "a", sales_rows=rows)).line == 3
    rows = SALES_ROWS[:1] + ["05.02.2013,1,-3,10,299.0,1.0"]
    err = error_of(write_dir(tmp_path / "b", sales_rows=rows))
    assert (err.line, err.column) == (3, "shop_id")


def test_empty_value(tmp_path):
    rows = SALES_ROWS[:3] + ["05.02.2013,1,0,10,,1.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (5, "item_price")


def test_bad_date(tmp_path):
    rows = SALES_ROWS[:2] + ["31.02.2013,1,0,10,299.0,1.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (4, "date")


def test_date_contradicting_block(tmp_path):
    rows = SALES_ROWS[:4] + ["07.04.2013,2,2,11,149.0,3.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (6, "date_block_num")
    assert "block 3" in str(err)


def test_undecodable_bytes(tmp_path):
    d = write_dir(tmp_path / "d")
    # 0x98 is undefined in CP1251 and invalid as a UTF-8 start byte.
    (d / "shops.csv").write_bytes(b"shop_name,shop_id\nabc,0\nx\x98y,1\n")
    err = error_of(d)
    assert err.path.endswith("shops.csv") and err.line == 3
    assert "UTF-8" in str(err)


def test_empty_file(tmp_path):
    d = write_dir(tmp_path / "d")
    (d / "items.csv").write_bytes(b"")
    assert "empty" in str(error_of(d))


def test_header_only_sales(tmp_path):
    err = error_of(write_dir(tmp_path / "d", sales_rows=[]))
    assert err.line == 2 and "no rows" in str(err)


def test_binary_file(tmp_path):
    d = write_dir(tmp_path / "d")
    (d / "sales_train.csv").write_bytes(bytes(range(256)) * 20)
    assert "binary" in str(error_of(d))


def test_sales_id_not_in_items(tmp_path):
    rows = SALES_ROWS + ["08.04.2013,3,1,99,299.0,1.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (8, "item_id")
    assert "99 is not in items.csv" in str(err)


def test_ragged_row(tmp_path):
    rows = SALES_ROWS[:1] + ["05.02.2013,1,0,10,299.0,1.0,7"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert err.line == 3


def test_missing_sales_file(tmp_path):
    d = write_dir(tmp_path / "d")
    (d / "sales_train.csv").unlink()
    assert "sales_train.csv or train.csv" in str(error_of(d))


def test_duplicate_shop_detected_and_applied(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d"))
    # Shop 0 sold in months 0-1, shop 2 (same name without "фран") in months 2-3.
    assert data.shop_aliases == {0: 2}
    assert 0 not in set(data.sales["shop_id"]) and 0 not in set(data.test["shop_id"])


def test_explicit_alias_mapping_wins(tmp_path):
    data = load_dataset(write_dir(tmp_path / "d"), shop_aliases={})
    assert data.shop_aliases == {} and 0 in set(data.sales["shop_id"])
    with pytest.raises(InputError):
        load_dataset(tmp_path / "d", shop_aliases={0: 77})


def test_cp1251_names_far_down_a_large_items_file(tmp_path):
    filler = "".join(f"plain name {i},{100 + i},0\n" for i in range(20_000))
    header, body = ITEMS.split("\n", 1)
    items = header + "\n" + filler + body  # the first 256 KB are plain ASCII
    assert len(filler) > 256 * 1024
    data = load_dataset(write_dir(tmp_path / "d", encoding="cp1251", items=items))
    assert data.items["item_name"].iloc[-1] == 'Игра, "с кавычками"'


def test_windows_line_ends_load(tmp_path):
    d = write_dir(tmp_path / "d")
    for path in d.iterdir():
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    data = load_dataset(d)
    assert len(data.sales) == len(SALES_ROWS) and data.shops.loc[1, "shop_name"].endswith('"')


def test_truncated_gzip(tmp_path):
    d = write_dir(tmp_path / "d", test=False)
    rows = "\n".join(SALES_ROWS * 5000).encode()
    whole = gzip.compress(SALES_HEADER.encode() + b"\n" + rows)
    (d / "sales_train.csv").unlink()
    (d / "sales_train.csv.gz").write_bytes(whole[: len(whole) // 2])
    err = error_of(d)
    assert err.path.endswith("sales_train.csv.gz") and "cannot be read" in str(err)


def test_blank_lines_are_skipped_and_lines_still_exact(tmp_path):
    rows = SALES_ROWS[:2] + ["", ""] + ["05.02.2013,1,0,99,299.0,1.0"]
    err = error_of(write_dir(tmp_path / "d", sales_rows=rows))
    assert (err.line, err.column) == (6, "item_id")
    data = load_dataset(write_dir(tmp_path / "ok", sales_rows=SALES_ROWS + ["", ""]))
    assert len(data.sales) == len(SALES_ROWS)


def test_duplicate_id_in_reference_file(tmp_path):
    err = error_of(write_dir(tmp_path / "d", shops=SHOPS + "Другой магазин,1\n"))
    assert err.path.endswith("shops.csv") and (err.line, err.column) == (5, "shop_id")
