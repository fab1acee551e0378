"""Build ``06_sharding.ipynb``, executed, from ``cells/06_sharding.py``.

Edit the cells there (ruff checks them; see ``_nbgen.py`` for the format and the output
policy), then run from the repository root

    .venv/bin/python notebooks/_make_05.py

to rewrite the notebook with fresh outputs (``--no-execute``: without outputs).
tests/test_notebooks.py checks that the committed notebook has exactly these cells, executed;
nbmake re-executes it in the full test suite.
"""

from _nbgen import Notebook

NOTEBOOK = Notebook(__file__, "06_sharding.ipynb")

if __name__ == "__main__":
    NOTEBOOK.main()
