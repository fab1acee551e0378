"""The README's demo runs end to end and learns."""

from scopejax import demo


def test_demo_runs_and_learns(capsys):
    result = demo.main(["--steps", "300"])
    out = capsys.readouterr().out
    assert result["accuracy"] > 0.9
    assert "tower/dense_0/kernel" in out and "siamese/tower_1/dense_0" in out
