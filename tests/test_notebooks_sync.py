"""Each committed, output-free .ipynb (what Colab opens) must match its py:percent source."""

from __future__ import annotations

import jupytext
import nbformat
import pytest

from recsys_tutorial.book import chapters

CHAPTERS = chapters()


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_ipynb_is_in_sync_with_py(root, chapter):
    source = jupytext.read(root / f"{chapter}.py")
    committed = nbformat.read(root / f"{chapter}.ipynb", as_version=4)
    assert [c.cell_type for c in committed.cells] == [c.cell_type for c in source.cells], (
        f"{chapter}.ipynb is stale: run `.venv/bin/jupytext --to ipynb {chapter}.py`")
    for mine, theirs in zip(source.cells, committed.cells, strict=True):
        assert mine.source == theirs.source, f"{chapter}.ipynb is stale: run jupytext --to ipynb {chapter}.py"
        assert mine.metadata == theirs.metadata
        if theirs.cell_type == "code":
            assert theirs.outputs == [] and theirs.execution_count is None, f"{chapter}.ipynb has outputs"
    assert committed.metadata["kernelspec"]["name"] == "python3"
