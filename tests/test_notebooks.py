"""The committed notebooks are what their generators make, executed, under one output policy.

``notebooks/_make_0N.py`` builds ``0N_*.ipynb`` from ``notebooks/cells/0N_*.py`` (see
``notebooks/_nbgen.py``). Here: the committed cells are the cells files' (so an edit there
that was not regenerated fails), every code cell was executed, in order, and the file
follows the policy (stable ids, counts 1..n, no timing metadata or widget state). nbmake
re-executes the notebooks themselves (``notebooks/`` in testpaths, marked slow).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).parents[1] / "notebooks"
GENERATORS = sorted(NOTEBOOKS.glob("_make_*.py"))


def _generator(path: Path):
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        spec = importlib.util.spec_from_file_location(f"_nbgen_test_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return module.NOTEBOOK


def test_every_notebook_has_a_generator_and_a_cells_file():
    made = {_generator(g).out.name for g in GENERATORS}
    assert made == {p.name for p in NOTEBOOKS.glob("*.ipynb")}
    assert {p.stem for p in (NOTEBOOKS / "cells").glob("*.py")} == {Path(n).stem for n in made}


@pytest.mark.parametrize("generator", GENERATORS, ids=[g.stem for g in GENERATORS])
def test_committed_cells_are_what_the_generator_makes(generator):
    notebook = _generator(generator)
    built = notebook.build()
    committed = json.loads(notebook.out.read_text())
    want = [(c.cell_type, c.source, c["id"]) for c in built.cells]
    have = [(c["cell_type"], "".join(c["source"]), c.get("id")) for c in committed["cells"]]
    for i, (w, h) in enumerate(zip(want, have, strict=False)):
        assert w == h, (
            f"{notebook.out.name} cell {i} differs from {notebook.source.name}: run "
            f"python notebooks/{generator.name} to regenerate it"
        )
    assert len(want) == len(have), f"{notebook.out.name}: run python notebooks/{generator.name}"


@pytest.mark.parametrize("generator", GENERATORS, ids=[g.stem for g in GENERATORS])
def test_committed_notebook_is_executed_under_the_output_policy(generator):
    notebook = _generator(generator)
    nb = json.loads(notebook.out.read_text())
    name = notebook.out.name
    assert nb["metadata"]["language_info"] == {"name": "python"}, name
    assert "widgets" not in nb["metadata"], name
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1)), (
        f"{name}: not executed in order; run python notebooks/{generator.name}"
    )
    for i, cell in enumerate(nb["cells"]):
        assert cell["id"] == f"cell-{i:02d}" and "execution" not in cell["metadata"], name
    outputs = [o for c in code for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"], name
    for o in outputs:
        assert "application/vnd.jupyter.widget-view+json" not in o.get("data", {}), name
        text = "".join(o.get("text", ""))
        assert "Traceback" not in text and "TqdmWarning" not in text, (name, text[:300])


def test_plots_are_committed():
    """The notebooks with matplotlib figures carry them as PNGs."""
    for name in ("01", "02", "03", "04", "06"):
        (path,) = NOTEBOOKS.glob(f"{name}_*.ipynb")
        nb = json.loads(path.read_text())
        pngs = [
            o
            for c in nb["cells"]
            if c["cell_type"] == "code"
            for o in c["outputs"]
            if "image/png" in o.get("data", {})
        ]
        assert pngs, f"{path.name} has no plot"


def test_markdown_cells_are_comments_and_round_trip(tmp_path):
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import _nbgen
    finally:
        sys.path.remove(str(NOTEBOOKS))
    src = tmp_path / "x.py"
    src.write_text("# %% [markdown]\n# # Title\n#\n# text\n\n# %%\nx = 1\n\n\ny = 2\n")
    assert _nbgen.read_cells(src) == [("markdown", "# Title\n\ntext"), ("code", "x = 1\n\n\ny = 2")]
    src.write_text("# %% [markdown]\nnot a comment\n")
    with pytest.raises(ValueError, match="not a comment"):
        _nbgen.read_cells(src)


@pytest.mark.parametrize("generator", GENERATORS, ids=[g.stem for g in GENERATORS])
def test_adjacent_prints_are_one_output(generator):
    """However the kernel flushed them (which varies run to run), one stream output."""
    nb = json.loads(_generator(generator).out.read_text())
    for cell in nb["cells"]:
        outs = cell.get("outputs", [])
        for a, b in zip(outs, outs[1:], strict=False):
            same = a["output_type"] == b["output_type"] == "stream" and a["name"] == b["name"]
            assert not same, f"{generator.stem}: split stream output in {cell['id']}"
