"""Shared machinery of the notebook generators (``_make_0N.py``).

A notebook's cells live in ``cells/0N_name.py``, a Python file that ruff checks, in the
percent format: ``# %%`` starts a code cell, ``# %% [markdown]`` a markdown cell whose lines
are comments (``# text``). A generator is three lines:

    from _nbgen import Notebook
    if __name__ == "__main__":
        Notebook(__file__, "01_variables_and_scopes.ipynb").main()

Output policy (the same for every notebook): the committed notebook is executed, with its
outputs and plots; execution counts run 1, 2, 3, ... in cell order; cell ids are stable
(``cell-00``, ...); adjacent prints to one stream are one output; no per-cell timing
metadata, no widget state (a progress bar keeps its final text) and no interpreter version
in the metadata. Regenerating changes only outputs that measure time or tell the time (and
the plots that show such measurements), in notebook 05 the damaged-checkpoint cell, which
names whichever array orbax's file layout put under the flipped byte, and in notebook 06 the
peak bytes per device during init, which a thread samples (and its bar in the plot).
"""

from __future__ import annotations

import html
import re
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent
MARKER = re.compile(r"^# %%( \[markdown\])?[ \t]*$")
WIDGET = "application/vnd.jupyter.widget-view+json"


def read_cells(path: Path) -> list[tuple[str, str]]:
    """``[(kind, source)]`` of a percent-format file: ``"code"`` or ``"markdown"``."""
    cells: list[tuple[str, str]] = []
    kind, lines = None, []  # text before the first marker is not a cell

    def close() -> None:
        if kind is None:
            return
        if kind == "markdown":
            body = []
            for ln in lines:
                if ln and not ln.startswith("#"):
                    raise ValueError(f"{path}: a markdown cell line is not a comment: {ln!r}")
                body.append(ln[2:] if ln.startswith("# ") else ln[1:])
            src = "\n".join(body)
        else:
            src = "\n".join(lines)
        cells.append((kind, src.strip("\n")))

    for line in path.read_text().splitlines():
        m = MARKER.match(line)
        if m:
            close()
            kind, lines = ("markdown" if m.group(1) else "code"), []
        else:
            lines.append(line)
    close()
    return cells


def _widget_text(state: dict, model_id: str) -> str | None:
    """A tqdm bar's last text (``desc: 100%|##########| 42/42 [...]``) from widget state."""
    box = state.get(model_id, {}).get("state", {})
    children = [state.get(c.removeprefix("IPY_MODEL_"), {}) for c in box.get("children", [])]
    if len(children) != 3:
        return None
    left, bar, right = (c.get("state", {}) for c in children)
    total, value = bar.get("max") or 0, bar.get("value") or 0
    filled = int(10 * value / total) if total else 0
    return f"{left.get('value', '')}|{'#' * filled}{' ' * (10 - filled)}|{right.get('value', '')}"


def normalize(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Apply the output policy (see the module docstring) in place."""
    widgets = nb.metadata.pop("widgets", {})
    state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    nb.metadata["language_info"] = {"name": "python"}
    count = 0
    for cell in nb.cells:
        cell.get("metadata", {}).pop("execution", None)
        if cell.cell_type != "code":
            continue
        count += 1
        cell.execution_count = count if cell.get("outputs") or cell.execution_count else None
        merged: list = []  # adjacent prints to one stream, however the kernel flushed them
        for out in cell.get("outputs", []):
            last = merged[-1] if merged else None
            if (
                out.get("output_type") == "stream"
                and last is not None
                and last.get("output_type") == "stream"
                and last.get("name") == out.get("name")
            ):
                last["text"] = "".join(last["text"]) + "".join(out["text"])
            else:
                merged.append(out)
        if "outputs" in cell:
            cell.outputs = merged
        for out in cell.get("outputs", []):
            if "execution_count" in out:
                out["execution_count"] = cell.execution_count
            data = out.get("data")
            if data and WIDGET in data:  # a tqdm widget: keep its text form only, as it ended
                text = _widget_text(state, data.pop(WIDGET).get("model_id", ""))
                if text is not None:
                    data["text/plain"] = html.unescape(text).replace("\xa0", " ")
    return nb


class Notebook:
    """One generated notebook: its cells file, and how to build, execute and write it."""

    def __init__(self, generator: str, name: str) -> None:
        self.out = Path(generator).with_name(name)
        self.source = self.out.parent / "cells" / (self.out.stem + ".py")
        self.cells = read_cells(self.source)

    def build(self) -> nbformat.NotebookNode:
        nb = new_notebook()
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        }
        nb.metadata["language_info"] = {"name": "python"}
        for i, (kind, src) in enumerate(self.cells):
            cell = new_markdown_cell(src) if kind == "markdown" else new_code_cell(src)
            cell["id"] = f"cell-{i:02d}"  # stable ids keep the generated file diff-friendly
            nb.cells.append(cell)
        nbformat.validate(nb)
        return nb

    def execute(self, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """Run every cell in the notebook's folder (as nbmake does), outputs kept."""
        from nbclient import NotebookClient

        NotebookClient(
            nb,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(self.out.parent)}},
        ).execute()
        return normalize(nb)

    def main(self, execute: bool = True) -> None:
        """Write the notebook, executed (unless ``--no-execute``: then without outputs)."""
        nb = self.build()
        if execute and "--no-execute" not in sys.argv[1:]:
            start = time.perf_counter()
            nb = self.execute(nb)
            print(f"executed in {time.perf_counter() - start:.1f} s")
        nbformat.write(nb, self.out)
        print(f"wrote {self.out} ({len(self.cells)} cells from {self.source.name})")


def generators() -> list[Path]:
    return sorted(HERE.glob("_make_*.py"))
