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


def test_self_test_refuses_a_store_in_one_sentence_and_leaves_it_alone(tmp_path, small_bundle):
    from engine_cli import run_cli

    store = tmp_path / "mine"
    run = run_cli("--self-test", "--store", store, "--model", small_bundle)
    assert run.returncode == 2, run.stderr[-600:]
    assert run.stderr.strip().splitlines() == [
        (f"salesapp: --self-test uses a temporary store of its own and never touches {store}; "
         "run it without --store.")]
    assert not store.exists()
