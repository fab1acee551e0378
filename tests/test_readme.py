"""README.md cannot rot: its ```python blocks run (through sybil, see ../conftest.py), every
other block is marked as not run (at most two), the commands it shows name things that
exist, and the counts it quotes are the counts of the test suite."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NOT_RUN = "<!-- not run:"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)


def fences() -> list[tuple[str, str, str]]:
    """``(language, body, the line before the fence)`` for every fenced block."""
    out = []
    for m in FENCE.finditer(README):
        before = README[: m.start()].rstrip("\n").rpartition("\n")[2]
        out.append((m.group(1), m.group(2), before))
    return out


@pytest.mark.slow
def test_every_python_block_runs_in_order_as_written(tmp_path, monkeypatch):
    """The ```python blocks, parsed and run by sybil, in order, in one namespace, as one test
    (so pytest-xdist cannot split them), from a scratch folder in which
    ``tests/checkpoint_fixtures`` is the repository's: the README's relative paths work as
    from the repository root, and what the blocks write is thrown away."""
    pytest.importorskip("sybil")
    from sybil import Sybil
    from sybil.parsers.markdown import PythonCodeBlockParser

    document = Sybil(parsers=[PythonCodeBlockParser()]).parse(ROOT / "README.md")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "checkpoint_fixtures").symlink_to(ROOT / "tests" / "checkpoint_fixtures")
    monkeypatch.chdir(tmp_path)
    ran = []
    try:
        for example in document.examples():
            try:
                example.evaluate()
            except Exception as e:
                raise AssertionError(
                    f"README.md, the block at line {example.line}, fails: {type(e).__name__}: {e}"
                ) from e
            ran.append(example.line)
    finally:
        document.namespace.clear()
    python = [body for lang, body, _ in fences() if lang == "python"]
    assert len(ran) == len(python) >= 4  # twenty lines, training, donation, checkpoints


def test_every_other_block_is_marked_not_run_and_there_are_at_most_two():
    marked = 0
    for lang, body, before in fences():
        if lang == "python":
            assert not before.startswith(NOT_RUN), "a python block is marked but still runs"
        elif lang == "mermaid":  # a diagram, not code
            continue
        else:
            assert before.startswith(NOT_RUN) and before.endswith("-->"), (
                f"a ```{lang} block is neither run nor marked with '{NOT_RUN} why -->':\n{body}"
            )
            marked += 1
    assert marked <= 2


def _shell_block() -> str:
    return next(body for lang, body, _ in fences() if lang == "bash")


def test_the_shell_commands_name_what_exists():
    text = _shell_block()
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in re.findall(r'-e "\.\[(\w+)\]"', text):
        assert extra in extras, extra
    for module in re.findall(r"python -m ([\w.]+)", text):
        assert importlib.util.find_spec(module) is not None, module
    assert "jupyter lab notebooks/" in text and (ROOT / "notebooks").is_dir()
    # the notebooks extra brings the front end and the widgets tqdm's notebook bar needs
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in extras["notebooks"]}
    assert {"jupyterlab", "ipywidgets", "matplotlib", "scikit-learn"} <= names
    for marker in re.findall(r'-m "not (\w+)"', text):
        assert any(
            m.startswith(marker + ":")
            for m in PYPROJECT["tool"]["pytest"]["ini_options"]["markers"]
        )


def _number(pattern: str) -> int:
    m = re.search(pattern, " ".join(README.split()))
    assert m, f"the README no longer says {pattern!r}"
    return int(m.group(1).replace(",", ""))


def test_conformance_figures_are_the_suites():
    data = json.loads((ROOT / "tests" / "conformance" / "tf1_expected.json").read_text())
    programs = data["programs"]
    observations = sum(len(v) for v in programs.values())
    assert _number(r"runs ([\d,]+) scoping programs") == len(programs)
    assert _number(r"compares their ([\d,]+) observations") == observations


def test_misuse_and_tf1_layer_counts_are_the_suites():
    sys.path.insert(0, str(ROOT / "tests"))
    try:
        from test_misuse import CASES
    finally:
        sys.path.remove(str(ROOT / "tests"))
    assert _number(r"`tests/test_misuse.py` has ([\d,]+) of them") == len(CASES)
    cases = json.loads((ROOT / "tests" / "tf1_layers" / "tf1_layers.json").read_text())["cases"]
    assert _number(r"for all ([\d,]+) recorded cases") == len(cases)


def test_machine_dependent_figures_say_so():
    flat = " ".join(README.split())
    assert "Measured on a 2-core CPU machine (times vary with the machine" in flat
    assert "python -m scopejax.demo" in flat and "Times vary with the machine" in flat


@pytest.mark.slow
def test_jupyter_lab_and_the_widget_manager_are_installed_with_the_notebooks_extra():
    jupyter = Path(sys.executable).with_name("jupyter")
    if importlib.util.find_spec("jupyterlab") is None or not jupyter.exists():
        pytest.skip("the notebooks extra is not installed here")
    out = subprocess.run(
        [str(jupyter), "labextension", "list"], capture_output=True, text=True, timeout=120
    )
    listed = out.stdout + out.stderr
    assert "@jupyter-widgets/jupyterlab-manager" in listed and "enabled" in listed, listed
