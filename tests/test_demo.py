"""The README's demo (``python -m scopejax.demo``) runs end to end, learns, and freezes."""

import subprocess
import sys

import pytest

from scopejax import demo

pytest.importorskip("sklearn")


@pytest.mark.slow
def test_demo_smoke_learns_and_keeps_the_backbone_frozen(capsys):
    result = demo.main(["--smoke", "--no-progress"])
    out = capsys.readouterr().out
    assert result["accuracy"] >= 0.9, result
    assert result["finetune_accuracy"] >= 0.8, result
    # the BACKBONE collection (6 variables) was frozen and is bit-identical after fine-tuning
    assert result["frozen_identical"] is True and result["frozen_variables"] == 6
    assert "frozen BACKBONE variables bit-identical: True" in out
    # one set of weights for the convolution applied twice, two name scopes in XLA
    assert "backbone/shared/kernel" in out
    assert {"backbone/shared", "backbone/shared_1"} <= set(result["name_scopes"])
    assert "test accuracy" in out and "Total: 13 variables" in out


@pytest.mark.slow
def test_importing_the_demo_is_cheap():
    code = "import sys, scopejax.demo; print('sklearn' in sys.modules, 'matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
