"""Ids from the command line: one range everywhere, one sentence per bad token, the rest go on."""

import subprocess
import sys
import textwrap

import pytest

from salesapp.cli import main
from salesapp.store.job_store import JobStore

BAD_TOKENS = ["²", "①", "1" * 5000, str(10**30), str(2**63), "2147483648"]


@pytest.mark.parametrize("bad", BAD_TOKENS, ids=["superscript", "circled", "5000-digits",
                                                 "1e30", "2**63", "2**31"])
def test_submit_names_a_bad_id_and_queues_the_valid_ones(tmp_path, small_bundle, capsys, bad):
    store = tmp_path / "s"
    code = main(["submit", "--store", str(store), "--model", str(small_bundle),
                 "--items", f"5037,{bad}, 7"])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err and "2 queued" in err
    problems = [line for line in err.splitlines() if "(item 2)" in line]
    assert len(problems) == 1 and bad[:12] in problems[0]
    assert len(problems[0]) < 200   # a 5,000-digit token is named by its start, not echoed
    with JobStore.open(store) as s:
        assert sorted(j.item_id for j in s.jobs()) == [7, 5037]


def test_predict_names_a_bad_id_and_forecasts_the_valid_ones(tmp_path, small_bundle, capsys):
    out = tmp_path / "f.csv"
    code = main(["predict", "--model", str(small_bundle), "--items", f"1,²,{2**63}",
                 "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "'²' (item 2)" in err and "'9223372036854775808' (item 3) is out of range" in err
    assert {line.split(",")[0] for line in out.read_text().splitlines()[1:]} == {"1"}


def test_only_bad_ids_is_one_sentence_and_exit_2(tmp_path, small_bundle, capsys):
    assert main(["submit", "--store", str(tmp_path / "s"), "--items", "①"]) == 2
    err = capsys.readouterr().err
    assert "no valid item ids given" in err and "Traceback" not in err


def test_console_script_installs_the_crash_handler(tmp_path):
    """The installed `salesapp` entry point, run as a program: an unexpected error is one sentence
    on stderr and a traceback in the log, as with `python -m salesapp`."""
    code = textwrap.dedent(f"""
        import sys
        from importlib.metadata import entry_points
        (ep,) = [e for e in entry_points(group="console_scripts") if e.name == "salesapp"]
        entry = ep.load()
        import salesapp.commands.queue_commands as commands
        def broken(args):
            raise ZeroDivisionError("deep inside submit")
        commands.submit = broken
        sys.argv = ["salesapp", "submit", "--store", {str(tmp_path / "s")!r}, "--items", "1"]
        sys.exit(entry())
    """)
    env = {"SALESAPP_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin",
           "PYTHONPATH": ":".join(p for p in sys.path if p)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=60, check=False)
    assert proc.returncode != 0
    assert "Something went wrong: ZeroDivisionError: deep inside submit." in proc.stderr
    assert "Traceback" not in proc.stderr
    log_text = (tmp_path / "home" / "logs" / "salesapp.log").read_text(encoding="utf-8")
    assert "Traceback" in log_text and "deep inside submit" in log_text


def test_predict_summarises_unknown_ids_in_one_line(tmp_path, small_bundle, capsys):
    out = tmp_path / "f.csv"
    unknown = range(10_000_000, 10_200_000)   # 200,000 ids not in the bundle
    ids = tmp_path / "ids.csv"
    ids.write_text("item_id\n1\n" + "\n".join(map(str, unknown)) + "\n", encoding="utf-8")
    assert main(["predict", "--model", str(small_bundle), "--file", str(ids),
                 "--out", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["salesapp: 200,000 ids have no forecast (not in the model's product list; "
                   "listed in the file with the reason): "
                   + ", ".join(map(str, unknown[:10])) + ", … (first 10)"]
    rows = out.read_text(encoding="utf-8").splitlines()[1:]
    missing = [r for r in rows if not r.startswith("1,")]   # one row each, saying why
    assert len(missing) == len(unknown) and all("not in the product list" in r for r in missing)
