"""Guards on the stack itself: the PySide6 None-refcount trap and the import layering."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_process_events_does_not_leak_none_references(qapp):
    # PySide6 6.12.0 on Python 3.11 drops one reference to None per processEvents(); after a few
    # thousand calls the interpreter aborts with "none_dealloc". The pin must keep this at zero.
    for _ in range(100):  # warm caches before measuring
        qapp.processEvents()
    before = sys.getrefcount(None)
    for _ in range(20_000):
        qapp.processEvents()
    assert sys.getrefcount(None) >= before - 50


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    proc = subprocess.run([str(lint), "--no-cache"], check=False, cwd=ROOT, capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_model_and_store_import_without_qt():
    code = ("import sys, salesapp.model, salesapp.store, salesapp.cli; "
            "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_workers_import_no_widgets_or_gui():
    import ast

    for path in (ROOT / "salesapp" / "workers").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            bad = [n for n in names if n.startswith(("PySide6.QtWidgets", "PySide6.QtGui"))]
            assert not bad, f"{path.name} imports {bad}"
