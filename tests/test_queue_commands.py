"""`salesapp submit / work / results` through the real CLI entry point, in process."""

import csv
import os

from salesapp.cli import main
from salesapp.csv_cells import neutralise
from salesapp.exports.layouts import LONG_COLUMNS
from salesapp.exports.shop_names import shop_names_of
from salesapp.model.predictor import Predictor
from salesapp.paths import default_model_dir, default_store_dir
from salesapp.store.job_store import JobStore


def test_submit_work_results_long_format(tmp_path, small_bundle, capsys):
    store, out = tmp_path / "s", tmp_path / "r.csv"
    assert main(["submit", "--store", str(store), "--model", str(small_bundle),
                 "--items", "1-5, 3, 999999"]) == 0
    assert "6 queued" in capsys.readouterr().err
    assert main(["submit", "--store", str(store), "--model", str(small_bundle),
                 "--items", "2"]) == 0
    assert "1 already pending" in capsys.readouterr().err
    assert main(["work", "--store", str(store), "--model", str(small_bundle)]) == 0
    assert "5 done, 1 unknown item, 0 failed" in capsys.readouterr().err
    assert main(["results", "--store", str(store), "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    predictor = Predictor.load(small_bundle)
    expected = predictor.predict([1])[0]
    # the next month's rows (a model with horizons adds a set per later month)
    item1 = [r for r in rows if r["item_id"] == "1" and r["month"] == str(predictor.forecast_block)]
    assert [(int(r["shop_id"]), float(r["forecast"])) for r in item1] == \
        [tuple(s) for s in expected["shops"]]
    assert item1[0]["item_name"] == expected["item_name"]
    assert [(float(r["p10"]), float(r["p90"])) for r in item1] == \
        list(zip(expected["p10"], expected["p90"]))
    assert [r["error"] for r in rows if r["item_id"] == "999999"] == \
        [f"item 999999 is not in the product list of model {predictor.version}"]


def test_submit_from_file_and_default_store(tmp_path, small_bundle, capsys):
    ids = tmp_path / "ids.csv"
    ids.write_text("item_id\n7\nabc\n8\n", encoding="utf-8")
    assert main(["submit", "--model", str(small_bundle), "--file", str(ids)]) == 0
    err = capsys.readouterr().err
    assert "2 queued" in err and "line 3" in err
    with JobStore.open(default_store_dir()) as store:
        assert sorted(j.item_id for j in store.jobs()) == [7, 8]


def test_bad_input_is_one_sentence(tmp_path, small_bundle, capsys):
    assert main(["submit", "--store", str(tmp_path / "s"), "--model", str(small_bundle),
                 "--items", "x,y"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("salesapp: ") and "no valid item ids" in err and "Traceback" not in err
    assert main(["submit", "--store", str(tmp_path / "s"), "--model", str(tmp_path),
                 "--items", "1"]) == 2
    assert "manifest.json is missing" in capsys.readouterr().err


def test_empty_store_work_exits_zero(tmp_path, small_bundle, capsys):
    assert main(["work", "--store", str(tmp_path / "s"), "--model", str(small_bundle)]) == 0
    assert "0 done, 0 failed" in capsys.readouterr().err


def test_formula_cells_are_neutralised():
    assert [neutralise(c) for c in ["=1+2", "+x", "-3", "@a", "ok", 5, -1.0]] == \
        ["'=1+2", "'+x", "'-3", "'@a", "ok", 5, -1.0]


def test_results_csv_neutralises_formula_names(tmp_path):
    store_dir, out = tmp_path / "s", tmp_path / "r.csv"
    with JobStore.open(store_dir, max_attempts=1) as store:
        store.submit([1, 2], "v1")
        store.lease("w", 2, 60)
        store.complete("w", {1: {"item_id": 1, "model_version": "v1", "status": "ok",
                                 "item_name": "=HYPERLINK(\"x\")", "shops": [[0, 1.5]]}})
        store.fail("w", 2, "-boom")
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 0
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[1] == _long(1, "'=HYPERLINK(\"x\")", 0, "1.5")
    assert rows[2] == ["2", "", "", "", "v1", "", "", "", "'-boom", "", "", ""]


def test_results_csv_is_what_csv_writer_writes(tmp_path):
    store_dir, out = tmp_path / "s", tmp_path / "r.csv"
    names = {1: 'Товар, "в кавычках"', 2: "", 3: "line\nbreak", 4: "plain"}
    with JobStore.open(store_dir) as store:
        store.submit(list(names), "v1")
        store.lease("w", 4, 60)
        store.complete("w", {i: {"item_id": i, "model_version": "v1", "status": "ok",
                                 "item_name": n, "shops": [[2, 0.125], [10, 3.0]]}
                             for i, n in names.items()})
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 0
    assert out.read_bytes() == _csv_writer_bytes(
        tmp_path, [_long(i, n, shop, f) for i, n in names.items() for shop, f in ((2, 0.125),
                                                                              (10, 3.0))])


def test_results_csv_formats_any_stored_number_as_csv_writer_does(tmp_path):
    store_dir, out = tmp_path / "s", tmp_path / "r.csv"
    shops = {1: [[2, 0.125], [3, 20.0], [4, 0.0]],            # thousandths from the table
             2: [[2, -1.5], [3, 20.001], [4, 1234.5]],       # thousandths outside it
             3: [[2, 0.1234], [3, 1e-7], [4, 2.0]],           # not exact in thousandths
             4: [[2, 3], [3, 0.5], [4, None]],                # not all floats
             5: [[5, 0.5]]}                                    # other shops than the others
    with JobStore.open(store_dir) as store:
        store.submit(list(shops), "v1")
        store.lease("w", 5, 60)
        store.complete("w", {i: {"item_id": i, "model_version": "v1", "status": "ok",
                                 "item_name": f"n{i}", "shops": s} for i, s in shops.items()})
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 0
    assert out.read_bytes() == _csv_writer_bytes(
        tmp_path, [_long(i, f"n{i}", shop, v) for i, s in shops.items() for shop, v in s])


def test_work_reports_the_first_batch_then_the_rest(tmp_path, small_bundle, capsys):
    from salesapp.pacing import FIRST_BATCH

    store = tmp_path / "s"
    assert main(["submit", "--store", str(store), "--model", str(small_bundle),
                 "--items", f"0-{FIRST_BATCH + 29}"]) == 0
    capsys.readouterr()
    assert main(["work", "--store", str(store), "--model", str(small_bundle)]) == 0
    lines = capsys.readouterr().err.splitlines()
    progress = [tuple(map(int, line.split()[1].split("/"))) for line in lines if "jobs" in line]
    assert progress[0] == (FIRST_BATCH, FIRST_BATCH + 30)
    assert progress[-1] == (FIRST_BATCH + 30, FIRST_BATCH + 30)
    assert [d for d, _ in progress] == sorted(d for d, _ in progress)
    assert f"{FIRST_BATCH + 30} done, 0 failed" in lines[-1]
    with JobStore.open(store) as s:
        assert s.counts() == {"queued": 0, "leased": 0, "done": FIRST_BATCH + 30, "failed": 0}


def test_results_csv_reads_results_of_the_older_pair_layout(tmp_path):
    store_dir, out = tmp_path / "s", tmp_path / "r.csv"
    with JobStore.open(store_dir) as store:
        store.submit([1, 2], "v1")
        store.lease("w", 2, 60)
        store.complete("w", {2: {"item_id": 2, "model_version": "v1", "status": "ok",
                                 "item_name": "new", "shops": [[3, 0.25]]}})
        store.complete("w", {1: {"item_id": 1}})
        store._cache.set("r:v1:1", {"item_id": 1, "model_version": "v1", "status": "ok",
                                    "item_name": "old", "shops": [[3, 0.5], [4, 1.0]]})
    assert main(["results", "--store", str(store_dir), "--out", str(out)]) == 0
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[1:] == [_long(1, "old", 3, "0.5"), _long(1, "old", 4, "1.0"),
                        _long(2, "new", 3, "0.25")]


def test_submit_reads_the_model_version_as_the_bundle_does(small_bundle):
    from salesapp.commands.queue_commands import MANIFEST, bundle_version
    from salesapp.model import bundle

    assert MANIFEST == bundle.MANIFEST
    assert bundle_version(small_bundle) == bundle.verify(small_bundle)


def test_submit_imports_neither_pandas_nor_qt(tmp_path, small_bundle):
    import subprocess
    import sys

    code = ("import sys; from salesapp.cli import main; "
            f"main(['submit', '--store', {str(tmp_path / 's')!r}, '--model', "
            f"{str(small_bundle)!r}, '--items', '1-3']); "
            "print(sorted(m for m in ('pandas', 'numpy', 'PySide6', 'lightgbm') "
            "if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]" and "3 queued" in proc.stderr


def test_work_starts_no_blas_thread_pool_unless_asked(tmp_path, small_bundle, monkeypatch):
    from salesapp.commands.queue_commands import BLAS_THREADS_ENV

    monkeypatch.delenv(BLAS_THREADS_ENV, raising=False)
    assert main(["work", "--store", str(tmp_path / "s"), "--model", str(small_bundle)]) == 0
    assert os.environ[BLAS_THREADS_ENV] == "1"
    monkeypatch.setenv(BLAS_THREADS_ENV, "2")
    assert main(["work", "--store", str(tmp_path / "s"), "--model", str(small_bundle)]) == 0
    assert os.environ[BLAS_THREADS_ENV] == "2"


def _long(item_id, name, shop, forecast, version="v1") -> list:
    """A long-layout row of `results` (no --model: the default bundle names the shops)."""
    shop_name = neutralise(shop_names_of(default_model_dir())[0].get(shop, ""))
    value = "" if forecast is None else str(forecast)
    return [str(item_id), name, "", "", version, str(shop), shop_name, value, "", "", "", ""]


def _csv_writer_bytes(tmp_path, rows) -> bytes:
    """What Python's csv.writer makes of the results header and `rows` (the reference)."""
    expected = tmp_path / "expected.csv"
    with open(expected, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(LONG_COLUMNS)
        w.writerows(rows)
    return expected.read_bytes()


def test_work_reports_the_model_error_when_the_store_cannot_open_either(tmp_path, capsys):
    (tmp_path / "store").write_text("not a folder", encoding="utf-8")
    code = main(["work", "--store", str(tmp_path / "store"), "--model", str(tmp_path / "none")])
    err = capsys.readouterr().err
    assert code == 2 and "is not a model bundle" in err, err
