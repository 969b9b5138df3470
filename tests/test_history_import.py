"""The held sales history: imports of whole histories and of single months, on real files read
by the real loader, into a real history folder (SALESAPP_HOME is a per-test folder)."""

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from salesapp import history
from salesapp.errors import InputError
from salesapp.history import storage
from salesapp.model.synthetic import generate

TABLE_FILES = ("items.csv", "item_categories.csv", "shops.csv")
FIELDS = ("month", "shop", "item", "cnt", "price")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """Three generated data sets (scale 0.02), by seed, with rows that cleaning decides on."""
    root = tmp_path_factory.mktemp("generated")
    out = {}
    for seed in (1, 2, 3):
        generate(root / str(seed), 0.02, seed)
        out[seed] = _with_hard_rows(root / str(seed), np.random.default_rng(seed))
    return out


def _with_hard_rows(src: Path, rng) -> Path:
    """Add what the generator's few absurd rows do not test: days of 5 to 50 times the usual
    high count (an outlier limit taken over whichever months came in one import would drop
    some of them in one import and keep them in another), and negative prices that no other
    row of the same shop and month can price (a fallback over all months imported would
    depend on which months came along)."""
    sales = pd.read_csv(src / "sales_train.csv.gz")
    spikes = sales.sample(12, random_state=rng.integers(1 << 30)).copy()
    spikes["item_cnt_day"] = rng.uniform(150, 1500, len(spikes)).round()
    orphans = sales.sample(6, random_state=rng.integers(1 << 30)).copy()
    orphans["shop_id"], orphans["item_price"] = 59 - orphans["shop_id"] % 3, -1.0
    pd.concat([sales, spikes, orphans]).to_csv(src / "sales_train.csv.gz", index=False)
    return src


def _sales(src: Path) -> pd.DataFrame:
    return pd.read_csv(src / "sales_train.csv.gz", dtype=str, keep_default_na=False)


def write_part(src: Path, out: Path, months, tables="all") -> Path:
    """A folder with the rows of `months` (file order kept) and the reference tables: "all",
    None, or "sold" (only the items these rows sell)."""
    out.mkdir(parents=True)
    sales = _sales(src)
    part = sales[sales["date_block_num"].astype(int).isin(list(months))]
    part.to_csv(out / "sales_train.csv", index=False)
    if tables == "all":
        for name in TABLE_FILES:
            shutil.copy(src / name, out / name)
    elif tables == "sold":
        for name in TABLE_FILES[1:]:
            shutil.copy(src / name, out / name)
        items = pd.read_csv(src / "items.csv", dtype=str, keep_default_na=False)
        items[items["item_id"].isin(set(part["item_id"]))].to_csv(out / "items.csv", index=False)
    return out


def use_home(monkeypatch, path: Path) -> None:
    monkeypatch.setenv("SALESAPP_HOME", str(path))


def same_history(a, b) -> None:
    for view in ("raw", "monthly"):
        ha, hb = (a.raw, b.raw) if view == "raw" else (a.monthly(), b.monthly())
        for f in FIELDS:
            assert np.array_equal(getattr(ha, f), getattr(hb, f)), (view, f)
    for key in ("items", "categories", "shops"):
        pd.testing.assert_frame_equal(getattr(a, key), getattr(b, key), check_dtype=False)
    drop = lambda m: {k: {f: v for f, v in e.items() if f != "imported"} for k, e in m.items()}
    assert drop(a.meta["months"]) == drop(b.meta["months"])
    assert a.shop_aliases == b.shop_aliases and a.open_shops() == b.open_shops()


def snapshot(root: Path) -> dict:
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_months_imported_one_import_at_a_time_give_the_sums_of_the_whole_history(
        generated, tmp_path, monkeypatch, seed):
    src = generated[seed]
    use_home(monkeypatch, tmp_path / "whole")
    whole = history.import_folder(src).history
    # split at random months: a first history, then a month or a few at a time
    rng = np.random.default_rng(seed)
    cuts = sorted(rng.choice(np.arange(4, 34), size=3, replace=False).tolist())
    parts = list(zip([0, *cuts], [*cuts, 34]))
    use_home(monkeypatch, tmp_path / "split")
    for n, (lo, hi) in enumerate(parts):
        tables = "sold" if n == 0 else ("all" if n == 1 else None)
        folder = write_part(src, tmp_path / f"part{n}", range(lo, hi), tables)
        report = history.import_folder(folder)
        assert report.months_added == list(range(lo, hi)) and not report.months_replaced
    split = history.load()
    assert split.months == whole.months == list(range(34))
    same_history(split, whole)
    assert [i["months_added"] for i in split.meta["imports"]] == [list(range(a, b))
                                                                  for a, b in parts]


def test_the_fresh_history_is_the_default_data_as_the_loader_aggregates_it():
    from salesapp.model.dataset import load_dataset
    from salesapp.model.features import monthly_history
    from salesapp.paths import default_data_dir

    held = history.load()
    assert held.is_default and held.months == list(range(34))
    expected = monthly_history(load_dataset(default_data_dir()).sales)
    for f in FIELDS:
        assert np.array_equal(getattr(held.monthly(), f), getattr(expected, f)), f
    assert history.load().folder == held.folder   # made once, then read


