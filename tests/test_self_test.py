"""`salesapp --self-test` fails, with the reason, when the pipeline breaks (passing: test_ui_model)."""

import argparse

from salesapp.commands.gui_commands import _self_test_ids, self_test
from salesapp.model.predictor import Predictor


def test_a_failed_job_fails_the_self_test_with_its_reason(small_bundle, monkeypatch, capsys):
    first = _self_test_ids(Predictor.load(small_bundle))[0]
    monkeypatch.setenv("SALESAPP_POISON_ID", str(first))   # predict raises for this id
    code = self_test(argparse.Namespace(model=str(small_bundle), store=None, files=[]))
    err = capsys.readouterr().err
    assert code == 1
    assert "self-test FAILED after" in err and f"item {first} failed" in err
