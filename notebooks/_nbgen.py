"""Shared machinery of the notebook generators (``_make_0N.py``).

A generator lists its cells with ``md`` / ``code`` and ends with ``main``:

    from _nbgen import Notebook
    nb = Notebook(__file__, "01_variables_and_scopes.ipynb")
    md, code = nb.md, nb.code
    md("# Title")
    code("x = 1")
    if __name__ == "__main__":
        nb.main(execute=False)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook


class Notebook:
    """The cells of one generated notebook and how to write it."""

    def __init__(self, generator: str, name: str) -> None:
        self.out = Path(generator).with_name(name)
        self.cells: list[tuple[str, str]] = []

    def md(self, text: str) -> None:
        self.cells.append(("markdown", text.strip("\n")))

    def code(self, text: str) -> None:
        self.cells.append(("code", text.strip("\n")))

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
        for cell in nb.cells:  # keep the file stable across runs
            cell.get("metadata", {}).pop("execution", None)
        return nb

    def main(self, execute: bool) -> None:
        """Write the notebook; with ``execute`` (unless ``--no-execute``) with outputs."""
        nb = self.build()
        if execute and "--no-execute" not in sys.argv[1:]:
            start = time.perf_counter()
            nb = self.execute(nb)
            print(f"executed in {time.perf_counter() - start:.1f} s")
        nbformat.write(nb, self.out)
        print(f"wrote {self.out} ({len(self.cells)} cells)")
