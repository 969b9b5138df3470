"""The committed default bundle (weights/) is reproduced by retraining on the committed data/."""

import json

import pytest

from salesapp.commands.model_commands import train_bundle
from salesapp.model.bundle import verify
from salesapp.paths import default_data_dir, default_model_dir


def test_default_bundle_is_retrained_exactly_from_the_default_data(tmp_path):
    weights, data = default_model_dir(), default_data_dir()
    if not (weights / "manifest.json").is_file() or not data.is_dir():
        pytest.skip("weights/ or data/ not built yet (make data && make weights)")
    verify(weights)
    card = json.loads((weights / "card.json").read_text(encoding="utf-8"))
    again = train_bundle(data, tmp_path / "w", seed=card["seed"],
                         threads=card["params"]["num_threads"])
    assert again["data_fingerprint"] == card["data_fingerprint"]
    for got, want in zip(again["backtest"]["origins"], card["backtest"]["origins"]):
        assert got["rounds"] == want["rounds"]
        assert got["model"] == pytest.approx(want["model"], rel=1e-9)
    assert again["rounds"] == card["rounds"]
    assert {h: e["rounds"] for h, e in again.get("horizons", {}).items()} == \
        {h: e["rounds"] for h, e in card.get("horizons", {}).items()}
