"""Shared fixtures: a key, a transform-and-run helper, and a stack-is-empty check."""

from __future__ import annotations

import importlib.util

import jax
import pytest

from scopejax._src.core.context import frame_stack


@pytest.fixture
def key() -> jax.Array:
    return jax.random.key(0)


@pytest.fixture(autouse=True)
def _no_stale_frames():
    assert frame_stack() == [], "a frame leaked from an earlier test"
    yield
    assert frame_stack() == [], "this test left a frame on the stack"


def pytest_collection_modifyitems(config, items):
    have_tf = importlib.util.find_spec("tensorflow") is not None
    have_peers = (
        importlib.util.find_spec("haiku") is not None
        and importlib.util.find_spec("flax") is not None
    )
    for item in items:
        if "tensorflow" in item.keywords and not have_tf:
            item.add_marker(pytest.mark.skip(reason="TensorFlow is not installed (optional)"))
        if "peers" in item.keywords and not have_peers:
            item.add_marker(pytest.mark.skip(reason="Haiku/Flax are not installed (optional)"))