def test_months_already_held_are_refused_unless_replaced(generated, tmp_path, monkeypatch):
    src = generated[1]
    history.import_folder(write_part(src, tmp_path / "a", range(30)))
    before = snapshot(history.folder())
    # the later export repeats two months, with other numbers, and brings two new ones
    b = write_part(src, tmp_path / "b", range(28, 32))
    sales = pd.read_csv(b / "sales_train.csv")
    doubled = sales["date_block_num"] < 30
    sales.loc[doubled, "item_cnt_day"] *= 2
    sales.to_csv(b / "sales_train.csv", index=False)
    with pytest.raises(history.OverlapError) as refused:
        history.import_folder(b)
    assert refused.value.months == [28, 29]
    assert "May 2015 - Jun 2015 are already held" in str(refused.value)
    assert snapshot(history.folder()) == before
    report = history.import_folder(b, replace=True)
    assert (report.months_replaced, report.months_added) == ([28, 29], [30, 31])
    # the same as one import of the old months before 28 and the new export
    expected_src = tmp_path / "expected"
    write_part(src, expected_src, range(28))
    old = pd.read_csv(expected_src / "sales_train.csv")
    pd.concat([old, sales]).to_csv(expected_src / "sales_train.csv", index=False)
    use_home(monkeypatch, tmp_path / "other")
    same_history(report.history, history.import_folder(expected_src).history)


def _bad_cell(folder: Path, line: int, column: str, value: str) -> None:
    path = folder / "sales_train.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)


@pytest.mark.parametrize("column, value, says", [
    ("item_cnt_day", "lots", "'lots' is not a number"),
    ("item_id", "99999", ("item_id 99999 is not in the history's items (no items.csv was "
                         "imported)")),
    ("date", "01.01.2013", "date_block_num 30 contradicts the date 01.01.2013"),
])
def test_a_bad_file_names_file_line_and_column_and_changes_nothing(generated, tmp_path, column,
                                                                   value, says):
    src = generated[2]
    history.import_folder(write_part(src, tmp_path / "a", range(30)))
    before = snapshot(history.folder())
    month = write_part(src, tmp_path / "b", [30], tables=None)
    _bad_cell(month, 7, column, value)
    with pytest.raises(InputError) as bad:
        history.import_folder(month)
    assert str(bad.value).startswith(f"{month / 'sales_train.csv'}, line 7, column ")
    assert says in str(bad.value)
    assert snapshot(history.folder()) == before


def test_a_damaged_history_is_set_aside_in_one_sentence(generated, tmp_path):
    src = generated[3]
    history.import_folder(write_part(src, tmp_path / "a", range(30)))
    history.import_folder(write_part(src, tmp_path / "b", [30], tables=None))
    newest = storage.generations(history.folder())[-1]
    with open(newest / "history.npz", "r+b") as f:   # one byte flipped
        f.seek(100)
        byte = f.read(1)
        f.seek(100)
        f.write(bytes([byte[0] ^ 0xFF]))
    held = history.load()
    assert held.months == list(range(30))   # the history before the damaged one
    assert held.notice.endswith(".") and ". " not in held.notice   # one sentence
    assert f"{newest.name} was damaged (history.npz does not match its SHA-256" in held.notice
    assert held.notice.endswith("now using the history before it, Jan 2013 - Jun 2015 "
                                "(30 months).")
    assert [p.name.startswith(f"damaged-{newest.name}-") for p in history.folder().iterdir()
            if not storage.GENERATION.match(p.name)] == [True]
    assert history.load().notice is None


def test_content_is_checked_even_when_the_manifest_matches(tmp_path):
    held = history.load()
    gen = held.folder
    shops = pd.read_csv(gen / "shops.csv")
    shops[shops["shop_id"] != 2].to_csv(gen / "shops.csv", index=False)   # shop 2 sold
    import json
    manifest = {name: storage.sha256(gen / name) for name in storage.FILES}
    (gen / storage.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    again = history.load()
    assert "history.npz holds a shop not in shops.csv" in again.notice
    assert again.is_default and again.notice.endswith("now using the bundled default data.")


def test_a_plan_made_before_another_import_is_not_written(generated, tmp_path):
    src = generated[1]
    history.import_folder(write_part(src, tmp_path / "a", range(30)))
    late = history.plan_import(write_part(src, tmp_path / "b", [30], tables=None))
    history.import_folder(write_part(src, tmp_path / "c", [31], tables=None))
    before = snapshot(history.folder())
    with pytest.raises(history.ConcurrentImport):
        history.apply_import(late)
    assert snapshot(history.folder()) == before


def test_a_killed_imports_folder_is_ignored_and_cleared(generated, tmp_path):
    held = history.load()
    dead = history.folder() / "tmp-999999999-deadbeef"
    shutil.copytree(held.folder, dead)
    os.remove(dead / storage.MANIFEST)
    report = history.import_folder(write_part(generated[1], tmp_path / "a", range(5)))
    assert report.history.months == list(range(5)) and not dead.exists()


def test_a_description_edited_out_of_shape_is_damage_too(generated, tmp_path):
    import json
    history.import_folder(write_part(generated[2], tmp_path / "a", range(6)))
    gen = history.load().folder
    meta = json.loads((gen / storage.META).read_text(encoding="utf-8"))
    meta["imports"][0]["months_added"] = "all"
    (gen / storage.META).write_text(json.dumps(meta), encoding="utf-8")
    manifest = {name: storage.sha256(gen / name) for name in storage.FILES}
    (gen / storage.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    again = history.load()
    assert "meta.json: import 1 is incomplete or wrong" in again.notice and again.is_default


def test_a_full_disk_is_one_sentence_and_leaves_the_history(generated, tmp_path, monkeypatch):
    import errno
    history.import_folder(write_part(generated[1], tmp_path / "a", range(6)))
    before = snapshot(history.folder())

    def full(*_args):   # the disk fills up while the new generation is written
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage, "save_history", full)
    with pytest.raises(history.HistoryError) as failed:
        history.import_folder(write_part(generated[1], tmp_path / "b", [6], tables=None))
    assert str(failed.value) == (f"the held sales history could not be written in "
                                 f"{history.folder()} (No space left on device); it was left "
                                 "as it was")
    assert snapshot(history.folder()) == before
