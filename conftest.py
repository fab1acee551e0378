"""Repository-wide pytest hooks (apply to every testpath: tests/, scopejax/ doctests, notebooks/).

The executed notebooks (collected by nbmake, 15-35 s each) are marked ``slow``, so the inner
loop ``python -m pytest -m "not slow"`` leaves them out; the full ``python -m pytest`` runs them.
"""

from __future__ import annotations

import pytest

# notebooks/cells/*.py are notebook sources (run through the generated notebooks), not modules:
# importing one for --doctest-modules would run the whole notebook
# notebook cells run inside their notebooks; the TF recording scripts run in a TF venv only
# tests/tf1_models: vendored TF1 model files (test input, loaded by tests/tf1_models/harness.py)
collect_ignore_glob = [
    "notebooks/cells/*.py",
    "tests/compat_recordings/*.py",
    "tests/tb_recordings/record_*.py",
    "tests/tf1_models/record.py",
    "tests/tf1_models/*/original/*.py",
    "tests/tf1_models/*/ported/*.py",
]


@pytest.hookimpl(tryfirst=True)  # before the `-m` deselection sees the items
def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
