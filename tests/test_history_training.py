"""`salesapp train` without --data: a model trained on the held history, no daily rows needed."""

import json

import numpy as np
from conftest import _write_tiny_data

from salesapp import history
from salesapp.cli import main
from salesapp.model.bundle import load_history, verify


def test_the_held_history_trains_the_model_the_files_train(tmp_path, capsys):
    data = _write_tiny_data(tmp_path / "data", months=15)
    history.import_folder(data)
    assert main(["train", "--out", str(tmp_path / "held"), "--threads", "1"]) == 0
    assert main(["train", "--data", str(data), "--out", str(tmp_path / "files"),
                 "--threads", "1"]) == 0
    held, files = tmp_path / "held", tmp_path / "files"
    assert (held / "model.txt").read_bytes() == (files / "model.txt").read_bytes()
    for name in ("state.json", "items.csv", "categories.csv", "shops.csv"):
        assert (held / name).read_bytes() == (files / name).read_bytes(), name
    a, b = load_history(held / "history.npz"), load_history(files / "history.npz")
    for f in ("month", "shop", "item", "cnt", "price"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    card = json.loads((held / "card.json").read_text(encoding="utf-8"))
    assert card["trained_from"] == "held history" and card["data_months"] == [0, 14]
    assert card["forecast_block"] == 15
    assert f"model {verify(held)} written to {held}" in capsys.readouterr().out


def test_without_out_the_model_is_kept_in_the_library_not_active(tmp_path, capsys):
    from salesapp import library

    history.import_folder(_write_tiny_data(tmp_path / "data", months=6, items=30, shops=3))
    assert main(["train", "--threads", "1"]) == 0
    out = capsys.readouterr().out.splitlines()[0]
    version = out.split()[1]
    assert out == (f"model {version} kept in the model library (not active yet: salesapp "
                   f"models activate {version})")
    kept = {e.version: e for e in library.entries()}
    assert version in kept and not kept[version].active
    assert kept[version].forecast_block == 6
    assert not [p for p in library.default_library().root.iterdir()
                if p.name.startswith(".") or "incoming" in p.name.lower()]


def test_too_short_a_history_is_one_sentence(tmp_path, capsys):
    data = _write_tiny_data(tmp_path / "data", months=2, items=20, shops=2)
    history.import_folder(data)
    assert main(["train", "--threads", "1"]) == 2
    assert capsys.readouterr().err == (
        "salesapp: the held history holds only Jan 2013 - Feb 2013 (2 months); training needs "
        "at least 3 months: import more (salesapp data import DIR).\n")
