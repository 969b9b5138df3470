"""The modelling notebook runs end to end on small generated data."""

import nbformat
from conftest import _write_tiny_data
from nbclient import NotebookClient

from salesapp.paths import resource_path


def test_notebook_executes(tmp_path, monkeypatch):
    data = _write_tiny_data(tmp_path / "data")
    monkeypatch.setenv("SALESAPP_NOTEBOOK_DATA", str(data))
    nb = nbformat.read(resource_path("notebooks", "modelling.ipynb"), as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    assert any("Backtest RMSE" in str(o) for o in outputs)
