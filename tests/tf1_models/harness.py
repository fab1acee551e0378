"""Load the vendored TF1 model files (``<model>/original/*.py``, ``<model>/ported/*.py``)
as fresh modules, with their sibling imports and data-loading helpers provided.

Shared by ``record.py`` (TensorFlow venv, original files) and
``tests/test_tf1_models.py`` (scopejax, ported files); imports neither TensorFlow nor
scopejax itself. The model files import each other by bare name (``from modules import
ff``, ``from ops import *``) and import helpers that read datasets from disk
(``from data_load import load_vocab``, ``from utils import *``). While a model's files
execute, ``sys.modules`` maps those bare names to the model's own files or to the small
stand-ins below; afterwards ``sys.modules`` is restored, so two models (or the original
and the ported copy of one) never see each other.

The stand-ins replace only dataset and image I/O, never model code:

- transformer: ``data_load.load_vocab`` (a vocabulary from a list instead of a file),
  ``utils.convert_idx_to_token_tensor`` (only used by ``eval``, not called),
  ``tqdm`` (a progress bar, only used by ``eval``).
- dcgan: ``utils`` (image reading for the dataset in ``__init__``): ``imread`` returns
  a zero image of the configured size; ``six.moves.xrange`` where ``six`` is missing.
"""

from __future__ import annotations

import difflib
import importlib.util
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# Which files each model has, in import order (a file may import the ones before it).
FILES: dict[str, list[str]] = {
    "transformer": ["modules", "model"],
    "char_rnn": ["model"],
    "dcgan": ["ops", "model"],
    "bert": ["modeling"],
}

# The transformer's vocabulary (data_load.load_vocab reads it from a file; the four
# reserved tokens come first, as the repository's prepro.py writes them).
TRANSFORMER_VOCAB = ["<pad>", "<unk>", "<s>", "</s>", "a", "b", "c", "d", "e", "f", "g"]


def _module(name: str, **attrs: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    return mod


def stand_ins(model: str, **config: Any) -> dict[str, types.ModuleType]:
    """The helper modules a model's files import, besides TensorFlow and each other.

    Args:
      model: ``"transformer"``, ``"char_rnn"`` or ``"dcgan"``.
      **config: ``image_shape`` for dcgan (what ``imread`` returns).

    Returns:
      ``{module name: module}`` to place in ``sys.modules`` while the files execute.
    """
    if model == "transformer":

        def load_vocab(vocab_fpath: str) -> tuple[dict[str, int], dict[int, str]]:
            token2idx = {tok: i for i, tok in enumerate(TRANSFORMER_VOCAB)}
            return token2idx, {i: tok for tok, i in token2idx.items()}

        def convert_idx_to_token_tensor(inputs: Any, idx2token: Any) -> Any:
            raise NotImplementedError("not used by Transformer.train")

        return {
            "data_load": _module("data_load", load_vocab=load_vocab),
            "utils": _module("utils", convert_idx_to_token_tensor=convert_idx_to_token_tensor),
            "tqdm": _module("tqdm", tqdm=lambda it, *a, **k: it),
        }
    if model == "dcgan":
        import numpy as np

        shape = tuple(config.get("image_shape", (16, 16, 3)))
        utils = _module("utils", imread=lambda path: np.zeros(shape, np.float32))
        utils.__all__ = ["imread"]
        mods = {"utils": utils}
        if importlib.util.find_spec("six") is None:  # model.py: from six.moves import xrange
            six = _module("six", moves=_module("six.moves", xrange=range))
            mods.update({"six": six, "six.moves": six.moves})
        return mods
    return {}


@contextmanager
def _patched_modules(mapping: Mapping[str, types.ModuleType | None]) -> Iterator[None]:
    saved = {name: sys.modules.get(name) for name in mapping}
    try:
        for name, mod in mapping.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod
        yield
    finally:
        for name, mod in saved.items():
            if mod is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = mod


def load(
    model: str,
    variant: str,
    tensorflow: Mapping[str, types.ModuleType] | None = None,
    **config: Any,
) -> dict[str, types.ModuleType]:
    """Execute ``<model>/<variant>/*.py`` as fresh modules.

    Args:
      model: a key of :data:`FILES`.
      variant: ``"original"`` or ``"ported"``.
      tensorflow: modules to provide under TensorFlow's names while the files execute
        (``{"tensorflow": shim, "tensorflow.contrib": ..., ...}``); None for none.
      **config: passed to :func:`stand_ins`.

    Returns:
      ``{file stem: module}``.
    """
    folder = HERE / model / variant
    mapping: dict[str, types.ModuleType | None] = dict(tensorflow or {})
    mapping.update(stand_ins(model, **config))
    for stem in FILES[model]:
        mapping.setdefault(stem, None)
    loaded: dict[str, types.ModuleType] = {}
    with _patched_modules(mapping):
        for stem in FILES[model]:
            spec = importlib.util.spec_from_file_location(
                f"tf1_models.{model}.{variant}.{stem}", folder / f"{stem}.py"
            )
            assert spec is not None and spec.loader is not None
            mod = importlib.util.module_from_spec(spec)
            sys.modules[stem] = mod  # siblings import it by its bare name
            spec.loader.exec_module(mod)
            loaded[stem] = mod
    return loaded


def changed_lines(model: str) -> dict[str, list[tuple[str, str]]]:
    """The lines that differ between ``original/`` and ``ported/``, per file.

    Args:
      model: a key of :data:`FILES`.

    Returns:
      ``{file name: [("-" or "+", line), ...]}`` from a unified diff (removed and
      added lines; context lines left out).
    """
    out: dict[str, list[tuple[str, str]]] = {}
    for stem in FILES[model]:
        a = (HERE / model / "original" / f"{stem}.py").read_text().splitlines()
        b = (HERE / model / "ported" / f"{stem}.py").read_text().splitlines()
        rows = []
        for line in difflib.unified_diff(a, b, lineterm="", n=0):
            if line.startswith(("---", "+++", "@@")):
                continue
            rows.append((line[0], line[1:]))
        out[f"{stem}.py"] = rows
    return out
