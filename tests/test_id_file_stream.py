"""Id files: only regular files are read, bad lines are named and skipped, .gz bombs refused."""

import gzip
import os
import subprocess
import sys
import textwrap

import pytest

from salesapp.errors import InputError
from salesapp.model import csv_sniff
from salesapp.model.id_input import read_id_csv


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def _child_env(tmp_path):
    return {"SALESAPP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
            "PYTHONPATH": ":".join(p for p in sys.path if p)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifo_as_file_is_refused_at_once_in_a_child_process(tmp_path):
    fifo = tmp_path / "ids.csv"
    os.mkfifo(fifo)
    proc = subprocess.run([sys.executable, "-m", "salesapp", "submit", "--store",
                           str(tmp_path / "s"), "--file", str(fifo)], capture_output=True,
                          text=True, env=_child_env(tmp_path), timeout=30, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    expected = f"salesapp: {fifo}: is a FIFO (named pipe), not a regular file; give a CSV file."
    assert lines == [expected]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
def test_fifo_dropped_on_the_window_is_refused_in_one_sentence(tmp_path):
    """The window's reader (`id_import.read_file`) in a child: it must answer, never block."""
    fifo = tmp_path / "drop.csv"
    os.mkfifo(fifo)
    code = textwrap.dedent(f"""
        from salesapp.ui.id_import import read_file
        print(read_file({str(fifo)!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=_child_env(tmp_path), timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "'error'" in proc.stdout and "is a FIFO (named pipe), not a regular file" in proc.stdout


def test_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a regular file"):
        read_id_csv(tmp_path)


def test_ragged_line_is_named_and_the_other_rows_go_through(tmp_path):
    p = write(tmp_path / "a.csv", "ID,shop_id,item_id\n0,5,10\n1,5\n2,5,11,extra\n3,5,12\n")
    result = read_id_csv(p)
    assert result.ids == [10, 12]
    assert result.problems == ["2 lines have not the header's 3 fields: lines 3, 4"]


def test_unclosed_quote_is_named_and_the_other_rows_go_through(tmp_path):
    p = write(tmp_path / "a.csv", 'name,item_id\n"a, b",1\n"open,2\nc,3\n"x ""y""",4\n')
    result = read_id_csv(p)
    assert result.ids == [1, 3, 4]
    assert result.problems == ["1 line has an unclosed quote: line 3"]


def test_cli_names_the_file_and_line_of_a_bad_line(tmp_path, small_bundle, capsys):
    from salesapp.cli import main

    p = write(tmp_path / "ids.csv", 'item_id,name\n1,a\n"2,b\n3,c,d\n4,e\n')
    assert main(["submit", "--store", str(tmp_path / "s"), "--model", str(small_bundle),
                 "--file", str(p)]) == 0
    err = capsys.readouterr().err
    assert "2 queued" in err
    assert f"salesapp: {p}: 1 line has an unclosed quote: line 3" in err
    assert f"salesapp: {p}: 1 line has not the header's 2 fields: line 4" in err


def test_ids_across_many_blocks_with_crlf(tmp_path, monkeypatch):
    monkeypatch.setattr("salesapp.pacing.ID_FILE_BLOCK", 64)
    rows = [f"{i},{i % 7}\r\n" for i in range(5000)]
    p = write(tmp_path / "a.csv", "item_id,shop\r\n" + "".join(rows) + "x,1\r\n")
    result = read_id_csv(p)
    assert result.ids == list(range(5000)) and result.rows == 5001
    assert result.problems == ["1 row is not an item id: line 5002"]


def test_spreadsheet_numbers_and_out_of_range_cells(tmp_path):
    p = write(tmp_path / "a.csv", f"item_id\n5037.0\n5.5\n{2**31}\n{10**30}\n²\n 7 \n")
    result = read_id_csv(p)
    assert result.ids == [5037, 7]
    assert result.problems == ["1 row is not an item id: line 6",
                               "1 row is not a whole number: line 3",
                               "2 rows are out of range (ids are 0 to 2147483647): lines 4, 5"]


def test_gzip_bomb_is_refused_in_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_sniff, "INFLATION_FLOOR_BYTES", 1 << 20)
    p = tmp_path / "bomb.csv.gz"
    p.write_bytes(gzip.compress(b"item_id\n" + b"1\n" * (8 << 20), compresslevel=9))
    with pytest.raises(InputError) as info:
        read_id_csv(p)
    assert str(info.value).startswith(f"{p}: inflates to more than 100 times its size")


def test_a_line_without_end_is_refused_not_held(tmp_path):
    p = tmp_path / "zeros.csv.gz"
    p.write_bytes(gzip.compress(b"item_id\n" + b"0" * (4 << 20)))
    with pytest.raises(InputError, match="line 2: is longer than 1 MB without a line end"):
        read_id_csv(p)
