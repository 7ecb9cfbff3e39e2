"""Execute every notebook in notebooks/ (stored without outputs) with the running interpreter.

Each runs in a fresh kernel started from ``sys.executable`` (the venv), in a temporary working
directory, and fails on the first cell error (as esda/momepy's ``nb_execution_raise_on_error``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} has outputs"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    # A kernel spec pointing at THIS interpreter, whatever kernels the machine has registered.
    spec_dir = tmp_path / "kernels" / "taobao-geo-test"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(
        '{"argv": ["%s", "-m", "ipykernel_launcher", "-f", "{connection_file}"], '
        '"display_name": "taobao_geo test", "language": "python"}'
        % sys.executable.replace("\\", "/"), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))  # jupyter looks in $JUPYTER_PATH/kernels
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=300, kernel_name="taobao-geo-test",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors
