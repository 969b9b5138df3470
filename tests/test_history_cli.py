"""`salesapp data import` and `salesapp data show` as a user runs them: a real process each."""

import os
import subprocess
import sys

from conftest import _write_tiny_data


def run(*args):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.run([sys.executable, "-m", "salesapp", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_import_then_show_then_an_overlap_refused_in_one_line(tmp_path):
    data = _write_tiny_data(tmp_path / "data", months=15)
    fresh = run("data", "show")
    assert fresh.returncode == 0, fresh.stderr
    assert "months: Jan 2013 - Oct 2015 (34 months)" in fresh.stdout
    assert "none yet (the bundled default data" in fresh.stdout

    done = run("data", "import", str(data))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        ("replaced the bundled default data, added Jan 2013 - Mar 2014: "
        f"{_rows(data):,} daily sales rows; the history now holds Jan 2013 - Mar 2014 "
        "(15 months), 80 items, 6 shops")]
    shown = run("data", "show").stdout
    assert "months: Jan 2013 - Mar 2014 (15 months), 15.01.2013 to 15.03.2014" in shown
    assert f"from {data} (added Jan 2013 - Mar 2014)" in shown
    assert "trained on months up to Oct 2015, forecasts Nov 2015" in shown   # the bundled one
    assert "not in the active model" not in shown

    again = run("data", "import", str(data))
    assert again.returncode == 2 and again.stdout == ""
    assert again.stderr.splitlines() == [
        (f"salesapp: {data}: Jan 2013 - Mar 2014 are already held (the history holds Jan 2013 "
        "- Mar 2014); nothing was imported: import again with --replace to replace those 15 "
        "months, or leave them out.")]
    replaced = run("data", "import", str(data / "sales_train.csv"), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert replaced.stdout.startswith("replaced Jan 2013 - Mar 2014: ")


def test_show_names_the_months_the_active_model_has_not_seen(tmp_path):
    data = _write_tiny_data(tmp_path / "data", months=36, items=12, shops=2)
    assert run("data", "import", str(data)).returncode == 0
    shown = run("data", "show").stdout.splitlines()
    assert shown[-1] == ("not in the active model: Nov 2015 - Dec 2015 (salesapp train makes a "
                         "model of the whole history)")


def test_a_missing_folder_is_one_sentence(tmp_path):
    gone = run("data", "import", str(tmp_path / "nowhere"))
    assert gone.returncode == 2 and "Traceback" not in gone.stderr
    assert gone.stderr.strip() == f"salesapp: {tmp_path / 'nowhere'}: does not exist or is not a file."


def _rows(data):
    with open(data / "sales_train.csv", encoding="utf-8") as f:
        return sum(1 for _ in f) - 1
