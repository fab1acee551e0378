"""Conformance with TensorFlow 1: every scoping program in tests/conformance/programs.py
gives the names, name scopes, reuse flags, collections and errors that real TensorFlow
gave (recorded in tests/conformance/tf1_expected.json by make_tf1_expected.py)."""

from __future__ import annotations

import json
import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).parent / "conformance"
sys.path.insert(0, str(HERE))

from programs import PROGRAMS  # noqa: E402
from runner import run_program  # noqa: E402
from sj_adapter import compare, sj_api_factory  # noqa: E402

EXPECTED = json.loads((HERE / "tf1_expected.json").read_text())["programs"]


def test_every_program_has_expectations():
    assert sorted(PROGRAMS) == sorted(EXPECTED)
    assert len(PROGRAMS) >= 60


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_matches_tensorflow(name):
    actual = run_program(sj_api_factory, PROGRAMS[name])
    diffs = compare(EXPECTED[name], actual)
    assert not diffs, "\n".join(diffs)


@pytest.mark.tensorflow
@pytest.mark.parametrize(
    "name",
    [
        "walk_gan_discriminator_by_object",
        "r08_default_name_reset_on_exit",
        "r01_name_scope_then_var",
        "r16_shape_mismatch",
    ],
)
def test_expectations_still_match_live_tensorflow(name):
    from tf_adapter import tf_api_factory

    assert run_program(tf_api_factory, PROGRAMS[name]) == EXPECTED[name]
