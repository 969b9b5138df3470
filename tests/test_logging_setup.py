"""The rotating user log and the uncaught-exception handler, from source (frozen: test_frozen_build)."""

import logging
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from salesapp import logging_setup
from salesapp.logging_setup import configure_logging, install_excepthook, show_to_user


def _env(home, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SALESAPP_")}
    env.update({"SALESAPP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}, **extra)
    return env


def _run_salesapp(args, env, timeout=120):
    return subprocess.run([sys.executable, "-m", "salesapp", *args], capture_output=True,
                          text=True, env=env, timeout=timeout, check=False)


@pytest.fixture
def restore_hooks(monkeypatch):
    """install_excepthook replaces process-wide hooks: put pytest's back after the test."""
    saved = sys.excepthook, threading.excepthook
    monkeypatch.setattr(logging_setup, "_gui_relay", None)
    yield
    sys.excepthook, threading.excepthook = saved


def test_uncaught_exception_is_logged_with_traceback_and_told_in_one_sentence(tmp_path):
    code = textwrap.dedent("""
        from salesapp.logging_setup import install_excepthook
        install_excepthook()
        def deep():
            raise ValueError("boom in deep")
        deep()
    """)
    env = {"SALESAPP_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode != 0
    assert "Something went wrong: ValueError: boom in deep." in proc.stderr
    assert "Traceback" not in proc.stderr
    log_text = (tmp_path / "logs" / "salesapp.log").read_text(encoding="utf-8")
    assert "Traceback" in log_text and "in deep" in log_text


def test_log_rotates_at_its_size_limit_and_keeps_three_backups(tmp_path, monkeypatch):
    monkeypatch.setattr(logging_setup, "MAX_BYTES", 20_000)
    path = configure_logging()
    assert path == tmp_path / "home" / "logs" / "salesapp.log"
    for i in range(2_000):
        logging_setup.log.info("line %d %s", i, "x" * 40)
    names = sorted(p.name for p in path.parent.iterdir())
    assert names == ["salesapp.log", "salesapp.log.1", "salesapp.log.2", "salesapp.log.3"]
    assert all(p.stat().st_size <= 20_000 for p in path.parent.iterdir())
    assert "line 1999" in path.read_text(encoding="utf-8")


def test_configure_logging_follows_a_changed_user_dir(tmp_path, monkeypatch):
    first = configure_logging()
    monkeypatch.setenv("SALESAPP_HOME", str(tmp_path / "other"))
    second = configure_logging()
    assert second == tmp_path / "other" / "logs" / "salesapp.log" != first
    logging_setup.log.info("after the move")
    assert configure_logging() == second   # idempotent: still one file handler
    handlers = [h for h in logging_setup.log.handlers if isinstance(h, logging.FileHandler)]
    assert len(handlers) == 1
    assert "after the move" in second.read_text(encoding="utf-8")
    assert "after the move" not in first.read_text(encoding="utf-8")


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_slot_shows_a_message_box_over_the_window(qtbot, restore_hooks, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    log_path = install_excepthook(show_to_user)

    def slot():
        raise KeyError("no such shop")

    QTimer.singleShot(0, slot)

    def box():
        found = [w for w in QApplication.topLevelWidgets()
                 if isinstance(w, QMessageBox) and w.isVisible()]
        return found[0] if found else None

    qtbot.waitUntil(lambda: box() is not None, timeout=5000)
    shown = box()
    assert shown.parent() is window and not shown.isModal()
    assert shown.text().startswith("Something went wrong: KeyError: 'no such shop'.")
    assert str(log_path) in shown.text()
    text = log_path.read_text(encoding="utf-8")
    assert "Traceback" in text and "in slot" in text and "message box" in text
    shown.close()


def test_exception_in_a_worker_thread_goes_to_stderr_not_to_a_widget(qtbot, restore_hooks,
                                                                     capsys):
    from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    log_path = install_excepthook(show_to_user)

    def work():
        raise OSError("disk gone")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert "Something went wrong: OSError: disk gone." in capsys.readouterr().err
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox)]
    assert "in work" in log_path.read_text(encoding="utf-8")


def test_window_crash_hooks_and_startup_probe_from_source(small_bundle, tmp_path):
    home = tmp_path / "home"
    # an exception before any window: stderr sentence, traceback in the log, non-zero exit
    proc = _run_salesapp(["--model", str(small_bundle)], _env(home, SALESAPP_TEST_RAISE="startup"))
    assert proc.returncode != 0
    assert "Something went wrong: RuntimeError: test crash at startup" in proc.stderr
    assert "Traceback" not in proc.stderr
    # an exception in a slot of the shown window: a message box; the app lives on, the probe quits
    proc = _run_salesapp(["--model", str(small_bundle)],
                         _env(home, SALESAPP_TEST_RAISE="window", SALESAPP_STARTUP_PROBE="1"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("ready in ") and proc.stdout.strip().endswith(" ms")
    log_text = (home / "logs" / "salesapp.log").read_text(encoding="utf-8")
    assert log_text.count("Traceback") == 2 and "test crash at window" in log_text
    assert "told in a message box: Something went wrong: RuntimeError" in log_text
    assert "startup probe: window ready in" in log_text
    assert (home / "store").is_dir()   # the default store lives under the user data dir


def test_exception_in_a_worker_thread_reaches_the_window_through_the_relay(qtbot, restore_hooks,
                                                                         capsys):
    from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

    from salesapp.logging_setup import relay_to_gui

    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    install_excepthook(show_to_user)
    relay_to_gui()

    def work():
        raise OSError("disk gone")

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert "Something went wrong: OSError: disk gone." in capsys.readouterr().err

    def boxes():
        return [w for w in QApplication.topLevelWidgets()
                if isinstance(w, QMessageBox) and w.isVisible()]

    qtbot.waitUntil(lambda: len(boxes()) == 1, timeout=5000)   # delivered by the GUI thread
    assert boxes()[0].parent() is window and "disk gone" in boxes()[0].text()
    boxes()[0].close()
