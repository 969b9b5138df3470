"""Every example id shown to a user (window, --help, README) is one the bundled model knows."""

import re
from pathlib import Path

from engine_cli import run_cli

from salesapp.model.id_input import parse_id_text
from salesapp.model.predictor import Predictor
from salesapp.paths import default_model_dir

ROOT = Path(__file__).resolve().parent.parent


def _bundled() -> Predictor:
    return Predictor.load(default_model_dir())


def _example_ids(text: str) -> list[int]:
    """The ids of the id lists and ranges in `text` (words around them left out)."""
    found = re.findall(r"\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+(?:\s*-\s*\d+)?)*", text)
    ids = [i for chunk in found for i in parse_id_text(chunk).ids]
    assert ids, f"no example ids in {text!r}"
    return ids


def _assert_forecast(ids: list[int], where: str) -> None:
    results = _bundled().predict(ids)
    failed = [r["item_id"] for r in results if r["status"] != "ok"]
    assert not failed, f"{where}: example ids {failed} are not in the bundled model"


def test_window_placeholder_examples_forecast(qtbot):
    from salesapp.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    hint = window.input.placeholderText().split("—")[0]
    _assert_forecast(_example_ids(hint), "the id box")


def test_help_and_documents_examples_forecast():
    for command in ("predict", "submit"):
        proc = run_cli(command, "--help")
        assert proc.returncode == 0, proc.stderr
        (line,) = re.findall(r"^ +--items IDS +(.*(?:\n {10,}.*)*)", proc.stdout, re.MULTILINE)
        _assert_forecast(_example_ids(line), f"{command} --help")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for items in re.findall(r"--items ([\d,\- ]+)", readme):
        _assert_forecast(_example_ids(items), "README.md")
    arch = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    _assert_forecast(_example_ids(re.search(r"The user types `([^`]*)`", arch).group(1)),
                     "ARCHITECTURE.md")
