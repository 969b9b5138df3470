"""The command line's manners, through the real CLI in child processes: a mistake costs one
sentence on stderr and exit status 2, before any work, and leaves nothing behind."""

from pathlib import Path

import pytest
from engine_cli import run_cli

from salesapp.paths import default_store_dir

ROOT = Path(__file__).resolve().parent.parent


def refused(*args) -> str:
    """Run `salesapp ARGS`; it must exit 2 with one `salesapp: ...` line. Returns that line."""
    proc = run_cli(*args, timeout=60)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salesapp: "), proc.stderr
    assert "Traceback" not in proc.stderr and not proc.stdout
    return lines[0]


def test_predict_into_a_missing_folder(tmp_path):
    out = tmp_path / "no such folder" / "f.csv"
    line = refused("predict", "--items", "444", "--out", out)
    assert f"the folder {out.parent} does not exist" in line
    assert not out.parent.exists()


def test_train_onto_an_existing_file_is_refused_before_reading_data(tmp_path):
    out = tmp_path / "bundle"
    out.write_text("keep me", encoding="utf-8")
    # --data does not exist either: the --out check comes first, before anything is read
    line = refused("train", "--data", tmp_path / "missing", "--out", out)
    assert "--out must be a folder, and this is an existing file" in line and str(out) in line
    assert out.read_text(encoding="utf-8") == "keep me"


def test_generate_data_onto_an_existing_file(tmp_path):
    out = tmp_path / "data"
    out.write_text("keep me", encoding="utf-8")
    line = refused("generate-data", out, "--scale", "0.01")
    assert "OUT must be a folder, and this is an existing file" in line
    assert out.read_text(encoding="utf-8") == "keep me"


def test_generate_data_refuses_a_huge_scale_with_its_size(tmp_path):
    out = tmp_path / "data"
    line = refused("generate-data", out, "--scale", "1e9")
    assert "--scale 1e+09 would make about" in line and "about 2,914 trillion sales rows" in line
    assert "TB compressed" in line and "the largest is 2" in line
    assert not out.exists()


def test_mistyped_command_names_the_command_it_resembles(tmp_path):
    store = tmp_path / "store"
    line = refused("sumbit", "--store", store, "--items", "444")
    assert line == "salesapp: unknown command 'sumbit'; did you mean submit?"
    assert not store.exists() and not default_store_dir().exists()


def test_an_existing_file_named_like_a_command_is_still_a_file(tmp_path, monkeypatch):
    from salesapp import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sumbit").write_text("item_id\n444\n", encoding="utf-8")
    cli._refuse_unknown_command(["sumbit"])   # no error: the window would import it


@pytest.mark.parametrize("make", [False, True])
def test_results_from_a_folder_without_a_store(tmp_path, make):
    store = tmp_path / "store"
    if make:
        store.mkdir()
    line = refused("results", "--store", store, "--out", tmp_path / "r.csv")
    assert str(store) in line and "no job store" in line
    assert (list(store.iterdir()) == []) if make else not store.exists()
    assert not (tmp_path / "r.csv").exists()


@pytest.mark.parametrize("args", [
    ["train", "--data", "{root}/data", "--out", "{tmp}/b", "--store", "{tmp}/s"],
    ["train", "--data", "{root}/data", "--out", "{tmp}/b", "--model", "{root}/weights"],
    ["generate-data", "{tmp}/d", "--store", "{tmp}/s"],
    ["generate-data", "{tmp}/d", "--model", "{root}/weights"],
])
def test_train_and_generate_data_refuse_options_they_would_ignore(tmp_path, args):
    work = tmp_path / "work"
    work.mkdir()
    args = [a.format(tmp=work, root=ROOT) for a in args]
    option = args[-2]
    line = refused(*args)
    assert f"{args[0]} does not use {option}" in line
    assert list(work.iterdir()) == []
