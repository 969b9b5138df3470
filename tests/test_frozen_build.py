"""The shipped executable: build it from build.spec, then run it as a user would.

The build happens once per session into a temporary folder, so `make test`
on a fresh checkout checks what staff install: the frozen self-test, the libraries the loader
must find, the user-dir rule, and the crash handler. Timings are in benchmarks/bench_frozen.py.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = "SalesForecastDesk"
MAX_FOLDER_MB = 300

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen(tmp_path_factory) -> Path:
    """The built one-folder app (its directory); the build log is shown if the build fails."""
    out = tmp_path_factory.mktemp("frozen")
    proc = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
         "--distpath", str(out / "dist"), "--workpath", str(out / "work"), "build.spec"],
        cwd=ROOT, capture_output=True, text=True, timeout=540, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    folder = out / "dist" / APP
    assert (folder / APP).is_file()
    return folder


def _user_env(base: Path, **extra) -> dict:
    """An environment whose home, XDG dirs and temp dir all live under `base`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SALESAPP_", "XDG_", "PYTHON"))}
    dirs = {"HOME": "home", "XDG_DATA_HOME": "home/.local/share",
            "XDG_STATE_HOME": "home/.local/state", "XDG_CACHE_HOME": "home/.cache",
            "XDG_CONFIG_HOME": "home/.config", "TMPDIR": "tmp"}
    for key, rel in dirs.items():
        (base / rel).mkdir(parents=True, exist_ok=True)
        env[key] = str(base / rel)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.update(extra)
    return env


def _run(folder: Path, args, env, timeout=120):
    return subprocess.run([str(folder / APP), *args], capture_output=True, text=True, env=env,
                          timeout=timeout, check=False)


def _snapshot(folder: Path) -> dict:
    """Every file and directory of the folder with size and modification time."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def _log_file(base: Path) -> Path:
    return base / "home" / ".local" / "state" / APP / "log" / "salesapp.log"


def test_folder_fits_the_budget_and_holds_the_bundled_files(frozen):
    # PyInstaller links some libraries into _internal/ as symlinks: count each file once
    size_mb = sum(p.lstat().st_size for p in frozen.rglob("*")
                  if p.is_file() and not p.is_symlink()) / 2**20
    assert size_mb <= MAX_FOLDER_MB, f"{size_mb:.0f} MB"
    internal = frozen / "_internal"
    for rel in ("weights/model.txt", "weights/manifest.json", "data/items.csv",
                "resources/style.qss", "lightgbm/lib/lib_lightgbm.so"):
        assert (internal / rel).is_file(), rel
    qt_modules = {p.name.split(".")[0] for p in (internal / "PySide6").glob("Qt*.so")}
    assert {"QtCore", "QtGui", "QtWidgets", "QtOpenGL"} <= qt_modules
    assert not qt_modules & {"QtQml", "QtQuick", "QtNetwork", "QtWebEngineCore", "QtMultimedia"}
    assert not (internal / "scipy" / "linalg").exists()   # only scipy.sparse is used
    assert not list((internal / "PySide6" / "Qt" / "plugins").glob("egldeviceintegrations/*"))


def _not_found(paths, env=None) -> list[str]:
    missing = []
    for path in paths:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env,
                             check=False).stdout
        missing += [f"{path.name}: {line.strip()}" for line in out.splitlines()
                    if "not found" in line]
    return missing


@pytest.mark.skipif(shutil.which("ldd") is None, reason="ldd is a Linux tool")
def test_qt_platform_plugins_and_lightgbm_find_every_library(frozen):
    internal = frozen / "_internal"
    libs = sorted((internal / "PySide6" / "Qt" / "plugins" / "platforms").glob("*.so"))
    assert {p.name for p in libs} >= {"libqxcb.so", "libqwayland.so", "libqoffscreen.so"}
    libs.append(internal / "lightgbm" / "lib" / "lib_lightgbm.so")
    assert _not_found(libs) == []
    # as the bootloader loads them: the folder's own libraries first
    runtime = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    assert _not_found(libs, runtime) == []


def test_frozen_self_test_passes_and_writes_only_under_the_user_dirs(frozen, tmp_path):
    before = _snapshot(frozen)
    proc = _run(frozen, ["--self-test"], _user_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.match(r"self-test OK: \d+ items forecast", proc.stdout)
    assert _snapshot(frozen) == before
    log_text = _log_file(tmp_path).read_text(encoding="utf-8")
    assert "frozen True" in log_text and "self-test OK" in log_text
    assert list((tmp_path / "tmp").iterdir()) == []   # the self-test's temporary store is gone


def test_frozen_window_keeps_its_store_in_the_user_data_dir_and_survives_a_crash(frozen,
                                                                                 tmp_path):
    before = _snapshot(frozen)
    env = _user_env(tmp_path, SALESAPP_STARTUP_PROBE="1", SALESAPP_TEST_RAISE="window")
    proc = _run(frozen, [], env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.fullmatch(r"ready in \d+ ms\nmodel ready in \d+ ms\n", proc.stdout)
    store = tmp_path / "home" / ".local" / "share" / APP / "store"
    assert (store / "cache.db").is_file()
    log_text = _log_file(tmp_path).read_text(encoding="utf-8")
    assert "Traceback" in log_text and "test crash at window" in log_text
    assert "told in a message box: Something went wrong: RuntimeError" in log_text
    assert _snapshot(frozen) == before


def test_frozen_crash_before_the_window_is_one_sentence_and_a_logged_traceback(frozen,
                                                                               tmp_path):
    proc = _run(frozen, [], _user_env(tmp_path, SALESAPP_TEST_RAISE="startup"))
    assert proc.returncode != 0
    assert "salesapp: Something went wrong: RuntimeError: test crash at startup" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "Traceback" in _log_file(tmp_path).read_text(encoding="utf-8")


def test_frozen_headless_predict_uses_the_bundled_model(frozen, tmp_path):
    out = tmp_path / "forecasts.csv"
    proc = _run(frozen, ["predict", "--items", "0,1,2", "--out", str(out)], _user_env(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = out.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")   # the long layout (salesapp/exports/): no total rows
    assert header[0] == "item_id" and {"shop_id", "forecast"} <= set(header)
    assert {line.split(",")[0] for line in lines[1:]} == {"0", "1", "2"}


def test_frozen_app_reads_an_xlsx_and_a_utf16_id_file(frozen, tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["item_id"])
    for item in (0, 1):
        book.active.append([item])
    book.save(tmp_path / "ids.xlsx")
    (tmp_path / "ids.txt").write_bytes("item_id\tname\r\n2\tМолоко\r\n".encode("utf-16"))
    for name, ids in (("ids.xlsx", {"0", "1"}), ("ids.txt", {"2"})):
        out = tmp_path / f"{name}.csv"
        proc = _run(frozen, ["predict", "--file", str(tmp_path / name), "--out", str(out)],
                    _user_env(tmp_path))
        assert proc.returncode == 0, proc.stderr[-3000:]
        lines = out.read_text(encoding="utf-8").splitlines()[1:]
        assert {line.split(",")[0] for line in lines} == ids


def test_frozen_app_tries_a_new_bundle_through_itself_and_refuses_a_crashing_one(
        frozen, tmp_path, small_bundle):
    """The trial child is the frozen executable itself (sys.executable is the app there)."""
    from test_bundle_check import malformed_bundle

    bad = malformed_bundle(small_bundle, tmp_path / "bad")
    env = _user_env(tmp_path)
    proc = _run(frozen, ["predict", "--model", str(bad), "--items", "1-5", "--out",
                         str(tmp_path / "o.csv")], env)
    assert proc.returncode == 2, proc.stderr[-3000:]
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith(f"salesapp: model bundle {bad} was refused") and "SIGSEGV" in line
    good = _run(frozen, ["predict", "--model", str(small_bundle), "--items", "1-5", "--out",
                         str(tmp_path / "o.csv")], env)
    assert good.returncode == 0, good.stderr[-3000:]
